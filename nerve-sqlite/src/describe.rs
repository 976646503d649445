//! The schema description of a SQLite database, read from its catalog: `PRAGMA table_info`,
//! `foreign_key_list`, `index_list`, `index_info`, and for what those do not say (logical types,
//! length limits, partial-index predicates) the CHECK constraints and SQL in `sqlite_master`.

use crate::store::Conn;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use nerve_core::model::schema::{normalize_default, normalize_predicate};
use nerve_core::model::{
    value_sets, ColumnDescription, ForeignKeyDescription, IndexDescription, SchemaDescription,
    TableDescription, ValueSetDescription,
};
use nerve_core::Result;
use nerve_diesel::Op;

#[derive(QueryableByName)]
struct Named {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Nullable<Text>)]
    sql: Option<String>,
}

#[derive(QueryableByName)]
struct ColumnInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    r#type: String,
    #[diesel(sql_type = BigInt)]
    notnull: i64,
    #[diesel(sql_type = Nullable<Text>)]
    dflt_value: Option<String>,
    #[diesel(sql_type = BigInt)]
    pk: i64,
}

#[derive(QueryableByName)]
struct ForeignKeyInfo {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    from: String,
    #[diesel(sql_type = Nullable<Text>)]
    to: Option<String>,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

#[derive(QueryableByName)]
struct IndexInfo {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    unique: i64,
    #[diesel(sql_type = Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct IndexColumn {
    #[diesel(sql_type = Nullable<Text>)]
    name: Option<String>,
}

fn quote(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// The top-level comma-separated parts of a CREATE TABLE body (parentheses and quotes
/// respected).
fn definitions(create: &str) -> Vec<String> {
    // Comments first (outside literals and quoted names): they may hold commas and parentheses.
    let mut text = String::new();
    let (mut quote, mut chars) = (None::<char>, create.chars().peekable());
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"' | '`') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '-') if chars.peek() == Some(&'-') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
                text.push('\n');
                continue;
            }
            _ => {}
        }
        text.push(c);
    }
    let body = match (text.find('('), text.rfind(')')) {
        (Some(a), Some(b)) if a < b => &text[a + 1..b],
        _ => return Vec::new(),
    };
    let (mut parts, mut current, mut depth, mut quote) =
        (Vec::new(), String::new(), 0, None::<char>);
    for c in body.chars() {
        match (quote, c) {
            (None, '\'' | '"' | '`') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// A definition's first token without quotes or brackets: the column it defines.
fn defined_name(definition: &str) -> String {
    let first = definition.split_whitespace().next().unwrap_or_default();
    first
        .trim_matches(|c| matches!(c, '"' | '`' | '[' | ']'))
        .to_string()
}

/// The quoted values of `col IN ('a', 'b')` in a definition, if any (literals kept whole).
fn in_list(definition: &str, column: &str) -> Option<Vec<String>> {
    let lower = definition.to_ascii_lowercase();
    let at = lower.find(&format!("{} in (", column.to_ascii_lowercase()))?;
    let start = at + column.len() + 5;
    let (mut values, mut current, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = definition[start..].chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (false, '\'') => quoted = true,
            (true, '\'') if chars.peek() == Some(&'\'') => {
                current.push('\'');
                chars.next();
            }
            (true, '\'') => {
                quoted = false;
                values.push(std::mem::take(&mut current));
            }
            (true, _) => current.push(c),
            (false, ')') => return (!values.is_empty()).then_some(values),
            (false, ',' | ' ') => {}
            (false, _) => return None,
        }
    }
    None
}

/// `length(col) <= N` in a definition.
fn length_limit(definition: &str, column: &str) -> Option<u32> {
    let compact: String = definition.chars().filter(|c| !c.is_whitespace()).collect();
    let start = compact.find(&format!("length({column})<="))? + column.len() + 10;
    let digits: String = compact[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The logical type of a column from its declared type and the CHECKs of its definition; the
/// value set it is CHECKed to, when it is one of the contract's.
fn logical_type(
    declared: &str,
    definition: &str,
    column: &str,
) -> (String, Option<ValueSetDescription>) {
    let declared = declared.to_ascii_uppercase();
    let compact: String = definition.chars().filter(|c| !c.is_whitespace()).collect();
    match declared.as_str() {
        "INTEGER" | "INT" if compact.contains(&format!("{column}IN(0,1)")) => {
            ("boolean".into(), None)
        }
        "INTEGER" | "INT" => ("bigint".into(), None),
        "REAL" => ("real".into(), None),
        "BLOB" => ("blob".into(), None),
        "TEXT" if compact.contains(&format!("json_valid({column})")) => ("json".into(), None),
        "TEXT"
            if compact.contains(&format!(
                "{column}GLOB'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][T][0-9][0-9]:"
            )) =>
        {
            ("timestamp".into(), None)
        }
        "TEXT" => match in_list(definition, column) {
            Some(values) => {
                let known = value_sets()
                    .into_iter()
                    .find(|(_, v)| v.iter().copied().eq(values.iter().map(String::as_str)));
                match known {
                    Some((name, _)) => (
                        format!("enum:{name}"),
                        Some(ValueSetDescription {
                            name: name.into(),
                            values,
                        }),
                    ),
                    None => (format!("enum:?({})", values.join(",")), None),
                }
            }
            None => ("text".into(), None),
        },
        other => (other.to_ascii_lowercase(), None),
    }
}

/// The primary-key columns of `table`, in key order.
fn primary_key_of(conn: &mut Conn, table: &str) -> Result<Vec<String>> {
    let mut pk: Vec<(i64, String)> = diesel::sql_query(format!(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info({})",
        quote(table)
    ))
    .load::<ColumnInfo>(conn)
    .map_err(|e| Op::new("sqlite_master", "describe").error(e))?
    .into_iter()
    .filter(|c| c.pk > 0)
    .map(|c| (c.pk, c.name))
    .collect();
    pk.sort();
    Ok(pk.into_iter().map(|(_, n)| n).collect())
}

/// The expressions of every `CHECK (...)` in a definition (column or table constraint).
fn check_expressions(definition: &str) -> Vec<String> {
    let (mut out, mut quote) = (Vec::new(), None::<char>);
    let bytes = definition.as_bytes();
    let lower = definition.to_ascii_lowercase();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None if lower.as_bytes()[i..].starts_with(b"check")
                && (i == 0 || !(bytes[i - 1] as char).is_ascii_alphanumeric()) =>
            {
                let rest = definition[i + 5..].trim_start();
                if rest.starts_with('(') {
                    let open = definition.len() - rest.len();
                    let (mut depth, mut q) = (0, None::<char>);
                    for (j, ch) in definition[open..].char_indices() {
                        match (q, ch) {
                            (Some(x), _) if ch == x => q = None,
                            (Some(_), _) => {}
                            (None, '\'' | '"' | '`') => q = Some(ch),
                            (None, '(') => depth += 1,
                            (None, ')') => {
                                depth -= 1;
                                if depth == 0 {
                                    out.push(normalize_predicate(&definition[open + 1..open + j]));
                                    i = open + j;
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            None => {}
        }
        i += 1;
    }
    out
}

/// Every table's CHECK constraints (normalized expressions), the migration record left out.
pub(crate) fn checks(conn: &mut Conn) -> Result<nerve_core::baseline::Checks> {
    let tables: Vec<Named> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .map_err(|e| Op::new("sqlite_master", "describe").error(e))?;
    Ok(tables
        .into_iter()
        .map(|t| {
            let set = definitions(t.sql.as_deref().unwrap_or_default())
                .iter()
                .flat_map(|d| check_expressions(d))
                .collect();
            (t.name, set)
        })
        .collect())
}

/// The definition of `column` in the CREATE TABLE statement `create`, as written.
pub(crate) fn column_definition(create: &str, column: &str) -> Option<String> {
    definitions(create)
        .into_iter()
        .find(|d| defined_name(d).eq_ignore_ascii_case(column))
}

/// The description of the database on `conn`.
pub(crate) fn describe(conn: &mut Conn) -> Result<SchemaDescription> {
    let op = Op::new("sqlite_master", "describe");
    let load_err = |e| op.error(e);
    let mut tables: Vec<Named> = diesel::sql_query(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
         AND name <> '__diesel_schema_migrations'",
    )
    .load(conn)
    .map_err(load_err)?;
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut value_sets_used: Vec<ValueSetDescription> = Vec::new();
    let mut out = Vec::new();
    for table in tables {
        let defs = definitions(table.sql.as_deref().unwrap_or_default());
        let definition_of = |column: &str| {
            defs.iter()
                .find(|d| defined_name(d).eq_ignore_ascii_case(column))
                .cloned()
                .unwrap_or_default()
        };
        let infos: Vec<ColumnInfo> = diesel::sql_query(format!(
            "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info({})",
            quote(&table.name)
        ))
        .load(conn)
        .map_err(load_err)?;
        let mut primary: Vec<(i64, String)> = Vec::new();
        let mut columns = Vec::new();
        for info in infos {
            let definition = definition_of(&info.name);
            let (logical_type, set) = logical_type(&info.r#type, &definition, &info.name);
            if let Some(set) = set {
                if !value_sets_used.contains(&set) {
                    value_sets_used.push(set);
                }
            }
            if info.pk > 0 {
                primary.push((info.pk, info.name.clone()));
            }
            let boolean = logical_type == "boolean";
            columns.push(ColumnDescription {
                // An INTEGER PRIMARY KEY is the rowid: never NULL, whatever PRAGMA says.
                nullable: info.notnull == 0 && info.pk == 0,
                default: info
                    .dflt_value
                    .as_deref()
                    .map(|d| normalize_default(d, boolean)),
                max_length: length_limit(&definition, &info.name),
                name: info.name,
                logical_type,
            });
        }
        primary.sort();
        let fks: Vec<ForeignKeyInfo> = diesel::sql_query(format!(
            "SELECT id, \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list({}) ORDER BY id, seq",
            quote(&table.name)
        ))
        .load(conn)
        .map_err(load_err)?;
        let mut foreign_keys: Vec<ForeignKeyDescription> = Vec::new();
        let mut last_id = None;
        for fk in fks {
            if last_id != Some(fk.id) {
                foreign_keys.push(ForeignKeyDescription {
                    columns: Vec::new(),
                    references: fk.table.clone(),
                    referenced_columns: Vec::new(),
                    on_delete: fk.on_delete.clone(),
                });
                last_id = Some(fk.id);
            }
            // A key naming no columns refers to the referenced table's primary key.
            let to = match fk.to {
                Some(to) => to,
                None => {
                    let position = foreign_keys
                        .last()
                        .map_or(0, |f| f.referenced_columns.len());
                    primary_key_of(conn, &fk.table)?
                        .get(position)
                        .cloned()
                        .unwrap_or_default()
                }
            };
            if let Some(last) = foreign_keys.last_mut() {
                last.columns.push(fk.from);
                last.referenced_columns.push(to);
            }
        }
        foreign_keys.sort();
        let index_list: Vec<IndexInfo> = diesel::sql_query(format!(
            "SELECT name, \"unique\", origin FROM pragma_index_list({})",
            quote(&table.name)
        ))
        .load(conn)
        .map_err(load_err)?;
        let mut unique = Vec::new();
        let mut indexes = Vec::new();
        for index in index_list {
            let cols: Vec<String> = diesel::sql_query(format!(
                "SELECT name FROM pragma_index_info({}) ORDER BY seqno",
                quote(&index.name)
            ))
            .load::<IndexColumn>(conn)
            .map_err(load_err)?
            .into_iter()
            .map(|c| c.name.unwrap_or_else(|| "<expression>".into()))
            .collect();
            match index.origin.as_str() {
                "pk" => {}
                "u" => unique.push(cols),
                _ => {
                    let sql: Vec<Named> = diesel::sql_query(format!(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name = {}",
                        quote(&index.name)
                    ))
                    .load(conn)
                    .map_err(load_err)?;
                    let predicate = sql.first().and_then(|n| n.sql.as_deref()).and_then(|s| {
                        let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
                        let at = flat.to_ascii_lowercase().rfind(" where ")?;
                        Some(normalize_predicate(&flat[at + 7..]))
                    });
                    indexes.push(IndexDescription {
                        name: index.name,
                        columns: cols,
                        unique: index.unique != 0,
                        predicate,
                    });
                }
            }
        }
        unique.sort();
        indexes.sort_by(|a, b| a.name.cmp(&b.name));
        out.push(TableDescription {
            name: table.name,
            columns,
            primary_key: primary.into_iter().map(|(_, n)| n).collect(),
            unique,
            foreign_keys,
            indexes,
        });
    }
    value_sets_used.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(SchemaDescription {
        tables: out,
        value_sets: value_sets_used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_expressions_of_columns_and_tables() {
        assert_eq!(
            check_expressions("a TEXT NOT NULL CHECK (length(a) <= 5) CHECK(a <> 'check (x)')"),
            vec!["length(a) <= 5".to_string(), "a <> 'check (x)'".to_string()]
        );
        assert_eq!(
            check_expressions("CONSTRAINT c CHECK ((b >= 0) AND b < 9)"),
            vec!["b >= 0 and b < 9".to_string()]
        );
        assert!(check_expressions("checked INTEGER NOT NULL").is_empty());
    }

    #[test]
    fn definitions_split_at_top_level_commas() {
        let d = definitions(
            "CREATE TABLE t (\n  a TEXT CHECK (a IN ('x', 'y')), -- note, with comma\n  b INTEGER NOT NULL DEFAULT 1 CHECK (b IN (0, 1))\n) STRICT",
        );
        assert_eq!(d.len(), 2, "{d:?}");
        assert_eq!(
            in_list(&d[0], "a"),
            Some(vec!["x".to_string(), "y".to_string()])
        );
        assert_eq!(logical_type("INTEGER", &d[1], "b").0, "boolean");
        assert_eq!(
            length_limit("name TEXT CHECK (length(name) <= 255)", "name"),
            Some(255)
        );
    }
}
