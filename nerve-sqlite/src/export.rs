//! Reading a SQLite database value by value, storage class included, in one consistent
//! snapshot: the source side of `nerve copy` and `nerve verify`.
//!
//! Diesel reads a text value from an INTEGER column as 0 without complaint, so this reads
//! through rusqlite (built on the same libsqlite3), which reports each value's storage class.

use crate::connection::{parse_url, Target};
use nerve_core::transfer::Cell;
use nerve_core::url::redact;
use nerve_core::{Error, Result};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

/// A SQLite database opened read-only, holding one read transaction: every read through it
/// sees the same snapshot, whatever other processes write meanwhile.
pub struct SqliteSource {
    conn: Connection,
}

impl std::fmt::Debug for SqliteSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqliteSource")
    }
}

/// A row whose foreign key has no parent, as `PRAGMA foreign_key_check` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Orphan {
    /// The row's rowid (its id).
    pub rowid: i64,
    /// The table the missing parent belongs to.
    pub parent: String,
    /// The (first) column of the foreign key that points nowhere.
    pub column: String,
}

fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl SqliteSource {
    /// Opens the database at `url` (`sqlite://PATH`) read-only and starts its snapshot.
    /// Errors: [`Error::Connect`] for a bad URL, an in-memory URL (nothing to read), or a
    /// file that cannot be opened as a SQLite database.
    pub fn open(url: &str) -> Result<Self> {
        let path = match parse_url(url)? {
            Target::File(path) => path,
            Target::Memory => {
                return Err(Error::Connect {
                    reason: "an in-memory SQLite database has nothing to read: give a file".into(),
                })
            }
        };
        let fail = |e: rusqlite::Error| Error::Connect {
            reason: format!("{}: {e}", redact(url)),
        };
        if !path.is_file() {
            return Err(Error::Connect {
                reason: format!("{}: no such file", redact(url)),
            });
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(fail)?;
        // BEGIN is lazy: the first read takes the snapshot, and it holds until the end.
        conn.execute_batch("BEGIN; SELECT count(*) FROM sqlite_master;")
            .map_err(fail)?;
        Ok(SqliteSource { conn })
    }

    fn err(table: &str, e: rusqlite::Error) -> Error {
        Error::Backend {
            table: "-",
            operation: "read",
            source: format!("{table}: {e}").into(),
        }
    }

    /// Every table of the database (not SQLite's own) with its columns in table order, as
    /// `PRAGMA table_info` gives them: the shape of a database this binary did not make.
    pub fn tables(&self) -> Result<Vec<(String, Vec<String>)>> {
        let names: Vec<String> = {
            let mut stmt = self
                .conn
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
                )
                .map_err(|e| Self::err("sqlite_master", e))?;
            let rows = stmt
                .query_map([], |r| r.get(0))
                .map_err(|e| Self::err("sqlite_master", e))?;
            rows.collect::<rusqlite::Result<_>>()
                .map_err(|e| Self::err("sqlite_master", e))?
        };
        let mut out = Vec::new();
        for name in names {
            let mut stmt = self
                .conn
                .prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")
                .map_err(|e| Self::err(&name, e))?;
            let columns = stmt
                .query_map([&name], |r| r.get(0))
                .map_err(|e| Self::err(&name, e))?
                .collect::<rusqlite::Result<Vec<String>>>()
                .map_err(|e| Self::err(&name, e))?;
            out.push((name, columns));
        }
        Ok(out)
    }

    /// How many rows of `table` hold a value (not NULL) in `column`.
    pub fn non_null(&self, table: &str, column: &str) -> Result<u64> {
        self.conn
            .query_row(
                &format!(
                    "SELECT count(*) FROM {} WHERE {} IS NOT NULL",
                    quote(table),
                    quote(column)
                ),
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(|e| Self::err(table, e))
    }

    /// How many rows `table` holds.
    pub fn count(&self, table: &str) -> Result<u64> {
        self.conn
            .query_row(&format!("SELECT count(*) FROM {}", quote(table)), [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n as u64)
            .map_err(|e| Self::err(table, e))
    }

    /// The rows of `table` whose foreign keys point at no row (`PRAGMA foreign_key_check`).
    pub fn orphans(&self, table: &str) -> Result<Vec<Orphan>> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT c.rowid, c.parent, f.\"from\" \
                   FROM pragma_foreign_key_check({t}) c \
                   JOIN pragma_foreign_key_list({t}) f ON f.id = c.fkid AND f.seq = 0",
                t = quote_literal(table)
            ))
            .map_err(|e| Self::err(table, e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Orphan {
                    rowid: r.get::<_, Option<i64>>(0)?.unwrap_or_default(),
                    parent: r.get(1)?,
                    column: r.get(2)?,
                })
            })
            .map_err(|e| Self::err(table, e))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| Self::err(table, e))
    }

    /// Calls `f` with each row of `table` (its rowid, then the `columns` named, in order),
    /// in rowid order, until `f` returns `Ok(false)` or an error (which is returned).
    pub fn scan(
        &self,
        table: &str,
        columns: &[String],
        f: &mut dyn FnMut(i64, &[Cell<'_>]) -> Result<bool>,
    ) -> Result<()> {
        let list: Vec<String> = columns.iter().map(|c| quote(c)).collect();
        let sql = format!(
            "SELECT rowid, {} FROM {} ORDER BY rowid",
            list.join(", "),
            quote(table)
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| Self::err(table, e))?;
        let mut rows = stmt.query([]).map_err(|e| Self::err(table, e))?;
        while let Some(row) = rows.next().map_err(|e| Self::err(table, e))? {
            let rowid: i64 = row.get(0).map_err(|e| Self::err(table, e))?;
            let mut cells: Vec<Cell<'_>> = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                let value = row.get_ref(i + 1).map_err(|e| Self::err(table, e))?;
                cells.push(match value {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Integer(n),
                    ValueRef::Real(x) => Cell::Real(x),
                    ValueRef::Text(t) => Cell::Text(t),
                    ValueRef::Blob(b) => Cell::Blob(b),
                });
            }
            if !f(rowid, &cells)? {
                break;
            }
        }
        Ok(())
    }
}
