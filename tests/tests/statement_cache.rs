//! The hot contract operations run only prepared statements their connection keeps (SQLite:
//! compiled once; PostgreSQL: a named statement, parsed and planned once), on both backends.
//!
//! Diesel reports, through its instrumentation, every statement it starts, every statement it
//! adds to a connection's cache (after the start) and every statement that finishes. One
//! [`Recorder`] watches one connection: a statement that was not in that connection's cache
//! and was not added to it by the time it finished ran uncached, prepared again at every call.
//! Statements nest (on PostgreSQL, binding an ENUM value first looks up the type's id, once
//! per connection), so the recorder keeps a stack. Each operation runs twice and only the
//! second run is judged: the first does each connection's one-time work. Diesel thinks a
//! statement unsafe to cache when it is an `UPDATE` not written through `nerve_diesel::cached`,
//! holds an `IN` list with a bind per value (SQLite), or a literal SQL fragment.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use nerve::model::{
    CompanyUpdate, Deleted, LoginRequest, NewApiKey, NewCompany, NewSession, NewUser, Page, Role,
};
use nerve::{Backend, Store};
use nerve_conformance::Ctx;

thread_local! {
    /// The statements this thread's connections ran uncached, in order. Per thread, so the
    /// two backends' tests (run in parallel) keep apart; a store runs each statement on the
    /// calling thread.
    static UNCACHED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// How many statements this thread's connections started (the recorder is really on).
    static STARTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Watches one connection (Diesel makes one per connection it opens in this process).
#[derive(Default)]
struct Recorder {
    /// The SQL texts this connection's cache holds.
    cached: HashSet<String>,
    /// The statements started and not finished, innermost last: SQL, and whether it is (or
    /// is kept) outside the cache so far.
    running: Vec<(String, bool)>,
}

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { query, .. } => {
                STARTED.with(|n| n.set(n.get() + 1));
                // A statement prints as its SQL, then ` -- binds: [...]` when it has binds.
                let mut text = String::new();
                if write!(text, "{query}").is_err() {
                    text = "<a statement whose SQL could not be built>".into();
                }
                let sql = text.split(" -- binds: ").next().unwrap_or_default().trim();
                let uncached = !self.cached.contains(sql) && !is_outside_the_cache(sql);
                self.running.push((sql.to_string(), uncached));
            }
            InstrumentationEvent::CacheQuery { sql, .. } => {
                let sql = sql.trim();
                if let Some(entry) = self.running.iter_mut().rev().find(|(s, _)| s == sql) {
                    entry.1 = false;
                }
                self.cached.insert(sql.to_string());
            }
            InstrumentationEvent::FinishQuery { .. } => {
                if let Some((sql, true)) = self.running.pop() {
                    UNCACHED.with(|u| u.borrow_mut().push(sql));
                }
            }
            _ => {}
        }
    }
}

/// Transaction control and the pool's liveness check: simple statements (no parameters,
/// nothing to plan) that Diesel sends without its statement cache.
fn is_outside_the_cache(sql: &str) -> bool {
    let word = sql.split_whitespace().next().unwrap_or_default();
    ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"]
        .iter()
        .any(|w| word.eq_ignore_ascii_case(w))
        || sql == "SELECT 1"
}

type Operation<'a> = (&'static str, Box<dyn Fn(u32) + 'a>);

