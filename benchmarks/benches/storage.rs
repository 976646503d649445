//! NERVE storage beside hand-written SQL, on SQLite and PostgreSQL: `cargo bench -p
//! nerve-benchmarks`. Each operation is measured twice in the same run on the same database:
//! through the store (`nerve`) and by the baseline (`baseline`, see the crate docs). Criterion
//! reports each; the table at the end gives the ratios (also written to
//! `target/nerve-bench-ratios.md`).
//!
//! PostgreSQL: the server of `NERVE_BENCH_PG_URL`, else `NERVE_TEST_PG_URL`, else
//! `postgres://postgres@127.0.0.1:5432/postgres` (an admin URL: a database
//! `nerve_bench_<pid>` is made there and dropped afterwards). Passwords are hashed with the
//! cheapest argon2id parameters on both sides, so the login benchmark measures the database
//! work rather than the hash.

use criterion::{Criterion, SamplingMode};
use nerve::Backend;
use nerve_benchmarks::fixture::{batch_rows, open, Bench, Side};
use nerve_benchmarks::placement::Placement;
use nerve_benchmarks::Report;
use std::time::{Duration, Instant};

/// Samples criterion measures per benchmark (the report takes the same last ones).
const SAMPLES: usize = 20;
/// Samples of the batch benchmarks (criterion's least).
const BATCH_SAMPLES: usize = 10;
/// Alternating rounds timed for each ratio (batches: `BATCH_ROUNDS`).
const ROUNDS: usize = 21;
const BATCH_ROUNDS: usize = 9;
/// Rows per `batch_insert`.
const BATCH_ROWS: usize = 100_000;

/// Measures `op` of `b` through the store and by the baseline. `call` runs one iteration of a
/// side given its number; `prepare` (untimed) runs before a run of `n` iterations and returns
/// what they use. Criterion measures each side on its own (its report); then, when
/// criterion ran them (a filter may skip them), the two sides are timed in alternating rounds
/// for the ratio, so that whatever drifts during the run (the tables grow, the machine is busy
/// elsewhere) weighs on both alike.
#[allow(clippy::too_many_arguments)]
fn pair<P>(
    c: &mut Criterion,
    report: &Report,
    b: &Bench,
    op: &str,
    samples: usize,
    prepare: impl Fn(&Bench, u64) -> P,
    call: impl Fn(&Bench, Side, &P, u64),
) {
    b.place(if samples == BATCH_SAMPLES {
        Placement::Free
    } else {
        Placement::Apart
    });
    let counter = std::cell::Cell::new(0u64);
    // Runs `iters` iterations of one side (after `prepare`) and returns how long they took.
    let run = |side_is_nerve: bool, iters: u64| {
        let data = prepare(b, iters);
        b.settle();
        let first = counter.get();
        let started = Instant::now();
        let side = if side_is_nerve {
            Side::Nerve
        } else {
            Side::Baseline
        };
        for i in 0..iters {
            call(b, side, &data, first + i);
        }
        let took = started.elapsed();
        counter.set(first + iters);
        took
    };
    let mut group = c.benchmark_group(format!("{}/{op}", b.name));
    group.sample_size(samples);
    if samples == BATCH_SAMPLES {
        group.sampling_mode(SamplingMode::Flat);
        group.measurement_time(Duration::from_secs(5));
    }
    let ran = std::cell::Cell::new(false);
    group.bench_function("nerve", |bencher| {
        ran.set(true);
        bencher.iter_custom(|iters| run(true, iters))
    });
    group.bench_function("baseline", |bencher| {
        bencher.iter_custom(|iters| run(false, iters))
    });
    group.finish();
    if !ran.get() {
        return;
    }
    // Rounds of about 20 ms a side (one iteration for the batches), alternating.
    let once = run(true, 1).max(Duration::from_micros(1));
    let iters = (Duration::from_millis(20).as_nanos() / once.as_nanos()).clamp(1, 5000) as u64;
    let rounds = if samples == BATCH_SAMPLES {
        BATCH_ROUNDS
    } else {
        ROUNDS
    };
    for _ in 0..rounds {
        report.record(b.name, op, "nerve", iters, run(true, iters));
        report.record(b.name, op, "baseline", iters, run(false, iters));
    }
}

fn main() {
    let mut c = Criterion::default()
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let report = Report::default();
    report.rows_per_iteration("batch_insert", BATCH_ROWS as u64);
    let rows = batch_rows(BATCH_ROWS);
    for backend in Backend::ALL {
        let b = open(backend);
        let none = |_: &Bench, _: u64| ();
        let (c, report) = (&mut c, &report);
        pair(
            c,
            report,
            &b,
            "point_read",
            SAMPLES,
            none,
            |b, side, _, _| b.point_read(side),
        );
        pair(
            c,
            report,
            &b,
            "tenant_list_page",
            SAMPLES,
            none,
            |b, side, _, _| b.tenant_page(side),
        );
        pair(c, report, &b, "insert", SAMPLES, none, |b, side, _, i| {
            b.insert(side, i)
        });
        pair(c, report, &b, "update", SAMPLES, none, |b, side, _, i| {
            b.update(side, i)
        });
        pair(
            c,
            report,
            &b,
            "soft_delete",
            SAMPLES,
            |b, n| b.doomed_companies(n),
            |b, side, ids: &Vec<i64>, i| b.soft_delete(side, ids[(i as usize) % ids.len()]),
        );
        pair(
            c,
            report,
            &b,
            "session_validation",
            SAMPLES,
            none,
            |b, side, _, _| b.validate_session(side),
        );
        pair(
            c,
            report,
            &b,
            "api_key_verification",
            SAMPLES,
            none,
            |b, side, _, i| b.verify_api_key(side, i),
        );
        pair(
            c,
            report,
            &b,
            "login_attempt_recording",
            SAMPLES,
            none,
            |b, side, _, i| b.record_login_attempt(side, i),
        );
        pair(
            c,
            report,
            &b,
            "batch_insert",
            BATCH_SAMPLES,
            none,
            |b, side, _, _| b.batch_insert(side, &rows),
        );
    }
    c.final_summary();
    let table = report.table();
    println!(
        "\nNERVE storage beside hand-written SQL (median over alternating rounds of the time \
         per call; ratio = NERVE / baseline):\n\n{table}"
    );
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_string());
    let _ = std::fs::write(format!("{target}/nerve-bench-ratios.md"), &table);
}
