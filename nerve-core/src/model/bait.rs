use super::value_set::value_set;

value_set! {
    /// What kind of honeytoken a BAIT token is.
    pub enum BaitTokenType as "bait_token_type" {
        /// A URL that should never be visited.
        Url = "url",
        /// A DNS name that should never be resolved.
        Dns = "dns",
        /// An e-mail address that should never receive mail.
        Email = "email",
        /// A fake cloud access key.
        AwsKey = "aws_key",
        /// A document that calls home when opened.
        Document = "document",
        /// A fake API key.
        ApiKey = "api_key",
        /// A fake user name and password.
        Credential = "credential",
        /// Anything else.
        Other = "other",
    }
}

value_set! {
    /// Where an uploaded file is in its processing.
    pub enum UploadStatus as "upload_status" {
        /// Received, not parsed yet.
        Pending = "pending",
        /// Parsed; its credentials are recorded.
        Parsed = "parsed",
        /// Parsing failed; the reason is recorded.
        Failed = "failed",
    }
}

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A BAIT honeytoken: a value planted where only an intruder would use it. Its value is
/// unique across all tokens, live or deactivated, so an access always finds its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaitToken {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// Who planted it.
    pub user_id: Option<i64>,
    /// What kind of token it is.
    pub token_type: BaitTokenType,
    /// The planted value, 1 to 512 characters.
    pub token_value: String,
    /// A name for people, 1 to 255 characters.
    pub label: String,
    /// Free description.
    pub description: Option<String>,
    /// How many accesses were recorded (while active or not).
    pub access_count: i64,
    /// When the last access was recorded.
    pub last_accessed_at: Option<DateTime<Utc>>,
    /// Structured extra data.
    pub metadata: Option<serde_json::Value>,
    /// When it was planted.
    pub created_at: DateTime<Utc>,
    /// When it last changed (an access changes it).
    pub updated_at: DateTime<Utc>,
    /// When it was deactivated; `None` while active.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while deactivated.
    pub is_active: bool,
}

/// The values of a new honeytoken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewBaitToken {
    /// Who plants it (a user of the company).
    pub user_id: Option<i64>,
    /// What kind of token it is.
    pub token_type: BaitTokenType,
    /// The value to plant, 1 to 512 characters, stored unchanged.
    pub token_value: String,
    /// A name for people, 1 to 255 characters.
    pub label: String,
    /// Free description, up to 2000 characters.
    pub description: Option<String>,
    /// Structured extra data (no U+0000).
    pub metadata: Option<serde_json::Value>,
}

/// One recorded use of a honeytoken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BaitAccess {
    /// Identity.
    pub id: i64,
    /// The token used.
    pub token_id: i64,
    /// The token's company.
    pub company_id: i64,
    /// The client address (normalized IPv4 or IPv6).
    pub ip_address: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// Where the client was.
    pub location: Option<String>,
    /// The request as received.
    pub raw_request: Option<serde_json::Value>,
    /// Whether the token was active when used; `false` flags an access to a deactivated one.
    pub token_was_active: bool,
    /// When it happened (the store's clock).
    pub accessed_at: DateTime<Utc>,
}

/// What is known of an access when it is recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewBaitAccess {
    /// The client address (validated IPv4 or IPv6).
    pub ip_address: Option<String>,
    /// The client's user agent, up to 1000 characters.
    pub user_agent: Option<String>,
    /// Where the client was, up to 255 characters.
    pub location: Option<String>,
    /// The request as received (no U+0000).
    pub raw_request: Option<serde_json::Value>,
}

/// What recording an access wrote, all in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedAccess {
    /// The access row.
    pub access: BaitAccess,
    /// The token, its counter and last access updated.
    pub token: BaitToken,
    /// The `honeytoken_access` security event raised.
    pub event: super::SecurityEvent,
}
