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

nerve_diesel::tables!();

diesel::table! {
    /// Diesel's migration record, created by this driver with a TIMESTAMPTZ `run_on`.
    __diesel_schema_migrations (version) {
        version -> Varchar,
        run_on -> Timestamptz,
    }
}
