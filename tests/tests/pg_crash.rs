//! A PostgreSQL server killed with SIGKILL under load, three times, and started again: no
//! acknowledged write is lost or doubled, every failure is a typed error, a write whose
//! outcome is unknown says so, no call outlasts the pool's checkout timeout plus the
//! statement timeout, and the same store serves again soon after the server is back.
//!
//! The server is private to the test, with fsync on, on a port of its own, so that it comes
//! back at the same address: on the testcontainers path a container of the suite's image
//! (`NERVE_TEST_PG_IMAGE`, as `scripts/test.sh` builds it), brought down with `docker kill
//! --signal KILL` and back with `docker start`; on the host path a cluster the test makes with
//! the server programs in `NERVE_TEST_PG_BIN` (`scripts/test.sh` sets it there), run as the
//! `postgres` user when the test runs as root, whose postmaster and every child get SIGKILL. With neither
//! the test fails: it never passes untested.

use nerve::model::{Deleted, NewCompany, Page};
use nerve::{Error, MigrationPolicy, Outcome, PasswordParams, Store, StoreOptions};
use std::collections::HashMap;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WRITERS: usize = 8;
const READERS: usize = 4;
const RUN_FOR: Duration = Duration::from_secs(30);
const KILLS: usize = 3;
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("run docker");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The private server: removed when dropped.
struct Server {
    url: String,
    kind: Kind,
}

/// Where the private server runs.
enum Kind {
    /// A container of the test image, by name.
    Container(String),
    /// A cluster of this machine's server programs: its postmaster, the command that starts
    /// it again, and the directory holding it.
    Cluster {
        postmaster: std::process::Child,
        start: Box<dyn Fn() -> std::process::Child>,
        _dir: tempfile::TempDir,
    },
}

