//! `nerve copy` and `nerve verify`: a NERVE SQLite database into PostgreSQL, complete, exact
//! and all-or-nothing. Compiled when both drivers are (features `sqlite` and `postgres`).
//!
//! **Driven by the catalog.** The tables, their foreign-key order, column types and keys come
//! from the source's schema description ([`crate::describe_schema`]); the only per-table code
//! is PostgreSQL's COPY dispatch, generated from the same table list as the drivers' schema.
//!
//! **Order of work.** The source must be at this binary's schema version (refused, saying
//! which migrations differ, when it is behind or ahead); the target is migrated to it and must
//! then describe itself identically. One PostgreSQL transaction then loads every table, parents
//! first, by `COPY ... FROM STDIN` from one read snapshot of the source, moves each identity past
//! the largest id copied, and commits; then [`verify`] runs while `ANALYZE` gathers the tables'
//! statistics on up to two more connections (a failure there is
//! [`CopyReport::statistics_failed`], not an error: the rows are committed).
//!
//! **Both cores.** A table of [`PARALLEL_ROWS`] rows or more (no other table's foreign key
//! resting on it, no trigger of its own) is loaded through staging: a twin of it (same columns,
//! defaults, identity, CHECKs, storage options) in the schema
//! [`STAGING_SCHEMA`] takes its rows over two more
//! connections at once, each with its own `COPY`, and then its indexes, built on those two
//! connections at once while the copy's own connection goes on with the next tables (the rows
//! of a next staged table wait for those connections to be free). Last, in
//! the copy's transaction, each twin replaces its table (keys attached to the built indexes,
//! foreign keys added and checked over every row, the identity going on from where the
//! table's had got to; a row another session wrote into the table meanwhile fails the copy)
//! and the staging schema is dropped. Copies and imports into one database run one at a time
//! (an advisory lock). Which tables qualify: [`PgTarget::plan_staging`]. The staging
//! connections are `crate::staging`'s, which `nerve import` shares.
//!
//! **Crash-safe.** Nothing of the target's tables is committed before the end: a copy that
//! fails or is killed (even `kill -9`) leaves them as they were, and running the same command
//! again starts over. What a killed copy staged stays in the staging schema until the next
//! copy or import that stages drops it (one that fails while loading drops it itself). A
//! target whose tables already hold rows is refused unless it already equals the source (then
//! the copy reports so and does nothing: a rerun after a kill that came after the commit
//! succeeds) or `truncate` is set.
//!
//! **Exact, or refused.** Every value is checked against its column (storage class included:
//! SQLite lets text sit in an INTEGER column) by [`nerve_core::transfer`]. A bad row — a value
//! of the wrong class, invalid UTF-8 or JSON, an unparseable or out-of-range timestamp, a value
//! outside its set, U+0000, an integer too wide, NULL in a NOT NULL column, a foreign key with
//! no parent (or whose parent was itself refused) — stops the copy before anything is
//! committed, naming table, rowid, column and reason; with a rejects file, bad rows go there
//! as JSON lines (the whole row and the reason), the rest is copied, and the report counts them.
//!
//! **Bounded memory.** A reader thread streams rows from SQLite into 256 KiB chunks of
//! binary `COPY`; at most 8 chunks wait for the writer, whatever the database's size.

/// From this many source rows on, by default, a table is loaded through staging
/// ([`CopyOptions::parallel_from_rows`]).
pub use crate::staging::PARALLEL_ROWS;
use crate::staging::{self, check_copied};
use crate::transfer::{
    canonical_of_cell, canonical_of_json, encode_copy, start_copy_row, Cell, ColumnPlan, Kind,
    TableDigest,
};
use crate::{describe_schema, model::SchemaDescription, Backend, Error, Result};
pub use nerve_postgres::bulk::STAGING_SCHEMA;
use nerve_postgres::bulk::{PgTarget, StagedTable};
use nerve_sqlite::export::SqliteSource;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::Instant;

/// What a copy does besides copying.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// Read and check the whole source and the target's state; write nothing (the target is
    /// not migrated either).
    pub dry_run: bool,
    /// Copy only these tables (default: all). Their parents must already be in the target.
    pub tables: Option<Vec<String>>,
    /// Write bad rows here as JSON lines and copy the rest, instead of stopping at the first.
    pub rejects: Option<PathBuf>,
    /// Empty the target's tables (those copied) first.
    pub truncate: bool,
    /// Skip the verification at the end.
    pub no_verify: bool,
    /// Load tables of at least this many source rows through staging, in parallel (default
    /// [`PARALLEL_ROWS`]; see the module documentation).
    pub parallel_from_rows: Option<u64>,
}

