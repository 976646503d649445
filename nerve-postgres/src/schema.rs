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

use crate::store::Db;

/// COPY into any table by name: Diesel's `copy_from` needs the static table type, so the
/// dispatch is generated from `tables!`'s one list.
macro_rules! copy_targets {
    ($( $table:ident [ $($col:ident)* ] )*) => {
        /// Every table of the schema.
        pub(crate) const TABLE_NAMES: &[&str] = &[$(stringify!($table)),*];

        /// The columns `COPY` into `table` takes, in the order its data must give them;
        /// `None` for a table the schema does not have.
        pub(crate) fn copy_columns(table: &str) -> Option<&'static [&'static str]> {
            match table {
                $( stringify!($table) => Some(&[$(stringify!($col)),*]), )*
                _ => None,
            }
        }

        /// `COPY table (columns) FROM STDIN` in text format, the lines written by `data`
        /// (in [`copy_columns`] order); `None` for a table the schema does not have.
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
                            .with_format(diesel::pg::CopyFormat::Text)
                            .execute(conn),
                    ),
                )*
                _ => None,
            }
        }
    };
}

nerve_diesel::tables!(
    conn = diesel::PgConnection,
    bind = Db,
    after_explicit_ids = crate::schema::after_explicit_ids,
    each_table = copy_targets
);

/// After a row is inserted with its id given: moves `table`'s identity past the largest id
/// (never backwards). The table is locked against other writers first (until the transaction
/// ends), so no `nextval` can slip between reading the sequence and setting it.
pub(crate) fn after_explicit_ids(
    conn: &mut diesel::PgConnection,
    table: &str,
) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Sequence {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    // `table` is one of the schema's own names (from `tables!`), never caller text; the
    // sequence's name comes from the catalog, already quoted as needed (regclass text).
    lock_writers(conn, table)?;
    let seq = diesel::sql_query(format!(
        "SELECT pg_get_serial_sequence('\"{table}\"', 'id')::regclass::text AS name"
    ))
    .get_result::<Sequence>(conn)?
    .name;
    conn.batch_execute(&format!(
        "SELECT setval('{seq}', GREATEST((SELECT max(id) FROM \"{table}\"), \
                (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {seq}), 1))"
    ))
}

/// Runs `f` in a transaction whose lock waits end after 100 ms (`SET LOCAL`, so nothing
/// outlives the transaction, behind a pooler too).
pub(crate) fn without_waiting<T>(
    conn: &mut diesel::PgConnection,
    f: impl FnOnce(&mut diesel::PgConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    conn.transaction(|conn| {
        conn.batch_execute("SET LOCAL lock_timeout = '100ms'")?;
        f(conn)
    })
}

/// The most values one statement binds (the protocol's 16-bit parameter count).
pub(crate) const BIND_LIMIT: usize = 65_535;

/// `n` fresh ids for `table`, drawn from its identity sequence (never handed out twice).
pub(crate) fn reserve_ids(
    conn: &mut diesel::PgConnection,
    table: &str,
    n: usize,
) -> diesel::QueryResult<Vec<i64>> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    // `table` is one of the schema's own names (from `tables!`), never caller text.
    Ok(diesel::sql_query(format!(
        "SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) AS id FROM generate_series(1, $1)"
    ))
    .bind::<diesel::sql_types::BigInt, _>(n as i64)
    .load::<Id>(conn)?
    .into_iter()
    .map(|r| r.id)
    .collect())
}

/// Makes the calling transaction the only writer of `table` until it ends (readers go on):
/// `SHARE ROW EXCLUSIVE` conflicts with itself and with every row change. Store operations
/// that read a whole table and then write it as one decision (loading the task library,
/// the flagging mapping) take it first. `table` is one of the schema's own names.
pub(crate) fn lock_writers(
    conn: &mut diesel::PgConnection,
    table: &str,
) -> diesel::QueryResult<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute(&format!(
        "LOCK TABLE \"{table}\" IN SHARE ROW EXCLUSIVE MODE"
    ))
}

diesel::table! {
    /// Diesel's migration record, created by this driver with a TIMESTAMPTZ `run_on`.
    __diesel_schema_migrations (version) {
        version -> Varchar,
        run_on -> Timestamptz,
    }
}

/// Cached scans whose results contain `pattern`, by JSONB containment (`@>`), which the GIN
/// index on `scan_results` answers.
pub(crate) fn scan_results_prefilter(
    pattern: &nerve_diesel::serde_json::Value,
) -> Option<
    Box<
        dyn diesel::BoxableExpression<
            cached_asm_scans::table,
            diesel::pg::Pg,
            SqlType = diesel::sql_types::Bool,
        >,
    >,
> {
    Some(Box::new(
        diesel::dsl::sql::<diesel::sql_types::Bool>("cached_asm_scans.scan_results @> ")
            .bind::<diesel::sql_types::Jsonb, _>(pattern.clone()),
    ))
}
