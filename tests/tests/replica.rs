//! Read replicas (PostgreSQL, `Capabilities::read_replicas`), against a real streaming replica
//! of the test server: a replica container streaming from the server's container, or
//! `NERVE_TEST_PG_REPLICA_URL` beside `NERVE_TEST_PG_URL` (see `nerve_conformance::server`).
//! Without one these tests fail: they never pass without a replica.
//!
//! The replica's replay is paused to make lag visible: a replica read then misses what the
//! primary has, a primary read sees it. Pausing holds the whole replica, so the tests take
//! turns.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use nerve::model::{Company, Deleted, NewCompany, Page};
use nerve::{Backend, MigrationPolicy, Store, StoreExt, StoreOptions};
use nerve_conformance::{server, TestDb};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One test at a time: pausing replay holds the replica for everyone.
static TURN: Mutex<()> = Mutex::new(());

fn turn() -> std::sync::MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|p| p.into_inner())
}

fn replica_admin_url() -> String {
    server::replica_admin_url()
        .unwrap_or_else(|e| panic!("no read replica: {e}"))
        .to_string()
}

fn primary_admin_url() -> String {
    server::admin_url()
        .unwrap_or_else(|e| panic!("no test server: {e}"))
        .to_string()
}

/// `host:port` of a `postgres://[user@]host:port/...` URL.
fn host_port(url: &str) -> String {
    let rest = &url[url.find("://").expect("a URL") + 3..];
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    authority[authority.rfind('@').map_or(0, |i| i + 1)..].to_string()
}

fn options() -> StoreOptions {
    StoreOptions {
        migrations: MigrationPolicy::Require,
        password: nerve::PasswordParams::INSECURE_FOR_TESTS,
        connect_timeout: Duration::from_secs(10),
        max_connections: 4,
        ..StoreOptions::default()
    }
}

fn sql(url: &str, statement: &str) {
    let mut conn = PgConnection::establish(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    conn.batch_execute(statement)
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
}

#[derive(QueryableByName)]
struct Flag {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    value: bool,
}

#[derive(QueryableByName)]
struct Text {
    #[diesel(sql_type = diesel::sql_types::Text)]
    value: String,
}

/// Waits until the replica has replayed everything the primary had written when called.
fn catch_up() {
    let lsn = diesel::sql_query("SELECT pg_current_wal_lsn()::text AS value")
        .get_result::<Text>(&mut PgConnection::establish(&primary_admin_url()).expect("primary"))
        .expect("the primary's WAL position")
        .value;
    let mut replica = PgConnection::establish(&replica_admin_url()).expect("the replica");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let done = diesel::sql_query(format!(
            "SELECT coalesce(pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn, false) AS value"
        ))
        .get_result::<Flag>(&mut replica)
        .expect("the replica's replay position")
        .value;
        if done {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the replica did not reach {lsn} in 120 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pauses the replica's replay until dropped (then resumes it).
struct Paused;

impl Paused {
    /// Asks the replica to pause and returns once it has: `pg_wal_replay_pause()` only
    /// requests it, `pg_get_wal_replay_pause_state()` says when replay has stopped.
    fn new() -> Paused {
        let url = replica_admin_url();
        sql(&url, "SELECT pg_wal_replay_pause()");
        let mut replica = PgConnection::establish(&url).expect("the replica");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let state = diesel::sql_query("SELECT pg_get_wal_replay_pause_state() AS value")
                .get_result::<Text>(&mut replica)
                .expect("the replica's pause state")
                .value;
            if state == "paused" {
                return Paused;
            }
            assert!(
                Instant::now() < deadline,
                "the replica's replay was not paused within 30 s (state: {state})"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        sql(&replica_admin_url(), "SELECT pg_wal_replay_resume()");
    }
}

fn company(store: &dyn Store, name: &str) -> Company {
    store
        .companies()
        .create(&NewCompany {
            name: name.into(),
            domain: None,
        })
        .expect("create a company")
}

fn listed(store: &dyn nerve::Repos) -> Vec<i64> {
    store
        .companies()
        .list(Page::first(1000), Deleted::Exclude)
        .expect("list companies")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

#[test]
fn replica_reads_lag_while_primary_reads_see_the_callers_writes() {
    let _turn = turn();
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    let name = nerve::url::database_name(&db.url).expect("a database name");
    let store = nerve::connect_with(
        &db.url,
        &StoreOptions {
            replica: Some(nerve::url::with_database(&replica_admin_url(), &name)),
            ..options()
        },
    )
    .expect("open with a replica");
    assert!(store.capabilities().read_replicas);
    let seen = company(&*store, "Seen by both");
    catch_up();
    assert_eq!(listed(&*store), vec![seen.id]);

    let paused = Paused::new();
    let fresh = company(&*store, "Written while the replica lags");
    // Primary reads: the caller's own write is there at once.
    assert_eq!(
        store.companies().get(fresh.id).expect("get").name,
        fresh.name
    );
    let users = store.users();
    assert!(users
        .list(seen.id, Page::first(10), Deleted::Exclude)
        .expect("users")
        .is_empty());
    // Replica read: the lagging replica has not got it yet...
    assert_eq!(
        listed(&*store),
        vec![seen.id],
        "list went to the lagging replica"
    );
    // ...unless asked of the primary, or inside a transaction.
    assert_eq!(listed(store.primary()), vec![seen.id, fresh.id]);
    let in_tx = store
        .transaction(|repos| Ok(listed(repos)))
        .expect("a transaction");
    assert_eq!(in_tx, vec![seen.id, fresh.id]);
    drop(paused);

    catch_up();
    assert_eq!(listed(&*store), vec![seen.id, fresh.id]);
}

/// A TCP forwarder to the replica that can be cut, as a network failure or a replica going
/// down cuts it: every connection closed, and new ones refused, until restarted.
struct Link {
    port: u16,
    target: String,
    on: Arc<AtomicBool>,
    connections: Arc<AtomicU64>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Link {
    fn new(target: String) -> Link {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let link = Link {
            port,
            target,
            on: Arc::new(AtomicBool::new(false)),
            connections: Arc::new(AtomicU64::new(0)),
            open: Arc::new(Mutex::new(Vec::new())),
        };
        link.serve(listener);
        link
    }

    fn serve(&self, listener: TcpListener) {
        self.on.store(true, Ordering::SeqCst);
        let (on, connections, open, target) = (
            self.on.clone(),
            self.connections.clone(),
            self.open.clone(),
            self.target.clone(),
        );
        listener.set_nonblocking(true).expect("non-blocking accept");
        std::thread::spawn(move || {
            while on.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        client.set_nonblocking(false).expect("blocking stream");
                        let Ok(server) = TcpStream::connect(&target) else {
                            continue;
                        };
                        connections.fetch_add(1, Ordering::SeqCst);
                        let mut open = open.lock().unwrap();
                        for (from, to) in [(&client, &server), (&server, &client)] {
                            let (mut from, mut to) = (
                                from.try_clone().expect("clone"),
                                to.try_clone().expect("clone"),
                            );
                            std::thread::spawn(move || {
                                let mut buf = [0u8; 16 * 1024];
                                while let Ok(n) = from.read(&mut buf) {
                                    if n == 0 || to.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                                let _ = to.shutdown(Shutdown::Both);
                            });
                        }
                        open.push(client);
                        open.push(server);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5))
                    }
                    Err(_) => break,
                }
            }
            // The listener closes here: connecting is refused from now on.
        });
    }

    /// Closes every connection and stops accepting.
    fn cut(&self) {
        self.on.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(50));
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// Accepts again, on the same port.
    fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).expect("the same port again");
        self.serve(listener);
    }
}