/// One table of a copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableReport {
    /// The table.
    pub table: String,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows copied (in a dry run: that would be).
    pub copied: u64,
    /// Rows refused (written to the rejects file).
    pub rejected: u64,
    /// Seconds spent on the table (for a staged table: on its rows; its indexes are built
    /// while the copy goes on).
    pub seconds: f64,
    /// Loaded through staging, over more connections ([`CopyOptions::parallel_from_rows`]).
    pub staged: bool,
}

/// What a copy did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CopyReport {
    /// Migrations applied to the target first.
    pub migrated: Vec<String>,
    /// The tables, in the order copied.
    pub tables: Vec<TableReport>,
    /// Rows copied in all.
    pub copied: u64,
    /// Rows refused in all; non-zero means the target lacks them (see the rejects file).
    pub rejected: u64,
    /// The target already held exactly the source: nothing was done.
    pub already_copied: bool,
    /// Nothing was written.
    pub dry_run: bool,
    /// Seconds from the first COPY to the commit.
    pub copy_seconds: f64,
    /// Seconds in all, verification included.
    pub total_seconds: f64,
    /// The verification, unless skipped.
    pub verify: Option<VerifyReport>,
    /// Why gathering the statistics (`ANALYZE`, after the commit) failed, if it did: the rows
    /// are committed and verified all the same, and PostgreSQL's autovacuum gathers the
    /// statistics later.
    pub statistics_failed: Option<String>,
}

/// One table compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableCheck {
    /// The table.
    pub table: String,
    /// Rows in the source (less those skipped as rejected).
    pub source_rows: u64,
    /// Rows in the target.
    pub target_rows: u64,
    /// The source's order-independent digest of canonical rows.
    pub source_digest: String,
    /// The target's.
    pub target_digest: String,
    /// Counts and digests agree.
    pub equal: bool,
}

/// The comparison of two databases, table by table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Every table compared, parents first (the copy's order).
    pub tables: Vec<TableCheck>,
}

impl VerifyReport {
    /// The tables that differ.
    pub fn differing(&self) -> Vec<&str> {
        self.tables
            .iter()
            .filter(|t| !t.equal)
            .map(|t| t.table.as_str())
            .collect()
    }

    /// Whether every table agrees.
    pub fn equal(&self) -> bool {
        self.tables.iter().all(|t| t.equal)
    }
}

/// Told how a copy goes, table by table (the CLI draws progress bars with it).
pub trait Progress {
    /// Copying `table` (of `rows` rows) begins.
    fn start(&mut self, table: &str, rows: u64);
    /// `done` rows of `table` have been read and checked.
    fn advance(&mut self, table: &str, done: u64);
    /// `table` is done.
    fn finish(&mut self, report: &TableReport);
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: &str, _: u64) {}
    fn finish(&mut self, _: &TableReport) {}
}

/// A table to copy: its name, its columns in COPY order with their plans, and its
/// single-column foreign keys (column index, parent table).
struct TablePlan {
    name: &'static str,
    columns: Vec<ColumnPlan>,
    foreign: Vec<(usize, String)>,
}

fn need(url: &str, backend: Backend, role: &str) -> Result<()> {
    let found = crate::backend_for(url)?;
    if found == backend {
        Ok(())
    } else {
        Err(Error::Unsupported {
            what: format!(
                "a {found} database as the {role}: nerve copy reads SQLite and writes PostgreSQL"
            ),
        })
    }
}

/// The source must be at this binary's schema version.
fn check_source_version(from: &str) -> Result<()> {
    let status = crate::schema_status(from)?;
    if !status.unknown.is_empty() {
        return Err(Error::SchemaTooNew {
            unknown: status.unknown,
        });
    }
    if !status.pending.is_empty() {
        return Err(Error::Migration {
            reason: format!(
                "the source is behind this binary: run `nerve migrate` on it first (pending: {})",
                status.pending.join(", ")
            ),
        });
    }
    Ok(())
}

