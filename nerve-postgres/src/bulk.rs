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
    /// to this process. Read committed whatever the server's default: each statement sees
    /// what other connections (staging) committed before it.
    pub fn begin(&mut self) -> Result<()> {
        self.run("-", "begin", "BEGIN ISOLATION LEVEL READ COMMITTED")
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

    /// `table`'s indexes that back no constraint, by name, with their definitions.
    fn plain_indexes(&mut self, name: &'static str) -> Result<Vec<Definition>> {
        diesel::sql_query(
            "SELECT ic.relname::text AS name, pg_get_indexdef(i.indexrelid) AS def \
               FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid \
              WHERE i.indrelid = $1::regclass \
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
              ORDER BY 1",
        )
        .bind::<Text, _>(quote(name))
        .load(&mut self.conn)
        .map_err(|e| Op::new(name, "indexes").error(e))
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
        let indexes = self.plain_indexes(name)?;
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

/// The schema where `nerve copy` and `nerve import` load and index their large tables before
/// moving them into place ([`PgTarget::plan_staging`]). Nothing else uses it; a copy or import
/// that was killed leaves it behind, and the next one into the same database that stages drops
/// it ([`PgTarget::drop_staging`]).
pub const STAGING_SCHEMA: &str = "nerve_copy_staging";

/// The advisory lock a copy or import holds (for its connection's life) while it uses the
/// staging schema: a second one into the same database waits for the first.
const STAGING_LOCK: i64 = 0x6e65_7276_6563_7079; // "nervecpy"

/// A table loaded into [`STAGING_SCHEMA`] by other connections, to be moved into place by
/// [`PgTarget::swap_in`] in the copy's transaction. Made by [`PgTarget::plan_staging`].
#[derive(Debug, Clone)]
pub struct StagedTable {
    /// The table.
    pub table: &'static str,
    /// Its indexes, primary key and unique constraints' included, built on the staged table
    /// (each statement can run on its own connection, at the same time as the others).
    pub builds: Vec<String>,
    /// Creates the twin.
    create: String,
    /// The table, schema-qualified and quoted.
    public: String,
    /// The twin, schema-qualified and quoted.
    twin: String,
    /// Replaces the table by the built twin: drops the table, attaches the primary key and
    /// unique constraints to their built indexes, moves the twin into place and adds the
    /// table's own foreign keys (each checked).
    swap: String,
}

#[derive(QueryableByName)]
struct Names {
    #[diesel(sql_type = Text)]
    schema: String,
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Bool)]
    stageable: bool,
}

#[derive(QueryableByName)]
struct Constraint {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    def: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    index_def: Option<String>,
}

impl PgTarget {
    /// Opens a connection whose unqualified table names are those of [`STAGING_SCHEMA`]: its
    /// [`PgTarget::copy_in`] loads the staged table of that name.
    pub fn open_staging(url: &str) -> Result<Self> {
        let mut target = PgTarget::open(url)?;
        target.run(
            "-",
            "connect",
            // Staging first (the unqualified names of COPY), then the schema's own: what the
            // index definitions name unqualified (types, functions) is found there.
            &format!("SET search_path TO {STAGING_SCHEMA}, public"),
        )?;
        Ok(target)
    }

    /// Waits until no other connection holds the copy lock, then holds it until this
    /// connection closes: copies and imports into the same database (all but dry runs take
    /// it) run one at a time.
    pub fn lock_copy(&mut self) -> Result<()> {
        self.run(
            "-",
            "lock",
            &format!("SELECT pg_advisory_lock({STAGING_LOCK})"),
        )
    }

    /// Drops [`STAGING_SCHEMA`] and whatever an earlier copy or import that was killed left in it,
    /// committed at once: call it outside a transaction, holding the copy lock
    /// ([`PgTarget::lock_copy`], on any connection).
    pub fn drop_staging(&mut self) -> Result<()> {
        self.run(
            "-",
            "drop staging",
            &format!("DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE"),
        )
    }

