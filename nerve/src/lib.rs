//! # nerve: NERVE storage
//!
//! The one crate services embed. [`connect`] opens a database from a URL and returns the
//! storage contract of [`nerve_core`] as a `Box<dyn Store>`, whichever backend the URL names:
//!
//! | URL | backend | Cargo feature |
//! |---|---|---|
//! | `sqlite://PATH`, `sqlite:///ABSOLUTE/PATH` | SQLite file (directory created) | `sqlite` (default) |
//! | `sqlite::memory:` | private in-memory SQLite, one connection | `sqlite` (default) |
//! | `postgres://...`, `postgresql://...` | PostgreSQL (libpq URI) | `postgres` |
//!
//! A URL for a driver that was not compiled in is refused with [`Error::Unsupported`] naming
//! the Cargo feature to enable.
//!
//! ```no_run
//! use nerve::{connect_with, MigrationPolicy, StoreOptions};
//! use nerve::model::NewCompany;
//!
//! let options = StoreOptions { migrations: MigrationPolicy::Apply, ..Default::default() };
//! let store = connect_with("sqlite://data/nerve.db", &options)?;
//! let acme = store.companies().create(&NewCompany { name: "ACME".into(), domain: None })?;
//! # Ok::<(), nerve::Error>(())
//! ```
#![deny(missing_docs)]

pub use nerve_core::*;

#[cfg(feature = "tokio")]
pub mod async_store;
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub mod copy;
#[cfg(all(feature = "sqlite", feature = "postgres"))]
pub mod import;
#[cfg(all(feature = "sqlite", feature = "postgres"))]
mod staging;

/// The README's code compiles: its Rust blocks are doctests of this crate. Its async example
/// needs the `tokio` feature, which the workspace's test build has (the conformance crate
/// enables it); the one-driver builds of `scripts/test.sh` leave the README to that run.
#[cfg(all(doctest, feature = "tokio"))]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// The drivers compiled into this build (by Cargo feature), in [`Backend::ALL`] order: the one
/// table every URL-taking function below dispatches through.
const DRIVERS: &[AnyDriver] = &[
    #[cfg(feature = "sqlite")]
    nerve_sqlite::DRIVER,
    #[cfg(feature = "postgres")]
    nerve_postgres::DRIVER,
];

/// The backends compiled into this build, in [`Backend::ALL`] order.
pub fn compiled_backends() -> Vec<Backend> {
    DRIVERS.iter().map(|d| d.backend).collect()
}

/// The versions of the migrations this build embeds, oldest first: the newest is the schema
/// version of a current database. The same on every compiled backend (their migrations have
/// the same versions and names, which the conformance suite checks); empty in a build with no
/// driver.
pub fn embedded_migrations() -> Vec<String> {
    DRIVERS
        .first()
        .map(|d| (d.embedded_migrations)())
        .unwrap_or_default()
}

/// Which backend `url` names, or why it cannot be opened by this build: an unknown scheme, or
/// a backend whose Cargo feature was not enabled.
pub fn backend_for(url: &str) -> Result<Backend> {
    driver_for(url).map(|d| d.backend)
}

/// The compiled driver for `url`, or the error [`backend_for`] documents.
fn driver_for(url: &str) -> Result<&'static AnyDriver> {
    let backend = url::backend_of(url).ok_or_else(|| Error::Unsupported {
        what: format!(
            "the database URL '{}': use sqlite://PATH, sqlite::memory:, postgres://... or \
             postgresql://...",
            url::redact(url)
        ),
    })?;
    DRIVERS
        .iter()
        .find(|d| d.backend == backend)
        .ok_or_else(|| Error::Unsupported {
            what: format!(
                "the database URL '{}' needs the {backend} driver, which this build of nerve \
                 does not include: enable the Cargo feature `{}` of the `nerve` crate",
                url::redact(url),
                backend.name()
            ),
        })
}

/// Opens the database at `url` with production defaults ([`StoreOptions::default`]): the
/// system clock, recommended argon2id cost, and migrations required (a database with pending
/// migrations is refused with [`Error::PendingMigrations`]; run [`migrate`] first).
pub fn connect(url: &str) -> Result<Box<dyn Store>> {
    connect_with(url, &StoreOptions::default())
}

