//! [`SqliteDriver`]: this backend's side of [`nerve_diesel::Driver`] — its connection and transactions,
//! the SQL that differs from the other backend, its integrity checks and maintenance.

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

use diesel::QueryResult;
use nerve_diesel::{Driver, Env};

/// The Sqlite backend of the shared store code.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SqliteDriver;

/// The driver the shared store code (`nerve-diesel/each_driver/`) is compiled against.
pub(crate) type ThisDriver = SqliteDriver;

/// The most values one statement binds (SQLite's `SQLITE_MAX_VARIABLE_NUMBER` since 3.32):
/// `batch_insert`'s multi-row INSERTs are cut to stay below it.
pub(crate) const BIND_LIMIT: usize = 32_766;

/// The store type the shared code hands its domain stores out from.
pub(crate) type ThisStore = crate::SqliteStore;

impl Driver for SqliteDriver {
    type Backend = diesel::sqlite::Sqlite;
    type Conn = diesel::SqliteConnection;
    type Manager = crate::connection::Manager;

    const BACKEND: nerve_core::Backend = nerve_core::Backend::Sqlite;
    fn write_transaction<T, E>(
        conn: &mut diesel::SqliteConnection,
        f: impl FnOnce(&mut diesel::SqliteConnection) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        conn.immediate_transaction(f)
    }

    /// A lock held by another writer past the busy timeout is `SQLITE_BUSY`, told by the
    /// connection ([`crate::connection::busy`]); Diesel gives it no kind.
    fn reclassify(conn: &mut diesel::SqliteConnection, e: nerve_core::Error) -> nerve_core::Error {
        if crate::connection::busy(conn) {
            nerve_diesel::errors::locked_out(e)
        } else {
            e
        }
    }

    fn schema_status(conn: &mut diesel::SqliteConnection) -> Result<nerve_core::SchemaStatus> {
        crate::store::schema_status(conn)
    }

    fn describe(conn: &mut diesel::SqliteConnection) -> Result<SchemaDescription> {
        crate::describe::describe(conn)
    }

    /// From [`describe`](crate::describe::describe): SQLite names only the unique indexes made
    /// by `CREATE UNIQUE INDEX`; its primary keys, `UNIQUE` clauses and foreign keys have no
    /// name it reports (and its violations name foreign keys not at all).
    fn constraints(
        conn: &mut diesel::SqliteConnection,
    ) -> Result<Vec<nerve_diesel::constraints::ConstraintInfo>> {
        use nerve_core::Constraint;
        use nerve_diesel::constraints::ConstraintInfo;
        let mut out = Vec::new();
        for t in crate::describe::describe(conn)?.tables {
            let info = |name: Option<String>, kind, columns| ConstraintInfo {
                table: t.name.clone(),
                name,
                kind,
                columns,
            };
            out.push(info(None, Constraint::PrimaryKey, t.primary_key.clone()));
            for u in &t.unique {
                out.push(info(None, Constraint::Unique, u.clone()));
            }
            for i in t.indexes.iter().filter(|i| i.unique) {
                out.push(info(
                    Some(i.name.clone()),
                    Constraint::Unique,
                    i.columns.clone(),
                ));
            }
            for f in &t.foreign_keys {
                out.push(info(None, Constraint::ForeignKey, f.columns.clone()));
            }
        }
        Ok(out)
    }

    /// Forgets the busy handler's mark of a failure no one asked about
    /// ([`crate::connection::busy`]), so that this call's failures are judged by their own.
    fn on_checkout(_: &mut diesel::SqliteConnection) {
        crate::connection::forget_busy_mark();
    }

    /// What every transaction starts with: nothing on SQLite (it has no statement timeout).
    fn on_begin(_: &mut diesel::SqliteConnection, _: &Env) -> Result<()> {
        Ok(())
    }

