use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A tenant. Every company-owned row belongs to exactly one company and is reached only
/// through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Company {
    /// Identity, assigned by the database.
    pub id: i64,
    /// Display name, 1 to 255 characters.
    pub name: String,
    /// The company's primary DNS domain, lower-case; unique among live companies.
    pub domain: Option<String>,
    /// When the row was created.
    pub created_at: DateTime<Utc>,
    /// When the row was last changed.
    pub updated_at: DateTime<Utc>,
    /// When the row was soft-deleted; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
    /// `false` exactly while the row is soft-deleted.
    pub is_active: bool,
}

/// The values of a new company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCompany {
    /// Display name, 1 to 255 characters, stored unchanged.
    pub name: String,
    /// Primary domain; validated and lower-cased.
    pub domain: Option<String>,
}

/// Changes to a company; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new domain (`Some(None)` clears it).
    pub domain: Option<Option<String>>,
}
