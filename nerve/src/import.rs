//! `nerve import`: the SQLite database NERVE's Python application made, brought into NERVE's
//! schema — into a new SQLite file or an empty PostgreSQL database — with nothing lost
//! silently.
//!
//! **Order of work.**
//! 1. The source is opened read-only (its bytes never change) and recognised: not SQLite, no
//!    tables, no NERVE tables, or a database our own migrations made (use `nerve copy`) are
//!    refused before anything is written. So is a target that holds data or cannot be reached.
//! 2. A staging SQLite file is migrated to this binary's schema: the target's own file plus
//!    `.importing` for a SQLite target, a temporary file for PostgreSQL.
//! 3. **The plan** ([`ImportPlan`]), from the two schemas and row counts: per table, columns
//!    mapped by name, columns derived and by which rule ([`DERIVED`]), special value rules
//!    ([`special_rule`]); source tables and columns with no home in NERVE's schema with their
//!    non-null counts. Data with no home stops the import unless `--drop` names it.
//! 4. Every table, parents first, is read in one snapshot, each value converted by
//!    [`nerve_core::legacy`]'s rules and each row inserted into the staging file in one
//!    transaction, where NERVE's constraints judge it. The first bad row stops the import
//!    (naming table, rowid, column and reason) unless a rejects file takes it (the whole source
//!    row, as a JSON line); rows referencing a refused row are refused too.
//!    A PostgreSQL target is migrated first and must then describe itself as the staging
//!    file does; every row the staging file accepts goes on at once, by `COPY`, into one
//!    PostgreSQL transaction that a second thread runs (secondary indexes, foreign keys and
//!    primary keys no foreign key rests on, of tables of 1 000 rows or more, suspended and
//!    rebuilt, identities moved past the ids): the
//!    two cores work at the same time, and memory stays bounded by the channel between them.
//!    Tables of [`ImportOptions::parallel_from_rows`] rows or more that a twin can stand in for
//!    go through staging instead, as `nerve copy`'s do: their rows over two more connections
//!    into twins, whose indexes are built there while the loader goes on with the next tables;
//!    the twins are swapped into place in the import's transaction before the verification
//!    (imports and copies into one database take turns: they share the staging schema).
//! 5. **Verify**: for every table, source rows = imported + refused, and the
//!    order-independent digest of the converted rows written (taken as they were written)
//!    equals the digest of what the target holds, read back: the staging file before it
//!    becomes a SQLite target; PostgreSQL inside its transaction, before the commit (a staged
//!    table on its twin, by a staging connection while the twin's indexes are built: the swap
//!    moves the twin whole, it changes no row).
//! 6. A SQLite target: the staging file is flushed and renamed onto the target path (atomic).
//!    A PostgreSQL target: the transaction commits; then `ANALYZE` gathers the tables'
//!    statistics on two connections at once (statistics are not data: a kill here leaves
//!    every row in place).
//!
//! **Crash-safe.** Until the rename (SQLite) or the copy's commit (PostgreSQL) the target holds
//! nothing new; after `kill -9` the same command starts over (a left-over staging file is
//! replaced; a PostgreSQL target left migrated but empty is accepted; what a killed import
//! staged stays in the staging schema until the next copy or import that stages drops it, and
//! an import that fails drops it itself).
//!
//! **Memory** does not grow with the data: rows stream one at a time; values derived from a
//! parent are looked up in the staging file; a table's digest is a fixed-size sum.

use crate::copy::PARALLEL_ROWS;
use crate::copy::{cell_json, Reject, BULK_ROWS, CHUNK};
use crate::legacy::{convert, Value, Zone};
use crate::model::SchemaDescription;
use crate::password::HashFormat;
use crate::staging::{self, Stager};
use crate::transfer::{
    canonical_of_cell, encode_copy, start_copy_row, Cell, ColumnPlan, TableDigest,
};
use crate::validate::{validate_domain, validate_email};
use crate::{Backend, Error, Field, Result};
use nerve_postgres::bulk::{PgTarget, StagedTable};
use nerve_sqlite::export::SqliteSource;
use nerve_sqlite::import::SqliteSink;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::time::Instant;

/// What an import does besides importing.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Plan, convert and check everything into a throw-away staging file; write nothing to
    /// the target.
    pub dry_run: bool,
    /// Write refused rows here (JSON lines) and import the rest, instead of stopping.
    pub rejects: Option<PathBuf>,
    /// Source tables (`TABLE`) and columns (`TABLE.COLUMN`) whose data may be left behind.
    pub drop: Vec<String>,
    /// How timestamps without an offset are read (default UTC).
    pub zone: Zone,
    /// Into PostgreSQL, tables of at least this many source rows are loaded through staging,
    /// as `nerve copy` loads them (default [`PARALLEL_ROWS`](crate::copy::PARALLEL_ROWS)):
    /// their rows over two more connections into twins, their indexes built there while the
    /// import goes on, the twins swapped into place in the import's transaction.
    pub parallel_from_rows: Option<u64>,
}

/// How a NERVE column is filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum ColumnSource {
    /// The source column of the same name, converted by the value rules.
    Column {
        /// A rule applied after the conversion, if any ([`special_rule`]).
        #[serde(skip_serializing_if = "Option::is_none")]
        rule: Option<&'static str>,
    },
    /// Derived by a rule of [`DERIVED`].
    Derived {
        /// The rule, in words.
        rule: String,
    },
    /// The source has no such column and NULL is allowed.
    Null,
    /// The source has no such column: the column's default.
    Default {
        /// The default, as the schema describes it.
        value: String,
    },
}

/// One NERVE table in the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TablePlan {
    /// The table.
    pub table: String,
    /// Whether the source has it (absent: nothing to import).
    pub in_source: bool,
    /// Rows in the source.
    pub source_rows: u64,
    /// Every column of NERVE's table and how it is filled.
    pub columns: BTreeMap<String, ColumnSource>,
    /// Source columns with no home in NERVE's table: their non-null counts.
    pub unmapped: BTreeMap<String, u64>,
}

/// A row of the legacy `schema_migrations` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegacyMigration {
    /// Its version, such as `1.2.0`.
    pub version: String,
    /// Its description.
    pub description: Option<String>,
    /// When it was applied, as written.
    pub applied_at: Option<String>,
}

