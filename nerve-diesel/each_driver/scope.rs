//! [`Scope`]: where every store call gets its connection (the pool, or the transaction in
//! progress), and how it runs there: reads retried after a connection failure, writes in a
//! transaction (retried when the database rolled them back or the connection failed before
//! anything was sent), timings recorded.

use super::write_slow_runs;
use crate::driver::ThisDriver;
use nerve_diesel::nerve_core::{Error, Outcome};
use nerve_diesel::Driver;

/// This driver's connection type.
pub(crate) type Conn = <ThisDriver as Driver>::Conn;

/// This driver's r2d2 connection manager.
pub(crate) type Manager = <ThisDriver as Driver>::Manager;

/// This driver's connection pool.
pub(crate) type Pool = nerve_diesel::r2d2::Pool<Manager>;

/// A value bound in a query as one of this driver's local SQL types (see `value_set_sql!`):
/// the value sets are nerve-core's types, and Diesel's blanket `AsExpression` impl forbids
/// implementing it for them here, so they are wrapped.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    nerve_diesel::serde::Serialize,
    nerve_diesel::serde::Deserialize,
)]
#[serde(crate = "nerve_diesel::serde", transparent)]
pub(crate) struct Db<T>(pub T);

pub(super) enum Source<'a> {
    Pool(Pool),
    Tx(::std::sync::Mutex<&'a mut Conn>),
}

/// Where domain calls get their connection: from the pool (each call its own
/// transaction) or from a transaction in progress (each call a savepoint in it).
pub(crate) struct Scope<'a> {
    pub(super) source: Source<'a>,
    pub(super) env: ::std::sync::Arc<nerve_diesel::Env>,
    pub(super) replica: Option<::std::sync::Arc<nerve_diesel::Replica<Pool>>>,
}

impl Scope<'_> {
    /// Records this backend's constraints for the process, once (see
    /// `Driver::learn_constraints`): on a pooled connection, in one read transaction, so that
    /// behind a transaction-mode pooler it meets one server connection. Stores call it when
    /// they open; it does nothing on a scope inside a transaction.
    pub(crate) fn learn_constraints(&self) -> nerve_diesel::nerve_core::Result<()> {
        let Source::Pool(pool) = &self.source else {
            return Ok(());
        };
        if nerve_diesel::constraints::known(ThisDriver::BACKEND) {
            return Ok(());
        }
        let mut conn = self.connection(pool).map_err(|e| self.env.pool_error(e))?;
        nerve_diesel::diesel::Connection::transaction(&mut **conn, |c| {
            ThisDriver::learn_constraints(c).map_err(nerve_diesel::TxError::Nerve)
        })
        .map_err(|e| e.into_error("pg_constraint"))
    }
}

