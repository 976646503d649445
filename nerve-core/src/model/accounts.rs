use super::value_set::value_set;
use crate::secret::Secret;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A login session. The token that identifies it is handed out once, at creation
/// ([`IssuedSession`]); only its SHA-256 hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Identity.
    pub id: i64,
    /// The user logged in.
    pub user_id: i64,
    /// The user's company.
    pub company_id: i64,
    /// The client address at creation.
    pub ip_address: Option<String>,
    /// The client's user agent at creation.
    pub user_agent: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last validated.
    pub last_seen_at: DateTime<Utc>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The values of a new session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// How long it is valid from now (1 second to 366 days).
    pub ttl: Duration,
    /// The client address (validated).
    pub ip_address: Option<String>,
    /// The client's user agent (at most 1000 characters).
    pub user_agent: Option<String>,
}

/// A session just created, with its token: the only time the token is available.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    /// The session.
    pub session: Session,
    /// The bearer token (43 URL-safe characters) to give to the client.
    pub token: Secret,
}

value_set! {
    /// Why a login attempt failed.
    pub enum LoginFailure as "login_failure" {
        /// No live user has the e-mail address, or it is not a valid address.
        UnknownAccount = "unknown_account",
        /// The password was wrong.
        BadPassword = "bad_password",
        /// The account is locked.
        Locked = "locked",
    }
}

/// A login attempt to record and check.
#[derive(Clone, PartialEq, Eq)]
pub struct LoginRequest {
    /// The e-mail address given (normalized before lookup).
    pub email: String,
    /// The password given; never stored.
    pub password: String,
    /// The client address (validated when present).
    pub ip_address: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("ip_address", &self.ip_address)
            .field("user_agent", &self.user_agent)
            .finish()
    }
}

/// A recorded login attempt (the spec's `login_attempts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempt {
    /// Identity.
    pub id: i64,
    /// The e-mail address given, normalized when it was valid, else `invalid:` and 16 hex
    /// digits of its SHA-256 (it may be a password typed into the wrong field).
    pub email: String,
    /// The user it matched, if any.
    pub user_id: Option<i64>,
    /// The client address.
    pub ip_address: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// Whether the login succeeded.
    pub success: bool,
    /// Why it failed.
    pub failure: Option<LoginFailure>,
    /// When it happened.
    pub attempted_at: DateTime<Utc>,
}

/// An audit log entry (the spec's `audit_logs`): append-only, enforced by the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLog {
    /// Identity.
    pub id: i64,
    /// The company the action happened in.
    pub company_id: i64,
    /// Who acted (`None`: the system).
    pub user_id: Option<i64>,
    /// What was done, such as `user.create` (1 to 100 characters).
    pub action: String,
    /// The kind of thing acted on, such as `users`.
    pub entity_type: Option<String>,
    /// The id of the thing acted on.
    pub entity_id: Option<i64>,
    /// Structured details (JSON).
    pub details: Option<serde_json::Value>,
    /// The client address.
    pub ip_address: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The values of a new audit log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAuditLog {
    /// Who acted (a user of the company), or `None` for the system.
    pub user_id: Option<i64>,
    /// What was done, 1 to 100 characters.
    pub action: String,
    /// The kind of thing acted on, at most 100 characters.
    pub entity_type: Option<String>,
    /// The id of the thing acted on.
    pub entity_id: Option<i64>,
    /// Structured details.
    pub details: Option<serde_json::Value>,
    /// The client address (validated).
    pub ip_address: Option<String>,
}

/// An API key. The key itself (`nrv_<prefix>_<secret>`) is handed out once, at creation
/// ([`IssuedApiKey`]); only its SHA-256 hash and its 8-character prefix are stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKey {
    /// Identity.
    pub id: i64,
    /// The owner's company.
    pub company_id: i64,
    /// The owner.
    pub user_id: i64,
    /// A name for people, 1 to 100 characters.
    pub name: String,
    /// The key's first 8 characters after `nrv_`, for recognizing it.
    pub key_prefix: String,
    /// The scopes the key grants, sorted and without duplicates.
    pub scopes: Vec<String>,
    /// When it was last verified successfully.
    pub last_used_at: Option<DateTime<Utc>>,
    /// From which address.
    pub last_used_ip: Option<String>,
    /// How many verifications succeeded.
    pub usage_count: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops being valid (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The values of a new API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKey {
    /// A name for people, 1 to 100 characters.
    pub name: String,
    /// The scopes it grants: 1 to 64 characters each of `a-z 0-9 _ : . -`.
    pub scopes: Vec<String>,
    /// When it stops being valid (`None`: never); must be in the future.
    pub expires_at: Option<DateTime<Utc>>,
}

/// An API key just created, with the key: the only time it is available.
#[derive(Debug, Clone)]
pub struct IssuedApiKey {
    /// The key's record.
    pub api_key: ApiKey,
    /// The key, `nrv_<prefix>_<secret>`, to give to its owner.
    pub key: Secret,
}
