//! Which constraint a violation was about, as the database reports it.
//!
//! A unique or foreign-key violation is reported by the database, not guessed from the
//! operation that ran: a create can break the primary key (an identity left behind rows loaded
//! with explicit ids) as well as a unique key. The two backends report differently:
//!
//! - PostgreSQL gives the constraint's name (and its table) with every violation. Its
//!   columns come from the catalog, read once per process when the first store with a current
//!   schema opens ([`Driver::constraints`](crate::Driver::constraints)).
//! - SQLite gives no structured detail: `sqlite3_errmsg` is the only report, in fixed English
//!   (SQLite's messages are never translated): `UNIQUE constraint failed: t.a, t.b` names the
//!   table and columns of a unique key or primary key, `UNIQUE constraint failed: index 'i'`
//!   a unique index over an expression, and `FOREIGN KEY constraint failed` nothing at all
//!   ([`Capabilities::foreign_key_details`](nerve_core::Capabilities::foreign_key_details)).
//!   This module is the one place that reads that message.
//!
//! Both are resolved against the [`Registry`] of the backend's constraints, so the error names
//! the same table and columns on both backends.

use diesel::result::DatabaseErrorInformation;
use nerve_core::{Backend, Constraint};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One primary key, unique key (constraint or unique index) or foreign key, as a driver reads
/// it from its database's catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintInfo {
    /// The table whose constraint it is (for a foreign key, the referencing table).
    pub table: String,
    /// The name the database gives it; `None` where it has none (SQLite's primary keys and
    /// `UNIQUE` clauses).
    pub name: Option<String>,
    /// Which kind.
    pub kind: Constraint,
    /// The key's columns in order; a part that is an expression is `<expression>`.
    pub columns: Vec<String>,
}

/// A constraint as an error names it: the strings live as long as the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// See [`ConstraintInfo::table`].
    pub table: &'static str,
    /// See [`ConstraintInfo::name`].
    pub name: Option<&'static str>,
    /// See [`ConstraintInfo::kind`].
    pub kind: Constraint,
    /// The columns, comma-separated (`a, b`).
    pub columns: &'static str,
}

/// The constraints of one backend's schema, looked up the ways that backend reports them.
#[derive(Debug, Default)]
pub struct Registry {
    /// By name; several tables may have a constraint of the same name (PostgreSQL names a
    /// foreign key uniquely only within its table).
    by_name: HashMap<&'static str, Vec<Resolved>>,
    /// Primary and unique keys by table, then by columns (`a, b`).
    by_columns: HashMap<&'static str, HashMap<&'static str, Resolved>>,
}

/// Leaks `s`: registries are built once per process and backend, so this is bounded by the
/// schema's size (a few kilobytes).
fn forever(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl Registry {
    /// A registry of `list`.
    pub fn new(list: Vec<ConstraintInfo>) -> Self {
        let mut registry = Registry::default();
        for c in list {
            let resolved = Resolved {
                table: forever(c.table),
                name: c.name.map(forever),
                kind: c.kind,
                columns: forever(c.columns.join(", ")),
            };
            if let Some(name) = resolved.name {
                registry.by_name.entry(name).or_default().push(resolved);
            }
            if resolved.kind != Constraint::ForeignKey {
                // The first wins: a second unique key over the same columns adds nothing an
                // error could tell apart.
                registry
                    .by_columns
                    .entry(resolved.table)
                    .or_default()
                    .entry(resolved.columns)
                    .or_insert(resolved);
            }
        }
        registry
    }

    /// The constraint called `name`: the one of `table` if the database named the table (and
    /// it is one of several of that name), else the only one of that name.
    pub fn named(&self, table: Option<&str>, name: &str) -> Option<Resolved> {
        let all = self.by_name.get(name)?;
        match all.as_slice() {
            [one] => Some(*one),
            several => table.and_then(|t| several.iter().find(|c| c.table == t).copied()),
        }
    }

    /// The primary or unique key of `table` over `columns` (`a, b`).
    pub fn over(&self, table: &str, columns: &str) -> Option<Resolved> {
        self.by_columns.get(table)?.get(columns).copied()
    }

    /// How many constraints are known.
    pub fn len(&self) -> usize {
        let named: usize = self.by_name.values().map(Vec::len).sum();
        let unnamed = self
            .by_columns
            .values()
            .flat_map(HashMap::values)
            .filter(|r| r.name.is_none())
            .count();
        named + unnamed
    }

    /// Whether no constraint is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

static POSTGRES: OnceLock<Registry> = OnceLock::new();
static SQLITE: OnceLock<Registry> = OnceLock::new();

fn registry(backend: Backend) -> &'static OnceLock<Registry> {
    match backend {
        Backend::Postgres => &POSTGRES,
        Backend::Sqlite => &SQLITE,
    }
}

/// Whether `backend`'s constraints are known in this process.
pub fn known(backend: Backend) -> bool {
    registry(backend).get().is_some()
}

/// Records `backend`'s constraints for this process, once: the first store opened on a
/// current schema calls this; later calls change nothing (every database a binary opens with a
/// current schema has the same constraints, those of its embedded migrations).
pub fn learn(backend: Backend, list: impl FnOnce() -> Vec<ConstraintInfo>) {
    registry(backend).get_or_init(|| Registry::new(list()));
}

/// What the database said about a violated constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report<'a> {
    /// A name, and the table if given (PostgreSQL).
    Named {
        /// The table the database named.
        table: Option<&'a str>,
        /// The constraint's name.
        name: &'a str,
    },
    /// A table and its key's columns (SQLite's `UNIQUE constraint failed: t.a, t.b`).
    Columns {
        /// The table.
        table: &'a str,
        /// The columns, `a, b`.
        columns: String,
    },
    /// A unique index over an expression (SQLite's `... failed: index 'i'`).
    Index(&'a str),
    /// Nothing (SQLite's foreign keys).
    Nothing,
}

/// What `info` reports: PostgreSQL's constraint name, else SQLite's message read as above.
pub fn report(info: &dyn DatabaseErrorInformation) -> Report<'_> {
    if let Some(name) = info.constraint_name() {
        return Report::Named {
            table: info.table_name(),
            name,
        };
    }
    sqlite_report(info.message())
}