#[allow(dead_code)]
impl<'a> Scope<'a> {
    /// A scope taking connections from `pool`.
    pub(crate) fn pooled(pool: Pool, env: ::std::sync::Arc<nerve_diesel::Env>) -> Scope<'static> {
        Scope {
            source: Source::Pool(pool),
            env,
            replica: None,
        }
    }

    /// This scope sending its replica reads to `replica` (see `replica_read`).
    pub(crate) fn with_replica(mut self, replica: nerve_diesel::Replica<Pool>) -> Self {
        self.replica = Some(::std::sync::Arc::new(replica));
        self
    }

    /// The clock and password hasher.
    pub(crate) fn env(&self) -> &nerve_diesel::Env {
        &self.env
    }

    /// Refuses an operation whose record must survive even when it fails (a refused
    /// login, a rejected API key): inside a caller's transaction, the caller's rollback
    /// would erase it.
    pub(crate) fn outside_transaction(&self, what: &str) -> nerve_diesel::nerve_core::Result<()> {
        match self.source {
            Source::Pool(_) => Ok(()),
            Source::Tx(_) => Err(nerve_diesel::nerve_core::Error::Unsupported {
                what: format!(
                    "{what} inside a transaction: what it records when it refuses must \
                     survive, so call it on the store, not on the handle of atomic"
                ),
            }),
        }
    }

    fn borrow_tx<'s>(
        cell: &'s ::std::sync::Mutex<&'a mut Conn>,
    ) -> nerve_diesel::nerve_core::Result<::std::sync::MutexGuard<'s, &'a mut Conn>> {
        // The transaction's connection is used by one call at a time; a second call
        // while one runs (from the closure's own thread) is a bug, reported not awaited.
        cell.try_lock()
            .map_err(|_| nerve_diesel::nerve_core::Error::Transaction {
                rolled_back: false,
                reason: "a store call was made while another call on the same transaction \
                     was still running"
                    .into(),
            })
    }

    /// Records how long operation `op` (from `op_name!`) took since `started`; given the
    /// pooled connection of a write that has committed, also writes the slow runs
    /// waiting (never from a read, never inside a caller's transaction).
    fn timed(&self, op: &'static str, started: ::std::time::Instant, conn: Option<&mut Conn>) {
        self.env
            .metrics
            .record(op, started.elapsed(), || self.env.now());
        if let Some(conn) = conn {
            if self.env.metrics.has_slow() {
                // Best effort: timings never fail the operation they measure.
                let _ = write_slow_runs(conn, &self.env);
            }
        }
    }

    /// A connection of `pool`. A connection in steady use is not tested at checkout
    /// (that would cost every call a round trip): one idle for more than
    /// `IDLE_BEFORE_TEST`, or any while connections are failing (`Env::suspect`), is,
    /// so that those a server restart, a restore or an idle kill left dead are dropped
    /// instead of used.
    pub(crate) fn connection(
        &self,
        pool: &Pool,
    ) -> ::std::result::Result<
        nerve_diesel::r2d2::PooledConnection<Manager>,
        nerve_diesel::r2d2::Error,
    > {
        let suspect = self.env.suspect();
        let mut tries = 0;
        loop {
            let mut conn = pool.get()?;
            tries += 1;
            // Stamped in place: no allocation per checkout once the stamp exists.
            let now = ::std::time::Instant::now();
            let extensions = nerve_diesel::r2d2::PooledConnection::extensions_mut(&mut conn);
            let idle = match extensions.get_mut::<nerve_diesel::LastUse>() {
                Some(used) => Some(now.duration_since(::std::mem::replace(&mut used.0, now))),
                None => {
                    extensions.insert(nerve_diesel::LastUse(now));
                    None
                }
            };
            let test = suspect || idle.is_some_and(|d| d > nerve_diesel::IDLE_BEFORE_TEST);
            if !test
                || tries > pool.max_size()
                || nerve_diesel::diesel::r2d2::R2D2Connection::ping(&mut **conn).is_ok()
            {
                ThisDriver::on_checkout(&mut conn);
                return Ok(conn);
            }
            // A dead connection is broken for the pool, which closes it when dropped.
        }
    }

    /// A pooled connection; a failure is timed as a run of `op`. The pool already
    /// waited connect_timeout, so it is not asked again.
    fn checkout(
        &self,
        pool: &Pool,
        op: &'static str,
        started: ::std::time::Instant,
    ) -> nerve_diesel::nerve_core::Result<nerve_diesel::r2d2::PooledConnection<Manager>> {
        let asked = ::std::time::Instant::now();
        let conn = self.connection(pool).map_err(|e| {
            self.timed(op, started, None);
            self.env.pool_error(e)
        });
        self.env.pool_waited(op, asked.elapsed());
        conn
    }

    /// Runs `f`, which only reads, on a connection; `op` (from `op_name!`) names the
    /// operation in the store's timings. On a pooled connection a connection failure or
    /// a rollback by the database is tried again (see `RetryPolicy`; a pool that could
    /// not give a connection within connect_timeout is not asked again); with a
    /// statement timeout, `f` runs in a transaction that sets it.
    pub(crate) fn read<T>(
        &self,
        op: &'static str,
        mut f: impl FnMut(&mut Conn) -> nerve_diesel::nerve_core::Result<T>,
    ) -> nerve_diesel::nerve_core::Result<T> {
        let started = ::std::time::Instant::now();
        match &self.source {
            Source::Pool(pool) => {
                let mut attempt = 0;
                loop {
                    let mut conn = self.checkout(pool, op, started)?;
                    // A read applies nothing, whatever its connection did.
                    let out = self.read_on(&mut conn, &mut f).map_err(applied_nothing);
                    if let Err(Error::Connection { .. }) = &out {
                        self.env.connection_failed();
                    }
                    match out {
                        Err(e) if attempt < self.env.retry.retries && e.is_retryable() => {
                            drop(conn);
                            self.env.retry_after(op, attempt, &e);
                            attempt += 1;
                        }
                        out => {
                            // A read never writes: slow runs wait for the next write.
                            self.timed(op, started, None);
                            return out;
                        }
                    }
                }
            }
            Source::Tx(cell) => {
                let mut guard = Self::borrow_tx(cell)?;
                let out = on(&mut guard, &mut f);
                self.timed(op, started, None);
                out
            }
        }
    }

    /// Runs the read `f` on the pooled connection `conn`: in a transaction that sets
    /// the statement timeout when there is one, else directly.
    fn read_on<T>(
        &self,
        conn: &mut Conn,
        f: &mut impl FnMut(&mut Conn) -> nerve_diesel::nerve_core::Result<T>,
    ) -> nerve_diesel::nerve_core::Result<T> {
        #[allow(unused_imports)]
        use nerve_diesel::diesel::Connection as _;
        if self.env.statement_timeout.is_some() {
            conn.transaction(|c: &mut Conn| {
                ThisDriver::on_begin(c, &self.env).map_err(nerve_diesel::TxError::Nerve)?;
                on(c, f).map_err(nerve_diesel::TxError::Nerve)
            })
            .map_err(|e: nerve_diesel::TxError| e.into_error("-"))
        } else {
            on(conn, f)
        }
    }

    /// Runs `f`, a read that tolerates replication lag, on the read replica when the
    /// store has one that is not known to be gone, else as [`Scope::read`] does (on
    /// the primary, or on the transaction in progress). A replica that cannot give a
    /// connection or loses it is marked gone for `Replica::RETRY_AFTER` and the read
    /// runs on the primary instead; so does a read the replica cancelled (a conflict
    /// with recovery). Other errors are the read's own and are returned.
    pub(crate) fn replica_read<T>(
        &self,
        op: &'static str,
        mut f: impl FnMut(&mut Conn) -> nerve_diesel::nerve_core::Result<T>,
    ) -> nerve_diesel::nerve_core::Result<T> {
        if let (Source::Pool(_), Some(replica)) = (&self.source, &self.replica) {
            if replica.usable() {
                let started = ::std::time::Instant::now();
                let out = match self.connection(&replica.pool) {
                    Ok(mut conn) => self.read_on(&mut conn, &mut f).map_err(applied_nothing),
                    Err(e) => Err(self.env.pool_error(e)),
                };
                match out {
                    Err(e @ (Error::Connection { .. } | Error::Connect { .. })) => {
                        replica.went_away(&e);
                    }
                    Err(e) if nerve_diesel::errors::rolled_back(&e) => {
                        nerve_diesel::tracing::debug!(error = %e, "read cancelled on the replica; reading from the primary");
                    }
                    out => {
                        self.timed(op, started, None);
                        return out;
                    }
                }
            }
        }
        self.read(op, f)
    }

    /// Runs `f` atomically: in a transaction of its own, or in a savepoint of the
    /// transaction in progress. `op` (from `op_name!`) names the operation in the
    /// store's timings; `table` names the table in transaction errors. A transaction of
    /// its own that the database rolled back is tried again (nothing of it was
    /// committed); one whose connection failed while it ran is not, and says its
    /// outcome is unknown.
    pub(crate) fn write<T>(
        &self,
        op: &'static str,
        table: &'static str,
        mut f: impl FnMut(&mut Conn) -> nerve_diesel::nerve_core::Result<T>,
    ) -> nerve_diesel::nerve_core::Result<T> {
        #[allow(unused_imports)]
        use nerve_diesel::diesel::Connection as _;
        let started = ::std::time::Instant::now();
        match &self.source {
            Source::Pool(pool) => {
                let mut attempt = 0;
                loop {
                    let mut conn = self.checkout(pool, op, started)?;
                    // Whether the transaction began: a connection that failed before
                    // (at BEGIN) wrote nothing, so the call is tried again.
                    let mut began = false;
                    let out = ThisDriver::write_transaction(&mut *conn, |c: &mut Conn| {
                        began = true;
                        ThisDriver::on_begin(c, &self.env).map_err(nerve_diesel::TxError::Nerve)?;
                        on(c, &mut f).map_err(nerve_diesel::TxError::Nerve)
                    });
                    // A connection that failed before the transaction began wrote nothing.
                    let out = if began {
                        out.map_err(|e: nerve_diesel::TxError| e.into_error(table))
                    } else {
                        out.map_err(|e| applied_nothing(began_not(&mut conn, e, table)))
                    };
                    if let Err(Error::Connection { .. }) = &out {
                        self.env.connection_failed();
                    }
                    // Tried again: what the database rolled back, and what failed before the
                    // transaction began. Never what `f` reported after it began.
                    let again = |e: &Error| {
                        nerve_diesel::errors::rolled_back(e) || (!began && e.is_retryable())
                    };
                    match out {
                        Err(e) if attempt < self.env.retry.retries && again(&e) => {
                            drop(conn);
                            self.env.retry_after(op, attempt, &e);
                            attempt += 1;
                        }
                        Err(e @ Error::Connection { .. }) => {
                            // Not tried again when it may have been committed.
                            self.timed(op, started, None);
                            return Err(e);
                        }
                        out => {
                            self.timed(op, started, Some(&mut conn));
                            return out;
                        }
                    }
                }
            }
            Source::Tx(cell) => {
                let mut guard = Self::borrow_tx(cell)?;
                let out = guard.transaction(|c: &mut Conn| {
                    on(c, &mut f).map_err(nerve_diesel::TxError::Nerve)
                });
                self.timed(op, started, None);
                out.map_err(|e: nerve_diesel::TxError| e.into_error(table))
            }
        }
    }

    /// Runs `f`, a write of exactly one statement (atomic by itself), as [`Scope::write`]
    /// does, except that where no statement timeout is set (it is set per transaction), on a
    /// pooled connection the statement runs alone, without BEGIN and COMMIT: on PostgreSQL one
    /// round trip instead of three, on SQLite two statements fewer. The database commits it
    /// when it ends, and `f` must read it to its end so that the commit's answer is its own:
    /// `execute`, or [`nerve_diesel::lone_write::returned_row`] for a `RETURNING` row, never
    /// `get_result` (see that module). A rollback by the database (on SQLite, a lock held past
    /// the busy timeout) is tried again; a connection failure leaves the outcome unknown and
    /// is returned, as for any write. Never give it a closure that runs two statements.
    pub(crate) fn write_one<T>(
        &self,
        op: &'static str,
        table: &'static str,
        mut f: impl FnMut(&mut Conn) -> nerve_diesel::nerve_core::Result<T>,
    ) -> nerve_diesel::nerve_core::Result<T> {
        let pool = match &self.source {
            Source::Pool(pool) if self.env.statement_timeout.is_none() => pool,
            _ => return self.write(op, table, f),
        };
        let started = ::std::time::Instant::now();
        let mut attempt = 0;
        loop {
            let mut conn = self.checkout(pool, op, started)?;
            let out = on(&mut conn, &mut f);
            match out {
                Err(e) if attempt < self.env.retry.retries && e.is_retryable() => {
                    drop(conn);
                    self.env.retry_after(op, attempt, &e);
                    attempt += 1;
                }
                Err(e @ Error::Connection { .. }) => {
                    // The statement was sent: it may have been committed.
                    self.env.connection_failed();
                    self.timed(op, started, None);
                    return Err(e);
                }
                out => {
                    self.timed(op, started, Some(&mut conn));
                    return out;
                }
            }
        }
    }

    /// Runs `f` in one transaction on a connection of `pool` (see `Store::atomic`).
    pub(crate) fn atomic(
        pool: &Pool,
        env: &::std::sync::Arc<nerve_diesel::Env>,
        f: &mut dyn FnMut(
            &dyn nerve_diesel::nerve_core::Repos,
        ) -> nerve_diesel::nerve_core::Result<()>,
    ) -> nerve_diesel::nerve_core::Result<()> {
        #[allow(unused_imports)]
        use nerve_diesel::diesel::Connection as _;
        // Connections are taken as every call takes them (idle ones tested first).
        let taker = Scope::pooled(pool.clone(), env.clone());
        let mut attempt = 0;
        loop {
            let mut conn = taker.connection(pool).map_err(|e| env.pool_error(e))?;
            // A connection that failed at BEGIN ran nothing of `f`: tried again.
            let mut began = false;
            let out = ThisDriver::write_transaction(&mut *conn, |conn: &mut Conn| {
                began = true;
                ThisDriver::on_begin(conn, env).map_err(nerve_diesel::TxError::Nerve)?;
                let scope = Scope {
                    source: Source::Tx(::std::sync::Mutex::new(conn)),
                    env: env.clone(),
                    replica: None,
                };
                f(&scope).map_err(nerve_diesel::TxError::Nerve)
            });
            // A connection that failed at BEGIN ran nothing of `f`.
            let out = if began {
                out.map_err(|e: nerve_diesel::TxError| e.into_error("-"))
            } else {
                out.map_err(|e| applied_nothing(began_not(&mut conn, e, "-")))
            };
            match out {
                // Refused at BEGIN (a lock held past the busy timeout): nothing of `f` ran.
                Err(e @ Error::Transaction { .. })
                    if !began && attempt < env.retry.retries && e.is_retryable() =>
                {
                    drop(conn);
                    env.retry_after("Store::atomic", attempt, &e);
                    attempt += 1;
                }
                Err(e @ Error::Connection { .. }) => {
                    env.connection_failed();
                    // Only a transaction that never began is run again: once `f` ran, its
                    // other effects are unknown to the store.
                    if began || attempt >= env.retry.retries {
                        return Err(e);
                    }
                    drop(conn);
                    env.retry_after("Store::atomic", attempt, &e);
                    attempt += 1;
                }
                out => return out,
            }
        }
    }
}