/// Opens the database at `url` with `options`.
pub fn connect_with(url: &str, options: &StoreOptions) -> Result<Box<dyn Store>> {
    (driver_for(url)?.open)(url, options)
}

/// Applies the pending migrations to the database at `url` (all in one transaction, under a
/// lock: `BEGIN IMMEDIATE` on SQLite, an advisory lock on PostgreSQL) and returns the names of
/// those applied, oldest first. A database migrated by a newer binary is refused with
/// [`Error::SchemaTooNew`]. For `sqlite::memory:` use [`connect_with`] and
/// [`MigrationPolicy::Apply`] instead: each connection has its own memory database.
pub fn migrate(url: &str) -> Result<Vec<String>> {
    (driver_for(url)?.migrate)(url)
}

/// Reverts the newest `steps` applied migrations of the database at `url` (their down.sql, all
/// in one transaction under the same lock as [`migrate`]) and returns the names reverted,
/// newest first; fewer when fewer are applied. This drops tables and their data: it is for
/// rolling back a release, after a backup. A database migrated by a newer binary is refused
/// with [`Error::SchemaTooNew`].
pub fn revert(url: &str, steps: usize) -> Result<Vec<String>> {
    (driver_for(url)?.revert)(url, steps)
}

/// The schema of the database at `url` in backend-neutral terms, read from its catalog and
/// changing nothing: tables, columns with logical types, nullability, normalized defaults and
/// length limits, keys, foreign keys with ON DELETE rules, unique constraints, indexes with
/// normalized predicates, value sets. Two backends at the same schema version give equal
/// descriptions (and equal JSON). Works on databases not made by nerve too.
pub fn describe_schema(url: &str) -> Result<model::SchemaDescription> {
    (driver_for(url)?.describe_schema)(url)
}

/// Adopts the database at `url` when it was made outside the migration runner (by NERVE's
/// earlier application, or by running our SQL by hand): its logical schema and CHECK
/// constraints are compared with those the embedded migrations build. When they match, the
/// migrations are recorded as applied ([`baseline::BaselineOutcome::Adopted`]). When the
/// database only lacks indexes, nullable columns or CHECKs its rows satisfy, the plan is
/// returned, tried and rolled back ([`baseline::BaselineOutcome::Planned`]), or with `apply`
/// run with the record in one transaction (`Adopted`). Otherwise the differences are listed
/// and nothing changes ([`baseline::BaselineOutcome::Refused`]). Triggers and functions are
/// not compared. Errors: [`Error::Migration`] for a database that already records migrations
/// or has none of NERVE's tables; [`Error::Unsupported`] for `sqlite::memory:`.
pub fn baseline(url: &str, apply: bool) -> Result<baseline::BaselineReport> {
    (driver_for(url)?.baseline)(url, apply)
}

/// The schema status of the database at `url` (applied, pending and unknown migrations),
/// changing nothing; works on databases of any schema version.
pub fn schema_status(url: &str) -> Result<SchemaStatus> {
    (driver_for(url)?.schema_status)(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_schemes_are_refused_with_the_accepted_forms() {
        let e = backend_for("mysql://u:secret@h/db").unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, Error::Unsupported { .. }));
        assert!(
            msg.contains("sqlite://PATH") && !msg.contains("secret"),
            "{msg}"
        );
    }

    #[cfg(not(feature = "postgres"))]
    #[test]
    fn a_postgres_url_without_the_driver_names_the_feature() {
        let e = connect("postgres://u:secret@127.0.0.1/db")
            .err()
            .expect("refused");
        let msg = e.to_string();
        assert!(matches!(e, Error::Unsupported { .. }));
        assert!(
            msg.contains("`postgres`") && !msg.contains("secret"),
            "{msg}"
        );
        assert_eq!(compiled_backends(), vec![Backend::Sqlite]);
    }

    #[cfg(not(feature = "sqlite"))]
    #[test]
    fn a_sqlite_url_without_the_driver_names_the_feature() {
        let e = connect("sqlite::memory:").err().expect("refused");
        assert!(matches!(e, Error::Unsupported { .. }));
        assert!(e.to_string().contains("`sqlite`"), "{e}");
        assert_eq!(compiled_backends(), vec![Backend::Postgres]);
    }
}
