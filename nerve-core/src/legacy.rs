//! Values as NERVE's Python application left them in SQLite, converted to what NERVE's schema
//! holds: the value rules of `nerve import`, in one place, without a database.
//!
//! The Python application declared `DATETIME`, `BOOLEAN`, `VARCHAR(n)` and JSON-as-`TEXT`
//! columns, which SQLite stores with whatever class the value arrived in. [`RULES`] lists each
//! conversion in words (the README prints the same list); [`convert`] applies them to one value
//! for one target column and returns either the value in NERVE's SQLite storage form or the
//! reason it is refused. Nothing is guessed: a value that no rule reads exactly is refused.

use crate::transfer::{Cell, ColumnPlan, Kind};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// One conversion rule: the target kind and, in words, what it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The target column's kind, as the README names it.
    pub kind: &'static str,
    /// What is read, and how.
    pub accepts: &'static str,
}

/// Every value rule of `nerve import`, as the README lists them.
pub const RULES: &[Rule] = &[
    Rule {
        kind: "timestamp",
        accepts: "text `YYYY-MM-DD HH:MM:SS[.ffffff]` (SQLAlchemy, CURRENT_TIMESTAMP), the same \
                  with `T` (isoformat()), either with `+HH:MM`/`-HH:MM` or `Z`, `YYYY-MM-DD \
                  HH:MM`, a date `YYYY-MM-DD` (midnight), or a unix epoch number (seconds, \
                  integer or real); naive values are read in --timezone (default UTC; a local \
                  time that a daylight-saving change skipped or repeated is refused); more \
                  than 6 fraction digits (nanoseconds) refused, never rounded",
    },
    Rule {
        kind: "boolean",
        accepts: "0/1 (integer, real or text), true/false, t/f, yes/no, in any case",
    },
    Rule {
        kind: "enum",
        accepts: "text matching a value of the set, ignoring case (`HIGH` -> `high`)",
    },
    Rule {
        kind: "integer, bigint",
        accepts: "integers; text holding only an integer (`'42'`); a real with no fraction \
                  that converts exactly; out of the column's range refused",
    },
    Rule {
        kind: "real",
        accepts: "reals; integers; text holding only a number",
    },
    Rule {
        kind: "json",
        accepts: "text that parses as JSON (a Python repr such as `{'a': 1}` is refused, \
                  never guessed); no U+0000",
    },
    Rule {
        kind: "text",
        accepts: "valid UTF-8 text without U+0000, at most the column's length (longer is \
                  refused, never truncated); integers and reals as their decimal text",
    },
    Rule {
        kind: "blob",
        accepts: "blobs; text as its bytes",
    },
];

/// How naive timestamps (no offset) are read: UTC, a fixed offset, or an IANA time zone
/// (whose offset changes with daylight saving time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A fixed offset from UTC (UTC itself is offset 0).
    Fixed(FixedOffset),
    /// An IANA time zone such as `Europe/Paris`.
    Named(chrono_tz::Tz),
}

impl Default for Zone {
    fn default() -> Self {
        Zone::Fixed(FixedOffset::east_opt(0).expect("UTC is an offset"))
    }
}