/// What will be done, before any row moves.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportPlan {
    /// NERVE's tables, parents first.
    pub tables: Vec<TablePlan>,
    /// Source tables with no home in NERVE's schema: their row counts.
    pub unmapped_tables: BTreeMap<String, u64>,
    /// The legacy migration record (reported, not imported: the target has its own).
    pub legacy_migrations: Vec<LegacyMigration>,
    /// What `--drop` left behind: `TABLE` or `TABLE.COLUMN` with the non-null values lost.
    pub dropped: BTreeMap<String, u64>,
}

/// One table imported.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TableImport {
    /// The table.
    pub table: String,
    /// Rows in the source.
    pub source_rows: u64,
    /// Rows imported.
    pub imported: u64,
    /// Rows refused (in the rejects file).
    pub refused: u64,
    /// Per column, values whose stored form differs from the source's (converted).
    pub converted: BTreeMap<String, u64>,
    /// Verify: source rows = imported + refused, and the converted source's digest equals
    /// the imported rows'.
    pub verified: bool,
    /// Seconds spent on the table.
    pub seconds: f64,
    /// Loaded through staging ([`ImportOptions::parallel_from_rows`]).
    pub staged: bool,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    /// The plan it followed.
    pub plan: ImportPlan,
    /// Every table, parents first.
    pub tables: Vec<TableImport>,
    /// Rows imported in all.
    pub imported: u64,
    /// Rows refused in all; non-zero means the target lacks them (see the rejects file).
    pub refused: u64,
    /// Users' password hashes by format; all but argon2 are replaced by argon2id at the first
    /// successful login, `unknown` ones must be reset.
    pub password_hashes: BTreeMap<String, u64>,
    /// Session tokens and API keys found in clear and stored as their SHA-256.
    pub secrets_hashed: u64,
    /// Nothing was written to the target.
    pub dry_run: bool,
    /// Seconds in all.
    pub seconds: f64,
    /// Why gathering a PostgreSQL target's statistics (`ANALYZE`, after the commit) failed, if
    /// it did: the rows are committed and verified all the same, and PostgreSQL's autovacuum
    /// gathers the statistics later.
    pub statistics_failed: Option<String>,
}

impl ImportReport {
    /// Whether every table verified.
    pub fn verified(&self) -> bool {
        self.tables.iter().all(|t| t.verified)
    }
}

/// A rule deriving a column the legacy table lacks.
#[derive(Debug, Clone, Copy)]
pub enum Derive {
    /// The first of these source columns that the table has.
    FromColumn(&'static [&'static str]),
    /// The `company_id` of the parent row a foreign key of the row names (users first).
    CompanyOfParent,
    /// True unless `deleted_at` is set.
    ActiveUnlessDeleted,
}

/// The derivation rules, by NERVE column name: the first that applies to a table fills the
/// column; a row it cannot apply to is refused with the reason.
pub const DERIVED: &[(&str, Derive)] = &[
    ("company_id", Derive::CompanyOfParent),
    (
        "updated_at",
        Derive::FromColumn(&[
            "created_at",
            "scanned_at",
            "searched_at",
            "attempted_at",
            "accessed_at",
            "uploaded_at",
        ]),
    ),
    (
        "created_at",
        Derive::FromColumn(&["updated_at", "scanned_at", "searched_at", "assessment_date"]),
    ),
    ("is_active", Derive::ActiveUnlessDeleted),
];

/// A value rule applied after the kind's conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    /// Normalised as the store normalises addresses; invalid refused.
    Email,
    /// The store's rule for addresses given at login: normalised, or `invalid:` and a hash.
    RecordedAddress,
    /// Normalised as the store normalises domains; invalid refused.
    Domain,
    /// A secret's SHA-256 hex: kept when already one, hashed when found in clear.
    HashIfClear,
    /// Carried as is; its format counted.
    PasswordHash,
}

/// The value rule for `table.column` after its kind's conversion, if any.
fn special(table: &str, column: &str) -> Option<Special> {
    match (table, column) {
        ("users", "email") | ("profiles", "email") | ("monitored_emails", "email_address") => {
            Some(Special::Email)
        }
        ("login_attempts", "email") => Some(Special::RecordedAddress),
        ("sessions", "token_hash") | ("api_keys", "key_hash") => Some(Special::HashIfClear),
        ("users", "password_hash") => Some(Special::PasswordHash),
        (_, "domain") | (_, "scan_domain") => Some(Special::Domain),
        _ => None,
    }
}

/// The value rule for `table.column` in words, for the plan (`None`: none).
pub fn special_rule(table: &str, column: &str) -> Option<&'static str> {
    special(table, column).map(|s| match s {
        Special::Email => "e-mail address normalised as the store does",
        Special::RecordedAddress => "normalised, or invalid:<hash> as the store records logins",
        Special::Domain => "domain normalised as the store does",
        Special::HashIfClear => "a secret in clear is stored as its SHA-256",
        Special::PasswordHash => "carried as is (bcrypt, PBKDF2, argon2 verify; rehashed at login)",
    })
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn unsupported(what: impl Into<String>) -> Error {
    Error::Unsupported { what: what.into() }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::Validation {
        table: "-",
        field: "-",
        reason: reason.into(),
    }
}

/// How one NERVE column is filled, resolved against the source's columns.
#[derive(Debug, Clone)]
enum Fill {
    /// From the source column at this index of the scanned list.
    Source(usize, Option<Special>),
    /// From the source column at this index, converted by the column's plan.
    CopyOf(usize),
    /// The parent's company: (index of the foreign-key column, parent table), tried in order.
    CompanyOf(Vec<(usize, String)>),
    /// True unless the source column at this index (deleted_at) is set; true without it.
    Active(Option<usize>),
    /// A fixed value.
    Fixed(Value),
}

struct Table {
    name: String,
    /// The target columns, in the target's order.
    columns: Vec<ColumnPlan>,
    fills: Vec<Fill>,
    /// The source columns read, in order.
    read: Vec<String>,
    /// Target foreign keys: (column index, parent table).
    foreign: Vec<(usize, String)>,
    source_rows: u64,
    in_source: bool,
}

