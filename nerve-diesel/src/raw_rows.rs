//! The backend-free half of whole-row access (`RawRows`): checking a JSON row against a
//! table's columns and decoding each field, so the `rows` module [`tables!`](crate::tables)
//! generates only names its columns and types.

use chrono::{DateTime, Utc};
use nerve_core::{Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

/// The error for a table name the schema does not have.
pub fn unknown_table(name: &str) -> Error {
    Error::Validation {
        table: "-",
        field: "table",
        reason: format!("no table named {name:?} in the NERVE schema"),
    }
}

/// `row` as the object of a row of `table` whose columns are `columns`: refused when it is
/// not an object or has a key that is no column.
pub fn object<'a>(
    table: &'static str,
    columns: &[&'static str],
    row: &'a Value,
) -> Result<&'a Map<String, Value>> {
    let Value::Object(map) = row else {
        return Err(Error::Validation {
            table,
            field: "-",
            reason: "a row must be a JSON object of column names to values".into(),
        });
    };
    if let Some(key) = map.keys().find(|k| !columns.contains(&k.as_str())) {
        return Err(Error::Validation {
            table,
            field: "-",
            reason: format!("{key:?} is not a column of {table}"),
        });
    }
    Ok(map)
}

/// The value of column `column` in `row` as its Rust type (a missing key reads as null, so it
/// is accepted only where NULL is). Text holding U+0000, which PostgreSQL cannot store, is
/// refused on every backend.
pub fn field<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    row: &Map<String, Value>,
) -> Result<T> {
    let value = row.get(column).unwrap_or(&Value::Null);
    let invalid = |reason: String| Error::Validation {
        table,
        field: column,
        reason,
    };
    if nerve_core::validate::holds_nul(value) {
        return Err(invalid("text holds U+0000, which cannot be stored".into()));
    }
    T::deserialize(value).map_err(|e| invalid(format!("{e} (got {value})")))
}

/// [`field`], except that a missing or null column reads as `missing` when one is given (a
/// fresh id for a row given without one).
pub fn field_or<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    row: &Map<String, Value>,
    missing: Option<&Value>,
) -> Result<T> {
    match missing {
        Some(value) if row.get(column).is_none_or(Value::is_null) => {
            T::deserialize(value).map_err(|e| Error::Validation {
                table,
                field: column,
                reason: format!("{e} (got {value})"),
            })
        }
        _ => field(table, column, row),
    }
}

/// `row` as JSON.
pub fn encode<R: Serialize>(table: &'static str, row: &R) -> Result<Value> {
    serde_json::to_value(row).map_err(|e| Error::Backend {
        table,
        operation: "encode",
        source: Box::new(e),
    })
}

/// A text value, or a missing one, for [`at_most`].
pub trait Chars {
    /// The text, if any.
    fn text(&self) -> Option<&str>;
}

impl Chars for String {
    fn text(&self) -> Option<&str> {
        Some(self)
    }
}

impl Chars for Option<String> {
    fn text(&self) -> Option<&str> {
        self.as_deref()
    }
}

/// Refuses text longer than `max` characters for `table.column` (a limited column), as both
/// backends' own limits would, with the same error on both.
pub fn at_most<T: Chars>(
    table: &'static str,
    column: &'static str,
    value: &T,
    max: usize,
) -> Result<()> {
    match value.text() {
        Some(text) if text.chars().count() > max => Err(Error::Validation {
            table,
            field: column,
            reason: format!("longer than {max} characters"),
        }),
        _ => Ok(()),
    }
}

/// A timestamp column's value checked and truncated as both backends store it: microseconds,
/// years 1 to 9999 (UTC).
pub fn timestamp(
    table: &'static str,
    column: &'static str,
    t: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let t = nerve_core::clock::truncate_micros(t);
    if nerve_core::clock::storable(t) {
        Ok(t)
    } else {
        Err(Error::Validation {
            table,
            field: column,
            reason: format!("{t} is outside the years 1 to 9999"),
        })
    }
}

/// Refuses a JSON `null` (or a missing key) for a NOT NULL JSON column: a document is required.
pub fn document(table: &'static str, column: &'static str, value: &Value) -> Result<()> {
    if value.is_null() {
        Err(Error::Validation {
            table,
            field: column,
            reason: "NULL in a NOT NULL column (a JSON document is required)".into(),
        })
    } else {
        Ok(())
    }
}

/// Refuses an id outside `1 .. i64::MAX`: ids are identities, and an id of `i64::MAX` would
/// exhaust PostgreSQL's identity.
pub fn id(table: &'static str, id: i64) -> Result<()> {
    if (1..i64::MAX).contains(&id) {
        Ok(())
    } else {
        Err(Error::Validation {
            table,
            field: "id",
            reason: format!("{id} is not an id (1 to {})", i64::MAX - 1),
        })
    }
}