impl Zone {
    /// Parses `--timezone`: `UTC`, `Z`, a fixed offset `+HH:MM` / `-HH:MM` / `+HHMM`, or an
    /// IANA name such as `Europe/Paris`.
    pub fn parse(text: &str) -> Result<Zone, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("utc") || t == "Z" {
            return Ok(Zone::default());
        }
        let refuse = || {
            format!(
                "time zone {text:?}: give UTC, a fixed offset such as +02:00, or an IANA name \
                 such as Europe/Paris"
            )
        };
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, &t[1..]),
            Some(b'-') => (-1, &t[1..]),
            _ => {
                return t
                    .parse::<chrono_tz::Tz>()
                    .map(Zone::Named)
                    .map_err(|_| refuse())
            }
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if digits.len() != 4 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(refuse());
        }
        let h: i32 = digits[..2].parse().map_err(|_| refuse())?;
        let m: i32 = digits[2..].parse().map_err(|_| refuse())?;
        if h > 14 || m > 59 {
            return Err(refuse());
        }
        FixedOffset::east_opt(sign * (h * 3600 + m * 60))
            .map(Zone::Fixed)
            .ok_or_else(refuse)
    }

    /// The instant a naive local time names in this zone; refused when it names none (a gap
    /// of daylight saving time) or two (the hour repeated when clocks go back).
    fn instant(&self, naive: &NaiveDateTime) -> Result<DateTime<Utc>, String> {
        let one = |r: chrono::LocalResult<DateTime<Utc>>| match r {
            chrono::LocalResult::Single(t) => Ok(t),
            chrono::LocalResult::Ambiguous(..) => Err(format!(
                "{naive} happened twice in the time zone (clocks went back): ambiguous, not guessed"
            )),
            chrono::LocalResult::None => Err(format!(
                "{naive} never happened in the time zone (clocks went forward)"
            )),
        };
        match self {
            Zone::Fixed(offset) => one(offset
                .from_local_datetime(naive)
                .map(|t| t.with_timezone(&Utc))),
            Zone::Named(tz) => one(tz.from_local_datetime(naive).map(|t| t.with_timezone(&Utc))),
        }
    }
}

/// A converted value, owned, in NERVE's SQLite storage form.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// NULL.
    Null,
    /// An integer (booleans as 0/1).
    Integer(i64),
    /// A real.
    Real(f64),
    /// Text (timestamps as `YYYY-MM-DD HH:MM:SS.ffffff+00:00`, JSON compact).
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// The value as a [`Cell`] (for the transfer module's checks and canonical forms).
    pub fn as_cell(&self) -> Cell<'_> {
        match self {
            Value::Null => Cell::Null,
            Value::Integer(n) => Cell::Integer(*n),
            Value::Real(x) => Cell::Real(*x),
            Value::Text(t) => Cell::Text(t.as_bytes()),
            Value::Blob(b) => Cell::Blob(b),
        }
    }
}

/// The storage form of a timestamp in NERVE's SQLite schema.
pub fn timestamp_text(t: DateTime<Utc>) -> String {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write as _;
    // Written field by field: chrono's format strings cost several times more per value.
    let mut out = String::with_capacity(32);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00:00",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.timestamp_subsec_micros()
    );
    out
}

fn text(bytes: &[u8]) -> Result<&str, String> {
    let t = std::str::from_utf8(bytes).map_err(|_| "text is not valid UTF-8".to_string())?;
    if t.contains('\0') {
        return Err("text holds U+0000, which PostgreSQL cannot store".into());
    }
    Ok(t)
}

fn from_epoch(secs: f64) -> Result<DateTime<Utc>, String> {
    let out_of_range = || format!("epoch {secs} is outside years 1 to 9999");
    if !secs.is_finite() {
        return Err("not a finite epoch number".into());
    }
    let micros = (secs * 1_000_000.0).round();
    if micros.abs() > 253_402_300_799_000_000.0 {
        return Err(out_of_range());
    }
    DateTime::from_timestamp_micros(micros as i64)
        .filter(|t| crate::clock::storable(*t))
        .ok_or_else(out_of_range)
}

