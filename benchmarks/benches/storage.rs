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

use criterion::{black_box, Criterion, SamplingMode};
use nerve::model::{Deleted, LoginRequest, NewCompany, Page};
use nerve::Backend;
use nerve_benchmarks::fixture::{address, open, Bench, PASSWORD, SCOPE};
use nerve_benchmarks::{Baseline, Report};
use std::time::{Duration, Instant};

/// Samples criterion measures per benchmark (the report takes the same last ones).
const SAMPLES: usize = 20;
/// Samples of the batch benchmarks (criterion's least).
const BATCH_SAMPLES: usize = 10;
/// Alternating rounds timed for each ratio (batches: `BATCH_ROUNDS`).
const ROUNDS: usize = 21;
const BATCH_ROUNDS: usize = 5;
/// Rows per `batch_insert`.
const BATCH_ROWS: usize = 100_000;
/// Users per page.
const PAGE: u32 = 50;

/// Measures `op` of `b` through the store and by the baseline. `nerve` and `baseline` run one
/// iteration given its number; `prepare` (untimed) runs before a run of `n` iterations and
/// returns what they use. Criterion measures each side on its own (its report); then, when
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
    nerve: impl Fn(&Bench, &P, u64),
    baseline: impl Fn(&mut dyn Baseline, &Bench, &P, u64),
) {
    let counter = std::cell::Cell::new(0u64);
    // Runs `iters` iterations of one side (after `prepare`) and returns how long they took.
    let run = |side_is_nerve: bool, iters: u64| {
        let data = prepare(b, iters);
        let first = counter.get();
        let started = Instant::now();
        for i in 0..iters {
            if side_is_nerve {
                nerve(b, &data, first + i);
            } else {
                baseline(&mut **b.baseline.borrow_mut(), b, &data, first + i);
            }
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
    let rows: Vec<serde_json::Value> = (0..BATCH_ROWS)
        .map(|i| {
            serde_json::json!({
                "email": format!("bulk{i}@bench.example"),
                "user_id": null,
                "ip_address": address(i as u64),
                "user_agent": null,
                "success": false,
                "failure": "bad_password",
                "attempted_at": "2026-11-27T09:00:00.123456Z",
            })
        })
        .collect();
    for backend in Backend::ALL {
        let b = open(backend);
        let none = |_: &Bench, _: u64| ();
        pair(
            &mut c,
            &report,
            &b,
            "point_read",
            SAMPLES,
            none,
            |b, _, _| {
                black_box(b.store.companies().get(b.tenant).expect("get"));
            },
            |base, b, _, _| {
                black_box(base.point_read(b.tenant));
            },
        );
        pair(
            &mut c,
            &report,
            &b,
            "tenant_list_page",
            SAMPLES,
            none,
            |b, _, _| {
                let page = b
                    .store
                    .users()
                    .list(b.tenant, Page::first(PAGE), Deleted::Exclude);
                assert_eq!(black_box(page.expect("a page")).len(), PAGE as usize);
            },
            |base, b, _, _| {
                assert_eq!(
                    black_box(base.tenant_page(b.tenant, PAGE)).len(),
                    PAGE as usize
                );
            },
        );
        pair(
            &mut c,
            &report,
            &b,
            "insert",
            SAMPLES,
            none,
            |b, _, i| {
                black_box(
                    b.store
                        .companies()
                        .create(&NewCompany {
                            name: format!("Company {i}"),
                            domain: None,
                        })
                        .expect("create"),
                );
            },
            |base, _, _, i| {
                black_box(base.insert(&format!("Company {i}")));
            },
        );
        pair(
            &mut c,
            &report,
            &b,
            "update",
            SAMPLES,
            none,
            |b, _, i| {
                let changes = nerve::model::CompanyUpdate {
                    name: Some(format!("Tenant {i}")),
                    ..Default::default()
                };
                black_box(
                    b.store
                        .companies()
                        .update(b.tenant, &changes)
                        .expect("update"),
                );
            },
            |base, b, _, i| {
                black_box(base.update(b.tenant, &format!("Tenant {i}")));
            },
        );
        pair(
            &mut c,
            &report,
            &b,
            "soft_delete",
            SAMPLES,
            |b, n| {
                (0..n)
                    .map(|i| {
                        b.store
                            .companies()
                            .create(&NewCompany {
                                name: format!("Doomed {i}"),
                                domain: None,
                            })
                            .expect("create")
                            .id
                    })
                    .collect::<Vec<_>>()
            },
            |b, ids, i| {
                b.store
                    .companies()
                    .soft_delete(ids[(i as usize) % ids.len()])
                    .expect("soft delete")
            },
            |base, _, ids, i| base.soft_delete(ids[(i as usize) % ids.len()]),
        );
        pair(
            &mut c,
            &report,
            &b,
            "session_validation",
            SAMPLES,
            none,
            |b, _, _| {
                black_box(b.store.sessions().validate(&b.token).expect("valid"));
            },
            |base, b, _, _| {
                black_box(base.validate_session(&b.token));
            },
        );
        pair(
            &mut c,
            &report,
            &b,
            "api_key_verification",
            SAMPLES,
            none,
            |b, _, i| {
                black_box(
                    b.store
                        .api_keys()
                        .verify(&b.key, SCOPE, Some(&address(i)))
                        .expect("valid"),
                );
            },
            |base, b, _, i| {
                black_box(base.verify_api_key(&b.key, SCOPE, &address(i)));
            },
        );
        pair(
            &mut c,
            &report,
            &b,
            "login_attempt_recording",
            SAMPLES,
            none,
            |b, _, i| {
                let refused = b.store.auth().login(&LoginRequest {
                    email: "nobody@bench.example".into(),
                    password: PASSWORD.into(),
                    ip_address: Some(address(i)),
                    user_agent: None,
                });
                assert!(
                    matches!(refused, Err(nerve::Error::Denied { .. })),
                    "{refused:?}"
                );
            },
            |base, b, _, i| {
                base.record_login_attempt(
                    "nobody@bench.example",
                    PASSWORD,
                    &address(1 << 23 | i),
                    &b.dummy_hash,
                )
            },
        );
        pair(
            &mut c,
            &report,
            &b,
            "batch_insert",
            BATCH_SAMPLES,
            none,
            |b, _, _| {
                assert_eq!(
                    b.store
                        .raw_rows()
                        .batch_insert("login_attempts", &rows)
                        .expect("batch"),
                    BATCH_ROWS as u64
                );
            },
            |base, _, _, _| {
                assert_eq!(base.batch_insert(&rows), BATCH_ROWS as u64);
            },
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
