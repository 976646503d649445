//! Adoption of databases made outside the migration runner (`nerve baseline`): NERVE's
//! earlier Python application, or our SQL run by hand.
//!
//! The database's logical schema (its [`SchemaDescription`] and its CHECK constraints) is
//! compared with that of a reference database the embedded migrations build. When they agree,
//! the migrations are recorded as applied. When the database only lacks what can be added
//! without touching a row — an index, a nullable column, a CHECK the present rows satisfy —
//! the additions are the plan, run with `apply`. Anything else is listed and nothing changes.
//! Each driver implements [`BaselineDriver`]; [`run`] decides, the same for every backend.

use crate::error::{Error, Result};
use crate::model::SchemaDescription;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Every table's CHECK constraints, each as its normalized expression
/// ([`crate::model::schema::normalize_predicate`]).
pub type Checks = BTreeMap<String, BTreeSet<String>>;

/// Something the database lacks that can be added safely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Addition {
    /// A missing index.
    Index {
        /// Its table.
        table: String,
        /// Its name.
        index: String,
    },
    /// A missing nullable column.
    Column {
        /// Its table.
        table: String,
        /// Its name.
        column: String,
    },
    /// Missing CHECK constraints of a table (normalized expressions), which the present rows
    /// must satisfy (the plan is tried before it is offered).
    Checks {
        /// The table.
        table: String,
        /// The missing expressions.
        checks: Vec<String>,
    },
}

impl Addition {
    /// The table it concerns.
    pub fn table(&self) -> &str {
        match self {
            Addition::Index { table, .. }
            | Addition::Column { table, .. }
            | Addition::Checks { table, .. } => table,
        }
    }

