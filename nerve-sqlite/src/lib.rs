//! # nerve-sqlite: the NERVE storage driver for SQLite
//!
//! Diesel + r2d2 over a bundled, current SQLite. Opens `sqlite://PATH` (a file, its directory
//! created when missing) or `sqlite::memory:` (one connection, so one database). Every
//! connection waits up to [`BUSY_TIMEOUT_MS`] for another's lock (the store's own busy
//! handler, which marks a wait that ran out so the write is tried again) and sets
//! `foreign_keys = ON`, `journal_mode = WAL` and `synchronous = NORMAL`. Writes of several
//! statements run in `BEGIN IMMEDIATE` transactions, so a writer waits for the lock at its start
//! instead of failing half-way with "database is locked"; a write of one statement runs alone
//! and takes the lock as it starts.
//!
//! The migrations of `migrations_sqlite/` are embedded. Use the `nerve` facade rather than this
//! crate directly.
#![deny(missing_docs)]

mod backup;
mod baseline;
mod connection;
mod describe;
mod driver;
pub mod export;
mod health;
pub mod import;
mod schema;
mod store;
#[path = "../../nerve-diesel/each_driver/mod.rs"]
mod stores;

pub use connection::{parse_url, Target, BUSY_TIMEOUT_MS};
pub use store::SqliteStore;

use nerve_core::{Result, SchemaStatus, StoreOptions};

/// Opens the SQLite database at `url` as a store, doing what `options.migrations` says about
/// pending migrations.
///
/// Errors: [`nerve_core::Error::Connect`] for a malformed URL, a directory that cannot be
/// created or a file that cannot be opened; [`nerve_core::Error::PendingMigrations`] and
/// [`nerve_core::Error::SchemaTooNew`] as the policy says; [`nerve_core::Error::Migration`]
/// when applying fails (nothing of the run is kept).
pub fn open(url: &str, options: &StoreOptions) -> Result<SqliteStore> {
    SqliteStore::open(url, options)
}

/// Applies the pending migrations to the database at `url` (creating it when missing) in one
/// `BEGIN IMMEDIATE` transaction, so concurrent runs serialize and a failed run keeps nothing.
/// Returns the names of the migrations applied, oldest first (empty when none was pending).
/// `sqlite::memory:` is refused ([`nerve_core::Error::Unsupported`]): such a database would
/// vanish with this call's connection.
pub fn migrate(url: &str) -> Result<Vec<String>> {
    let target = parse_url(url)?;
    if target == Target::Memory {
        return Err(connection::memory_unsupported());
    }
    store::migrate(&mut connection::establish(&target)?)
}

/// Reverts the newest `steps` migrations of the database at `url` by running their down.sql,
/// all in one `BEGIN IMMEDIATE` transaction; returns the names reverted, newest first.
/// `sqlite::memory:` is refused ([`nerve_core::Error::Unsupported`]), and so is a file that
/// does not exist ([`nerve_core::Error::Connect`]).
pub fn revert(url: &str, steps: usize) -> Result<Vec<String>> {
    let target = parse_url(url)?;
    // Opening read-only first refuses a memory database and a missing file (a mistyped path
    // must not create a database).
    drop(connection::establish_read_only(&target)?);
    store::revert(&mut connection::establish(&target)?, steps)
}

/// The schema of the database at `url` in backend-neutral terms, read from its catalog through
/// a read-only connection. `sqlite::memory:` is refused ([`nerve_core::Error::Unsupported`]).
pub fn describe_schema(url: &str) -> Result<nerve_core::model::SchemaDescription> {
    describe::describe(&mut connection::establish_read_only(&parse_url(url)?)?)
}

/// The schema status of the database at `url`, read through a read-only connection: nothing
/// changes, and a file that does not exist is an [`nerve_core::Error::Connect`], not
/// created. `sqlite::memory:` is refused ([`nerve_core::Error::Unsupported`]).
pub fn schema_status(url: &str) -> Result<SchemaStatus> {
    store::schema_status(&mut connection::establish_read_only(&parse_url(url)?)?)
}

/// Adopts the database at `url`, made outside the migration runner: see
/// [`nerve_core::baseline::run`]. The file must exist; `sqlite::memory:` is refused
/// ([`nerve_core::Error::Unsupported`]).
pub fn baseline(url: &str, apply: bool) -> Result<nerve_core::baseline::BaselineReport> {
    let mut driver = baseline::Sqlite::open(&parse_url(url)?)?;
    nerve_core::baseline::run(&mut driver, apply)
}

/// This driver's entry points for the `nerve` facade, which picks a driver by URL.
pub const DRIVER: nerve_core::AnyDriver = nerve_core::AnyDriver {
    backend: nerve_core::Backend::Sqlite,
    open: |url, options| Ok(Box::new(open(url, options)?)),
    migrate,
    revert,
    describe_schema,
    baseline,
    schema_status,
    embedded_migrations: store::embedded_versions,
};
