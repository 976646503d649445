//! Operations: health, statistics, timings, maintenance.

use crate::error::Result;
use crate::model::{DatabaseStats, HealthReport, OperationStats, Page, SlowQuery, TableStats};
use chrono::{DateTime, Duration, Utc};

/// The append-heavy tables retention applies to, with the column that dates a row:
/// [`AdminStore::purge`] deletes rows older than a cutoff by that column.
pub const RETENTION: [(&str, &str); 7] = [
    ("login_attempts", "attempted_at"),
    ("security_events", "created_at"),
    ("bait_accesses", "accessed_at"),
    ("xasm_scan_history", "scanned_at"),
    ("lightbox_scan_history", "scanned_at"),
    ("slow_queries", "recorded_at"),
    ("audit_logs", "created_at"),
];

/// How long audit log rows are kept at least, whatever a purge asks: one year (the audit
/// trail's legal minimum in NERVE's compliance frameworks).
pub const AUDIT_LOG_MINIMUM_DAYS: i64 = 365;

/// What operators and monitoring need of a database (`Store::admin`, `nerve health`, `nerve
/// stats`, `nerve slow-queries`, `nerve optimize`). Each call uses its own pooled connection,
/// outside any transaction, on the primary (never on a read replica).
pub trait AdminStore {
    /// Checks the connection (timing a round trip), the schema version against the embedded
    /// migrations, the structure against what the migrations create (every table, column,
    /// index, unique and foreign key, value set), SQLite's `integrity_check` and
    /// `foreign_key_check`, PostgreSQL's constraint and index validity, and reads the pool's
    /// state. Problems are reported in the [`HealthReport`], not as errors. Errors:
    /// [`Error::Connect`](crate::Error::Connect) when no connection can be had.
    fn health(&self) -> Result<HealthReport>;

    /// Exact row counts of every table of the schema, their total and the database's size.
    fn stats(&self) -> Result<DatabaseStats>;

    /// Refreshes the planner's statistics: `ANALYZE` then `PRAGMA optimize` on SQLite (and
    /// `VACUUM` first when `vacuum`), `VACUUM (ANALYZE)` on PostgreSQL (whatever `vacuum`
    /// says: it blocks no reader or writer). Returns the statements run, in order.
    fn optimize(&self, vacuum: bool) -> Result<Vec<String>>;

    /// Count, p50, p95 and max duration of every contract operation run through this store
    /// (and the transaction handles it gave out) since it was opened, by operation name.
    fn performance(&self) -> Vec<OperationStats>;

    /// The recorded slow operations, newest first ([`Page::after`] takes the last id seen).
    /// Operations finishing inside a transaction are recorded once a later operation runs
    /// outside one.
    fn slow_queries(&self, page: Page) -> Result<Vec<SlowQuery>>;

    /// Retention: deletes the rows of `table` (one of [`RETENTION`]) dated before
    /// `older_than` by its column, in one transaction (a scan's results go with it); with
    /// `dry_run`, only counts them. Returns how many. Errors: [`Error::Validation`](crate::Error::Validation)
    /// on `table` for a table retention does not apply to, and on `audit_logs.created_at` for
    /// a cutoff less than [`AUDIT_LOG_MINIMUM_DAYS`] before now (the clock).
    fn purge(&self, table: &str, older_than: DateTime<Utc>, dry_run: bool) -> Result<u64>;

    /// Deletes for good the rows soft-deleted more than `grace` ago (by `deleted_at`), every
    /// table, children before parents, in one transaction; what the database cascades goes
    /// with them. A row another row still refers to without a cascade (an audit entry, a
    /// live assessment's author) is kept. With `dry_run`, only counts. Returns the rows per
    /// table (tables with none left out).
    fn purge_deleted(&self, grace: Duration, dry_run: bool) -> Result<Vec<TableStats>>;

    /// GDPR access: every row of every table that is about the subject — rows of the users
    /// with that address (by any foreign key to `users`) and rows holding the address in any
    /// text or JSON column (compared in lower case) — as `{"subject", "user_ids", "tables":
    /// {table: [whole rows as RawRows gives them]}}`, tables without rows left out. Errors:
    /// [`Error::Validation`](crate::Error::Validation) on `-.email` for an invalid address.
    fn export_subject(&self, email: &str) -> Result<serde_json::Value>;

    /// GDPR erasure, in one transaction: the users with the address are anonymized (address
    /// `erased-<id>@erased.invalid`, name cleared, password unusable, soft-deleted) and lose
    /// their sessions, API keys and password history; OSINT profiles and monitored addresses
    /// of it are deleted with what hangs on them; then in every other row of every table the
    /// address (as stored, lower case, and as given) is replaced by `[erased]`, or the whole
    /// value by `erased-<id>@erased.invalid` in columns that hold an address. The audit trail
    /// is kept, with the address removed from it. Returns the rows changed per table.
    fn erase_subject(&self, email: &str) -> Result<Vec<TableStats>>;

    /// Deletes the company (live or soft-deleted) and every row it owns, in one transaction,
    /// its own audit trail included (append-only to everything else); rows that stay but name
    /// its users without a cascade (the shared scan cache, events without a company) are
    /// unlinked from them (set to NULL). Afterwards no table holds a row of the company.
    /// Returns the rows removed per table. Errors: [`Error::NotFound`](crate::Error::NotFound)
    /// on `companies`.
    fn delete_company(&self, company_id: i64) -> Result<Vec<TableStats>>;
}
