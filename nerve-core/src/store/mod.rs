//! The storage contract: object-safe, synchronous traits every driver implements.
//!
//! [`Store`] is what `nerve::connect` returns: a pool-backed handle, `Send +
//! Sync`, usable as `Box<dyn Store>` or `Arc<dyn Store>`. Its domain accessors come from
//! [`Repos`], which is also what a transaction hands to its closure, so the same domain calls
//! run alone (each in its own transaction) or together in one ([`Store::atomic`]).
//!
//! The traits are synchronous because Diesel and r2d2 are; async services call them through
//! `spawn_blocking`.
//!
//! # Where reads go
//!
//! A PostgreSQL store may have a streaming read replica ([`StoreOptions::replica`]). Every
//! write, and every call made inside [`Store::atomic`], runs on the primary. Every read method
//! of the domain stores says in its documentation which of two kinds it is:
//!
//! - **Primary read**: always on the primary, so it sees every write committed before it
//!   started, the caller's own included. Reads by id or key (what a service does right after
//!   writing: create, then show), and reads that security decisions rest on (login attempts,
//!   active sessions, API keys, password checks) are primary reads.
//! - **Replica read**: on the replica when there is one, so it may miss writes committed in
//!   the last moments (the replica's replay lag, normally well under a second on a healthy
//!   replica; the store does not bound it, so watch the replica's lag). Lists, searches,
//!   histories and counts — pages for people to look at — are replica reads. When the replica cannot be reached, or loses a connection, it is left alone
//!   for 5 seconds and replica reads run on the primary meanwhile: callers see no error for a
//!   replica that went away. To read your own writes through one of these, call it through
//!   [`Store::primary`] or inside [`Store::atomic`].
//!
//! Without a replica (and on SQLite) both kinds run on the one database. [`AdminStore`] and
//! [`BackupStore`] always work on the primary.

mod accounts;
mod admin;
mod attack_surface;
mod backup;
mod bait;
mod companies;
mod compliance;
mod driver;
mod ghost;
mod osint;
mod roadmap;
mod uploads;
mod users;

pub use accounts::{ApiKeyStore, AuditStore, AuthStore, SecurityEventStore, SessionStore};
pub use admin::{AdminStore, AUDIT_LOG_MINIMUM_DAYS, RETENTION};
pub use attack_surface::AttackSurfaceStore;
pub use backup::BackupStore;
pub use bait::BaitStore;
pub use companies::CompanyStore;
pub use compliance::ComplianceStore;
pub use driver::AnyDriver;
pub use ghost::GhostStore;
pub use osint::OsintStore;
pub use roadmap::RoadmapStore;
pub use uploads::UploadStore;
pub use users::UserStore;

use crate::clock::{Clock, SystemClock};
use crate::error::{Error, Result};
use crate::password::PasswordParams;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// The domain accessors, one per domain. Implemented by every store and by the transaction
/// handle [`Store::atomic`] passes to its closure.
pub trait Repos {
    /// Companies (tenants).
    fn companies(&self) -> &dyn CompanyStore;
    /// Users of companies.
    fn users(&self) -> &dyn UserStore;
    /// Logins: attempts, lockout, password rehash.
    fn auth(&self) -> &dyn AuthStore;
    /// Login sessions.
    fn sessions(&self) -> &dyn SessionStore;
    /// The append-only audit log.
    fn audit(&self) -> &dyn AuditStore;
    /// Security events.
    fn security_events(&self) -> &dyn SecurityEventStore;
    /// API keys.
    fn api_keys(&self) -> &dyn ApiKeyStore;
    /// The attack-surface scan cache and scan histories.
    fn attack_surface(&self) -> &dyn AttackSurfaceStore;
    /// BAIT honeytokens and their accesses.
    fn bait(&self) -> &dyn BaitStore;
    /// Ghost Search: queries, monitored addresses and their findings.
    fn ghost(&self) -> &dyn GhostStore;
    /// OSINT profiles, social media accounts, breaches and devices.
    fn osint(&self) -> &dyn OsintStore;
    /// Uploaded files and the credentials parsed from them.
    fn uploads(&self) -> &dyn UploadStore;
    /// Compliance assessments, controls, evidence, scan auto-flagging and vulnerability
    /// reports.
    fn compliance(&self) -> &dyn ComplianceStore;
    /// Security roadmaps: profiles, the task library, tasks, achievements, progress.
    fn roadmap(&self) -> &dyn RoadmapStore;
    /// Whole rows of any table, as JSON: for operators' tools and tests, not for services.
    fn raw_rows(&self) -> &dyn RawRows;
}

