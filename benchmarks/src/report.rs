//! The ratios: rounds timed alternately on each side are recorded here (time per iteration of
//! each round), and [`Report::table`] puts every operation beside its baseline.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Samples by `(backend, operation, side)`, side being `nerve` or `baseline`.
#[derive(Default)]
pub struct Report {
    samples: Mutex<BTreeMap<(String, String, String), Vec<f64>>>,
    /// Rows per iteration, for operations reported as throughput.
    rows: Mutex<BTreeMap<String, u64>>,
    order: Mutex<Vec<(String, String)>>,
}

/// The median of `v` (not empty).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn human(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

impl Report {
    /// Records one sample: `iters` iterations took `took`.
    pub fn record(&self, backend: &str, op: &str, side: &str, iters: u64, took: Duration) {
        let key = (backend.to_string(), op.to_string(), side.to_string());
        let per = took.as_nanos() as f64 / iters.max(1) as f64;
        let mut order = self.order.lock().unwrap();
        let pair = (backend.to_string(), op.to_string());
        if !order.contains(&pair) {
            order.push(pair);
        }
        self.samples
            .lock()
            .unwrap()
            .entry(key)
            .or_default()
            .push(per);
    }

    /// Reports `op` also as rows per second, `rows` rows an iteration.
    pub fn rows_per_iteration(&self, op: &str, rows: u64) {
        self.rows.lock().unwrap().insert(op.to_string(), rows);
    }

    /// The table: per backend and operation, the median time per call of NERVE's side and of
    /// the baseline over their recorded rounds, and their ratio (a Markdown table).
    pub fn table(&self) -> String {
        let all = self.samples.lock().unwrap();
        let rows = self.rows.lock().unwrap();
        let mut out = String::from(
            "| backend | operation | NERVE | baseline | ratio |\n|---|---|---|---|---|\n",
        );
        for (backend, op) in self.order.lock().unwrap().iter() {
            let side = |s: &str| {
                all.get(&(backend.clone(), op.clone(), s.to_string()))
                    .filter(|v| !v.is_empty())
                    .map(|v| median(v.clone()))
            };
            let (Some(nerve), Some(base)) = (side("nerve"), side("baseline")) else {
                continue;
            };
            let show = |ns: f64| match rows.get(op) {
                Some(&n) => format!("{} ({:.0} k rows/s)", human(ns), n as f64 / ns * 1e6),
                None => human(ns),
            };
            out.push_str(&format!(
                "| {backend} | {op} | {} | {} | {:.2}× |\n",
                show(nerve),
                show(base),
                nerve / base
            ));
        }
        out
    }
}
