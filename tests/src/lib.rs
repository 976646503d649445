//! # The NERVE storage conformance harness
//!
//! A conformance case is a plain function `fn(&Ctx) -> CaseResult` written once against the
//! contract. [`conformance!`] expands a list of cases into one `#[test]` per case per backend,
//! named `module::case::sqlite` and `module::case::postgres`, so a failure names both.
//!
//! Every test gets a database of its own: SQLite a fresh file in a temporary directory;
//! PostgreSQL a database cloned from a template migrated once (under an advisory lock, so
//! parallel test processes build it once), dropped `WITH (FORCE)` when the test ends.
//!
//! PostgreSQL comes from `NERVE_TEST_PG_URL`, or from a container of the image
//! `scripts/pg-image.sh` builds, started by testcontainers ([`server`] says how each is
//! chosen). With neither, every PostgreSQL case fails with a message saying how to provide a
//! server: none passes silently.

pub mod kill;
pub mod legacy;
pub mod rows;
pub mod server;

use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use nerve::{Backend, MigrationPolicy, PasswordParams, Store, StoreOptions, TestClock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub use nerve;

/// Runs `f` and returns its value with the number of times, on this thread, the store said it
/// was trying a call again after a transient failure (its `warn` event "trying again after a
/// transient failure").
pub fn retries_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let retries = Arc::new(Retries::default());
    let out = counting_retries(&retries, f);
    (out, retries.count())
}

/// Runs `f`, counting in `retries` each time, on this thread, the store says it is trying a
/// call again: another thread can wait for the count ([`Retries::wait_for_change`]).
pub fn counting_retries<T>(retries: &Arc<Retries>, f: impl FnOnce() -> T) -> T {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(RetryCounter(Arc::clone(retries)));
    tracing::subscriber::with_default(subscriber, f)
}

/// How many times the store said it was trying a call again (see [`counting_retries`]).
#[derive(Debug, Default)]
pub struct Retries {
    count: std::sync::Mutex<usize>,
    changed: std::sync::Condvar,
}

impl Retries {
    /// The count so far.
    pub fn count(&self) -> usize {
        *self.count.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until the count is not `seen` any more, at most `timeout`; returns the count.
    pub fn wait_for_change(&self, seen: usize, timeout: std::time::Duration) -> usize {
        let count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        let (count, _) = self
            .changed
            .wait_timeout_while(count, timeout, |c| *c == seen)
            .unwrap_or_else(|e| e.into_inner());
        *count
    }

    fn add_one(&self) {
        *self.count.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.changed.notify_all();
    }
}

/// Counts the store's "trying again" events.
struct RetryCounter(Arc<Retries>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for RetryCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message(bool);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}").contains("trying again") {
                    self.0 = true;
                }
            }
        }
        let mut message = Message(false);
        event.record(&mut message);
        if message.0 {
            self.0.add_one();
        }
    }
}

/// What a case returns: `Err` (or a panic) fails the test.
pub type CaseResult = Result<(), Box<dyn std::error::Error>>;

/// What two backends must agree on about an error: its variant and the table and field it
/// names (`Validation(users.email)`, `Conflict(Unique companies.domain)`, `NotFound(users)`,
/// `Denied(BadCredentials)`), not its message. Which foreign key a conflict broke is left
/// out: it is a declared difference (`Capabilities::foreign_key_details`), checked by the
/// constraints cases.
pub fn error_signature(e: &nerve::Error) -> String {
    use nerve::{Constraint, Error};
    match e {
        Error::Validation { table, field, .. } => format!("Validation({table}.{field})"),
        Error::Conflict {
            table,
            constraint: Constraint::ForeignKey,
            ..
        } => format!("Conflict(ForeignKey {table})"),
        Error::Conflict {
            table,
            field,
            constraint,
            ..
        } => format!("Conflict({constraint:?} {table}.{field})"),
        Error::NotFound { table, .. } => format!("NotFound({table})"),
        Error::Denied { reason } => format!("Denied({reason:?})"),
        other => format!("other: {other}"),
    }
}

/// A conformance case.
pub type Case = fn(&Ctx) -> CaseResult;

/// The instant every test clock starts at (with sub-microsecond digits, which must be cut).
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-01-02T03:04:05.123456789Z")
        .expect("valid constant")
        .with_timezone(&Utc)
}

