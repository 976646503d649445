use super::value_set::value_set;

value_set! {
    /// What a Ghost Search query looks for.
    pub enum GhostQueryType as "ghost_query_type" {
        /// An e-mail address.
        Email = "email",
        /// A user name.
        Username = "username",
        /// A domain name.
        Domain = "domain",
        /// A phone number.
        Phone = "phone",
        /// An IP address.
        Ip = "ip",
        /// A person's name.
        Name = "name",
        /// A password hash.
        PasswordHash = "password_hash",
    }
}

value_set! {
    /// Whom a monitored e-mail address is watched for.
    pub enum MonitorScope as "monitor_scope" {
        /// The whole company (the row has a company).
        Company = "company",
        /// One user (the row has a user).
        User = "user",
    }
}

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A Ghost Search query a user ran.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GhostQuery {
    /// Identity.
    pub id: i64,
    /// Who searched.
    pub user_id: i64,
    /// What was looked for.
    pub query_type: GhostQueryType,
    /// The text searched for.
    pub query_value: String,
    /// How many results came back.
    pub results_count: i64,
    /// The sources searched and how each went.
    pub search_sources: Option<serde_json::Value>,
    /// How long the search took.
    pub response_time_ms: Option<i64>,
    /// When it ran.
    pub searched_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A query to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewGhostQuery {
    /// Who searched (a live user of the company).
    pub user_id: i64,
    /// What was looked for.
    pub query_type: GhostQueryType,
    /// The text searched for, 1 to 255 characters.
    pub query_value: String,
    /// How many results came back (not negative).
    pub results_count: i64,
    /// The sources searched (JSON, no U+0000).
    pub search_sources: Option<serde_json::Value>,
    /// How long it took (not negative).
    pub response_time_ms: Option<i64>,
}

/// An e-mail address watched for exposure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoredEmail {
    /// Identity.
    pub id: i64,
    /// The company it is watched for.
    pub company_id: Option<i64>,
    /// The user it is watched for (scope `user`).
    pub user_id: Option<i64>,
    /// Who added it.
    pub created_by_user_id: i64,
    /// The address (normalized).
    pub email_address: String,
    /// For whom it is watched.
    pub monitor_scope: MonitorScope,
    /// When findings were last recorded for it.
    pub last_checked: Option<DateTime<Utc>>,
    /// How many live findings it has: always equal to them.
    pub findings_count: i64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When monitoring stopped (soft delete).
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while stopped.
    pub is_active: bool,
}

/// An address to watch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMonitoredEmail {
    /// Who adds it (a live user of the company).
    pub created_by_user_id: i64,
    /// The address (validated, normalized).
    pub email_address: String,
    /// For whom: the company, or one user.
    pub monitor_scope: MonitorScope,
    /// The user, for scope `user` (a live user of the company); `None` for scope `company`.
    pub user_id: Option<i64>,
}

/// Something found about a monitored address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailFinding {
    /// Identity.
    pub id: i64,
    /// The address.
    pub monitored_email_id: i64,
    /// The feed it came from.
    pub source: String,
    /// Its identity within the source: one finding per address, source and key.
    pub finding_key: String,
    /// The breach, when it is one.
    pub breach_name: Option<String>,
    /// When the breach happened.
    pub breach_date: Option<DateTime<Utc>>,
    /// The kinds of data exposed.
    pub data_classes: Option<serde_json::Value>,
    /// How serious it is.
    pub severity: super::Severity,
    /// The source's own record.
    pub source_details: Option<serde_json::Value>,
    /// When it was found.
    pub found_at: DateTime<Utc>,
}

/// A finding to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEmailFinding {
    /// The feed, 1 to 100 characters.
    pub source: String,
    /// Its identity within the source, 1 to 512 characters.
    pub finding_key: String,
    /// The breach, up to 255 characters.
    pub breach_name: Option<String>,
    /// When the breach happened.
    pub breach_date: Option<DateTime<Utc>>,
    /// The kinds of data exposed (JSON, no U+0000).
    pub data_classes: Option<serde_json::Value>,
    /// How serious it is.
    pub severity: super::Severity,
    /// The source's own record (JSON, no U+0000).
    pub source_details: Option<serde_json::Value>,
}

/// A GitHub or Gist search result about a monitored address; one per source URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubFinding {
    /// Identity.
    pub id: i64,
    /// The address.
    pub monitored_email_id: i64,
    /// Where it was found.
    pub source_url: String,
    /// The repository.
    pub repository: Option<String>,
    /// The file in it.
    pub file_path: Option<String>,
    /// The matching text.
    pub matched_text: Option<String>,
    /// How serious it is.
    pub severity: super::Severity,
    /// When it was committed.
    pub committed_at: Option<DateTime<Utc>>,
    /// When it was found.
    pub found_at: DateTime<Utc>,
}

/// A GitHub finding to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewGithubFinding {
    /// Where it was found: an http(s) URL, up to 2048 characters.
    pub source_url: String,
    /// The repository, up to 255 characters.
    pub repository: Option<String>,
    /// The file, up to 1024 characters.
    pub file_path: Option<String>,
    /// The matching text, up to 10 000 characters.
    pub matched_text: Option<String>,
    /// How serious it is.
    pub severity: super::Severity,
    /// When it was committed.
    pub committed_at: Option<DateTime<Utc>>,
}

/// A Pastebin search result about a monitored address; one per source URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasteFinding {
    /// Identity.
    pub id: i64,
    /// The address.
    pub monitored_email_id: i64,
    /// The paste's URL.
    pub source_url: String,
    /// Its title.
    pub paste_title: Option<String>,
    /// Its author.
    pub paste_author: Option<String>,
    /// The matching text.
    pub matched_text: Option<String>,
    /// How serious it is.
    pub severity: super::Severity,
    /// When it was posted.
    pub posted_at: Option<DateTime<Utc>>,
    /// When it was found.
    pub found_at: DateTime<Utc>,
}

/// A Pastebin finding to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPasteFinding {
    /// The paste's URL: http(s), up to 2048 characters.
    pub source_url: String,
    /// Its title, up to 255 characters.
    pub paste_title: Option<String>,
    /// Its author, up to 255 characters.
    pub paste_author: Option<String>,
    /// The matching text, up to 10 000 characters.
    pub matched_text: Option<String>,
    /// How serious it is.
    pub severity: super::Severity,
    /// When it was posted.
    pub posted_at: Option<DateTime<Utc>>,
}

/// An OPSYCH social media result about a monitored address; one per source URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpsychResult {
    /// Identity.
    pub id: i64,
    /// The address.
    pub monitored_email_id: i64,
    /// The profile's URL.
    pub source_url: String,
    /// The platform.
    pub platform: super::SocialPlatform,
    /// The account's handle.
    pub username: Option<String>,
    /// Its display name.
    pub display_name: Option<String>,
    /// What else the source says.
    pub details: Option<serde_json::Value>,
    /// When it was found.
    pub found_at: DateTime<Utc>,
}

/// An OPSYCH result to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewOpsychResult {
    /// The profile's URL: http(s), up to 2048 characters.
    pub source_url: String,
    /// The platform.
    pub platform: super::SocialPlatform,
    /// The handle, up to 255 characters.
    pub username: Option<String>,
    /// The display name, up to 255 characters.
    pub display_name: Option<String>,
    /// What else the source says (JSON, no U+0000).
    pub details: Option<serde_json::Value>,
}