fn plans(schema: &SchemaDescription, only: Option<&[String]>) -> Result<Vec<TablePlan>> {
    if let Some(only) = only {
        for name in only {
            if schema.table(name).is_none() {
                return Err(Error::Validation {
                    table: "-",
                    field: "tables",
                    reason: format!("no table named {name:?} in the source"),
                });
            }
        }
    }
    let ordered = schema.parents_first().ok_or_else(|| Error::Validation {
        table: "-",
        field: "tables",
        reason: "the source's foreign keys form a cycle".into(),
    })?;
    let mut out = Vec::new();
    for table in ordered {
        if only.is_some_and(|o| !o.contains(&table.name)) {
            continue;
        }
        let names = PgTarget::copy_columns(&table.name)?;
        let name = *nerve_postgres_table(&table.name)?;
        let mut columns = Vec::new();
        for column in names {
            let described = table
                .columns
                .iter()
                .find(|c| c.name == *column)
                .ok_or_else(|| Error::Validation {
                    table: name,
                    field: "-",
                    reason: format!("the source has no column {column}"),
                })?;
            columns.push(
                ColumnPlan::of(described, &schema.value_sets).ok_or_else(|| {
                    Error::Unsupported {
                        what: format!("copying {name}.{column} of type {}", described.logical_type),
                    }
                })?,
            );
        }
        let foreign = table
            .foreign_keys
            .iter()
            .filter(|f| f.columns.len() == 1)
            .filter_map(|f| {
                names
                    .iter()
                    .position(|c| *c == f.columns[0])
                    .map(|i| (i, f.references.clone()))
            })
            .collect();
        out.push(TablePlan {
            name,
            columns,
            foreign,
        });
    }
    Ok(out)
}

/// `table` as the schema's own `&'static` name.
fn nerve_postgres_table(table: &str) -> Result<&'static &'static str> {
    PgTarget::table_names()
        .iter()
        .find(|t| **t == table)
        .ok_or_else(|| Error::Validation {
            table: "-",
            field: "tables",
            reason: format!("no table named {table:?} in the NERVE schema"),
        })
}

/// What the reader thread sends the writer.
enum Msg {
    /// The next table begins; it has this many rows.
    Start(u64),
    /// Binary COPY rows for the current table, and the rows read so far.
    Data(Vec<u8>, u64),
    /// The current table is done.
    End {
        copied: u64,
        rejected: u64,
        source_rows: u64,
    },
    /// The copy must stop.
    Fail(Error),
}

/// The size of one piece of binary COPY handed from a reader to a writer thread.
pub(crate) const CHUNK: usize = 256 * 1024;

/// From this many source rows on, a table's secondary indexes, foreign keys and (where no other
/// table's foreign key rests on it) primary key are dropped for the load and rebuilt after it (in the same transaction): faster than maintaining them
/// row by row (measured by `scripts/bench-copy.sh`'s all-tables source, 44 tables of 10 k to
/// 20 k rows: the tables' loads took 12.7 s maintained, 5.5 s rebuilt). The threshold itself
/// is a judgement, not a measurement: below it, the few catalog reads and statements of a
/// rebuild weigh as much as maintaining the indexes of so few rows. `nerve import` uses it for
/// its SQLite staging file too.
pub(crate) const BULK_ROWS: u64 = 1_000;

/// Connections that gather statistics (`ANALYZE`) at once after a copy or import commits.
const ANALYZE_CONNECTIONS: usize = 2;

/// `ANALYZE` of `tables` (name, rows) in the PostgreSQL database at `to`, once their rows are
/// committed: over up to [`ANALYZE_CONNECTIONS`] connections at once (as many as open), each
/// taking the next table, largest first. Statistics are not data: gathered after the commit,
/// they cost the copy's transaction nothing, and a run killed here leaves every row in place
/// (PostgreSQL's autovacuum gathers them later). So this is best effort: it returns why it
/// failed (naming the table), for the report, and never fails the copy or import.
pub(crate) fn analyze_committed(to: &str, tables: &[(&str, u64)]) -> Option<String> {
    analyze_tables(to, tables).err().map(|e| e.to_string())
}

