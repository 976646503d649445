//! A `nerve copy` source holding every table of the schema: `scripts/bench-copy.sh` copies it
//! (the "all tables" case) beside pgloader and psql's `\copy`.
//!
//! `cargo run --release -p nerve-benchmarks --example copy_source -- PATH MIN_ROWS MAX_ROWS`
//! creates the SQLite database at PATH (which must not exist), migrates it, and fills each
//! table, parents first, with between MAX_ROWS and MIN_ROWS rows (falling evenly along that
//! order) through the store's own batch insert, so every row is one the schema accepts (a
//! table the store writes only itself, such as `audit_log_maintenance`, by plain SQL on a
//! rusqlite connection instead, and the copy then judges those rows). Values
//! follow each column's logical type; text differs per row (unique keys hold), and a foreign
//! key points at the parent's row of the same number: a parent comes earlier, so it holds at
//! least as many rows, and keys unique on a foreign key hold too.

use nerve::model::{SchemaDescription, TableDescription};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Rows per `batch_insert` call.
const BATCH: usize = 2_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.as_slice() {
        [path, min, max] => match (min.parse::<i64>(), max.parse::<i64>()) {
            (Ok(min), Ok(max)) if 0 < min && min <= max => generate(path, min, max),
            _ => Err("MIN_ROWS and MAX_ROWS: positive integers, MIN_ROWS <= MAX_ROWS".into()),
        },
        _ => Err("usage: copy_source PATH MIN_ROWS MAX_ROWS".into()),
    };
    if let Err(e) = result {
        eprintln!("copy_source: {e}");
        std::process::exit(1);
    }
}

fn generate(path: &str, min: i64, max: i64) -> Result<(), String> {
    if std::path::Path::new(path).exists() {
        return Err(format!("{path} exists"));
    }
    let url = format!("sqlite://{path}");
    nerve::migrate(&url).map_err(|e| e.to_string())?;
    let schema = nerve::describe_schema(&url).map_err(|e| e.to_string())?;
    let store = nerve::connect(&url).map_err(|e| e.to_string())?;
    let tables = schema
        .parents_first()
        .ok_or("the schema's foreign keys form a cycle")?;
    let spread = (tables.len() as i64 - 1).max(1);
    let mut counts: HashMap<&str, i64> = HashMap::new();
    let mut total = 0;
    for (at, table) in tables.iter().enumerate() {
        let rows = max - (max - min) * at as i64 / spread;
        let mut batch = Vec::with_capacity(BATCH);
        for id in 1..=rows {
            batch.push(Value::Object(row(&schema, table, &counts, id)?));
            if batch.len() == BATCH || id == rows {
                if let Err(refused) = store.raw_rows().batch_insert(&table.name, &batch) {
                    // A table (or rows) the store writes only itself.
                    insert_by_sql(path, table, &batch)
                        .map_err(|e| format!("{}: {refused}; by SQL: {e}", table.name))?;
                }
                batch.clear();
            }
        }
        counts.insert(&table.name, rows);
        total += rows;
    }
    println!("{path}: {} tables, {total} rows", tables.len());
    Ok(())
}

/// Inserts `rows` into `table` by SQL, values stored as the SQLite driver stores them
/// (timestamps as `YYYY-MM-DD HH:MM:SS.ffffff+00:00`, booleans as 0 and 1, JSON as text).
fn insert_by_sql(path: &str, table: &TableDescription, rows: &[Value]) -> Result<(), String> {
    let mut conn = rusqlite::Connection::open(path).map_err(|e| e.to_string())?;
    let names: Vec<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        table.name,
        names.join(", "),
        vec!["?"; names.len()].join(", ")
    );
    let tx = conn.transaction().map_err(|e| e.to_string())?;
    {
        let mut insert = tx.prepare(&sql).map_err(|e| e.to_string())?;
        for row in rows {
            let values = table
                .columns
                .iter()
                .map(|c| stored(&c.logical_type, &row[&c.name]))
                .collect::<Result<Vec<_>, String>>()?;
            insert
                .execute(rusqlite::params_from_iter(values))
                .map_err(|e| e.to_string())?;
        }
    }
    tx.commit().map_err(|e| e.to_string())
}

