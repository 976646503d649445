//! The benchmarks' fixture: a fresh database on a backend with a store and a baseline on it.

use crate::placement::Placement;
use crate::postgres_baseline::PgBaseline;
use crate::pq::Pq;
use crate::sqlite_baseline::SqliteBaseline;
use crate::Baseline;
use nerve::model::{NewApiKey, NewCompany, NewSession, NewUser, Role};
use nerve::{Backend, MigrationPolicy, PasswordParams, Store, StoreOptions};
use std::cell::RefCell;
use std::hint::black_box;

/// Users of the tenant whose page is read.
pub const USERS: usize = 100;
/// The password of every user.
pub const PASSWORD: &str = "bench passphrase";
/// The scope of the API key.
pub const SCOPE: &str = "scans:read";

/// What a backend's database holds for the benchmarks, and how to remove it.
pub enum Database {
    /// A SQLite file in a temporary directory.
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL database `name` made through `admin`, dropped on drop.
    Postgres {
        /// The admin URL it was made through.
        admin: String,
        /// The database's name.
        name: String,
    },
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { admin, name } = self {
            if let Ok(mut pq) = Pq::connect(admin) {
                let _ = pq.exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// A backend ready for the benchmarks: a migrated store and the baseline's connection on the
/// same database, a tenant with [`USERS`] users, a session and an API key of its first user.
pub struct Bench {
    /// The backend's name (`sqlite`, `postgres`).
    pub name: &'static str,
    /// The store.
    pub store: Box<dyn Store>,
    /// The baseline's bare connection.
    pub baseline: RefCell<Box<dyn Baseline>>,
    /// The tenant company's id.
    pub tenant: i64,
    /// A valid session token of the tenant's first user.
    pub token: String,
    /// A valid API key of the tenant's first user, with scope [`SCOPE`].
    pub key: String,
    /// The hash an unknown account's password is checked against.
    pub dummy_hash: String,
    /// What [`Bench::place`] last said.
    placed: RefCell<String>,
    // Dropped last: the store and the baseline's connection go first.
    database: Database,
}

/// The store's options: migrations applied, the cheapest password hashing.
pub fn options() -> StoreOptions {
    StoreOptions {
        migrations: MigrationPolicy::Apply,
        password: PasswordParams::INSECURE_FOR_TESTS,
        ..StoreOptions::default()
    }
}

/// Opens a backend's baseline connection on the store's database URL.
type OpenBaseline = Box<dyn Fn(&str) -> Box<dyn Baseline>>;

/// Makes a fresh database on `backend` (PostgreSQL: the server of `NERVE_BENCH_PG_URL`,
/// else `NERVE_TEST_PG_URL`, else `postgres://postgres@127.0.0.1:5432/postgres`) and fills it.
/// Panics when that fails (a benchmark has no one to report it to).
pub fn open(backend: Backend) -> Bench {
    let (url, database, baseline): (String, Database, OpenBaseline) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path = dir.path().join("bench.db").display().to_string();
            (
                format!("sqlite://{path}"),
                Database::Sqlite(dir),
                Box::new(move |_| Box::new(SqliteBaseline::open(&path))),
            )
        }
        Backend::Postgres => {
            let admin = ["NERVE_BENCH_PG_URL", "NERVE_TEST_PG_URL"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|u| !u.trim().is_empty()))
                .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("nerve_bench_{}", std::process::id());
            let mut pq = Pq::connect(&admin).unwrap_or_else(|e| {
                panic!(
                    "cannot connect to PostgreSQL at {}: {e} (set NERVE_BENCH_PG_URL to an \
                         admin URL)",
                    nerve::url::redact(&admin)
                )
            });
            pq.exec(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .and_then(|()| pq.exec(&format!("CREATE DATABASE {name}")))
                .expect("a benchmark database");
            let url = nerve::url::with_database(&admin, &name);
            (
                url.clone(),
                Database::Postgres { admin, name },
                Box::new(|url| Box::new(PgBaseline::open(url))),
            )
        }
    };
    let store = nerve::connect_with(&url, &options()).expect("open the store");
    let tenant = store
        .companies()
        .create(&NewCompany {
            name: "Bench tenant".into(),
            domain: None,
        })
        .expect("a company")
        .id;
    let mut first_user = 0;
    for i in 0..USERS {
        let user = store
            .users()
            .create(
                tenant,
                &NewUser {
                    email: format!("user{i}@bench.example"),
                    password: PASSWORD.into(),
                    full_name: Some(format!("User {i}")),
                    role: Role::Analyst,
                },
            )
            .expect("a user");
        if i == 0 {
            first_user = user.id;
        }
    }
    let token = store
        .sessions()
        .create(
            tenant,
            first_user,
            &NewSession {
                ttl: chrono::Duration::days(30),
                ip_address: None,
                user_agent: None,
            },
        )
        .expect("a session")
        .token
        .expose()
        .to_string();
    let key = store
        .api_keys()
        .create(
            tenant,
            first_user,
            &NewApiKey {
                name: "bench".into(),
                scopes: vec![SCOPE.into()],
                expires_at: None,
            },
        )
        .expect("an API key")
        .key
        .expose()
        .to_string();
    let dummy_hash = nerve::PasswordHasher::new(PasswordParams::INSECURE_FOR_TESTS)
        .and_then(|h| {
            h.hash(
                nerve::Field::new("users", "password"),
                "no account has this one",
            )
        })
        .expect("a hash");
    Bench {
        name: backend.name(),
        baseline: RefCell::new(baseline(&url)),
        store,
        tenant,
        token,
        key,
        dummy_hash,
        placed: RefCell::default(),
        database,
    }
}

impl Bench {
    /// On PostgreSQL, places the benchmark's thread and its database's backends
    /// ([`crate::placement`]); again at each call, as the pool may have opened a connection
    /// since. Prints what it did (or why it could not) when that changes.
    pub fn place(&self, placement: Placement) {
        let Database::Postgres { admin, name } = &self.database else {
            return;
        };
        let placed =
            Pq::connect(admin).and_then(|mut pq| crate::placement::place(&mut pq, name, placement));
        let said = match (placed, placement) {
            (Ok(n), Placement::Apart) => {
                format!("this thread on core 0, the {n} backends of {name} on core 1")
            }
            (Ok(n), Placement::Free) => {
                format!("this thread and the {n} backends of {name} on any core")
            }
            (Err(why), _) => format!("not placed: {why}"),
        };
        if *self.placed.borrow() != said {
            eprintln!("{}: {said}", self.name);
            *self.placed.borrow_mut() = said;
        }
    }
}

/// An address per call, so that no address reaches the credential-stuffing threshold.
pub fn address(n: u64) -> String {
    format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255)
}

