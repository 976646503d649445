//! What the operations part of the contract reports: health, statistics, timings.

use super::schema::SchemaDescription;
use crate::store::Backend;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The result of a health check (`nerve health`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthReport {
    /// The backend checked.
    pub backend: Backend,
    /// `true` exactly when the schema is current (nothing pending or unknown), no problem was
    /// found and no orphan row exists.
    pub healthy: bool,
    /// How long a round trip (`SELECT 1` on a pooled connection) took, in microseconds.
    pub latency_us: u64,
    /// The newest applied migration's version.
    pub schema_version: Option<String>,
    /// Embedded migrations not applied yet.
    pub pending: Vec<String>,
    /// Applied migrations this binary does not know.
    pub unknown: Vec<String>,
    /// Every structural problem found, in words: a table, column, index or value set the
    /// migrations create that is missing or different; SQLite's `integrity_check` findings;
    /// PostgreSQL foreign keys not validated and indexes not valid.
    pub problems: Vec<String>,
    /// Rows whose foreign key points at no row (SQLite's `foreign_key_check`; on PostgreSQL,
    /// where every constraint is enforced, none unless a constraint is not validated).
    pub orphans: Vec<Orphan>,
    /// The connection pool.
    pub pool: PoolState,
    /// What the server reports of its own state.
    pub metrics: ServerMetrics,
    /// What in [`metrics`](Self::metrics) crossed a threshold of the store's
    /// [`HealthThresholds`](crate::HealthThresholds), by name. A warning asks for attention;
    /// it does not make the report unhealthy.
    pub warnings: Vec<HealthWarning>,
}

/// What a backend reports of its own state, read by `health` and `stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum ServerMetrics {
    /// A SQLite database file.
    Sqlite(SqliteMetrics),
    /// A PostgreSQL server and database.
    Postgres(PostgresMetrics),
}

/// SQLite's own numbers (its pragmas and the WAL file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SqliteMetrics {
    /// `PRAGMA journal_mode` (`wal` for a file, `memory` in memory).
    pub journal_mode: String,
    /// `PRAGMA page_size`, in bytes.
    pub page_size: u64,
    /// `PRAGMA page_count`: pages in the database file.
    pub page_count: u64,
    /// `PRAGMA freelist_count`: pages of the file no table uses (a `VACUUM` returns them).
    pub free_pages: u64,
    /// Bytes of the write-ahead log file (`<file>-wal`) now; 0 in memory or without one.
    pub wal_bytes: u64,
}

/// PostgreSQL's own numbers, from `pg_stat_activity`, `pg_stat_replication`, `pg_locks` and
/// `pg_stat_user_tables`. A role without `pg_monitor` (or superuser) sees other roles'
/// sessions without their state and the replicas without their positions: those are then
/// left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostgresMetrics {
    /// `server_version`.
    pub server_version: String,
    /// Connections to the whole server's databases now, every role's (`pg_stat_database`).
    pub connections: u64,
    /// The server's `max_connections`.
    pub max_connections: u64,
    /// `pg_database_size` of the database.
    pub database_bytes: u64,
    /// The streaming replicas of this server (none on a replica itself).
    pub replicas: Vec<ReplicaState>,
    /// Sessions of this database running one statement for longer than
    /// [`HealthThresholds::long_running`](crate::HealthThresholds::long_running), the
    /// longest first.
    pub long_running: Vec<SessionState>,
    /// Sessions of this database idle inside a transaction for longer than
    /// [`HealthThresholds::idle_in_transaction`](crate::HealthThresholds::idle_in_transaction),
    /// the longest first (they hold locks and stop vacuum).
    pub idle_in_transaction: Vec<SessionState>,
    /// Sessions of this database waiting for a lock another session holds for longer than
    /// [`HealthThresholds::blocked`](crate::HealthThresholds::blocked), the longest first.
    pub blocked: Vec<SessionState>,
    /// The largest tables (at most 10, by total size): dead rows and when they were vacuumed.
    pub tables: Vec<TableVacuum>,
}

/// One streaming replica, as its primary sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplicaState {
    /// Its `application_name` (the cluster name or `walreceiver`).
    pub name: String,
    /// Its client address, when it connects over TCP.
    pub address: Option<String>,
    /// `streaming`, `catchup`, ...
    pub state: String,
    /// WAL the primary has written that the replica has not replayed yet, in bytes.
    pub replay_lag_bytes: Option<u64>,
    /// How long ago the newest WAL the replica has replayed was written on the primary, in
    /// milliseconds (`replay_lag`; `None` when the replica is idle and caught up).
    pub replay_lag_ms: Option<u64>,
}

/// A server session worth naming (never its query text, which may hold data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    /// Its process id (`pg_terminate_backend` takes it).
    pub pid: i32,
    /// Its `application_name`.
    pub application: String,
    /// `active`, `idle in transaction`, ...
    pub state: String,
    /// What it waits for (`Lock:relation`, `Client:ClientRead`), if anything.
    pub waiting_for: Option<String>,
    /// How long it has been in this situation, in milliseconds: for a running or blocked
    /// session its statement's age (a blocked one has waited at most that long), for one idle
    /// in a transaction the time since its last statement.
    pub for_ms: u64,
    /// The sessions holding the lock it waits for.
    pub blocked_by: Vec<i32>,
}

