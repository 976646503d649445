//! The rows NERVE stores, as plain serde types, and the closed value sets (plain Rust enums)
//! that each driver maps to its own column type (a PostgreSQL ENUM, a CHECKed SQLite text).

mod accounts;
mod company;
mod paging;
mod security;
mod user;
mod value_set;

pub use accounts::{
    ApiKey, AuditLog, IssuedApiKey, IssuedSession, LoginAttempt, LoginFailure, LoginRequest,
    NewApiKey, NewAuditLog, NewSession, Session,
};
pub use company::{Company, CompanyUpdate, NewCompany};
pub use paging::{Deleted, Page};
pub use security::{EventFilter, NewSecurityEvent, SecurityEvent, SecurityEventType, Severity};
pub use user::{NewUser, Role, User, UserUpdate};
pub use value_set::{UnknownValue, ValueSet};
