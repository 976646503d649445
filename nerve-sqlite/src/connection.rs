//! SQLite URLs, connections and their per-connection settings.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection};
use libsqlite3_sys as ffi;
use nerve_core::{Error, Result};
use std::path::PathBuf;

/// How long a connection waits for another writer's lock before failing, in milliseconds.
pub const BUSY_TIMEOUT_MS: u32 = 5_000;

/// The per-connection settings after the busy handler ([`wait_when_busy`], which goes first, so
/// these wait for a lock instead of failing), one statement each.
const PRAGMAS: [&str; 3] = [
    "PRAGMA foreign_keys = ON",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
];

/// What a SQLite URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A database file (`sqlite://PATH`; `sqlite:///abs/path` for an absolute path).
    File(PathBuf),
    /// A private in-memory database (`sqlite::memory:`).
    Memory,
}

/// Parses `sqlite://PATH` or `sqlite::memory:`. Anything else, or an empty path, is an
/// [`Error::Connect`] saying which forms are accepted.
pub fn parse_url(url: &str) -> Result<Target> {
    if url == "sqlite::memory:" || url == "sqlite://:memory:" {
        return Ok(Target::Memory);
    }
    match url.strip_prefix("sqlite://") {
        Some(path) if !path.is_empty() && !path.contains('?') => Ok(Target::File(path.into())),
        _ => Err(Error::Connect {
            reason: format!(
                "'{}' is not a SQLite URL: use sqlite://PATH (sqlite:///ABSOLUTE/PATH) or \
                 sqlite::memory:, without query parameters",
                nerve_core::url::redact(url)
            ),
        }),
    }
}

impl Target {
    /// The name SQLite opens: the path, or `:memory:`.
    pub(crate) fn database(&self) -> Result<String> {
        match self {
            Target::Memory => Ok(":memory:".into()),
            Target::File(p) => p.to_str().map(str::to_owned).ok_or_else(|| Error::Connect {
                reason: format!("the path {} is not valid UTF-8", p.display()),
            }),
        }
    }

    /// Creates the directory of a file database when it is missing.
    pub(crate) fn ensure_directory(&self) -> Result<()> {
        if let Target::File(path) = self {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::Connect {
                    reason: format!("cannot create the directory {}: {e}", dir.display()),
                })?;
            }
        }
        Ok(())
    }
}