fn default_value(plan: &ColumnPlan, default: &str) -> Option<Value> {
    use crate::transfer::Kind;
    match (&plan.kind, default) {
        (Kind::Boolean, "true") => Some(Value::Integer(1)),
        (Kind::Boolean, "false") => Some(Value::Integer(0)),
        (Kind::BigInt | Kind::Integer, n) => n.parse().ok().map(Value::Integer),
        (Kind::Real, n) => n.parse().ok().map(Value::Real),
        (_, s) if s.len() >= 2 && s.starts_with('\'') && s.ends_with('\'') => {
            Some(Value::Text(s[1..s.len() - 1].replace("''", "'")))
        }
        _ => None,
    }
}

/// Source of the staging/target: the SQLite file path of a `sqlite://` URL.
fn sqlite_path(url: &str) -> Result<PathBuf> {
    match nerve_sqlite::parse_url(url)? {
        nerve_sqlite::Target::File(path) => Ok(path),
        nerve_sqlite::Target::Memory => Err(unsupported(
            "an in-memory SQLite database as the import target: give a file path",
        )),
    }
}

/// Recognises the source; returns its tables and columns.
fn recognise(from: &str, source: &SqliteSource) -> Result<Vec<(String, Vec<String>)>> {
    let tables = source.tables().map_err(|e| {
        invalid(format!(
            "{} is not a SQLite database NERVE can read: {e}",
            crate::url::redact(from)
        ))
    })?;
    if tables.is_empty() {
        return Err(invalid(format!(
            "{} holds no tables: nothing to import",
            crate::url::redact(from)
        )));
    }
    if tables
        .iter()
        .any(|(t, _)| t == "__diesel_schema_migrations")
    {
        return Err(invalid(format!(
            "{} was made by this storage layer's migrations: use `nerve copy` to move it",
            crate::url::redact(from)
        )));
    }
    if !tables.iter().any(|(t, _)| t == "users" || t == "companies") {
        return Err(invalid(format!(
            "{} is not a NERVE database: it has no users or companies table",
            crate::url::redact(from)
        )));
    }
    Ok(tables)
}

/// Refuses a target that holds data (or is not empty of foreign tables) or cannot be reached.
fn check_target(to: &str) -> Result<Backend> {
    let backend = crate::backend_for(to)?;
    match backend {
        Backend::Sqlite => {
            let path = sqlite_path(to)?;
            if path.exists() {
                return Err(invalid(format!(
                    "the target {} already exists: nerve import writes a new SQLite file",
                    path.display()
                )));
            }
        }
        Backend::Postgres => {
            let schema = crate::describe_schema(to)?;
            if schema.tables.is_empty() {
                return Ok(backend);
            }
            let status = crate::schema_status(to)?;
            if status.applied.is_empty() {
                return Err(invalid(
                    "the target PostgreSQL database holds tables not made by nerve: give an \
                     empty database",
                ));
            }
            let mut target = PgTarget::open(to)?;
            target.begin()?;
            let mut occupied = Vec::new();
            for t in &schema.tables {
                if PgTarget::table_names().contains(&t.name.as_str())
                    && !target.is_empty(&t.name)?
                {
                    occupied.push(t.name.clone());
                }
            }
            target.rollback()?;
            if !occupied.is_empty() {
                return Err(invalid(format!(
                    "the target already holds data (in {}): nerve import fills an empty \
                     database",
                    occupied.join(", ")
                )));
            }
        }
    }
    Ok(backend)
}

fn legacy_migrations(source: &SqliteSource, columns: &[String]) -> Result<Vec<LegacyMigration>> {
    let wanted: Vec<String> = ["version", "description", "applied_at"]
        .iter()
        .filter(|c| columns.iter().any(|have| have == *c))
        .map(|c| c.to_string())
        .collect();
    let mut out = Vec::new();
    let text = |c: Option<&Cell<'_>>| match c {
        Some(Cell::Text(t)) => Some(String::from_utf8_lossy(t).into_owned()),
        Some(Cell::Integer(n)) => Some(n.to_string()),
        Some(Cell::Real(x)) => Some(x.to_string()),
        _ => None,
    };
    source.scan("schema_migrations", &wanted, &mut |_, cells| {
        let get = |name: &str| {
            wanted
                .iter()
                .position(|w| w == name)
                .and_then(|i| cells.get(i))
        };
        out.push(LegacyMigration {
            version: text(get("version")).unwrap_or_default(),
            description: text(get("description")),
            applied_at: text(get("applied_at")),
        });
        Ok(true)
    })?;
    Ok(out)
}