/// `value` of a column of logical type `logical` as SQLite stores it.
fn stored(logical: &str, value: &Value) -> Result<rusqlite::types::Value, String> {
    use rusqlite::types::Value as Sql;
    Ok(match value {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Sql::Integer(i),
            None => Sql::Real(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) if logical == "timestamp" => {
            let at = chrono::DateTime::parse_from_rfc3339(s).map_err(|e| format!("{s}: {e}"))?;
            Sql::Text(at.format("%Y-%m-%d %H:%M:%S%.6f+00:00").to_string())
        }
        Value::String(s) => Sql::Text(s.clone()),
        other => Sql::Text(other.to_string()),
    })
}

/// `n` in base 36 (lower case).
fn base36(mut n: i64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// Row `id` of `table`.
fn row(
    schema: &SchemaDescription,
    table: &TableDescription,
    counts: &HashMap<&str, i64>,
    id: i64,
) -> Result<Map<String, Value>, String> {
    let mut row = Map::new();
    for c in &table.columns {
        let foreign = table
            .foreign_keys
            .iter()
            .find(|f| f.columns.len() == 1 && f.columns[0] == c.name);
        let value = if c.name == "id" {
            json!(id)
        } else if let Some(f) = foreign {
            if f.references == table.name {
                Value::Null // a parent of its own: none
            } else {
                let parents = counts.get(f.references.as_str()).copied().unwrap_or(0);
                if parents == 0 {
                    return Err(format!("{}: {} has no rows", table.name, f.references));
                }
                json!((id - 1) % parents + 1) // parents >= id but for a cycle
            }
        } else {
            match c.logical_type.as_str() {
                "bigint" => json!(id % 50 + 1), // within every CHECKed range (0..100, >= 1)
                "boolean" => json!(id % 2 == 0),
                "timestamp" => {
                    json!(format!(
                        "2026-{:02}-{:02}T03:04:05.{:06}Z",
                        id % 12 + 1,
                        id % 28 + 1,
                        id % 1_000_000
                    ))
                }
                // An array: some JSON columns are CHECKed to hold one.
                "json" => json!([{"row": id, "tags": ["a", "b"], "note": format!("entry {id}")}]),
                "real" => json!(id as f64 / 8.0),
                "text" => {
                    // The column's name and the row's number; within a length limit the number
                    // alone (base 36, still unique), then the name as far as it fits.
                    let number = base36(id);
                    let text = format!("{}-{number}", c.name);
                    match c.max_length.map(|n| n as usize) {
                        Some(n) if text.len() > n => {
                            let room = n.saturating_sub(number.len());
                            json!(format!("{}{number}", &c.name[..room.min(c.name.len())]))
                        }
                        _ => json!(text),
                    }
                }
                t if t.starts_with("enum:") => {
                    let name = t.trim_start_matches("enum:");
                    let values = schema
                        .value_sets
                        .iter()
                        .find(|v| v.name == name)
                        .map(|v| v.values.as_slice())
                        .unwrap_or_default();
                    if values.is_empty() {
                        return Err(format!("{}.{}: no values in {name}", table.name, c.name));
                    }
                    json!(values[id as usize % values.len()])
                }
                other => return Err(format!("{}.{}: type {other}", table.name, c.name)),
            }
        };
        row.insert(c.name.clone(), value);
    }
    // The one multi-column CHECK these values break: a failure is named iff unsuccessful.
    if table.name == "login_attempts" && row.get("success") == Some(&json!(true)) {
        row.insert("failure".into(), Value::Null);
    }
    Ok(row)
}
