//! Backend-neutral schema descriptions and the normalizations both catalogs need.

use serde::{Deserialize, Serialize};

/// A database's schema in backend-neutral terms, read from its catalog (`nerve schema`). Two
/// backends migrated to the same version describe themselves identically: the parity test and
/// `nerve schema --json` rest on it. Everything is sorted (tables, value sets, indexes and
/// foreign keys by name; columns in table order), so equal schemas give equal JSON bytes.
/// Diesel's migration record is not part of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaDescription {
    /// Every table.
    pub tables: Vec<TableDescription>,
    /// Every closed value set a column uses (a PostgreSQL ENUM; a CHECKed text on SQLite).
    pub value_sets: Vec<ValueSetDescription>,
}

/// A closed value set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueSetDescription {
    /// Its type name (the PostgreSQL ENUM's).
    pub name: String,
    /// Its values, in order.
    pub values: Vec<String>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableDescription {
    /// Its name.
    pub name: String,
    /// Its columns, in table order.
    pub columns: Vec<ColumnDescription>,
    /// The primary key's columns, in key order.
    pub primary_key: Vec<String>,
    /// Unique constraints (not indexes), each a column list; sorted.
    pub unique: Vec<Vec<String>>,
    /// Foreign keys, sorted by columns.
    pub foreign_keys: Vec<ForeignKeyDescription>,
    /// Indexes created by name (not those backing keys), sorted by name.
    pub indexes: Vec<IndexDescription>,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnDescription {
    /// Its name.
    pub name: String,
    /// `bigint`, `integer`, `real`, `text`, `boolean`, `timestamp` (with time zone), `json`,
    /// `blob`, or `enum:<value set>`; anything else as the catalog spells it.
    pub logical_type: String,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The default, normalized: `true`/`false`, numbers, quoted strings without casts,
    /// `CURRENT_TIMESTAMP`.
    pub default: Option<String>,
    /// The most characters a text holds, when limited.
    pub max_length: Option<u32>,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ForeignKeyDescription {
    /// The referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub references: String,
    /// The referenced columns.
    pub referenced_columns: Vec<String>,
    /// `NO ACTION`, `RESTRICT`, `CASCADE`, `SET NULL` or `SET DEFAULT`.
    pub on_delete: String,
}

/// An index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexDescription {
    /// Its name.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<String>,
    /// Whether it is unique.
    pub unique: bool,
    /// The predicate of a partial index, normalized by [`normalize_predicate`].
    pub predicate: Option<String>,
}

/// A predicate as both catalogs can agree on it: lower case, parentheses removed, white space
/// collapsed (`((NOT acknowledged) AND (deleted_at IS NULL))` and
/// `NOT acknowledged AND deleted_at IS NULL` are both `not acknowledged and deleted_at is null`).
pub fn normalize_predicate(predicate: &str) -> String {
    predicate
        .replace(['(', ')'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// A default as both catalogs can agree on it: casts (`'x'::user_role`) removed, booleans as
/// `true`/`false` (SQLite's `1`/`0` when `boolean`), `now()` as `CURRENT_TIMESTAMP`.
pub fn normalize_default(default: &str, boolean: bool) -> String {
    let mut d = default.trim().to_string();
    // Strip trailing casts such as ::jsonb, ::user_role, ::character varying.
    while let Some(pos) = d.rfind("::") {
        if d[pos..].contains('\'') {
            break;
        }
        d.truncate(pos);
    }
    let d = d
        .trim()
        .trim_start_matches('(')
        .trim_end_matches(')')
        .to_string();
    match (boolean, d.as_str()) {
        (true, "1") | (_, "true") | (_, "TRUE") => "true".into(),
        (true, "0") | (_, "false") | (_, "FALSE") => "false".into(),
        (_, "now()") | (_, "CURRENT_TIMESTAMP") => "CURRENT_TIMESTAMP".into(),
        _ => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_and_defaults_normalize_alike() {
        assert_eq!(
            normalize_predicate("((NOT acknowledged) AND (deleted_at IS NULL))"),
            normalize_predicate("NOT acknowledged AND deleted_at IS NULL")
        );
        assert_eq!(normalize_default("'viewer'::user_role", false), "'viewer'");
        assert_eq!(normalize_default("'[]'::jsonb", false), "'[]'");
        assert_eq!(normalize_default("1", true), "true");
        assert_eq!(normalize_default("true", true), "true");
        assert_eq!(normalize_default("0", false), "0");
        assert_eq!(normalize_default("'a::b'", false), "'a::b'");
    }
}
