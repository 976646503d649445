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
