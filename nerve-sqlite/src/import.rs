//! Writing rows value by value into a NERVE SQLite database that nothing else uses yet: the
//! staging side of `nerve import`. The database's own constraints (STRICT types, CHECKs,
//! unique keys, foreign keys) judge every row; a row they refuse is reported with the
//! database's reason and leaves nothing behind (SQLite undoes the one statement), the rows
//! before and after it stay.

use nerve_core::transfer::Cell;
use nerve_core::{Error, Result};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ErrorCode};
use std::path::{Path, PathBuf};

/// A row a constraint refused ([`SqliteSink::insert`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Whether a foreign key refused it (SQLite's extended code; its message names none).
    pub foreign_key: bool,
    /// SQLite's message: `NOT NULL constraint failed: t.c`, `UNIQUE constraint failed: t.c`,
    /// `CHECK constraint failed: ...`.
    pub message: String,
}

/// A migrated SQLite file being filled in one transaction.
pub struct SqliteSink {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqliteSink({})", self.path.display())
    }
}

struct Bind<'a>(Cell<'a>);

impl rusqlite::ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Cell::Null => ValueRef::Null,
            Cell::Integer(n) => ValueRef::Integer(n),
            Cell::Real(x) => ValueRef::Real(x),
            Cell::Text(t) => ValueRef::Text(t),
            Cell::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl SqliteSink {
    /// Opens the migrated database file at `path` for loading: foreign keys enforced, no
    /// fsync until [`SqliteSink::finish`] (a crash loses only this file, which is not yet the
    /// target), a 32 MiB page cache, and begins the one transaction.
    pub fn open(path: &Path) -> Result<Self> {
        let fail = |e: rusqlite::Error| Error::Connect {
            reason: format!("{}: {e}", path.display()),
        };
        let conn = Connection::open(path).map_err(fail)?;
        conn.execute_batch(
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = DELETE; PRAGMA synchronous = OFF; \
             PRAGMA cache_size = -32768; BEGIN IMMEDIATE;",
        )
        .map_err(fail)?;
        Ok(SqliteSink {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(table: &str, operation: &'static str, e: rusqlite::Error) -> Error {
        Error::Backend {
            table: "-",
            operation,
            source: format!("{table}: {e}").into(),
        }
    }

    /// The INSERT statement for `columns` of `table`, for [`SqliteSink::insert`] (made once
    /// per table: the statement is prepared once and cached).
    pub fn insert_statement(table: &str, columns: &[String]) -> String {
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quote(table),
            columns
                .iter()
                .map(|c| quote(c))
                .collect::<Vec<_>>()
                .join(", "),
            (1..=columns.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }

    /// Inserts one row by `statement` (from [`SqliteSink::insert_statement`] for `table`):
    /// `Ok(Ok(()))` when written, `Ok(Err(refused))` when a constraint refused it (nothing of
    /// it was written), `Err` when the database failed.
    pub fn insert(
        &mut self,
        table: &str,
        statement: &str,
        values: &[Cell<'_>],
    ) -> Result<std::result::Result<(), Refused>> {
        let mut stmt = self
            .conn
            .prepare_cached(statement)
            .map_err(|e| Self::err(table, "prepare insert", e))?;
        for (i, value) in values.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, Bind(*value))
                .map_err(|e| Self::err(table, "bind", e))?;
        }
        match stmt.raw_execute() {
            Ok(_) => Ok(Ok(())),
            Err(rusqlite::Error::SqliteFailure(e, message))
                if e.code == ErrorCode::ConstraintViolation =>
            {
                Ok(Err(Refused {
                    foreign_key: e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
                    message: message.unwrap_or_else(|| e.to_string()),
                }))
            }
            Err(e) => Err(Self::err(table, "insert", e)),
        }
    }

    /// Drops `table`'s secondary indexes that judge nothing (not UNIQUE) and returns the
    /// statements that make them again: a bulk load then builds each once, sorted, instead of
    /// maintaining it row by row. [`SqliteSink::restore`] runs them in the same transaction.
    pub fn suspend_indexes(&mut self, table: &str) -> Result<Vec<String>> {
        let indexes: Vec<(String, String)> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 \
                     AND sql IS NOT NULL AND upper(sql) NOT LIKE 'CREATE UNIQUE%'",
                )
                .map_err(|e| Self::err(table, "list indexes", e))?;
            let rows = stmt
                .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| Self::err(table, "list indexes", e))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| Self::err(table, "list indexes", e))?
        };
        for (name, _) in &indexes {
            self.conn
                .execute_batch(&format!("DROP INDEX {}", quote(name)))
                .map_err(|e| Self::err(table, "drop index", e))?;
        }
        Ok(indexes.into_iter().map(|(_, sql)| sql).collect())
    }

    /// Makes again the indexes [`SqliteSink::suspend_indexes`] dropped.
    pub fn restore(&mut self, table: &str, statements: &[String]) -> Result<()> {
        for sql in statements {
            self.conn
                .execute_batch(sql)
                .map_err(|e| Self::err(table, "create index", e))?;
        }
        Ok(())
    }

    /// The integer `column` of the row of `table` whose id is `id` (`None` when there is no
    /// such row, or the value is NULL): for values derived from a parent already loaded.
    pub fn lookup(&self, table: &str, column: &str, id: i64) -> Result<Option<i64>> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = ?1",
            quote(column),
            quote(table)
        );
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| Self::err(table, "lookup", e))?;
        let mut rows = stmt
            .query([id])
            .map_err(|e| Self::err(table, "lookup", e))?;
        match rows.next().map_err(|e| Self::err(table, "lookup", e))? {
            Some(row) => row.get(0).map_err(|e| Self::err(table, "lookup", e)),
            None => Ok(None),
        }
    }

    /// Whether `table` has a row with this id.
    pub fn exists(&self, table: &str, id: i64) -> Result<bool> {
        let sql = format!("SELECT 1 FROM {} WHERE id = ?1", quote(table));
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(|e| Self::err(table, "lookup", e))?;
        stmt.exists([id]).map_err(|e| Self::err(table, "lookup", e))
    }

    /// Commits, runs `ANALYZE`, closes the file and flushes it to disk.
    pub fn finish(self) -> Result<()> {
        let table = self.path.display().to_string();
        self.conn
            .execute_batch("COMMIT; ANALYZE;")
            .map_err(|e| Self::err(&table, "commit", e))?;
        let path = self.path.clone();
        self.conn
            .close()
            .map_err(|(_, e)| Self::err(&table, "close", e))?;
        std::fs::File::open(&path)
            .and_then(|f| f.sync_all())
            .map_err(|e| Error::Backend {
                table: "-",
                operation: "flush",
                source: format!("{}: {e}", path.display()).into(),
            })
    }
}
