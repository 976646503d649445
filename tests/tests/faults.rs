//! Faults, for real: a SQLite writer killed with SIGKILL at random moments. It prints its
//! figures. (The full disk is in `nerve-cli/tests/faults.rs`, beside the `nerve` binary.)

use nerve::model::{Deleted, Page};
use nerve::{MigrationPolicy, PasswordParams, Store, StoreOptions};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn options() -> StoreOptions {
    StoreOptions {
        migrations: MigrationPolicy::Require,
        password: PasswordParams::INSECURE_FOR_TESTS,
        max_connections: 4,
        ..StoreOptions::default()
    }
}

/// A small deterministic generator (xorshift), seeded from the clock and printed, so a
/// failing run can be replayed with NERVE_FAULT_SEED.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::env::var("NERVE_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            })
            .max(1);
        println!("NERVE_FAULT_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Every company of the database with how many users it has.
fn companies_and_owners(store: &dyn Store) -> Vec<(i64, usize)> {
    let mut out = Vec::new();
    let mut page = Page::first(1000);
    loop {
        let companies = store
            .companies()
            .list(page, Deleted::Include)
            .expect("list companies");
        for c in &companies {
            let users = store
                .users()
                .list(c.id, Page::first(10), Deleted::Include)
                .expect("list users");
            out.push((c.id, users.len()));
        }
        match companies.last() {
            Some(last) if companies.len() == 1000 => page = Page::after(last.id, 1000),
            _ => return out,
        }
    }
}

#[test]
fn a_sqlite_writer_killed_at_random_moments_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().expect("a directory");
    let url = format!("sqlite://{}/crash.db", dir.path().display());
    nerve::migrate(&url).expect("migrate");
    let mut rng = Rng::new();
    let mut acknowledged: Vec<i64> = Vec::new();
    const KILLS: usize = 10;
    for kill in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nerve-crash-writer"))
            .arg(&url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the writer");
        let mut lines = BufReader::new(child.stdout.take().expect("its stdout")).lines();
        // Killed once a random number of writes were acknowledged: wherever it is then.
        let wanted = 1 + rng.below(60) as usize;
        let mut seen = 0;
        for line in lines.by_ref() {
            let line = line.expect("a line");
            acknowledged.push(line.trim().parse().expect("an id"));
            seen += 1;
            if seen == wanted {
                child.kill().expect("SIGKILL");
                break;
            }
        }
        // What it acknowledged before it died, still in the pipe, counts too.
        for line in lines {
            let Ok(line) = line else { break };
            acknowledged.push(line.trim().parse().expect("an id"));
        }
        let status = child.wait().expect("wait");
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "kill {kill}: the writer ended otherwise ({status}) after {seen} writes: {:?}",
            child
                .stderr
                .take()
                .map(|e| std::io::read_to_string(e).unwrap_or_default())
        );
        // After each kill: it opens, integrity_check is ok, every acknowledged write is
        // there, and no transaction is half there (each company has its owner).
        let store = nerve::connect_with(&url, &options()).expect("reopen after the kill");
        let health = store.admin().health().expect("health");
        assert!(
            health.healthy && health.problems.is_empty(),
            "kill {kill}: {health:?}"
        );
        let present = companies_and_owners(&*store);
        let torn: Vec<_> = present.iter().filter(|(_, users)| *users != 1).collect();
        assert!(
            torn.is_empty(),
            "kill {kill}: companies without exactly one owner: {torn:?}"
        );
        let ids: std::collections::HashSet<i64> = present.iter().map(|(id, _)| *id).collect();
        let lost: Vec<_> = acknowledged.iter().filter(|id| !ids.contains(id)).collect();
        assert!(
            lost.is_empty(),
            "kill {kill}: acknowledged but lost: {lost:?}"
        );
    }
    let store = nerve::connect_with(&url, &options()).expect("reopen");
    let present = companies_and_owners(&*store).len();
    println!(
        "sqlite process crash: {KILLS} SIGKILLs, {} acknowledged writes, {} present \
         ({} committed but not yet acknowledged when killed), lost 0, torn 0, integrity ok",
        acknowledged.len(),
        present,
        present - acknowledged.len()
    );
}
