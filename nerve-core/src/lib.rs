//! # nerve-core: the NERVE storage contract
//!
//! Everything a NERVE store is, independent of any database: the models ([`model`]), the
//! object-safe synchronous traits every driver implements ([`Store`], [`Repos`] and one trait
//! per domain), the one error type ([`Error`]), validation ([`validate`]), password hashing
//! ([`password`]) and the injectable [`Clock`]. No Diesel, no SQL: drivers (`nerve-sqlite`,
//! `nerve-postgres`) depend on this crate, never the other way round.
//!
//! Guarantees every driver gives (the conformance suite checks them on each):
//! - ids are `i64`; timestamps are UTC at microsecond precision and come from the store's
//!   [`Clock`];
//! - reads exclude soft-deleted rows unless asked; restore is explicit;
//! - rows owned by a company are reached only through that company: another tenant's row is
//!   [`Error::NotFound`];
//! - every method is atomic, and several can share one transaction ([`Store::atomic`]);
//! - the same situation gives the same [`Error`] variant on every backend;
//! - secrets are never stored readable (passwords as argon2id hashes).
#![deny(missing_docs)]

pub mod backup;
pub mod baseline;
pub mod clock;
pub mod error;
pub mod legacy;
pub mod model;
pub mod password;
pub mod secret;
pub mod store;
pub mod transfer;
pub mod url;
pub mod validate;

pub use clock::{Clock, SystemClock, TestClock};
pub use error::{Constraint, Denial, Error, Field, Outcome, Result};
pub use password::{PasswordHasher, PasswordParams};
pub use store::{
    AdminStore, AnyDriver, ApiKeyStore, AppliedMigration, AttackSurfaceStore, AuditStore,
    AuthStore, Backend, BackupStore, BaitStore, Capabilities, CompanyStore, ComplianceStore,
    GhostStore, HealthThresholds, LockoutPolicy, MigrationPolicy, OsintStore, RawRows, Repos,
    RetryPolicy, RoadmapStore, SchemaStatus, SecurityEventStore, SessionStore, Store, StoreExt,
    StoreOptions, UploadStore, UserStore, AUDIT_LOG_MINIMUM_DAYS, RETENTION,
};