/// Whole rows of any table of the schema as JSON objects (column name to value), moved through
/// the driver's typed row types: integers as numbers, booleans as `true`/`false`, value sets
/// as their texts, JSON columns as JSON (in a nullable JSON column a `null` document is SQL
/// NULL), timestamps as RFC 3339 UTC text ending in `Z` with as many fraction digits as
/// needed (0, 3 or 6). Both backends give the same JSON for the same row.
///
/// This bypasses the domain stores' rules (validation, tenancy, soft delete, secrets handling):
/// only the database's own constraints apply. It is meant for copying, verifying and testing.
pub trait RawRows {
    /// Inserts `row`, which gives every NOT NULL column (a missing key reads as NULL) and the
    /// id (1 to `i64::MAX - 1`), and returns the row as stored. Timestamps are truncated to
    /// microseconds. On PostgreSQL the table's identity is moved past the id (the table locked
    /// against other writers until the transaction ends), so later rows get fresh ids.
    /// Errors: [`Error::Validation`] naming the column for an unknown table or column, a value
    /// of the wrong type, NULL in a NOT NULL column, an id out of range, text holding U+0000
    /// (which PostgreSQL cannot store), text longer than its column's limit, or a timestamp
    /// outside the years 1 to 9999 — all refused before the database, alike on both backends;
    /// [`Error::Validation`] with field `-` for a row a CHECK constraint refuses;
    /// [`Error::Conflict`] for a unique or foreign-key violation.
    fn insert(&self, table: &str, row: &serde_json::Value) -> Result<serde_json::Value>;

    /// The row of `table` whose id is `id`, soft-deleted or not. Errors: [`Error::NotFound`],
    /// or [`Error::Validation`] for an unknown table.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get(&self, table: &str, id: i64) -> Result<serde_json::Value>;

    /// `batch_insert`: inserts `rows` of `table` all or none, in multi-row INSERTs sized to the
    /// backend's bind limit (SQLite 32 766 values, PostgreSQL 65 535), and returns how many.
    /// Each row is as [`RawRows::insert`] takes it, except that a row without `id` gets a
    /// fresh one from the table's identity. Errors as [`RawRows::insert`]'s; a
    /// [`Error::Validation`]'s reason starts with the row's place (`row 7: ...`). Meant for
    /// the append-heavy tables (`login_attempts`, `audit_logs`, `security_events`,
    /// `bait_accesses`, scan results) and for loading data; domain rules are not applied.
    fn batch_insert(&self, table: &str, rows: &[serde_json::Value]) -> Result<u64>;

    /// `safe_update`: optimistic concurrency for any table with `updated_at`. Sets the columns
    /// `changes` names (a JSON object, values as [`RawRows::insert`] takes them) on row `id` of
    /// `table` and `updated_at` to now (the clock; one microsecond past the version replaced when
    /// the clock has not moved past it, so every update makes a new version), only if the row's `updated_at` is still
    /// `expected_updated_at` (the version the caller read), in one statement: a row changed in
    /// between is left as it is. Returns the row as stored. Errors:
    /// [`Error::Conflict`] on `updated_at` with [`Constraint::Stale`](crate::Constraint::Stale)
    /// when the row changed since (nothing written); [`Error::NotFound`];
    /// [`Error::Validation`] for an unknown table or column, for `id`, `created_at` or
    /// `updated_at` among the changes, for an append-only table (no `updated_at`), or for a
    /// value as [`RawRows::insert`] refuses it; constraint violations as there.
    fn safe_update(
        &self,
        table: &str,
        id: i64,
        expected_updated_at: DateTime<Utc>,
        changes: &serde_json::Value,
    ) -> Result<serde_json::Value>;
}

