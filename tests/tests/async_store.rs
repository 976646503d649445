//! `nerve::async_store::AsyncStore` (feature `tokio`) on both backends, under a
//! multi-threaded runtime: more tasks than connections, each call bounded by the pool, and
//! dropped futures that leave no transaction half done.

use nerve::async_store::AsyncStore;
use nerve::model::{Deleted, NewCompany, NewUser, Page, Role};
use nerve::{Backend, Error, MigrationPolicy, PasswordParams, StoreExt, StoreOptions};
use nerve_conformance::TestDb;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

const CONNECTIONS: u32 = 3;

fn options() -> StoreOptions {
    StoreOptions {
        migrations: MigrationPolicy::Require,
        password: PasswordParams::INSECURE_FOR_TESTS,
        max_connections: CONNECTIONS,
        ..StoreOptions::default()
    }
}

fn company(name: &str) -> NewCompany {
    NewCompany {
        name: name.into(),
        domain: None,
    }
}

async fn open(db: &TestDb) -> AsyncStore {
    let store = AsyncStore::connect(&db.url, &options())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", db.url));
    assert_eq!(store.permits(), CONNECTIONS as usize);
    store
}

async fn names(store: &AsyncStore) -> Vec<String> {
    store
        .call(|s| s.companies().list(Page::first(1000), Deleted::Include))
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect()
}

/// 64 tasks on 4 worker threads share 3 connections: every one completes, and never more
/// than 3 calls run at once (the others wait on the semaphore, not on the pool).
async fn more_tasks_than_connections(backend: Backend, db: TestDb) {
    let store = open(&db).await;
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..64 {
        let (store, running, most) = (store.clone(), running.clone(), most.clone());
        tasks.spawn(async move {
            // Counted around the whole closure, before the pool is asked for a connection:
            // only the semaphore keeps the count at the bound.
            store
                .call(move |s| {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let user = s.transaction(|tx| {
                        let acme = tx.companies().create(&company(&format!("Company {i}")))?;
                        tx.users().create(
                            acme.id,
                            &NewUser {
                                email: format!("owner{i}@example.test"),
                                password: "correct horse battery".into(),
                                full_name: None,
                                role: Role::Owner,
                            },
                        )
                    });
                    running.fetch_sub(1, Ordering::SeqCst);
                    user
                })
                .await
        });
    }
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        joined.expect("the task").expect("the transaction");
        done += 1;
    }
    assert_eq!(done, 64);
    assert_eq!(names(&store).await.len(), 64, "[{backend}]");
    let most = most.load(Ordering::SeqCst);
    assert!(
        (1..=CONNECTIONS as usize).contains(&most),
        "[{backend}] {most} calls ran at once with {CONNECTIONS} connections"
    );
    assert_eq!(store.available(), CONNECTIONS as usize);
}

/// Starts a transaction that writes `name first`, then blocks until told whether to commit,
/// writes `name second` and commits (`true`) or fails (`false`, so everything rolls back).
/// Returns once the closure runs: its spawned caller, and the sender that releases it.
async fn blocked_transaction(
    store: &AsyncStore,
    name: &str,
) -> (
    tokio::task::JoinHandle<nerve::Result<()>>,
    mpsc::Sender<bool>,
) {
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let (release, wait) = mpsc::channel::<bool>();
    let name = name.to_string();
    let caller = tokio::spawn(store.transaction(move |tx| {
        tx.companies().create(&company(&format!("{name} first")))?;
        let _ = started_tx.send(());
        let commit = wait.recv().unwrap_or(false);
        tx.companies().create(&company(&format!("{name} second")))?;
        if commit {
            Ok(())
        } else {
            Err(Error::Validation {
                table: "companies",
                field: "name",
                reason: "refused after the caller left".into(),
            })
        }
    }));
    started.await.expect("the closure started");
    (caller, release)
}

/// Waits until every permit is back, that is until abandoned work has ended (at most 60 s: a
/// permit that never comes back fails the test).
async fn all_permits_back(store: &AsyncStore) {
    let back = async {
        while store.available() < store.permits() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), back)
        .await
        .expect("every permit back within 60 s");
}

/// A transaction whose future is dropped while its closure runs still completes whole (its
/// two rows committed together), and one that fails after its caller left rolls back whole;
/// a call dropped while it waits for a permit never runs.
async fn dropped_futures_leave_nothing_half_done(backend: Backend, db: TestDb) {
    let store = open(&db).await;
    // One permit held by a write transaction, the others by calls that wait (SQLite has one
    // writer at a time, so the others only read).
    let (committing, commit) = blocked_transaction(&store, "Committed").await;
    let mut readers = Vec::new();
    for _ in 1..CONNECTIONS {
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let (release, wait) = mpsc::channel::<()>();
        let caller = tokio::spawn(store.call(move |s| {
            let _ = started_tx.send(());
            let _ = wait.recv();
            s.companies()
                .list(Page::first(10), Deleted::Include)
                .map(|_| ())
        }));
        started.await.expect("the reader started");
        readers.push((caller, release));
    }
    assert_eq!(store.available(), 0);
    // A call queued behind them, then dropped: it never runs.
    // It has been polled (and so waits for a permit) before it is aborted.
    let (polled_tx, polled) = tokio::sync::oneshot::channel();
    let call = store.call(|s| s.companies().create(&company("Never written")));
    let queued = tokio::spawn(async move {
        let _ = polled_tx.send(());
        call.await
    });
    polled.await.expect("the queued call was polled");
    tokio::task::yield_now().await;
    assert_eq!(store.available(), 0);
    queued.abort();
    assert!(queued.await.expect_err("aborted").is_cancelled());
    // Every caller goes away; the closures go on to their end.
    committing.abort();
    commit.send(true).expect("the transaction waits");
    for (caller, release) in readers {
        caller.abort();
        release.send(()).expect("the reader waits");
    }
    all_permits_back(&store).await;
    // Then a transaction abandoned by its caller that fails: nothing of it stays.
    let (failing, fail) = blocked_transaction(&store, "Rolled back").await;
    failing.abort();
    fail.send(false).expect("the transaction waits");
    all_permits_back(&store).await;
    assert_eq!(
        names(&store).await,
        vec![
            "Committed first".to_string(),
            "Committed second".to_string()
        ],
        "[{backend}]"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .max_blocking_threads(16)
        .enable_all()
        .build()
        .expect("a runtime")
}

#[test]
fn sqlite_more_tasks_than_connections() {
    // The database first: the test server's helpers block, which a runtime's threads must not.
    let db = TestDb::migrated(Backend::Sqlite).expect("a test database");
    runtime().block_on(more_tasks_than_connections(Backend::Sqlite, db));
}

#[test]
fn sqlite_dropped_futures_leave_nothing_half_done() {
    // The database first: the test server's helpers block, which a runtime's threads must not.
    let db = TestDb::migrated(Backend::Sqlite).expect("a test database");
    runtime().block_on(dropped_futures_leave_nothing_half_done(Backend::Sqlite, db));
}

#[test]
fn postgres_more_tasks_than_connections() {
    // The database first: the test server's helpers block, which a runtime's threads must not.
    let db = TestDb::migrated(Backend::Postgres).expect("a test database");
    runtime().block_on(more_tasks_than_connections(Backend::Postgres, db));
}

#[test]
fn postgres_dropped_futures_leave_nothing_half_done() {
    // The database first: the test server's helpers block, which a runtime's threads must not.
    let db = TestDb::migrated(Backend::Postgres).expect("a test database");
    runtime().block_on(dropped_futures_leave_nothing_half_done(
        Backend::Postgres,
        db,
    ));
}
