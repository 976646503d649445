//! SQLite URLs, connections and their per-connection settings.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection};
use libsqlite3_sys as ffi;
use nerve_core::{Error, Result};
use std::path::PathBuf;

/// How long a connection waits for another writer's lock before failing, in milliseconds.
pub const BUSY_TIMEOUT_MS: u32 = 5_000;

/// The per-connection settings after `busy_timeout` (which goes first, so these wait for a
/// lock instead of failing), one statement each.
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
    conn.batch_execute(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))?;
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
/// it needed (`SQLITE_BUSY`, with any extended code). Ask right after the failure: a later
/// call replaces the code. Diesel reports this failure with no error kind, so the connection's
/// own result code is what tells it apart (never the message).
pub(crate) fn busy(conn: &mut SqliteConnection) -> bool {
    // SAFETY: the handle is `conn`'s open connection, used only for the duration of the
    // closure and on this thread; `sqlite3_extended_errcode` only reads its last result code.
    let code = unsafe { conn.with_raw_connection(|db| ffi::sqlite3_extended_errcode(db)) };
    code & 0xff == ffi::SQLITE_BUSY
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
    conn.batch_execute(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))
        .map_err(|e| Error::Connect {
            reason: format!("cannot configure the SQLite database {database}: {e}"),
        })?;
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
    conn.batch_execute(&format!(
        "PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON"
    ))
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
}
