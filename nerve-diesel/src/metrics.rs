//! Timings of store operations: count, p50, p95 and max per operation, and the slow ones
//! waiting to be written to `slow_queries`.

use chrono::{DateTime, Utc};
use nerve_core::model::OperationStats;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

/// How many of an operation's latest durations the percentiles are computed over.
const RECENT: usize = 1024;
/// The most slow operations held in memory before they are written (the oldest dropped).
const PENDING_MAX: usize = 1024;

#[derive(Debug, Default)]
struct Samples {
    count: u64,
    recent: VecDeque<u64>,
    max: u64,
}

/// One slow operation not written yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlowRun {
    /// The operation, as `Trait::method`.
    pub operation: String,
    /// Its duration in microseconds.
    pub duration_us: i64,
    /// When it finished (the store clock).
    pub at: DateTime<Utc>,
}

/// Per-operation timings of one store. Operations are keyed by the `type_name` of a function
/// item in the calling method (see [`op_name!`](crate::op_name)); [`Metrics::snapshot`] turns
/// that into `Trait::method`.
#[derive(Debug)]
pub struct Metrics {
    ops: Mutex<HashMap<&'static str, Samples>>,
    pending: Mutex<VecDeque<SlowRun>>,
    /// Runs at least this long are slow.
    pub threshold: Duration,
    /// The most rows `slow_queries` keeps.
    pub cap: u32,
}

impl Metrics {
    /// Empty timings with the slow-run threshold and the table's cap.
    pub fn new(threshold: Duration, cap: u32) -> Self {
        Metrics {
            ops: Mutex::new(HashMap::new()),
            pending: Mutex::new(VecDeque::new()),
            threshold,
            cap,
        }
    }

    /// Records one run of `op` that took `took` and ended at `at()` (read only for a slow run).
    pub fn record(&self, op: &'static str, took: Duration, at: impl FnOnce() -> DateTime<Utc>) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        if let Ok(mut ops) = self.ops.lock() {
            let s = ops.entry(op).or_default();
            s.count += 1;
            s.max = s.max.max(us);
            if s.recent.len() == RECENT {
                s.recent.pop_front();
            }
            s.recent.push_back(us);
        }
        if took >= self.threshold {
            // Read first: the clock is the run's end, not the logging's.
            let at = at();
            tracing::warn!(
                operation = op,
                took_ms = took.as_millis() as u64,
                threshold_ms = self.threshold.as_millis() as u64,
                "slow operation"
            );
            if let Ok(mut pending) = self.pending.lock() {
                if pending.len() == PENDING_MAX {
                    pending.pop_front();
                }
                pending.push_back(SlowRun {
                    operation: operation_name(op),
                    duration_us: i64::try_from(us).unwrap_or(i64::MAX),
                    at,
                });
            }
        }
    }

    /// Takes the slow runs not written yet.
    pub fn take_slow(&self) -> Vec<SlowRun> {
        self.pending
            .lock()
            .map(|mut p| p.drain(..).collect())
            .unwrap_or_default()
    }

    /// Puts back slow runs that could not be written, before the ones recorded meanwhile
    /// (the oldest dropped past the in-memory bound).
    pub fn requeue(&self, runs: Vec<SlowRun>) {
        if let Ok(mut pending) = self.pending.lock() {
            for run in runs.into_iter().rev() {
                if pending.len() == PENDING_MAX {
                    break;
                }
                pending.push_front(run);
            }
        }
    }

    /// Whether slow runs wait to be written.
    pub fn has_slow(&self) -> bool {
        self.pending.lock().map(|p| !p.is_empty()).unwrap_or(false)
    }

    /// Every operation's figures, by operation name.
    pub fn snapshot(&self) -> Vec<OperationStats> {
        let Ok(ops) = self.ops.lock() else {
            return Vec::new();
        };
        let mut by_name: HashMap<String, (u64, Vec<u64>, u64)> = HashMap::new();
        for (op, s) in ops.iter() {
            let e = by_name.entry(operation_name(op)).or_default();
            e.0 += s.count;
            e.1.extend(s.recent.iter().copied());
            e.2 = e.2.max(s.max);
        }
        let mut out: Vec<OperationStats> = by_name
            .into_iter()
            .map(|(operation, (count, mut recent, max_us))| {
                recent.sort_unstable();
                OperationStats {
                    operation,
                    count,
                    p50_us: percentile(&recent, 50),
                    p95_us: percentile(&recent, 95),
                    max_us,
                }
            })
            .collect();
        out.sort_by(|a, b| a.operation.cmp(&b.operation));
        out
    }
}

/// The `p`-th percentile of sorted `values` (nearest rank); 0 for none.
fn percentile(sorted: &[u64], p: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// `Trait::method` from the type name of a function item declared in a trait method's body:
/// `crate::m::<impl nerve_core::store::bait::BaitStore for crate::Scope>::create_token::here`
/// gives `BaitStore::create_token`. Anything else is returned with `::here` and closures
/// removed.
pub fn operation_name(type_name: &str) -> String {
    let path = type_name.trim_end_matches("::here");
    let path = path.trim_end_matches("::{{closure}}");
    let method = path.rsplit("::").next().unwrap_or(path);
    let owner = path
        .rfind("<impl ")
        .and_then(|start| {
            let imp = &path[start + 6..];
            let end = imp.find(" for ")?;
            imp[..end].rsplit("::").next()
        })
        .or_else(|| path.rsplit("::").nth(1));
    match owner {
        Some(owner) => format!("{owner}::{method}"),
        None => method.to_string(),
    }
}

/// The calling function's identity, for [`Metrics`]: the type name of a function item declared
/// here.
#[doc(hidden)]
#[macro_export]
macro_rules! op_name {
    () => {{
        fn here() {}
        ::std::any::type_name_of_val(&here)
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_percentiles() {
        assert_eq!(
            operation_name(
                "nerve_sqlite::store::_::<impl nerve_core::store::bait::BaitStore for nerve_sqlite::store::Scope>::create_token::here"
            ),
            "BaitStore::create_token"
        );
        assert_eq!(operation_name("a::b::Scope::helper::here"), "Scope::helper");
        let m = Metrics::new(Duration::from_millis(5), 10);
        let at = Utc::now();
        for us in 1..=100 {
            m.record(
                "x::<impl T for S>::op::here",
                Duration::from_micros(us),
                || at,
            );
        }
        m.record(
            "x::<impl T for S>::op::here",
            Duration::from_millis(6),
            || at,
        );
        let s = m.snapshot();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].operation.as_str(), s[0].count, s[0].max_us),
            ("T::op", 101, 6000)
        );
        assert_eq!((s[0].p50_us, s[0].p95_us), (51, 96));
        let slow = m.take_slow();
        assert_eq!(slow.len(), 1);
        assert_eq!(
            (slow[0].operation.as_str(), slow[0].duration_us),
            ("T::op", 6000)
        );
        assert!(!m.has_slow());
    }
}