/// Options for test stores: the given clock, the cheapest argon2 cost, small pools (the
/// PostgreSQL server allows 100 connections for all tests together).
pub fn test_options(clock: Arc<TestClock>, migrations: MigrationPolicy) -> StoreOptions {
    StoreOptions {
        clock,
        password: PasswordParams::INSECURE_FOR_TESTS,
        migrations,
        max_connections: 4,
        connect_timeout: std::time::Duration::from_secs(20),
        ..StoreOptions::default()
    }
}

/// One test's database and a store open on it.
pub struct Ctx {
    /// The store under test.
    pub store: Box<dyn Store>,
    /// The store's clock; move it instead of sleeping.
    pub clock: Arc<TestClock>,
    /// The backend under test.
    pub backend: Backend,
    db: TestDb,
    /// The URL the store opens: the database's own, or on PostgreSQL through the pooler of
    /// `NERVE_TEST_PG_POOLER_URL` when set.
    store_url: String,
    backups: tempfile::TempDir,
}

impl Ctx {
    /// A migrated database of `backend` and a store on it.
    pub fn new(backend: Backend) -> Result<Self, String> {
        let db = TestDb::migrated(backend)?;
        let clock = Arc::new(TestClock::new(start_time()));
        let backups = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
        let mut options = test_options(clock.clone(), MigrationPolicy::Require);
        options.backup_dir = Some(backups.path().to_path_buf());
        let pooler = match backend {
            Backend::Postgres => pg::pooler_url()?,
            Backend::Sqlite => None,
        };
        let store_url = match (&db.kind, pooler) {
            (DbKind::Postgres { name }, Some(pooler)) => nerve::url::with_database(&pooler, name),
            _ => db.url.clone(),
        };
        let store = nerve::connect_with(&store_url, &options)
            .map_err(|e| format!("opening the test database: {e}"))?;
        Ok(Ctx {
            store,
            clock,
            backend,
            db,
            store_url,
            backups,
        })
    }

    /// A store on this test's database connected directly, never through a pooler: what
    /// operators' tools use (backups, restores), since `pg_dump` and `pg_restore` leave
    /// session state a transaction-mode pooler would hand on to other clients.
    pub fn direct(&self) -> nerve::Result<Box<dyn Store>> {
        let mut options = test_options(self.clock.clone(), MigrationPolicy::Require);
        options.backup_dir = Some(self.backups.path().to_path_buf());
        nerve::connect_with(&self.db.url, &options)
    }

    /// The directory the store's backups go to (a temporary one of this test).
    pub fn backup_dir(&self) -> &std::path::Path {
        self.backups.path()
    }

    /// Removes what a restore kept of the replaced database when it is not a file of the
    /// backup directory: on PostgreSQL, the safety-copy database the report names.
    pub fn drop_safety_copy(&self, report: &nerve::backup::RestoreReport) {
        drop_safety_copy(self.backend, &report.safety_copy);
    }

    /// The URL of this test's database itself, never through a pooler and without the
    /// store's own URL parameters: for opening raw connections with libpq or Diesel.
    pub fn direct_url(&self) -> &str {
        &self.db.url
    }

    /// This test's SQLite file (`None` on PostgreSQL), for a raw connection of another
    /// session.
    pub fn sqlite_file(&self) -> Option<&str> {
        self.db.sqlite_file()
    }

    /// The URL of this test's database.
    pub fn url(&self) -> &str {
        &self.store_url
    }

    /// Another store on the same database, opened with `policy`.
    pub fn reopen(&self, policy: MigrationPolicy) -> nerve::Result<Box<dyn Store>> {
        self.reopen_with(|o| o.migrations = policy)
    }

    /// Another store on this test's database, with the test options changed by `change`.
    pub fn reopen_with(
        &self,
        change: impl FnOnce(&mut StoreOptions),
    ) -> nerve::Result<Box<dyn Store>> {
        let mut options = test_options(self.clock.clone(), MigrationPolicy::Require);
        options.backup_dir = Some(self.backups.path().to_path_buf());
        change(&mut options);
        nerve::connect_with(&self.store_url, &options)
    }

    /// Another store on the same database, its URL carrying NERVE's URL `parameters`
    /// (`name=value&...`, PostgreSQL's), which override the options `reopen_with` gives.
    pub fn reopen_with_url_parameters(&self, parameters: &str) -> nerve::Result<Box<dyn Store>> {
        let joiner = if self.store_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let mut options = test_options(self.clock.clone(), MigrationPolicy::Require);
        options.backup_dir = Some(self.backups.path().to_path_buf());
        nerve::connect_with(&format!("{}{joiner}{parameters}", self.store_url), &options)
    }

