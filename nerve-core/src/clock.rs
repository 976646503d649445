//! The injectable clock.
//!
//! Stores never call `Utc::now()` themselves: every timestamp they write or compare comes from
//! the [`Clock`] they were opened with, so expiries and lockout windows are tested by moving a
//! [`TestClock`] instead of sleeping. All instants are UTC, truncated to microseconds (the
//! precision PostgreSQL keeps), so a value read back equals the value written on both backends.

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use std::fmt::Debug;
use std::sync::Mutex;

/// A source of the current time.
pub trait Clock: Send + Sync + Debug {
    /// The current instant, UTC, truncated to whole microseconds.
    fn now(&self) -> DateTime<Utc>;
}

/// Truncates `t` to whole microseconds (towards the past).
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    // Truncation to 1 µs cannot overflow for any representable instant.
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// Whether `t` can be stored alike on every backend: years 1 to 9999 (UTC). SQLite keeps
/// timestamps as `YYYY-MM-DD ...` text and PostgreSQL refuses years before 4713 BC.
pub fn storable(t: DateTime<Utc>) -> bool {
    use chrono::Datelike;
    (1..=9999).contains(&t.year())
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate_micros(Utc::now())
    }
}

/// A clock that only moves when told to; for tests.
#[derive(Debug)]
pub struct TestClock {
    now: Mutex<DateTime<Utc>>,
}

impl TestClock {
    /// A clock standing at `start` (truncated to microseconds).
    pub fn new(start: DateTime<Utc>) -> Self {
        TestClock {
            now: Mutex::new(truncate_micros(start)),
        }
    }

    /// Sets the time to `t` (truncated to microseconds).
    pub fn set(&self, t: DateTime<Utc>) {
        *self.lock() = truncate_micros(t);
    }

    /// Moves the time by `by` (which may be negative) and returns the new time.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut now = self.lock();
        *now = truncate_micros(*now + by);
        *now
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A panic while holding this lock cannot leave the value half-written.
        self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

/// The instant an operator's age argument names: `age` before `now` (`90d`, `12h`, `30m`:
/// whole days, hours or minutes), or the date (`2026-01-31`, its midnight UTC) or RFC 3339
/// time it gives, truncated to microseconds. Errors: [`Error::Validation`] on field
/// `older_than`, quoting the argument, for anything else and for an instant outside the
/// years 1 to 9999, which not every backend stores. Never panics, whatever the text.
pub fn cutoff(age: &str, now: DateTime<Utc>) -> crate::Result<DateTime<Utc>> {
    let invalid = || crate::Error::Validation {
        table: "-",
        field: "older_than",
        reason: format!(
            "{age:?} is not an age (90d, 12h, 30m) or a date (2026-01-31) or RFC 3339 time \
             within the years 1 to 9999"
        ),
    };
    let named = if let Some((n, unit)) = age
        .char_indices()
        .last()
        .map(|(i, c)| (&age[..i], c))
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        let n: i64 = n.parse().map_err(|_| invalid())?;
        let span = match unit {
            'd' => Duration::try_days(n),
            'h' => Duration::try_hours(n),
            'm' => Duration::try_minutes(n),
            _ => None,
        };
        span.and_then(|s| now.checked_sub_signed(s))
    } else if let Ok(t) = DateTime::parse_from_rfc3339(age) {
        Some(t.with_timezone(&Utc))
    } else {
        chrono::NaiveDate::parse_from_str(age, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    };
    named
        .map(truncate_micros)
        .filter(|t| storable(*t))
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_clock_truncates_and_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = TestClock::new(start);
        assert_eq!(c.now().timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(c.now(), c.now());
        let later = c.advance(Duration::minutes(15));
        assert_eq!(
            later - start.duration_trunc(TimeDelta::microseconds(1)).unwrap(),
            Duration::minutes(15)
        );
        assert_eq!(SystemClock.now().timestamp_subsec_nanos() % 1000, 0);
    }
}
