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
    conn.batch_execute(&format!("PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}"))?;
    let started = std::time::Instant::now();
    for pragma in PRAGMAS {
        loop {
            match conn.batch_execute(pragma) {
                Ok(()) => break,
                // Switching a new file to WAL needs an exclusive lock, and SQLite reports
                // SQLITE_BUSY at once (without its busy handler) while another connection holds
                // the file: wait for it, as the busy timeout promises. Diesel reports SQLITE_BUSY
                // only as text; this internal retry is the one place that reads it.
                Err(e)
                    if is_busy(&e)
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

fn is_busy(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(_, info) if info.message().contains("database is locked"))
}

/// One configured connection to `target`, its directory created first.
pub(crate) fn establish(target: &Target) -> Result<SqliteConnection> {
    target.ensure_directory()?;
    let database = target.database()?;
    let mut conn = with_stable_plans(|| SqliteConnection::establish(&database)).map_err(|e| {
        Error::Connect {
            reason: format!("cannot open the SQLite database {database}: {e}"),
        }
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

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        configure(conn).map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The connection manager for `target`.
pub(crate) fn manager(target: &Target) -> Result<Manager> {
    Ok(Manager(ConnectionManager::new(target.database()?)))
}

/// Diesel's r2d2 manager, opening every connection with the query planner's stability
/// guarantee (see [`with_stable_plans`]).
#[derive(Debug)]
pub(crate) struct Manager(ConnectionManager<SqliteConnection>);

impl r2d2::ManageConnection for Manager {
    type Connection = SqliteConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> std::result::Result<SqliteConnection, Self::Error> {
        with_stable_plans(|| self.0.connect())
    }

    fn is_valid(&self, conn: &mut SqliteConnection) -> std::result::Result<(), Self::Error> {
        self.0.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut SqliteConnection) -> bool {
        self.0.has_broken(conn)
    }
}

thread_local! {
    /// Whether the connection this thread is opening is NERVE's (see [`with_stable_plans`]).
    static OPENING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// SQLite's hook for every connection the process opens (an auto extension): turns on the
/// query planner's stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`) for the connections
/// NERVE opens, and leaves every other connection of the process as it is.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _: *mut *mut std::ffi::c_char,
    _: *const ffi::sqlite3_api_routines,
) -> std::ffi::c_int {
    if OPENING.with(std::cell::Cell::get) {
        // SAFETY: `db` is the connection SQLite is opening; the option takes an int and an
        // optional int pointer for the old value.
        unsafe {
            ffi::sqlite3_db_config(
                db,
                ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
                1 as std::ffi::c_int,
                std::ptr::null_mut::<std::ffi::c_int>(),
            );
        }
    }
    ffi::SQLITE_OK
}

/// Runs `open`, which opens a connection on this thread, with the query planner's stability
/// guarantee on for it. Without it SQLite marks every statement with a bound `LIMIT` (which
/// Diesel binds for `first()` and every page) as depending on its parameters, and compiles the
/// statement again at each run, which made a cached point read four times slower. Plans are
/// then made once per statement, whatever values are bound. If SQLite refuses the hook, the
/// connection works as before, only slower.
pub(crate) fn with_stable_plans<T>(open: impl FnOnce() -> T) -> T {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: registers a function with the signature SQLite calls auto extensions with.
        unsafe {
            ffi::sqlite3_auto_extension(Some(on_open));
        }
    });
    OPENING.with(|o| o.set(true));
    let out = open();
    OPENING.with(|o| o.set(false));
    out
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
}
