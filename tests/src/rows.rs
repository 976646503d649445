//! Whole-row round trips through every table, driven by the schema description: the proof
//! that each driver's Diesel table and row type cover every column with the right type, and
//! that both backends store every kind of value alike.
//!
//! For each table (parents before children) a base row is inserted through
//! [`nerve::RawRows`]: ordinary values, foreign keys pointing at the parents' base rows. Then
//! one more row per probe: the base row with one column set to an edge value of its logical
//! type (integer extremes, empty text, unicode and control characters, text at and past its
//! length limit, U+0000, timestamps with and without microseconds and past them, nested JSON,
//! every value of a value set, NULL, a dangling foreign key). Every row the database accepts
//! must read back exactly as written (timestamps truncated to microseconds); every refusal is
//! recorded as its error variant, so two backends can be compared probe by probe.

use nerve::model::{ColumnDescription, ForeignKeyDescription, SchemaDescription, TableDescription};
use nerve::{Constraint, Error, RawRows, Store};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How a probe's row is written: [`RawRows::insert`], or [`RawRows::batch_insert`] of that
/// one row (PostgreSQL's COPY path) and then read back. Both must store and refuse alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// `insert`, which returns the row as stored.
    One,
    /// `batch_insert` of the row alone, then `get`.
    Batch,
}

impl Write {
    /// Writes `row` (which has its `id`) into `table`; returns the row as stored.
    pub fn row(self, rows: &dyn RawRows, table: &str, row: &Value) -> Result<Value, Error> {
        match self {
            Write::One => rows.insert(table, row),
            Write::Batch => {
                let written = rows.batch_insert(table, std::slice::from_ref(row))?;
                assert_eq!(written, 1, "{table}: batch_insert of one row");
                rows.get(table, row["id"].as_i64().unwrap_or_default())
            }
        }
    }
}

/// What one probe gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The table.
    pub table: String,
    /// The column probed (`-` for the base row).
    pub column: String,
    /// What the probe set it to.
    pub probe: String,
    /// `ok`, or the refusal as `Variant(table.field)`.
    pub result: String,
    /// The id of the row tried.
    pub id: i64,
}

fn values_of<'a>(schema: &'a SchemaDescription, logical: &str) -> Vec<&'a str> {
    let name = logical.trim_start_matches("enum:");
    schema
        .value_sets
        .iter()
        .find(|v| v.name == name)
        .map(|v| v.values.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

/// Text that is hard to store: unicode in several planes, control characters (not U+0000),
/// quotes, backslashes and COPY's `\N`.
const HARD_TEXT: &str = "Ünï 日本 🚀 \t\n\r\u{1}\u{7f}\u{2028} 'q' \"dq\" back\\slash \\N";

fn hard_json() -> Value {
    json!({
        "nested": {"list": [1, -1, i64::MAX, i64::MIN, u64::MAX, 1.5, -0.25, null, true, false,
                            "ü🚀\"\\\n\t", [], {}]},
        "unicode key ü": "value", "empty": "", "deep": [[[[{"a": [1]}]]]],
    })
}

/// The probes for a column: (label, value written, value expected back).
fn probes(schema: &SchemaDescription, c: &ColumnDescription) -> Vec<(String, Value, Value)> {
    let same = |label: &str, v: Value| (label.to_string(), v.clone(), v);
    let mut out = Vec::new();
    match c.logical_type.as_str() {
        "bigint" => {
            for n in [i64::MIN, -1, 0, 1, 100, 101, i64::MAX] {
                out.push(same(&n.to_string(), json!(n)));
            }
        }
        "boolean" => {
            out.push(same("false", json!(false)));
            out.push(same("true", json!(true)));
        }
        "timestamp" => {
            for t in [
                "1970-01-01T00:00:00.000001Z",
                "2026-01-02T03:04:05.123456Z",
                "9999-12-31T23:59:59.999999Z",
            ] {
                out.push(same(t, json!(t)));
            }
            out.push((
                "nanoseconds".into(),
                json!("2026-01-02T03:04:05.123456789Z"),
                json!("2026-01-02T03:04:05.123456Z"),
            ));
            for (label, t) in [
                ("year 10000", "+10000-01-01T00:00:00Z"),
                ("offset past 9999", "9999-12-31T23:30:00-01:00"),
                ("year 0", "0000-12-31T00:00:00Z"),
            ] {
                out.push(same(label, json!(t)));
            }
            out.push((
                "offset".into(),
                json!("2026-01-02T05:34:05+02:30"),
                json!("2026-01-02T03:04:05Z"),
            ));
        }
        "json" => {
            out.push(same("nested", hard_json()));
            for (label, v) in [
                ("array", json!([])),
                ("string", json!("text")),
                ("number", json!(0)),
            ] {
                out.push(same(label, v));
            }
        }
        "text" => {
            out.push(same("empty", json!("")));
            let hard: String = match c.max_length {
                Some(n) => HARD_TEXT.chars().take(n as usize).collect(),
                None => HARD_TEXT.to_string(),
            };
            out.push(same("hard", json!(hard)));
            if let Some(n) = c.max_length {
                out.push(same("at limit", json!("é".repeat(n as usize))));
                out.push(same("past limit", json!("é".repeat(n as usize + 1))));
            }
            out.push(same("U+0000", json!("a\u{0}b")));
        }
        t if t.starts_with("enum:") => {
            for v in values_of(schema, t) {
                out.push(same(v, json!(v)));
            }
            out.push(same("outside the set", json!("no such value")));
        }
        _ => {}
    }
    // NULL: stored where allowed, refused elsewhere (a JSON `null` document included).
    out.push(same("null", Value::Null));
    out
}

fn foreign<'a>(table: &'a TableDescription, column: &str) -> Option<&'a ForeignKeyDescription> {
    table
        .foreign_keys
        .iter()
        .find(|f| f.columns.len() == 1 && f.columns[0] == column)
}

