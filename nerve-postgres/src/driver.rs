//! [`PgDriver`]: this backend's side of [`nerve_diesel::Driver`] — its connection and transactions,
//! the SQL that differs from the other backend, its integrity checks and maintenance.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use nerve_core::model::{Orphan, SchemaDescription};
use nerve_core::Result;
use nerve_diesel::Op;

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = diesel::sql_types::Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    bytes: i64,
}

use diesel::QueryResult;
use nerve_diesel::{Driver, Env};

/// The Postgres backend of the shared store code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PgDriver;

/// The driver the shared store code (`nerve-diesel/each_driver/`) is compiled against.
pub(crate) type ThisDriver = PgDriver;

/// The store type the shared code hands its domain stores out from.
pub(crate) type ThisStore = crate::PgStore;

/// Rows per binary `COPY` of `batch_insert`: a batch is decoded and sent this many rows at a
/// time, in its one transaction (a `COPY` costs a round trip; 16 384 rows keep that below 1%
/// of the rows' own time and the decoded rows in a few MB).
pub(crate) const COPY_ROWS: usize = 16_384;

impl Driver for PgDriver {
    type Backend = diesel::pg::Pg;
    type Conn = diesel::PgConnection;
    type Manager = nerve_diesel::Boxed<diesel::r2d2::ConnectionManager<diesel::PgConnection>>;

    const BACKEND: nerve_core::Backend = nerve_core::Backend::Postgres;
    fn write_transaction<T, E>(
        conn: &mut diesel::PgConnection,
        f: impl FnOnce(&mut diesel::PgConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        conn.transaction(f)
    }

    fn schema_status(conn: &mut diesel::PgConnection) -> Result<nerve_core::SchemaStatus> {
        crate::store::schema_status(conn)
    }

    fn describe(conn: &mut diesel::PgConnection) -> Result<SchemaDescription> {
        crate::describe::describe(conn)
    }

    fn constraints(
        conn: &mut diesel::PgConnection,
    ) -> Result<Vec<nerve_diesel::constraints::ConstraintInfo>> {
        crate::describe::constraints(conn)
    }

    /// What every transaction starts with: the statement timeout, if one is set, with `SET LOCAL`
    /// so it ends with the transaction (and holds behind a transaction-mode pooler).
    fn on_begin(conn: &mut diesel::PgConnection, env: &Env) -> Result<()> {
        match env.statement_timeout {
            Some(t) => conn
                .batch_execute(&format!(
                    "SET LOCAL statement_timeout = {}",
                    t.as_millis().max(1)
                ))
                .map_err(|e| Op::new("-", "set statement_timeout").error(e)),
            None => Ok(()),
        }
    }

    /// Runs `f` in a transaction whose lock waits end after 100 ms (`SET LOCAL`, so nothing
    /// outlives the transaction, behind a pooler too).
    fn without_waiting<T>(
        conn: &mut diesel::PgConnection,
        f: impl FnOnce(&mut diesel::PgConnection) -> QueryResult<T>,
    ) -> QueryResult<T> {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        conn.transaction(|conn| {
            conn.batch_execute("SET LOCAL lock_timeout = '100ms'")?;
            f(conn)
        })
    }

    /// `n` fresh ids for `table`, drawn from its identity sequence (never handed out twice).
    fn reserve_ids(
        conn: &mut diesel::PgConnection,
        table: &str,
        n: usize,
    ) -> QueryResult<Vec<i64>> {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Ids {
            #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
            ids: Vec<i64>,
        }
        // One row holding every id (an array decodes in one piece, not n rows by name). The
        // sequence is looked up once, in a materialized CTE: as a plain subquery joined to
        // the series, the planner re-ran the lookup for every id (473 ms for 100 000 ids,
        // against 69 ms). `table` is one of the schema's own names (from `tables!`), never
        // caller text.
        Ok(diesel::sql_query(format!(
            "WITH identity AS MATERIALIZED \
               (SELECT pg_get_serial_sequence('\"{table}\"', 'id')::regclass AS seq) \
             SELECT array_agg(nextval(seq)) AS ids FROM identity, generate_series(1, $1)"
        ))
        .bind::<diesel::sql_types::BigInt, _>(n as i64)
        .get_result::<Ids>(conn)?
        .ids)
    }

    /// Makes the calling transaction the only writer of `table` until it ends (readers go on):
    /// `SHARE ROW EXCLUSIVE` conflicts with itself and with every row change. Store operations
    /// that read a whole table and then write it as one decision (loading the task library,
    /// the flagging mapping) take it first. `table` is one of the schema's own names.
    fn lock_writers(conn: &mut diesel::PgConnection, table: &str) -> QueryResult<()> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute(&format!(
            "LOCK TABLE \"{table}\" IN SHARE ROW EXCLUSIVE MODE"
        ))
    }