/// An open NERVE database.
pub trait Store: Repos + Send + Sync + fmt::Debug {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Health, statistics, timings and maintenance of this database.
    fn admin(&self) -> &dyn AdminStore;

    /// Backups and restores of this database.
    fn backups(&self) -> &dyn BackupStore;

    /// What this backend can and cannot do, where backends must differ.
    fn capabilities(&self) -> Capabilities;
    /// The same domain stores as the store's own, with every read on the primary: for a read
    /// that must see the caller's own latest writes where it would otherwise go to the read
    /// replica (see [Where reads go](crate::store#where-reads-go)). Without a replica, and on
    /// SQLite, it is the store itself. Calls through it run alone, each in its own
    /// transaction, as calls on the store do.
    fn primary(&self) -> &dyn Repos;

    /// Runs `f` in one transaction: every call made through the [`Repos`] it receives commits
    /// together when `f` returns `Ok`, and none does when `f` returns `Err` (which is returned)
    /// or panics. Each call inside also runs in a savepoint of its own, so a failed call leaves
    /// nothing half-written even when `f` goes on. On SQLite the transaction takes the write
    /// lock at its start (`BEGIN IMMEDIATE`), so it never fails half-way with "database is
    /// locked". Calls made through the store itself (not the handle) inside `f` run on another
    /// connection, outside the transaction: on a `sqlite::memory:` store (one connection) they
    /// wait `connect_timeout` and fail with [`Error::Connect`]; on a SQLite file their writes
    /// wait the busy timeout for this transaction's lock (again on each retry of
    /// [`StoreOptions::retry`]) and fail. Use the handle.
    fn atomic(&self, f: &mut dyn FnMut(&dyn Repos) -> Result<()>) -> Result<()>;

    /// The migrations applied to this database and those pending or unknown to this binary.
    /// Errors: [`Error::Connect`] when no connection can be had, [`Error::Backend`] when the
    /// migration record cannot be read.
    fn schema_status(&self) -> Result<SchemaStatus>;
}

