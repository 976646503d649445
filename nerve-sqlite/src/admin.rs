//! What only SQLite does for `AdminStore`: its own integrity and foreign-key checks, its size,
//! its maintenance statements. The rest is nerve-diesel's `admin_store!`.

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
struct FkRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    tbl: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    rid: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    parent: String,
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    bytes: i64,
}

/// `PRAGMA integrity_check`'s findings (none when it says `ok`) and `PRAGMA
/// foreign_key_check`'s orphan rows.
pub(crate) fn checks(conn: &mut Conn, _: &SchemaDescription) -> Result<(Vec<String>, Vec<Orphan>)> {
    let op = Op::new("sqlite_master", "integrity_check");
    let problems: Vec<String> =
        diesel::sql_query("SELECT integrity_check AS line FROM pragma_integrity_check")
            .load::<Line>(conn)
            .map_err(|e| op.error(e))?
            .into_iter()
            .map(|l| l.line)
            .filter(|l| l != "ok")
            .map(|l| format!("integrity_check: {l}"))
            .collect();
    let orphans = diesel::sql_query(
        "SELECT \"table\" AS tbl, rowid AS rid, parent FROM pragma_foreign_key_check ORDER BY 1, 2",
    )
    .load::<FkRow>(conn)
    .map_err(|e| Op::new("sqlite_master", "foreign_key_check").error(e))?
    .into_iter()
    .map(|r| Orphan {
        table: r.tbl,
        rowid: r.rid.unwrap_or_default(),
        parent: r.parent,
    })
    .collect();
    Ok((problems, orphans))
}

/// The database file's pages: `page_count × page_size`.
pub(crate) fn size_bytes(conn: &mut Conn) -> Result<u64> {
    diesel::sql_query(
        "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS bytes",
    )
    .get_result::<Size>(conn)
    .map(|s| s.bytes.max(0) as u64)
    .map_err(|e| Op::new("sqlite_master", "size").error(e))
}

/// `VACUUM` (on request), `ANALYZE`, `PRAGMA optimize`.
pub(crate) fn optimize_statements(vacuum: bool) -> Vec<&'static str> {
    let mut out = Vec::new();
    if vacuum {
        out.push("VACUUM");
    }
    out.extend(["ANALYZE", "PRAGMA optimize"]);
    out
}

/// Placeholder `n` (from 1) of a statement.
pub(crate) fn param(n: usize) -> String {
    format!("?{n}")
}

/// The text of column `col` (JSON is text already).
pub(crate) fn text_of(col: &str, _json: bool) -> String {
    format!("\"{col}\"")
}

/// A text expression stored back into a column (JSON stays text).
pub(crate) fn stored_as(expr: String, _json: bool) -> String {
    expr
}

/// Whether text expression `expr` contains the text bound at `param`, in lower case.
pub(crate) fn contains(expr: &str, param: &str) -> String {
    format!("instr(lower({expr}), {param}) > 0")
}

/// Makes the transaction just begun one consistent snapshot: nothing to do, a SQLite read
/// transaction already is one (from its first read).
pub(crate) fn snapshot(_: &mut Conn) -> Result<()> {
    Ok(())
}

/// Lifts the statement timeout for the rest of the transaction: SQLite has none.
pub(crate) fn unbounded(_: &mut Conn) -> Result<()> {
    Ok(())
}
