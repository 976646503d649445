//! Account security: logins, sessions, the audit log, security events and API keys.

use crate::error::Result;
use crate::model::{
    ApiKey, AuditLog, EventFilter, IssuedApiKey, IssuedSession, LoginAttempt, LoginRequest,
    NewApiKey, NewAuditLog, NewSecurityEvent, NewSession, Page, SecurityEvent, Session, User,
};

/// Logins, under the store's [`LockoutPolicy`](crate::LockoutPolicy).
pub trait AuthStore {
    /// Checks an e-mail address and password and records the attempt in `login_attempts`
    /// (e-mail, address, user agent, success, time), whatever the outcome. An invalid e-mail
    /// address (often a password typed into the wrong field) is recorded as `invalid:` and 16
    /// hex digits of its SHA-256, never as given. Unknown and known addresses cost the same
    /// argon2 verification, so the time does not tell which accounts exist. The account's row
    /// is locked while the attempt is recorded, so concurrent guesses are counted one by one.
    ///
    /// A malformed client address or user agent is an [`Error::Validation`](crate::Error::Validation)
    /// and records nothing (it is not a login attempt). Inside [`Store::atomic`](crate::Store::atomic)
    /// login is refused ([`Error::Unsupported`](crate::Error::Unsupported)): the caller's rollback
    /// would erase the record of a refused attempt.
    ///
    /// - A live, unlocked user with this password: `last_login_at` is set, the failure count
    ///   is reset, and when the stored hash was made with other argon2 parameters than the
    ///   store's it is replaced by a new hash of the same password. Returns the user.
    /// - A locked account (lock not yet ended by the clock): [`Error::Denied`] with
    ///   [`Denial::Locked`], even with the right password.
    /// - Unknown address or wrong password: [`Error::Denied`] with [`Denial::BadCredentials`].
    ///   Wrong passwords are counted per account over the last `window`, from after the last
    ///   successful login or unlock; the one that reaches `max_failures` locks the account for
    ///   `lock_for` (its sessions revoked), records a `brute_force` security event and returns
    ///   [`Denial::Locked`]. The failure (of any kind) that reaches `max_failures_per_ip` from
    ///   one address within `window` records one `credential_stuffing` event.
    ///
    /// [`Error::Denied`]: crate::Error::Denied
    /// [`Denial::Locked`]: crate::Denial::Locked
    /// [`Denial::BadCredentials`]: crate::Denial::BadCredentials
    fn login(&self, request: &LoginRequest) -> Result<User>;

    /// The recorded attempts for an e-mail address (normalized, or hashed when invalid, as
    /// [`AuthStore::login`] records it), newest first.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn attempts(&self, email: &str, page: Page) -> Result<Vec<LoginAttempt>>;
}

/// Login sessions. Tokens are returned once, stored as SHA-256 hashes, and compared in
/// constant time.
pub trait SessionStore {
    /// Creates a session for the live user `user_id` of `company_id` and returns it with its
    /// token. A locked user gets [`Error::Denied`](crate::Error::Denied).
    fn create(&self, company_id: i64, user_id: i64, new: &NewSession) -> Result<IssuedSession>;

    /// The session a token identifies, with `last_seen_at` set to now. Denied
    /// ([`Error::Denied`](crate::Error::Denied)) when the token is unknown, the session is
    /// revoked or expired by the clock, or its user is locked or no longer live.
    fn validate(&self, token: &str) -> Result<Session>;

    /// The user's sessions that are neither revoked nor expired, newest first.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn list_active(&self, company_id: i64, user_id: i64) -> Result<Vec<Session>>;

    /// Revokes one session; revoking a revoked session changes nothing. NotFound when the
    /// session is not the company's.
    fn revoke(&self, company_id: i64, session_id: i64) -> Result<()>;

    /// Revokes every unrevoked session of the user; returns how many were revoked.
    fn revoke_all(&self, company_id: i64, user_id: i64) -> Result<u64>;
}

/// The audit log: append-only. The database itself rejects UPDATE and DELETE of its rows
/// (a trigger on each backend), so no code path can rewrite history.
pub trait AuditStore {
    /// Appends an entry for `company_id` (a live company; `user_id`, when given, one of its
    /// users).
    fn record(&self, company_id: i64, entry: &NewAuditLog) -> Result<AuditLog>;

    /// The company's entries, newest first.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_for_company(&self, company_id: i64, page: Page) -> Result<Vec<AuditLog>>;

    /// The company's entries made by one user, newest first.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_for_user(&self, company_id: i64, user_id: i64, page: Page) -> Result<Vec<AuditLog>>;
}

/// Security events.
pub trait SecurityEventStore {
    /// Records an event. An event naming a user belongs to that user's company (set when
    /// `company_id` is `None`; NotFound on `users` when the user is not of the company given).
    /// JSON metadata must not hold U+0000 (PostgreSQL's JSONB cannot store it).
    fn record(&self, event: &NewSecurityEvent) -> Result<SecurityEvent>;

    /// The events `filter` selects, newest first. A filter without `company_id` lists every
    /// company's events and the platform-wide ones: for platform operators; tenant-facing
    /// callers set `company_id`.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list(&self, filter: &EventFilter, page: Page) -> Result<Vec<SecurityEvent>>;

    /// Marks the event acknowledged by the live user `user_id` (who, when) and returns it.
    /// Idempotent: acknowledging an acknowledged event keeps the first who and when.
    fn acknowledge(&self, event_id: i64, user_id: i64) -> Result<SecurityEvent>;
}

/// API keys: `nrv_<prefix>_<secret>`, returned once, stored as a SHA-256 hash and the
/// 8-character prefix, verified in constant time.
pub trait ApiKeyStore {
    /// Creates a key for the live user `user_id` of `company_id`.
    fn create(&self, company_id: i64, user_id: i64, new: &NewApiKey) -> Result<IssuedApiKey>;

    /// Verifies `key` for an operation needing `scope`, from client address `ip`: on success
    /// increments `usage_count` and sets `last_used_at` and `last_used_ip`, and returns the
    /// key's record. Denied ([`Error::Denied`](crate::Error::Denied)) when the key is
    /// malformed, unknown, revoked, expired by the clock, its owner is locked or not live, or
    /// it lacks `scope`; a refused known key records an `api_key_rejected` security event.
    /// Refused inside [`Store::atomic`](crate::Store::atomic) ([`Error::Unsupported`](crate::Error::Unsupported)),
    /// where a rollback would erase that event.
    fn verify(&self, key: &str, scope: &str, ip: Option<&str>) -> Result<ApiKey>;

    /// The user's keys (revoked and expired included), ascending by id.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn list(&self, company_id: i64, user_id: i64) -> Result<Vec<ApiKey>>;

    /// Revokes a key; revoking a revoked key changes nothing.
    fn revoke(&self, company_id: i64, key_id: i64) -> Result<()>;
}
