use super::value_set::value_set;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

value_set! {
    /// How serious a security event or finding is, from least to most.
    pub enum Severity as "severity" {
        /// For the record.
        Info = "info",
        /// Worth a look.
        Low = "low",
        /// Needs attention.
        Medium = "medium",
        /// Needs attention now.
        High = "high",
        /// An incident.
        Critical = "critical",
    }
}

value_set! {
    /// What a security event is about.
    pub enum SecurityEventType as "security_event_type" {
        /// Repeated failed logins for one account (it was locked).
        BruteForce = "brute_force",
        /// Many failed logins from one address across accounts.
        CredentialStuffing = "credential_stuffing",
        /// An account was locked.
        AccountLocked = "account_locked",
        /// An account was unlocked.
        AccountUnlocked = "account_unlocked",
        /// A password was changed.
        PasswordChanged = "password_changed",
        /// An API key was refused (unknown, revoked, expired, or missing a scope).
        ApiKeyRejected = "api_key_rejected",
        /// A honeytoken was accessed.
        HoneytokenAccess = "honeytoken_access",
        /// Anything else.
        Other = "other",
    }
}

/// A security event (the spec's `security_events`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityEvent {
    /// Identity.
    pub id: i64,
    /// The company concerned; `None` for platform-wide events (an address probing accounts).
    pub company_id: Option<i64>,
    /// What happened.
    pub event_type: SecurityEventType,
    /// How serious it is.
    pub severity: Severity,
    /// The user concerned.
    pub user_id: Option<i64>,
    /// The e-mail address concerned (as given, normalized when valid).
    pub email: Option<String>,
    /// The client address.
    pub ip_address: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// Where the client was, if known.
    pub location: Option<String>,
    /// What happened, in words.
    pub description: String,
    /// Structured details (JSON).
    pub metadata: Option<serde_json::Value>,
    /// Whether a user acknowledged it.
    pub acknowledged: bool,
    /// Who acknowledged it first.
    pub acknowledged_by: Option<i64>,
    /// When it was first acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// The values of a new security event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewSecurityEvent {
    /// The company concerned.
    pub company_id: Option<i64>,
    /// What happened.
    pub event_type: SecurityEventType,
    /// How serious it is.
    pub severity: Severity,
    /// The user concerned (must be a user of `company_id`).
    pub user_id: Option<i64>,
    /// The e-mail address concerned.
    pub email: Option<String>,
    /// The client address (validated IPv4 or IPv6).
    pub ip_address: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// Where the client was.
    pub location: Option<String>,
    /// What happened, 1 to 2000 characters.
    pub description: String,
    /// Structured details.
    pub metadata: Option<serde_json::Value>,
}

impl NewSecurityEvent {
    /// An event of `event_type` and `severity` described by `description`, nothing else set.
    pub fn new(
        event_type: SecurityEventType,
        severity: Severity,
        description: impl Into<String>,
    ) -> Self {
        NewSecurityEvent {
            company_id: None,
            event_type,
            severity,
            user_id: None,
            email: None,
            ip_address: None,
            user_agent: None,
            location: None,
            description: description.into(),
            metadata: None,
        }
    }
}

/// Which security events a list returns; every field narrows it, `Default` is all events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFilter {
    /// Only events of this company (`None`: every company and the platform-wide ones).
    pub company_id: Option<i64>,
    /// Only events of these severities (empty: all).
    pub severities: Vec<Severity>,
    /// Only events recorded at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded before this instant.
    pub until: Option<DateTime<Utc>>,
    /// Only acknowledged (`Some(true)`) or unacknowledged (`Some(false)`) events.
    pub acknowledged: Option<bool>,
}
