//! # nerve-diesel: the Diesel code the NERVE drivers share
//!
//! Both drivers (`nerve-sqlite`, `nerve-postgres`) run the same store code over Diesel. What
//! needs no backend type is plain code here, compiled once: the error classification
//! ([`errors`]) and the constraints it names ([`constraints`]), migration bookkeeping
//! ([`migrations`]), timings ([`metrics`]), JSON rows ([`raw_rows`]), the environment every
//! call needs ([`Env`]), and what stores read: the whole-row types ([`rows`]), the views of hot
//! reads and every row -> model conversion ([`models`]), the timestamp readers ([`values`]). What a backend must provide
//! is the trait [`Driver`]. The store code itself (`each_driver/`, one file per domain) is
//! ordinary Rust compiled inside each driver crate against that crate's Diesel schema: the
//! contract's traits cannot be implemented here for a generic type (the orphan rule), and
//! Diesel's per-backend bounds make generic query code unreadable. The macros left are the
//! table list's expansion ([`tables!`], [`value_sets!`]) and a few short query fragments.
#![deny(missing_docs)]

pub mod cached;
pub mod checks;
pub mod constraints;

/// Expands the table list (`each_driver/schema_tables.rs`) for what needs no backend: the
/// length limits and the whole-row types. The drivers expand the same list into their Diesel
/// schemas, and bind these row types to their tables.
macro_rules! with_tables {
    ($(
        $table:ident ($pk:ident) $row:ident {
            $( $col:ident -> $sql:ident $(<$inner:ident>)? $([$max:literal])? ),* $(,)?
        }
    )*) => {
        /// The most characters each limited text column holds, from the list's `[N]` (the
        /// migrations' `VARCHAR(N)` / `length(col) <= N`), such as `limits::companies::name`.
        /// The store code checks values against these, so a limit is written once, in the list.
        #[allow(non_upper_case_globals)]
        pub mod limits {
            $(
                #[doc = concat!("Limits of `", stringify!($table), "`.")]
                pub mod $table {
                    $( $(
                        #[doc = concat!("`", stringify!($table), ".", stringify!($col), "`.")]
                        pub const $col: usize = $max;
                    )? )*
                }
            )*
        }

        /// A whole-row type per table (`<CamelCaseTable>Row`): every column in table order, as
        /// its Rust type (value sets as nerve-core's enums, timestamps as `DateTime<Utc>`, JSON
        /// documents as `serde_json::Value`). Compiled once, for every backend: `Queryable` for
        /// any backend whose SQL types read into the fields (a driver selects
        /// `table::all_columns`, which has the same order, since both come from the list);
        /// `Serialize`, and [`from_json`](CompaniesRow::from_json) / [`new_from_json`](CompaniesRow::new_from_json) for rows given as JSON. How a
        /// driver writes one is the driver's (its `rows::write` module).
        pub mod rows {
            $(
                #[doc = concat!("A whole row of `", stringify!($table), "`.")]
                #[derive(Debug, Clone, PartialEq, diesel::Queryable, serde::Serialize)]
                pub struct $row {
                    $(
                        #[doc = concat!("`", stringify!($table), ".", stringify!($col), "`.")]
                        #[diesel(deserialize_as = <$crate::read_type!($sql $(<$inner>)?) as $crate::Itself>::Type)]
                        pub $col: $crate::row_type!($sql $(<$inner>)?),
                    )*
                }

                impl $row {
                    /// The table's name.
                    pub const TABLE: &'static str = stringify!($table);
                    /// The table's columns, in order (the fields' order).
                    pub const COLUMNS: &'static [&'static str] = &[$(stringify!($col)),*];

                    /// A row to insert from `obj` (an object of every column, as
                    /// [`raw_rows::field`](crate::raw_rows::field) reads one), its key `fresh_id` when `obj` gives
                    /// none: as [`from_json`](Self::from_json), and the key an id
                    /// ([`raw_rows::id`](crate::raw_rows::id)), checked before the text limits.
                    pub fn new_from_json(
                        obj: &serde_json::Map<String, serde_json::Value>,
                        fresh_id: Option<&serde_json::Value>,
                    ) -> nerve_core::Result<Self> {
                        Self::decode(obj, fresh_id, true)
                    }

                    /// The row `obj` gives (an object of every column, as
                    /// [`raw_rows::field`](crate::raw_rows::field) reads one): timestamps truncated to microseconds
                    /// and within years 1 to 9999, JSON documents of NOT NULL columns not
                    /// `null`, limited text within its limit. Errors: `Validation` naming the
                    /// column.
                    pub fn from_json(
                        obj: &serde_json::Map<String, serde_json::Value>,
                    ) -> nerve_core::Result<Self> {
                        Self::decode(obj, None, false)
                    }

                    fn decode(
                        obj: &serde_json::Map<String, serde_json::Value>,
                        fresh_id: Option<&serde_json::Value>,
                        check_id: bool,
                    ) -> nerve_core::Result<Self> {
                        const TABLE: &str = stringify!($table);
                        #[allow(unused_mut)]
                        let mut r = $row {
                            $( $col: $crate::raw_rows::field_or(
                                TABLE,
                                stringify!($col),
                                obj,
                                if stringify!($col) == stringify!($pk) { fresh_id } else { None },
                            )?, )*
                        };
                        $( $crate::micros!(TABLE, stringify!($col), $sql $(<$inner>)?, r.$col); )*
                        if check_id {
                            $crate::raw_rows::id(TABLE, r.$pk)?;
                        }
                        $( $( $crate::raw_rows::at_most(TABLE, stringify!($col), &r.$col, $max)?; )? )*
                        Ok(r)
                    }
                }
            )*
        }
    };
}

