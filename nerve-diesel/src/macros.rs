//! The query code both drivers expand. Each macro documents what the expanding module must
//! provide; everything it generates is written once here.

/// Maps a [`nerve_core::model::ValueSet`] enum to a driver's local SQL type (a PostgreSQL ENUM
/// type, or SQLite text under a CHECK) for backend `$db`: `FromSql` for the enum itself (so
/// rows read it directly) and `ToSql`/`AsExpression` for `Db<enum>` (values bound in queries
/// are wrapped in the driver's `Db` newtype, made by [`define_scope!`]: the enum lives in
/// nerve-core, and Diesel's blanket `AsExpression` impl forbids implementing it for a type of
/// another crate).
///
/// The stored text is [`ValueSet::as_str`](nerve_core::model::ValueSet::as_str); a stored text
/// outside the set is a deserialization error naming the value and the type.
#[macro_export]
macro_rules! value_set_sql {
    ($rust:ty => $sql:ty, $db:ty) => {
        impl $crate::diesel::serialize::ToSql<$sql, $db> for Db<$rust> {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::diesel::serialize::Output<'b, '_, $db>,
            ) -> $crate::diesel::serialize::Result {
                <str as $crate::diesel::serialize::ToSql<$crate::diesel::sql_types::Text, $db>>::to_sql(
                    $crate::nerve_core::model::ValueSet::as_str(self.0),
                    out,
                )
            }
        }

        impl $crate::diesel::deserialize::FromSql<$sql, $db> for $rust {
            fn from_sql(
                raw: <$db as $crate::diesel::backend::Backend>::RawValue<'_>,
            ) -> $crate::diesel::deserialize::Result<Self> {
                let text = <String as $crate::diesel::deserialize::FromSql<
                    $crate::diesel::sql_types::Text,
                    $db,
                >>::from_sql(raw)?;
                Ok(<$rust as $crate::nerve_core::model::ValueSet>::parse(&text)?)
            }
        }

        // What `#[derive(FromSqlRow)]` would write: the value is its own row.
        impl $crate::diesel::deserialize::Queryable<$sql, $db> for $rust {
            type Row = Self;
            fn build(row: Self) -> $crate::diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }

        // `Bound` is what `#[derive(AsExpression)]` itself expands to.
        impl $crate::diesel::expression::AsExpression<$sql> for Db<$rust> {
            type Expression = $crate::diesel::internal::derives::as_expression::Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                $crate::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }

        impl<'a> $crate::diesel::expression::AsExpression<$sql> for &'a Db<$rust> {
            type Expression = $crate::diesel::internal::derives::as_expression::Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                $crate::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }

        // `Db<_>` reads as the type too: the whole-row types of `tables!` hold value sets as
        // `Db<_>`, so one field type both binds and loads.
        impl $crate::diesel::deserialize::FromSql<$sql, $db> for Db<$rust> {
            fn from_sql(
                raw: <$db as $crate::diesel::backend::Backend>::RawValue<'_>,
            ) -> $crate::diesel::deserialize::Result<Self> {
                <$rust as $crate::diesel::deserialize::FromSql<$sql, $db>>::from_sql(raw).map(Db)
            }
        }

        impl $crate::diesel::deserialize::Queryable<$sql, $db> for Db<$rust> {
            type Row = Self;
            fn build(row: Self) -> $crate::diesel::deserialize::Result<Self> {
                Ok(row)
            }
        }

        // Comparisons with a nullable column of the type.
        impl $crate::diesel::serialize::ToSql<$crate::diesel::sql_types::Nullable<$sql>, $db>
            for Db<$rust>
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut $crate::diesel::serialize::Output<'b, '_, $db>,
            ) -> $crate::diesel::serialize::Result {
                <Self as $crate::diesel::serialize::ToSql<$sql, $db>>::to_sql(self, out)
            }
        }

        impl $crate::diesel::expression::AsExpression<$crate::diesel::sql_types::Nullable<$sql>>
            for Db<$rust>
        {
            type Expression = $crate::diesel::internal::derives::as_expression::Bound<
                $crate::diesel::sql_types::Nullable<$sql>,
                Self,
            >;
            fn as_expression(self) -> Self::Expression {
                $crate::diesel::internal::derives::as_expression::Bound::new(self)
            }
        }
    };
}