/// The base row of `table` with id `id`: ordinary values; text unique per row, so unique keys
/// never collide; foreign keys at the parents' base rows.
fn base_row(
    schema: &SchemaDescription,
    table: &TableDescription,
    base_ids: &BTreeMap<String, i64>,
    id: i64,
) -> Result<Map<String, Value>, String> {
    let name = table.name.as_str();
    let mut row = Map::new();
    for c in &table.columns {
        let v = if c.name == "id" {
            json!(id)
        } else if let Some(f) = foreign(table, &c.name) {
            let parent = match base_ids.get(&f.references) {
                Some(parent) => *parent,
                None if f.references == name => id,
                None => return Err(format!("{name}: no base row in {}", f.references)),
            };
            json!(parent)
        } else {
            match c.logical_type.as_str() {
                "bigint" => json!(1),
                "boolean" => json!(true),
                "timestamp" => json!("2026-01-02T03:04:05Z"),
                // An array: some JSON columns are CHECKed to hold one.
                "json" => json!([{"k": "v"}]),
                "real" => json!(1.5),
                "text" => json!(format!("t{id}")),
                t if t.starts_with("enum:") => {
                    json!(values_of(schema, t).first().copied().unwrap_or("?"))
                }
                other => return Err(format!("{name}.{}: type {other}", c.name)),
            }
        };
        row.insert(c.name.clone(), v);
    }
    // What the tables' multi-column and shape CHECKs need of a base row.
    for (t, column, v) in [("login_attempts", "success", json!(false))] {
        if t == name {
            row.insert(column.into(), v);
        }
    }
    Ok(row)
}

/// Inserts `row` into `table` and reads it back; an accepted row must equal `expected`.
fn attempt(
    write: Write,
    rows: &dyn RawRows,
    table: &str,
    column: &str,
    probe: String,
    row: Map<String, Value>,
    expected: Map<String, Value>,
) -> Result<Outcome, String> {
    let id = row["id"].as_i64().unwrap_or_default();
    let result = match write.row(rows, table, &Value::Object(row)) {
        Ok(stored) => {
            let expected = Value::Object(expected);
            if stored != expected {
                return Err(format!(
                    "{table}.{column} = {probe}: stored {stored}, wrote {expected}"
                ));
            }
            let read = rows
                .get(table, id)
                .map_err(|e| format!("{table} get: {e}"))?;
            if read != expected {
                return Err(format!("{table}.{column} = {probe}: read back {read}"));
            }
            "ok".to_string()
        }
        Err(e) => crate::error_signature(&e),
    };
    Ok(Outcome {
        table: table.into(),
        column: column.into(),
        probe,
        result,
        id,
    })
}

/// Runs every probe of every table on `store` (a freshly migrated, empty database) and
/// returns the outcomes; fails at once when an accepted row does not read back as written,
/// or when a table's base row is refused.
pub fn round_trip_every_table(
    store: &dyn Store,
    schema: &SchemaDescription,
) -> Result<Vec<Outcome>, String> {
    round_trip_every_table_by(store, schema, Write::One)
}

