//! Moving rows between backends, value by value, without Diesel: what a column of a schema
//! description accepts, how a value read from a source is checked and written in PostgreSQL's
//! binary `COPY` format, and the canonical form both sides of a copy are compared in.
//!
//! A source value ([`Cell`]) is what a SQLite database holds, storage class included: SQLite
//! lets text sit in an INTEGER column, so a copy checks the class, never just the text. Every
//! check returns the reason a value is refused, for the caller to name with its table, row and
//! column.

use crate::model::{ColumnDescription, ValueSetDescription};
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// A value as a SQLite database stores it: its storage class and content.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// NULL.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A double.
    Real(f64),
    /// Text, as stored (not necessarily valid UTF-8).
    Text(&'a [u8]),
    /// A blob.
    Blob(&'a [u8]),
}

impl Cell<'_> {
    /// The storage class, as SQLite's `typeof()` names it.
    pub fn class(&self) -> &'static str {
        match self {
            Cell::Null => "null",
            Cell::Integer(_) => "integer",
            Cell::Real(_) => "real",
            Cell::Text(_) => "text",
            Cell::Blob(_) => "blob",
        }
    }
}

/// What a column holds, from its description's logical type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// 64-bit integer.
    BigInt,
    /// 32-bit integer.
    Integer,
    /// Double precision.
    Real,
    /// Text.
    Text,
    /// Boolean (0/1 on SQLite).
    Boolean,
    /// Timestamp with time zone (UTC).
    Timestamp,
    /// A JSON document.
    Json,
    /// Bytes.
    Blob,
    /// One of these values.
    Enum(Vec<String>),
}

/// A column as a copy treats it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPlan {
    /// The column's name.
    pub name: String,
    /// What it holds.
    pub kind: Kind,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The most characters a text holds, when limited.
    pub max_length: Option<u32>,
}

impl ColumnPlan {
    /// The plan for a described column; `None` for a logical type this module does not know
    /// (the caller refuses the copy, naming it).
    pub fn of(column: &ColumnDescription, sets: &[ValueSetDescription]) -> Option<Self> {
        let kind = match column.logical_type.as_str() {
            "bigint" => Kind::BigInt,
            "integer" => Kind::Integer,
            "real" => Kind::Real,
            "text" => Kind::Text,
            "boolean" => Kind::Boolean,
            "timestamp" => Kind::Timestamp,
            "json" => Kind::Json,
            "blob" => Kind::Blob,
            t => {
                let name = t.strip_prefix("enum:")?;
                Kind::Enum(sets.iter().find(|s| s.name == name)?.values.clone())
            }
        };
        Some(ColumnPlan {
            name: column.name.clone(),
            kind,
            nullable: column.nullable,
            max_length: column.max_length,
        })
    }
}

/// Parses a timestamp as NERVE and other programs write it: RFC 3339 (`T` or space, `Z` or an
/// offset), or naive `YYYY-MM-DD HH:MM:SS[.ffffff]` (read as UTC). Truncated to microseconds,
/// as PostgreSQL and the stores keep them. `None` (refused) for anything else: surrounding
/// spaces, more than six fraction digits or a leap second (neither arrives equal), or a year
/// outside 1 to 9999 (UTC), which not every backend stores.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let t = text;
    if t.trim() != t {
        return None;
    }
    // More than microseconds cannot arrive equal: refused, not cut.
    let fraction = t
        .split_once('.')
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).count())
        .unwrap_or(0);
    if fraction > 6 {
        return None;
    }
    let parsed = DateTime::parse_from_rfc3339(t)
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)).ok())
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"]
                .iter()
                .find_map(|f| DateTime::parse_from_str(t, f).ok())
                .map(|d| d.with_timezone(&Utc))
        })
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
                .map(|n| n.and_utc())
        })?;
    // chrono reads a leap second (:60) as a second 59 with 1 s of nanoseconds;
    // PostgreSQL would roll it into the next minute.
    if parsed.timestamp_subsec_nanos() >= 1_000_000_000 {
        return None;
    }
    let t = crate::clock::truncate_micros(parsed);
    crate::clock::storable(t).then_some(t)
}