/// Builds the plan and the per-table work from the two schemas.
fn make_plan(
    source: &SqliteSource,
    legacy: &[(String, Vec<String>)],
    schema: &SchemaDescription,
    options: &ImportOptions,
) -> Result<(ImportPlan, Vec<Table>)> {
    let mut plan = ImportPlan::default();
    let mut work = Vec::new();
    let ordered = schema
        .parents_first()
        .ok_or_else(|| invalid("NERVE's foreign keys form a cycle"))?;
    let dropped = |name: &str| options.drop.iter().any(|d| d == name);
    let mut no_home: Vec<String> = Vec::new();
    for (name, columns) in legacy {
        if name == "schema_migrations" {
            plan.legacy_migrations = legacy_migrations(source, columns)?;
            continue;
        }
        if schema.table(name).is_none() {
            let rows = source.count(name)?;
            if rows > 0 && dropped(name) {
                plan.dropped.insert(name.clone(), rows);
            } else if rows > 0 {
                no_home.push(format!("table {name} ({rows} rows)"));
            }
            plan.unmapped_tables.insert(name.clone(), rows);
        }
    }
    for table in ordered {
        let source_columns = legacy
            .iter()
            .find(|(n, _)| *n == table.name)
            .map(|(_, c)| c.clone());
        let in_source = source_columns.is_some();
        let source_columns = source_columns.unwrap_or_default();
        if !in_source {
            // Nothing to import: the table stays empty.
            plan.tables.push(TablePlan {
                table: table.name.clone(),
                in_source,
                source_rows: 0,
                columns: BTreeMap::new(),
                unmapped: BTreeMap::new(),
            });
            work.push(Table {
                name: table.name.clone(),
                columns: Vec::new(),
                fills: Vec::new(),
                read: Vec::new(),
                foreign: Vec::new(),
                source_rows: 0,
                in_source,
            });
            continue;
        }
        let source_rows = source.count(&table.name)?;
        let mut read: Vec<String> = Vec::new();
        let index_of = |column: &str, read: &mut Vec<String>| -> Option<usize> {
            if !source_columns.iter().any(|c| c == column) {
                return None;
            }
            Some(match read.iter().position(|r| r == column) {
                Some(i) => i,
                None => {
                    read.push(column.to_string());
                    read.len() - 1
                }
            })
        };
        let mut columns = Vec::new();
        let mut fills = Vec::new();
        let mut described = BTreeMap::new();
        for column in &table.columns {
            let plan_col = ColumnPlan::of(column, &schema.value_sets).ok_or_else(|| {
                unsupported(format!(
                    "importing {}.{} of type {}",
                    table.name, column.name, column.logical_type
                ))
            })?;
            let rule = special(&table.name, &column.name);
            let (fill, how) = if let Some(i) = index_of(&column.name, &mut read) {
                (
                    Fill::Source(i, rule),
                    ColumnSource::Column {
                        rule: special_rule(&table.name, &column.name),
                    },
                )
            } else if let Some((_, derive)) = DERIVED.iter().find(|(c, _)| *c == column.name) {
                match derive {
                    Derive::FromColumn(candidates) => {
                        match candidates
                            .iter()
                            .find_map(|c| index_of(c, &mut read).map(|i| (c, i)))
                        {
                            Some((c, i)) => (
                                Fill::CopyOf(i),
                                ColumnSource::Derived {
                                    rule: format!("from {c}"),
                                },
                            ),
                            None => fallback(&table.name, column, &plan_col)?,
                        }
                    }
                    Derive::CompanyOfParent => {
                        let mut parents: Vec<(usize, String)> = Vec::new();
                        let mut fks: Vec<_> = table
                            .foreign_keys
                            .iter()
                            .filter(|f| f.columns.len() == 1 && f.references != table.name)
                            .filter(|f| {
                                schema.table(&f.references).is_some_and(|p| {
                                    p.columns.iter().any(|c| c.name == "company_id")
                                })
                            })
                            .collect();
                        fks.sort_by_key(|f| f.references != "users");
                        for f in fks {
                            if let Some(i) = index_of(&f.columns[0], &mut read) {
                                parents.push((i, f.references.clone()));
                            }
                        }
                        if parents.is_empty() {
                            fallback(&table.name, column, &plan_col)?
                        } else {
                            let via: Vec<String> = parents
                                .iter()
                                .map(|(i, p)| format!("{}'s {p} row", read[*i]))
                                .collect();
                            (
                                Fill::CompanyOf(parents),
                                ColumnSource::Derived {
                                    rule: format!("the company of {}", via.join(", else ")),
                                },
                            )
                        }
                    }
                    Derive::ActiveUnlessDeleted => {
                        let at = index_of("deleted_at", &mut read);
                        (
                            Fill::Active(at),
                            ColumnSource::Derived {
                                rule: if at.is_some() {
                                    "true unless deleted_at is set".into()
                                } else {
                                    "true".into()
                                },
                            },
                        )
                    }
                }
            } else {
                fallback(&table.name, column, &plan_col)?
            };
            described.insert(column.name.clone(), how);
            columns.push(plan_col);
            fills.push(fill);
        }
        let mut unmapped = BTreeMap::new();
        for c in &source_columns {
            if table.columns.iter().any(|t| t.name == *c) || read.contains(c) {
                continue;
            }
            let n = source.non_null(&table.name, c)?;
            let key = format!("{}.{c}", table.name);
            if n > 0 && (dropped(&key) || dropped(&table.name)) {
                plan.dropped.insert(key, n);
            } else if n > 0 {
                no_home.push(format!("column {key} ({n} values)"));
            }
            unmapped.insert(c.clone(), n);
        }
        let foreign = table
            .foreign_keys
            .iter()
            .filter(|f| f.columns.len() == 1)
            .filter_map(|f| {
                table
                    .columns
                    .iter()
                    .position(|c| c.name == f.columns[0])
                    .map(|i| (i, f.references.clone()))
            })
            .collect();
        plan.tables.push(TablePlan {
            table: table.name.clone(),
            in_source,
            source_rows,
            columns: described,
            unmapped,
        });
        work.push(Table {
            name: table.name.clone(),
            columns,
            fills,
            read,
            foreign,
            source_rows,
            in_source,
        });
    }
    if !no_home.is_empty() {
        return Err(invalid(format!(
            "the source holds data with no home in NERVE's schema: {}; nothing was imported. \
             Name each with --drop TABLE or --drop TABLE.COLUMN to leave it behind",
            no_home.join(", ")
        )));
    }
    Ok((plan, work))
}

/// A column the source lacks and no rule derives: NULL, its default, or the plan fails.
fn fallback(
    table: &str,
    column: &crate::model::ColumnDescription,
    plan: &ColumnPlan,
) -> Result<(Fill, ColumnSource)> {
    if column.nullable {
        return Ok((Fill::Fixed(Value::Null), ColumnSource::Null));
    }
    if let Some(value) = column
        .default
        .as_deref()
        .and_then(|d| default_value(plan, d))
    {
        return Ok((
            Fill::Fixed(value),
            ColumnSource::Default {
                value: column.default.clone().unwrap_or_default(),
            },
        ));
    }
    Err(invalid(format!(
        "{table}.{}: the source has no such column and no rule derives it",
        column.name
    )))
}

/// What converting one row gave.
struct Converted {
    values: Vec<Value>,
    /// Per target column, whether the stored form differs from the source's.
    changed: Vec<bool>,
    secrets_hashed: u64,
    password_format: Option<HashFormat>,
}

