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