fn text_of<'a>(plan: &ColumnPlan, bytes: &'a [u8]) -> Result<&'a str, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "text is not valid UTF-8".to_string())?;
    if text.contains('\0') {
        return Err("text holds U+0000, which PostgreSQL cannot store".into());
    }
    if let (Kind::Text, Some(max)) = (&plan.kind, plan.max_length) {
        if text.chars().count() > max as usize {
            return Err(format!("text longer than {max} characters"));
        }
    }
    Ok(text)
}

fn wrong_class(plan: &ColumnPlan, cell: &Cell<'_>) -> String {
    let wanted = match plan.kind {
        Kind::BigInt | Kind::Integer => "an integer",
        Kind::Real => "a number",
        Kind::Text => "text",
        Kind::Boolean => "a boolean (0 or 1)",
        Kind::Timestamp => "a timestamp (text)",
        Kind::Json => "JSON text",
        Kind::Blob => "a blob",
        Kind::Enum(_) => "a value of its set (text)",
    };
    format!("{} value where {wanted} belongs", cell.class())
}

/// `bytes` as a JSON document PostgreSQL stores and NERVE reads back: valid JSON (parsed
/// whole: a number beyond a double's range is valid JSON that NERVE's readers refuse), with
/// no `\u0000`. The document is walked, not built (a copy checks every document it sends).
fn json_checked<'a>(plan: &ColumnPlan, bytes: &'a [u8]) -> Result<&'a str, String> {
    let text = text_of(plan, bytes)?;
    match serde_json::from_str::<StorableJson>(text) {
        Ok(StorableJson) => Ok(text),
        Err(e) if e.is_data() => Err(e.to_string()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// A JSON document walked without being built: it fails where PostgreSQL's JSONB or NERVE's
/// readers would refuse the text (invalid JSON, a number beyond a double's range, nesting
/// deeper than serde_json's limit, U+0000 in a key or string).
struct StorableJson;

impl<'de> serde::Deserialize<'de> for StorableJson {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StorableJson)
    }
}

impl<'de> serde::de::Visitor<'de> for StorableJson {
    type Value = StorableJson;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self, E> {
        if s.contains('\0') {
            return Err(E::custom(
                "JSON holds \\u0000, which PostgreSQL cannot store",
            ));
        }
        Ok(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<Self, A::Error> {
        while items.next_element::<StorableJson>()?.is_some() {}
        Ok(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while map.next_key::<StorableJson>()?.is_some() {
            map.next_value::<StorableJson>()?;
        }
        Ok(self)
    }
}

fn enum_checked<'a>(
    plan: &ColumnPlan,
    values: &[String],
    bytes: &'a [u8],
) -> Result<&'a str, String> {
    let text = text_of(plan, bytes)?;
    if values.iter().any(|v| v == text) {
        Ok(text)
    } else {
        Err(format!("{text:?} is not one of {}", values.join(", ")))
    }
}

/// The start of a binary `COPY` stream: its signature, no flags, no header extension.
pub const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// The end of a binary `COPY` stream: a row of -1 fields.
pub const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00:00 UTC).
pub const POSTGRES_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// Appends the start of a binary `COPY` row of `fields` fields (PostgreSQL reads the count as
/// a 16-bit signed integer; it takes at most 1 600 columns); each field follows by
/// [`encode_copy`].
pub fn start_copy_row(out: &mut Vec<u8>, fields: i16) {
    out.extend_from_slice(&fields.to_be_bytes());
}