    /// After a row is inserted with its id given: moves `table`'s identity past the largest id
    /// (never backwards). The table is locked against other writers first (until the transaction
    /// ends), so no `nextval` can slip between reading the sequence and setting it.
    fn after_explicit_ids(conn: &mut diesel::PgConnection, table: &str) -> QueryResult<()> {
        use diesel::connection::SimpleConnection;
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Sequence {
            #[diesel(sql_type = diesel::sql_types::Text)]
            name: String,
        }
        // `table` is one of the schema's own names (from `tables!`), never caller text; the
        // sequence's name comes from the catalog, already quoted as needed (regclass text).
        Self::lock_writers(conn, table)?;
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

    /// Foreign keys not validated and indexes not valid (a failed `CREATE INDEX CONCURRENTLY`),
    /// including the GIN indexes the description leaves out. Every validated constraint is
    /// enforced, so there are no orphan rows to list.
    fn checks(
        conn: &mut diesel::PgConnection,
        _: &SchemaDescription,
    ) -> Result<(Vec<String>, Vec<Orphan>)> {
        let op = Op::new("pg_catalog", "health");
        let mut problems: Vec<String> = diesel::sql_query(
            "SELECT format('foreign key %s of %s is not validated', conname, conrelid::regclass) AS line \
               FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
              WHERE n.nspname = current_schema() AND contype = 'f' AND NOT convalidated ORDER BY 1",
        )
        .load::<Line>(conn)
        .map_err(|e| op.error(e))?
        .into_iter()
        .map(|l| l.line)
        .collect();
        problems.extend(
            diesel::sql_query(
                "SELECT format('index %s of %s is not valid', i.indexrelid::regclass, i.indrelid::regclass) AS line \
                   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid \
                   JOIN pg_namespace n ON n.oid = c.relnamespace \
                  WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready) ORDER BY 1",
            )
            .load::<Line>(conn)
            .map_err(|e| op.error(e))?
            .into_iter()
            .map(|l| l.line),
        );
        Ok((problems, Vec::new()))
    }

    /// `pg_database_size(current_database())`.
    fn server_metrics(
        conn: &mut diesel::PgConnection,
        limits: &nerve_core::HealthThresholds,
    ) -> Result<nerve_core::model::ServerMetrics> {
        crate::health::metrics(conn, limits)
    }

    fn size_bytes(conn: &mut diesel::PgConnection) -> Result<u64> {
        diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes")
            .get_result::<Size>(conn)
            .map(|s| s.bytes.max(0) as u64)
            .map_err(|e| Op::new("pg_catalog", "size").error(e))
    }

    /// `VACUUM (ANALYZE)`, with or without `--vacuum` (a plain VACUUM takes no lock that stops
    /// readers or writers; `VACUUM FULL` would, and is not offered).
    fn optimize_statements(vacuum: bool) -> Vec<&'static str> {
        vec![if vacuum {
            "VACUUM (ANALYZE)"
        } else {
            "ANALYZE"
        }]
    }

    /// Makes the transaction just begun one consistent, read-only snapshot.
    fn snapshot(conn: &mut diesel::PgConnection) -> Result<()> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .map_err(|e| Op::new("-", "snapshot").error(e))
    }

    /// Lifts the statement timeout for the rest of the transaction (data-lifecycle operations
    /// touch every table and may take long).
    fn unbounded(conn: &mut diesel::PgConnection) -> Result<()> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SET LOCAL statement_timeout = 0")
            .map_err(|e| Op::new("-", "statement_timeout").error(e))
    }

    /// Cached scans whose results contain `pattern`, by JSONB containment (`@>`), which the GIN
    /// index on `scan_results` answers.
    fn scan_results_prefilter<QS: 'static>(
        pattern: &nerve_diesel::serde_json::Value,
    ) -> Option<
        Box<dyn diesel::BoxableExpression<QS, diesel::pg::Pg, SqlType = diesel::sql_types::Bool>>,
    > {
        Some(Box::new(
            diesel::dsl::sql::<diesel::sql_types::Bool>("cached_asm_scans.scan_results @> ")
                .bind::<diesel::sql_types::Jsonb, _>(pattern.clone()),
        ))
    }

    /// Placeholder `n` (from 1) of a statement.
    fn param(n: usize) -> String {
        format!("${n}")
    }

    /// The text of column `col` (JSONB as its text).
    fn text_of(col: &str, json: bool) -> String {
        if json {
            format!("\"{col}\"::text")
        } else {
            format!("\"{col}\"")
        }
    }

    /// A text expression stored back into a column (JSONB parsed again).
    fn stored_as(expr: String, json: bool) -> String {
        if json {
            format!("({expr})::jsonb")
        } else {
            expr
        }
    }

    /// Whether text expression `expr` contains the text bound at `param`, in lower case.
    fn contains(expr: &str, param: &str) -> String {
        format!("strpos(lower({expr}), {param}) > 0")
    }
}
