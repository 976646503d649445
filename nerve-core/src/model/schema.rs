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

impl SchemaDescription {
    /// The table called `name`.
    pub fn table(&self, name: &str) -> Option<&TableDescription> {
        self.tables.iter().find(|t| t.name == name)
    }

    /// The tables ordered so that each comes after every table its foreign keys reference
    /// (a table referencing itself does not wait for itself); ties by name. `None` when the
    /// foreign keys form a cycle.
    pub fn parents_first(&self) -> Option<Vec<&TableDescription>> {
        let mut done: Vec<&str> = Vec::new();
        let mut out = Vec::new();
        while out.len() < self.tables.len() {
            let ready: Vec<&TableDescription> = self
                .tables
                .iter()
                .filter(|t| !done.contains(&t.name.as_str()))
                .filter(|t| {
                    t.foreign_keys
                        .iter()
                        .all(|f| f.references == t.name || done.contains(&f.references.as_str()))
                })
                .collect();
            if ready.is_empty() {
                return None;
            }
            for t in ready {
                done.push(&t.name);
                out.push(t);
            }
        }
        Some(out)
    }
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
    /// Ordered (B-tree) indexes created by name (not those backing keys), sorted by name.
    /// PostgreSQL's GIN indexes on JSON are left out: see `Capabilities::json_content_indexes`.
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

/// Applies `f` to the parts of `s` outside single-quoted literals; literals are kept as written.
fn outside_literals(s: &str, mut f: impl FnMut(&str) -> String) -> String {
    let mut out = String::new();
    let mut part = String::new();
    let mut quoted = false;
    for c in s.chars() {
        if c == '\'' {
            if quoted {
                part.push(c);
                out.push_str(&part);
            } else {
                out.push_str(&f(&part));
                part = String::from(c);
                quoted = true;
                continue;
            }
            part.clear();
            quoted = false;
            continue;
        }
        part.push(c);
    }
    out.push_str(&if quoted { part } else { f(&part) });
    out
}

/// The type names PostgreSQL prints in casts that are more than one word.
const MULTI_WORD_TYPES: [&str; 5] = [
    "character varying",
    "timestamp with time zone",
    "timestamp without time zone",
    "double precision",
    "time with time zone",
];

/// Removes `::type` casts outside literals.
fn strip_casts(s: &str) -> String {
    outside_literals(s, |part| {
        let mut out = String::new();
        let mut rest = part;
        while let Some(pos) = rest.find("::") {
            out.push_str(&rest[..pos]);
            let after = &rest[pos + 2..];
            let len = MULTI_WORD_TYPES
                .iter()
                .find(|t| after.to_ascii_lowercase().starts_with(*t))
                .map(|t| t.len())
                .unwrap_or_else(|| {
                    after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                        .unwrap_or(after.len())
                });
            let mut end = len;
            while after[end..].starts_with("[]") {
                end += 2;
            }
            rest = &after[end..];
        }
        out.push_str(rest);
        out
    })
}

/// Byte ranges of matching parentheses outside literals, innermost first.
fn paren_pairs(s: &str) -> Vec<(usize, usize)> {
    let (mut stack, mut pairs, mut quoted) = (Vec::new(), Vec::new(), false);
    for (i, c) in s.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => stack.push(i),
            ')' if !quoted => {
                if let Some(open) = stack.pop() {
                    pairs.push((open, i));
                }
            }
            _ => {}
        }
    }
    pairs
}

