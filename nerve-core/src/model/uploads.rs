//! Uploaded files and the credentials parsed from them.

use super::UploadStatus;
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A file uploaded for parsing: pending, then parsed or failed (with its reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// Who uploaded it.
    pub user_id: Option<i64>,
    /// The file's name as uploaded, 1 to 255 characters.
    pub file_name: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of its content, 64 lower-case hex digits.
    pub sha256: String,
    /// Its MIME type.
    pub mime_type: Option<String>,
    /// Where it is in its processing.
    pub status: UploadStatus,
    /// Why parsing failed (set exactly when `status` is failed).
    pub failure_reason: Option<String>,
    /// When parsing ended (parsed or failed).
    pub parsed_at: Option<DateTime<Utc>>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// The values of an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUploadedFile {
    /// Who uploads it (a user of the company).
    pub user_id: Option<i64>,
    /// The file's name, 1 to 255 characters.
    pub file_name: String,
    /// Its size in bytes (not negative).
    pub size_bytes: i64,
    /// SHA-256 of its content: 64 hex digits (stored lower-case).
    pub sha256: String,
    /// Its MIME type, up to 255 characters.
    pub mime_type: Option<String>,
}

/// A credential parsed from an uploaded file. Its password was never stored: only a masked
/// form and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedCredential {
    /// Identity.
    pub id: i64,
    /// The file it came from.
    pub file_id: i64,
    /// The file's company.
    pub company_id: i64,
    /// Who uploaded the file.
    pub user_id: Option<i64>,
    /// The e-mail address (normalized when valid, otherwise as found).
    pub email: Option<String>,
    /// The user name.
    pub username: Option<String>,
    /// The password masked by [`crate::secret::mask`].
    pub password_masked: Option<String>,
    /// SHA-256 of the password, 64 lower-case hex digits.
    pub password_sha256: Option<String>,
    /// The domain.
    pub domain: Option<String>,
    /// The line of the file it came from.
    pub source_line: Option<i64>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while soft-deleted.
    pub is_active: bool,
}

/// A credential as parsed; the password is given in the clear and never stored so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// The e-mail address, up to 254 characters.
    pub email: Option<String>,
    /// The user name, up to 255 characters.
    pub username: Option<String>,
    /// The password, in the clear: stored masked and hashed only.
    pub password: Option<Secret>,
    /// The domain, up to 253 characters.
    pub domain: Option<String>,
    /// The line of the file it came from (not negative).
    pub source_line: Option<i64>,
}

/// A credential's values as stored: checked, the e-mail address normalized when valid, the
/// password reduced to its mask and SHA-256 (the password itself is dropped here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The e-mail address.
    pub email: Option<String>,
    /// The user name.
    pub username: Option<String>,
    /// The password masked by [`crate::secret::mask`].
    pub password_masked: Option<String>,
    /// SHA-256 of the password, hex.
    pub password_sha256: Option<String>,
    /// The domain.
    pub domain: Option<String>,
    /// The line it came from.
    pub source_line: Option<i64>,
}

impl NewCredential {
    /// Checks the credential for `table` and returns its stored form. Leaked data holds what
    /// it holds: a valid e-mail address is normalized, anything else kept as found (up to 254
    /// characters). Errors: [`crate::Error::Validation`] naming the field (`password` for the
    /// password: at most 255 characters, no U+0000).
    pub fn stored(&self, table: &'static str) -> crate::Result<StoredCredential> {
        use crate::validate::{sanitize_input, validate_email};
        use crate::Field;
        let text = |name: &'static str, v: Option<&str>, max: usize| {
            v.map(|v| sanitize_input(Field::new(table, name), v, max).map(str::to_string))
                .transpose()
        };
        let email = match self.email.as_deref() {
            Some(e) => Some(validate_email(Field::new(table, "email"), e).or_else(|_| {
                sanitize_input(Field::new(table, "email"), e, 254).map(str::to_string)
            })?),
            None => None,
        };
        if self.source_line.is_some_and(|n| n < 0) {
            return Err(Field::new(table, "source_line").invalid("must not be negative"));
        }
        let password = self.password.as_ref().map(|p| p.expose());
        if password.is_some_and(|p| p.contains('\0') || p.chars().count() > 255) {
            return Err(Field::new(table, "password")
                .invalid("a password must be at most 255 characters, without U+0000"));
        }
        Ok(StoredCredential {
            email,
            username: text("username", self.username.as_deref(), 255)?,
            password_masked: password.map(crate::secret::mask),
            password_sha256: password.map(crate::secret::sha256_hex),
            domain: text("domain", self.domain.as_deref(), 253)?,
            source_line: self.source_line,
        })
    }
}

/// A breach file uploaded to Ghost Search: pending, then parsed (with its record count) or
/// failed (with its reason).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachFile {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// Who uploaded it.
    pub user_id: Option<i64>,
    /// The file's name.
    pub file_name: String,
    /// Its size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of its content, lower-case hex.
    pub sha256: String,
    /// The breach it is from.
    pub breach_name: Option<String>,
    /// Where it is in its processing.
    pub status: UploadStatus,
    /// Why parsing failed.
    pub failure_reason: Option<String>,
    /// How many records were parsed.
    pub records_count: i64,
    /// When parsing ended.
    pub parsed_at: Option<DateTime<Utc>>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// A breach file to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewBreachFile {
    /// Who uploads it (a live user of the company).
    pub user_id: Option<i64>,
    /// The file's name, 1 to 255 characters.
    pub file_name: String,
    /// Its size in bytes (not negative).
    pub size_bytes: i64,
    /// SHA-256 of its content: 64 hex digits.
    pub sha256: String,
    /// The breach it is from, up to 255 characters.
    pub breach_name: Option<String>,
}

/// A record parsed from a breach file; its password never stored readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreachRecord {
    /// Identity.
    pub id: i64,
    /// The file it came from.
    pub file_id: i64,
    /// The credential as stored.
    pub email: Option<String>,
    /// The user name.
    pub username: Option<String>,
    /// The password masked.
    pub password_masked: Option<String>,
    /// SHA-256 of the password, hex.
    pub password_sha256: Option<String>,
    /// The domain.
    pub domain: Option<String>,
    /// The line it came from.
    pub source_line: Option<i64>,
    /// The record's other fields.
    pub extra_fields: Option<serde_json::Value>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// A record as parsed from a breach file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBreachRecord {
    /// The credential (its password given in the clear, never stored so).
    pub credential: NewCredential,
    /// The record's other fields (JSON, no U+0000).
    pub extra_fields: Option<serde_json::Value>,
}