/// The operations the benchmarks time, and their neighbours on the same tables; `round`
/// makes each call's values fresh.
fn operations(store: &dyn Store) -> Vec<Operation<'_>> {
    let tenant = store
        .companies()
        .create(&NewCompany {
            name: "Cache tenant".into(),
            domain: None,
        })
        .expect("a company")
        .id;
    let user = store
        .users()
        .create(
            tenant,
            &NewUser {
                email: "first@cache.example".into(),
                password: "Cache passphrase 1".into(),
                full_name: None,
                role: Role::Analyst,
            },
        )
        .expect("a user")
        .id;
    let session = move |store: &dyn Store| {
        let ttl = chrono::Duration::days(1);
        let new = NewSession {
            ttl,
            ip_address: None,
            user_agent: None,
        };
        let made = store
            .sessions()
            .create(tenant, user, &new)
            .expect("a session");
        made.token.expose().to_string()
    };
    let token = session(store);
    let key = store
        .api_keys()
        .create(
            tenant,
            user,
            &NewApiKey {
                name: "cache".into(),
                scopes: vec!["scans:read".into()],
                expires_at: None,
            },
        )
        .expect("an API key")
        .key
        .expose()
        .to_string();
    let company = move |round: u32, what: &str| {
        let new = NewCompany {
            name: format!("{what} {round}"),
            domain: None,
        };
        store.companies().create(&new).expect("a company").id
    };
    vec![
        (
            "companies.create",
            Box::new(move |round| {
                company(round, "Created");
            }),
        ),
        (
            "companies.get",
            Box::new(move |_| {
                store.companies().get(tenant).expect("get");
            }),
        ),
        (
            "companies.update",
            Box::new(move |round| {
                let changes = CompanyUpdate {
                    name: Some(format!("Tenant {round}")),
                    ..Default::default()
                };
                store.companies().update(tenant, &changes).expect("update");
            }),
        ),
        (
            "companies.soft_delete and restore",
            Box::new(move |round| {
                let id = company(round, "Doomed");
                store.companies().soft_delete(id).expect("soft delete");
                store.companies().restore(id).expect("restore");
            }),
        ),
        (
            "users.create",
            Box::new(move |round| {
                let new = NewUser {
                    email: format!("user{round}@cache.example"),
                    password: "Cache passphrase 2".into(),
                    full_name: Some(format!("User {round}")),
                    role: Role::Viewer,
                };
                store.users().create(tenant, &new).expect("a user");
            }),
        ),
        (
            "users.list",
            Box::new(move |_| {
                let page = Page::first(50);
                store
                    .users()
                    .list(tenant, page, Deleted::Exclude)
                    .expect("a page");
            }),
        ),
        (
            "sessions.create",
            Box::new(move |_| {
                session(store);
            }),
        ),
        (
            "sessions.validate",
            Box::new(move |_| {
                store.sessions().validate(&token).expect("a valid session");
            }),
        ),
        (
            "api_keys.verify",
            Box::new(move |round| {
                let ip = format!("192.0.2.{round}");
                let verified = store.api_keys().verify(&key, "scans:read", Some(&ip));
                verified.expect("a valid key");
            }),
        ),
        (
            "auth.login refused",
            Box::new(move |round| {
                let refused = store.auth().login(&LoginRequest {
                    email: "nobody@cache.example".into(),
                    password: "not this one".into(),
                    ip_address: Some(format!("198.51.100.{round}")),
                    user_agent: None,
                });
                assert!(
                    matches!(refused, Err(nerve::Error::Denied { .. })),
                    "{refused:?}"
                );
            }),
        ),
        (
            "auth.login",
            Box::new(move |round| {
                store
                    .auth()
                    .login(&LoginRequest {
                        email: "first@cache.example".into(),
                        password: "Cache passphrase 1".into(),
                        ip_address: Some(format!("203.0.113.{round}")),
                        user_agent: None,
                    })
                    .expect("a login");
            }),
        ),
    ]
}

/// Each operation run twice; returns, per operation, the statements its second run sent
/// uncached.
fn uncached_statements(backend: Backend) -> BTreeMap<&'static str, Vec<String>> {
    diesel::connection::set_default_instrumentation(|| Some(Box::<Recorder>::default()))
        .expect("Diesel's instrumentation hook");
    let ctx = Ctx::new(backend).unwrap_or_else(|e| panic!("[{backend}] no test database: {e}"));
    // Directly: through a pooler, PostgreSQL's statement cache is off by design.
    let store = ctx.direct().expect("a store");
    let mut uncached = BTreeMap::new();
    for (name, operation) in operations(store.as_ref()) {
        operation(1);
        UNCACHED.with(|u| u.borrow_mut().clear());
        STARTED.with(|n| n.set(0));
        operation(2);
        let started = STARTED.with(|n| n.get());
        assert!(
            started > 0,
            "[{backend}] {name}: Diesel reported no statement"
        );
        let mut missed = UNCACHED.with(|u| u.take());
        missed.sort();
        missed.dedup();
        if !missed.is_empty() {
            uncached.insert(name, missed);
        }
    }
    uncached
}

fn assert_all_cached(backend: Backend) {
    let uncached = uncached_statements(backend);
    assert!(
        uncached.is_empty(),
        "[{backend}] statements prepared again at every call:\n{uncached:#?}"
    );
}

#[test]
fn sqlite_hot_operations_run_cached_statements_only() {
    assert_all_cached(Backend::Sqlite);
}

#[test]
fn postgres_hot_operations_run_cached_statements_only() {
    assert_all_cached(Backend::Postgres);
}