/// `n` login attempts as JSON, the rows `batch_insert` writes (no ids: each gets a fresh one).
pub fn batch_rows(n: usize) -> Vec<serde_json::Value> {
    (0..n)
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
        .collect()
}

/// Which side of a benchmark runs: the store, or the hand-written baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Through the store (`nerve`).
    Nerve,
    /// By the baseline on its bare connection.
    Baseline,
}

/// Users per page of [`Bench::tenant_page`].
pub const PAGE: u32 = 50;

/// One call of each benchmarked operation, on either side, written once for the benchmarks and
/// the profiler (`examples/profile.rs`). `i` is the call's number, where the call needs a
/// fresh value. Each panics when the operation fails.
impl Bench {
    /// The tenant company, by id.
    pub fn point_read(&self, side: Side) {
        match side {
            Side::Nerve => {
                black_box(self.store.companies().get(self.tenant).expect("get"));
            }
            Side::Baseline => {
                black_box(self.baseline.borrow_mut().point_read(self.tenant));
            }
        }
    }

    /// The first [`PAGE`] live users of the tenant.
    pub fn tenant_page(&self, side: Side) {
        let len = match side {
            Side::Nerve => {
                let page = self.store.users().list(
                    self.tenant,
                    nerve::model::Page::first(PAGE),
                    nerve::model::Deleted::Exclude,
                );
                black_box(page.expect("a page")).len()
            }
            Side::Baseline => {
                black_box(self.baseline.borrow_mut().tenant_page(self.tenant, PAGE)).len()
            }
        };
        assert_eq!(len, PAGE as usize);
    }