#[test]
fn replica_reads_go_to_the_primary_while_the_replica_is_gone_and_back_after() {
    let _turn = turn();
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    let link = Link::new(host_port(&replica_admin_url()));
    // The URL parameter form: the primary's URL with the replica's host:port.
    let url = format!("{}?replica=127.0.0.1:{}", db.url, link.port);
    let store = nerve::connect_with(&url, &options()).expect("open with a replica");
    let first = company(&*store, "Before");
    catch_up();
    assert_eq!(listed(&*store), vec![first.id]);
    assert!(
        link.connections.load(Ordering::SeqCst) > 0,
        "the list read went through the link to the replica"
    );

    link.cut();
    let second = company(&*store, "While the replica is gone");
    let started = Instant::now();
    // No error reaches the caller: the reads run on the primary, which has the new row.
    for _ in 0..5 {
        assert_eq!(listed(&*store), vec![first.id, second.id]);
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "5 reads took {took:?} with the replica gone"
    );

    // Back: after the replica's rest period, replica reads go to it again (seen by its lag).
    link.restore();
    catch_up();
    let paused = Paused::new();
    let third = company(&*store, "After");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ids = listed(&*store);
        if !ids.contains(&third.id) {
            assert_eq!(ids, vec![first.id, second.id]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replica reads did not return to the replica in 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(paused);
    link.cut();
}

#[test]
fn health_on_the_primary_reports_each_replicas_lag() {
    use nerve::model::{ServerMetrics, WarningKind};
    let _turn = turn();
    let db = TestDb::migrated(Backend::Postgres).expect("a PostgreSQL test database");
    let store = nerve::connect_with(
        &db.url,
        &StoreOptions {
            health: nerve::HealthThresholds {
                replica_lag: Duration::ZERO,
                ..nerve::HealthThresholds::default()
            },
            ..options()
        },
    )
    .expect("open");
    let replicas = |store: &dyn Store| match store.admin().health().expect("health").metrics {
        ServerMetrics::Postgres(m) => m.replicas,
        other => panic!("{other:?}"),
    };
    company(&*store, "Before the pause");
    catch_up();
    let streaming = replicas(&*store);
    assert_eq!(
        streaming.len(),
        1,
        "one replica streams from the test server: {streaming:?}"
    );
    assert_eq!(streaming[0].state, "streaming");
    // (Other tests may write to the server meanwhile: the position is there, not 0.)
    assert!(streaming[0].replay_lag_bytes.is_some(), "{streaming:?}");

    let paused = Paused::new();
    company(&*store, "Written while the replica lags");
    let health = store.admin().health().expect("health");
    let ServerMetrics::Postgres(m) = &health.metrics else {
        unreachable!()
    };
    assert!(
        m.replicas[0].replay_lag_bytes.is_some_and(|b| b > 0),
        "{:?}",
        m.replicas
    );
    let lagging: Vec<_> = health
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::ReplicaLagging)
        .collect();
    assert_eq!(lagging.len(), 1, "{:?}", health.warnings);
    assert!(
        lagging[0].message.contains(&m.replicas[0].name),
        "{lagging:?}"
    );
    drop(paused);
    catch_up();
}