/// Whether `inner` (lower case) has `and`, `or` or a comma outside nested parentheses and
/// literals.
fn has_top_level_operator(inner: &str) -> bool {
    let (mut depth, mut quoted) = (0, false);
    let bytes = inner.as_bytes();
    for (i, c) in inner.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => return true,
            ' ' if !quoted && depth == 0 => {
                let rest = &inner[i + 1..];
                if (rest.starts_with("and ") || rest.starts_with("or "))
                    && i > 0
                    && bytes[i - 1] != b' '
                {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

/// A predicate as both catalogs can agree on it: casts removed, lower case and single spaces
/// outside literals (which are kept as written), and the parentheses that change nothing
/// removed: around a whole expression or a single term, never around a function's arguments
/// or an `and`/`or`/list that is part of a larger term. So PostgreSQL's
/// `((NOT acknowledged) AND (deleted_at IS NULL))` and SQLite's
/// `NOT acknowledged AND deleted_at IS NULL` agree, while `a AND (b OR c)` and
/// `(a AND b) OR c` do not.
pub fn normalize_predicate(predicate: &str) -> String {
    let mut s = outside_literals(&strip_casts(predicate), |part| {
        let lower = part.to_lowercase();
        let spaced: String = lower.split_whitespace().collect::<Vec<_>>().join(" ");
        // Keep a single space where the part had white space at its ends.
        let lead = if part.starts_with(char::is_whitespace) && !spaced.is_empty() {
            " "
        } else {
            ""
        };
        let trail = if part.ends_with(char::is_whitespace) && !spaced.is_empty() {
            " "
        } else {
            ""
        };
        format!("{lead}{spaced}{trail}")
    })
    .trim()
    .to_string();
    loop {
        let whole = s.len();
        let removable = paren_pairs(&s).into_iter().find(|&(open, close)| {
            let before = s[..open].trim_end();
            let is_call = before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                && !before.ends_with(" and")
                && !before.ends_with(" or")
                && !before.ends_with("not")
                && before != "and"
                && before != "or";
            let wraps_all = open == 0 && close == whole - 1;
            !is_call && (wraps_all || !has_top_level_operator(&s[open + 1..close]))
        });
        let Some((open, close)) = removable else {
            break;
        };
        s = format!("{}{}{}", &s[..open], &s[open + 1..close], &s[close + 1..])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
    }
    s
}

/// A default as both catalogs can agree on it: casts (`'x'::user_role`, `'-1'::integer`)
/// removed, a quoted number unquoted, booleans as `true`/`false` (SQLite's `1`/`0` when
/// `boolean`), `now()` and `current_timestamp` as `CURRENT_TIMESTAMP`.
pub fn normalize_default(default: &str, boolean: bool) -> String {
    let d = strip_casts(default.trim()).trim().to_string();
    let unquoted = d.strip_prefix('\'').and_then(|x| x.strip_suffix('\''));
    let d = match unquoted {
        Some(n) if n.parse::<f64>().is_ok() => n.to_string(),
        _ => d,
    };
    match (boolean, d.to_ascii_lowercase().as_str()) {
        (true, "1") | (_, "true") => "true".into(),
        (true, "0") | (_, "false") => "false".into(),
        (_, "now()") | (_, "current_timestamp") => "CURRENT_TIMESTAMP".into(),
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
        assert_eq!(normalize_default("'-1'::integer", false), "-1");
        assert_eq!(normalize_default("-1", false), "-1");
        assert_eq!(
            normalize_default("nextval('s'::regclass)", false),
            "nextval('s')"
        );
        assert_eq!(
            normalize_default("current_timestamp", false),
            "CURRENT_TIMESTAMP"
        );
        assert_eq!(normalize_default("'x'::character varying", false), "'x'");
    }

    #[test]
    fn predicates_keep_precedence_and_literals() {
        let n = normalize_predicate;
        assert_eq!(n("(deleted_at IS NULL)"), "deleted_at is null");
        assert_eq!(n("((status)::text = 'Active'::text)"), "status = 'Active'");
        assert_ne!(n("status = 'Active'"), n("status = 'active'"));
        assert_eq!(n("(a AND (b OR c))"), n("a AND (b OR c)"));
        assert_ne!(n("a AND (b OR c)"), n("(a AND b) OR c"));
        assert_eq!(n("((a AND b) OR c)"), n("(a AND b) OR c"));
        assert_eq!(n("(lower(email) <> ''::text)"), "lower(email) <> ''");
        assert_eq!(
            n("(kind = ANY (ARRAY['a'::text, 'b'::text]))"),
            "kind = any (array['a', 'b'])"
        );
        assert_eq!(n("NOT success"), n("(NOT success)"));
    }
}
