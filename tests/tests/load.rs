//! Concurrency under load, bounded in time: many threads doing a realistic mix (80% reads,
//! 20% writes: login attempts and BAIT accesses) for `LOAD_SECONDS`. No error reaches a caller
//! ("database is locked" least of all), and no write is lost: every recorded call has its row,
//! and the BAIT counters equal their rows. Latency percentiles are printed and written to
//! `<target>/tmp/nerve-load-<backend>.txt`.
//!
//! SQLite: 16 threads on one file (one writer at a time, each waiting its turn). PostgreSQL:
//! 64 threads on a pool of 16 connections.

use nerve::model::{
    BaitTokenType, Deleted, LoginRequest, NewBaitAccess, NewBaitToken, NewCompany, NewUser, Page,
    Role,
};
use nerve::{Backend, Error, MigrationPolicy, Store};
use nerve_conformance::{start_time, test_options, TestDb};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long each backend is loaded.
const LOAD_SECONDS: u64 = 10;

const USERS: usize = 8;
const TOKENS: usize = 8;
const PASSWORD: &str = "load test passphrase";

struct Fixture {
    company: i64,
    users: Vec<(i64, String)>,
    tokens: Vec<(i64, String)>,
}

fn fixture(store: &dyn Store) -> nerve::Result<Fixture> {
    let company = store
        .companies()
        .create(&NewCompany {
            name: "Load".into(),
            domain: None,
        })?
        .id;
    let mut users = Vec::new();
    for i in 0..USERS {
        let email = format!("user{i}@load.example");
        let u = store.users().create(
            company,
            &NewUser {
                email: email.clone(),
                password: PASSWORD.into(),
                full_name: None,
                role: Role::Analyst,
            },
        )?;
        users.push((u.id, email));
    }
    let mut tokens = Vec::new();
    for i in 0..TOKENS {
        let value = format!("https://bait.example/{i}");
        let t = store.bait().create_token(
            company,
            &NewBaitToken {
                user_id: None,
                token_type: BaitTokenType::Url,
                token_value: value.clone(),
                label: format!("token {i}"),
                description: None,
                metadata: None,
            },
        )?;
        tokens.push((t.id, value));
    }
    Ok(Fixture {
        company,
        users,
        tokens,
    })
}

/// What the threads did.
#[derive(Default)]
struct Tally {
    reads: AtomicU64,
    logins: AtomicU64,
    accesses: AtomicU64,
    errors: Mutex<Vec<String>>,
    latencies_us: Mutex<Vec<u64>>,
}

