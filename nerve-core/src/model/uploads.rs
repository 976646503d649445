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