/// Converts one source row into the target table's values; `Err((column, reason))` refuses
/// it.
fn convert_row(
    table: &Table,
    cells: &[Cell<'_>],
    sink: &SqliteSink,
    zone: Zone,
) -> Result<std::result::Result<Converted, (String, String)>> {
    let mut out = Converted {
        values: Vec::with_capacity(table.columns.len()),
        changed: Vec::with_capacity(table.columns.len()),
        secrets_hashed: 0,
        password_format: None,
    };
    for (plan, fill) in table.columns.iter().zip(&table.fills) {
        let refuse = |reason: String| Ok(Err((plan.name.clone(), reason)));
        let (value, changed) = match fill {
            Fill::Source(i, rule) => {
                let cell = cells[*i];
                let mut value = match convert(plan, cell, zone) {
                    Ok(v) => v,
                    Err(reason) => return refuse(reason),
                };
                if let (Some(rule), Value::Text(text)) = (rule, &value) {
                    let field = Field::new("-", "-");
                    let replaced = match rule {
                        Special::Email => match validate_email(field, text) {
                            Ok(v) => v,
                            Err(e) => return refuse(reason_of(e)),
                        },
                        Special::RecordedAddress => {
                            validate_email(field, text).unwrap_or_else(|_| {
                                format!("invalid:{}", &crate::secret::sha256_hex(text)[..16])
                            })
                        }
                        Special::Domain => match validate_domain(field, text) {
                            Ok(v) => v,
                            Err(e) => return refuse(reason_of(e)),
                        },
                        Special::HashIfClear => {
                            if is_sha256_hex(text) {
                                text.clone()
                            } else {
                                out.secrets_hashed += 1;
                                crate::secret::sha256_hex(text)
                            }
                        }
                        Special::PasswordHash => {
                            out.password_format = Some(HashFormat::of(text));
                            text.clone()
                        }
                    };
                    value = Value::Text(replaced);
                }
                let changed = value.as_cell() != cell;
                (value, changed)
            }
            Fill::CopyOf(i) => match convert(plan, cells[*i], zone) {
                Ok(v) => (v, true),
                Err(reason) => return refuse(format!("derived from {}: {reason}", table.read[*i])),
            },
            Fill::CompanyOf(parents) => {
                let mut found = None;
                let mut missing = None;
                for (i, parent) in parents {
                    if let Cell::Integer(id) = cells[*i] {
                        match sink.lookup(parent, "company_id", id)? {
                            Some(company) => {
                                found = Some(company);
                                break;
                            }
                            None if missing.is_none() => missing = Some((*i, parent, id)),
                            None => {}
                        }
                    }
                }
                match (found, missing) {
                    (Some(company), _) => (Value::Integer(company), true),
                    // An orphan: named by its foreign key, as the database would name it.
                    (None, Some((i, parent, id))) => {
                        return Ok(Err((
                            table.read[i].clone(),
                            format!(
                                "no {parent} row with id {id} (absent from the source, or \
                                 refused), so {} cannot be derived",
                                plan.name
                            ),
                        )))
                    }
                    (None, None) if plan.nullable => (Value::Null, true),
                    (None, None) => {
                        return refuse("cannot be derived: no parent row names a company".into())
                    }
                }
            }
            Fill::Active(deleted) => {
                let live = deleted.is_none_or(|i| cells[i] == Cell::Null);
                (Value::Integer(i64::from(live)), true)
            }
            Fill::Fixed(v) => (v.clone(), true),
        };
        out.values.push(value);
        out.changed.push(changed);
    }
    Ok(Ok(out))
}

fn reason_of(e: Error) -> String {
    match e {
        Error::Validation { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Imports the legacy SQLite database at `from` into `to` (a SQLite file that does not exist
/// yet, or an empty PostgreSQL database); see the module documentation. `on_plan` sees the
/// plan before any row moves. Errors: [`Error::Validation`] for a source that is not NERVE's
/// Python database, a target that holds data, data with no home, or (without a rejects file)
/// the first bad row, naming table, rowid, column and reason; [`Error::Connect`] for an
/// unreachable target. On any error the target is as it was (a PostgreSQL target may be left
/// migrated, and empty).
pub fn import(
    from: &str,
    to: &str,
    options: &ImportOptions,
    on_plan: &mut dyn FnMut(&ImportPlan),
) -> Result<ImportReport> {
    let started = Instant::now();
    if crate::backend_for(from)? != Backend::Sqlite {
        return Err(unsupported(
            "a PostgreSQL database as the import source: nerve import reads the SQLite file \
             NERVE's Python application made",
        ));
    }
    let source = SqliteSource::open(from).map_err(|e| match e {
        Error::Connect { reason } => invalid(format!(
            "cannot read the source as a SQLite database: {reason}"
        )),
        other => other,
    })?;
    let legacy = recognise(from, &source)?;
    let backend = check_target(to)?;

    // The staging file: the target's own path + .importing, or a temporary directory's file.
    let temp_dir;
    let staging: PathBuf = match backend {
        Backend::Sqlite if !options.dry_run => {
            let target = sqlite_path(to)?;
            let mut name = target.file_name().unwrap_or_default().to_os_string();
            name.push(".importing");
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| invalid(format!("cannot create {}: {e}", dir.display())))?;
            }
            target.with_file_name(name)
        }
        _ => {
            temp_dir = tempfile::tempdir()
                .map_err(|e| invalid(format!("cannot make a temporary directory: {e}")))?;
            temp_dir.path().join("staging.db")
        }
    };
    remove_sqlite_files(&staging)?;
    // Whatever fails from here on, the staging file goes with it: the target never saw it.
    let result = load(to, options, on_plan, backend, &source, &legacy, &staging);
    if result.is_err() {
        let _ = remove_sqlite_files(&staging);
    }
    let mut report = result?;
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// What the loader sends the PostgreSQL writer: per table, a start, binary COPY rows, an end.
enum Chunk {
    /// The next table; `bulk`: load it with its indexes and keys suspended
    /// ([`PgTarget::suspend_indexes`](nerve_postgres::bulk::PgTarget::suspend_indexes)).
    Start { table: String, bulk: bool },
    /// Binary COPY rows (whole ones).
    Data(Vec<u8>),
    /// The table is done; this many rows were sent.
    End { rows: u64 },
}

/// The loader's error when the PostgreSQL writer stopped first (its own error says why).
const WRITER_STOPPED: &str = "the PostgreSQL writer stopped";

/// Whether `e` is only the news that the other side stopped (`reason`).
fn is_stop(e: &Error, reason: &str) -> bool {
    matches!(e, Error::Transaction { reason: r, .. } if r == reason)
}

/// A table the import loads through staging: its twin, and the columns its digest reads.
struct StagedImport {
    twin: Arc<StagedTable>,
    columns: Vec<ColumnPlan>,
}

/// The PostgreSQL side of an import: each table's rows by COPY as the loader sends them, in the
/// transaction `target` holds (not committed here); the tables of `staged` through staging,
/// swapped into place in that transaction once every table is loaded. Returns the digests of
/// the staged tables, read on their twins by a staging connection while their indexes were
/// built (the swap moves a twin; it changes no row).
fn write_postgres(
    target: &mut PgTarget,
    rx: &Receiver<Chunk>,
    mut stager: Stager,
    staged: &HashMap<String, StagedImport>,
) -> Result<Vec<(&'static str, TableDigest)>> {
    let stopped = || Error::Transaction {
        rolled_back: false,
        reason: "the import stopped before the table was complete".into(),
    };
    // The staged tables in the order they came (parents first).
    let mut swaps: Vec<(&StagedTable, u64)> = Vec::new();
    while let Ok(message) = rx.recv() {
        let Chunk::Start { table, bulk } = message else {
            return Err(stopped());
        };
        if let Some(StagedImport { twin, columns }) = staged.get(&table) {
            let rows = stager.load(
                twin,
                |sink| loop {
                    match rx.recv() {
                        Ok(Chunk::Data(bytes)) => sink(bytes)?,
                        Ok(Chunk::End { rows }) => return Ok(rows),
                        Ok(Chunk::Start { .. }) | Err(_) => return Err(stopped()),
                    }
                },
                |rows| *rows,
            )?;
            stager.digest(twin, columns.clone())?;
            stager.build(twin)?;
            swaps.push((twin, rows));
            continue;
        }
        let restore = if bulk {
            target.suspend_indexes(&table)?
        } else {
            Vec::new()
        };
        let mut sent = None;
        let copied = target.copy_in(&table, &mut |w| loop {
            match rx.recv() {
                Ok(Chunk::Data(bytes)) => w.write_all(&bytes).map_err(|e| Error::Transaction {
                    rolled_back: false,
                    reason: format!("copy into {table}: {e}"),
                })?,
                Ok(Chunk::End { rows }) => {
                    sent = Some(rows);
                    return Ok(());
                }
                Ok(Chunk::Start { .. }) | Err(_) => return Err(stopped()),
            }
        })?;
        if sent != Some(copied) {
            return Err(Error::Transaction {
                rolled_back: false,
                reason: format!("{table}: PostgreSQL took {copied} rows of {sent:?}"),
            });
        }
        target.restore(&table, &restore)?;
        if copied > 0 {
            target.move_identity(&table)?;
        }
    }
    // The staged tables' indexes and digests, then the tables themselves, into place.
    let digests = stager.finish()?;
    for (twin, rows) in swaps {
        target.swap_in(twin)?;
        if rows > 0 {
            target.move_identity(twin.table)?;
        }
    }
    if !staged.is_empty() {
        target.end_staging()?;
    }
    Ok(digests)
}

/// Steps 3 to 6 of the import (see the module docs), into `staging` and, for a PostgreSQL
/// target, into it at the same time.
fn load(
    to: &str,
    options: &ImportOptions,
    on_plan: &mut dyn FnMut(&ImportPlan),
    backend: Backend,
    source: &SqliteSource,
    legacy: &[(String, Vec<String>)],
    staging: &Path,
) -> Result<ImportReport> {
    let staging_url = format!("sqlite://{}", staging.display());
    crate::migrate(&staging_url)?;
    let schema = crate::describe_schema(&staging_url)?;
    let (plan, tables) = make_plan(source, legacy, &schema, options)?;
    on_plan(&plan);

    // A PostgreSQL target is migrated now and must describe itself as the staging file does;
    // its rows then stream in by COPY, in one transaction, while the staging file judges them.
    let postgres = backend == Backend::Postgres && !options.dry_run;
    let mut target = if postgres {
        crate::migrate(to)?;
        if crate::describe_schema(to)? != schema {
            return Err(invalid(
                "the target's schema differs from this binary's after migrating it (see \
                 `nerve schema --json`)",
            ));
        }
        let mut target = PgTarget::open(to)?;
        // Imports and copies into one database take turns (they share the staging schema).
        target.lock_copy()?;
        target.begin()?;
        Some(target)
    } else {
        None
    };
    let mut report = ImportReport {
        dry_run: options.dry_run,
        ..Default::default()
    };
    let mut rejects_file = match &options.rejects {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path).map_err(|e| Error::Validation {
                table: "-",
                field: "rejects",
                reason: format!("{}: {e}", path.display()),
            })?,
        )),
        None => None,
    };
    let mut sink = SqliteSink::open(staging)?;
    // The tables loaded through staging (with rows: an empty table has nothing to share out),
    // and the connections that load and index them.
    let mut staged: HashMap<String, StagedImport> = HashMap::new();
    let mut connections: Vec<PgTarget> = Vec::new();
    if let Some(t) = target.as_mut() {
        let from_rows = options.parallel_from_rows.unwrap_or(PARALLEL_ROWS);
        for table in tables
            .iter()
            .filter(|t| t.in_source && t.source_rows > 0 && t.source_rows >= from_rows)
        {
            if let Some(twin) = t.plan_staging(&table.name)? {
                let (twin, columns) = (Arc::new(twin), table.columns.clone());
                staged.insert(table.name.clone(), StagedImport { twin, columns });
            }
        }
        if !staged.is_empty() {
            connections = staging::open_connections(to)?;
            let first = &mut connections[0];
            let made = first.drop_staging().and_then(|()| {
                tables
                    .iter()
                    .try_for_each(|table| match staged.get(&table.name) {
                        Some(s) => first.create_staged(&s.twin),
                        None => Ok(()),
                    })
            });
            if let Err(e) = made {
                let _ = first.drop_staging(); // the target's connection still holds the lock
                return Err(e);
            }
        }
    }
    // Per table (in `tables` order, absent ones empty): the digest of the converted rows
    // written, for the verify pass.
    let mut wanted: Vec<TableDigest> = Vec::new();
    let mut formats: BTreeMap<String, u64> = BTreeMap::new();
    let (tx, rx) = sync_channel::<Chunk>(8);
    let (workers, stager) = staging::queue();
    let staged = &staged;
    let target = std::thread::scope(|scope| -> Result<Option<(PgTarget, Vec<_>)>> {
        workers.spawn(scope, std::mem::take(&mut connections));
        let workers = &workers;
        let writer = target.map(|mut t| {
            let rx = rx;
            scope.spawn(move || {
                let written = write_postgres(&mut t, &rx, stager, staged);
                if written.is_err() {
                    workers.stop(); // the builds still queued are not run
                }
                (t, written)
            })
        });
        let send = |chunk: Chunk| -> Result<()> {
            tx.send(chunk).map_err(|_| Error::Transaction {
                rolled_back: false,
                reason: WRITER_STOPPED.into(),
            })
        };
        let loaded = (|| -> Result<()> {
            for table in &tables {
                let began = Instant::now();
                let mut done = TableImport {
                    table: table.name.clone(),
                    source_rows: table.source_rows,
                    staged: staged.contains_key(&table.name),
                    ..Default::default()
                };
                if !table.in_source {
                    wanted.push(TableDigest::default());
                    report.tables.push(done);
                    continue;
                }
                let target_columns: Vec<String> =
                    table.columns.iter().map(|c| c.name.clone()).collect();
                let statement = SqliteSink::insert_statement(&table.name, &target_columns);
                let bulk = table.source_rows >= BULK_ROWS;
                let suspended = if bulk {
                    sink.suspend_indexes(&table.name)?
                } else {
                    Vec::new()
                };
                // The COPY column order, as positions in the table's columns.
                let streaming = postgres && table.source_rows > 0;
                let order: Vec<usize> = if streaming {
                    PgTarget::copy_columns(&table.name)?
                        .iter()
                        .map(|c| {
                            table
                                .columns
                                .iter()
                                .position(|t| t.name == *c)
                                .ok_or_else(|| {
                                    invalid(format!(
                                        "{}.{c}: not in the staging schema",
                                        table.name
                                    ))
                                })
                        })
                        .collect::<Result<_>>()?
                } else {
                    Vec::new()
                };
                let fields = i16::try_from(order.len()).map_err(|_| {
                    invalid(format!(
                        "{}: more columns than a COPY row holds",
                        table.name
                    ))
                })?;
                if streaming {
                    send(Chunk::Start {
                        table: table.name.clone(),
                        bulk,
                    })?;
                }
                let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 4096);
                let mut converted = vec![0u64; table.columns.len()];
                let mut digest = TableDigest::default();
                source.scan(&table.name, &table.read, &mut |rowid, cells| {
                    let outcome = match convert_row(table, cells, &sink, options.zone)? {
                        Ok(row) => {
                            let values: Vec<Cell<'_>> =
                                row.values.iter().map(Value::as_cell).collect();
                            match sink.insert(&table.name, &statement, &values)? {
                                Ok(()) => Ok(row),
                                Err(refused) => Err(explain(table, &row.values, &sink, refused)?),
                            }
                        }
                        Err(refused) => Err(refused),
                    };
                    match outcome {
                        Ok(row) => {
                            done.imported += 1;
                            digest.add(&canonical_row(table, &row.values));
                            if streaming {
                                start_copy_row(&mut buf, fields);
                                for i in &order {
                                    encode_copy(
                                        &table.columns[*i],
                                        row.values[*i].as_cell(),
                                        &mut buf,
                                    )
                                    .map_err(|reason| {
                                        Error::Transaction {
                                            rolled_back: false,
                                            reason: format!(
                                                "{} rowid {rowid}: {}: {reason}",
                                                table.name, table.columns[*i].name
                                            ),
                                        }
                                    })?;
                                }
                                if buf.len() >= CHUNK {
                                    send(Chunk::Data(std::mem::replace(
                                        &mut buf,
                                        Vec::with_capacity(CHUNK + 4096),
                                    )))?;
                                }
                            }
                            for (n, c) in converted.iter_mut().zip(&row.changed) {
                                *n += u64::from(*c);
                            }
                            report.secrets_hashed += row.secrets_hashed;
                            if let Some(format) = row.password_format {
                                let name = serde_json::to_value(format)
                                    .ok()
                                    .and_then(|v| v.as_str().map(str::to_string))
                                    .unwrap_or_default();
                                *formats.entry(name).or_default() += 1;
                            }
                        }
                        Err((column, reason)) => {
                            done.refused += 1;
                            let Some(file) = rejects_file.as_mut() else {
                                return Err(Error::Validation {
                                    table: static_name(&table.name),
                                    field: static_column(table, &column),
                                    reason: format!("rowid {rowid}: {reason}"),
                                });
                            };
                            let row = table
                                .read
                                .iter()
                                .zip(cells)
                                .map(|(c, cell)| (c.clone(), cell_json(cell)))
                                .collect();
                            let line = serde_json::to_string(&Reject {
                                table: &table.name,
                                rowid,
                                column: &column,
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
                    Ok(true)
                })?;
                if streaming {
                    if !buf.is_empty() {
                        send(Chunk::Data(buf))?;
                    }
                    send(Chunk::End {
                        rows: done.imported,
                    })?;
                }
                // The staging file becomes the target only on SQLite: only there are the
                // suspended indexes needed again.
                if !postgres {
                    sink.restore(&table.name, &suspended)?;
                }
                done.converted = target_columns
                    .iter()
                    .zip(&converted)
                    .filter(|(_, n)| **n > 0)
                    .map(|(c, n)| (c.clone(), *n))
                    .collect();
                wanted.push(digest);
                done.seconds = began.elapsed().as_secs_f64();
                report.imported += done.imported;
                report.refused += done.refused;
                report.tables.push(done);
            }
            Ok(())
        })();
        drop(tx);
        if loaded.is_err() {
            workers.stop();
        }
        let Some(writer) = writer else {
            return loaded.map(|()| None);
        };
        let (mut t, written) = writer.join().map_err(|_| Error::Transaction {
            rolled_back: false,
            reason: "the PostgreSQL writer panicked".into(),
        })?;
        // The first error: the other side's is then only that it was stopped.
        let outcome = match (loaded, written) {
            (Ok(()), written) => written,
            (Err(l), Err(w)) if is_stop(&l, WRITER_STOPPED) => Err(w),
            (Err(l), _) => Err(l),
        };
        match outcome {
            Ok(digests) => Ok(Some((t, digests))),
            Err(e) => {
                // Best effort, still holding the lock: what this import staged goes now
                // rather than at the next copy or import.
                if !staged.is_empty() && t.rollback().is_ok() {
                    let _ = t.drop_staging();
                }
                Err(e)
            }
        }
    })?;
    let flushed = match rejects_file {
        Some(mut file) => file.flush().map_err(|e| Error::Validation {
            table: "-",
            field: "rejects",
            reason: e.to_string(),
        }),
        None => Ok(()),
    };
    report.password_hashes = formats;
    report.plan = plan;
    let plans: Vec<(&str, &[ColumnPlan])> = tables
        .iter()
        .map(|t| (t.name.as_str(), t.columns.as_slice()))
        .collect();

    if let Some((mut target, twins)) = target {
        // Verify, then commit: all or nothing. The staged tables were read on their twins
        // (as their indexes were built); the others are read inside the import's transaction.
        let committed = flushed.and_then(|()| {
            let twin_of = |name: &str| twins.iter().find(|(t, _)| *t == name).map(|(_, d)| *d);
            let unstaged: Vec<(&str, &[ColumnPlan])> = plans
                .iter()
                .filter(|(name, _)| twin_of(name).is_none())
                .copied()
                .collect();
            let mut read = crate::copy::digests_in(&mut target, &unstaged)?.into_iter();
            let arrived: Vec<TableDigest> = plans
                .iter()
                .map(|(name, _)| twin_of(name).or_else(|| read.next()).unwrap_or_default())
                .collect();
            set_verified(&mut report, &wanted, &arrived);
            if !report.verified() {
                return Err(verify_failed(&report, "nothing was written to the target"));
            }
            target.commit()
        });
        if let Err(e) = committed {
            // Still holding the lock: nothing kept, and nothing left staged.
            let _ = target.rollback();
            if !staged.is_empty() {
                let _ = target.drop_staging();
            }
            return Err(e);
        }
        drop(target);
        let sizes: Vec<(&str, u64)> = tables
            .iter()
            .map(|t| (t.name.as_str(), t.source_rows))
            .collect();
        report.statistics_failed = crate::copy::analyze_committed(to, &sizes);
        return Ok(report);
    }

    // SQLite target (or a dry run): the staging file, committed, against the rows written;
    // then moved into place.
    flushed?;
    sink.finish()?;
    let staged = staging_digests(staging, &tables)?;
    set_verified(&mut report, &wanted, &staged);
    if !report.verified() {
        return Err(verify_failed(&report, "nothing was written to the target"));
    }
    if !options.dry_run && backend == Backend::Sqlite {
        let target = sqlite_path(to)?;
        std::fs::rename(staging, &target).map_err(|e| Error::Transaction {
            rolled_back: false,
            reason: format!("moving {} to {}: {e}", staging.display(), target.display()),
        })?;
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
    }
    Ok(report)
}

/// A table verifies when its source rows = imported + refused and the rows read back have the
/// digest of the converted rows written.
fn set_verified(report: &mut ImportReport, wanted: &[TableDigest], have: &[TableDigest]) {
    for ((done, want), have) in report.tables.iter_mut().zip(wanted).zip(have) {
        done.verified = done.source_rows == done.imported + done.refused && want == have;
    }
}

fn verify_failed(report: &ImportReport, consequence: &str) -> Error {
    let bad: Vec<&str> = report
        .tables
        .iter()
        .filter(|t| !t.verified)
        .map(|t| t.table.as_str())
        .collect();
    Error::Transaction {
        rolled_back: false,
        reason: format!(
            "verification failed for {}: the imported rows differ from the converted source; \
             {consequence}",
            bad.join(", ")
        ),
    }
}

/// The canonical form of a converted row, as the digests compare it.
fn canonical_row(table: &Table, values: &[Value]) -> Vec<crate::transfer::Canonical> {
    table
        .columns
        .iter()
        .zip(values)
        .map(|(c, v)| {
            canonical_of_cell(c, v.as_cell()).unwrap_or_else(|e| Some(format!("\u{0}bad: {e}")))
        })
        .collect()
}

/// What a refused INSERT broke: for a foreign key (SQLite names none) the first whose parent
/// row is not there; otherwise the column SQLite's message names (`... failed: t.c`), if any.
fn explain(
    table: &Table,
    values: &[Value],
    sink: &SqliteSink,
    refused: nerve_sqlite::import::Refused,
) -> Result<(String, String)> {
    if refused.foreign_key {
        for (i, parent) in &table.foreign {
            if let Value::Integer(id) = values[*i] {
                if !sink.exists(parent, id)? {
                    return Ok((
                        table.columns[*i].name.clone(),
                        format!(
                            "no {parent} row with id {id} (absent from the source, or refused)"
                        ),
                    ));
                }
            }
        }
    }
    let reason = refused.message;
    let column = table
        .columns
        .iter()
        .find(|c| reason.contains(&format!("{}.{}", table.name, c.name)))
        .map(|c| c.name.clone())
        .unwrap_or_else(|| "-".into());
    Ok((column, reason))
}

fn static_name(table: &str) -> &'static str {
    PgTarget::table_names()
        .iter()
        .find(|t| **t == table)
        .copied()
        .unwrap_or("-")
}

fn static_column(table: &Table, column: &str) -> &'static str {
    PgTarget::copy_columns(&table.name)
        .ok()
        .and_then(|cols| cols.iter().find(|c| **c == column).copied())
        .unwrap_or("-")
}

fn remove_sqlite_files(path: &Path) -> Result<()> {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_os_string();
        name.push(suffix);
        let p = PathBuf::from(name);
        if p.exists() {
            std::fs::remove_file(&p)
                .map_err(|e| invalid(format!("cannot remove {}: {e}", p.display())))?;
        }
    }
    Ok(())
}

/// Per table, the digest of the rows the staging file holds.
fn staging_digests(staging: &Path, tables: &[Table]) -> Result<Vec<TableDigest>> {
    let staged = SqliteSource::open(&format!("sqlite://{}", staging.display()))?;
    let mut out = Vec::new();
    for table in tables {
        let mut have = TableDigest::default();
        if table.in_source {
            let names: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
            staged.scan(&table.name, &names, &mut |_, cells| {
                let canonical: Vec<_> = table
                    .columns
                    .iter()
                    .zip(cells)
                    .map(|(c, cell)| {
                        canonical_of_cell(c, *cell)
                            .unwrap_or_else(|e| Some(format!("\u{0}bad: {e}")))
                    })
                    .collect();
                have.add(&canonical);
                Ok(true)
            })?;
        } else if staged.count(&table.name)? != 0 {
            // Rows where the source had none: never equal to the empty digest.
            have.add(&[Some("unexpected rows".into())]);
        }
        out.push(have);
    }
    Ok(out)
}
