use super::value_set::value_set;

value_set! {
    /// A social media platform an OSINT profile has an account on.
    pub enum SocialPlatform as "social_platform" {
        /// X, formerly Twitter.
        Twitter = "twitter",
        /// LinkedIn.
        Linkedin = "linkedin",
        /// Facebook.
        Facebook = "facebook",
        /// Instagram.
        Instagram = "instagram",
        /// GitHub.
        Github = "github",
        /// Reddit.
        Reddit = "reddit",
        /// TikTok.
        Tiktok = "tiktok",
        /// YouTube.
        Youtube = "youtube",
        /// Any Mastodon instance.
        Mastodon = "mastodon",
        /// Telegram.
        Telegram = "telegram",
        /// Anything else.
        Other = "other",
    }
}

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An OSINT profile: a person a company watches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// Who created it.
    pub user_id: Option<i64>,
    /// The person's name, 1 to 255 characters.
    pub full_name: String,
    /// Their e-mail address, normalized (lower case).
    pub email: Option<String>,
    /// Their domain, normalized.
    pub domain: Option<String>,
    /// Their job title.
    pub job_title: Option<String>,
    /// Where they are.
    pub location: Option<String>,
    /// Free notes.
    pub notes: Option<String>,
    /// Exposure, 0 to 100.
    pub risk_score: i64,
    /// Structured extra data.
    pub metadata: Option<serde_json::Value>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// The values of a new profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewProfile {
    /// Who creates it (a user of the company).
    pub user_id: Option<i64>,
    /// The person's name, 1 to 255 characters.
    pub full_name: String,
    /// Their e-mail address (validated, lower-cased).
    pub email: Option<String>,
    /// Their domain (validated, lower-cased).
    pub domain: Option<String>,
    /// Their job title, up to 255 characters.
    pub job_title: Option<String>,
    /// Where they are, up to 255 characters.
    pub location: Option<String>,
    /// Free notes, up to 10 000 characters.
    pub notes: Option<String>,
    /// Exposure, 0 to 100.
    pub risk_score: i64,
    /// Structured extra data (no U+0000).
    pub metadata: Option<serde_json::Value>,
}

/// Changes to a profile; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProfileUpdate {
    /// A new name.
    pub full_name: Option<String>,
    /// A new e-mail address.
    pub email: Option<Option<String>>,
    /// A new domain.
    pub domain: Option<Option<String>>,
    /// A new job title.
    pub job_title: Option<Option<String>>,
    /// A new location.
    pub location: Option<Option<String>>,
    /// New notes.
    pub notes: Option<Option<String>>,
    /// A new risk score, 0 to 100.
    pub risk_score: Option<i64>,
    /// New extra data.
    pub metadata: Option<Option<serde_json::Value>>,
}

/// Which profiles a search returns: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileSearch {
    /// Text the name contains, compared case-insensitively (Unicode lower case), 1 to 255
    /// characters; `%` and `_` are matched literally.
    pub name: Option<String>,
    /// The e-mail address (normalized before comparing).
    pub email: Option<String>,
    /// The domain (normalized before comparing).
    pub domain: Option<String>,
}

/// A social media account of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialAccount {
    /// Identity.
    pub id: i64,
    /// The profile.
    pub profile_id: i64,
    /// Who recorded it.
    pub user_id: Option<i64>,
    /// The platform.
    pub platform: SocialPlatform,
    /// The handle, 1 to 255 characters; one live account per profile, platform and handle.
    pub handle: String,
    /// The account's URL.
    pub url: Option<String>,
    /// Followers, when known.
    pub followers: Option<i64>,
    /// Whether the platform verified it.
    pub verified: bool,
    /// When it was found.
    pub discovered_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// The values of a new social media account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSocialAccount {
    /// The platform.
    pub platform: SocialPlatform,
    /// The handle, 1 to 255 characters.
    pub handle: String,
    /// The account's URL, up to 2048 characters.
    pub url: Option<String>,
    /// Followers (not negative).
    pub followers: Option<i64>,
    /// Whether the platform verified it.
    pub verified: bool,
}

/// A breach a profile appears in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Breach {
    /// Identity.
    pub id: i64,
    /// The profile.
    pub profile_id: i64,
    /// Who recorded it.
    pub user_id: Option<i64>,
    /// The breach's name; one live breach per profile and name.
    pub breach_name: String,
    /// When the breach happened.
    pub breach_date: Option<DateTime<Utc>>,
    /// The kinds of data exposed (a JSON array).
    pub data_classes: serde_json::Value,
    /// Where it was learnt.
    pub source: Option<String>,
    /// How serious it is.
    pub severity: super::Severity,
    /// Free description.
    pub description: Option<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// The values of a breach to record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewBreach {
    /// The breach's name, 1 to 255 characters.
    pub breach_name: String,
    /// When it happened.
    pub breach_date: Option<DateTime<Utc>>,
    /// The kinds of data exposed: a JSON array (no U+0000).
    pub data_classes: serde_json::Value,
    /// Where it was learnt, up to 100 characters.
    pub source: Option<String>,
    /// How serious it is.
    pub severity: super::Severity,
    /// Free description, up to 10 000 characters.
    pub description: Option<String>,
}

/// A device discovered for a company, one live device per address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// The profile it belongs to, when known.
    pub profile_id: Option<i64>,
    /// Who recorded it.
    pub user_id: Option<i64>,
    /// Its address (normalized IPv4 or IPv6).
    pub ip_address: String,
    /// Its host name.
    pub hostname: Option<String>,
    /// What kind of device it is.
    pub device_type: Option<String>,
    /// Its operating system.
    pub operating_system: Option<String>,
    /// Its open ports (a JSON array).
    pub open_ports: serde_json::Value,
    /// When it was first seen.
    pub first_seen_at: DateTime<Utc>,
    /// When it was last seen (the last upsert).
    pub last_seen_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// What a scan saw of a device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewDevice {
    /// The profile it belongs to (of the same company), when known.
    pub profile_id: Option<i64>,
    /// Its address (validated, normalized).
    pub ip_address: String,
    /// Its host name, up to 253 characters.
    pub hostname: Option<String>,
    /// What kind of device it is, up to 100 characters.
    pub device_type: Option<String>,
    /// Its operating system, up to 100 characters.
    pub operating_system: Option<String>,
    /// Its open ports: a JSON array (no U+0000).
    pub open_ports: serde_json::Value,
}