fn analyze_tables(to: &str, tables: &[(&str, u64)]) -> Result<()> {
    let order: Vec<&str> = {
        let mut sized = tables.to_vec();
        sized.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        sized.into_iter().map(|(name, _)| name).collect()
    };
    if order.is_empty() {
        return Ok(());
    }
    // The first connection must open; more only where the server allows them.
    let mut connections = vec![PgTarget::open(to)?];
    while connections.len() < ANALYZE_CONNECTIONS.min(order.len()) {
        match PgTarget::open(to) {
            Ok(db) => connections.push(db),
            Err(_) => break,
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let handles: Vec<_> = connections
            .into_iter()
            .map(|mut db| {
                let (next, order) = (&next, &order);
                scope.spawn(move || -> Result<()> {
                    loop {
                        let at = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(table) = order.get(at) else {
                            return Ok(());
                        };
                        if let Err(e) = db.analyze(table) {
                            // The others stop at their next table.
                            next.store(order.len(), std::sync::atomic::Ordering::Relaxed);
                            return Err(e);
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}

/// A row refused, as written to the rejects file (by `nerve copy` and `nerve import`).
#[derive(Serialize)]
pub(crate) struct Reject<'a> {
    pub(crate) table: &'a str,
    pub(crate) rowid: i64,
    pub(crate) column: &'a str,
    pub(crate) reason: &'a str,
    pub(crate) row: serde_json::Map<String, serde_json::Value>,
}

/// A source value as JSON, for a rejects file (blobs as hex).
pub(crate) fn cell_json(cell: &Cell<'_>) -> serde_json::Value {
    match cell {
        Cell::Null => serde_json::Value::Null,
        Cell::Integer(n) => (*n).into(),
        Cell::Real(x) => serde_json::Number::from_f64(*x)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| x.to_string().into()),
        Cell::Text(b) => String::from_utf8_lossy(b).into_owned().into(),
        Cell::Blob(b) => b
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect::<String>()
            .into(),
    }
}

/// The reader: every table in order, from one snapshot; bad rows stop the copy or go to the
/// rejects file. Returns the rowids refused per table.
/// What the reader does with a bad row.
#[derive(Clone, Copy)]
enum OnBad<'a> {
    /// Stop, returning its error.
    Stop,
    /// Write it to this rejects file and go on.
    File(&'a PathBuf),
    /// Only note it and go on (to know which rows a copy with rejects left out).
    Collect,
}

/// Sends `msg` unless there is no writer; false when the writer has gone.
fn send(tx: Option<&SyncSender<Msg>>, msg: Msg) -> bool {
    tx.is_none_or(|tx| tx.send(msg).is_ok())
}

/// The field count of `table`'s binary `COPY` rows; PostgreSQL's 1 600-column limit keeps it
/// far below `i16::MAX`, but a description claiming more is refused by name, not cut.
fn copy_row_fields(table: &'static str, columns: usize) -> Result<i16> {
    i16::try_from(columns).map_err(|_| Error::Validation {
        table,
        field: "-",
        reason: format!("{columns} columns: more than a COPY row holds"),
    })
}

fn read_all(
    from: &str,
    tables: &[TablePlan],
    on_bad: OnBad<'_>,
    tx: Option<&SyncSender<Msg>>,
) -> Result<HashMap<String, HashSet<i64>>> {
    let source = SqliteSource::open(from)?;
    let mut rejects_file = match on_bad {
        OnBad::File(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| Error::Validation {
                table: "-",
                field: "rejects",
                reason: format!("{}: {e}", path.display()),
            })?,
        )),
        OnBad::Stop | OnBad::Collect => None,
    };
    let mut refused: HashMap<String, HashSet<i64>> = HashMap::new();
    for plan in tables {
        let source_rows = source.count(plan.name)?;
        if !send(tx, Msg::Start(source_rows)) {
            return Ok(refused);
        }
        // Rows whose foreign key has no parent: rowid -> (column index, parent table).
        let orphans: HashMap<i64, (usize, String)> = if plan.foreign.is_empty() {
            HashMap::new()
        } else {
            source
                .orphans(plan.name)?
                .into_iter()
                .map(|o| {
                    let at = plan
                        .columns
                        .iter()
                        .position(|c| c.name == o.column)
                        .unwrap_or(0);
                    (o.rowid, (at, o.parent))
                })
                .collect()
        };
        let names: Vec<String> = plan.columns.iter().map(|c| c.name.clone()).collect();
        let fields = copy_row_fields(plan.name, names.len())?;
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
        let (mut copied, mut rejected, mut read) = (0u64, 0u64, 0u64);
        let mut mine: HashSet<i64> = HashSet::new();
        let mut stopped = false;
        source.scan(plan.name, &names, &mut |rowid, cells| {
            read += 1;
            let start = buf.len();
            let mut bad: Option<(&str, String)> = None;
            if let Some((at, parent)) = orphans.get(&rowid) {
                bad = Some((
                    plan.columns[*at].name.as_str(),
                    format!("no {parent} row has this id"),
                ));
            }
            if bad.is_none() {
                for (i, parent) in &plan.foreign {
                    if let Cell::Integer(id) = cells[*i] {
                        if refused.get(parent).is_some_and(|s| s.contains(&id)) {
                            bad = Some((
                                plan.columns[*i].name.as_str(),
                                format!("its {parent} row (id {id}) was refused"),
                            ));
                            break;
                        }
                    }
                }
            }
            if bad.is_none() {
                start_copy_row(&mut buf, fields);
                for (column, cell) in plan.columns.iter().zip(cells) {
                    if let Err(reason) = encode_copy(column, *cell, &mut buf) {
                        bad = Some((column.name.as_str(), reason));
                        break;
                    }
                }
            }
            match bad {
                None => {
                    copied += 1;
                }
                Some((column, reason)) => {
                    buf.truncate(start);
                    rejected += 1;
                    mine.insert(rowid);
                    if matches!(on_bad, OnBad::Collect) {
                        return Ok(true);
                    }
                    let Some(file) = rejects_file.as_mut() else {
                        let field = plan
                            .columns
                            .iter()
                            .find(|c| c.name == column)
                            .map(|c| leak_free_name(plan.name, &c.name))
                            .unwrap_or("-");
                        return Err(Error::Validation {
                            table: plan.name,
                            field,
                            reason: format!("rowid {rowid}: {reason}"),
                        });
                    };
                    let row = plan
                        .columns
                        .iter()
                        .zip(cells)
                        .map(|(c, cell)| (c.name.clone(), cell_json(cell)))
                        .collect();
                    let line = serde_json::to_string(&Reject {
                        table: plan.name,
                        rowid,
                        column,
                        reason: &reason,
                        row,
                    })
                    .unwrap_or_default();
                    writeln!(file, "{line}").map_err(|e| Error::Validation {
                        table: "-",
                        field: "rejects",
                        reason: e.to_string(),
                    })?;
                }
            }
            if buf.len() >= CHUNK {
                if tx.is_none() {
                    buf.clear();
                } else {
                    let chunk = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK + 4096));
                    if !send(tx, Msg::Data(chunk, read)) {
                        stopped = true;
                        return Ok(false);
                    }
                }
            }
            Ok(true)
        })?;
        if stopped {
            return Ok(refused);
        }
        if !buf.is_empty() && !send(tx, Msg::Data(buf, read)) {
            return Ok(refused);
        }
        refused.insert(plan.name.to_string(), mine);
        let end = Msg::End {
            copied,
            rejected,
            source_rows,
        };
        if !send(tx, end) {
            return Ok(refused);
        }
    }
    if let Some(mut file) = rejects_file {
        file.flush().map_err(|e| Error::Validation {
            table: "-",
            field: "rejects",
            reason: e.to_string(),
        })?;
    }
    Ok(refused)
}

/// The `&'static` name of a column of the schema (errors name fields statically).
fn leak_free_name(table: &str, column: &str) -> &'static str {
    PgTarget::copy_columns(table)
        .ok()
        .and_then(|cols| cols.iter().find(|c| **c == column).copied())
        .unwrap_or("-")
}

/// Receives one table's messages; hands its chunks to `sink`.
fn drain(
    rx: &Receiver<Msg>,
    table: &str,
    progress: &mut dyn Progress,
    sink: &mut dyn FnMut(Vec<u8>) -> Result<()>,
) -> Result<(u64, u64, u64)> {
    loop {
        match rx.recv() {
            Ok(Msg::Start(rows)) => progress.start(table, rows),
            Ok(Msg::Data(chunk, read)) => {
                sink(chunk)?;
                progress.advance(table, read);
            }
            Ok(Msg::End {
                copied,
                rejected,
                source_rows,
            }) => return Ok((copied, rejected, source_rows)),
            Ok(Msg::Fail(e)) => return Err(e),
            Err(_) => {
                return Err(Error::Transaction {
                    rolled_back: false,
                    reason: "the source reader stopped".into(),
                })
            }
        }
    }
}

/// Copies the SQLite database at `from` into the PostgreSQL database at `to`; see the module
/// documentation for what is guaranteed. Errors: [`Error::Unsupported`] unless `from` is SQLite
/// and `to` PostgreSQL; [`Error::Migration`] / [`Error::SchemaTooNew`] for a source not at this
/// binary's version; [`Error::Validation`] for a bad row (naming table, column and rowid), a
/// non-empty target without `truncate`, or a target schema that differs; database errors as
/// their variants. On any error nothing was committed.
pub fn copy(
    from: &str,
    to: &str,
    options: &CopyOptions,
    progress: &mut dyn Progress,
) -> Result<CopyReport> {
    let started = Instant::now();
    need(from, Backend::Sqlite, "source")?;
    need(to, Backend::Postgres, "target")?;
    drop(SqliteSource::open(from)?); // refuses a missing file before anything else
    check_source_version(from)?;
    let mut report = CopyReport {
        dry_run: options.dry_run,
        ..Default::default()
    };
    let schema = describe_schema(from)?;
    if options.dry_run {
        let status = crate::schema_status(to)?;
        if !status.unknown.is_empty() {
            return Err(Error::SchemaTooNew {
                unknown: status.unknown,
            });
        }
        report.migrated = status.pending;
    } else {
        report.migrated = crate::migrate(to)?;
        let target = describe_schema(to)?;
        if target != schema {
            return Err(Error::Validation {
                table: "-",
                field: "-",
                reason: "the target's schema differs from the source's at the same version \
                         (see `nerve schema --json` on both)"
                    .into(),
            });
        }
    }
    let tables = plans(&schema, options.tables.as_deref())?;
    let mut target = if options.dry_run && !report.migrated.is_empty() {
        None // not migrated yet: nothing to inspect
    } else {
        Some(PgTarget::open(to)?)
    };
    let mut truncate = false;
    if let Some(t) = target.as_mut() {
        if !options.dry_run {
            t.lock_copy()?;
        }
        t.begin()?;
        let mut occupied = Vec::new();
        for plan in &tables {
            if !t.is_empty(plan.name)? {
                occupied.push(plan.name);
            }
        }
        if !occupied.is_empty() && !options.truncate {
            t.rollback()?;
            let names: Vec<String> = tables.iter().map(|p| p.name.to_string()).collect();
            // With rejects, the earlier copy left out the rows it refused: so does the check.
            let left_out = if options.rejects.is_some() {
                read_all(from, &tables, OnBad::Collect, None)?
            } else {
                HashMap::new()
            };
            let check = verify_tables(from, to, &names, &left_out)?;
            if check.equal() {
                report.already_copied = true;
                report.verify = Some(check);
                report.total_seconds = started.elapsed().as_secs_f64();
                return Ok(report);
            }
            return Err(Error::Validation {
                table: "-",
                field: "-",
                reason: format!(
                    "the target already holds rows in {} and differs from the source: \
                     use --truncate to replace them",
                    occupied.join(", ")
                ),
            });
        }
        truncate = options.truncate && !occupied.is_empty() && !options.dry_run;
    }
    // Row counts first (cheap), so large tables can be loaded in bulk mode or staged.
    let source_counts: HashMap<&str, u64> = {
        let source = SqliteSource::open(from)?;
        let mut counts = HashMap::new();
        for plan in &tables {
            counts.insert(plan.name, source.count(plan.name)?);
        }
        counts
    };
    let rows_of = |table: &str| source_counts.get(table).copied().unwrap_or(0);
    // The tables loaded through staging, and the connections that load and index them.
    let mut staged: HashMap<&str, Arc<StagedTable>> = HashMap::new();
    let mut connections: Vec<PgTarget> = Vec::new();
    if let Some(t) = target.as_mut().filter(|_| !options.dry_run) {
        let from_rows = options.parallel_from_rows.unwrap_or(PARALLEL_ROWS);
        for plan in &tables {
            if rows_of(plan.name) >= from_rows {
                if let Some(table) = t.plan_staging(plan.name)? {
                    staged.insert(plan.name, Arc::new(table));
                }
            }
        }
        if !staged.is_empty() {
            connections = staging::open_connections(to)?;
            // Before the truncate below locks the tables the twins are made like.
            let first = &mut connections[0];
            first.drop_staging()?;
            for plan in &tables {
                if let Some(table) = staged.get(plan.name) {
                    first.create_staged(table)?;
                }
            }
        }
        if truncate {
            // Every table copied, in one statement: PostgreSQL refuses to truncate a table
            // that another (even an empty one) references unless both are truncated together.
            let all: Vec<&str> = tables.iter().map(|p| p.name).collect();
            t.truncate(&all)?;
        }
    }
    let copy_started = Instant::now();
    let (tx, rx) = sync_channel::<Msg>(8);
    let (workers, mut stager) = staging::queue();
    let outcome = std::thread::scope(|scope| -> Result<HashMap<String, HashSet<i64>>> {
        let plans = &tables;
        let reader = scope.spawn(move || {
            let on_bad = options.rejects.as_ref().map_or(OnBad::Stop, OnBad::File);
            match read_all(from, plans, on_bad, Some(&tx)) {
                Ok(refused) => Ok(refused),
                Err(e) => {
                    // The writer returns it (it is waiting for this table's data).
                    let _ = tx.send(Msg::Fail(e));
                    Err(Error::Transaction {
                        rolled_back: false,
                        reason: "the source reader stopped".into(),
                    })
                }
            }
        });
        workers.spawn(scope, std::mem::take(&mut connections));
        let written = (|| -> Result<()> {
            for plan in &tables {
                let began = Instant::now();
                let (copied, rejected, source_rows) =
                    match target.as_mut().filter(|_| !options.dry_run) {
                        Some(_) if staged.contains_key(plan.name) => {
                            let table = &staged[plan.name];
                            let counts = stager.load(
                                table,
                                |sink| drain(&rx, plan.name, progress, sink),
                                |counts| counts.0,
                            )?;
                            stager.build(table)?;
                            counts
                        }
                        Some(t) => {
                            let bulk = rows_of(plan.name) >= BULK_ROWS;
                            let restore = if bulk {
                                t.suspend_indexes(plan.name)?
                            } else {
                                Vec::new()
                            };
                            let mut counts = (0, 0, 0);
                            let copied_rows = t.copy_in(plan.name, &mut |w| {
                                counts = drain(&rx, plan.name, progress, &mut |chunk| {
                                    w.write_all(&chunk).map_err(|e| Error::Transaction {
                                        rolled_back: false,
                                        reason: format!("copy into {}: {e}", plan.name),
                                    })
                                })?;
                                Ok(())
                            })?;
                            check_copied(plan.name, copied_rows, counts.0)?;
                            t.restore(plan.name, &restore)?;
                            if counts.0 > 0 {
                                t.move_identity(plan.name)?;
                            }
                            counts
                        }
                        None => drain(&rx, plan.name, progress, &mut |_| Ok(()))?,
                    };
                let table_report = TableReport {
                    table: plan.name.to_string(),
                    source_rows,
                    copied,
                    rejected,
                    seconds: began.elapsed().as_secs_f64(),
                    staged: staged.contains_key(plan.name),
                };
                progress.finish(&table_report);
                report.copied += copied;
                report.rejected += rejected;
                report.tables.push(table_report);
            }
            // The staged tables' indexes, then the tables themselves, into place.
            stager.finish()?; // no digests were asked for
            if let Some(t) = target.as_mut().filter(|_| !staged.is_empty()) {
                for plan in &tables {
                    if let Some(table) = staged.get(plan.name) {
                        t.swap_in(table)?;
                        let copied = report.tables.iter().find(|r| r.table == plan.name);
                        if copied.is_some_and(|r| r.copied > 0) {
                            t.move_identity(plan.name)?;
                        }
                    }
                }
                t.end_staging()?;
            }
            Ok(())
        })();
        if written.is_err() {
            workers.stop(); // the builds still queued are not run
        }
        drop(rx);
        let read = reader.join().map_err(|_| Error::Transaction {
            rolled_back: false,
            reason: "the source reader panicked".into(),
        })?;
        written?;
        read
    });
    let refused = match outcome {
        Ok(refused) => refused,
        Err(e) => {
            // Best effort: what this copy staged goes now rather than at the next copy.
            if let Some(t) = target.as_mut().filter(|_| !staged.is_empty()) {
                if t.rollback().is_ok() {
                    let _ = t.drop_staging();
                }
            }
            return Err(e);
        }
    };
    if let Some(t) = target.as_mut() {
        if options.dry_run {
            t.rollback()?;
        } else {
            t.commit()?;
            report.copy_seconds = copy_started.elapsed().as_secs_f64();
        }
    }
    drop(target); // its work is done: the connections below need not count one more
    if !options.dry_run {
        // Statistics on two connections while the verification reads both sides: the three
        // keep both cores busy.
        let sizes: Vec<(&str, u64)> = report
            .tables
            .iter()
            .map(|t| (t.table.as_str(), t.copied))
            .collect();
        let names: Vec<String> = tables.iter().map(|p| p.name.to_string()).collect();
        let (analyzed, verified) = std::thread::scope(|scope| {
            let statistics = scope.spawn(|| analyze_committed(to, &sizes));
            let verified = (!options.no_verify).then(|| verify_tables(from, to, &names, &refused));
            let analyzed = statistics
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (analyzed, verified)
        });
        report.verify = verified.transpose()?;
        report.statistics_failed = analyzed;
    }
    report.total_seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Compares the SQLite database at `from` with the PostgreSQL database at `to`, table by
/// table (`tables`, or every table of the source): row counts and an order-independent digest
/// of the canonical values ([`nerve_core::transfer`]), the same canonical form on both sides.
/// Each side is read in one snapshot, PostgreSQL row by row. Errors only when a database
/// cannot be read; differences are in the report.
/// With `without_refused`, the source rows a copy refuses (bad values, and rows whose parent
/// is refused) are left out of the source side, as `nerve copy --rejects` left them out of the
/// target.
pub fn verify(
    from: &str,
    to: &str,
    tables: Option<&[String]>,
    without_refused: bool,
) -> Result<VerifyReport> {
    need(from, Backend::Sqlite, "source")?;
    need(to, Backend::Postgres, "target")?;
    let schema = describe_schema(from)?;
    let plans = plans(&schema, tables)?;
    let names: Vec<String> = plans.iter().map(|p| p.name.to_string()).collect();
    let left_out = if without_refused {
        read_all(from, &plans, OnBad::Collect, None)?
    } else {
        HashMap::new()
    };
    verify_tables(from, to, &names, &left_out)
}

fn verify_tables(
    from: &str,
    to: &str,
    names: &[String],
    skip: &HashMap<String, HashSet<i64>>,
) -> Result<VerifyReport> {
    let schema = describe_schema(from)?;
    let tables = plans(&schema, Some(names))?;
    let (source, target) = std::thread::scope(|scope| {
        let source = scope.spawn(|| -> Result<Vec<TableDigest>> {
            let db = SqliteSource::open(from)?;
            let mut out = Vec::new();
            for plan in &tables {
                let names: Vec<String> = plan.columns.iter().map(|c| c.name.clone()).collect();
                let skipped = skip.get(plan.name);
                let mut digest = TableDigest::default();
                db.scan(plan.name, &names, &mut |rowid, cells| {
                    if skipped.is_some_and(|s| s.contains(&rowid)) {
                        return Ok(true);
                    }
                    let row: Vec<_> = plan
                        .columns
                        .iter()
                        .zip(cells)
                        .map(|(c, cell)| {
                            canonical_of_cell(c, *cell)
                                .unwrap_or_else(|e| Some(format!("\u{0}bad: {e}")))
                        })
                        .collect();
                    digest.add(&row);
                    Ok(true)
                })?;
                out.push(digest);
            }
            Ok(out)
        });
        let target = {
            let tables: Vec<(&str, &[ColumnPlan])> = tables
                .iter()
                .map(|p| (p.name, p.columns.as_slice()))
                .collect();
            postgres_digests(to, &tables)
        };
        let source = source.join().unwrap_or_else(|_| {
            Err(Error::Transaction {
                rolled_back: false,
                reason: "the source reader panicked".into(),
            })
        });
        (source, target)
    });
    let (source, target) = (source?, target?);
    Ok(VerifyReport {
        tables: tables
            .iter()
            .zip(source.iter().zip(&target))
            .map(|(plan, (s, t))| TableCheck {
                table: plan.name.to_string(),
                source_rows: s.rows,
                target_rows: t.rows,
                source_digest: s.hex(),
                target_digest: t.hex(),
                equal: s == t,
            })
            .collect(),
    })
}

/// The order-independent digest of each table's canonical rows in the PostgreSQL database at
/// `to`, read in one snapshot: the target side of [`verify`] (and of `nerve import`'s).
pub(crate) fn postgres_digests(
    to: &str,
    tables: &[(&str, &[ColumnPlan])],
) -> Result<Vec<TableDigest>> {
    let mut db = PgTarget::open(to)?;
    db.begin_snapshot()?;
    let out = digests_in(&mut db, tables)?;
    db.rollback()?;
    Ok(out)
}

/// [`postgres_digests`] on `db` as its transaction sees it (its own uncommitted rows too).
pub(crate) fn digests_in(
    db: &mut PgTarget,
    tables: &[(&str, &[ColumnPlan])],
) -> Result<Vec<TableDigest>> {
    let mut out = Vec::new();
    for (name, plan) in tables {
        let columns: Vec<(String, bool)> = plan
            .iter()
            .map(|c| (c.name.clone(), c.kind == Kind::Json))
            .collect();
        let mut digest = TableDigest::default();
        db.scan_json(name, &columns, &mut |line| {
            let values: Vec<serde_json::Value> =
                serde_json::from_str(line).map_err(|e| Error::Backend {
                    table: "-",
                    operation: "verify",
                    source: Box::new(e),
                })?;
            let row: Vec<_> = plan
                .iter()
                .zip(&values)
                .map(|(c, v)| {
                    canonical_of_json(c, v).unwrap_or_else(|e| Some(format!("\u{0}bad: {e}")))
                })
                .collect();
            digest.add(&row);
            Ok(())
        })?;
        out.push(digest);
    }
    Ok(out)
}