/// A free port on the loopback interface.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Server {
    fn start() -> Server {
        let server = match (
            std::env::var("NERVE_TEST_PG_IMAGE"),
            std::env::var("NERVE_TEST_PG_BIN"),
        ) {
            (Ok(image), _) => Server::container(&image),
            (_, Ok(bin)) => Server::cluster(std::path::Path::new(&bin)),
            _ => panic!(
                "NERVE_TEST_PG_IMAGE (the test image) or NERVE_TEST_PG_BIN (the directory of \
                 initdb and postgres) must be set: scripts/test.sh sets one"
            ),
        };
        server.wait_until_it_answers();
        server
    }

    fn container(image: &str) -> Server {
        // A port of its own, kept across restarts (a port the engine picked would change).
        let port = free_port();
        let run = std::env::var("NERVE_TEST_RUN").unwrap_or_else(|_| "manual".into());
        let owner = std::env::var("NERVE_TEST_OWNER").unwrap_or_default();
        let name = format!("nerve-pg-crash-{run}-{}", std::process::id());
        docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "--label",
            &format!("nerve.test.run={run}"),
            "--label",
            &format!("nerve.test.owner={owner}"),
            "-p",
            &format!("127.0.0.1:{port}:5432"),
            image,
        ]);
        Server {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            kind: Kind::Container(name),
        }
    }

    fn cluster(bin: &std::path::Path) -> Server {
        use std::os::unix::process::CommandExt;
        let bin = bin.to_path_buf();
        let dir = tempfile::tempdir().expect("a directory for the cluster");
        // The server refuses to run as root: as root, it runs as the `postgres` user.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        let user = root.then(|| {
            let id = |flag: &str| -> u32 {
                let out = Command::new("id")
                    .args([flag, "postgres"])
                    .output()
                    .expect("run id");
                String::from_utf8_lossy(&out.stdout)
                    .trim()
                    .parse()
                    .expect("the postgres user (Debian's postgresql package makes it)")
            };
            (id("-u"), id("-g"))
        });
        if let Some((uid, gid)) = user {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).expect("chown");
        }
        let command = move |program: &str| {
            let mut cmd = Command::new(bin.join(program));
            if let Some((uid, gid)) = user {
                cmd.uid(uid).gid(gid);
            }
            cmd
        };
        let data = dir.path().join("data");
        let out = command("initdb")
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-D"])
            .arg(&data)
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let port = free_port();
        let socket_dir = dir.path().to_path_buf();
        let start = move || {
            command("postgres")
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
                .arg("-c")
                .arg(format!("unix_socket_directories={}", socket_dir.display()))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start postgres")
        };
        Server {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            kind: Kind::Cluster {
                postmaster: start(),
                start: Box::new(start),
                _dir: dir,
            },
        }
    }

    /// Waits (bounded: 60 s) until a connection succeeds; returns when it did.
    fn wait_until_it_answers(&self) -> Instant {
        use diesel::Connection;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if diesel::PgConnection::establish(&self.url).is_ok() {
                return Instant::now();
            }
            assert!(
                Instant::now() < deadline,
                "the private server at {} did not answer within 60 s",
                self.url
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL to every process of the server (the container's, or the cluster's postmaster
    /// and its children), then the server started again (crash recovery runs); returns when it answers.
    fn crash_and_restart(&mut self) -> Instant {
        match &mut self.kind {
            Kind::Container(name) => {
                docker(&["kill", "--signal", "KILL", name]);
                docker(&["start", name]);
            }
            Kind::Cluster {
                postmaster, start, ..
            } => {
                assert!(
                    kill_group(postmaster),
                    "the server's processes outlived SIGKILL by 30 s"
                );
                *postmaster = start();
            }
        }
        self.wait_until_it_answers()
    }
}

/// SIGKILL to the postmaster `leader` and every process it started (each server process puts
/// itself in a session of its own, so one signal to the group would miss them); returns once
/// none of them is left but as a zombie (the server's shared memory is then free for the next
/// postmaster): true, or false if some were still running 30 s later.
fn kill_group(leader: &mut std::process::Child) -> bool {
    let postmaster = leader.id();
    let children =
        std::fs::read_to_string(format!("/proc/{postmaster}/task/{postmaster}/children"))
            .unwrap_or_default();
    let mut pids: Vec<String> = children.split_whitespace().map(str::to_string).collect();
    pids.push(postmaster.to_string());
    let _ = Command::new("kill")
        .arg("-KILL")
        .args(&pids)
        .stderr(std::process::Stdio::null())
        .status();
    let _ = leader.wait();
    // Gone, or a zombie (reparented children may wait to be reaped): no longer attached.
    let running = |pid: &String| {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| {
                stat.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().next().map(str::to_string))
            })
            .is_some_and(|state| state != "Z")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while pids.iter().any(running) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

impl Drop for Server {
    fn drop(&mut self) {
        match &mut self.kind {
            Kind::Container(name) => {
                let _ = Command::new("docker").args(["rm", "-f", name]).output();
            }
            Kind::Cluster { postmaster, .. } => {
                kill_group(postmaster);
            }
        }
    }
}

#[derive(Default)]
struct Tally {
    calls: u64,
    acknowledged: Vec<(i64, String)>,
    unknown: Vec<String>,
    errors: HashMap<&'static str, u64>,
    untyped: Vec<String>,
    longest: Duration,
}

#[test]
fn a_postgres_server_killed_under_load_loses_and_doubles_nothing() {
    let mut server = Server::start();
    nerve::migrate(&server.url).expect("migrate the private server");
    let options = StoreOptions {
        migrations: MigrationPolicy::Require,
        password: PasswordParams::INSECURE_FOR_TESTS,
        max_connections: (WRITERS + READERS) as u32,
        connect_timeout: CHECKOUT_TIMEOUT,
        statement_timeout: Some(STATEMENT_TIMEOUT),
        ..StoreOptions::default()
    };
    let store: Arc<dyn Store> =
        Arc::from(nerve::connect_with(&server.url, &options).expect("open"));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let acknowledged = Arc::new(AtomicU64::new(0));
    // When a call last succeeded, in ms since `epoch`.
    let epoch = Instant::now();
    let last_ok = Arc::new(AtomicU64::new(0));
    let record = {
        let (tally, last_ok) = (tally.clone(), last_ok.clone());
        move |took: Duration, failed: Option<&Error>| {
            let mut t = tally.lock().unwrap();
            t.calls += 1;
            t.longest = t.longest.max(took);
            match failed {
                None => last_ok.fetch_max(epoch.elapsed().as_millis() as u64, Ordering::SeqCst),
                Some(e) => {
                    *t.errors.entry(e.kind()).or_default() += 1;
                    if !matches!(
                        e,
                        Error::Connect { .. }
                            | Error::Connection { .. }
                            | Error::Transaction { .. }
                    ) {
                        t.untyped.push(e.to_string());
                    }
                    0
                }
            };
        }
    };
    let mut threads = Vec::new();
    for w in 0..WRITERS {
        let (store, tally, stop, acknowledged, record) = (
            store.clone(),
            tally.clone(),
            stop.clone(),
            acknowledged.clone(),
            record.clone(),
        );
        threads.push(std::thread::spawn(move || {
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let name = format!("writer {w} call {i}");
                let started = Instant::now();
                let result = store.companies().create(&NewCompany {
                    name: name.clone(),
                    domain: None,
                });
                record(started.elapsed(), result.as_ref().err());
                match result {
                    Ok(c) => {
                        tally.lock().unwrap().acknowledged.push((c.id, name));
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(e) if e.outcome() == Outcome::Unknown => {
                        tally.lock().unwrap().unknown.push(name)
                    }
                    Err(_) => {}
                }
            }
        }));
    }
    for _ in 0..READERS {
        let (store, stop, record) = (store.clone(), stop.clone(), record.clone());
        threads.push(std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let started = Instant::now();
                let result = store.companies().list(Page::first(50), Deleted::Exclude);
                record(started.elapsed(), result.as_ref().err());
            }
        }));
    }
    // Three kills, each after a random number (100..600) of further acknowledged writes.
    let mut seed = epoch.elapsed().as_nanos() as u64 | 1;
    println!("pg crash seed {seed}");
    let mut recoveries = Vec::new();
    for _ in 0..KILLS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let target = acknowledged.load(Ordering::SeqCst) + 100 + seed % 500;
        while acknowledged.load(Ordering::SeqCst) < target {
            assert!(
                epoch.elapsed() < RUN_FOR * 3,
                "the writers stalled before a kill"
            );
            std::thread::yield_now();
        }
        let back = server.crash_and_restart();
        // The store serves again, not reopened: a successful call after the server's return.
        let back_ms = back.duration_since(epoch).as_millis() as u64;
        while last_ok.load(Ordering::SeqCst) < back_ms {
            assert!(
                back.elapsed() < Duration::from_secs(30),
                "no call succeeded 30 s after the server returned"
            );
            std::thread::yield_now();
        }
        recoveries.push(Duration::from_millis(
            last_ok.load(Ordering::SeqCst) - back_ms,
        ));
    }
    while epoch.elapsed() < RUN_FOR {
        std::thread::yield_now();
    }
    stop.store(true, Ordering::SeqCst);
    for t in threads {
        t.join().expect("a worker thread");
    }

    // Everything present, read on a fresh store.
    let reader = nerve::connect_with(&server.url, &options).expect("reopen");
    let mut present: HashMap<String, Vec<i64>> = HashMap::new();
    let mut page = Page::first(1000);
    loop {
        let rows = reader
            .companies()
            .list(page, Deleted::Include)
            .expect("list");
        for c in &rows {
            present.entry(c.name.clone()).or_default().push(c.id);
        }
        match rows.last() {
            Some(last) if rows.len() == 1000 => page = Page::after(last.id, 1000),
            _ => break,
        }
    }
    let t = tally.lock().unwrap();
    let lost: Vec<_> = t
        .acknowledged
        .iter()
        .filter(|(id, name)| present.get(name) != Some(&vec![*id]))
        .collect();
    let doubled: Vec<_> = present.iter().filter(|(_, ids)| ids.len() > 1).collect();
    let unknown_present = t
        .unknown
        .iter()
        .filter(|n| present.contains_key(*n))
        .count();
    let longest_recovery = recoveries.iter().max().copied().unwrap_or_default();
    println!(
        "pg crash under load: {} calls, {} acknowledged writes, {} unknown outcomes ({} of them \
         committed), lost {}, duplicated {}, errors {:?}, longest call {:?} (bound {:?}), \
         recovery after each restart {:?}",
        t.calls,
        t.acknowledged.len(),
        t.unknown.len(),
        unknown_present,
        lost.len(),
        doubled.len(),
        t.errors,
        t.longest,
        CHECKOUT_TIMEOUT + STATEMENT_TIMEOUT,
        recoveries
    );
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(doubled.is_empty(), "writes present twice: {doubled:?}");
    assert!(
        t.untyped.is_empty(),
        "failures that are not connection or transaction errors: {:?}",
        t.untyped
    );
    assert!(
        t.errors.values().sum::<u64>() > 0,
        "the kills caused no failure at all"
    );
    assert!(
        t.longest <= CHECKOUT_TIMEOUT + STATEMENT_TIMEOUT,
        "a call took {:?}",
        t.longest
    );
    assert!(
        longest_recovery <= Duration::from_secs(5),
        "recovery took {longest_recovery:?}"
    );
}