/// The error of a transaction whose `BEGIN` failed on `conn`, classified with what `conn` knows
/// of the failure ([`Driver::reclassify`]: SQLite's `SQLITE_BUSY`); nothing has run on `conn`
/// since.
pub(crate) fn began_not(conn: &mut Conn, e: nerve_diesel::TxError, table: &'static str) -> Error {
    e.into_error_with(table, |e| ThisDriver::reclassify(conn, e))
}

/// The error of `op` for the Diesel error `e` that work on `conn` has just returned, classified
/// with what `conn` knows of the failure ([`Driver::reclassify`]), for work run on a connection
/// outside [`Scope`]'s `read` and `write` (which do this themselves).
pub(crate) fn op_error(
    conn: &mut Conn,
    op: nerve_diesel::Op,
    e: nerve_diesel::diesel::result::Error,
) -> Error {
    ThisDriver::reclassify(conn, op.error(e))
}

/// Runs `f` on `c` and classifies its error by what `c` itself knows of the failure
/// ([`Driver::reclassify`]: SQLite's `SQLITE_BUSY`), before anything else runs on `c`.
fn on<T>(
    c: &mut Conn,
    f: &mut impl FnMut(&mut Conn) -> nerve_diesel::nerve_core::Result<T>,
) -> nerve_diesel::nerve_core::Result<T> {
    f(c).map_err(|e| ThisDriver::reclassify(c, e))
}

/// `e`, saying nothing was applied when it is a connection failure: for operations that only
/// read, or whose transaction had not begun.
pub(crate) fn applied_nothing(e: Error) -> Error {
    match e {
        Error::Connection { reason, .. } => Error::Connection {
            reason,
            outcome: Outcome::NotApplied,
        },
        other => other,
    }
}