/// [`round_trip_every_table`], each row written by `write`.
pub fn round_trip_every_table_by(
    store: &dyn Store,
    schema: &SchemaDescription,
    write: Write,
) -> Result<Vec<Outcome>, String> {
    let rows = store.raw_rows();
    let mut next_id: i64 = 1000;
    let mut base_ids: BTreeMap<String, i64> = BTreeMap::new();
    let mut outcomes = Vec::new();
    for table in schema.parents_first().ok_or("foreign keys form a cycle")? {
        let name = table.name.as_str();
        // Written only by the store's data-lifecycle operations (a row there opens audit_logs
        // to changes): RawRows refuses it, which the lifecycle cases check.
        if name == "audit_log_maintenance" {
            continue;
        }
        let id = next_id;
        next_id += 1;
        let row = base_row(schema, table, &base_ids, id)?;
        let base = attempt(write, rows, name, "-", "base".into(), row.clone(), row)?;
        if base.result != "ok" {
            return Err(format!("{name}: the base row was refused: {}", base.result));
        }
        outcomes.push(base);
        base_ids.insert(name.to_string(), id);
        // Ids are identities: 1 and up, below i64::MAX (which would exhaust PostgreSQL's).
        for bad in [0, -5, i64::MAX] {
            let row = base_row(schema, table, &base_ids, bad)?;
            outcomes.push(attempt(
                write,
                rows,
                name,
                "id",
                bad.to_string(),
                row.clone(),
                row,
            )?);
        }
        for c in table.columns.iter().filter(|c| c.name != "id") {
            let cases = if foreign(table, &c.name).is_some() {
                vec![
                    ("dangling".to_string(), json!(i64::MAX), json!(i64::MAX)),
                    ("null".into(), Value::Null, Value::Null),
                ]
            } else {
                probes(schema, c)
            };
            for (probe, written, expected) in cases {
                let id = next_id;
                next_id += 1;
                let mut row = base_row(schema, table, &base_ids, id)?;
                let mut want = row.clone();
                row.insert(c.name.clone(), written);
                want.insert(c.name.clone(), expected);
                outcomes.push(attempt(write, rows, name, &c.name, probe, row, want)?);
            }
        }
    }
    Ok(outcomes)
}

/// One attempt to break a key of the schema, and what the store answered.
#[derive(Debug)]
pub struct KeyProbe {
    /// The table written.
    pub table: String,
    /// The kind of key the row breaks.
    pub kind: Constraint,
    /// The key's columns as an error names them (`a, b`).
    pub columns: String,
    /// The name of the unique index broken, where the key is one (`CREATE UNIQUE INDEX`).
    pub index: Option<String>,
    /// The store's answer.
    pub result: Result<Value, Error>,
}

/// `row` as a live row: a partial unique index (`WHERE deleted_at IS NULL`) covers it.
fn live(mut row: Map<String, Value>) -> Map<String, Value> {
    if row.contains_key("deleted_at") {
        row.insert("deleted_at".into(), Value::Null);
    }
    row
}

/// For every table (parents first): a live base row, then one row per key that breaks only
/// that key — the base row's id (primary key); the base row's values in a unique key's columns
/// (every unique constraint and unique index); a missing parent (every foreign key), each
/// written by `write`. Fails at once when a base row is refused.
pub fn break_every_key(
    store: &dyn Store,
    schema: &SchemaDescription,
    write: Write,
) -> Result<Vec<KeyProbe>, String> {
    let rows = store.raw_rows();
    let mut next_id: i64 = 5000;
    let mut fresh = || {
        next_id += 1;
        next_id
    };
    let mut base_ids: BTreeMap<String, i64> = BTreeMap::new();
    let mut probes = Vec::new();
    for table in schema.parents_first().ok_or("foreign keys form a cycle")? {
        let name = table.name.as_str();
        if name == "audit_log_maintenance" {
            continue;
        }
        let id = fresh();
        let base = live(base_row(schema, table, &base_ids, id)?);
        rows.insert(name, &Value::Object(base.clone()))
            .map_err(|e| format!("{name}: the base row was refused: {e}"))?;
        base_ids.insert(name.to_string(), id);
        let probe = |kind, columns: &[String], index: Option<&str>, row| KeyProbe {
            table: name.to_string(),
            kind,
            columns: columns.join(", "),
            index: index.map(str::to_string),
            result: write.row(rows, name, &Value::Object(row)),
        };
        // Fresh rows differ from the base row in every text column, so they break no key but
        // the one they copy.
        let mut same_id = live(base_row(schema, table, &base_ids, fresh())?);
        same_id.insert("id".into(), json!(id));
        probes.push(probe(
            Constraint::PrimaryKey,
            &table.primary_key,
            None,
            same_id,
        ));
        let unique_keys = table.unique.iter().map(|columns| (columns, None));
        let unique_indexes = table
            .indexes
            .iter()
            .filter(|i| i.unique)
            .map(|i| (&i.columns, Some(i.name.as_str())));
        for (columns, index) in unique_keys.chain(unique_indexes) {
            let mut row = live(base_row(schema, table, &base_ids, fresh())?);
            // An expression's columns are equal anyway: foreign keys point at the same parents.
            for c in columns.iter().filter(|c| base.contains_key(*c)) {
                row.insert(c.clone(), base[c].clone());
            }
            probes.push(probe(Constraint::Unique, columns, index, row));
        }
        for f in &table.foreign_keys {
            let mut row = live(base_row(schema, table, &base_ids, fresh())?);
            for c in &f.columns {
                row.insert(c.clone(), json!(i64::MAX));
            }
            probes.push(probe(Constraint::ForeignKey, &f.columns, None, row));
        }
    }
    Ok(probes)
}