/// Checks `cell` against `plan` and appends it to `out` as a field of a binary `COPY` row
/// (PostgreSQL's binary format: a 32-bit length, -1 for NULL, then the value as the column's
/// type receives it: big-endian integers and doubles (`Kind::Real` is `double precision`), a
/// byte for a boolean, microseconds since 2000-01-01 UTC for a timestamp, UTF-8 for text and
/// ENUM labels, version 1 and the text for JSONB, the bytes of a blob). The value is checked
/// as PostgreSQL's input would check it and as verify reads it, so nothing PostgreSQL refuses or
/// stores differently is sent. On refusal nothing useful is left in `out` past its length before
/// the call (the caller truncates) and the reason is returned.
pub fn encode_copy(plan: &ColumnPlan, cell: Cell<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    match (&plan.kind, cell) {
        (_, Cell::Null) if plan.nullable => {
            out.truncate(at);
            out.extend_from_slice(&(-1i32).to_be_bytes());
            return Ok(());
        }
        (_, Cell::Null) => return Err("NULL in a NOT NULL column".into()),
        (Kind::BigInt, Cell::Integer(n)) => out.extend_from_slice(&n.to_be_bytes()),
        (Kind::Integer, Cell::Integer(n)) => {
            let n = i32::try_from(n).map_err(|_| format!("{n} does not fit a 32-bit column"))?;
            out.extend_from_slice(&n.to_be_bytes());
        }
        (Kind::Real, Cell::Integer(n)) => out.extend_from_slice(&(n as f64).to_be_bytes()),
        (Kind::Real, Cell::Real(x)) => out.extend_from_slice(&x.to_be_bytes()),
        (Kind::Boolean, Cell::Integer(n @ (0 | 1))) => out.push(n as u8),
        (Kind::Boolean, Cell::Integer(n)) => return Err(format!("{n} is not a boolean (0 or 1)")),
        (Kind::Text, Cell::Text(b)) => out.extend_from_slice(text_of(plan, b)?.as_bytes()),
        (Kind::Enum(values), Cell::Text(b)) => {
            out.extend_from_slice(enum_checked(plan, values, b)?.as_bytes())
        }
        (Kind::Json, Cell::Text(b)) => {
            let text = json_checked(plan, b)?;
            out.push(1);
            out.extend_from_slice(text.as_bytes());
        }
        (Kind::Timestamp, Cell::Text(b)) => {
            let text = text_of(plan, b)?;
            let t = parse_timestamp(text).ok_or_else(|| format!("{text:?} is not a timestamp"))?;
            let micros = t.timestamp_micros() - POSTGRES_EPOCH_MICROS;
            out.extend_from_slice(&micros.to_be_bytes());
        }
        (Kind::Blob, Cell::Blob(b)) => out.extend_from_slice(b),
        (_, other) => return Err(wrong_class(plan, &other)),
    }
    let length = i32::try_from(out.len() - at - 4)
        .map_err(|_| "value of 2 GiB or more, which no COPY field holds".to_string())?;
    out[at..at + 4].copy_from_slice(&length.to_be_bytes());
    Ok(())
}

/// JSON with object keys sorted and numbers in one form (integral values as their digits,
/// whatever their magnitude or notation; other numbers as the shortest text that reads back as
/// the same double), so equal documents print alike whichever backend stored them
/// (PostgreSQL's JSONB reorders keys and prints numbers in its own notation). Numbers are
/// compared at double precision.
pub fn canonical_json(value: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    walk(&map[k], out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    walk(item, out);
                }
                out.push(']');
            }
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    let _ = write!(out, "{i}");
                } else if let Some(u) = n.as_u64() {
                    let _ = write!(out, "{u}");
                } else {
                    let x = n.as_f64().unwrap_or(f64::NAN);
                    if x.fract() == 0.0 && x.is_finite() {
                        // 1e16 and 10000000000000000 are one number (PostgreSQL prints
                        // the latter): integral values print as their exact digits.
                        let _ = write!(out, "{x:.0}");
                    } else {
                        let _ = write!(out, "{x:?}");
                    }
                }
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    walk(value, &mut out);
    out
}

