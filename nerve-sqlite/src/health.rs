//! SQLite's numbers for `health` and `stats`: its pragmas and the size of its WAL file.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use nerve_core::model::{ServerMetrics, SqliteMetrics};
use nerve_core::Result;
use nerve_diesel::Op;

#[derive(QueryableByName)]
struct Pragmas {
    #[diesel(sql_type = Text)]
    journal_mode: String,
    #[diesel(sql_type = BigInt)]
    page_size: i64,
    #[diesel(sql_type = BigInt)]
    page_count: i64,
    #[diesel(sql_type = BigInt)]
    free_pages: i64,
    #[diesel(sql_type = Text)]
    file: String,
}

/// The pragmas of the main database and the length of `<file>-wal` (0 when there is none:
/// in memory, or after the last connection checkpointed and removed it).
pub(crate) fn metrics(conn: &mut SqliteConnection) -> Result<ServerMetrics> {
    let p = diesel::sql_query(
        "SELECT (SELECT journal_mode FROM pragma_journal_mode) AS journal_mode, \
                (SELECT page_size FROM pragma_page_size) AS page_size, \
                (SELECT page_count FROM pragma_page_count) AS page_count, \
                (SELECT freelist_count FROM pragma_freelist_count) AS free_pages, \
                coalesce((SELECT file FROM pragma_database_list WHERE name = 'main'), '') AS file",
    )
    .get_result::<Pragmas>(conn)
    .map_err(|e| Op::new("sqlite_master", "metrics").error(e))?;
    let wal_bytes = if p.file.is_empty() {
        0
    } else {
        std::fs::metadata(format!("{}-wal", p.file)).map_or(0, |m| m.len())
    };
    Ok(ServerMetrics::Sqlite(SqliteMetrics {
        journal_mode: p.journal_mode,
        page_size: p.page_size.max(0) as u64,
        page_count: p.page_count.max(0) as u64,
        free_pages: p.free_pages.max(0) as u64,
        wal_bytes,
    }))
}
