//! # nerve-postgres: the NERVE storage driver for PostgreSQL
//!
//! Diesel + r2d2 over libpq. Opens `postgres://` and `postgresql://` URLs (libpq's URI form).
//! The schema is the spec's Phase 7: BIGINT identity keys, TIMESTAMPTZ, native ENUM types,
//! partial indexes over live rows. Migrations (embedded from `migrations_postgres/`) run on a
//! dedicated connection before the pool is built, in one transaction holding an advisory lock,
//! so concurrent `migrate` runs serialize and a failed run keeps nothing.
//!
//! Use the `nerve` facade rather than this crate directly.
#![deny(missing_docs)]

mod backup;
mod baseline;
pub mod bulk;
mod describe;
mod driver;
mod health;
mod schema;
mod store;
#[path = "../../nerve-diesel/each_driver/mod.rs"]
mod stores;

pub use store::{url_options, PgStore, URL_PARAMETERS};

use nerve_core::{Result, SchemaStatus, StoreOptions};

/// The advisory lock key held while migrating (`pg_advisory_xact_lock`): ASCII "NERVEMIG".
pub const MIGRATION_LOCK_KEY: i64 = 0x4E45_5256_454D_4947;

/// Opens the PostgreSQL database at `url` as a store, doing what `options.migrations` says
/// about pending migrations.
///
/// Errors: [`nerve_core::Error::Connect`] when the server cannot be reached or refuses
/// (the URL's password is never shown); [`nerve_core::Error::PendingMigrations`] and
/// [`nerve_core::Error::SchemaTooNew`] as the policy says; [`nerve_core::Error::Migration`]
/// when applying fails (nothing of the run is kept).
pub fn open(url: &str, options: &StoreOptions) -> Result<PgStore> {
    PgStore::open(url, options)
}

/// Applies the pending migrations to the database at `url` under the advisory lock
/// [`MIGRATION_LOCK_KEY`], all in one transaction. Returns the names of the migrations
/// applied, oldest first (empty when none was pending).
pub fn migrate(url: &str) -> Result<Vec<String>> {
    store::migrate(&mut store::establish(url)?)
}

/// Reverts the newest `steps` migrations of the database at `url` by running their down.sql,
/// all in one transaction under the advisory lock [`MIGRATION_LOCK_KEY`]; returns the names
/// reverted, newest first.
pub fn revert(url: &str, steps: usize) -> Result<Vec<String>> {
    store::revert(&mut store::establish(url)?, steps)
}

/// The schema of the database at `url` (its `public` schema) in backend-neutral terms, read
/// from its catalog, changing nothing.
pub fn describe_schema(url: &str) -> Result<nerve_core::model::SchemaDescription> {
    store::in_transaction(&mut store::establish(url)?, describe::describe)
}

/// The schema status of the database at `url`, without changing anything.
pub fn schema_status(url: &str) -> Result<SchemaStatus> {
    store::in_transaction(&mut store::establish(url)?, store::schema_status)
}

/// Adopts the database at `url`, made outside the migration runner: see
/// [`nerve_core::baseline::run`]. The comparison is with a temporary reference database the
/// migrations build on the same server (`nerve_baseline_*`, dropped afterwards), so the role
/// needs CREATEDB.
pub fn baseline(url: &str, apply: bool) -> Result<nerve_core::baseline::BaselineReport> {
    let mut driver = baseline::Postgres::open(url)?;
    nerve_core::baseline::run(&mut driver, apply)
}

/// This driver's entry points for the `nerve` facade, which picks a driver by URL.
pub const DRIVER: nerve_core::AnyDriver = nerve_core::AnyDriver {
    backend: nerve_core::Backend::Postgres,
    open: |url, options| Ok(Box::new(open(url, options)?)),
    migrate,
    revert,
    describe_schema,
    baseline,
    schema_status,
    embedded_migrations: store::embedded_versions,
};