    /// A new company.
    pub fn insert(&self, side: Side, i: u64) {
        let name = format!("Company {i}");
        match side {
            Side::Nerve => {
                let new = NewCompany { name, domain: None };
                black_box(self.store.companies().create(&new).expect("create"));
            }
            Side::Baseline => {
                black_box(self.baseline.borrow_mut().insert(&name));
            }
        }
    }

    /// The tenant renamed.
    pub fn update(&self, side: Side, i: u64) {
        let name = format!("Tenant {i}");
        match side {
            Side::Nerve => {
                let changes = nerve::model::CompanyUpdate {
                    name: Some(name),
                    ..Default::default()
                };
                let updated = self.store.companies().update(self.tenant, &changes);
                black_box(updated.expect("update"));
            }
            Side::Baseline => {
                black_box(self.baseline.borrow_mut().update(self.tenant, &name));
            }
        }
    }

    /// Companies to soft-delete, made through the store (untimed preparation).
    pub fn doomed_companies(&self, n: u64) -> Vec<i64> {
        (0..n)
            .map(|i| {
                let new = NewCompany {
                    name: format!("Doomed {i}"),
                    domain: None,
                };
                self.store.companies().create(&new).expect("create").id
            })
            .collect()
    }

    /// Company `id` soft-deleted.
    pub fn soft_delete(&self, side: Side, id: i64) {
        match side {
            Side::Nerve => self.store.companies().soft_delete(id).expect("soft delete"),
            Side::Baseline => self.baseline.borrow_mut().soft_delete(id),
        }
    }

    /// The session of [`Bench::token`] validated (and seen now).
    pub fn validate_session(&self, side: Side) {
        match side {
            Side::Nerve => {
                black_box(self.store.sessions().validate(&self.token).expect("valid"));
            }
            Side::Baseline => {
                black_box(self.baseline.borrow_mut().validate_session(&self.token));
            }
        }
    }

    /// The API key [`Bench::key`] verified for [`SCOPE`] from a fresh address.
    pub fn verify_api_key(&self, side: Side, i: u64) {
        match side {
            Side::Nerve => {
                let key = self
                    .store
                    .api_keys()
                    .verify(&self.key, SCOPE, Some(&address(i)));
                black_box(key.expect("valid"));
            }
            Side::Baseline => {
                let key = self
                    .baseline
                    .borrow_mut()
                    .verify_api_key(&self.key, SCOPE, &address(i));
                black_box(key);
            }
        }
    }

    /// A failed login of an unknown address from a fresh address: refused, recorded, counted.
    pub fn record_login_attempt(&self, side: Side, i: u64) {
        const NOBODY: &str = "nobody@bench.example";
        match side {
            Side::Nerve => {
                let refused = self.store.auth().login(&nerve::model::LoginRequest {
                    email: NOBODY.into(),
                    password: PASSWORD.into(),
                    ip_address: Some(address(i)),
                    user_agent: None,
                });
                assert!(
                    matches!(refused, Err(nerve::Error::Denied { .. })),
                    "{refused:?}"
                );
            }
            Side::Baseline => self.baseline.borrow_mut().record_login_attempt(
                NOBODY,
                PASSWORD,
                &address(1 << 23 | i),
                &self.dummy_hash,
            ),
        }
    }

    /// The database brought to the same state before a timed round ([`Baseline::settle`]).
    pub fn settle(&self) {
        self.baseline.borrow_mut().settle()
    }

    /// `rows` (login attempts as JSON) inserted in one transaction.
    pub fn batch_insert(&self, side: Side, rows: &[serde_json::Value]) {
        let written = match side {
            Side::Nerve => self
                .store
                .raw_rows()
                .batch_insert("login_attempts", rows)
                .expect("batch"),
            Side::Baseline => self.baseline.borrow_mut().batch_insert(rows),
        };
        assert_eq!(written, rows.len() as u64);
    }
}