#[path = "../each_driver/schema_tables.rs"]
mod table_list;
pub use table_list::{limits, rows};
pub mod driver;
pub mod errors;
pub mod lone_write;
mod macros;
pub mod metrics;
pub mod migrations;
pub mod models;
pub mod raw_rows;
mod schema;
pub mod values;

pub use driver::{Driver, InsertRows};
pub use errors::{Op, TxError};
#[doc(hidden)]
pub use schema::Itself;
pub use values::{ReadNullableTs, ReadTs, WriteTs};

/// chrono, re-exported for the store code of the drivers.
pub use chrono;
/// Diesel, re-exported for the store code of the drivers.
pub use diesel;
/// nerve-core, re-exported for the store code of the drivers.
pub use nerve_core;
/// r2d2, re-exported for the store code of the drivers.
pub use r2d2;
/// serde, re-exported for the store code of the drivers.
pub use serde;
/// serde_json, re-exported for the store code of the drivers.
pub use serde_json;
/// tracing, re-exported for the store code of the drivers.
pub use tracing;

use chrono::{DateTime, Utc};
use nerve_core::{Clock, Error, LockoutPolicy, PasswordHasher, Result, StoreOptions};
use std::sync::Arc;

/// What every domain call needs besides a connection: the clock, the password hasher, and
/// the URL's secrets to keep out of messages. Its `Debug` shows how many secrets it holds,
/// never them.
pub struct Env {
    /// The store's clock.
    pub clock: Arc<dyn Clock>,
    /// Hashes new passwords with the store's parameters.
    pub passwords: PasswordHasher,
    /// When failed logins lock accounts.
    pub lockout: LockoutPolicy,
    /// How many recent passwords a new one must differ from.
    pub password_history: u32,
    /// Timings of this store's operations.
    pub metrics: metrics::Metrics,
    /// How calls that failed for a transient reason are tried again.
    pub retry: nerve_core::RetryPolicy,
    /// The statement timeout set at the start of every transaction (PostgreSQL), if any.
    pub statement_timeout: Option<std::time::Duration>,
    /// Where backups go, when the options name a directory.
    pub backup_dir: Option<std::path::PathBuf>,
    /// When health turns a metric into a warning.
    pub health: nerve_core::HealthThresholds,
    secrets: Vec<String>,
    dummy_hash: std::sync::OnceLock<String>,
    /// Until when connections are suspect: milliseconds since [`epoch`], 0 for never.
    suspect_until: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("clock", &self.clock)
            .field("passwords", &self.passwords)
            .field("lockout", &self.lockout)
            .field("password_history", &self.password_history)
            .field("retry", &self.retry)
            .field("statement_timeout", &self.statement_timeout)
            .field("backup_dir", &self.backup_dir)
            .field("health", &self.health)
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .finish_non_exhaustive()
    }
}

/// A wait for a pooled connection this long or longer is reported ([`Env::pool_waited`]).
pub const POOL_WAIT_NOTICE: std::time::Duration = std::time::Duration::from_millis(50);

