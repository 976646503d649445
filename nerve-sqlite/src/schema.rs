//! Diesel's view of the SQLite schema made by `migrations_sqlite/`: the tables are
//! nerve-diesel's [`nerve_diesel::tables!`], with this backend's column types.

/// The SQL types the shared tables are written in, as SQLite stores them.
pub mod sql_types {
    nerve_diesel::value_sets!(types sqlite);

    /// UTC text with microseconds, such as `2026-11-26 19:07:28.504118+00:00`.
    pub type Ts = diesel::sql_types::TimestamptzSqlite;
    /// JSON text, held valid by `CHECK (json_valid(...))`.
    pub type Doc = diesel::sql_types::Json;
}

/// Expands the shared table list: the tables alone (SQLite has no per-table code of its own).
macro_rules! with_tables {
    ($($list:tt)*) => {
        nerve_diesel::tables! { $($list)* }
    };
}

#[path = "../../nerve-diesel/each_driver/schema_tables.rs"]
mod tables;
pub(crate) use tables::*;

diesel::table! {
    /// Diesel's migration record; `run_on` is `CURRENT_TIMESTAMP` text (UTC, no offset).
    __diesel_schema_migrations (version) {
        version -> Text,
        run_on -> Timestamp,
    }
}