    /// In words.
    pub fn describe(&self) -> String {
        match self {
            Addition::Index { table, index } => format!("add the index {index} on {table}"),
            Addition::Column { table, column } => {
                format!("add the nullable column {table}.{column}")
            }
            Addition::Checks { table, checks } => format!(
                "add the CHECK constraint(s) {} to {table}",
                checks
                    .iter()
                    .map(|c| format!("({c})"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// One step of a plan: what it adds, and the statements that add it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedChange {
    /// What it adds, in words.
    pub what: String,
    /// The SQL, in order.
    pub sql: Vec<String>,
}

/// What [`run`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BaselineOutcome {
    /// The schema matched (after the plan, when one was applied): the migrations are now
    /// recorded as applied.
    Adopted,
    /// Only safe additions are missing; the plan was tried and rolled back. Nothing changed:
    /// run again with `apply`.
    Planned,
    /// The schema differs in ways the migrations cannot safely make good (listed). Nothing
    /// changed.
    Refused,
}

/// The result of [`run`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineReport {
    /// What was decided.
    pub outcome: BaselineOutcome,
    /// The safe additions, in order (applied when `Adopted`).
    pub plan: Vec<PlannedChange>,
    /// The differences that block adoption (empty unless `Refused`).
    pub differences: Vec<String>,
    /// What the database has beyond NERVE's schema that does no harm (kept as it is).
    pub notes: Vec<String>,
    /// The migration versions recorded as applied (empty unless `Adopted`).
    pub recorded: Vec<String>,
}

/// The comparison of a database with the reference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Safe additions, in table order.
    pub additions: Vec<Addition>,
    /// Blocking differences.
    pub blocking: Vec<String>,
    /// Harmless extras.
    pub notes: Vec<String>,
}

fn column_words(c: &crate::model::ColumnDescription) -> String {
    format!(
        "{} {}{}{}",
        c.logical_type,
        if c.nullable { "NULL" } else { "NOT NULL" },
        c.max_length.map(|n| format!(" ({n})")).unwrap_or_default(),
        c.default
            .as_ref()
            .map(|d| format!(" DEFAULT {d}"))
            .unwrap_or_default()
    )
}

/// Compares `actual` (with its CHECKs) with the reference `expected`. With
/// `checks_define_types` (SQLite, where value sets and length limits are CHECKs), a column
/// that is `text` where an `enum:` is expected, or unlimited where a limit is, counts as the
/// missing CHECK it is, and value sets are compared through the CHECKs.
pub fn compare(
    expected: &SchemaDescription,
    expected_checks: &Checks,
    actual: &SchemaDescription,
    actual_checks: &Checks,
    checks_define_types: bool,
) -> Comparison {
    let mut out = Comparison::default();
    let none = BTreeSet::new();
    for want in &expected.tables {
        let t = &want.name;
        let Some(have) = actual.table(t) else {
            out.blocking.push(format!("table {t} is missing"));
            continue;
        };
        let want_checks = expected_checks.get(t).unwrap_or(&none);
        let have_checks = actual_checks.get(t).unwrap_or(&none);
        let missing_checks: Vec<String> = want_checks.difference(have_checks).cloned().collect();
        for extra in have_checks.difference(want_checks) {
            out.blocking.push(format!(
                "{t} has the CHECK ({extra}), which NERVE's schema does not: it may refuse rows \
                 NERVE writes"
            ));
        }
        for col in &want.columns {
            match have.columns.iter().find(|c| c.name == col.name) {
                None if col.nullable => out.additions.push(Addition::Column {
                    table: t.clone(),
                    column: col.name.clone(),
                }),
                None => out.blocking.push(format!(
                    "column {t}.{} is missing and NOT NULL: it cannot be added without values",
                    col.name
                )),
                Some(c) if c == col => {}
                Some(c) => {
                    let as_check = checks_define_types
                        && !missing_checks.is_empty()
                        && c.nullable == col.nullable
                        && c.default == col.default
                        && (c.logical_type == col.logical_type
                            || (c.logical_type == "text" && col.logical_type.starts_with("enum:")))
                        && (c.max_length == col.max_length || c.max_length.is_none());
                    if !as_check {
                        out.blocking.push(format!(
                            "column {t}.{} is {}, expected {}",
                            col.name,
                            column_words(c),
                            column_words(col)
                        ));
                    }
                }
            }
        }
        for c in &have.columns {
            if want.columns.iter().any(|w| w.name == c.name) {
                continue;
            }
            if c.nullable || c.default.is_some() {
                out.notes.push(format!(
                    "column {t}.{} is not NERVE's; it is kept (NERVE leaves it {})",
                    c.name,
                    if c.default.is_some() {
                        "to its default"
                    } else {
                        "NULL"
                    }
                ));
            } else {
                out.blocking.push(format!(
                    "column {t}.{} is not NERVE's and is NOT NULL without a default: NERVE's \
                     inserts would fail",
                    c.name
                ));
            }
        }
        if have.primary_key != want.primary_key {
            out.blocking.push(format!(
                "the primary key of {t} is ({}), expected ({})",
                have.primary_key.join(", "),
                want.primary_key.join(", ")
            ));
        }
        for key in want.unique.iter().filter(|k| !have.unique.contains(k)) {
            out.blocking
                .push(format!("unique ({}) on {t} is missing", key.join(", ")));
        }
        for key in have.unique.iter().filter(|k| !want.unique.contains(k)) {
            out.blocking.push(format!(
                "{t} has unique ({}), which NERVE's schema does not: it may refuse rows NERVE \
                 writes",
                key.join(", ")
            ));
        }
        for fk in have
            .foreign_keys
            .iter()
            .filter(|f| !want.foreign_keys.contains(f))
        {
            out.blocking.push(format!(
                "{t} has a foreign key ({}) to {}, which NERVE's schema does not: it may refuse \
                 rows NERVE writes",
                fk.columns.join(", "),
                fk.references
            ));
        }
        for fk in want
            .foreign_keys
            .iter()
            .filter(|f| !have.foreign_keys.contains(f))
        {
            out.blocking.push(format!(
                "foreign key ({}) of {t} to {}({}) ON DELETE {} is missing or differs",
                fk.columns.join(", "),
                fk.references,
                fk.referenced_columns.join(", "),
                fk.on_delete
            ));
        }
        for index in &want.indexes {
            match have.indexes.iter().find(|i| i.name == index.name) {
                None => out.additions.push(Addition::Index {
                    table: t.clone(),
                    index: index.name.clone(),
                }),
                Some(i) if i == index => {}
                Some(i) => out.blocking.push(format!(
                    "index {} on {t} is on ({}){}{}, expected ({}){}{}",
                    index.name,
                    i.columns.join(", "),
                    if i.unique { " UNIQUE" } else { "" },
                    i.predicate
                        .as_ref()
                        .map(|p| format!(" WHERE {p}"))
                        .unwrap_or_default(),
                    index.columns.join(", "),
                    if index.unique { " UNIQUE" } else { "" },
                    index
                        .predicate
                        .as_ref()
                        .map(|p| format!(" WHERE {p}"))
                        .unwrap_or_default(),
                )),
            }
        }
        for i in have
            .indexes
            .iter()
            .filter(|i| !want.indexes.iter().any(|w| w.name == i.name))
        {
            if i.unique {
                out.blocking.push(format!(
                    "{t} has the unique index {}, which NERVE's schema does not: it may refuse \
                     rows NERVE writes",
                    i.name
                ));
            } else {
                out.notes.push(format!(
                    "index {} on {t} is not NERVE's; it is kept",
                    i.name
                ));
            }
        }
        let extra_columns: Vec<&str> = have
            .columns
            .iter()
            .filter(|c| !want.columns.iter().any(|w| w.name == c.name))
            .map(|c| c.name.as_str())
            .collect();
        if checks_define_types && !missing_checks.is_empty() && !extra_columns.is_empty() {
            out.blocking.push(format!(
                "{t} lacks CHECKs that SQLite can add only by rebuilding the table from NERVE's \
                 definition, which would lose its own column(s) {}: move or drop them first",
                extra_columns.join(", ")
            ));
        }
        if !missing_checks.is_empty() {
            out.additions.push(Addition::Checks {
                table: t.clone(),
                checks: missing_checks,
            });
        }
    }
    for have in &actual.tables {
        if expected.table(&have.name).is_none() {
            out.notes
                .push(format!("table {} is not NERVE's; it is kept", have.name));
        }
    }
    if !checks_define_types {
        for set in &expected.value_sets {
            match actual.value_sets.iter().find(|s| s.name == set.name) {
                None => out
                    .blocking
                    .push(format!("value set (ENUM type) {} is missing", set.name)),
                Some(s) if s == set => {}
                Some(s) => out.blocking.push(format!(
                    "value set (ENUM type) {} is ({}), expected ({})",
                    set.name,
                    s.values.join(", "),
                    set.values.join(", ")
                )),
            }
        }
    }
    out
}

/// What a driver does for [`run`].
pub trait BaselineDriver {
    /// The migration versions the database records as applied (empty: no record).
    fn recorded(&mut self) -> Result<Vec<String>>;
    /// The database's schema and CHECKs.
    fn inspect(&mut self) -> Result<(SchemaDescription, Checks)>;
    /// The schema and CHECKs the embedded migrations build (on a reference database).
    fn reference(&mut self) -> Result<(SchemaDescription, Checks)>;
    /// Whether value sets and length limits are CHECK constraints (SQLite).
    fn checks_define_types(&self) -> bool;
    /// The migration versions this binary embeds, oldest first.
    fn embedded(&self) -> Vec<String>;
    /// The plan making good `additions` (all of them: a driver may merge several into one
    /// change, such as a table rebuilt with its CHECKs, indexes and columns), from the
    /// reference's own definitions.
    fn plan(&mut self, additions: &[Addition]) -> Result<Vec<PlannedChange>>;
    /// Begins the one transaction the plan and the migration record go in, with the lock
    /// migrations take; on failure nothing is left open.
    fn begin(&mut self) -> Result<()>;
    /// Runs one statement of the plan in it.
    fn statement(&mut self, sql: &str) -> Result<()>;
    /// Checks what the plan may have broken (foreign keys), then records `versions` as
    /// applied (creating the record table when missing).
    fn record(&mut self, versions: &[String]) -> Result<()>;
    /// Ends the transaction: commits with `commit`, otherwise rolls back.
    fn end(&mut self, commit: bool) -> Result<()>;
}

/// Runs `plan` and records `versions` as applied, in one transaction that commits only with
/// `commit` (otherwise it is rolled back: a trial). Fails, changing nothing, when a statement
/// fails (a CHECK or unique index the rows violate), naming the change.
fn execute(
    driver: &mut dyn BaselineDriver,
    plan: &[PlannedChange],
    versions: &[String],
    commit: bool,
) -> Result<()> {
    driver.begin()?;
    let mut inside = || -> Result<()> {
        for change in plan {
            for sql in &change.sql {
                driver.statement(sql).map_err(|e| Error::Migration {
                    reason: format!("{}: {e}", change.what),
                })?;
            }
        }
        driver.record(versions)
    };
    match inside() {
        Ok(()) if commit => driver.end(true).inspect_err(|_| {
            // A commit that failed may leave the transaction open.
            let _ = driver.end(false);
        }),
        other => other.and(driver.end(false)),
    }
}

/// Decides and does what `nerve baseline [--apply]` promises, through `driver`. Errors:
/// [`Error::Migration`] when the database already records migrations (use `nerve migrate`)
/// or has none of NERVE's tables (use `nerve migrate` to create them).
pub fn run(driver: &mut dyn BaselineDriver, apply: bool) -> Result<BaselineReport> {
    let recorded = driver.recorded()?;
    if !recorded.is_empty() {
        return Err(Error::Migration {
            reason: format!(
                "the database already records {} applied migration(s) (newest {}): it is \
                 managed already; use `nerve status` and `nerve migrate`",
                recorded.len(),
                recorded.last().map(String::as_str).unwrap_or("-")
            ),
        });
    }
    let (actual, actual_checks) = driver.inspect()?;
    // Checked before the reference is built: nothing is created for a database with nothing
    // to adopt.
    if !SchemaDescription::expected()
        .tables
        .iter()
        .any(|t| actual.table(&t.name).is_some())
    {
        return Err(Error::Migration {
            reason: "the database has none of NERVE's tables: there is nothing to adopt; \
                     `nerve migrate` creates them"
                .into(),
        });
    }
    let (expected, expected_checks) = driver.reference()?;
    let cmp = compare(
        &expected,
        &expected_checks,
        &actual,
        &actual_checks,
        driver.checks_define_types(),
    );
    let mut report = BaselineReport {
        outcome: BaselineOutcome::Refused,
        plan: Vec::new(),
        differences: cmp.blocking,
        notes: cmp.notes,
        recorded: Vec::new(),
    };
    if !report.differences.is_empty() {
        return Ok(report);
    }
    report.plan = driver.plan(&cmp.additions)?;
    let versions = driver.embedded();
    let commit = apply || report.plan.is_empty();
    match execute(driver, &report.plan, &versions, commit) {
        Ok(()) if commit => {
            report.outcome = BaselineOutcome::Adopted;
            report.recorded = versions;
        }
        Ok(()) => report.outcome = BaselineOutcome::Planned,
        // A statement of the plan failed: the rows do not allow it.
        Err(e @ Error::Migration { .. }) => report.differences.push(format!(
            "the plan cannot be applied to the present rows: {e}"
        )),
        // The transaction itself failed (a lock, the connection): nothing to say of the rows.
        Err(e) => return Err(e),
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_additions_and_blocking_differences() {
        let expected = SchemaDescription::expected();
        let mut actual = expected.clone();
        let t = actual
            .tables
            .iter_mut()
            .find(|t| t.name == "slow_queries")
            .unwrap();
        t.indexes.clear();
        t.columns.retain(|c| c.name != "deleted_at");
        let checks = Checks::from([(
            "slow_queries".to_string(),
            BTreeSet::from(["duration_us >= 0".to_string()]),
        )]);
        let cmp = compare(&expected, &checks, &actual, &Checks::new(), false);
        assert!(cmp.blocking.is_empty(), "{:?}", cmp.blocking);
        assert_eq!(cmp.additions.len(), 3, "{:?}", cmp.additions);
        assert!(cmp.additions.iter().all(|a| a.table() == "slow_queries"));

        let t = actual
            .tables
            .iter_mut()
            .find(|t| t.name == "slow_queries")
            .unwrap();
        t.columns
            .iter_mut()
            .find(|c| c.name == "duration_us")
            .unwrap()
            .logical_type = "text".into();
        t.columns.retain(|c| c.name != "created_at");
        let cmp = compare(&expected, &checks, &actual, &checks, false);
        assert_eq!(cmp.blocking.len(), 2, "{:?}", cmp.blocking);
        let has = |s: &str| cmp.blocking.iter().any(|b| b.contains(s));
        assert!(has("slow_queries.created_at is missing and NOT NULL"));
        assert!(has("slow_queries.duration_us is text NOT NULL"));

        // SQLite adds a CHECK by rebuilding: a table with its own columns is not rebuilt.
        let mut actual = expected.clone();
        let t = actual
            .tables
            .iter_mut()
            .find(|t| t.name == "slow_queries")
            .unwrap();
        let mut own = t.columns[1].clone();
        own.name = "legacy_note".into();
        own.nullable = true;
        t.columns.push(own);
        let cmp = compare(&expected, &checks, &actual, &Checks::new(), true);
        assert!(
            cmp.blocking.len() == 1 && cmp.blocking[0].contains("legacy_note"),
            "{:?}",
            cmp.blocking
        );
        // Without a rebuild, the same column is kept and noted.
        let cmp = compare(&expected, &checks, &actual, &checks, true);
        assert!(cmp.blocking.is_empty() && cmp.notes[0].contains("legacy_note"));
    }
}