/// The canonical text of a value, the same on every backend for the same logical value:
/// integers in decimal, booleans `true`/`false`, timestamps RFC 3339 UTC with six decimals,
/// JSON by [`canonical_json`], doubles by Rust's shortest round-trip form, blobs in hex.
/// `None` is NULL.
pub type Canonical = Option<String>;

/// The canonical text of a source value (checked as [`encode_copy`] checks it).
pub fn canonical_of_cell(plan: &ColumnPlan, cell: Cell<'_>) -> Result<Canonical, String> {
    Ok(Some(match (&plan.kind, cell) {
        (_, Cell::Null) => return Ok(None),
        (Kind::BigInt, Cell::Integer(n)) => n.to_string(),
        (Kind::Integer, Cell::Integer(n)) => i32::try_from(n)
            .map_err(|_| format!("{n} does not fit a 32-bit column"))?
            .to_string(),
        (Kind::Real, Cell::Integer(n)) => format!("{:?}", n as f64),
        (Kind::Real, Cell::Real(x)) => format!("{x:?}"),
        (Kind::Boolean, Cell::Integer(n @ (0 | 1))) => (n == 1).to_string(),
        (Kind::Boolean, Cell::Integer(n)) => return Err(format!("{n} is not a boolean (0 or 1)")),
        (Kind::Text, Cell::Text(b)) => text_of(plan, b)?.to_string(),
        (Kind::Enum(values), Cell::Text(b)) => enum_checked(plan, values, b)?.to_string(),
        (Kind::Json, Cell::Text(b)) => {
            let v: Value = serde_json::from_str(json_checked(plan, b)?)
                .map_err(|e| format!("invalid JSON: {e}"))?;
            canonical_json(&v)
        }
        (Kind::Timestamp, Cell::Text(b)) => {
            let text = text_of(plan, b)?;
            parse_timestamp(text)
                .ok_or_else(|| format!("{text:?} is not a timestamp"))?
                .to_rfc3339_opts(SecondsFormat::Micros, true)
        }
        (Kind::Blob, Cell::Blob(b)) => b.iter().map(|x| format!("{x:02x}")).collect(),
        (_, other) => return Err(wrong_class(plan, &other)),
    }))
}

/// The canonical text of a value as PostgreSQL's `json_build_array` renders it (session time
/// zone UTC): timestamps as strings, booleans and numbers as JSON, and JSON documents as their
/// text (select `col::text`: embedded JSONB could not tell SQL NULL from a JSON `null`).
pub fn canonical_of_json(plan: &ColumnPlan, value: &Value) -> Result<Canonical, String> {
    let unexpected = || format!("unexpected value {value} for a {:?} column", plan.kind);
    Ok(Some(match (&plan.kind, value) {
        (_, Value::Null) => return Ok(None),
        (Kind::Json, Value::String(text)) => {
            let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
            canonical_json(&v)
        }
        (Kind::BigInt | Kind::Integer, Value::Number(n)) => {
            n.as_i64().ok_or_else(unexpected)?.to_string()
        }
        (Kind::Real, Value::Number(n)) => format!("{:?}", n.as_f64().ok_or_else(unexpected)?),
        (Kind::Real, Value::String(s)) => match s.as_str() {
            "NaN" => "NaN".into(),
            "Infinity" => "inf".into(),
            "-Infinity" => "-inf".into(),
            _ => return Err(unexpected()),
        },
        (Kind::Boolean, Value::Bool(b)) => b.to_string(),
        (Kind::Text | Kind::Enum(_), Value::String(s)) => s.clone(),
        (Kind::Timestamp, Value::String(s)) => parse_timestamp(s)
            .ok_or_else(unexpected)?
            .to_rfc3339_opts(SecondsFormat::Micros, true),
        (Kind::Blob, Value::String(s)) => s.trim_start_matches("\\x").to_string(),
        _ => return Err(unexpected()),
    }))
}

