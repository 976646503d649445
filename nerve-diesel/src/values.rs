//! [`ReadTs`] and [`ReadNullableTs`]: what the rows of both drivers decode a timestamp column
//! into before it becomes a `DateTime<Utc>`.
//!
//! Reading SQLite's timestamp text fast: Diesel reads a `TimestamptzSqlite` value by trying up
//! to 26 chrono format strings in turn, which the profile of a point read found to be 31% of
//! its instructions. Every timestamp the store writes is Diesel's own encoding of a UTC time
//! truncated to microseconds, `YYYY-MM-DD HH:MM:SS[.f]+00:00` with 0, 3, 6 or 9 fraction
//! digits, so that form is read here by hand ([`parse_utc`]); any other text (written by
//! another tool, an older version, a julian day) goes to Diesel's reader, so what is accepted
//! and what it means do not change. PostgreSQL sends a `TIMESTAMPTZ` binary, read by Diesel's
//! own reader.
//!
//! Writing SQLite's timestamp text fast: Diesel writes a bound `DateTime` through chrono's
//! format machinery (`%F %T%.f%:z`), about 4 000 instructions a value, more than a whole
//! point read's SQLite work in some writes. [`WriteTs`] (what the store binds a time it sets
//! as) writes the same text by hand ([`format_utc`]), byte for byte what Diesel writes (the
//! stored text is compared and ordered as text), and leaves the rare values outside its form
//! (years outside 0000-9999, leap seconds) to Diesel. On PostgreSQL it is Diesel's binary
//! `TIMESTAMPTZ`.
//!
//! The backend implementations are compiled with this crate's `sqlite` and `postgres`
//! features, which the driver crates turn on.

use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, Timelike, Utc};
use diesel::deserialize::FromSqlRow;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
use diesel::expression::AsExpression;

/// A non-null timestamp column as read; becomes the row's `DateTime<Utc>` (the row types'
/// `deserialize_as`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct ReadTs(DateTime<Utc>);

impl ReadTs {
    /// The time read (for the row types' `deserialize_as`; never fails).
    pub fn try_into(self) -> Result<DateTime<Utc>, std::convert::Infallible> {
        Ok(self.0)
    }
}

/// A nullable timestamp column as read; becomes the row's `Option<DateTime<Utc>>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct ReadNullableTs(Option<DateTime<Utc>>);

impl ReadNullableTs {
    /// The time read, `None` for SQL `NULL` (for the row types' `deserialize_as`; never fails).
    pub fn try_into(self) -> Result<Option<DateTime<Utc>>, std::convert::Infallible> {
        Ok(self.0)
    }
}

