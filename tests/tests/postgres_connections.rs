//! PostgreSQL's connection handling: URL parameters, the per-transaction statement timeout,
//! and what callers see when the server terminates the store's backends mid-stream. SQLite has
//! no server connections to lose; these facts are PostgreSQL's own (the statement timeout is
//! declared in `Capabilities::statement_timeout`).

use diesel::connection::SimpleConnection;
use diesel::Connection;
use nerve::model::{Deleted, NewCompany, Page};
use nerve::{Backend, Error, MigrationPolicy, Outcome, Store, StoreOptions};
use nerve_conformance::TestDb;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn options() -> StoreOptions {
    StoreOptions {
        migrations: MigrationPolicy::Require,
        password: nerve::PasswordParams::INSECURE_FOR_TESTS,
        connect_timeout: Duration::from_secs(10),
        ..StoreOptions::default()
    }
}

fn with(url: &str, params: &str) -> String {
    format!("{url}{}{params}", if url.contains('?') { '&' } else { '?' })
}

#[test]
fn url_parameters_set_the_pool_the_statement_timeout_and_the_cache() {
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    let url = with(
        &db.url,
        "pool_max_size=3&statement_timeout_ms=200&statement_cache=off&retries=0",
    );
    let store = nerve::connect_with(&url, &options()).expect("open with NERVE's URL parameters");
    assert!(store.capabilities().statement_timeout);
    assert_eq!(store.admin().health().unwrap().pool.max_size, 3);
    // Without the prepared-statement cache every call still works.
    for i in 0..5 {
        store
            .companies()
            .create(&NewCompany {
                name: format!("C{i}"),
                domain: None,
            })
            .unwrap();
    }
    // Another session holds a lock the read must wait for: the statement timeout, set with
    // SET LOCAL in the read's own transaction, ends the wait instead of hanging.
    let mut locker = diesel::PgConnection::establish(&db.url).unwrap();
    locker
        .batch_execute("BEGIN; LOCK TABLE companies IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let started = Instant::now();
    let waited = store.companies().list(Page::first(10), Deleted::Exclude);
    let took = started.elapsed();
    locker.batch_execute("ROLLBACK").unwrap();
    assert!(
        waited.is_err(),
        "the read should have been cancelled: {waited:?}"
    );
    assert!(took < Duration::from_secs(5), "cancelled after {took:?}");
    assert_eq!(
        store
            .companies()
            .list(Page::first(10), Deleted::Exclude)
            .unwrap()
            .len(),
        5
    );
    // Bad values are refused, naming the parameter; libpq never sees NERVE's parameters.
    for (param, field) in [
        ("pool_max_size=0", "pool_max_size"),
        ("statement_cache=maybe", "statement_cache"),
        ("retries=-1", "retries"),
    ] {
        match nerve::connect_with(&with(&db.url, param), &options()) {
            Err(Error::Validation { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{param}: expected a validation error, got {other:?}"),
        }
    }
    nerve::schema_status(&url).expect("status through a URL with NERVE's parameters");
}

/// The operations that open a connection of their own (migrate, schema status, describe, copy
/// and backups) read NERVE's URL parameters as a store does: a value that is not one is refused
/// by name before libpq sees the URL, and a valid one is taken out of it.
#[test]
fn operations_on_a_url_read_its_parameters_as_a_store_does() {
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    for bad in ["statement_cache=maybe", "retries=x"] {
        let refused = nerve::schema_status(&with(&db.url, bad));
        let field = bad.split('=').next().unwrap();
        assert!(
            matches!(&refused, Err(Error::Validation { field: f, .. }) if *f == field),
            "{bad}: {refused:?}"
        );
    }
    for good in ["statement_cache=off", "statement_cache=on&retries=2"] {
        let status = nerve::schema_status(&with(&db.url, good));
        assert!(status.is_ok_and(|s| s.require_current().is_ok()), "{good}");
        let described = nerve::describe_schema(&with(&db.url, good)).expect("described");
        assert!(described.tables.iter().any(|t| t.name == "companies"));
    }
}

#[test]
fn terminated_backends_give_connection_errors_never_panics_hangs_or_duplicates() {
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::from(
        nerve::connect_with(
            &db.url,
            &StoreOptions {
                max_connections: 4,
                ..options()
            },
        )
        .unwrap(),
    );
    // The stream runs on its own thread; a hang fails the test after two minutes instead of
    // blocking it.
    let (tx, rx) = std::sync::mpsc::channel();
    let url = db.url.clone();
    let streamed = store.clone();
    std::thread::spawn(move || {
        let _ = tx.send(stream(&url, streamed));
    });
    let (outcomes, kills) = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the stream finished within two minutes (no hang, no panic)");
    check(&db, &store, outcomes, kills);
}

fn stream(url: &str, store: std::sync::Arc<dyn Store>) -> (Vec<(String, Option<Outcome>)>, u32) {
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        // The killer: every 15 ms, terminate every other backend of this test's database.
        let killer = s.spawn(|| {
            let mut admin = diesel::PgConnection::establish(url).unwrap();
            let mut kills = 0;
            while !done.load(Ordering::Relaxed) {
                admin
                    .batch_execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                          WHERE datname = current_database() AND pid <> pg_backend_pid()",
                    )
                    .unwrap();
                kills += 1;
                std::thread::sleep(Duration::from_millis(15));
            }
            kills
        });
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let store = store.clone();
                s.spawn(move || {
                    let mut outcomes = Vec::new();
                    for i in 0..60 {
                        let name = format!("w{w}-{i}");
                        let created = store.companies().create(&NewCompany {
                            name: name.clone(),
                            domain: None,
                        });
                        let listed = store.companies().list(Page::first(5), Deleted::Exclude);
                        for r in [created.as_ref().map(drop), listed.as_ref().map(drop)] {
                            if let Err(e) = r {
                                assert!(
                                    matches!(e, Error::Connection { .. } | Error::Connect { .. }),
                                    "{name}: {e:?}"
                                );
                            }
                        }
                        // `None` for a create that succeeded, else whether it may have been applied.
                        outcomes.push((name, created.err().map(|e| e.outcome())));
                    }
                    outcomes
                })
            })
            .collect();
        let outcomes: Vec<(String, Option<Outcome>)> = workers
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect();
        done.store(true, Ordering::Relaxed);
        let kills = killer.join().expect("killer");
        (outcomes, kills)
    })
}

