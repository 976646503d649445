//! One benchmarked operation run N times, through the store or by the baseline, for a profiler:
//! `scripts/profile.sh` runs it under callgrind, whose instruction counts do not depend on the
//! machine's noise, and collects only inside [`measured`] (the fixture, the migrations and a
//! warm-up of 100 calls, which fills every statement cache, are left out).
//!
//! `cargo run --release -p nerve-benchmarks --example profile -- BACKEND OP SIDE N`, with BACKEND
//! `sqlite` or `postgres` (the server of `NERVE_BENCH_PG_URL`, as for the benchmarks), OP one of
//! [`OPS`] and SIDE `nerve` or `baseline`.

use nerve::model::NewCompany;
use nerve::Backend;
use nerve_benchmarks::fixture::{address, open, Bench, SCOPE};
use std::hint::black_box;

/// The operations this example runs (those of the benchmarks that run in microseconds).
const OPS: [&str; 6] = [
    "point_read",
    "insert",
    "update",
    "soft_delete",
    "session_validation",
    "api_key_verification",
];

fn usage() -> ! {
    eprintln!(
        "usage: profile BACKEND OP SIDE N (BACKEND sqlite|postgres, OP {}, SIDE nerve|baseline)",
        OPS.join("|")
    );
    std::process::exit(2)
}

/// Runs `op` `n` times on one side; `ids` are the companies `soft_delete` uses up.
fn run(b: &Bench, op: &str, nerve: bool, n: u64, ids: &mut Vec<i64>) {
    for i in 0..n {
        match (op, nerve) {
            ("point_read", true) => {
                black_box(b.store.companies().get(b.tenant).expect("get"));
            }
            ("point_read", false) => {
                black_box(b.baseline.borrow_mut().point_read(b.tenant));
            }
            ("insert", true) => {
                let new = NewCompany {
                    name: format!("Company {i}"),
                    domain: None,
                };
                black_box(b.store.companies().create(&new).expect("create"));
            }
            ("insert", false) => {
                black_box(b.baseline.borrow_mut().insert(&format!("Company {i}")));
            }
            ("update", true) => {
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
            }
            ("update", false) => {
                black_box(
                    b.baseline
                        .borrow_mut()
                        .update(b.tenant, &format!("Tenant {i}")),
                );
            }
            ("soft_delete", true) => {
                let id = ids.pop().expect("a company to delete");
                b.store.companies().soft_delete(id).expect("soft delete");
            }
            ("soft_delete", false) => {
                let id = ids.pop().expect("a company to delete");
                b.baseline.borrow_mut().soft_delete(id);
            }
            ("session_validation", true) => {
                black_box(b.store.sessions().validate(&b.token).expect("valid"));
            }
            ("session_validation", false) => {
                black_box(b.baseline.borrow_mut().validate_session(&b.token));
            }
            ("api_key_verification", true) => {
                let key = b.store.api_keys().verify(&b.key, SCOPE, Some(&address(i)));
                black_box(key.expect("valid"));
            }
            ("api_key_verification", false) => {
                black_box(
                    b.baseline
                        .borrow_mut()
                        .verify_api_key(&b.key, SCOPE, &address(i)),
                );
            }
            _ => usage(),
        }
    }
}

/// The calls the profiler counts.
#[inline(never)]
fn measured(b: &Bench, op: &str, nerve: bool, n: u64, ids: &mut Vec<i64>) {
    run(b, op, nerve, n, ids)
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
    let nerve = match side.as_str() {
        "nerve" => true,
        "baseline" => false,
        _ => usage(),
    };
    let n: u64 = n.parse().unwrap_or_else(|_| usage());
    let b = open(backend);
    const WARM_UP: u64 = 100;
    let mut ids: Vec<i64> = if op == "soft_delete" {
        (0..n + WARM_UP)
            .map(|i| {
                let new = NewCompany {
                    name: format!("Doomed {i}"),
                    domain: None,
                };
                b.store.companies().create(&new).expect("create").id
            })
            .collect()
    } else {
        Vec::new()
    };
    run(&b, op, nerve, WARM_UP, &mut ids);
    measured(&b, op, nerve, n, &mut ids);
}