/// The spec's soft-delete pattern (`deleted_at`, `is_active`, `updated_at` on every table),
/// written once for every table's store: `set_deleted!(t, now)` and `set_restored!(t, now)` are
/// the changes that soft-delete or restore a row of table module `t`; `filter_deleted!(t, q,
/// deleted)` applies a [`Deleted`](nerve_core::model::Deleted) choice to a boxed query.
#[doc(hidden)]
#[macro_export]
macro_rules! set_deleted {
    ($t:ident, $now:expr) => {
        (
            $t::deleted_at.eq(Some($now)),
            $t::is_active.eq(false),
            $t::updated_at.eq($now),
        )
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! set_restored {
    ($t:ident, $now:expr) => {
        (
            $t::deleted_at.eq(None::<::chrono::DateTime<::chrono::Utc>>),
            $t::is_active.eq(true),
            $t::updated_at.eq($now),
        )
    };
}

/// One page, ascending by id, of the live rows of table `$t` whose `$parent` column is
/// `$parent_id`, as `$model`s: the list of a parent's children every store has (a company's
/// rows included), optionally narrowed by more filters (`|q| ...`). `$name` names the table
/// in errors.
#[doc(hidden)]
#[macro_export]
macro_rules! live_children_page {
    // With `|q| narrow`: `narrow` returns the boxed query `q` with more filters.
    ($conn:expr, $t:ident, $row:ident, $model:ty, $parent:ident = $parent_id:expr, $page:expr, $name:expr,
     |$q:ident| $narrow:expr) => {{
        let $q = $t::table
            .filter($t::$parent.eq($parent_id))
            .filter($t::deleted_at.is_null())
            .filter($t::id.gt($page.after_id()))
            .order($t::id.asc())
            .limit(i64::from($page.limit))
            .select($row::as_select())
            .into_boxed();
        let narrowed = $narrow;
        narrowed
            .load::<$row>($conn)
            .map(|rows| rows.into_iter().map(<$model>::from).collect())
            .map_err(|e| $crate::Op::new($name, "select").error(e))
    }};
    ($conn:expr, $t:ident, $row:ident, $model:ty, $parent:ident = $parent_id:expr, $page:expr, $name:expr) => {
        $t::table
            .filter($t::$parent.eq($parent_id))
            .filter($t::deleted_at.is_null())
            .filter($t::id.gt($page.after_id()))
            .order($t::id.asc())
            .limit(i64::from($page.limit))
            .select($row::as_select())
            .load::<$row>($conn)
            .map(|rows| rows.into_iter().map(<$model>::from).collect())
            .map_err(|e| $crate::Op::new($name, "select").error(e))
    };
}

/// Soft-deletes the live row `$id` of table `$t` whose `company_id` is `$company_id`, on
/// `$conn`: `Ok(())`, or NotFound on `$name` (keyed by company and id) when no live row of the
/// company has the id. The company-owned delete every store has; the caller checks the
/// company is live first.
#[doc(hidden)]
#[macro_export]
macro_rules! soft_delete_owned {
    ($conn:expr, $t:ident, $company_id:expr, $id:expr, $now:expr, $name:expr) => {{
        let (company_id, id): (i64, i64) = ($company_id, $id);
        $crate::cached::CacheBySql(
            $crate::diesel::update(
                $t::table
                    .filter($t::id.eq(id))
                    .filter($t::company_id.eq(company_id))
                    .filter($t::deleted_at.is_null()),
            )
            .set($crate::set_deleted!($t, $now)),
        )
        .execute($conn)
        .map_err(|e| $crate::Op::new($name, "soft delete").error(e))
        .and_then(|n| match n {
            0 => Err($crate::nerve_core::Error::not_found(
                $name,
                format!("company_id={company_id}, id={id}"),
            )),
            _ => Ok(()),
        })
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! filter_deleted {
    ($t:ident, $q:expr, $deleted:expr) => {
        match $deleted {
            $crate::nerve_core::model::Deleted::Exclude => $q.filter($t::deleted_at.is_null()),
            $crate::nerve_core::model::Deleted::Only => $q.filter($t::deleted_at.is_not_null()),
            $crate::nerve_core::model::Deleted::Include => $q,
        }
    };
}

/// Defines the driver's connection scope: `Conn`, `Pool` (of r2d2 manager `manager`), `Scope` (a pooled connection, or the
/// connection of a running transaction) with `read`, `write` and `atomic`, and the
/// [`Repos`](nerve_core::Repos) implementations that hand out the domain stores, for `Scope`
/// and for the driver's `$store` type (which must have a field `scope: Scope<'static>`).
///
/// `write_tx` names the `Conn` method that opens a top-level write transaction
/// (`immediate_transaction` on SQLite, so the write lock is taken at BEGIN; `transaction` on
/// PostgreSQL). Inside a transaction every write runs in a savepoint.
#[macro_export]
macro_rules! define_scope {
    (conn = $conn:ty, manager = $manager:ty, write_tx = $write_tx:ident, single_statement_autocommit = $autocommit:literal, begin = $begin:path, store = $store:ident) => {
        /// This driver's connection type.
        pub(crate) type Conn = $conn;

        /// This driver's connection pool.
        pub(crate) type Pool = $crate::r2d2::Pool<$manager>;

        /// A value bound in a query as one of this driver's local SQL types (see
        /// `value_set_sql!`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, $crate::serde::Serialize, $crate::serde::Deserialize)]
        #[serde(crate = "nerve_diesel::serde", transparent)]
        pub(crate) struct Db<T>(pub T);

        enum Source<'a> {
            Pool(Pool),
            Tx(::std::sync::Mutex<&'a mut $conn>),
        }

        /// Where domain calls get their connection: from the pool (each call its own
        /// transaction) or from a transaction in progress (each call a savepoint in it).
        pub(crate) struct Scope<'a> {
            source: Source<'a>,
            env: ::std::sync::Arc<$crate::Env>,
            replica: Option<::std::sync::Arc<$crate::Replica<Pool>>>,
        }

        #[allow(dead_code)]
        impl<'a> Scope<'a> {
            /// A scope taking connections from `pool`.
            pub(crate) fn pooled(pool: Pool, env: ::std::sync::Arc<$crate::Env>) -> Scope<'static> {
                Scope {
                    source: Source::Pool(pool),
                    env,
                    replica: None,
                }
            }

            /// This scope sending its replica reads to `replica` (see `replica_read`).
            pub(crate) fn with_replica(mut self, replica: $crate::Replica<Pool>) -> Self {
                self.replica = Some(::std::sync::Arc::new(replica));
                self
            }

            /// The clock and password hasher.
            pub(crate) fn env(&self) -> &$crate::Env {
                &self.env
            }

            /// Refuses an operation whose record must survive even when it fails (a refused
            /// login, a rejected API key): inside a caller's transaction, the caller's rollback
            /// would erase it.
            pub(crate) fn outside_transaction(&self, what: &str) -> $crate::nerve_core::Result<()> {
                match self.source {
                    Source::Pool(_) => Ok(()),
                    Source::Tx(_) => Err($crate::nerve_core::Error::Unsupported {
                        what: format!(
                            "{what} inside a transaction: what it records when it refuses must \
                             survive, so call it on the store, not on the handle of atomic"
                        ),
                    }),
                }
            }

            fn borrow_tx<'s>(
                cell: &'s ::std::sync::Mutex<&'a mut $conn>,
            ) -> $crate::nerve_core::Result<::std::sync::MutexGuard<'s, &'a mut $conn>> {
                // The transaction's connection is used by one call at a time; a second call
                // while one runs (from the closure's own thread) is a bug, reported not awaited.
                cell.try_lock()
                    .map_err(|_| $crate::nerve_core::Error::Transaction {
                        reason: "a store call was made while another call on the same transaction \
                             was still running"
                            .into(),
                    })
            }

            /// Records how long operation `op` (from `op_name!`) took since `started`; given the
            /// pooled connection of a write that has committed, also writes the slow runs
            /// waiting (never from a read, never inside a caller's transaction).
            fn timed(&self, op: &'static str, started: ::std::time::Instant, conn: Option<&mut $conn>) {
                self.env.metrics.record(op, started.elapsed(), self.env.now());
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
            ) -> ::std::result::Result<$crate::r2d2::PooledConnection<$manager>, $crate::r2d2::Error> {
                let suspect = self.env.suspect();
                let mut tries = 0;
                loop {
                    let mut conn = pool.get()?;
                    tries += 1;
                    // Stamped in place: no allocation per checkout once the stamp exists.
                    let now = ::std::time::Instant::now();
                    let extensions = $crate::r2d2::PooledConnection::extensions_mut(&mut conn);
                    let idle = match extensions.get_mut::<$crate::LastUse>() {
                        Some(used) => Some(now.duration_since(::std::mem::replace(&mut used.0, now))),
                        None => {
                            extensions.insert($crate::LastUse(now));
                            None
                        }
                    };
                    let test = suspect || idle.is_some_and(|d| d > $crate::IDLE_BEFORE_TEST);
                    if !test
                        || tries > pool.max_size()
                        || $crate::diesel::r2d2::R2D2Connection::ping(&mut *conn).is_ok()
                    {
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
            ) -> $crate::nerve_core::Result<$crate::r2d2::PooledConnection<$manager>> {
                self.connection(pool).map_err(|e| {
                    self.timed(op, started, None);
                    self.env.pool_error(e)
                })
            }

            /// Runs `f`, which only reads, on a connection; `op` (from `op_name!`) names the
            /// operation in the store's timings. On a pooled connection a connection failure or
            /// a rollback by the database is tried again (see `RetryPolicy`; a pool that could
            /// not give a connection within connect_timeout is not asked again); with a
            /// statement timeout, `f` runs in a transaction that sets it.
            pub(crate) fn read<T>(
                &self,
                op: &'static str,
                mut f: impl FnMut(&mut $conn) -> $crate::nerve_core::Result<T>,
            ) -> $crate::nerve_core::Result<T> {
                let started = ::std::time::Instant::now();
                match &self.source {
                    Source::Pool(pool) => {
                        let mut attempt = 0;
                        loop {
                            let mut conn = self.checkout(pool, op, started)?;
                            let out = self.read_on(&mut conn, &mut f);
                            if let Err($crate::nerve_core::Error::Connection { .. }) = &out {
                                self.env.connection_failed();
                            }
                            match out {
                                Err(e)
                                    if attempt < self.env.retry.retries
                                        && (matches!(e, $crate::nerve_core::Error::Connection { .. })
                                            || $crate::errors::rolled_back(&e)) =>
                                {
                                    drop(conn);
                                    ::std::thread::sleep(self.env.retry.delay(attempt));
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
                        let out = f(&mut **guard);
                        self.timed(op, started, None);
                        out
                    }
                }
            }

            /// Runs the read `f` on the pooled connection `conn`: in a transaction that sets
            /// the statement timeout when there is one, else directly.
            fn read_on<T>(
                &self,
                conn: &mut $conn,
                f: &mut impl FnMut(&mut $conn) -> $crate::nerve_core::Result<T>,
            ) -> $crate::nerve_core::Result<T> {
                #[allow(unused_imports)]
                use $crate::diesel::Connection as _;
                if self.env.statement_timeout.is_some() {
                    conn.transaction(|c: &mut $conn| {
                        $begin(c, &self.env).map_err($crate::TxError::Nerve)?;
                        f(c).map_err($crate::TxError::Nerve)
                    })
                    .map_err(|e: $crate::TxError| e.into_error("-"))
                } else {
                    f(conn)
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
                mut f: impl FnMut(&mut $conn) -> $crate::nerve_core::Result<T>,
            ) -> $crate::nerve_core::Result<T> {
                if let (Source::Pool(_), Some(replica)) = (&self.source, &self.replica) {
                    if replica.usable() {
                        let started = ::std::time::Instant::now();
                        let out = match self.connection(&replica.pool) {
                            Ok(mut conn) => self.read_on(&mut conn, &mut f),
                            Err(e) => Err(self.env.pool_error(e)),
                        };
                        match out {
                            Err(e @ $crate::nerve_core::Error::Connection { .. }) => {
                                replica.went_away(&e);
                            }
                            Err(e) if $crate::errors::rolled_back(&e) => {
                                $crate::tracing::debug!(error = %e, "read cancelled on the replica; reading from the primary");
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
                mut f: impl FnMut(&mut $conn) -> $crate::nerve_core::Result<T>,
            ) -> $crate::nerve_core::Result<T> {
                #[allow(unused_imports)]
                use $crate::diesel::Connection as _;
                let started = ::std::time::Instant::now();
                match &self.source {
                    Source::Pool(pool) => {
                        let mut attempt = 0;
                        loop {
                            let mut conn = self.checkout(pool, op, started)?;
                            // Whether the transaction began: a connection that failed before
                            // (at BEGIN) wrote nothing, so the call is tried again.
                            let mut began = false;
                            let out = (&mut *conn)
                                .$write_tx(|c: &mut $conn| {
                                    began = true;
                                    $begin(c, &self.env).map_err($crate::TxError::Nerve)?;
                                    f(c).map_err($crate::TxError::Nerve)
                                })
                                .map_err(|e: $crate::TxError| e.into_error(table));
                            if let Err($crate::nerve_core::Error::Connection { .. }) = &out {
                                self.env.connection_failed();
                            }
                            match out {
                                Err(e) if attempt < self.env.retry.retries
                                    && ($crate::errors::rolled_back(&e)
                                        || (!began && matches!(e, $crate::nerve_core::Error::Connection { .. }))) =>
                                {
                                    drop(conn);
                                    ::std::thread::sleep(self.env.retry.delay(attempt));
                                    attempt += 1;
                                }
                                Err($crate::nerve_core::Error::Connection { reason }) => {
                                    return Err(self.outcome_unknown(op, started, reason));
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
                        let out = (&mut **guard)
                            .transaction(|c: &mut $conn| f(c).map_err($crate::TxError::Nerve));
                        self.timed(op, started, None);
                        out.map_err(|e: $crate::TxError| e.into_error(table))
                    }
                }
            }

            /// The error of a write whose connection failed while it ran (timed as a run of
            /// `op`): it may or may not have committed, so it is not tried again.
            fn outcome_unknown(
                &self,
                op: &'static str,
                started: ::std::time::Instant,
                reason: String,
            ) -> $crate::nerve_core::Error {
                self.timed(op, started, None);
                $crate::nerve_core::Error::Connection {
                    reason: format!(
                        "{reason}; the outcome of this write is unknown: it may or may not have \
                         been committed, so it was not tried again"
                    ),
                }
            }

            /// Runs `f`, a write of exactly one statement (atomic by itself), as [`Scope::write`]
            /// does, except that where the driver says so (`single_statement_autocommit`:
            /// PostgreSQL) and no statement timeout is set, on a pooled connection the
            /// statement runs alone, without BEGIN and COMMIT: one round trip instead of three.
            /// Not on SQLite: there a lone statement commits when Diesel resets it, and Diesel
            /// does not report an error from that reset (a failed commit after `RETURNING`
            /// would read as success). A rollback by the database is tried again; a connection
            /// failure leaves the outcome unknown and is returned, as for any write. Never give
            /// it a closure that runs two statements.
            pub(crate) fn write_one<T>(
                &self,
                op: &'static str,
                table: &'static str,
                mut f: impl FnMut(&mut $conn) -> $crate::nerve_core::Result<T>,
            ) -> $crate::nerve_core::Result<T> {
                let pool = match &self.source {
                    Source::Pool(pool) if $autocommit && self.env.statement_timeout.is_none() => pool,
                    _ => return self.write(op, table, f),
                };
                let started = ::std::time::Instant::now();
                let mut attempt = 0;
                loop {
                    let mut conn = self.checkout(pool, op, started)?;
                    let out = f(&mut conn);
                    match out {
                        Err(e) if attempt < self.env.retry.retries && $crate::errors::rolled_back(&e) => {
                            drop(conn);
                            ::std::thread::sleep(self.env.retry.delay(attempt));
                            attempt += 1;
                        }
                        Err($crate::nerve_core::Error::Connection { reason }) => {
                            self.env.connection_failed();
                            return Err(self.outcome_unknown(op, started, reason));
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
                env: &::std::sync::Arc<$crate::Env>,
                f: &mut dyn FnMut(&dyn $crate::nerve_core::Repos) -> $crate::nerve_core::Result<()>,
            ) -> $crate::nerve_core::Result<()> {
                #[allow(unused_imports)]
                use $crate::diesel::Connection as _;
                // Connections are taken as every call takes them (idle ones tested first).
                let taker = Scope::pooled(pool.clone(), env.clone());
                let mut attempt = 0;
                loop {
                    let mut conn = taker.connection(pool).map_err(|e| env.pool_error(e))?;
                    // A connection that failed at BEGIN ran nothing of `f`: tried again.
                    let mut began = false;
                    let out = (&mut *conn)
                        .$write_tx(|conn: &mut $conn| {
                            began = true;
                            $begin(conn, env).map_err($crate::TxError::Nerve)?;
                            let scope = Scope {
                                source: Source::Tx(::std::sync::Mutex::new(conn)),
                                env: env.clone(),
                                replica: None,
                            };
                            f(&scope).map_err($crate::TxError::Nerve)
                        })
                        .map_err(|e: $crate::TxError| e.into_error("-"));
                    match out {
                        Err($crate::nerve_core::Error::Connection { .. }) if !began && attempt < env.retry.retries => {
                            env.connection_failed();
                            drop(conn);
                            ::std::thread::sleep(env.retry.delay(attempt));
                            attempt += 1;
                        }
                        Err(e @ $crate::nerve_core::Error::Connection { .. }) => {
                            env.connection_failed();
                            return Err(e);
                        }
                        out => return out,
                    }
                }
            }
        }

        impl $crate::nerve_core::Repos for Scope<'_> {
            fn companies(&self) -> &dyn $crate::nerve_core::CompanyStore {
                self
            }
            fn users(&self) -> &dyn $crate::nerve_core::UserStore {
                self
            }
            fn auth(&self) -> &dyn $crate::nerve_core::AuthStore {
                self
            }
            fn sessions(&self) -> &dyn $crate::nerve_core::SessionStore {
                self
            }
            fn audit(&self) -> &dyn $crate::nerve_core::AuditStore {
                self
            }
            fn security_events(&self) -> &dyn $crate::nerve_core::SecurityEventStore {
                self
            }
            fn api_keys(&self) -> &dyn $crate::nerve_core::ApiKeyStore {
                self
            }
            fn attack_surface(&self) -> &dyn $crate::nerve_core::AttackSurfaceStore {
                self
            }
            fn bait(&self) -> &dyn $crate::nerve_core::BaitStore {
                self
            }
            fn compliance(&self) -> &dyn $crate::nerve_core::ComplianceStore {
                self
            }
            fn roadmap(&self) -> &dyn $crate::nerve_core::RoadmapStore {
                self
            }
            fn ghost(&self) -> &dyn $crate::nerve_core::GhostStore {
                self
            }
            fn osint(&self) -> &dyn $crate::nerve_core::OsintStore {
                self
            }
            fn uploads(&self) -> &dyn $crate::nerve_core::UploadStore {
                self
            }
            fn raw_rows(&self) -> &dyn $crate::nerve_core::RawRows {
                self
            }
        }

        impl $crate::nerve_core::Repos for $store {
            fn companies(&self) -> &dyn $crate::nerve_core::CompanyStore {
                &self.scope
            }
            fn users(&self) -> &dyn $crate::nerve_core::UserStore {
                &self.scope
            }
            fn auth(&self) -> &dyn $crate::nerve_core::AuthStore {
                &self.scope
            }
            fn sessions(&self) -> &dyn $crate::nerve_core::SessionStore {
                &self.scope
            }
            fn audit(&self) -> &dyn $crate::nerve_core::AuditStore {
                &self.scope
            }
            fn security_events(&self) -> &dyn $crate::nerve_core::SecurityEventStore {
                &self.scope
            }
            fn api_keys(&self) -> &dyn $crate::nerve_core::ApiKeyStore {
                &self.scope
            }
            fn attack_surface(&self) -> &dyn $crate::nerve_core::AttackSurfaceStore {
                &self.scope
            }
            fn bait(&self) -> &dyn $crate::nerve_core::BaitStore {
                &self.scope
            }
            fn compliance(&self) -> &dyn $crate::nerve_core::ComplianceStore {
                &self.scope
            }
            fn roadmap(&self) -> &dyn $crate::nerve_core::RoadmapStore {
                &self.scope
            }
            fn ghost(&self) -> &dyn $crate::nerve_core::GhostStore {
                &self.scope
            }
            fn osint(&self) -> &dyn $crate::nerve_core::OsintStore {
                &self.scope
            }
            fn uploads(&self) -> &dyn $crate::nerve_core::UploadStore {
                &self.scope
            }
            fn raw_rows(&self) -> &dyn $crate::nerve_core::RawRows {
                &self.scope
            }
        }
    };
}
