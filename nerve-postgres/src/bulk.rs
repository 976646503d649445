//! A dedicated connection for bulk work: the target side of `nerve copy` and `nerve verify`.
//!
//! Everything runs on one connection the caller drives (not the pool): `COPY FROM STDIN` into
//! any table of the schema, in one transaction the caller begins and commits, so a copy that
//! fails or is killed leaves nothing; and row-by-row reads for verification, which never hold a
//! whole result set in memory.

use crate::schema;
use diesel::connection::SimpleConnection;
use diesel::pg::PgRowByRowLoadingMode;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use nerve_core::transfer::{COPY_HEADER, COPY_TRAILER};
use nerve_core::{Error, Result};
use nerve_diesel::Op;
use std::cell::RefCell;
use std::io::Write;

/// One connection to a PostgreSQL database for bulk loading and reading.
pub struct PgTarget {
    conn: PgConnection,
}

impl std::fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgTarget")
    }
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = Bool)]
    value: bool,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Why a `COPY` stopped: the database, or the data producer.
#[derive(Debug)]
enum CopyStop {
    Diesel(diesel::result::Error),
    Producer,
}

impl std::fmt::Display for CopyStop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CopyStop::Diesel(e) => write!(f, "{e}"),
            CopyStop::Producer => f.write_str("the copy was stopped by its data source"),
        }
    }
}

impl std::error::Error for CopyStop {}