/// Reads a legacy timestamp; see [`RULES`].
pub fn legacy_timestamp(cell: Cell<'_>, zone: Zone) -> Result<DateTime<Utc>, String> {
    let t = match cell {
        Cell::Integer(n) => return from_epoch(n as f64),
        Cell::Real(x) => return from_epoch(x),
        Cell::Text(bytes) => text(bytes)?,
        Cell::Null => return Err("NULL".into()),
        Cell::Blob(_) => return Err("a blob is not a timestamp".into()),
    };
    let fraction = t
        .split_once('.')
        .map(|(_, rest)| rest.chars().take_while(char::is_ascii_digit).count())
        .unwrap_or(0);
    if fraction > 6 {
        return Err(format!(
            "timestamp {t:?} has {fraction} fraction digits: nanoseconds are refused, not rounded"
        ));
    }
    let bad = || format!("not a timestamp: {t:?}");
    if let Some((naive, offset)) = common_form(t) {
        let instant = match offset {
            Some(seconds) => naive
                .checked_sub_signed(chrono::Duration::seconds(i64::from(seconds)))
                .ok_or_else(bad)?
                .and_utc(),
            None => zone.instant(&naive)?,
        };
        if !crate::clock::storable(instant) {
            return Err(format!("timestamp {t:?} is outside years 1 to 9999 (UTC)"));
        }
        return Ok(instant);
    }
    // With an offset or Z: exact.
    let with_offset = DateTime::parse_from_rfc3339(t)
        .ok()
        .or_else(|| DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)).ok())
        .or_else(|| {
            ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"]
                .iter()
                .find_map(|f| DateTime::parse_from_str(t, f).ok())
        });
    let instant = match with_offset {
        Some(d) => d.with_timezone(&Utc),
        None => {
            let naive = [
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .ok_or_else(bad)?;
            zone.instant(&naive)?
        }
    };
    if instant.timestamp_subsec_nanos() >= 1_000_000_000 {
        return Err(format!("timestamp {t:?} is a leap second"));
    }
    if !crate::clock::storable(instant) {
        return Err(format!("timestamp {t:?} is outside years 1 to 9999 (UTC)"));
    }
    Ok(instant)
}

