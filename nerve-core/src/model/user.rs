use super::value_set::value_set;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

value_set! {
    /// A user's role within their company, from most to least privileged.
    pub enum Role as "user_role" {
        /// Owns the company account.
        Owner = "owner",
        /// Administers users and settings.
        Admin = "admin",
        /// Runs scans and works on findings.
        Analyst = "analyst",
        /// Reads only.
        Viewer = "viewer",
    }
}

/// A user account. The password hash is never part of it: the store reads it only to verify
/// a password, and never returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Identity, assigned by the database.
    pub id: i64,
    /// The company the user belongs to.
    pub company_id: i64,
    /// Normalized (lower-cased) e-mail address; unique among live users of all companies.
    pub email: String,
    /// Display name.
    pub full_name: Option<String>,
    /// Role within the company.
    pub role: Role,
    /// When the account was locked; `None` when not locked.
    pub locked_at: Option<DateTime<Utc>>,
    /// When a lock ends by itself; `None` with `locked_at` set means until unlocked.
    pub locked_until: Option<DateTime<Utc>>,
    /// When the password was last set.
    pub password_changed_at: DateTime<Utc>,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// When the row was soft-deleted; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while the row is soft-deleted.
    pub is_active: bool,
}

impl User {
    /// `true` when the account is locked at instant `now`: a lock is set and has no end or
    /// ends after `now`.
    pub fn is_locked_at(&self, now: DateTime<Utc>) -> bool {
        self.locked_at.is_some() && self.locked_until.is_none_or(|until| until > now)
    }
}

/// The values of a new user.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    /// E-mail address; validated and normalized (lower-cased) before storing.
    pub email: String,
    /// The password in clear; only its argon2id hash is stored.
    pub password: String,
    /// Display name, at most 255 characters.
    pub full_name: Option<String>,
    /// Role within the company.
    pub role: Role,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("full_name", &self.full_name)
            .field("role", &self.role)
            .finish()
    }
}

/// Changes to a user; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserUpdate {
    /// A new e-mail address (validated and normalized).
    pub email: Option<String>,
    /// A new display name (`Some(None)` clears it).
    pub full_name: Option<Option<String>>,
    /// A new role.
    pub role: Option<Role>,
}