/// Conveniences over [`Store`], for every store (blanket implementation).
pub trait StoreExt: Store {
    /// [`Store::atomic`] for a closure that returns a value.
    fn transaction<T>(&self, f: impl FnOnce(&dyn Repos) -> Result<T>) -> Result<T> {
        let mut f = Some(f);
        let mut out = None;
        self.atomic(&mut |repos| {
            let f = f.take().ok_or_else(|| Error::Transaction {
                rolled_back: false,
                reason: "the transaction closure was run twice".into(),
            })?;
            out = Some(f(repos)?);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Transaction {
            rolled_back: false,
            reason: "the transaction committed without running its closure".into(),
        })
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

/// The database backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Backend {
    /// SQLite, embedded (a file, or memory).
    Sqlite,
    /// PostgreSQL, over the network.
    Postgres,
}

impl Backend {
    /// Every backend.
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

    /// Lower-case name: `sqlite` or `postgres` (also the Cargo feature of its driver).
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where backends must differ, declared rather than hidden. Everything not listed here behaves
/// the same on every backend. `Default` is "none of these".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Capabilities {
    /// Closed value sets are native ENUM types (PostgreSQL); otherwise CHECKed text (SQLite).
    pub native_enum_types: bool,
    /// Several processes may write at once through several connections (PostgreSQL); SQLite
    /// has one writer at a time, waited for up to its busy timeout.
    pub concurrent_writers: bool,
    /// The database lives in this process's memory and vanishes with the store
    /// (`sqlite::memory:`); such a store has a single connection.
    pub in_memory: bool,
    /// JSON documents have content indexes (GIN on JSONB, PostgreSQL), so a content query
    /// ("results containing this CVE") reads an index; otherwise it scans the rows it filters
    /// (SQLite's `json_each`). Results are the same either way. These indexes are not part of
    /// the [`SchemaDescription`](crate::model::SchemaDescription), which holds what both have.
    pub json_content_indexes: bool,
    /// A statement timeout can be set ([`StoreOptions::statement_timeout`], PostgreSQL);
    /// SQLite has none (its busy timeout bounds waiting for the write lock only).
    pub statement_timeout: bool,
    /// Reads that tolerate lag can be sent to a streaming read replica
    /// ([`StoreOptions::replica`], PostgreSQL); a SQLite database has no replicas.
    pub read_replicas: bool,
    /// A foreign-key [`Error::Conflict`](crate::Error::Conflict) names the constraint, its
    /// table and columns, as every primary-key and unique conflict does (PostgreSQL). SQLite
    /// reports only that some foreign key failed: its conflict names the table written, field
    /// `-`, no constraint name.
    pub foreign_key_details: bool,
    /// A row's id is never given to another row of its table, even after the row is deleted
    /// for good (purge, erasure, company deletion): PostgreSQL's identities only go up.
    /// SQLite gives a new row the id after the table's largest, so the newest row deleted for
    /// good leaves its id to the next insert: do not keep references to rows deleted for good
    /// (found by the differential test; removing it needs every SQLite table rebuilt with
    /// `AUTOINCREMENT`).
    pub ids_never_reused: bool,
}

/// What opening a store does about migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MigrationPolicy {
    /// Refuse a database with pending migrations ([`Error::PendingMigrations`]) or with
    /// migrations this binary does not know ([`Error::SchemaTooNew`]). The default. A
    /// `sqlite::memory:` database, always new, is migrated instead.
    #[default]
    Require,
    /// Apply pending migrations first (under a lock, all in one transaction); still refuse a
    /// newer database.
    Apply,
    /// Open whatever the schema is, for inspection (`nerve status`); domain calls may fail.
    Inspect,
}

/// When failed logins lock an account, and when they raise security events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failed logins of one account within `window` that lock it (the N-th failure locks).
    pub max_failures: u32,
    /// The window failures are counted in.
    pub window: chrono::Duration,
    /// How long a lock lasts.
    pub lock_for: chrono::Duration,
    /// Failed logins from one address within `window`, across accounts, that raise a
    /// credential-stuffing event.
    pub max_failures_per_ip: u32,
}

impl Default for LockoutPolicy {
    /// 5 failures in 15 minutes lock for 30 minutes; 20 failures from one address in 15
    /// minutes raise an event.
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window: chrono::Duration::minutes(15),
            lock_for: chrono::Duration::minutes(30),
            max_failures_per_ip: 20,
        }
    }
}

/// How to open a store. `Default` is production: system clock, recommended argon2id cost,
/// migrations required. Its `Debug` shows the replica URL with its password redacted.
#[derive(Clone)]
pub struct StoreOptions {
    /// Where timestamps come from.
    pub clock: Arc<dyn Clock>,
    /// Cost of new password hashes.
    pub password: PasswordParams,
    /// What to do about migrations.
    pub migrations: MigrationPolicy,
    /// When failed logins lock accounts.
    pub lockout: LockoutPolicy,
    /// How many of a user's latest passwords a new one must differ from (0: no rule).
    pub password_history: u32,
    /// Most connections in the pool (ignored for `sqlite::memory:`, which has one).
    pub max_connections: u32,
    /// How long a call waits for a pooled connection (and for a new one to open); must be
    /// greater than zero ([`Error::Validation`] on `connect_timeout` otherwise).
    pub connect_timeout: std::time::Duration,
    /// PostgreSQL: the longest one statement may run, applied with `SET LOCAL
    /// statement_timeout` at the start of every transaction (every call then runs in one), so
    /// it holds behind a transaction-mode pooler; a statement over it fails the call. `None`:
    /// the server's setting. SQLite has no statement timeout (see
    /// [`Capabilities::statement_timeout`]). URL parameter `statement_timeout_ms`.
    pub statement_timeout: Option<std::time::Duration>,
    /// PostgreSQL: whether each connection caches prepared statements (the default). Turn it
    /// off behind pgbouncer in transaction mode, which cannot keep a connection's prepared
    /// statements. URL parameter `statement_cache=off`.
    pub statement_cache: bool,
    /// How calls that failed for a transient reason are tried again.
    pub retry: RetryPolicy,
    /// Operations taking longer than this are recorded in `slow_queries`.
    pub slow_query_threshold: std::time::Duration,
    /// The most slow operations kept: past it, the oldest are deleted.
    pub slow_query_cap: u32,
    /// Where [`BackupStore`] writes and lists backups. `None`: `backups/` beside a SQLite
    /// database file; `data/backups` (from the working directory) for PostgreSQL.
    pub backup_dir: Option<std::path::PathBuf>,
    /// PostgreSQL: the URL of a streaming read replica of the database. Reads that tolerate
    /// lag (*replica reads*, see [Where reads go](crate::store#where-reads-go)) run there; every
    /// other call runs on the primary. `None`: everything runs on the primary. URL parameter
    /// `replica=host[:port]` (the primary's URL with that server: same user, password,
    /// database and parameters; without a port, the primary's). Requires
    /// [`Capabilities::read_replicas`]: a SQLite store refuses it ([`Error::Validation`] on
    /// `replica`).
    pub replica: Option<String>,
    /// When `health` turns a server metric into a warning.
    pub health: HealthThresholds,
}