/// The instant the store's monotonic times count from.
fn epoch() -> std::time::Instant {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(std::time::Instant::now)
}

/// Milliseconds since [`epoch`] (at least 1).
fn monotonic_ms() -> u64 {
    u64::try_from(epoch().elapsed().as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// When a pooled connection was last handed out (kept in its r2d2 extensions).
#[derive(Debug, Clone, Copy)]
pub struct LastUse(pub std::time::Instant);

/// How long a pooled connection may sit idle and still be used without a test: one idle for
/// longer is tested first (a round trip), as a server restart, a restore or an idle timeout
/// may have closed it meanwhile.
pub const IDLE_BEFORE_TEST: std::time::Duration = std::time::Duration::from_secs(1);

/// How long after a connection failed pooled connections are tested before use.
pub const SUSPECT_FOR: std::time::Duration = std::time::Duration::from_secs(10);

impl Env {
    /// The environment described by `options` for the database at `url`; fails with
    /// [`Error::Validation`] when the password parameters or the connect timeout are invalid.
    pub fn new(url: &str, options: &StoreOptions) -> Result<Self> {
        if options.connect_timeout.is_zero() {
            return Err(Error::Validation {
                table: "-",
                field: "connect_timeout",
                reason: "must be greater than zero".into(),
            });
        }
        Ok(Env {
            clock: options.clock.clone(),
            passwords: PasswordHasher::new(options.password)?,
            lockout: options.lockout,
            password_history: options.password_history,
            metrics: metrics::Metrics::new(options.slow_query_threshold, options.slow_query_cap),
            retry: options.retry,
            statement_timeout: options.statement_timeout,
            backup_dir: options.backup_dir.clone(),
            health: options.health,
            secrets: std::iter::once(url)
                .chain(options.replica.as_deref())
                .flat_map(nerve_core::url::secrets_of)
                .collect(),
            dummy_hash: std::sync::OnceLock::new(),
            suspect_until: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Records that a connection of the store failed: for [`SUSPECT_FOR`], pooled connections
    /// are tested before use (see [`Env::suspect`]).
    pub fn connection_failed(&self) {
        let until = monotonic_ms().saturating_add(SUSPECT_FOR.as_millis() as u64);
        self.suspect_until
            .store(until, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a connection failed within [`SUSPECT_FOR`]: then others may be dead too (a
    /// server restart, an idle timeout) and are tested before use. Otherwise they are not,
    /// which spares every call a round trip.
    pub fn suspect(&self) -> bool {
        let until = self
            .suspect_until
            .load(std::sync::atomic::Ordering::Relaxed);
        until != 0 && monotonic_ms() < until
    }

    /// The current instant from the store's clock, truncated to microseconds whatever the
    /// clock returns, so both backends store the same value.
    pub fn now(&self) -> DateTime<Utc> {
        nerve_core::clock::truncate_micros(self.clock.now())
    }

    /// Spends what verifying `password` against a real hash of this store's parameters costs,
    /// and always fails: used for unknown accounts, so that their logins take as long as a known
    /// account's and the time does not tell which addresses exist.
    pub fn verify_nothing(&self, password: &str) {
        let hash = self.dummy_hash.get_or_init(|| {
            self.passwords
                .hash(
                    nerve_core::Field::new("users", "password"),
                    "no account has this password",
                )
                .unwrap_or_default()
        });
        let _ = self.passwords.verify("users", hash, password);
    }

    /// `message` with the URL's password removed.
    pub fn scrub(&self, message: &str) -> String {
        nerve_core::url::scrub(message, &self.secrets)
    }

    /// Waits before trying `operation` again (attempt `attempt`, from 0, of the retry policy's
    /// `retries`) after `error`, and says so as a `warn` event.
    pub fn retry_after(&self, operation: &str, attempt: u32, error: &Error) {
        let delay = self.retry.delay(attempt);
        tracing::warn!(
            operation,
            attempt = attempt + 1,
            of = self.retry.retries,
            delay_ms = delay.as_millis() as u64,
            %error,
            "trying again after a transient failure"
        );
        std::thread::sleep(delay);
    }

    /// Says, as an `info` event, that `operation` waited `waited` for a pooled connection,
    /// when that is [`POOL_WAIT_NOTICE`] or more (a pool too small for its load).
    pub fn pool_waited(&self, operation: &str, waited: std::time::Duration) {
        if waited >= POOL_WAIT_NOTICE {
            tracing::info!(
                operation,
                waited_ms = waited.as_millis() as u64,
                "waited for a pooled connection"
            );
        }
    }

    /// A connection could not be had from the pool in time.
    pub fn pool_error(&self, e: r2d2::Error) -> Error {
        Error::Connect {
            reason: self.scrub(&format!("no database connection available: {e}")),
        }
    }
}

/// An r2d2 pool builder with the settings both drivers use: at most `max` connections, none
/// opened before they are needed, waiting at most `timeout` (greater than zero, see
/// [`Env::new`]) for one, and no test of a connection at each checkout (a round trip per call
/// on PostgreSQL): the store tests only connections idle for more than [`IDLE_BEFORE_TEST`]
/// and, while connections are failing ([`Env::suspect`]), every one; it retries reads, and
/// writes whose connection failed before anything was written; the pool drops connections
/// Diesel found broken.
pub fn pool_builder<M: r2d2::ManageConnection>(
    max: u32,
    timeout: std::time::Duration,
) -> r2d2::Builder<M> {
    r2d2::Pool::builder()
        .max_size(max.max(1))
        .min_idle(Some(0))
        .connection_timeout(timeout)
        .test_on_check_out(false)
}

/// An r2d2 manager whose connections are boxed: r2d2 moves a connection by value at every
/// checkout and return (out of and into its idle list, into and out of the guard it hands
/// out), and a Diesel 2.4 connection is a large value (it holds its hooks and statement cache
/// inline), so each move was a `memcpy` of it: about 950 of a SQLite point read's 15 600
/// instructions (callgrind). Boxed, a move is one pointer; the connection itself never moves.
/// `&mut Box<C>` derefs to `&mut C`, so the store code is unchanged.
#[derive(Debug)]
pub struct Boxed<M>(pub M);

impl<M: r2d2::ManageConnection> r2d2::ManageConnection for Boxed<M> {
    type Connection = Box<M::Connection>;
    type Error = M::Error;

    fn connect(&self) -> std::result::Result<Self::Connection, Self::Error> {
        self.0.connect().map(Box::new)
    }

    fn is_valid(&self, conn: &mut Self::Connection) -> std::result::Result<(), Self::Error> {
        self.0.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut Self::Connection) -> bool {
        self.0.has_broken(conn)
    }
}

/// A read replica of a store's primary: the pool of connections to it, and whether it is
/// known to be gone. Reads that tolerate lag go to it (`Scope::replica_read` of `each_driver/scope.rs`)
/// while it answers; when it cannot give a connection, or loses one, it is treated as gone
/// for [`Replica::RETRY_AFTER`], and those reads go to the primary meanwhile.
#[derive(Debug)]
pub struct Replica<P> {
    /// Connections to the replica.
    pub pool: P,
    /// Which replica this is, for logs (its URL, password removed).
    pub name: String,
    down_until: std::sync::Mutex<Option<std::time::Instant>>,
}

impl<P> Replica<P> {
    /// How long a replica that failed is left alone before reads try it again.
    pub const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

    /// The replica reached through `pool`, named `name` in logs.
    pub fn new(pool: P, name: String) -> Self {
        Replica {
            pool,
            name,
            down_until: std::sync::Mutex::new(None),
        }
    }

    /// Whether reads may try the replica: true unless it failed within the last
    /// [`Replica::RETRY_AFTER`].
    pub fn usable(&self) -> bool {
        let down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        down.is_none_or(|until| std::time::Instant::now() >= until)
    }

    /// Records that the replica failed with `error`: reads go to the primary for
    /// [`Replica::RETRY_AFTER`]. Logged as a warning.
    pub fn went_away(&self, error: &Error) {
        let mut down = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        *down = Some(std::time::Instant::now() + Self::RETRY_AFTER);
        tracing::warn!(replica = %self.name, %error, "read replica unavailable; reading from the primary for {:?}", Self::RETRY_AFTER);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_debug_never_shows_a_secret() {
        let options = StoreOptions {
            replica: Some("postgres://nerve:hunter2@replica/nerve".into()),
            password: nerve_core::PasswordParams::INSECURE_FOR_TESTS,
            ..StoreOptions::default()
        };
        let env = Env::new("postgres://nerve:s3cret@primary/nerve", &options).unwrap();
        let shown = format!("{env:?}");
        assert!(shown.contains("<2 redacted>"), "{shown}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
    }
}
