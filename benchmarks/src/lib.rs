//! # nerve-benchmarks: NERVE storage beside hand-written SQL
//!
//! `cargo bench -p nerve-benchmarks` measures each contract operation on both backends next to
//! a *baseline*: the same work written by hand on a bare connection — rusqlite (on the same
//! libsqlite3-sys as Diesel) for SQLite, libpq itself for PostgreSQL — with the same SQL
//! statements, the same transactions where the operation needs one, and the results decoded
//! into the same model types. The statements are in [`sql`], once for both backends. After
//! criterion's own report, [`Report`] prints every operation with its baseline and the ratio.
#![deny(missing_docs)]

pub mod fixture;
pub mod placement;
pub mod postgres_baseline;
pub mod pq;
pub mod report;
pub mod sqlite_baseline;

pub use report::Report;

use chrono::{DateTime, Utc};
use nerve::model::{ApiKey, Company, Session, User};

/// The statements the baselines run, written once: `$n` parameters (PostgreSQL's, and SQLite's
/// named parameters, numbered in order of first use so positions match).
pub mod sql {
    /// A live company by id.
    pub const POINT_READ: &str = "SELECT id, name, domain, created_at, updated_at, deleted_at, \
        is_active FROM companies WHERE id = $1 AND deleted_at IS NULL";
    /// A page of a live company's live users.
    pub const TENANT_PAGE: &str = "SELECT id, company_id, email, full_name, role, locked_at, \
        locked_until, password_changed_at, last_login_at, created_at, updated_at, deleted_at, \
        is_active FROM users WHERE company_id = $1 AND EXISTS (SELECT 1 FROM companies WHERE \
        companies.id = $1 AND companies.deleted_at IS NULL) AND id > $2 AND deleted_at IS NULL \
        ORDER BY id LIMIT $3";
    /// A new company.
    pub const INSERT: &str = "INSERT INTO companies (name, domain, created_at, updated_at, \
        is_active) VALUES ($1, NULL, $2, $2, true) RETURNING id, name, domain, created_at, \
        updated_at, deleted_at, is_active";
    /// A live company renamed.
    pub const UPDATE: &str = "UPDATE companies SET name = $1, updated_at = $2 WHERE id = $3 \
        AND deleted_at IS NULL RETURNING id, name, domain, created_at, updated_at, deleted_at, \
        is_active";
    /// A live company soft-deleted.
    pub const SOFT_DELETE: &str = "UPDATE companies SET deleted_at = $1, is_active = false, \
        updated_at = $1 WHERE id = $2 AND deleted_at IS NULL";
    /// A session by token hash, with what decides whether it is valid.
    pub const SESSION: &str = "SELECT s.id, s.company_id, s.user_id, s.token_hash, \
        s.ip_address, s.user_agent, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, \
        u.deleted_at, u.locked_at, u.locked_until, c.deleted_at FROM sessions s JOIN users u ON \
        u.id = s.user_id JOIN companies c ON c.id = s.company_id WHERE s.token_hash = $1";
    /// A session seen now.
    pub const SESSION_SEEN: &str = "UPDATE sessions SET last_seen_at = $1, updated_at = $1 \
        WHERE id = $2 RETURNING id, company_id, user_id, ip_address, user_agent, created_at, \
        last_seen_at, expires_at, revoked_at";
    /// The API keys with a prefix, with what decides whether one is valid.
    pub const API_KEYS: &str = "SELECT k.id, k.company_id, k.user_id, k.key_hash, k.key_prefix, \
        k.name, k.permissions, k.last_used_at, k.last_used_ip, k.usage_count, k.created_at, \
        k.expires_at, k.revoked_at, u.deleted_at, c.deleted_at, u.locked_at, u.locked_until \
        FROM api_keys k JOIN users u ON u.id = k.user_id JOIN companies c ON c.id = \
        k.company_id WHERE k.key_prefix = $1";
    /// An API key used now.
    pub const API_KEY_USED: &str = "UPDATE api_keys SET usage_count = usage_count + 1, \
        last_used_at = $1, last_used_ip = $2, updated_at = $1 WHERE id = $3 RETURNING id, \
        company_id, user_id, name, key_prefix, permissions, last_used_at, last_used_ip, \
        usage_count, created_at, expires_at, revoked_at";
    /// The account a login names.
    pub const ACCOUNT: &str = "SELECT u.id, u.company_id, u.password_hash FROM users u JOIN \
        companies c ON c.id = u.company_id WHERE u.email = $1 AND u.deleted_at IS NULL AND \
        c.deleted_at IS NULL";
    /// A failed login of an unknown address.
    pub const ATTEMPT: &str = "INSERT INTO login_attempts (email, user_id, ip_address, \
        user_agent, success, failure, attempted_at) VALUES ($1, NULL, $2, NULL, false, \
        'unknown_account', $3)";
    /// Recent failures from an address.
    pub const FAILURES_FROM: &str = "SELECT count(*) FROM login_attempts WHERE ip_address = $1 \
        AND NOT success AND attempted_at > $2";
    /// The narrow rows of `batch_insert`, one at a time (SQLite's fastest way in).
    pub const ATTEMPT_ROW: &str = "INSERT INTO login_attempts (email, user_id, ip_address, \
        user_agent, success, failure, attempted_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    /// The narrow rows of `batch_insert` in one COPY (PostgreSQL's fastest way in).
    pub const ATTEMPT_COPY: &str = "COPY login_attempts (email, user_id, ip_address, \
        user_agent, success, failure, attempted_at) FROM STDIN";
}