/// A table's dead rows and vacuum times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableVacuum {
    /// The table.
    pub table: String,
    /// Its size with indexes and TOAST, in bytes, from the catalog's page counts as of the
    /// last VACUUM, ANALYZE or index build (read without waiting for a lock on the table).
    pub bytes: u64,
    /// Live rows (the statistics' estimate).
    pub live_rows: u64,
    /// Dead rows waiting for vacuum (the statistics' estimate).
    pub dead_rows: u64,
    /// The last manual `VACUUM`.
    pub last_vacuum: Option<DateTime<Utc>>,
    /// The last autovacuum.
    pub last_autovacuum: Option<DateTime<Utc>>,
}

/// A metric past its threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthWarning {
    /// Which threshold.
    pub kind: WarningKind,
    /// What was seen, with the numbers.
    pub message: String,
}

/// The thresholds of [`HealthThresholds`], one warning each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Connections in use reached `connections_percent` of `max_connections`.
    ConnectionsNearLimit,
    /// A replica's replay lag is over `replica_lag`.
    ReplicaLagging,
    /// A statement has run longer than `long_running`.
    LongRunningQuery,
    /// A session has sat idle in a transaction longer than `idle_in_transaction`.
    IdleInTransaction,
    /// A session waits for a lock.
    BlockedLocks,
    /// A table's dead rows reached `dead_rows_percent` of its live rows (and
    /// `dead_rows_minimum`).
    DeadRows,
    /// SQLite's WAL file reached `wal_bytes`.
    WalLarge,
    /// SQLite's free pages reached `free_pages_percent` of the file.
    FreePages,
}

impl ServerMetrics {
    /// The warnings these numbers give under `limits`, in the order of [`WarningKind`].
    pub fn warnings(&self, limits: &crate::HealthThresholds) -> Vec<HealthWarning> {
        let mut out = Vec::new();
        let mut warn = |kind, message: String| out.push(HealthWarning { kind, message });
        let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        match self {
            ServerMetrics::Sqlite(m) => {
                if m.wal_bytes > 0 && m.wal_bytes >= limits.wal_bytes {
                    warn(
                        WarningKind::WalLarge,
                        format!(
                            "the WAL file holds {} bytes (threshold {}): a long reader may be stopping checkpoints",
                            m.wal_bytes, limits.wal_bytes
                        ),
                    );
                }
                if m.free_pages > 0
                    && m.free_pages * 100 >= m.page_count * u64::from(limits.free_pages_percent)
                {
                    warn(
                        WarningKind::FreePages,
                        format!(
                            "{} of {} pages are free (threshold {}%): `nerve optimize --vacuum` returns them",
                            m.free_pages, m.page_count, limits.free_pages_percent
                        ),
                    );
                }
            }
            ServerMetrics::Postgres(m) => {
                if m.max_connections > 0
                    && m.connections * 100
                        >= m.max_connections * u64::from(limits.connections_percent)
                {
                    warn(
                        WarningKind::ConnectionsNearLimit,
                        format!(
                            "{} of max_connections {} are in use (threshold {}%)",
                            m.connections, m.max_connections, limits.connections_percent
                        ),
                    );
                }
                for r in &m.replicas {
                    if r.replay_lag_ms
                        .is_some_and(|lag| lag > ms(limits.replica_lag))
                        || (limits.replica_lag.is_zero() && r.replay_lag_bytes.unwrap_or(0) > 0)
                    {
                        warn(
                            WarningKind::ReplicaLagging,
                            format!(
                                "replica {} is {} ms and {} bytes behind (threshold {} ms)",
                                r.name,
                                r.replay_lag_ms.unwrap_or(0),
                                r.replay_lag_bytes.unwrap_or(0),
                                ms(limits.replica_lag)
                            ),
                        );
                    }
                }
                for (kind, sessions, what) in [
                    (
                        WarningKind::LongRunningQuery,
                        &m.long_running,
                        "has run one statement",
                    ),
                    (
                        WarningKind::IdleInTransaction,
                        &m.idle_in_transaction,
                        "has been idle in a transaction",
                    ),
                    (
                        WarningKind::BlockedLocks,
                        &m.blocked,
                        "has waited for a lock",
                    ),
                ] {
                    for s in sessions {
                        let by = if s.blocked_by.is_empty() {
                            String::new()
                        } else {
                            format!(" held by {:?}", s.blocked_by)
                        };
                        warn(
                            kind,
                            format!(
                                "session {} ({}) {what} for {} ms{by}",
                                s.pid, s.application, s.for_ms
                            ),
                        );
                    }
                }
                for t in &m.tables {
                    if t.dead_rows >= limits.dead_rows_minimum
                        && t.dead_rows * 100 >= t.live_rows * u64::from(limits.dead_rows_percent)
                        && t.dead_rows > 0
                    {
                        warn(
                            WarningKind::DeadRows,
                            format!(
                                "{} holds {} dead rows beside {} live ones (threshold {}%): vacuum is behind",
                                t.table, t.dead_rows, t.live_rows, limits.dead_rows_percent
                            ),
                        );
                    }
                }
            }
        }
        out.sort_by_key(|w| w.kind as u8);
        out
    }
}