impl From<diesel::result::Error> for CopyStop {
    fn from(e: diesel::result::Error) -> Self {
        CopyStop::Diesel(e)
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `table` as one of the schema's own names (`&'static`, for errors), or a validation error.
fn known(table: &str) -> Result<&'static str> {
    schema::TABLE_NAMES
        .iter()
        .find(|t| **t == table)
        .copied()
        .ok_or_else(|| Error::Validation {
            table: "-",
            field: "table",
            reason: format!("no table named {table:?} in the NERVE schema"),
        })
}

impl PgTarget {
    /// Connects to `url` (session time zone UTC, `extra_float_digits` 1, hex bytea). Errors: [`Error::Connect`], the URL's
    /// password never shown.
    pub fn open(url: &str) -> Result<Self> {
        let mut conn = crate::store::establish(url)?;
        // What the canonical forms of verification read: UTC timestamps, shortest exact
        // doubles, hex bytea.
        conn.batch_execute(
            "SET TIME ZONE 'UTC'; SET extra_float_digits = 1; SET bytea_output = 'hex'",
        )
        .map_err(|e| Op::new("-", "connect").error(e))?;
        Ok(PgTarget { conn })
    }

    /// Runs `sql` (statements without results).
    fn run(&mut self, table: &'static str, operation: &'static str, sql: &str) -> Result<()> {
        self.conn
            .batch_execute(sql)
            .map_err(|e| Op::new(table, operation).error(e))
    }

    /// Begins a transaction: nothing done until [`PgTarget::commit`] is kept, whatever happens
    /// to this process.
    pub fn begin(&mut self) -> Result<()> {
        self.run("-", "begin", "BEGIN")
    }

    /// Begins a read-only transaction whose reads all see one snapshot.
    pub fn begin_snapshot(&mut self) -> Result<()> {
        self.run(
            "-",
            "begin",
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )
    }

    /// Commits the transaction begun.
    pub fn commit(&mut self) -> Result<()> {
        self.run("-", "commit", "COMMIT")
    }

    /// Rolls the transaction begun back.
    pub fn rollback(&mut self) -> Result<()> {
        self.run("-", "rollback", "ROLLBACK")
    }

    /// Every table of the schema this driver was built with.
    pub fn table_names() -> &'static [&'static str] {
        schema::TABLE_NAMES
    }

    /// The columns `COPY` into `table` takes, in the order its lines give them.
    pub fn copy_columns(table: &str) -> Result<&'static [&'static str]> {
        known(table)?;
        schema::copy_columns(table).ok_or_else(|| Error::not_found("-", table))
    }

    /// Whether `table` holds no row.
    pub fn is_empty(&mut self, table: &str) -> Result<bool> {
        let name = known(table)?;
        diesel::sql_query(format!(
            "SELECT NOT EXISTS (SELECT 1 FROM {}) AS value",
            quote(name)
        ))
        .get_result::<Flag>(&mut self.conn)
        .map(|f| f.value)
        .map_err(|e| Op::new(name, "select").error(e))
    }

    /// How many rows `table` holds.
    pub fn count(&mut self, table: &str) -> Result<u64> {
        let name = known(table)?;
        diesel::sql_query(format!("SELECT count(*) AS value FROM {}", quote(name)))
            .get_result::<Count>(&mut self.conn)
            .map(|c| c.value as u64)
            .map_err(|e| Op::new(name, "select").error(e))
    }

    /// Empties `tables` and restarts their identities, in one statement (PostgreSQL truncates
    /// a referenced table only with those referencing it). Their own triggers are off for the
    /// statement, so an append-only table (`audit_logs`) is emptied too: this replaces data
    /// wholesale, inside the caller's transaction. No CASCADE: a table outside the list that
    /// references one of them makes this fail rather than lose its rows.
    pub fn truncate(&mut self, tables: &[&str]) -> Result<()> {
        if tables.is_empty() {
            return Ok(());
        }
        let mut names = Vec::new();
        for t in tables {
            names.push(quote(known(t)?));
        }
        let toggle = |state: &str| {
            names
                .iter()
                .map(|n| format!("ALTER TABLE {n} {state} TRIGGER USER;"))
                .collect::<String>()
        };
        self.run(
            "-",
            "truncate",
            &format!(
                "{} TRUNCATE {} RESTART IDENTITY; {}",
                toggle("DISABLE"),
                names.join(", "),
                toggle("ENABLE")
            ),
        )
    }

    /// `COPY table FROM STDIN` in PostgreSQL's binary format: this writes the stream's header
    /// and trailer, `data` the rows between them (each begun by
    /// [`start_copy_row`](nerve_core::transfer::start_copy_row), its fields, in
    /// [`PgTarget::copy_columns`] order, written by
    /// [`encode_copy`](nerve_core::transfer::encode_copy)) until it returns `Ok(())`. Binary
    /// spares the server parsing numbers and timestamps from text. Returns the rows copied. An
    /// error from `data` stops the copy and is returned as it is.
    pub fn copy_in(
        &mut self,
        table: &str,
        data: &mut dyn FnMut(&mut dyn Write) -> Result<()>,
    ) -> Result<u64> {
        let name = known(table)?;
        let producer_error: RefCell<Option<Error>> = RefCell::new(None);
        let data = RefCell::new(data);
        let outcome = schema::copy_in(&mut self.conn, name, |w: &mut dyn Write| {
            let mut data = data.borrow_mut();
            let framing = |e: std::io::Error| {
                CopyStop::Diesel(diesel::result::Error::SerializationError(Box::new(e)))
            };
            w.write_all(COPY_HEADER).map_err(framing)?;
            (*data)(w).map_err(|e| {
                *producer_error.borrow_mut() = Some(e);
                CopyStop::Producer
            })?;
            w.write_all(COPY_TRAILER).map_err(framing)
        })
        .ok_or_else(|| Error::not_found("-", table))?;
        if let Some(e) = producer_error.into_inner() {
            return Err(e);
        }
        match outcome {
            Ok(rows) => Ok(rows as u64),
            Err(CopyStop::Diesel(e)) => Err(Op::new(name, "copy").error(e)),
            Err(CopyStop::Producer) => Err(Error::Transaction {
                rolled_back: false,
                reason: format!("copy into {name} stopped"),
            }),
        }
    }

    /// Drops `table`'s secondary indexes (those backing no constraint), its own foreign keys
    /// and, when no other table's foreign key rests on it, its primary key, for a bulk load,
    /// and returns the statements that put them back (the primary key first). Run the returned
    /// statements with [`PgTarget::restore`] in the same transaction: building an index once
    /// over loaded rows is several times faster than maintaining it row by row (for 2 M rows
    /// the primary key's upkeep was 2 s of a 4 s `COPY`, its build afterwards 0.3 s), and a
    /// foreign key added back checks every row at once; a duplicate id fails there, and the
    /// transaction with it. Unique constraints and CHECKs stay, as does a primary key that
    /// another table's foreign key rests on.
    pub fn suspend_indexes(&mut self, table: &str) -> Result<Vec<String>> {
        let name = known(table)?;
        let qualified = quote(name);
        let op = Op::new(name, "suspend indexes");
        let indexes: Vec<Definition> = diesel::sql_query(
            "SELECT ic.relname::text AS name, pg_get_indexdef(i.indexrelid) AS def \
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
              WHERE i.indrelid = $1::regclass \
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
              ORDER BY 1",
        )
        .bind::<Text, _>(&qualified)
        .load(&mut self.conn)
        .map_err(|e| op.error(e))?;
        let foreign: Vec<Definition> = diesel::sql_query(
            "SELECT conname::text AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint \
              WHERE conrelid = $1::regclass AND contype = 'f' ORDER BY 1",
        )
        .bind::<Text, _>(&qualified)
        .load(&mut self.conn)
        .map_err(|e| op.error(e))?;
        // The primary key, unless a foreign key of another table rests on it.
        let primary: Vec<Definition> = diesel::sql_query(
            "SELECT conname::text AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint p \
              WHERE conrelid = $1::regclass AND contype = 'p' \
                AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' \
                                   AND f.confrelid = p.conrelid AND f.conrelid <> p.conrelid)",
        )
        .bind::<Text, _>(&qualified)
        .load(&mut self.conn)
        .map_err(|e| op.error(e))?;
        let mut drop = String::new();
        let mut restore = Vec::new();
        // Foreign keys first: a key of the table's own rows may rest on its primary key.
        for f in &foreign {
            drop.push_str(&format!(
                "ALTER TABLE {qualified} DROP CONSTRAINT {};",
                quote(&f.name)
            ));
        }
        for p in &primary {
            drop.push_str(&format!(
                "ALTER TABLE {qualified} DROP CONSTRAINT {};",
                quote(&p.name)
            ));
            restore.push(format!(
                "ALTER TABLE {qualified} ADD CONSTRAINT {} {};",
                quote(&p.name),
                p.def
            ));
        }
        for i in &indexes {
            drop.push_str(&format!("DROP INDEX {};", quote(&i.name)));
            restore.push(format!("{};", i.def));
        }
        for f in &foreign {
            restore.push(format!(
                "ALTER TABLE {qualified} ADD CONSTRAINT {} {};",
                quote(&f.name),
                f.def
            ));
        }
        if !drop.is_empty() {
            self.run(name, "suspend indexes", &drop)?;
        }
        Ok(restore)
    }

    /// Runs what [`PgTarget::suspend_indexes`] returned for `table`, with more memory for
    /// sorting (for this transaction only). A foreign key whose rows have no parent fails
    /// here, as a conflict.
    pub fn restore(&mut self, table: &str, statements: &[String]) -> Result<()> {
        let name = known(table)?;
        if statements.is_empty() {
            return Ok(());
        }
        let op = Op::new(name, "rebuild indexes");
        self.conn
            .batch_execute(&format!(
                "SET LOCAL maintenance_work_mem = '256MB'; {}",
                statements.concat()
            ))
            .map_err(|e| op.error(e))
    }

    /// Moves `table`'s identity past its largest id, so the next row inserted without an id
    /// gets a fresh one.
    pub fn move_identity(&mut self, table: &str) -> Result<()> {
        let name = known(table)?;
        <crate::driver::PgDriver as nerve_diesel::Driver>::after_explicit_ids(&mut self.conn, name)
            .map_err(|e| Op::new(name, "setval").error(e))
    }

    /// `ANALYZE table`.
    pub fn analyze(&mut self, table: &str) -> Result<()> {
        let name = known(table)?;
        self.run(name, "analyze", &format!("ANALYZE {}", quote(name)))
    }

    /// Calls `f` with each row of `table` as the text of a JSON array (`json_build_array` of
    /// `columns` in order; a column marked as JSON given as its text), read row by row.
    pub fn scan_json(
        &mut self,
        table: &str,
        columns: &[(String, bool)],
        f: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let name = known(table)?;
        let exprs: Vec<String> = columns
            .iter()
            .map(|(c, json)| {
                if *json {
                    format!("{}::text", quote(c))
                } else {
                    quote(c)
                }
            })
            .collect();
        let sql = format!(
            "SELECT json_build_array({})::text AS line FROM {}",
            exprs.join(", "),
            quote(name)
        );
        let op = Op::new(name, "select");
        let rows = diesel::sql_query(sql)
            .load_iter::<Line, PgRowByRowLoadingMode>(&mut self.conn)
            .map_err(|e| op.error(e))?;
        for row in rows {
            f(&row.map_err(|e| op.error(e))?.line)?;
        }
        Ok(())
    }
}
