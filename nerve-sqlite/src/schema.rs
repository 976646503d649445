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

/// Expands the shared table list: the tables, and how `batch_insert` writes each one's rows.
macro_rules! with_tables {
    ($($list:tt)*) => {
        nerve_diesel::tables! { $($list)* }
        insert_rows! { $($list)* }
    };
}

/// The `InsertRows` implementations of [`with_tables!`]: multi-row INSERTs of as many rows as
/// one statement may bind (SQLite has no COPY; a prepared multi-row INSERT is its fastest way
/// in through Diesel).
macro_rules! insert_rows {
    ($(
        $table:ident ($pk:ident) $row:ident {
            $( $col:ident -> $sql:ident $(<$inner:ident>)? $([$max:literal])? ),* $(,)?
        }
    )*) => {
        $(
            impl nerve_diesel::InsertRows<rows::$row> for crate::driver::ThisDriver {
                /// As many rows as one statement may bind.
                fn rows_per_call() -> usize {
                    (crate::driver::BIND_LIMIT / rows::$row::COLUMNS.len()).max(1)
                }

                fn insert_rows(
                    conn: &mut diesel::SqliteConnection,
                    rows: &[rows::$row],
                ) -> diesel::QueryResult<usize> {
                    use diesel::RunQueryDsl;
                    let mut inserted = 0;
                    for chunk in rows.chunks(<Self as nerve_diesel::InsertRows<rows::$row>>::rows_per_call()) {
                        let chunk: Vec<_> = chunk.iter().map(rows::write::$table::Row::from).collect();
                        inserted += diesel::insert_into($table::table).values(chunk).execute(conn)?;
                    }
                    Ok(inserted)
                }
            }
        )*
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
