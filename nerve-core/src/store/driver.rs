//! [`AnyDriver`]: what the `nerve` facade needs of a compiled driver, so that it dispatches
//! every URL-taking function through one table instead of one `match` per function.

use crate::baseline::BaselineReport;
use crate::model::SchemaDescription;
use crate::{Backend, Result, SchemaStatus, Store, StoreOptions};

/// A driver's entry points for databases named by URL, as plain function pointers (what sqlx's
/// `AnyDriver` is to its `Any` connection). Each driver crate exports one (`nerve_sqlite::DRIVER`,
/// `nerve_postgres::DRIVER`); the facade keeps those of the drivers compiled in and picks one by
/// the URL's scheme. Every function takes the URL as given (it may hold a password, which never
/// reaches an error) and has the semantics the facade function of the same name documents.
#[derive(Clone, Copy)]
pub struct AnyDriver {
    /// The backend the driver serves.
    pub backend: Backend,
    /// Opens a store (`nerve::connect_with`).
    pub open: fn(&str, &StoreOptions) -> Result<Box<dyn Store>>,
    /// Applies pending migrations (`nerve::migrate`).
    pub migrate: fn(&str) -> Result<Vec<String>>,
    /// Reverts the newest migrations (`nerve::revert`).
    pub revert: fn(&str, usize) -> Result<Vec<String>>,
    /// Describes the schema from the catalog (`nerve::describe_schema`).
    pub describe_schema: fn(&str) -> Result<SchemaDescription>,
    /// Adopts a database made outside the migration runner (`nerve::baseline`).
    pub baseline: fn(&str, bool) -> Result<BaselineReport>,
    /// Reads the applied migrations without changing anything (`nerve::schema_status`).
    pub schema_status: fn(&str) -> Result<SchemaStatus>,
    /// The versions of the migrations the driver embeds, oldest first
    /// (`nerve::embedded_migrations`).
    pub embedded_migrations: fn() -> Vec<String>,
}

impl std::fmt::Debug for AnyDriver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnyDriver")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}
