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

nerve_diesel::tables!(
    conn = diesel::PgConnection,
    bind = Db,
    after_explicit_ids = crate::schema::after_explicit_ids
);

/// After a row is inserted with its id given: moves `table`'s identity past the largest id
/// (never backwards), so the next row inserted without an id gets a fresh one.
pub(crate) fn after_explicit_ids(
    conn: &mut diesel::PgConnection,
    table: &str,
) -> diesel::QueryResult<()> {
    use diesel::RunQueryDsl;
    // `table` is one of the schema's own names (from `tables!`), never caller text.
    diesel::sql_query(format!(
        "SELECT setval(s.seq, GREATEST((SELECT max(id) FROM \"{table}\"), \
                                       COALESCE(pg_sequence_last_value(s.seq), 1), 1)) \
           FROM (SELECT pg_get_serial_sequence('{table}', 'id')::regclass AS seq) s"
    ))
    .execute(conn)
    .map(|_| ())
}

diesel::table! {
    /// Diesel's migration record, created by this driver with a TIMESTAMPTZ `run_on`.
    __diesel_schema_migrations (version) {
        version -> Varchar,
        run_on -> Timestamptz,
    }
}