fn check(
    db: &TestDb,
    store: &std::sync::Arc<dyn Store>,
    outcomes: Vec<(String, Option<Outcome>)>,
    kills: u32,
) {
    assert!(kills > 3, "the killer ran {kills} times");
    // Every create that succeeded is stored exactly once; one that failed saying nothing was
    // applied is not stored; one whose outcome is unknown is stored at most once.
    let rows = db
        .query_strings("SELECT name AS value FROM companies")
        .unwrap();
    for (name, outcome) in &outcomes {
        let n = rows.iter().filter(|r| *r == name).count();
        match outcome {
            None => assert_eq!(n, 1, "{name} created once"),
            Some(Outcome::NotApplied) => assert_eq!(n, 0, "{name} said nothing was applied"),
            Some(_) => assert!(n <= 1, "{name} at most once"),
        }
    }
    let count = |want: Option<Outcome>| outcomes.iter().filter(|o| o.1 == want).count();
    eprintln!(
        "{} creates, {} ok, {} failed applying nothing, {} failed with the outcome unknown, \
         {kills} kill rounds",
        outcomes.len(),
        count(None),
        count(Some(Outcome::NotApplied)),
        count(Some(Outcome::Unknown)),
    );
    // The store recovers: new connections replace the terminated ones.
    store
        .companies()
        .create(&NewCompany {
            name: "after".into(),
            domain: None,
        })
        .unwrap();
}

#[test]
fn a_write_the_database_rolled_back_in_a_deadlock_runs_again() {
    use nerve::model::NewRoadmapProfile;
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    let store = nerve::connect_with(&db.url, &options()).unwrap();
    let acme = store
        .companies()
        .create(&NewCompany {
            name: "ACME".into(),
            domain: None,
        })
        .unwrap();
    let profile = store
        .roadmap()
        .create_profile(
            acme.id,
            &NewRoadmapProfile {
                company_name: "ACME".into(),
                ..Default::default()
            },
        )
        .unwrap();
    // Nothing of the rolled-back try was committed: the store ran it again, and it is there
    // once.
    let task = add_task_in_a_deadlock(&*store, &db.url, acme.id, profile.id, "mfa")
        .expect("the write was tried again");
    assert_eq!(task.task_id, "mfa");
    let tasks = store
        .roadmap()
        .list_tasks(acme.id, profile.id, None, Page::first(10))
        .unwrap();
    assert_eq!(tasks.len(), 1);
    // And with retries off, the same deadlock is reported, as a transaction error.
    let no_retry = nerve::connect_with(
        &db.url,
        &StoreOptions {
            retry: nerve::RetryPolicy {
                retries: 0,
                ..Default::default()
            },
            ..options()
        },
    )
    .unwrap();
    match add_task_in_a_deadlock(&*no_retry, &db.url, acme.id, profile.id, "edr") {
        Err(Error::Transaction {
            reason,
            rolled_back: true,
        }) => assert!(reason.contains("deadlock"), "{reason}"),
        other => panic!("expected the deadlock reported, got {other:?}"),
    }
}

/// Adds task `key` to the profile while another session makes a deadlock of it: that session
/// takes the key first (uncommitted, and looks for deadlocks only after 10 s, so the store's
/// session is the one PostgreSQL rolls back after its 1 s), the store locks the profile and
/// waits for the key, then the other session waits for the profile, and rolls back once
/// PostgreSQL has broken the deadlock.
fn add_task_in_a_deadlock(
    store: &dyn Store,
    url: &str,
    company_id: i64,
    profile_id: i64,
    key: &str,
) -> nerve::Result<nerve::model::UserTask> {
    use nerve::model::{NewUserTask, TaskSource};
    let mut other = diesel::PgConnection::establish(url).unwrap();
    other
        .batch_execute(&format!(
            "BEGIN; SET LOCAL deadlock_timeout = '10s'; \
             INSERT INTO roadmap_user_tasks (profile_id, task_id, status, created_at, updated_at, is_active) \
             VALUES ({profile_id}, '{key}', 'not_started', now(), now(), true);"
        ))
        .unwrap();
    std::thread::scope(|s| {
        let adding = s.spawn(|| {
            store.roadmap().add_task(
                company_id,
                profile_id,
                &NewUserTask {
                    task_id: key.into(),
                    source: Some(TaskSource::Manual),
                    ..Default::default()
                },
            )
        });
        wait_for_a_lock_wait(url);
        other
            .batch_execute(&format!(
                "UPDATE roadmap_profiles SET updated_at = updated_at WHERE id = {profile_id}"
            ))
            .unwrap();
        other.batch_execute("ROLLBACK").unwrap();
        adding.join().expect("no panic")
    })
}

/// Returns once a session of `url`'s database waits for a lock (the store's, blocked behind the
/// other session's uncommitted row), as `pg_locks` shows it.
fn wait_for_a_lock_wait(url: &str) {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut monitor = diesel::PgConnection::establish(url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE NOT l.granted AND a.datname = current_database()",
        )
        .get_result::<Count>(&mut monitor)
        .unwrap()
        .n;
        if waiting > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the store's write never waited for the other session's lock"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
