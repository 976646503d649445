//! What only PostgreSQL does for `AdminStore`: constraint and index validity, the database's
//! size, its maintenance statements. The rest is nerve-diesel's `admin_store!`.

use crate::store::Conn;
use diesel::prelude::*;
use nerve_core::model::{Orphan, SchemaDescription};
use nerve_core::Result;
use nerve_diesel::Op;

pub(crate) use crate::describe::describe;

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

/// Foreign keys not validated and indexes not valid (a failed `CREATE INDEX CONCURRENTLY`),
/// including the GIN indexes the description leaves out. Every validated constraint is
/// enforced, so there are no orphan rows to list.
pub(crate) fn checks(conn: &mut Conn, _: &SchemaDescription) -> Result<(Vec<String>, Vec<Orphan>)> {
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
pub(crate) fn size_bytes(conn: &mut Conn) -> Result<u64> {
    diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes")
        .get_result::<Size>(conn)
        .map(|s| s.bytes.max(0) as u64)
        .map_err(|e| Op::new("pg_catalog", "size").error(e))
}

/// `VACUUM (ANALYZE)`, with or without `--vacuum` (a plain VACUUM takes no lock that stops
/// readers or writers; `VACUUM FULL` would, and is not offered).
pub(crate) fn optimize_statements(vacuum: bool) -> Vec<&'static str> {
    vec![if vacuum {
        "VACUUM (ANALYZE)"
    } else {
        "ANALYZE"
    }]
}

/// Placeholder `n` (from 1) of a statement.
pub(crate) fn param(n: usize) -> String {
    format!("${n}")
}

/// The text of column `col` (JSONB as its text).
pub(crate) fn text_of(col: &str, json: bool) -> String {
    if json {
        format!("\"{col}\"::text")
    } else {
        format!("\"{col}\"")
    }
}

/// A text expression stored back into a column (JSONB parsed again).
pub(crate) fn stored_as(expr: String, json: bool) -> String {
    if json {
        format!("({expr})::jsonb")
    } else {
        expr
    }
}

/// Whether text expression `expr` contains the text bound at `param`, in lower case.
pub(crate) fn contains(expr: &str, param: &str) -> String {
    format!("strpos(lower({expr}), {param}) > 0")
}

/// Makes the transaction just begun one consistent, read-only snapshot.
pub(crate) fn snapshot(conn: &mut Conn) -> Result<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .map_err(|e| Op::new("-", "snapshot").error(e))
}

/// Lifts the statement timeout for the rest of the transaction (data-lifecycle operations
/// touch every table and may take long).
pub(crate) fn unbounded(conn: &mut Conn) -> Result<()> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("SET LOCAL statement_timeout = 0")
        .map_err(|e| Op::new("-", "statement_timeout").error(e))
}