/// The work of each benchmarked operation, by hand. Every method panics on a database error
/// (a benchmark has no one to report it to).
pub trait Baseline {
    /// The live company `id`.
    fn point_read(&mut self, id: i64) -> Company;
    /// The first `limit` live users of live company `company_id`.
    fn tenant_page(&mut self, company_id: i64, limit: u32) -> Vec<User>;
    /// A new company named `name`.
    fn insert(&mut self, name: &str) -> Company;
    /// Company `id` renamed.
    fn update(&mut self, id: i64, name: &str) -> Company;
    /// Company `id` soft-deleted.
    fn soft_delete(&mut self, id: i64);
    /// The session of `token`, seen now (one transaction).
    fn validate_session(&mut self, token: &str) -> Session;
    /// The API key `key` used now from `ip` for `scope` (one transaction).
    fn verify_api_key(&mut self, key: &str, scope: &str, ip: &str) -> ApiKey;
    /// A failed login of the unknown address `email` from `ip`: the account looked up, the
    /// password checked against `dummy_hash` (as for an unknown account), the attempt
    /// recorded and the address's recent failures counted (one transaction).
    fn record_login_attempt(&mut self, email: &str, password: &str, ip: &str, dummy_hash: &str);
    /// `rows` (login attempts as JSON objects) inserted in one transaction.
    fn batch_insert(&mut self, rows: &[serde_json::Value]) -> u64;
    /// Brings the database to the same state before each timed round, outside the timing.
    /// Nothing by default; SQLite empties its write-ahead log (and writes once into the
    /// reset log), so that neither side's round pays for a checkpoint the other side's writes
    /// made due.
    fn settle(&mut self) {}
}

/// Now, at microseconds (as the store stores it).
pub fn now() -> DateTime<Utc> {
    nerve::clock::truncate_micros(Utc::now())
}

/// The prefix of an API key `nrv_<prefix>_<secret>`.
pub fn key_prefix(key: &str) -> &str {
    key.split('_').nth(1).expect("an API key")
}

/// The scopes of an API key's `permissions` document.
pub fn scopes_of(permissions: &serde_json::Value) -> Vec<String> {
    permissions
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a user lock `(locked_at, locked_until)` is in force at `now`.
pub fn locked(lock: (Option<DateTime<Utc>>, Option<DateTime<Utc>>), now: DateTime<Utc>) -> bool {
    lock.0.is_some() && lock.1.is_none_or(|t| t > now)
}

/// What checking a password against the hash of no account costs (argon2id with the hash's
/// own parameters), as the store spends it for an unknown address.
pub fn verify_nothing(dummy_hash: &str, password: &str) {
    static HASHER: std::sync::OnceLock<nerve::PasswordHasher> = std::sync::OnceLock::new();
    let hasher = HASHER.get_or_init(|| {
        nerve::PasswordHasher::new(nerve::PasswordParams::INSECURE_FOR_TESTS).expect("params")
    });
    assert!(!hasher
        .verify("users", dummy_hash, password)
        .expect("a PHC hash"));
}