/// A row whose foreign key points at no row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orphan {
    /// The referencing table.
    pub table: String,
    /// The row (its rowid / id).
    pub rowid: i64,
    /// The table it should reference.
    pub parent: String,
}

/// A connection pool's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolState {
    /// The most connections it opens.
    pub max_size: u32,
    /// Connections open now.
    pub connections: u32,
    /// Of which idle.
    pub idle: u32,
    /// Of which checked out (the health check's own included).
    pub in_use: u32,
}

/// Rows per table and size (`nerve stats`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseStats {
    /// The backend.
    pub backend: Backend,
    /// Every table of the schema with its exact row count (soft-deleted rows included), by
    /// name.
    pub tables: Vec<TableStats>,
    /// The sum of the row counts.
    pub total_rows: u64,
    /// Bytes on disk: SQLite's pages (`page_count × page_size`, 0 in memory), PostgreSQL's
    /// `pg_database_size`.
    pub size_bytes: u64,
    /// What the server reports of its own state.
    pub metrics: ServerMetrics,
}

/// One table's row count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableStats {
    /// The table.
    pub table: String,
    /// Its rows.
    pub rows: u64,
}

/// Timings of one contract operation since the store was opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationStats {
    /// The operation, as `Trait::method` (`BaitStore::record_access`).
    pub operation: String,
    /// How many times it ran (failures included).
    pub count: u64,
    /// Median duration over the latest runs (up to 1024), in microseconds.
    pub p50_us: u64,
    /// 95th percentile over the latest runs (up to 1024), in microseconds.
    pub p95_us: u64,
    /// Longest run ever, in microseconds.
    pub max_us: u64,
}

/// A recorded slow operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlowQuery {
    /// Identity.
    pub id: i64,
    /// The operation, as `Trait::method`.
    pub operation: String,
    /// How long it took, in microseconds.
    pub duration_us: i64,
    /// When it finished.
    pub recorded_at: DateTime<Utc>,
}

impl SchemaDescription {
    /// The schema this binary's migrations create, as both backends describe it (kept in
    /// `nerve-core/src/expected_schema.json`; a test checks it against both backends, so it
    /// cannot drift from the migrations).
    pub fn expected() -> SchemaDescription {
        serde_json::from_str(include_str!("../expected_schema.json"))
            .expect("expected_schema.json is the output of `nerve schema --json`")
    }

    /// What of `self` (the expected schema) `actual` lacks or has differently, in words: a
    /// missing table, column, index or value set, a column of another type, nullability or
    /// length, an index on other columns. What `actual` has in addition is not reported.
    pub fn missing_from(&self, actual: &SchemaDescription) -> Vec<String> {
        let mut out = Vec::new();
        for want in &self.tables {
            let Some(have) = actual.table(&want.name) else {
                out.push(format!("table {} is missing", want.name));
                continue;
            };
            for col in &want.columns {
                match have.columns.iter().find(|c| c.name == col.name) {
                    None => out.push(format!("column {}.{} is missing", want.name, col.name)),
                    Some(c) if c != col => out.push(format!(
                        "column {}.{} is {} {}{}, expected {} {}{}",
                        want.name,
                        col.name,
                        c.logical_type,
                        if c.nullable { "NULL" } else { "NOT NULL" },
                        c.max_length.map(|n| format!(" ({n})")).unwrap_or_default(),
                        col.logical_type,
                        if col.nullable { "NULL" } else { "NOT NULL" },
                        col.max_length
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default(),
                    )),
                    Some(_) => {}
                }
            }
            for index in &want.indexes {
                match have.indexes.iter().find(|i| i.name == index.name) {
                    None => out.push(format!("index {} on {} is missing", index.name, want.name)),
                    Some(i) if i != index => out.push(format!(
                        "index {} on {} differs: {:?}, expected {:?}",
                        index.name, want.name, i, index
                    )),
                    Some(_) => {}
                }
            }
            for key in &want.unique {
                if !have.unique.contains(key) {
                    out.push(format!(
                        "unique ({}) on {} is missing",
                        key.join(", "),
                        want.name
                    ));
                }
            }
            for fk in &want.foreign_keys {
                if !have.foreign_keys.contains(fk) {
                    out.push(format!(
                        "foreign key ({}) of {} to {} is missing",
                        fk.columns.join(", "),
                        want.name,
                        fk.references
                    ));
                }
            }
        }
        for set in &self.value_sets {
            if !actual.value_sets.contains(set) {
                out.push(format!("value set {} is missing or differs", set.name));
            }
        }
        out
    }
}