    /// The table's quoted schema and name, and whether it can be staged (see
    /// [`PgTarget::plan_staging`]).
    fn staging_facts(&mut self, name: &'static str) -> Result<Names> {
        diesel::sql_query(
            "SELECT quote_ident(n.nspname) AS schema, quote_ident(c.relname) AS table, \
                    NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' \
                                 AND f.confrelid = c.oid AND f.conrelid <> c.oid) \
                AND NOT EXISTS (SELECT 1 FROM pg_trigger t \
                                 WHERE t.tgrelid = c.oid AND NOT t.tgisinternal) \
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid \
                                 AND (k.contype NOT IN ('p', 'u', 'f', 'c', 'n') OR k.condeferrable)) \
                AND c.relkind = 'r' AND c.relpersistence = 'p' AND NOT c.relrowsecurity \
                AND c.relreplident = 'd' AND c.relacl IS NULL \
                AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) \
                AND has_database_privilege(current_database(), 'CREATE') \
                AND NOT EXISTS (SELECT 1 FROM pg_inherits h WHERE c.oid IN (h.inhrelid, h.inhparent)) \
                AND NOT EXISTS (SELECT 1 FROM pg_statistic_ext x WHERE x.stxrelid = c.oid) \
                AND NOT EXISTS (SELECT 1 FROM pg_publication_rel r WHERE r.prrelid = c.oid) \
                AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid \
                                 WHERE d.classid = 'pg_rewrite'::regclass \
                                   AND d.refobjid = c.oid AND w.ev_class <> c.oid) \
                AND NOT EXISTS (SELECT 1 FROM pg_attrdef d WHERE d.adrelid = c.oid \
                                 AND pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%') \
                AND NOT EXISTS (SELECT 1 FROM pg_description d WHERE d.objoid = c.oid \
                                 AND d.objsubid = 0 \
                                 OR d.objoid IN (SELECT indexrelid FROM pg_index WHERE indrelid = c.oid) \
                                 OR d.objoid IN (SELECT oid FROM pg_constraint WHERE conrelid = c.oid)) \
                    AS stageable \
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
              WHERE c.oid = $1::regclass",
        )
        .bind::<Text, _>(quote(name))
        .get_result(&mut self.conn)
        .map_err(|e| Op::new(name, "stage").error(e))
    }

    /// Plans `table`'s twin in [`STAGING_SCHEMA`] (created by [`PgTarget::create_staged`]):
    /// the same columns, defaults, identity, CHECKs and storage options, without indexes or
    /// keys, which [`StagedTable::builds`] makes after the load. Reads the catalog only.
    ///
    /// `None` when a twin made `LIKE` the table plus its rebuilt indexes and keys would not be
    /// the same table: unless no other table's foreign key rests on it, and no view reads it;
    /// no trigger, row security, publication, extended statistics, inheritance, serial
    /// default, comment on it, its indexes or keys, grant, or replica identity other than the
    /// default; owned by the user copying (the twin will be), who may create a schema; its
    /// constraints are primary keys, unique constraints, foreign keys, CHECKs and NOT NULLs,
    /// none deferrable.
    pub fn plan_staging(&mut self, table: &str) -> Result<Option<StagedTable>> {
        let name = known(table)?;
        let names = self.staging_facts(name)?;
        if !names.stageable {
            return Ok(None);
        }
        let op = Op::new(name, "stage");
        let constraints: Vec<Constraint> = diesel::sql_query(
            "SELECT k.conname::text AS name, k.contype::text AS kind, \
                    pg_get_constraintdef(k.oid) AS def, \
                    CASE WHEN k.contype IN ('p', 'u') THEN pg_get_indexdef(k.conindid) END AS index_def \
               FROM pg_constraint k WHERE k.conrelid = $1::regclass AND k.contype IN ('p', 'u', 'f') \
              ORDER BY 1",
        )
        .bind::<Text, _>(quote(name))
        .load(&mut self.conn)
        .map_err(|e| op.error(e))?;
        let indexes = self.plain_indexes(name)?;
        let options: Vec<Line> = diesel::sql_query(
            "SELECT coalesce(array_to_string(reloptions, ', '), '') AS line FROM pg_class \
              WHERE oid = $1::regclass",
        )
        .bind::<Text, _>(quote(name))
        .load(&mut self.conn)
        .map_err(|e| op.error(e))?;
        let (public, staged) = (
            format!("{}.{}", names.schema, names.table),
            format!("{STAGING_SCHEMA}.{}", names.table),
        );
        // pg_get_indexdef names the table schema-qualified: the same statement on the twin.
        let on_twin = |def: &str| -> Result<String> {
            let (from, to) = (
                format!(" ON {public} USING "),
                format!(" ON {staged} USING "),
            );
            if def.contains(&from) {
                Ok(def.replacen(&from, &to, 1))
            } else {
                Err(Error::Unsupported {
                    what: format!("staging {name}: an index defined as {def}"),
                })
            }
        };
        let mut builds = Vec::new();
        let mut attach = String::new();
        let mut foreign = String::new();
        for c in &constraints {
            match (c.kind.as_str(), &c.index_def) {
                ("p" | "u", Some(index)) => {
                    builds.push(on_twin(index)?);
                    let kind = if c.kind == "p" {
                        "PRIMARY KEY"
                    } else {
                        "UNIQUE"
                    };
                    attach.push_str(&format!(
                        "ALTER TABLE {staged} ADD CONSTRAINT {0} {kind} USING INDEX {0};",
                        quote(&c.name)
                    ));
                }
                _ => foreign.push_str(&format!(
                    "ALTER TABLE {public} ADD CONSTRAINT {} {};",
                    quote(&c.name),
                    c.def
                )),
            }
        }
        for i in &indexes {
            builds.push(on_twin(&i.def)?);
        }
        // B-trees last: a GIN index takes the longest to build, and the others share out
        // better behind it.
        builds.sort_by_key(|b| b.contains(" USING btree "));
        let with = match options.first() {
            Some(o) if !o.line.is_empty() => format!(" WITH ({})", o.line),
            _ => String::new(),
        };
        Ok(Some(StagedTable {
            table: name,
            builds,
            create: format!(
                "CREATE SCHEMA IF NOT EXISTS {STAGING_SCHEMA}; \
                 CREATE TABLE {staged} (LIKE {public} INCLUDING ALL EXCLUDING INDEXES){with}"
            ),
            swap: format!(
                "DROP TABLE {public}; {attach} ALTER TABLE {staged} SET SCHEMA {}; {foreign}",
                names.schema
            ),
            public,
            twin: staged,
        }))
    }

