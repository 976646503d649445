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

use crate::store::Db;

nerve_diesel::tables!(
    conn = diesel::SqliteConnection,
    bind = Db,
    after_explicit_ids = crate::schema::after_explicit_ids
);

/// After a row is inserted with its id given: nothing to do, SQLite's next rowid is already
/// past the largest.
pub(crate) fn after_explicit_ids(
    _: &mut diesel::SqliteConnection,
    _: &str,
) -> diesel::QueryResult<()> {
    Ok(())
}

/// Runs `f` in a transaction with SQLite's busy timeout at zero (a locked database fails at
/// once instead of waiting), then sets the timeout back.
pub(crate) fn without_waiting<T>(
    conn: &mut diesel::SqliteConnection,
    f: impl FnOnce(&mut diesel::SqliteConnection) -> diesel::QueryResult<T>,
) -> diesel::QueryResult<T> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("PRAGMA busy_timeout = 0")?;
    let out = conn.immediate_transaction(f);
    conn.batch_execute(&format!("PRAGMA busy_timeout = {}", crate::BUSY_TIMEOUT_MS))?;
    out
}

/// The most values one statement binds (SQLite's `SQLITE_MAX_VARIABLE_NUMBER` since 3.32).
pub(crate) const BIND_LIMIT: usize = 32_766;

/// `n` fresh ids for `table`: the ones after its largest. Called inside a write transaction,
/// which on SQLite is the only writer, so no other row can take them.
pub(crate) fn reserve_ids(
    conn: &mut diesel::SqliteConnection,
    table: &str,
    n: usize,
) -> diesel::QueryResult<Vec<i64>> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    // `table` is one of the schema's own names (from `tables!`), never caller text.
    let max = diesel::sql_query(format!(
        "SELECT coalesce(max(id), 0) AS id FROM \"{table}\""
    ))
    .get_result::<Max>(conn)?
    .id;
    Ok((1..=n as i64).map(|i| max + i).collect())
}

/// Makes the calling transaction the only writer of `table` until it ends: nothing to do, a
/// SQLite write transaction (`BEGIN IMMEDIATE`) is already the only writer of the database.
pub(crate) fn lock_writers(_: &mut diesel::SqliteConnection, _: &str) -> diesel::QueryResult<()> {
    Ok(())
}

diesel::table! {
    /// Diesel's migration record; `run_on` is `CURRENT_TIMESTAMP` text (UTC, no offset).
    __diesel_schema_migrations (version) {
        version -> Text,
        run_on -> Timestamp,
    }
}

/// Cached scans whose results may contain `pattern`: those holding its first string anywhere
/// (`json_tree`); the containment rule itself is applied after. `None` (no prefilter) for a
/// pattern without strings.
pub(crate) fn scan_results_prefilter(
    pattern: &nerve_diesel::serde_json::Value,
) -> Option<
    Box<
        dyn diesel::BoxableExpression<
            cached_asm_scans::table,
            diesel::sqlite::Sqlite,
            SqlType = diesel::sql_types::Bool,
        >,
    >,
> {
    fn first_string(v: &nerve_diesel::serde_json::Value) -> Option<&str> {
        match v {
            nerve_diesel::serde_json::Value::String(s) => Some(s),
            nerve_diesel::serde_json::Value::Array(items) => items.iter().find_map(first_string),
            nerve_diesel::serde_json::Value::Object(map) => map.values().find_map(first_string),
            _ => None,
        }
    }
    let needle = first_string(pattern)?.to_string();
    Some(Box::new(
        diesel::dsl::sql::<diesel::sql_types::Bool>(
            "EXISTS (SELECT 1 FROM json_tree(cached_asm_scans.scan_results) t \
                     WHERE t.type = 'text' AND t.atom = ",
        )
        .bind::<diesel::sql_types::Text, _>(needle)
        .sql(")"),
    ))
}