/// One call of the mix, chosen by `n` (80% reads, 10% logins, 10% BAIT accesses).
fn one_call(store: &dyn Store, f: &Fixture, n: u64, tally: &Tally) -> Result<(), Error> {
    let user = &f.users[(n as usize / 10) % f.users.len()];
    let token = &f.tokens[(n as usize / 10) % f.tokens.len()];
    match n % 10 {
        0 => {
            // A login attempt: right password, or an unknown account; both are recorded.
            let email = if n.is_multiple_of(20) {
                user.1.clone()
            } else {
                format!("nobody{n}@load.example")
            };
            let result = store.auth().login(&LoginRequest {
                email,
                password: PASSWORD.into(),
                ip_address: None,
                user_agent: Some("load".into()),
            });
            match result {
                Ok(_) | Err(Error::Denied { .. }) => {
                    tally.logins.fetch_add(1, Ordering::Relaxed);
                    Ok(())
                }
                Err(e) => Err(e),
            }
        }
        1 => {
            store.bait().record_access(
                &token.1,
                &NewBaitAccess {
                    ip_address: Some("203.0.113.7".into()),
                    user_agent: Some("curl/8".into()),
                    location: None,
                    raw_request: None,
                },
            )?;
            tally.accesses.fetch_add(1, Ordering::Relaxed);
            Ok(())
        }
        2 | 3 => store.companies().get(f.company).map(drop),
        4 | 5 => store.users().get(f.company, user.0).map(drop),
        6 | 7 => store
            .users()
            .list(f.company, Page::first(20), Deleted::Exclude)
            .map(drop),
        8 => store.bait().get_token(f.company, token.0).map(drop),
        _ => store
            .bait()
            .list_tokens(f.company, Page::first(20), Deleted::Exclude)
            .map(drop),
    }
    .inspect(|()| {
        if n % 10 >= 2 {
            tally.reads.fetch_add(1, Ordering::Relaxed);
        }
    })
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn count(db: &TestDb, sql: &str) -> u64 {
    db.query_strings(sql).expect("a count")[0]
        .parse()
        .expect("a number")
}

/// One load at a time: each backend gets the whole machine for its run.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn load(backend: Backend, threads: usize, pool: u32) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let db = TestDb::migrated(backend).unwrap_or_else(|e| panic!("[{backend}] {e}"));
    let clock = Arc::new(nerve::TestClock::new(start_time()));
    let mut options = test_options(clock, MigrationPolicy::Require);
    options.max_connections = pool;
    options.connect_timeout = Duration::from_secs(30);
    let store = nerve::connect_with(&db.url, &options).expect("a store");
    let f = fixture(store.as_ref()).expect("the fixture");
    let tally = Tally::default();
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (store, f, tally, stop) = (store.as_ref(), &f, &tally, &stop);
            s.spawn(move || {
                let mut n = t as u64 * 7;
                let mut latencies = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let begun = Instant::now();
                    if let Err(e) = one_call(store, f, n, tally) {
                        tally.errors.lock().unwrap().push(format!("call {n}: {e}"));
                    }
                    latencies.push(begun.elapsed().as_micros() as u64);
                    n += 1;
                }
                tally.latencies_us.lock().unwrap().extend(latencies);
            });
        }
        std::thread::sleep(Duration::from_secs(LOAD_SECONDS));
        stop.store(true, Ordering::Relaxed);
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = tally.latencies_us.into_inner().unwrap();
    latencies.sort_unstable();
    let (reads, logins, accesses) = (
        tally.reads.into_inner(),
        tally.logins.into_inner(),
        tally.accesses.into_inner(),
    );
    let report = format!(
        "{backend}: {threads} threads, pool {pool}, {elapsed:.1} s: {} calls ({:.0}/s; {reads} \
         reads, {logins} login attempts, {accesses} BAIT accesses); latency p50 {} µs, p95 {} \
         µs, p99 {} µs, max {} µs ({} over 1 s)",
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or(0),
        latencies.iter().filter(|l| **l > 1_000_000).count(),
    );
    eprintln!("{report}");
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("nerve-load-{}.txt", backend.name())),
        format!("{report}\n"),
    );

    let errors = tally.errors.into_inner().unwrap();
    assert!(
        errors.is_empty(),
        "[{backend}] {} call(s) failed, first: {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(reads > 0 && logins > 0 && accesses > 0, "{report}");
    // No lost writes: every recorded call has its row, and the counters equal their rows.
    assert_eq!(
        count(
            &db,
            "SELECT CAST(count(*) AS TEXT) AS value FROM login_attempts"
        ),
        logins,
        "[{backend}] login attempts"
    );
    assert_eq!(
        count(
            &db,
            "SELECT CAST(count(*) AS TEXT) AS value FROM bait_accesses"
        ),
        accesses,
        "[{backend}] BAIT accesses"
    );
    assert_eq!(
        count(
            &db,
            "SELECT CAST(sum(access_count) AS TEXT) AS value FROM bait_tokens"
        ),
        accesses,
        "[{backend}] BAIT counters"
    );
    let unequal = db
        .query_strings(
            "SELECT CAST(t.id AS TEXT) AS value FROM bait_tokens t WHERE t.access_count <> \
             (SELECT count(*) FROM bait_accesses a WHERE a.token_id = t.id)",
        )
        .unwrap();
    assert!(
        unequal.is_empty(),
        "[{backend}] tokens whose counter differs: {unequal:?}"
    );
}

#[test]
fn sqlite_16_threads_lose_nothing_and_never_see_locked() {
    load(Backend::Sqlite, 16, 16);
}

#[test]
fn postgres_64_threads_on_a_pool_of_16_lose_nothing() {
    load(Backend::Postgres, 64, 16);
}

/// Holds SQLite's write lock from a connection of its own for longer than the busy timeout,
/// while `write` runs on a store of the same file; `write` must succeed (its first try is
/// refused with SQLITE_BUSY, rolled back and tried again) after the lock was released.
fn a_write_outlasts_a_lock_held_past_the_busy_timeout(
    write: impl FnOnce(&dyn nerve::Store) -> nerve::Result<()>,
) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let db = TestDb::migrated(Backend::Sqlite).expect("a database");
    let clock = Arc::new(nerve::TestClock::new(start_time()));
    let store = nerve::connect_with(&db.url, &test_options(clock, MigrationPolicy::Require))
        .expect("a store");
    let path = db.sqlite_file().expect("a file").to_string();
    let mut holder = diesel::SqliteConnection::establish(&path).expect("a raw connection");
    holder
        .batch_execute("BEGIN IMMEDIATE")
        .expect("the write lock");
    let held = nerve_sqlite::BUSY_TIMEOUT_MS;
    let started = Instant::now();
    std::thread::scope(|s| {
        s.spawn(move || {
            // Longer than the busy timeout: the first try fails with SQLITE_BUSY.
            std::thread::sleep(Duration::from_millis(u64::from(held) + 1_500));
            holder.batch_execute("COMMIT").expect("released");
        });
        let written = write(store.as_ref());
        assert!(written.is_ok(), "the write was retried: {written:?}");
        assert!(started.elapsed() > Duration::from_millis(u64::from(held)));
    });
}

fn waited() -> NewCompany {
    NewCompany {
        name: "waited".into(),
        domain: None,
    }
}

#[test]
fn a_sqlite_writer_locked_out_past_the_busy_timeout_is_retried() {
    a_write_outlasts_a_lock_held_past_the_busy_timeout(|store| {
        store.companies().create(&waited()).map(drop)
    });
}

#[test]
fn a_sqlite_atomic_block_refused_at_begin_is_retried() {
    a_write_outlasts_a_lock_held_past_the_busy_timeout(|store| {
        store.atomic(&mut |repos| repos.companies().create(&waited()).map(drop))
    });
}