/// When [`AdminStore::health`] turns a metric of
/// [`ServerMetrics`](crate::model::ServerMetrics) into a named
/// [`HealthWarning`](crate::model::HealthWarning). The defaults are conservative for a
/// service; a zero duration or percentage warns at anything seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthThresholds {
    /// PostgreSQL: client connections at this percentage of `max_connections` (80).
    pub connections_percent: u32,
    /// PostgreSQL: a replica further behind than this (30 s).
    pub replica_lag: std::time::Duration,
    /// PostgreSQL: a statement running longer than this (5 min).
    pub long_running: std::time::Duration,
    /// PostgreSQL: a session idle inside a transaction longer than this (1 min).
    pub idle_in_transaction: std::time::Duration,
    /// PostgreSQL: a session waiting for a lock whose statement has run longer than this
    /// (10 s).
    pub blocked: std::time::Duration,
    /// PostgreSQL: dead rows at this percentage of a table's live rows (20, as autovacuum's
    /// default scale factor) ...
    pub dead_rows_percent: u32,
    /// ... and at least this many (10 000), so small tables stay quiet.
    pub dead_rows_minimum: u64,
    /// SQLite: a WAL file of this many bytes (64 MiB; the automatic checkpoint keeps it near
    /// 4 MiB unless a reader holds it back).
    pub wal_bytes: u64,
    /// SQLite: free pages at this percentage of the file (25).
    pub free_pages_percent: u32,
}

impl Default for HealthThresholds {
    fn default() -> Self {
        HealthThresholds {
            connections_percent: 80,
            replica_lag: std::time::Duration::from_secs(30),
            long_running: std::time::Duration::from_secs(300),
            idle_in_transaction: std::time::Duration::from_secs(60),
            blocked: std::time::Duration::from_secs(10),
            dead_rows_percent: 20,
            dead_rows_minimum: 10_000,
            wal_bytes: 64 << 20,
            free_pages_percent: 25,
        }
    }
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field("clock", &self.clock)
            .field("password", &self.password)
            .field("migrations", &self.migrations)
            .field("lockout", &self.lockout)
            .field("password_history", &self.password_history)
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("statement_cache", &self.statement_cache)
            .field("retry", &self.retry)
            .field("slow_query_threshold", &self.slow_query_threshold)
            .field("slow_query_cap", &self.slow_query_cap)
            .field("backup_dir", &self.backup_dir)
            .field("replica", &self.replica.as_deref().map(crate::url::redact))
            .field("health", &self.health)
            .finish()
    }
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            clock: Arc::new(SystemClock),
            password: PasswordParams::default(),
            migrations: MigrationPolicy::default(),
            lockout: LockoutPolicy::default(),
            password_history: 5,
            max_connections: 10,
            connect_timeout: std::time::Duration::from_secs(30),
            statement_timeout: None,
            statement_cache: true,
            retry: RetryPolicy::default(),
            slow_query_threshold: std::time::Duration::from_millis(250),
            slow_query_cap: 10_000,
            backup_dir: None,
            replica: None,
            health: HealthThresholds::default(),
        }
    }
}