    /// A second, empty database (no migrations applied) of the same backend, dropped with
    /// the returned handle.
    pub fn empty_database(&self) -> Result<TestDb, String> {
        TestDb::empty(self.backend)
    }

    /// Runs `sql` (one or more statements, no results) on this test's database directly,
    /// bypassing the store: for tests that must set up what the contract cannot.
    pub fn execute_raw(&self, sql: &str) -> CaseResult {
        self.db.execute_raw(sql)
    }

    /// Everything this test's database holds, as text: on SQLite the database file and its
    /// write-ahead log, read as bytes; on PostgreSQL every row of every table as JSON. For
    /// asserting that no secret is stored readable.
    pub fn dump_text(&self) -> Result<String, Box<dyn std::error::Error>> {
        match self.backend {
            Backend::Sqlite => {
                let path = self.db.sqlite_path()?;
                let mut bytes = std::fs::read(path)?;
                if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                    bytes.extend(wal);
                }
                Ok(String::from_utf8_lossy(&bytes).into_owned())
            }
            Backend::Postgres => {
                let tables = self.query_strings(
                    "SELECT tablename::text AS value FROM pg_tables WHERE schemaname = 'public'",
                )?;
                let mut out = String::new();
                for t in tables {
                    for row in self.query_strings(&format!(
                        "SELECT row_to_json(t)::text AS value FROM \"{t}\" t"
                    ))? {
                        out.push_str(&row);
                        out.push('\n');
                    }
                }
                Ok(out)
            }
        }
    }

    /// Runs a query returning one text column on this test's database directly.
    pub fn query_strings(&self, sql: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        self.db.query_strings(sql)
    }
}

/// A database that exists for one test.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    kind: DbKind,
}

enum DbKind {
    Sqlite {
        _dir: tempfile::TempDir,
        path: String,
    },
    Postgres {
        name: String,
    },
}

impl TestDb {
    /// A database with every migration applied.
    pub fn migrated(backend: Backend) -> Result<Self, String> {
        match backend {
            Backend::Sqlite => {
                let db = Self::empty(backend)?;
                nerve::migrate(&db.url).map_err(|e| format!("migrating {}: {e}", db.url))?;
                Ok(db)
            }
            Backend::Postgres => pg::clone_template(),
        }
    }