/// A time bound into a timestamp column (`column.eq(WriteTs(now))`, nullable columns too): on
/// SQLite written by [`format_utc`], the same text Diesel writes for the `DateTime`; on
/// PostgreSQL Diesel's binary `TIMESTAMPTZ`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(any(feature = "sqlite", feature = "postgres"), derive(AsExpression))]
#[cfg_attr(feature = "sqlite", diesel(sql_type = diesel::sql_types::TimestamptzSqlite))]
#[cfg_attr(feature = "postgres", diesel(sql_type = diesel::sql_types::Timestamptz))]
pub struct WriteTs(pub DateTime<Utc>);

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::{format_utc, parse_utc, ReadNullableTs, ReadTs, WriteTs};
    use chrono::{DateTime, Utc};
    use diesel::deserialize::{self, FromSql};
    use diesel::serialize::{self, IsNull, Output, ToSql};
    use diesel::sql_types::{Nullable, TimestamptzSqlite};
    use diesel::sqlite::{Sqlite, SqliteValue};

    impl FromSql<TimestamptzSqlite, Sqlite> for ReadTs {
        fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
            if let Some(time) = parse_utc(value.read_text()) {
                return Ok(ReadTs(time));
            }
            <DateTime<Utc> as FromSql<TimestamptzSqlite, Sqlite>>::from_sql(value).map(ReadTs)
        }
    }

    impl ToSql<TimestamptzSqlite, Sqlite> for WriteTs {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
            match format_utc(&self.0) {
                Some(text) => {
                    out.set_value(text);
                    Ok(IsNull::No)
                }
                None => <DateTime<Utc> as ToSql<TimestamptzSqlite, Sqlite>>::to_sql(&self.0, out),
            }
        }
    }

    impl FromSql<Nullable<TimestamptzSqlite>, Sqlite> for ReadNullableTs {
        fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
            <ReadTs as FromSql<TimestamptzSqlite, Sqlite>>::from_sql(value).map(|t| Self(Some(t.0)))
        }

        fn from_nullable_sql(value: Option<SqliteValue<'_, '_, '_>>) -> deserialize::Result<Self> {
            match value {
                Some(value) => {
                    <Self as FromSql<Nullable<TimestamptzSqlite>, Sqlite>>::from_sql(value)
                }
                None => Ok(Self(None)),
            }
        }
    }
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::{ReadNullableTs, ReadTs, WriteTs};
    use chrono::{DateTime, Utc};
    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::serialize::{self, Output, ToSql};
    use diesel::sql_types::{Nullable, Timestamptz};

    impl ToSql<Timestamptz, Pg> for WriteTs {
        fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
            <DateTime<Utc> as ToSql<Timestamptz, Pg>>::to_sql(&self.0, out)
        }
    }

    /// The binary form read by hand: microseconds since 2000-01-01 00:00 UTC, big-endian, the
    /// same instant chrono's conversion gives (which spends about 400 instructions a value on
    /// `Duration` arithmetic). A value no `DateTime` holds (PostgreSQL's `infinity`) is an
    /// error, as there.
    impl FromSql<Timestamptz, Pg> for ReadTs {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            let bytes: [u8; 8] = value
                .as_bytes()
                .try_into()
                .map_err(|_| "a timestamptz value of other than 8 bytes")?;
            let since_2000 = i64::from_be_bytes(bytes);
            since_2000
                .checked_add(nerve_core::transfer::POSTGRES_EPOCH_MICROS)
                .and_then(DateTime::from_timestamp_micros)
                .map(ReadTs)
                .ok_or_else(|| {
                    format!("timestamptz {since_2000} µs from 2000 is out of range").into()
                })
        }
    }

    impl FromSql<Nullable<Timestamptz>, Pg> for ReadNullableTs {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            <ReadTs as FromSql<Timestamptz, Pg>>::from_sql(value).map(|t| Self(Some(t.0)))
        }

        fn from_nullable_sql(value: Option<PgValue<'_>>) -> deserialize::Result<Self> {
            match value {
                Some(value) => <Self as FromSql<Nullable<Timestamptz>, Pg>>::from_sql(value),
                None => Ok(Self(None)),
            }
        }
    }
}

/// `YYYY-MM-DD HH:MM:SS+00:00`, or with `.` and 3, 6 or 9 fraction digits before the offset:
/// the time, or `None` for any other text (including an impossible date or time).
pub fn parse_utc(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let rest = b.get(19..)?;
    let fraction = rest.strip_suffix(b"+00:00")?;
    let shape_ok = b[4] == b'-' && b[7] == b'-' && b[10] == b' ' && b[13] == b':' && b[16] == b':';
    if !shape_ok {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let nanos = match fraction {
        [] => 0,
        [b'.', f @ ..] if matches!(f.len(), 3 | 6 | 9) => {
            digits(f)? * 10u32.pow(9 - f.len() as u32)
        }
        _ => return None,
    };
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?;
    Some(date.and_time(time).and_utc())
}

/// `t` as Diesel writes a `DateTime` into SQLite (chrono's `%F %T%.f%:z` of the UTC time:
/// `YYYY-MM-DD HH:MM:SS`, then `.` and 3, 6 or 9 digits when the second has a fraction, the
/// fewest that hold it, then `+00:00`), or `None` for a year outside 0000-9999 or a leap
/// second, which chrono writes in other forms.
pub fn format_utc(t: &DateTime<Utc>) -> Option<String> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = t.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    let mut text = String::with_capacity(32);
    let mut push = |before: &str, n: u32, width: u32| {
        text.push_str(before);
        for place in (0..width).rev() {
            let digit = n / 10u32.pow(place) % 10;
            text.push(char::from(b'0' + digit as u8));
        }
    };
    push("", year, 4);
    push("-", t.month(), 2);
    push("-", t.day(), 2);
    push(" ", t.hour(), 2);
    push(":", t.minute(), 2);
    push(":", t.second(), 2);
    match nanos {
        0 => {}
        n if n % 1_000_000 == 0 => push(".", n / 1_000_000, 3),
        n if n % 1_000 == 0 => push(".", n / 1_000, 6),
        n => push(".", n, 9),
    }
    text.push_str("+00:00");
    Some(text)
}