    /// Creates the twin `staged` plans, committed at once: call it on a connection outside a
    /// transaction (one from [`PgTarget::open_staging`]), holding the copy lock.
    pub fn create_staged(&mut self, staged: &StagedTable) -> Result<()> {
        self.run(staged.table, "stage", &staged.create)
    }

    /// Runs one of [`StagedTable::builds`] (with more memory for sorting), committed at once.
    pub fn build(&mut self, staged: &StagedTable, statement: &str) -> Result<()> {
        self.run(
            staged.table,
            "build index",
            &format!("SET maintenance_work_mem = '256MB'; {statement}"),
        )
    }

    /// Inside this connection's transaction, replaces the table by its staged twin, whose
    /// rows are loaded and indexes built: the table (with its old rows, indexes and identity
    /// sequence; nothing else rests on a table that can be staged) is dropped, the twin takes
    /// its place and names, its primary key and unique constraints are attached to their built
    /// indexes, its foreign keys are added, each checked over every row (a row without its
    /// parent fails here, as a conflict), and its identity goes on from where the table's had
    /// got to. Readers see the old table or the new one, never neither: the commit makes the
    /// change.
    ///
    /// The table must hold no row by then (a copy emptied it or found it empty, an import
    /// found it empty): it is locked first, and a row another session wrote into it meanwhile
    /// fails the swap ([`Error::Validation`] naming the table) rather than being dropped with
    /// it.
    pub fn swap_in(&mut self, staged: &StagedTable) -> Result<()> {
        self.run(
            staged.table,
            "swap in",
            &format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", staged.public),
        )?;
        let written = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM {}) AS value",
            staged.public
        ))
        .get_result::<Flag>(&mut self.conn)
        .map_err(|e| Op::new(staged.table, "swap in").error(e))?;
        if written.value {
            return Err(Error::Validation {
                table: staged.table,
                field: "-",
                reason: "another session wrote rows into it while it was being loaded: \
                         nothing was replaced"
                    .into(),
            });
        }
        // The identity goes on from where the replaced table's had got to, never back.
        let sequences: Vec<Definition> = diesel::sql_query(
            "SELECT pg_get_serial_sequence($1, 'id')::regclass::text AS name, \
                    pg_get_serial_sequence($2, 'id')::regclass::text AS def \
              WHERE pg_get_serial_sequence($1, 'id') IS NOT NULL \
                AND pg_get_serial_sequence($2, 'id') IS NOT NULL",
        )
        .bind::<Text, _>(&staged.public)
        .bind::<Text, _>(&staged.twin)
        .load(&mut self.conn)
        .map_err(|e| Op::new(staged.table, "swap in").error(e))?;
        for s in &sequences {
            self.run(
                staged.table,
                "swap in",
                &format!(
                    "SELECT setval('{}', last_value, is_called) FROM {}",
                    s.def, s.name
                ),
            )?;
        }
        self.run(
            staged.table,
            "swap in",
            &format!("SET LOCAL maintenance_work_mem = '256MB'; {}", staged.swap),
        )
    }

    /// Drops the (by now empty) staging schema inside this connection's transaction, after
    /// the last [`PgTarget::swap_in`].
    pub fn end_staging(&mut self) -> Result<()> {
        self.run(
            "-",
            "drop staging",
            &format!("DROP SCHEMA IF EXISTS {STAGING_SCHEMA} CASCADE"),
        )
    }
}