    /// Runs `f` in a transaction with SQLite's busy timeout at zero (a locked database fails at
    /// once instead of waiting), then sets the timeout back.
    fn without_waiting<T>(
        conn: &mut diesel::SqliteConnection,
        f: impl FnOnce(&mut diesel::SqliteConnection) -> QueryResult<T>,
    ) -> QueryResult<T> {
        conn.set_busy_timeout(std::time::Duration::ZERO);
        let out = conn.immediate_transaction(f);
        crate::connection::wait_when_busy(conn);
        out
    }

    /// `n` fresh ids for `table`: the ones after its largest. Called inside a write transaction,
    /// which on SQLite is the only writer, so no other row can take them.
    fn reserve_ids(
        conn: &mut diesel::SqliteConnection,
        table: &str,
        n: usize,
    ) -> QueryResult<Vec<i64>> {
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
    fn lock_writers(_: &mut diesel::SqliteConnection, _: &str) -> QueryResult<()> {
        Ok(())
    }

    /// After a row is inserted with its id given: nothing to do, SQLite's next rowid is already
    /// past the largest.
    fn after_explicit_ids(_: &mut diesel::SqliteConnection, _: &str) -> QueryResult<()> {
        Ok(())
    }

    /// `PRAGMA integrity_check`'s findings (none when it says `ok`) and `PRAGMA
    /// foreign_key_check`'s orphan rows.
    fn checks(
        conn: &mut diesel::SqliteConnection,
        _: &SchemaDescription,
    ) -> Result<(Vec<String>, Vec<Orphan>)> {
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
    fn server_metrics(
        conn: &mut diesel::SqliteConnection,
        _: &nerve_core::HealthThresholds,
    ) -> Result<nerve_core::model::ServerMetrics> {
        crate::health::metrics(conn)
    }

    fn size_bytes(conn: &mut diesel::SqliteConnection) -> Result<u64> {
        diesel::sql_query(
            "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size) AS bytes",
        )
        .get_result::<Size>(conn)
        .map(|s| s.bytes.max(0) as u64)
        .map_err(|e| Op::new("sqlite_master", "size").error(e))
    }

    /// `VACUUM` (on request), `ANALYZE`, `PRAGMA optimize`.
    fn optimize_statements(vacuum: bool) -> Vec<&'static str> {
        let mut out = Vec::new();
        if vacuum {
            out.push("VACUUM");
        }
        out.extend(["ANALYZE", "PRAGMA optimize"]);
        out
    }

    /// Makes the transaction just begun one consistent snapshot: nothing to do, a SQLite read
    /// transaction already is one (from its first read).
    fn snapshot(_: &mut diesel::SqliteConnection) -> Result<()> {
        Ok(())
    }

    /// Lifts the statement timeout for the rest of the transaction: SQLite has none.
    fn unbounded(_: &mut diesel::SqliteConnection) -> Result<()> {
        Ok(())
    }

    /// Cached scans whose results may contain `pattern`: those holding its first string anywhere
    /// (`json_tree`); the containment rule itself is applied after. `None` (no prefilter) for a
    /// pattern without strings.
    fn scan_results_prefilter<QS: 'static>(
        pattern: &nerve_diesel::serde_json::Value,
    ) -> Option<
        Box<
            dyn diesel::BoxableExpression<
                QS,
                diesel::sqlite::Sqlite,
                SqlType = diesel::sql_types::Bool,
            >,
        >,
    > {
        fn first_string(v: &nerve_diesel::serde_json::Value) -> Option<&str> {
            match v {
                nerve_diesel::serde_json::Value::String(s) => Some(s),
                nerve_diesel::serde_json::Value::Array(items) => {
                    items.iter().find_map(first_string)
                }
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

    /// Placeholder `n` (from 1) of a statement.
    fn param(n: usize) -> String {
        format!("?{n}")
    }

    /// The text of column `col` (JSON is text already).
    fn text_of(col: &str, _json: bool) -> String {
        format!("\"{col}\"")
    }

    /// A text expression stored back into a column (JSON stays text).
    fn stored_as(expr: String, _json: bool) -> String {
        expr
    }

    /// Whether text expression `expr` contains the text bound at `param`, in lower case.
    fn contains(expr: &str, param: &str) -> String {
        format!("instr(lower({expr}), {param}) > 0")
    }
}
