//! One benchmarked operation run N times, through the store or by the baseline, for a profiler:
//! `scripts/profile.sh` runs it under callgrind, whose instruction counts do not depend on the
//! machine's noise, and collects only inside [`measured`] (the fixture, the migrations and a
//! warm-up of 100 calls, which fills every statement cache, are left out).
//!
//! `cargo run --release -p nerve-benchmarks --example profile -- BACKEND OP SIDE N`, with BACKEND
//! `sqlite` or `postgres` (the server of `NERVE_BENCH_PG_URL`, as for the benchmarks), OP one of
//! [`OPS`] and SIDE `nerve` or `baseline`.

use nerve::Backend;
use nerve_benchmarks::fixture::{batch_rows, open, Bench, Side};

/// Rows per `batch_insert` call here: the benchmark's batches are larger (100 000 rows), so
/// the cost per row is what compares. On SQLite a call is one statement of 1000 rows here,
/// where the benchmark's go in statements of as many rows as the bind limit allows.
const BATCH_ROWS: usize = 1000;

/// The operations this example runs.
const OPS: [&str; 9] = [
    "point_read",
    "tenant_list_page",
    "insert",
    "update",
    "soft_delete",
    "session_validation",
    "api_key_verification",
    "login_attempt_recording",
    "batch_insert",
];

fn usage() -> ! {
    eprintln!(
        "usage: profile BACKEND OP SIDE N (BACKEND sqlite|postgres, OP {}, SIDE nerve|baseline)",
        OPS.join("|")
    );
    std::process::exit(2)
}

/// Runs `op` `n` times on one side; `ids` are the companies `soft_delete` uses up, `rows`
/// what `batch_insert` writes.
fn run(b: &Bench, op: &str, side: Side, n: u64, ids: &mut Vec<i64>, rows: &[serde_json::Value]) {
    for i in 0..n {
        match op {
            "point_read" => b.point_read(side),
            "tenant_list_page" => b.tenant_page(side),
            "insert" => b.insert(side, i),
            "update" => b.update(side, i),
            "soft_delete" => b.soft_delete(side, ids.pop().expect("a company to delete")),
            "session_validation" => b.validate_session(side),
            "api_key_verification" => b.verify_api_key(side, i),
            "login_attempt_recording" => b.record_login_attempt(side, i),
            "batch_insert" => b.batch_insert(side, rows),
            _ => usage(),
        }
    }
}

/// The calls the profiler counts.
#[inline(never)]
fn measured(
    b: &Bench,
    op: &str,
    side: Side,
    n: u64,
    ids: &mut Vec<i64>,
    rows: &[serde_json::Value],
) {
    run(b, op, side, n, ids, rows)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [backend, op, side, n] = args.as_slice() else {
        usage()
    };
    let backend = match backend.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" => Backend::Postgres,
        _ => usage(),
    };
    if !OPS.contains(&op.as_str()) {
        usage()
    }
    let side = match side.as_str() {
        "nerve" => Side::Nerve,
        "baseline" => Side::Baseline,
        _ => usage(),
    };
    let n: u64 = n.parse().unwrap_or_else(|_| usage());
    let b = open(backend);
    const WARM_UP: u64 = 100;
    let mut ids = if op == "soft_delete" {
        b.doomed_companies(n + WARM_UP)
    } else {
        Vec::new()
    };
    let rows = if op == "batch_insert" {
        batch_rows(BATCH_ROWS)
    } else {
        Vec::new()
    };
    run(&b, op, side, WARM_UP, &mut ids, &rows);
    measured(&b, op, side, n, &mut ids, &rows);
}