/// The value of a run of ASCII digits (at most 9), or `None` when any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::{format_utc, parse_utc};
    use chrono::{DateTime, TimeZone, Utc};

    /// Diesel's own encoding of `t` (what the store writes), read by chrono's format parser.
    fn diesel_encoding(t: DateTime<Utc>) -> String {
        t.format("%F %T%.f%:z").to_string()
    }

    #[test]
    fn reads_every_form_diesel_writes_as_chrono_does() {
        let base = Utc.with_ymd_and_hms(2026, 12, 5, 3, 4, 5).unwrap();
        for micros in [0, 500_000, 504_118, 1, 999_999, 120_000] {
            let t = base + chrono::Duration::microseconds(micros);
            let text = diesel_encoding(t);
            assert_eq!(parse_utc(&text), Some(t), "{text}");
        }
        let nanos = base + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(parse_utc(&diesel_encoding(nanos)), Some(nanos));
        for edge in [
            "0001-01-01 00:00:00+00:00",
            "9999-12-31 23:59:59.999999+00:00",
        ] {
            let chrono = DateTime::parse_from_str(edge, "%F %T%.f%:z").unwrap();
            assert_eq!(parse_utc(edge), Some(chrono.with_timezone(&Utc)), "{edge}");
        }
    }

    #[test]
    fn writes_the_text_diesel_writes() {
        // Times spread over years 0000-9999 with every kind of fraction, from a fixed seed.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let first = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap().timestamp();
        let last = Utc
            .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
            .unwrap()
            .timestamp();
        let span = u64::try_from(last - first).unwrap();
        for i in 0..20_000u64 {
            let seconds = first + i64::try_from(next() % span).unwrap();
            let nanos = match i % 5 {
                0 => 0,
                1 => (next() % 1_000) as u32 * 1_000_000,
                2 => (next() % 1_000_000) as u32 * 1_000,
                3 => (next() % 1_000_000_000) as u32,
                _ => 1,
            };
            let t = DateTime::from_timestamp(seconds, nanos).unwrap();
            assert_eq!(format_utc(&t).as_deref(), Some(diesel_encoding(t).as_str()));
            assert_eq!(parse_utc(&format_utc(&t).unwrap()), Some(t));
        }
        let edges = [
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(2024, 2, 29, 12, 0, 9).unwrap()
                + chrono::Duration::microseconds(10),
        ];
        for t in edges {
            assert_eq!(format_utc(&t).unwrap(), diesel_encoding(t));
        }
        let outside = [
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(-1, 12, 31, 0, 0, 0).unwrap(),
            DateTime::from_timestamp(59, 1_500_000_000).unwrap(),
        ];
        for t in outside {
            assert_eq!(format_utc(&t), None, "{t:?} goes to Diesel");
        }
    }

    #[test]
    fn leaves_every_other_text_to_diesel() {
        for text in [
            "",
            "2026-12-05",
            "2026-12-05 03:04:05",
            "2026-12-05T03:04:05+00:00",
            "2026-12-05 03:04:05+01:00",
            "2026-12-05 03:04:05Z",
            "2026-12-05 03:04:05.5+00:00",
            "2026-12-05 03:04:05.+00:00",
            "2026-02-30 03:04:05+00:00",
            "2026-12-05 24:00:00+00:00",
            "2026-1a-05 03:04:05+00:00",
            "2461014.5",
            "2026-12-05 03:04:05.123456+00:00 ",
            "ÿ026-12-05 03:04:05+00:00",
        ] {
            assert_eq!(parse_utc(text), None, "{text:?}");
        }
    }
}