/// Which failed calls are tried again, and how often: bounded exponential backoff
/// (`base_delay`, doubled each time, at most `max_delay`), `retries` times at most, after
/// which the last error is returned; [`Error::is_retryable`] says whether trying later may
/// succeed.
///
/// Tried again, on a fresh pooled connection:
/// - every **read** (a call that writes nothing) that failed because the connection was
///   refused, reset or closed (a backend terminated, the server shutting down), or because
///   the database rolled it back (serialization failure, deadlock, SQLite's write lock held
///   past the busy timeout);
/// - every **write** whose transaction the database rolled back itself (serialization
///   failure, deadlock, SQLite's "database is locked" past the busy timeout) or whose
///   connection failed before its transaction began — in both cases nothing of it was
///   committed, so running it again cannot write twice.
///
/// A call that gets no connection from the pool within `connect_timeout` is not tried
/// again (the pool already waited): it fails with [`Error::Connect`].
///
/// Never tried again: a write whose connection failed while it ran — its commit may or may
/// not have happened — which is reported as [`Error::Connection`] with
/// [`Outcome::Unknown`](crate::Outcome::Unknown); and the closure of [`Store::atomic`], whose
/// other effects the store cannot know.
/// URL parameter `retries` sets `retries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a call is tried again (0: never).
    pub retries: u32,
    /// The wait before the first retry.
    pub base_delay: std::time::Duration,
    /// The longest wait between tries.
    pub max_delay: std::time::Duration,
}

impl Default for RetryPolicy {
    /// 3 retries, waiting 20 ms, 40 ms, 80 ms.
    fn default() -> Self {
        RetryPolicy {
            retries: 3,
            base_delay: std::time::Duration::from_millis(20),
            max_delay: std::time::Duration::from_secs(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (from 0).
    pub fn delay(&self, attempt: u32) -> std::time::Duration {
        self.base_delay
            .saturating_mul(1_u32.checked_shl(attempt).unwrap_or(u32::MAX))
            .min(self.max_delay)
    }
}

/// One migration applied to a database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedMigration {
    /// Version: the folder name's date part without dashes, such as `20261126000001`.
    pub version: String,
    /// The folder name, such as `2026-11-26-000001_companies_and_users`; equal to the version
    /// when this binary does not know the migration.
    pub name: String,
    /// When it was applied.
    pub applied_at: DateTime<Utc>,
}

/// A database's schema against the migrations this binary embeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaStatus {
    /// The backend.
    pub backend: Backend,
    /// Applied migrations, oldest first.
    pub applied: Vec<AppliedMigration>,
    /// Names of embedded migrations not yet applied, oldest first.
    pub pending: Vec<String>,
    /// Versions applied to the database that this binary does not embed (a newer binary ran).
    pub unknown: Vec<String>,
}

impl SchemaStatus {
    /// The schema version: the newest applied migration's version, `None` for an empty
    /// database.
    pub fn version(&self) -> Option<&str> {
        self.applied.last().map(|m| m.version.as_str())
    }

    /// The applied migrations' versions, oldest first.
    pub fn applied_versions(&self) -> Vec<String> {
        self.applied.iter().map(|m| m.version.clone()).collect()
    }

    /// `Ok` when the schema is exactly this binary's; otherwise the error that
    /// [`MigrationPolicy::Require`] opens with.
    pub fn require_current(&self) -> Result<()> {
        if !self.unknown.is_empty() {
            return Err(Error::SchemaTooNew {
                unknown: self.unknown.clone(),
            });
        }
        if !self.pending.is_empty() {
            return Err(Error::PendingMigrations {
                pending: self.pending.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_debug_never_shows_a_replica_password() {
        let options = StoreOptions {
            replica: Some("postgres://nerve:hunter2@replica:5432/nerve?password=s3cret".into()),
            ..StoreOptions::default()
        };
        let shown = format!("{options:?}");
        assert!(shown.contains("replica:5432"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