    /// A database with nothing in it.
    pub fn empty(backend: Backend) -> Result<Self, String> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| format!("temporary directory: {e}"))?;
                let path = dir.path().join("nerve.db").display().to_string();
                Ok(TestDb {
                    url: format!("sqlite://{path}"),
                    kind: DbKind::Sqlite { _dir: dir, path },
                })
            }
            Backend::Postgres => pg::create_database(None),
        }
    }

    fn sqlite_path(&self) -> Result<&str, String> {
        match &self.kind {
            DbKind::Sqlite { path, .. } => Ok(path),
            DbKind::Postgres { .. } => Err("not a SQLite database".into()),
        }
    }

    /// A database built by running every up.sql of `backend`'s migrations in order, outside
    /// the migration runner (so with no migration record), each text passed through
    /// `change(folder name, sql)` first: a database as NERVE's earlier application or an
    /// operator running our SQL by hand would leave it.
    pub fn built_by_hand(
        backend: Backend,
        change: impl Fn(&str, &str) -> String,
    ) -> Result<Self, String> {
        let db = Self::empty(backend)?;
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(format!("migrations_{}", backend.name()));
        let mut dirs: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.join("up.sql").is_file())
            .collect();
        dirs.sort();
        for d in dirs {
            let sql = std::fs::read_to_string(d.join("up.sql")).map_err(|e| e.to_string())?;
            let folder = d.file_name().unwrap_or_default().to_string_lossy();
            db.execute_raw(&change(&folder, &sql))
                .map_err(|e| format!("{}: {e}", d.display()))?;
        }
        Ok(db)
    }

    /// The SQLite file's path (`None` on PostgreSQL).
    pub fn sqlite_file(&self) -> Option<&str> {
        self.sqlite_path().ok()
    }

    /// The lines of [`TestDb::schema_snapshot`] only `self`'s catalog has, then those only
    /// `other`'s has: both empty when the two schemas are line for line the same.
    pub fn catalog_differences(
        &self,
        other: &TestDb,
    ) -> Result<(Vec<String>, Vec<String>), Box<dyn std::error::Error>> {
        let (mine, theirs) = (self.schema_snapshot()?, other.schema_snapshot()?);
        let only =
            |a: &[String], b: &[String]| a.iter().filter(|l| !b.contains(l)).cloned().collect();
        Ok((only(&mine, &theirs), only(&theirs, &mine)))
    }

    /// The database's schema as its own catalog tells it, one line per object, sorted: on
    /// SQLite every `sqlite_master` entry with its SQL; on PostgreSQL every column (type,
    /// nullability, default, identity), constraint, index, ENUM type, trigger and function of
    /// the `public` schema. For comparing one backend's schema with itself (up/down/up).
    pub fn schema_snapshot(&self) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        #[derive(QueryableByName)]
        struct One {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let mut lines: Vec<String> = match &self.kind {
            DbKind::Sqlite { path, .. } => diesel::sql_query(
                "SELECT type || ' ' || name || ' ' || coalesce(sql, '') AS value FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite_%'",
            )
            .load::<One>(&mut SqliteConnection::establish(path)?)?
            .into_iter()
            .map(|r| r.value)
            .collect(),
            DbKind::Postgres { .. } => diesel::sql_query(
                "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || udt_name \
                        || ' null=' || is_nullable || ' default=' || coalesce(column_default, '-') \
                        || ' identity=' || is_identity AS value \
                   FROM information_schema.columns WHERE table_schema = 'public' \
                 UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' \
                        || pg_get_constraintdef(oid) FROM pg_constraint \
                  WHERE connamespace = 'public'::regnamespace \
                 UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public' \
                 UNION ALL SELECT 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
                   FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
                  WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname \
                 UNION ALL SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger \
                  WHERE NOT tgisinternal \
                 UNION ALL SELECT 'function ' || proname || ' ' || prosrc FROM pg_proc \
                  WHERE pronamespace = 'public'::regnamespace \
                 UNION ALL SELECT 'options ' || relname || ' ' || array_to_string(reloptions, ',') \
                   FROM pg_class WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL",
            )
            .load::<One>(&mut PgConnection::establish(&self.url)?)?
            .into_iter()
            .map(|r| r.value)
            .collect(),
        };
        lines.sort();
        Ok(lines)
    }

    /// PostgreSQL: the statements running now on the server for this database — on it, or
    /// naming it (as a restore's on other databases do) — by other sessions, each as
    /// `pid start-time`: distinct values are distinct statements. Empty on SQLite or when the
    /// server cannot be asked.
    pub fn active_statements(&self) -> Vec<String> {
        let DbKind::Postgres { name } = &self.kind else {
            return Vec::new();
        };
        // Names derived from this one (a restore's) keep its start, its unique part, and may
        // drop the padding that makes it as long as PostgreSQL allows.
        let name = name.trim_end_matches('x');
        self.query_strings(&format!(
            "SELECT pid::text || ' ' || query_start::text AS value FROM pg_stat_activity \
             WHERE state = 'active' AND pid <> pg_backend_pid() AND query_start IS NOT NULL \
               AND (datname LIKE '{name}%' OR query LIKE '%{name}%')"
        ))
        .unwrap_or_default()
    }

    /// Runs a query returning one text column on this database directly.
    pub fn query_strings(&self, sql: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        #[derive(QueryableByName)]
        struct One {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let rows: Vec<One> = match &self.kind {
            DbKind::Sqlite { path, .. } => {
                let mut c = SqliteConnection::establish(path)?;
                diesel::sql_query(sql).load(&mut c)?
            }
            DbKind::Postgres { .. } => {
                let mut c = PgConnection::establish(&self.url)?;
                diesel::sql_query(sql).load(&mut c)?
            }
        };
        Ok(rows.into_iter().map(|r| r.value).collect())
    }

    /// Runs `sql` directly on this database (on PostgreSQL in the UTC time zone).
    pub fn execute_raw(&self, sql: &str) -> CaseResult {
        match &self.kind {
            DbKind::Sqlite { path, .. } => SqliteConnection::establish(path)?.batch_execute(sql)?,
            // Text timestamps without an offset mean UTC, as on SQLite.
            DbKind::Postgres { .. } => PgConnection::establish(&self.url)?
                .batch_execute(&format!("SET TIME ZONE 'UTC'; {sql}"))?,
        }
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let DbKind::Postgres { name } = &self.kind {
            pg::drop_database(name);
        }
    }
}