fn sqlite_report(message: &str) -> Report<'_> {
    let Some(rest) = message.strip_prefix("UNIQUE constraint failed: ") else {
        return Report::Nothing;
    };
    if let Some(index) = rest
        .strip_prefix("index '")
        .and_then(|i| i.strip_suffix('\''))
    {
        return Report::Index(index);
    }
    // `t.a, t.b`: every part names the same table.
    let mut table = None;
    let mut columns = Vec::new();
    for part in rest.split(", ") {
        let Some((t, c)) = part.split_once('.') else {
            return Report::Nothing;
        };
        if table.is_some_and(|known| known != t) {
            return Report::Nothing;
        }
        table = Some(t);
        columns.push(c);
    }
    match table {
        Some(table) => Report::Columns {
            table,
            columns: columns.join(", "),
        },
        None => Report::Nothing,
    }
}

/// The constraint `report` is about, if this process knows it.
pub fn resolve(report: &Report<'_>) -> Option<Resolved> {
    match report {
        Report::Named { table, name } => POSTGRES.get()?.named(*table, name),
        Report::Columns { table, columns } => SQLITE.get()?.over(table, columns),
        Report::Index(name) => SQLITE.get()?.named(None, name),
        Report::Nothing => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_messages_are_read_as_their_report() {
        assert_eq!(
            sqlite_report("UNIQUE constraint failed: companies.id"),
            Report::Columns {
                table: "companies",
                columns: "id".into()
            }
        );
        assert_eq!(
            sqlite_report("UNIQUE constraint failed: github_findings.monitored_email_id, github_findings.source_url"),
            Report::Columns {
                table: "github_findings",
                columns: "monitored_email_id, source_url".into()
            }
        );
        assert_eq!(
            sqlite_report("UNIQUE constraint failed: index 'monitored_emails_live_key'"),
            Report::Index("monitored_emails_live_key")
        );
        assert_eq!(
            sqlite_report("FOREIGN KEY constraint failed"),
            Report::Nothing
        );
        assert_eq!(
            sqlite_report("UNIQUE constraint failed: a.x, b.y"),
            Report::Nothing
        );
    }

    #[test]
    fn names_shared_by_tables_are_told_apart_by_the_table() {
        let fk = |table: &str| ConstraintInfo {
            table: table.into(),
            name: Some("same_name".into()),
            kind: Constraint::ForeignKey,
            columns: vec!["user_id".into()],
        };
        let r = Registry::new(vec![
            fk("a"),
            fk("b"),
            ConstraintInfo {
                table: "a".into(),
                name: None,
                kind: Constraint::PrimaryKey,
                columns: vec!["id".into()],
            },
        ]);
        assert_eq!(r.named(Some("b"), "same_name").map(|c| c.table), Some("b"));
        assert_eq!(r.named(None, "same_name"), None);
        assert_eq!(
            r.over("a", "id").map(|c| c.kind),
            Some(Constraint::PrimaryKey)
        );
        assert_eq!(r.over("a", "user_id"), None);
        assert_eq!(r.len(), 3);
    }
}
