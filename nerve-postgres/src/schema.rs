//! Diesel's view of the PostgreSQL schema made by `migrations_postgres/`: the tables are
//! nerve-diesel's [`nerve_diesel::tables!`], with this backend's column types.

/// The SQL types the shared tables are written in, as PostgreSQL has them.
pub mod sql_types {
    nerve_diesel::value_sets!(types postgres);

    /// `TIMESTAMPTZ`.
    pub type Ts = diesel::sql_types::Timestamptz;
    /// `JSONB`.
    pub type Doc = diesel::sql_types::Jsonb;
}

/// Expands the shared table list: the tables, and COPY into any of them, by name (raw lines,
/// for `nerve copy`) and by row type (`InsertRows`, for `batch_insert`): Diesel's `copy_from`
/// needs the static table type, so both are generated from the one list.
macro_rules! with_tables {
    ($($list:tt)*) => {
        nerve_diesel::tables! { $($list)* }
        copy_targets! { $($list)* }
    };
}

/// The COPY dispatch and the `InsertRows` implementations of [`with_tables!`].
macro_rules! copy_targets {
    ($(
        $table:ident ($pk:ident) $row:ident {
            $( $col:ident -> $sql:ident $(<$inner:ident>)? $([$max:literal])? ),* $(,)?
        }
    )*) => {
        /// The columns `COPY` into `table` takes, in the order its data must give them;
        /// `None` for a table the schema does not have.
        pub(crate) fn copy_columns(table: &str) -> Option<&'static [&'static str]> {
            match table {
                $( stringify!($table) => Some(&[$(stringify!($col)),*]), )*
                _ => None,
            }
        }

        /// Binary `COPY table (columns) FROM STDIN`, the whole stream written by `data` (fields
        /// in [`copy_columns`] order); `None` for a table the schema does not have.
        pub(crate) fn copy_in<E>(
            conn: &mut diesel::PgConnection,
            table: &str,
            data: impl Fn(&mut dyn std::io::Write) -> Result<(), E>,
        ) -> Option<Result<usize, E>>
        where
            E: From<diesel::result::Error> + std::error::Error,
        {
            use diesel::ExecuteCopyFromDsl;
            match table {
                $(
                    stringify!($table) => Some(
                        diesel::copy_from($table::table)
                            .from_raw_data($table::table, data)
                            .with_format(diesel::pg::CopyFormat::Binary)
                            .execute(conn),
                    ),
                )*
                _ => None,
            }
        }

        $(
            /// Whole rows by one binary `COPY`, streamed (a multi-row INSERT would be parsed
            /// and planned at every statement, and bind at most 65 535 values).
            impl nerve_diesel::InsertRows<rows::$row> for crate::driver::ThisDriver {
                /// [`COPY_ROWS`](crate::driver::COPY_ROWS) rows a `COPY`.
                fn rows_per_call() -> usize {
                    crate::driver::COPY_ROWS
                }

                fn insert_rows(
                    conn: &mut diesel::PgConnection,
                    rows: &[rows::$row],
                ) -> diesel::QueryResult<usize> {
                    use diesel::ExecuteCopyFromDsl;
                    let rows: Vec<_> = rows.iter().map(rows::write::$table::Row::from).collect();
                    diesel::copy_from($table::table)
                        .from_insertable(rows)
                        .execute(conn)
                }
            }
        )*
    };
}

#[path = "../../nerve-diesel/each_driver/schema_tables.rs"]
mod tables;
pub(crate) use tables::*;

diesel::table! {
    /// Diesel's migration record, created by this driver with a TIMESTAMPTZ `run_on`.
    __diesel_schema_migrations (version) {
        version -> Varchar,
        run_on -> Timestamptz,
    }
}
