//! Operations: health, statistics, timings, maintenance.

use crate::error::Result;
use crate::model::{DatabaseStats, HealthReport, OperationStats, Page, SlowQuery};

/// What operators and monitoring need of a database (`Store::admin`, `nerve health`, `nerve
/// stats`, `nerve slow-queries`, `nerve optimize`). Each call uses its own pooled connection,
/// outside any transaction.
pub trait AdminStore {
    /// Checks the connection (timing a round trip), the schema version against the embedded
    /// migrations, the structure against what the migrations create (every table, column,
    /// index, unique and foreign key, value set), SQLite's `integrity_check` and
    /// `foreign_key_check`, PostgreSQL's constraint and index validity, and reads the pool's
    /// state. Problems are reported in the [`HealthReport`], not as errors. Errors:
    /// [`Error::Connection`](crate::Error::Connection) when no connection can be had.
    fn health(&self) -> Result<HealthReport>;

    /// Exact row counts of every table of the schema, their total and the database's size.
    fn stats(&self) -> Result<DatabaseStats>;

    /// Refreshes the planner's statistics: `ANALYZE` then `PRAGMA optimize` on SQLite (and
    /// `VACUUM` first when `vacuum`), `VACUUM (ANALYZE)` on PostgreSQL (`ANALYZE` alone
    /// unless `vacuum`). Returns the statements run, in order.
    fn optimize(&self, vacuum: bool) -> Result<Vec<String>>;

    /// Count, p50, p95 and max duration of every contract operation run through this store
    /// (and the transaction handles it gave out) since it was opened, by operation name.
    fn performance(&self) -> Vec<OperationStats>;

    /// The recorded slow operations, newest first ([`Page::after`] takes the last id seen).
    /// Operations finishing inside a transaction are recorded once a later operation runs
    /// outside one.
    fn slow_queries(&self, page: Page) -> Result<Vec<SlowQuery>>;
}