/// Plaintext passwords the cases use. After every case, on every backend, the whole database
/// (the SQLite file and its WAL; every PostgreSQL row) is searched for them: none may be stored
/// readable, whatever the scenario did.
pub const SUITE_PASSWORDS: &[&str] = &[
    "correct horse battery",
    "Correct horse battery",
    "wrong password!",
    "a new passphrase",
    "another passphrase",
    "a brand new passphrase",
    "hijacked password",
    "passphrase number",
    "Secret passphrase",
];

/// Runs `case` on a fresh database of `backend`, then checks that the database holds none of
/// [`SUITE_PASSWORDS`]; panics (fails the test) naming the backend.
pub fn run(backend: Backend, case: Case) {
    let ctx = Ctx::new(backend).unwrap_or_else(|e| panic!("[{backend}] no test database: {e}"));
    if let Err(e) = case(&ctx) {
        panic!("[{backend}] case failed: {e}");
    }
    let dump = ctx
        .dump_text()
        .unwrap_or_else(|e| panic!("[{backend}] cannot read the database back: {e}"));
    for password in SUITE_PASSWORDS {
        assert!(
            !dump.contains(password),
            "[{backend}] a plaintext password is stored readable: {password:?}"
        );
    }
}

/// Removes a restore's safety copy named `safety_copy` when it is a database (PostgreSQL);
/// a SQLite safety copy is a file of the backup directory, left to its owner. Panics when
/// there is no such copy: the report must name it exactly (PostgreSQL would also accept a name
/// longer than its 63 bytes, cut short, in the DROP).
pub fn drop_safety_copy(backend: Backend, safety_copy: &str) {
    match backend {
        Backend::Postgres => {
            assert!(
                pg::database_exists(safety_copy),
                "the restore reported the safety copy {safety_copy}, which is no database"
            );
            pg::drop_database(safety_copy);
        }
        Backend::Sqlite => assert!(
            std::path::Path::new(safety_copy).is_file(),
            "the restore reported the safety copy {safety_copy}, which is no file"
        ),
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// PostgreSQL provisioning: admin URL, template, per-test databases.
mod pg {
    use super::*;

    pub(super) use crate::server::{admin_url, pooler_url, HOW};

    /// `url` with its database name replaced by `name`.
    pub(super) fn with_database(url: &str, name: &str) -> String {
        nerve::url::with_database(url, name)
    }

    fn admin() -> Result<PgConnection, String> {
        let url = admin_url()?;
        PgConnection::establish(url).map_err(|e| {
            format!(
                "cannot connect to the test server {}: {e}; {HOW}",
                nerve::url::redact(url)
            )
        })
    }

    /// The template's name: it changes whenever a PostgreSQL migration changes.
    fn template_name() -> String {
        use std::hash::{Hash, Hasher};
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations_postgres");
        let mut files: Vec<_> = walk(std::path::Path::new(dir));
        files.sort();
        // FNV-1a: stable across Rust releases, unlike DefaultHasher's promise.
        struct Fnv(u64);
        impl Hasher for Fnv {
            fn finish(&self) -> u64 {
                self.0
            }
            fn write(&mut self, bytes: &[u8]) {
                for b in bytes {
                    self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
                }
            }
        }
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        for (path, content) in files {
            path.hash(&mut h);
            content.hash(&mut h);
        }
        format!("nerve_tpl_{:016x}", h.finish())
    }

    fn walk(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else if let Ok(content) = std::fs::read(&path) {
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.push((name, content));
            }
        }
        out
    }

    /// Builds the migrated template once (per server and migration set), under an advisory
    /// lock so parallel test processes wait for one builder.
    fn template() -> Result<&'static str, String> {
        static TEMPLATE: OnceLock<Result<String, String>> = OnceLock::new();
        TEMPLATE
            .get_or_init(|| {
                let name = template_name();
                let mut admin = admin()?;
                let sql = |c: &mut PgConnection, q: &str| {
                    c.batch_execute(q).map_err(|e| format!("{q}: {e}"))
                };
                sql(&mut admin, "SELECT pg_advisory_lock(7362531)")?;
                let result = (|| {
                    let exists: i64 =
                        diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                            &format!("(SELECT count(*) FROM pg_database WHERE datname = '{name}')"),
                        ))
                        .get_result(&mut admin)
                        .map_err(|e| e.to_string())?;
                    if exists == 0 {
                        let building = format!("{name}_building");
                        sql(
                            &mut admin,
                            &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"),
                        )?;
                        sql(&mut admin, &format!("CREATE DATABASE {building}"))?;
                        let url = with_database(admin_url()?, &building);
                        nerve::migrate(&url).map_err(|e| format!("migrating the template: {e}"))?;
                        sql(
                            &mut admin,
                            &format!("ALTER DATABASE {building} RENAME TO {name}"),
                        )?;
                        drop_stale_templates(&mut admin, &name)?;
                    }
                    Ok(name.clone())
                })();
                sql(&mut admin, "SELECT pg_advisory_unlock(7362531)")?;
                result
            })
            .as_deref()
            .map_err(|e| e.clone())
    }

    /// Drops the templates of older migration sets (they are of no further use), not `keep`.
    fn drop_stale_templates(admin: &mut PgConnection, keep: &str) -> Result<(), String> {
        #[derive(QueryableByName)]
        struct Stale {
            #[diesel(sql_type = diesel::sql_types::Text)]
            datname: String,
        }
        let stale: Vec<Stale> = diesel::sql_query(
            "SELECT datname::text AS datname FROM pg_database \
             WHERE datname LIKE 'nerve\\_tpl\\_%' AND datname NOT LIKE '%\\_building' \
               AND datname <> $1",
        )
        .bind::<diesel::sql_types::Text, _>(keep)
        .load(admin)
        .map_err(|e| format!("listing old templates: {e}"))?;
        for old in stale {
            admin
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    old.datname
                ))
                .map_err(|e| format!("dropping {}: {e}", old.datname))?;
        }
        Ok(())
    }

    pub(super) fn create_database(template: Option<&str>) -> Result<TestDb, String> {
        // As long as PostgreSQL allows (63 bytes), so that every name a feature derives from
        // a database's (a restore's safety copy) meets the limit in every test.
        let name = format!(
            "nerve_t_{}_{}_{}_",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            Utc::now().timestamp_micros() % 1_000_000_000
        );
        let name = format!("{name:x<63}");
        let from = template
            .map(|t| format!(" TEMPLATE {t}"))
            .unwrap_or_default();
        admin()?
            .batch_execute(&format!("CREATE DATABASE {name}{from}"))
            .map_err(|e| format!("CREATE DATABASE {name}{from}: {e}"))?;
        Ok(TestDb {
            url: with_database(admin_url()?, &name),
            kind: DbKind::Postgres { name },
        })
    }

    pub(super) fn clone_template() -> Result<TestDb, String> {
        create_database(Some(template()?))
    }

    /// Whether a database is named exactly `name`.
    pub(super) fn database_exists(name: &str) -> bool {
        #[derive(diesel::QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        admin()
            .and_then(|mut admin| {
                diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
                    .bind::<diesel::sql_types::Text, _>(name)
                    .get_result::<Found>(&mut admin)
                    .map_err(|e| e.to_string())
            })
            .is_ok_and(|f| f.n == 1)
    }

    pub(super) fn drop_database(name: &str) {
        if let Ok(mut admin) = admin() {
            // Best effort: a database left behind is removed by scripts/test.sh's next run.
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn database_names_are_replaced() {
            use super::with_database as w;
            assert_eq!(
                w("postgres://u@h:5432/postgres", "x"),
                "postgres://u@h:5432/x"
            );
            assert_eq!(
                w("postgresql://h/postgres?sslmode=disable", "x"),
                "postgresql://h/x?sslmode=disable"
            );
            assert_eq!(w("postgres://h", "x"), "postgres://h/x");
        }
    }
}

/// Asserts that `result` is an `Err` matching `pattern` (a pattern on [`nerve::Error`]).
#[macro_export]
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)?) => {
        match $result {
            Err(e) => assert!(
                matches!(e, $pattern $(if $guard)?),
                "expected {}, got the error {e:?}",
                stringify!($pattern)
            ),
            Ok(v) => panic!("expected {}, got Ok({v:?})", stringify!($pattern)),
        }
    };
}

/// Expands lists of cases into one `#[test]` per case per backend:
/// `module::case::sqlite` and `module::case::postgres`. The invoking module must have a
/// module `cases` with one submodule of case functions per listed module.
#[macro_export]
macro_rules! conformance {
    ($($module:ident : [$($case:ident),* $(,)?]),* $(,)?) => {
        $(
            mod $module {
                $(
                    mod $case {
                        #[test]
                        fn sqlite() {
                            $crate::run($crate::nerve::Backend::Sqlite, super::super::cases::$module::$case);
                        }
                        #[test]
                        fn postgres() {
                            $crate::run($crate::nerve::Backend::Postgres, super::super::cases::$module::$case);
                        }
                    }
                )*
            }
        )*
    };
}
