//! # nerve-diesel: the Diesel code the NERVE drivers share
//!
//! Both drivers (`nerve-sqlite`, `nerve-postgres`) need the same error classification, the
//! same migration bookkeeping and the same query code. The query code cannot be one generic
//! function (Diesel's bounds differ per backend and the orphan rule keeps the contract's traits
//! from being implemented on a shared generic type), so it lives here once as `macro_rules!`
//! that each driver expands against its own `schema` module, connection and column types:
//! [`define_scope!`], [`company_store!`], [`user_store!`]. Everything that needs no backend type
//! is plain code in [`errors`], [`migrations`] and [`Env`].
#![deny(missing_docs)]

pub mod errors;
mod macros;
pub mod migrations;

pub use errors::{Op, TxError};

/// Diesel, re-exported for the code the macros generate.
pub use diesel;
/// nerve-core, re-exported for the code the macros generate.
pub use nerve_core;
/// r2d2, re-exported for the code the macros generate.
pub use r2d2;

use chrono::{DateTime, Utc};
use nerve_core::{Clock, PasswordHasher, Result, StoreOptions};
use std::sync::Arc;

/// What every domain call needs besides a connection: the clock and the password hasher.
#[derive(Debug)]
pub struct Env {
    /// The store's clock.
    pub clock: Arc<dyn Clock>,
    /// Hashes new passwords with the store's parameters.
    pub passwords: PasswordHasher,
}

impl Env {
    /// The environment described by `options`; fails when the password parameters are invalid.
    pub fn new(options: &StoreOptions) -> Result<Self> {
        Ok(Env {
            clock: options.clock.clone(),
            passwords: PasswordHasher::new(options.password)?,
        })
    }

    /// The current instant from the store's clock (UTC, microseconds).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// An r2d2 pool builder with the settings both drivers use: at most `max` connections, none
/// opened before they are needed, waiting at most `timeout` for one.
pub fn pool_builder<M: r2d2::ManageConnection>(
    max: u32,
    timeout: std::time::Duration,
) -> r2d2::Builder<M> {
    r2d2::Pool::builder()
        .max_size(max.max(1))
        .min_idle(Some(0))
        .connection_timeout(timeout)
}