fn configure(conn: &mut SqliteConnection) -> QueryResult<()> {
    stable_plans(conn);
    wait_when_busy(conn);
    forget_busy_mark();
    let started = std::time::Instant::now();
    for pragma in PRAGMAS {
        loop {
            match conn.batch_execute(pragma) {
                Ok(()) => break,
                // Switching a new file to WAL needs an exclusive lock, and SQLite reports
                // SQLITE_BUSY at once (without its busy handler) while another connection holds
                // the file: wait for it, as the busy timeout promises.
                Err(_)
                    if busy(conn)
                        && started.elapsed().as_millis() < u128::from(BUSY_TIMEOUT_MS) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Whether the last call that failed on `conn` failed because another connection held a lock
/// it needed (`SQLITE_BUSY`, with any extended code). Ask right after the failure, once, on the
/// thread that ran it: a later call replaces the code, and the question takes the mark (any
/// connection's). Diesel reports this failure with no error
/// kind, so the connection itself tells it apart (never the message): its result code, or, for
/// a statement whose code Diesel's reset of it has cleared (a lone `INSERT ... RETURNING` run
/// without `BEGIN`), the mark [`wait_when_busy`]'s handler left when it gave up.
pub(crate) fn busy(conn: &mut SqliteConnection) -> bool {
    // SAFETY: the handle is `conn`'s open connection, used only for the duration of the
    // closure and on this thread; `sqlite3_extended_errcode` only reads its last result code.
    let (code, db) =
        unsafe { conn.with_raw_connection(|db| (ffi::sqlite3_extended_errcode(db), db as usize)) };
    let gave_up = GAVE_UP.with(|mark| mark.take() == Some(db));
    code & 0xff == ffi::SQLITE_BUSY || gave_up
}

/// Forgets a mark no one asked about (a failure whose error was not classified, such as a
/// migration's): called when the store takes a connection for a call
/// (`Driver::on_checkout`), so that it is never taken for that call's failure, nor for another
/// connection's that reuses a closed one's address.
pub(crate) fn forget_busy_mark() {
    GAVE_UP.with(|mark| mark.set(None));
}

thread_local! {
    /// The connection (its handle's address) whose busy handler last gave up on this thread:
    /// the call it ran in failed with `SQLITE_BUSY`. Taken by [`busy`], forgotten by
    /// [`forget_busy_mark`].
    static GAVE_UP: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Makes `conn` wait for another connection's lock for up to [`BUSY_TIMEOUT_MS`], as
/// `PRAGMA busy_timeout` would, sleeping 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100
/// ms between tries (SQLite's own steps). Unlike the pragma, a wait that runs out marks the
/// connection so that [`busy`] can tell the failure apart after Diesel has reset the statement
/// (which clears the result code). The handler runs on the thread stepping the statement, so
/// the mark is that thread's.
pub(crate) fn wait_when_busy(conn: &mut SqliteConnection) {
    wait_when_busy_for(conn, BUSY_TIMEOUT_MS);
}

/// [`wait_when_busy`] with a timeout of `timeout_ms`.
fn wait_when_busy_for(conn: &mut SqliteConnection, timeout_ms: u32) {
    // SAFETY: only the handle's address is taken, as the mark's name for this connection.
    let db = unsafe { conn.with_raw_connection(|db| db as usize) };
    conn.on_busy(move |tries| match busy_delay(tries, timeout_ms) {
        Some(ms) => {
            std::thread::sleep(std::time::Duration::from_millis(u64::from(ms)));
            diesel::sqlite::BusyDecision::Retry
        }
        None => {
            GAVE_UP.with(|mark| mark.set(Some(db)));
            diesel::sqlite::BusyDecision::GiveUp
        }
    });
}

/// How long to sleep before try `tries + 1` of a lock (`tries` made so far), or `None` once
/// the sleeps so far have used up `timeout_ms`; the last sleep is cut to end at the timeout.
fn busy_delay(tries: i32, timeout_ms: u32) -> Option<u32> {
    const STEPS: [u32; 12] = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100];
    let tries = usize::try_from(tries).unwrap_or(0);
    let slept: u32 = match STEPS.get(..tries) {
        Some(done) => done.iter().sum(),
        None => {
            let past = u32::try_from(tries - STEPS.len()).unwrap_or(u32::MAX);
            STEPS
                .iter()
                .sum::<u32>()
                .saturating_add(past.saturating_mul(100))
        }
    };
    let next = STEPS.get(tries).copied().unwrap_or(100);
    (slept < timeout_ms).then(|| next.min(timeout_ms - slept))
}

/// One configured connection to `target`, its directory created first.
pub(crate) fn establish(target: &Target) -> Result<SqliteConnection> {
    target.ensure_directory()?;
    let database = target.database()?;
    let mut conn = SqliteConnection::establish(&database).map_err(|e| Error::Connect {
        reason: format!("cannot open the SQLite database {database}: {e}"),
    })?;
    configure(&mut conn).map_err(|e| Error::Connect {
        reason: format!("cannot configure the SQLite database {database}: {e}"),
    })?;
    Ok(conn)
}

/// A read-only connection to an existing database file, with only the busy timeout set:
/// nothing about the file changes (no journal-mode switch, no `-wal` file created).
pub(crate) fn establish_read_only(target: &Target) -> Result<SqliteConnection> {
    let Target::File(path) = target else {
        return Err(memory_unsupported());
    };
    if !path.exists() {
        return Err(Error::Connect {
            reason: format!(
                "there is no SQLite database at {} (`nerve migrate` creates it)",
                path.display()
            ),
        });
    }
    let database = target.database()?;
    let uri = format!(
        "file:{}?mode=ro",
        database
            .replace('%', "%25")
            .replace('#', "%23")
            .replace('?', "%3f")
    );
    let mut conn = SqliteConnection::establish(&uri).map_err(|e| Error::Connect {
        reason: format!("cannot open the SQLite database {database}: {e}"),
    })?;
    wait_when_busy(&mut conn);
    Ok(conn)
}

/// A read-write connection to an existing database file that changes nothing about the file
/// by itself: the busy timeout and foreign keys on (both per connection), its journal mode
/// left as it is (for adopting a database another application may still open).
pub(crate) fn establish_as_is(target: &Target) -> Result<SqliteConnection> {
    drop(establish_read_only(target)?);
    let database = target.database()?;
    let mut conn = SqliteConnection::establish(&database).map_err(|e| Error::Connect {
        reason: format!("cannot open the SQLite database {database}: {e}"),
    })?;
    wait_when_busy(&mut conn);
    conn.batch_execute("PRAGMA foreign_keys = ON")
        .map_err(|e| Error::Connect {
            reason: format!("cannot configure the SQLite database {database}: {e}"),
        })?;
    Ok(conn)
}

/// Why a separate operation on `sqlite::memory:` is refused.
pub(crate) fn memory_unsupported() -> Error {
    Error::Unsupported {
        what: "this operation on sqlite::memory:: a memory database exists only inside the \
               store that opened it (nerve::connect applies its migrations)"
            .into(),
    }
}

/// Applies the busy timeout and [`PRAGMAS`] to every connection the pool opens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pragmas;

impl CustomizeConnection<Box<SqliteConnection>, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut Box<SqliteConnection>) -> Result<(), diesel::r2d2::Error> {
        configure(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The connection manager for `target`.
pub(crate) fn manager(target: &Target) -> Result<Manager> {
    Ok(nerve_diesel::Boxed(ConnectionManager::new(
        target.database()?,
    )))
}

/// Diesel's r2d2 manager, its connections boxed; [`Pragmas`] configures each one it opens.
pub(crate) type Manager = nerve_diesel::Boxed<ConnectionManager<SqliteConnection>>;

/// Turns on the query planner's stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`) for `conn`.
/// Without it SQLite marks every statement with a bound `LIMIT` (which Diesel binds for
/// `first()` and every page) as depending on its parameters, and compiles the statement again
/// at each run, which made a cached point read four times slower. Plans are then made once per
/// statement, whatever values are bound. If SQLite refuses the option, the connection works as
/// before, only slower.
fn stable_plans(conn: &mut SqliteConnection) {
    // SAFETY: the handle is `conn`'s open connection, used only during the closure and on this
    // thread; the option takes an int and an optional int pointer for the old value.
    unsafe {
        conn.with_raw_connection(|db| {
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as std::ffi::c_int,
                std::ptr::null_mut::<std::ffi::c_int>(),
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("sqlite::memory:").unwrap(), Target::Memory);
        assert_eq!(
            parse_url("sqlite://data/nerve.db").unwrap(),
            Target::File("data/nerve.db".into())
        );
        assert_eq!(
            parse_url("sqlite:///tmp/x.db").unwrap(),
            Target::File("/tmp/x.db".into())
        );
        for bad in [
            "sqlite://",
            "sqlite:x.db",
            "sqlite://x.db?mode=ro",
            "postgres://h/db",
        ] {
            assert!(
                matches!(parse_url(bad), Err(Error::Connect { .. })),
                "{bad}"
            );
        }
    }

    fn qpsg(conn: &mut SqliteConnection) -> std::ffi::c_int {
        let mut on: std::ffi::c_int = -1;
        // SAFETY: `conn`'s open handle; -1 leaves the option as it is and reports it in `on`.
        unsafe {
            conn.with_raw_connection(|db| {
                ffi::sqlite3_db_config(
                    db,
                    ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                    -1 as std::ffi::c_int,
                    &mut on as *mut std::ffi::c_int,
                )
            });
        }
        on
    }

    #[test]
    fn every_connection_the_store_opens_has_stable_plans() {
        let mut bare = SqliteConnection::establish(":memory:").unwrap();
        assert_eq!(qpsg(&mut bare), 0, "SQLite's default");
        assert_eq!(qpsg(&mut establish(&Target::Memory).unwrap()), 1);
        let mut pooled = r2d2::Pool::builder()
            .max_size(1)
            .connection_customizer(Box::new(Pragmas))
            .build(manager(&Target::Memory).unwrap())
            .unwrap()
            .get()
            .unwrap();
        assert_eq!(qpsg(&mut pooled), 1);
    }

    #[test]
    fn busy_is_told_by_the_result_code() {
        let dir = tempfile::tempdir().unwrap();
        let target = Target::File(dir.path().join("busy.db"));
        let mut holder = establish(&target).unwrap();
        let mut waiter = establish(&target).unwrap();
        holder.batch_execute("BEGIN IMMEDIATE").unwrap();
        waiter.batch_execute("PRAGMA busy_timeout = 0").unwrap();
        assert!(waiter.batch_execute("BEGIN IMMEDIATE").is_err());
        assert!(busy(&mut waiter), "SQLITE_BUSY after the refused BEGIN");
        let unknown_table = waiter.batch_execute("SELECT * FROM nowhere");
        assert!(unknown_table.is_err());
        assert!(!busy(&mut waiter), "another failure replaces the code");
        holder.batch_execute("COMMIT").unwrap();
    }

    #[test]
    fn a_lone_statement_refused_for_a_lock_is_told_apart_once() {
        diesel::table! {
            t (id) {
                id -> BigInt,
                x -> BigInt,
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let target = Target::File(dir.path().join("lone.db"));
        let mut holder = establish(&target).unwrap();
        holder
            .batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)")
            .unwrap();
        let mut waiter = establish(&target).unwrap();
        let mut other = establish(&target).unwrap();
        wait_when_busy_for(&mut waiter, 30);
        holder.batch_execute("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        // A cached `INSERT ... RETURNING` loaded as the store loads one (whose result code is
        // cleared by the time the store asks: tests/tests/load.rs fails without the mark).
        let insert = || {
            diesel::insert_into(t::table)
                .values(t::x.eq(1))
                .returning(t::id)
        };
        let lone = insert().load::<i64>(&mut waiter);
        assert!(lone.is_err(), "the lock is held");
        assert!(
            started.elapsed() >= std::time::Duration::from_millis(30),
            "it waited"
        );
        // SAFETY: only the handle's address is read.
        let waiter_db = unsafe { waiter.with_raw_connection(|db| db as usize) };
        assert_eq!(
            GAVE_UP.with(|mark| mark.get()),
            Some(waiter_db),
            "the handler gave up"
        );
        assert!(busy(&mut waiter), "SQLITE_BUSY after the refused statement");
        let unknown_table = waiter.batch_execute("SELECT * FROM nowhere");
        assert!(unknown_table.is_err());
        assert!(
            !busy(&mut waiter),
            "the mark is taken by the first question"
        );
        // Another connection's question does not count this one's failure as its own.
        insert().load::<i64>(&mut waiter).unwrap_err();
        assert!(
            !busy(&mut other),
            "the mark named the connection that gave up"
        );
        // A mark no one asked about is forgotten when the connection is taken for a call.
        insert().load::<i64>(&mut waiter).unwrap_err();
        forget_busy_mark();
        let unknown_table = waiter.batch_execute("SELECT * FROM nowhere");
        assert!(unknown_table.is_err());
        assert!(!busy(&mut waiter), "a forgotten mark is not this failure's");
        holder.batch_execute("COMMIT").unwrap();
        insert().load::<i64>(&mut waiter).expect("the lock is gone");
    }

    #[test]
    fn the_busy_wait_sleeps_sqlites_steps_up_to_the_timeout() {
        let sleeps: Vec<u32> = (0..).map_while(|tries| busy_delay(tries, 500)).collect();
        assert_eq!(sleeps[..4], [1, 2, 5, 10]);
        assert_eq!(sleeps.iter().sum::<u32>(), 500, "{sleeps:?}");
        assert_eq!(
            sleeps.len(),
            14,
            "12 steps (328 ms), one of 100, the last cut to 72"
        );
        let full: u32 = (0..)
            .map_while(|tries| busy_delay(tries, BUSY_TIMEOUT_MS))
            .sum();
        assert_eq!(full, BUSY_TIMEOUT_MS);
        assert_eq!(
            busy_delay(-1, 10),
            Some(1),
            "a count below zero is the first try"
        );
    }
}