/// An order-independent digest of a table's rows: the wrapping sum of the first 16 bytes of
/// each canonical row's SHA-256, and the row count. Equal tables give equal digests whatever
/// order their rows are read in; a changed, missing or extra row changes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableDigest {
    /// Rows seen.
    pub rows: u64,
    /// The sum of the row hashes.
    pub sum: u128,
}

impl TableDigest {
    /// Adds a row given as its canonical values, in column order.
    pub fn add(&mut self, row: &[Canonical]) {
        let mut h = Sha256::new();
        for value in row {
            match value {
                None => h.update([0u8]),
                Some(text) => {
                    h.update([1u8]);
                    h.update((text.len() as u64).to_le_bytes());
                    h.update(text.as_bytes());
                }
            }
        }
        let digest = h.finalize();
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(first));
        self.rows += 1;
    }

    /// The digest as hex, for reports.
    pub fn hex(&self) -> String {
        format!("{:032x}", self.sum)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(kind: Kind, nullable: bool) -> ColumnPlan {
        ColumnPlan {
            name: "c".into(),
            kind,
            nullable,
            max_length: Some(5),
        }
    }

    /// The field `encode_copy` writes, its length prefix checked and removed (`None`: NULL).
    fn copy(p: &ColumnPlan, cell: Cell<'_>) -> Result<Option<Vec<u8>>, String> {
        let mut out = Vec::new();
        encode_copy(p, cell, &mut out)?;
        let length = i32::from_be_bytes(out[..4].try_into().unwrap());
        if length == -1 {
            assert_eq!(out.len(), 4);
            return Ok(None);
        }
        assert_eq!(length as usize, out.len() - 4, "{out:?}");
        Ok(Some(out[4..].to_vec()))
    }

    fn field(bytes: &[u8]) -> Option<Vec<u8>> {
        Some(bytes.to_vec())
    }

    /// Found by fuzzing (fuzz/regressions/copy/): the copy accepted
    /// a number beyond a double's range, which verify (and every reader of NERVE's JSON)
    /// refuses, so the copy failed only at its verify.
    #[test]
    fn json_beyond_a_double_is_refused_by_the_copy_as_by_verify() {
        let j = plan(Kind::Json, true);
        let cell = Cell::Text(b"999999E776");
        assert!(copy(&j, cell).unwrap_err().contains("out of range"));
        assert!(canonical_of_cell(&j, cell).is_err());
        assert_eq!(copy(&j, Cell::Text(b"1e300")).unwrap(), field(b"\x011e300"));
    }

    #[test]
    fn copy_fields_are_checked_and_written_as_postgres_receives_them() {
        let mut row = Vec::new();
        start_copy_row(&mut row, 3);
        assert_eq!(row, [0, 3]);
        assert_eq!(&COPY_HEADER[..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(COPY_HEADER.len(), 19);
        let t = plan(Kind::Text, true);
        assert_eq!(copy(&t, Cell::Text(b"a\tb")).unwrap(), field(b"a\tb"));
        assert_eq!(copy(&t, Cell::Text(b"\\N")).unwrap(), field(b"\\N"));
        assert_eq!(copy(&t, Cell::Null).unwrap(), None);
        assert_eq!(copy(&t, Cell::Text(b"")).unwrap(), field(b""));
        assert_eq!(
            copy(&t, Cell::Text("éèêëē".as_bytes())).unwrap(),
            field("éèêëē".as_bytes())
        );
        assert!(copy(&t, Cell::Text(b"a\0b"))
            .unwrap_err()
            .contains("U+0000"));
        assert!(copy(&t, Cell::Text(b"toolong"))
            .unwrap_err()
            .contains("longer"));
        assert!(copy(&t, Cell::Integer(3))
            .unwrap_err()
            .contains("integer value"));
        assert!(copy(&t, Cell::Text(&[0xff])).is_err());
        let n = plan(Kind::BigInt, false);
        assert_eq!(
            copy(&n, Cell::Integer(i64::MIN)).unwrap(),
            field(&i64::MIN.to_be_bytes())
        );
        assert_eq!(
            copy(&n, Cell::Integer(258)).unwrap(),
            field(&[0, 0, 0, 0, 0, 0, 1, 2])
        );
        assert!(copy(&n, Cell::Text(b"12"))
            .unwrap_err()
            .contains("text value"));
        assert!(copy(&n, Cell::Null).unwrap_err().contains("NOT NULL"));
        let i = plan(Kind::Integer, false);
        assert!(copy(&i, Cell::Integer(1 << 40)).is_err());
        assert_eq!(
            copy(&i, Cell::Integer(-2)).unwrap(),
            field(&(-2i32).to_be_bytes())
        );
        let r = plan(Kind::Real, false);
        assert_eq!(
            copy(&r, Cell::Real(1.5)).unwrap(),
            field(&1.5f64.to_be_bytes())
        );
        assert_eq!(
            copy(&r, Cell::Integer(3)).unwrap(),
            field(&3.0f64.to_be_bytes())
        );
        let b = plan(Kind::Boolean, false);
        assert_eq!(copy(&b, Cell::Integer(1)).unwrap(), field(&[1]));
        assert_eq!(copy(&b, Cell::Integer(0)).unwrap(), field(&[0]));
        assert!(copy(&b, Cell::Integer(2)).is_err());
        let ts = plan(Kind::Timestamp, false);
        // PostgreSQL counts microseconds from 2000-01-01 00:00:00 UTC.
        assert_eq!(
            copy(&ts, Cell::Text(b"2000-01-01 00:00:01")).unwrap(),
            field(&1_000_000i64.to_be_bytes())
        );
        assert_eq!(
            copy(&ts, Cell::Text(b"1999-12-31T23:59:59.999999Z")).unwrap(),
            field(&(-1i64).to_be_bytes())
        );
        assert_eq!(
            copy(&ts, Cell::Text(b"2000-01-01T02:00:00.000002+02:00")).unwrap(),
            field(&2i64.to_be_bytes())
        );
        for refused in [
            &b"2026-01-02 03:04:05.1234567"[..],
            b" 2026-01-02 03:04:05",
            b"2026-01-02 03:04:60",
            b"10000-01-01 00:00:00",
        ] {
            assert!(copy(&ts, Cell::Text(refused)).is_err(), "{refused:?}");
        }
        assert!(copy(&ts, Cell::Text(b"yesterday")).is_err());
        let j = ColumnPlan {
            max_length: None,
            ..plan(Kind::Json, true)
        };
        assert_eq!(
            copy(&j, Cell::Text(b"{\"a\":\"x\\ny\"}")).unwrap(),
            field(b"\x01{\"a\":\"x\\ny\"}")
        );
        assert!(copy(&j, Cell::Text(b"{")).is_err());
        assert!(copy(&j, Cell::Text(b"\"\\u0000\"")).is_err());
        for nul in [&b"{\"a\\u0000\":1}"[..], b"[1,[{\"b\":\"\\u0000\"}]]"] {
            let reason = copy(&j, Cell::Text(nul)).unwrap_err();
            assert!(reason.starts_with("JSON holds \\u0000"), "{reason}");
        }
        assert!(copy(&j, Cell::Text(b"[1,]"))
            .unwrap_err()
            .starts_with("invalid JSON"));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(
            copy(&j, Cell::Text(deep.as_bytes())).is_err(),
            "deeper than NERVE reads"
        );
        assert!(canonical_of_cell(&j, Cell::Text(deep.as_bytes())).is_err());
        assert!(
            copy(&j, Cell::Text(b"\"\\\\u0000\"")).is_ok(),
            "an escaped backslash"
        );
        let e = plan(Kind::Enum(vec!["a".into(), "b".into()]), false);
        assert!(copy(&e, Cell::Text(b"c")).is_err());
        assert_eq!(copy(&e, Cell::Text(b"b")).unwrap(), field(b"b"));
        let blob = plan(Kind::Blob, true);
        assert_eq!(
            copy(&blob, Cell::Blob(&[0, 255, 10])).unwrap(),
            field(&[0, 255, 10])
        );
        assert!(copy(&blob, Cell::Text(b"x")).is_err());
        // A refused value leaves at most a bare length prefix, for the caller to truncate.
        let mut out = vec![7];
        assert!(encode_copy(&n, Cell::Null, &mut out).is_err());
        assert!(out.len() <= 5 && out[0] == 7, "{out:?}");
    }

    #[test]
    fn canonical_forms_agree_across_sources() {
        let ts = plan(Kind::Timestamp, true);
        let from_sqlite =
            canonical_of_cell(&ts, Cell::Text(b"2026-01-02 03:04:05.5+00:00")).unwrap();
        let from_pg =
            canonical_of_json(&ts, &Value::String("2026-01-02T03:04:05.5+00:00".into())).unwrap();
        assert_eq!(from_sqlite, from_pg);
        let j = ColumnPlan {
            max_length: None,
            ..plan(Kind::Json, true)
        };
        let a = canonical_of_cell(&j, Cell::Text(b"{\"b\": 1e2, \"a\": [1.50]}")).unwrap();
        let b = canonical_of_json(&j, &Value::String("{\"a\": [1.5], \"b\": 100}".into())).unwrap();
        assert_eq!(
            canonical_of_cell(&j, Cell::Text(b"null")).unwrap(),
            canonical_of_json(&j, &Value::String("null".into())).unwrap()
        );
        assert_eq!(canonical_of_json(&j, &Value::Null).unwrap(), None);
        for (source, postgres) in [
            ("1e16", "10000000000000000"),
            ("9.5e15", "9500000000000000"),
            ("1.5e+17", "150000000000000000"),
            ("1e-7", "0.0000001"),
            ("0.10", "0.10"),
            ("1e30", "1000000000000000000000000000000"),
        ] {
            assert_eq!(
                canonical_of_cell(&j, Cell::Text(source.as_bytes())).unwrap(),
                canonical_of_json(&j, &Value::String(postgres.into())).unwrap(),
                "{source}"
            );
        }
        assert!(canonical_of_cell(&plan(Kind::Boolean, false), Cell::Integer(2)).is_err());
        assert_eq!(a, b);
        // A double precision column (none in NERVE's schema): PostgreSQL's JSON spells the
        // specials as strings.
        let real = plan(Kind::Real, true);
        for (x, postgres) in [
            (f64::INFINITY, Value::String("Infinity".into())),
            (f64::NEG_INFINITY, Value::String("-Infinity".into())),
            (f64::NAN, Value::String("NaN".into())),
            (1.5, serde_json::json!(1.5)),
        ] {
            assert_eq!(
                canonical_of_cell(&real, Cell::Real(x)).unwrap(),
                canonical_of_json(&real, &postgres).unwrap(),
                "{x}"
            );
        }
        let bool_plan = plan(Kind::Boolean, false);
        assert_eq!(
            canonical_of_cell(&bool_plan, Cell::Integer(1)).unwrap(),
            canonical_of_json(&bool_plan, &Value::Bool(true)).unwrap()
        );
        let mut d1 = TableDigest::default();
        let mut d2 = TableDigest::default();
        d1.add(&[Some("1".into()), None]);
        d1.add(&[Some("2".into()), Some("".into())]);
        d2.add(&[Some("2".into()), Some("".into())]);
        d2.add(&[Some("1".into()), None]);
        assert_eq!(d1, d2);
        d2.add(&[Some("1".into()), None]);
        assert_ne!(d1, d2);
    }
}