/// The row `current` (as [`get_json`](crate::tables) gives it) with `changes` applied and
/// `updated_at` set to `now`, for an optimistic update that expects the row at version
/// `expected`. Refused: changes that are not an object, name no column of `columns`, or name
/// `id`, `created_at` or `updated_at`; a table without `updated_at` (append-only); a row no
/// longer at `expected` ([`stale`]).
pub fn merge_changes(
    table: &'static str,
    columns: &[&'static str],
    current: Value,
    changes: &Value,
    expected: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Value> {
    if !columns.contains(&"updated_at") {
        return Err(Error::Validation {
            table,
            field: "updated_at",
            reason: format!("{table} is append-only: its rows have no version to update against"),
        });
    }
    let changes = object(table, columns, changes)?;
    if let Some(key) = ["id", "created_at", "updated_at"]
        .into_iter()
        .find(|k| changes.contains_key(*k))
    {
        return Err(Error::Validation {
            table,
            field: key,
            reason: format!("{key} is kept by the store and cannot be changed"),
        });
    }
    let Value::Object(mut row) = current else {
        return Err(Error::Validation {
            table,
            field: "-",
            reason: "the stored row is not an object".into(),
        });
    };
    let id = row.get("id").and_then(Value::as_i64).unwrap_or_default();
    let at: Option<DateTime<Utc>> = row
        .get("updated_at")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    if at != Some(nerve_core::clock::truncate_micros(expected)) {
        return Err(stale(table, id));
    }
    for (k, v) in changes {
        row.insert(k.clone(), v.clone());
    }
    // The version must move even when the clock has not (a frozen test clock, two updates in
    // one microsecond): otherwise a second writer holding the same version would match.
    let next =
        now.max(nerve_core::clock::truncate_micros(expected) + chrono::Duration::microseconds(1));
    row.insert(
        "updated_at".into(),
        serde_json::to_value(next).unwrap_or(Value::Null),
    );
    Ok(Value::Object(row))
}

/// The error of an optimistic update whose row changed since the version it expected.
pub fn stale(table: &'static str, id: i64) -> Error {
    Error::Conflict {
        table,
        field: "updated_at",
        constraint: nerve_core::Constraint::Stale,
        name: None,
        reason: format!("row {id} changed since the version this update expected; read it again"),
    }
}

/// `e` with the row's place in a batch (from 0) in front of its reason.
pub fn at_row(i: usize, e: Error) -> Error {
    match e {
        Error::Validation {
            table,
            field,
            reason,
        } => Error::Validation {
            table,
            field,
            reason: format!("row {i}: {reason}"),
        },
        other => other,
    }
}

/// [`RawRows::batch_insert`](nerve_core::RawRows::batch_insert) of `table` (whose columns are
/// `columns`) on driver `D`, in the caller's write transaction: `rows` as JSON, each checked as
/// [`object`] does and decoded by `decode` (given the fresh id a row without `id` takes), then
/// inserted [`InsertRows::rows_per_call`](crate::InsertRows::rows_per_call) rows at a time,
/// so a large batch is never held decoded whole. Every row gives an id or none does (fresh
/// ids could meet given ones), and then the identity moves past the ids given. Returns how
/// many rows; a row's error names its place in the batch (from 0).
pub fn batch_insert<D: crate::InsertRows<R>, R>(
    conn: &mut D::Conn,
    table: &'static str,
    columns: &[&'static str],
    rows: &[Value],
    decode: impl Fn(&Map<String, Value>, Option<&Value>) -> Result<R>,
) -> Result<u64> {
    let op = crate::Op::new(table, "insert");
    let without_id = rows
        .iter()
        .filter(|r| r.get("id").is_none_or(Value::is_null))
        .count();
    if without_id > 0 && without_id < rows.len() {
        return Err(Error::Validation {
            table,
            field: "id",
            reason: "give every row of a batch an id, or none".into(),
        });
    }
    let mut fresh = if without_id > 0 {
        D::reserve_ids(conn, table, without_id).map_err(|e| op.error(e))?
    } else {
        Vec::new()
    }
    .into_iter();
    let per_call = D::rows_per_call();
    let mut decoded: Vec<R> = Vec::with_capacity(per_call.min(rows.len()));
    for (call_no, call) in rows.chunks(per_call).enumerate() {
        for (j, given) in call.iter().enumerate() {
            let at = |e| at_row(call_no * per_call + j, e);
            // Read in place (no copy of the row): a row without an id takes the next reserved.
            let fresh_id = fresh.next().map(Value::from);
            decoded.push(
                decode(
                    object(table, columns, given).map_err(at)?,
                    fresh_id.as_ref(),
                )
                .map_err(at)?,
            );
        }
        D::insert_rows(conn, &decoded).map_err(|e| op.error(e))?;
        decoded.clear();
    }
    if without_id < rows.len() {
        D::after_explicit_ids(conn, table).map_err(|e| op.error(e))?;
    }
    Ok(rows.len() as u64)
}