/// The forms nearly every legacy timestamp takes, read without chrono's format parser (the
/// hot path of an import): `YYYY-MM-DD[ T]HH:MM:SS[.f…]` then nothing, `Z`, or `±HH:MM`.
/// `None` for anything else (the general parsers decide). The offset is in seconds east.
fn common_form(t: &str) -> Option<(NaiveDateTime, Option<i32>)> {
    let b = t.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = b.get(range)?;
        digits.iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let mut at = 19;
    let mut micros = 0u32;
    if b.get(at) == Some(&b'.') {
        let start = at + 1;
        let mut end = start;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let n = end - start;
        if n == 0 || n > 6 {
            return None;
        }
        micros = num(start..end)? * 10u32.pow(6 - n as u32);
        at = end;
    }
    let time =
        chrono::NaiveTime::from_hms_micro_opt(num(11..13)?, num(14..16)?, num(17..19)?, micros)?;
    let offset = match &b[at..] {
        [] => None,
        [b'Z'] => Some(0),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(at + 1..at + 3)?, num(at + 4..at + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let seconds = (h * 3600 + m * 60) as i32;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => return None,
    };
    Some((date.and_time(time), offset))
}

fn legacy_bool(cell: Cell<'_>) -> Result<bool, String> {
    match cell {
        Cell::Integer(0) => Ok(false),
        Cell::Integer(1) => Ok(true),
        Cell::Real(0.0) => Ok(false),
        Cell::Real(1.0) => Ok(true),
        Cell::Text(bytes) => {
            let t = text(bytes)?;
            match t.to_ascii_lowercase().as_str() {
                "1" | "true" | "t" | "yes" => Ok(true),
                "0" | "false" | "f" | "no" => Ok(false),
                _ => Err(format!("not a boolean: {t:?}")),
            }
        }
        other => Err(format!("not a boolean: {other:?}")),
    }
}

fn legacy_integer(cell: Cell<'_>, kind: &Kind) -> Result<i64, String> {
    let n = match cell {
        Cell::Integer(n) => n,
        Cell::Real(x) => {
            if x.fract() != 0.0 || !x.is_finite() || x.abs() > 9_007_199_254_740_992.0 {
                return Err(format!("{x} is not an integer that converts exactly"));
            }
            x as i64
        }
        Cell::Text(bytes) => {
            let t = text(bytes)?;
            t.parse::<i64>()
                .map_err(|_| format!("text {t:?} is not an integer"))?
        }
        other => return Err(format!("a {} is not an integer", other.class())),
    };
    if *kind == Kind::Integer && i32::try_from(n).is_err() {
        return Err(format!("{n} does not fit a 32-bit integer"));
    }
    Ok(n)
}

/// Converts one legacy value for the target column `plan`; see [`RULES`]. `Err` is the reason
/// it is refused (the caller names the table, row and column).
pub fn convert(plan: &ColumnPlan, cell: Cell<'_>, zone: Zone) -> Result<Value, String> {
    if cell == Cell::Null {
        return if plan.nullable {
            Ok(Value::Null)
        } else {
            Err("NULL in a NOT NULL column".into())
        };
    }
    Ok(match &plan.kind {
        Kind::Timestamp => Value::Text(timestamp_text(legacy_timestamp(cell, zone)?)),
        Kind::Boolean => Value::Integer(i64::from(legacy_bool(cell)?)),
        Kind::BigInt | Kind::Integer => Value::Integer(legacy_integer(cell, &plan.kind)?),
        Kind::Real => Value::Real(match cell {
            Cell::Real(x) if x.is_finite() => x,
            Cell::Integer(n) => n as f64,
            Cell::Text(bytes) => {
                let t = text(bytes)?;
                t.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite())
                    .ok_or_else(|| format!("text {t:?} is not a number"))?
            }
            other => return Err(format!("a {} is not a number", other.class())),
        }),
        Kind::Enum(values) => {
            let t = match cell {
                Cell::Text(bytes) => text(bytes)?,
                other => return Err(format!("a {} is not one of {values:?}", other.class())),
            };
            let found = values
                .iter()
                .find(|v| v.eq_ignore_ascii_case(t))
                .ok_or_else(|| format!("{t:?} is not one of {}", values.join(", ")))?;
            Value::Text(found.clone())
        }
        // A column declared JSON has NUMERIC affinity in SQLite: a document that is a number
        // arrives as one.
        Kind::Json => {
            let t = match cell {
                Cell::Text(bytes) => text(bytes)?,
                Cell::Integer(n) => return Ok(Value::Text(n.to_string())),
                Cell::Real(x) => {
                    return serde_json::Number::from_f64(x)
                        .map(|n| Value::Text(n.to_string()))
                        .ok_or_else(|| format!("{x} is not a JSON number"))
                }
                other => return Err(format!("a {} is not JSON text", other.class())),
            };
            let parsed: serde_json::Value = serde_json::from_str(t).map_err(|e| {
                if t.contains('\'') {
                    format!("not JSON ({e}): it looks like a Python repr, which is not guessed")
                } else {
                    format!("not JSON: {e}")
                }
            })?;
            if crate::validate::holds_nul(&parsed) {
                return Err("JSON holds U+0000, which PostgreSQL cannot store".into());
            }
            Value::Text(parsed.to_string())
        }
        Kind::Text => {
            let t = match cell {
                Cell::Text(bytes) => text(bytes)?.to_string(),
                Cell::Integer(n) => n.to_string(),
                Cell::Real(x) => x.to_string(),
                Cell::Blob(_) | Cell::Null => return Err("a blob is not text".into()),
            };
            if let Some(max) = plan.max_length {
                let n = t.chars().count();
                if n > max as usize {
                    return Err(format!(
                        "{n} characters, more than the {max} the column holds (never truncated)"
                    ));
                }
            }
            Value::Text(t)
        }
        Kind::Blob => match cell {
            Cell::Blob(b) | Cell::Text(b) => Value::Blob(b.to_vec()),
            other => return Err(format!("a {} is not bytes", other.class())),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(kind: Kind) -> ColumnPlan {
        ColumnPlan {
            name: "c".into(),
            kind,
            nullable: true,
            max_length: Some(5),
        }
    }

    fn ts(text: &str) -> Result<Value, String> {
        convert(
            &plan(Kind::Timestamp),
            Cell::Text(text.as_bytes()),
            Zone::default(),
        )
    }

    fn text_value(t: &str) -> Value {
        Value::Text(t.to_string())
    }

    #[test]
    fn timestamps_in_every_python_spelling() {
        let want = text_value("2026-01-02 03:04:05.123456+00:00");
        for t in [
            "2026-01-02 03:04:05.123456",
            "2026-01-02T03:04:05.123456",
            "2026-01-02T03:04:05.123456Z",
            "2026-01-02T05:04:05.123456+02:00",
            "2026-01-02 01:04:05.123456-02:00",
        ] {
            assert_eq!(ts(t), Ok(want.clone()), "{t}");
        }
        let whole = text_value("2026-01-02 03:04:05.000000+00:00");
        assert_eq!(ts("2026-01-02 03:04:05"), Ok(whole.clone()));
        assert_eq!(
            ts("2026-01-02"),
            Ok(text_value("2026-01-02 00:00:00.000000+00:00"))
        );
        let p = plan(Kind::Timestamp);
        let utc = Zone::default();
        assert_eq!(convert(&p, Cell::Integer(1_767_323_045), utc), Ok(whole));
        assert_eq!(
            convert(&p, Cell::Real(1_767_323_045.5), utc),
            Ok(text_value("2026-01-02 03:04:05.500000+00:00"))
        );
        let zone = Zone::parse("+02:00").unwrap();
        assert_eq!(
            convert(&p, Cell::Text(b"2026-01-02 05:04:05"), zone),
            Ok(text_value("2026-01-02 03:04:05.000000+00:00"))
        );
        assert!(ts("2026-01-02 03:04:05.1234567")
            .unwrap_err()
            .contains("nanoseconds"));
        assert!(ts("yesterday").is_err());
        assert!(ts("2026-13-02").is_err());
        assert!(Zone::parse("Mars/Olympus").is_err());
        assert!(Zone::parse("+25:00").is_err());
        // An IANA zone: winter and summer offsets, and the hours DST skips and repeats.
        let paris = Zone::parse("Europe/Paris").unwrap();
        let at = |t: &'static str| convert(&p, Cell::Text(t.as_bytes()), paris);
        assert_eq!(
            at("2026-01-02 04:04:05"),
            Ok(text_value("2026-01-02 03:04:05.000000+00:00"))
        );
        assert_eq!(
            at("2026-07-02 05:04:05"),
            Ok(text_value("2026-07-02 03:04:05.000000+00:00"))
        );
        assert!(at("2026-03-29 02:30:00")
            .unwrap_err()
            .contains("never happened"));
        assert!(at("2026-10-25 02:30:00").unwrap_err().contains("ambiguous"));
    }

    #[test]
    fn booleans_enums_integers_json_and_text() {
        let utc = Zone::default();
        let b = |c: Cell<'_>| convert(&plan(Kind::Boolean), c, utc);
        for (c, v) in [
            (Cell::Integer(1), 1),
            (Cell::Integer(0), 0),
            (Cell::Text(b"TRUE"), 1),
            (Cell::Text(b"f"), 0),
            (Cell::Text(b"Yes"), 1),
            (Cell::Text(b"no"), 0),
        ] {
            assert_eq!(b(c), Ok(Value::Integer(v)));
        }
        assert!(b(Cell::Integer(2)).is_err());
        assert!(b(Cell::Text(b"maybe")).is_err());
        let set = plan(Kind::Enum(vec!["low".into(), "high".into()]));
        assert_eq!(
            convert(&set, Cell::Text(b"HIGH"), utc),
            Ok(text_value("high"))
        );
        assert!(convert(&set, Cell::Text(b"huge"), utc).is_err());
        let i = |c: Cell<'_>| convert(&plan(Kind::Integer), c, utc);
        assert_eq!(i(Cell::Text(b"42")), Ok(Value::Integer(42)));
        assert_eq!(i(Cell::Real(7.0)), Ok(Value::Integer(7)));
        assert!(i(Cell::Real(7.5)).is_err());
        assert!(i(Cell::Text(b"42 ")).is_err());
        assert!(i(Cell::Integer(1 << 40)).is_err());
        let j = |t: &'static str| convert(&plan(Kind::Json), Cell::Text(t.as_bytes()), utc);
        assert_eq!(j(r#"{"a": 1}"#), Ok(text_value(r#"{"a":1}"#)));
        assert!(j("{'a': 1}").unwrap_err().contains("Python repr"));
        let t = |t: &'static str| convert(&plan(Kind::Text), Cell::Text(t.as_bytes()), utc);
        assert_eq!(t("héllo"), Ok(text_value("héllo")));
        assert!(t("toolong").unwrap_err().contains("never truncated"));
        let not_null = ColumnPlan {
            nullable: false,
            ..plan(Kind::Text)
        };
        assert!(convert(&not_null, Cell::Null, utc).is_err());
    }
}
