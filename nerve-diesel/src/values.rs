//! [`ReadTs`] and [`ReadNullableTs`]: what the rows of both drivers decode a timestamp column
//! into before it becomes a `DateTime<Utc>`.
//!
//! Reading SQLite's timestamp text fast: Diesel reads a `TimestamptzSqlite` value by trying up
//! to 26 chrono format strings in turn, which the profile of a point read found to be 31% of
//! its instructions. Every timestamp the store writes is Diesel's own encoding of a UTC time
//! truncated to microseconds, `YYYY-MM-DD HH:MM:SS[.f]+00:00` with 0, 3, 6 or 9 fraction
//! digits, so that form is read here by hand ([`parse_utc`]); any other text (written by
//! another tool, an older version, a julian day) goes to Diesel's reader, so what is accepted
//! and what it means do not change. Writing is left to Diesel: the stored text, which the
//! schema compares and orders as text, stays byte for byte what it was. PostgreSQL sends a
//! `TIMESTAMPTZ` binary, read by Diesel's own reader.
//!
//! The backend implementations are compiled with this crate's `sqlite` and `postgres`
//! features, which the driver crates turn on.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::deserialize::FromSqlRow;

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

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::{parse_utc, ReadNullableTs, ReadTs};
    use chrono::{DateTime, Utc};
    use diesel::deserialize::{self, FromSql};
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
    use super::{ReadNullableTs, ReadTs};
    use chrono::{DateTime, Utc};
    use diesel::deserialize::{self, FromSql};
    use diesel::pg::{Pg, PgValue};
    use diesel::sql_types::{Nullable, Timestamptz};

    impl FromSql<Timestamptz, Pg> for ReadTs {
        fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
            <DateTime<Utc> as FromSql<Timestamptz, Pg>>::from_sql(value).map(ReadTs)
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

/// The value of a run of ASCII digits (at most 9), or `None` when any byte is not a digit.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::parse_utc;
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
