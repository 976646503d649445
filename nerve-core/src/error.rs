//! The one error type of NERVE storage.
//!
//! Every driver returns the same variant for the same situation; callers match on variants,
//! never on message text. Variants carry the table, field, row and reason that the driver knows
//! from the operation it ran (not from the database's message, which is neither stable nor
//! detailed). No variant ever contains a password: URLs are redacted before they reach an error
//! (see [`crate::url::redact`]).

use std::error::Error as StdError;
use std::fmt;

/// `table.field: `, `table: `, `field: ` or nothing, leaving out the parts given as `-`.
fn place(table: &str, field: &str) -> String {
    match (table, field) {
        ("-", "-") => String::new(),
        ("-", f) => format!("{f}: "),
        (t, "-") => format!("{t}: "),
        (t, f) => format!("{t}.{f}: "),
    }
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Which kind of constraint a [`Error::Conflict`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Constraint {
    /// The primary key: a row with this id already exists. A store's own ids never collide;
    /// this is seen when rows were loaded with explicit ids and the table's identity was not
    /// moved past them (PostgreSQL), or when a caller gives ids ([`crate::RawRows`]).
    PrimaryKey,
    /// A unique key (or unique index) already holds the value.
    Unique,
    /// A foreign key: the referenced row is missing, or the row is still referenced.
    ForeignKey,
    /// Optimistic concurrency: the row changed since the version the write expected.
    Stale,
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Constraint::PrimaryKey => "primary key",
            Constraint::Unique => "unique",
            Constraint::ForeignKey => "foreign key",
            Constraint::Stale => "version",
        })
    }
}

/// Whether a failed operation may have changed the database ([`Error::Connection`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// Nothing of the operation was applied: it only read, or its connection failed before
    /// its transaction began. Running it again is safe.
    NotApplied,
    /// The connection failed after the write was sent: it may or may not have been committed.
    /// Running it again could apply it twice; check the database first.
    Unknown,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::NotApplied => "nothing was applied",
            Outcome::Unknown => {
                "the outcome of this write is unknown: it may or may not have been committed, \
                 so it was not tried again"
            }
        })
    }
}

/// Why access was denied ([`Error::Denied`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// Unknown e-mail address or wrong password: deliberately not told apart.
    BadCredentials,
    /// The account is locked until the given instant (`None`: until an admin unlocks it).
    Locked {
        /// When the lock ends by itself.
        until: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// No live session or API key matches the token or key given.
    UnknownToken,
    /// The session or API key has expired.
    Expired,
    /// The session or API key was revoked.
    Revoked,
    /// The account's stored password hash is of a format NERVE cannot verify (carried over
    /// by `nerve import` from NERVE's Python application): the password must be reset.
    PasswordResetRequired,
    /// The API key lacks the scope the operation needs.
    MissingScope {
        /// The scope asked for.
        scope: String,
    },
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::BadCredentials => f.write_str("unknown e-mail address or wrong password"),
            Denial::Locked { until: Some(t) } => write!(f, "the account is locked until {t}"),
            Denial::Locked { until: None } => f.write_str("the account is locked until unlocked"),
            Denial::UnknownToken => f.write_str("unknown token or key"),
            Denial::Expired => f.write_str("expired"),
            Denial::Revoked => f.write_str("revoked"),
            Denial::MissingScope { scope } => write!(f, "the key lacks the scope '{scope}'"),
            Denial::PasswordResetRequired => f.write_str(
                "the password must be reset: the account's stored hash is of a format \
                 NERVE cannot verify",
            ),
        }
    }
}

/// A table column named in an error or a validation rule: `table.name`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Field {
    /// The table (as named in the migrations).
    pub table: &'static str,
    /// The column, or a pseudo-field such as `password` for values that are never stored as is.
    pub name: &'static str,
}

impl Field {
    /// A field of `table` called `name`.
    pub const fn new(table: &'static str, name: &'static str) -> Self {
        Field { table, name }
    }

    /// A [`Error::Validation`] for this field with `reason`.
    pub fn invalid(self, reason: impl Into<String>) -> Error {
        Error::Validation {
            table: self.table,
            field: self.name,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.table, self.name)
    }
}

/// Everything a NERVE store operation can fail with.
///
/// The spec's `DatabaseError` maps to [`Error::NotFound`], [`Error::Conflict`] and
/// [`Error::Backend`]; `ValidationError` to [`Error::Validation`]; `DatabaseConnectionError`
/// to [`Error::Connect`] and [`Error::Connection`]; `TransactionError` to
/// [`Error::Transaction`]. Schema problems have their own variants.
///
/// What a caller decides on is data, never the message: [`Error::is_retryable`] says whether
/// running the call again may succeed and is safe, [`Error::outcome`] whether a failed write
/// may have been applied. The messages name the table, field and reason, for people.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No live row matched: absent, soft-deleted, or owned by another company (which is never
    /// distinguished from absent, so tenants cannot probe each other's ids).
    #[error("{table}: no row with {key}")]
    NotFound {
        /// The table searched.
        table: &'static str,
        /// The key searched for, such as `id=42` or `company_id=1, id=42`.
        key: String,
    },

    /// A write would break a primary-key, unique or foreign-key constraint, or a version check
    /// ([`Constraint::Stale`]); nothing was written.
    ///
    /// `table`, `field` and `name` are the constraint the database reported, never a guess
    /// from the operation: the same operation can break several constraints (a create can hit
    /// the primary key or a unique key). Where the database reports no constraint — SQLite
    /// names none for a foreign-key violation ([`crate::Capabilities::foreign_key_details`]) —
    /// `table` is the table written, `field` is `-` and `name` is `None`.
    #[error(
        "{table}.{field}: {constraint} constraint{}: {reason}",
        .name.map(|n| format!(" {n}")).unwrap_or_default()
    )]
    Conflict {
        /// The table the constraint belongs to (for a foreign key, the referencing table).
        table: &'static str,
        /// The columns the constraint covers, comma-separated in key order (`a, b`); a key
        /// part that is an expression is `<expression>`. `-` when not reported.
        field: &'static str,
        /// Which kind of constraint.
        constraint: Constraint,
        /// The constraint's name as the database knows it (`companies_pkey`,
        /// `users_email_live_key`), where it reports one: always on PostgreSQL; on SQLite for
        /// unique indexes made by `CREATE UNIQUE INDEX` (the same names as on PostgreSQL),
        /// `None` for primary keys, `UNIQUE` clauses of `CREATE TABLE` and foreign keys, which
        /// SQLite does not name. `None` for [`Constraint::Stale`].
        name: Option<&'static str>,
        /// What collided, in words.
        reason: String,
    },

    /// A value was rejected before or by the database; nothing was written.
    #[error("{}invalid value: {reason}", place(.table, .field))]
    Validation {
        /// The table the value was meant for.
        table: &'static str,
        /// The field holding the value.
        field: &'static str,
        /// Why the value was rejected.
        reason: String,
    },

    /// Credentials, a session token or an API key were refused. What the contract records
    /// about the attempt (login attempts, security events) is recorded all the same.
    #[error("access denied: {reason}")]
    Denied {
        /// Why.
        reason: Denial,
    },

    /// The database could not be reached or opened, or no connection could be had within the
    /// connect timeout: nothing ran.
    #[error("could not connect: {reason}")]
    Connect {
        /// What failed (URLs in it are redacted).
        reason: String,
    },

    /// A connection failed while the operation ran on it (the server went away, the network
    /// broke). The store has already tried again what was safe to try again
    /// ([`crate::RetryPolicy`]).
    #[error("connection failed: {reason}; {outcome}")]
    Connection {
        /// What failed (URLs in it are redacted).
        reason: String,
        /// Whether the operation may have been applied.
        outcome: Outcome,
    },

    /// A transaction could not begin, commit or roll back, or the database rolled it back
    /// itself (serialization failure, deadlock, lock not obtained in time). Nothing of the
    /// transaction was kept.
    #[error("transaction failed: {reason}")]
    Transaction {
        /// What failed.
        reason: String,
        /// Whether the database rolled the transaction back itself and running it again may
        /// succeed (a serialization failure, a deadlock, a lock wait that timed out).
        rolled_back: bool,
    },

    /// Applying or reading migrations failed. Migrations run in one transaction, so a failed
    /// run leaves the schema as it was.
    #[error("migration failed: {reason}")]
    Migration {
        /// What failed.
        reason: String,
    },

    /// The database has migrations this binary does not know: it was migrated by a newer
    /// release. Opening it is refused so that an old binary never writes a newer schema.
    #[error(
        "the database schema is newer than this binary: it has migration(s) {} that this binary \
         does not know; upgrade nerve",
        unknown.join(", ")
    )]
    SchemaTooNew {
        /// The applied migration versions that the binary does not embed.
        unknown: Vec<String>,
    },

    /// The database lacks migrations this binary needs. Run `nerve migrate`, or open the store
    /// with [`crate::MigrationPolicy::Apply`].
    #[error(
        "the database schema is behind this binary: {} pending migration(s): {}; run `nerve migrate`",
        pending.len(),
        pending.join(", ")
    )]
    PendingMigrations {
        /// Names of the migrations not yet applied, oldest first.
        pending: Vec<String>,
    },

    /// A backup could not be taken, read or restored: the file (or database) and why. A
    /// refused restore changes nothing.
    #[error("backup {path}: {reason}")]
    Backup {
        /// The backup file, or the database, concerned.
        path: String,
        /// What is wrong, and what to do about it.
        reason: String,
    },

    /// The operation or URL is not supported by this build or backend.
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is not supported, and what would make it work (for example a Cargo feature).
        what: String,
    },

    /// Any other database failure, with the driver's error kept as the source.
    #[error("{}{operation} failed: {source}", place(.table, "-"))]
    Backend {
        /// The table the operation ran on (or `-` when none).
        table: &'static str,
        /// The operation, such as `insert` or `select`.
        operation: &'static str,
        /// The driver's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl Error {
    /// A [`Error::NotFound`] for `table` and a key written as `key`.
    pub fn not_found(table: &'static str, key: impl Into<String>) -> Self {
        Error::NotFound {
            table,
            key: key.into(),
        }
    }

    /// An [`Error::Backup`] about no file in particular (`-`) as the same about `path` (a
    /// file, or a database named without its password);
    /// any other error unchanged.
    pub fn with_backup_path(self, path: impl fmt::Display) -> Self {
        match self {
            Error::Backup { path: p, reason } if p == "-" => Error::Backup {
                path: path.to_string(),
                reason,
            },
            other => other,
        }
    }

    /// `true` for [`Error::NotFound`].
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// The variant as a stable snake_case name, for machine-readable output (`nerve --json`
    /// prints `{"error": {"kind": ..., "message": ...}}`): `not_found`, `conflict`,
    /// `validation`, `denied`, `connect`, `connection`, `transaction`, `migration`,
    /// `schema_too_new`, `pending_migrations`, `backup`, `unsupported`, `backend`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::NotFound { .. } => "not_found",
            Error::Conflict { .. } => "conflict",
            Error::Validation { .. } => "validation",
            Error::Denied { .. } => "denied",
            Error::Connect { .. } => "connect",
            Error::Connection { .. } => "connection",
            Error::Transaction { .. } => "transaction",
            Error::Migration { .. } => "migration",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::PendingMigrations { .. } => "pending_migrations",
            Error::Backup { .. } => "backup",
            Error::Unsupported { .. } => "unsupported",
            Error::Backend { .. } => "backend",
        }
    }

    /// A transaction error that running the call again will not mend (`rolled_back: false`).
    pub fn transaction(reason: impl Into<String>) -> Self {
        Error::Transaction {
            reason: reason.into(),
            rolled_back: false,
        }
    }

    /// Whether the failure was transient and running the call again is safe, as nothing of
    /// it was applied: an [`Error::Connection`] with [`Outcome::NotApplied`] (the connection
    /// broke before anything was written) and an [`Error::Transaction`] the database rolled
    /// back itself (serialization failure, deadlock, lock wait). The store has already tried
    /// these again as its [`crate::RetryPolicy`] says; a caller may wait and try once more.
    ///
    /// [`Error::Connect`] is not retryable by this rule although nothing ran: whether a later
    /// attempt can connect depends on why this one could not (a busy pool or a restarting
    /// server, or a mistyped URL or a missing file), which only the caller can judge.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Connection { outcome, .. } => *outcome == Outcome::NotApplied,
            Error::Transaction { rolled_back, .. } => *rolled_back,
            _ => false,
        }
    }

    /// Whether the failed operation may have been applied: [`Outcome::Unknown`] for a write
    /// whose connection failed after it was sent, [`Outcome::NotApplied`] for every other
    /// error (every variant but [`Error::Connection`] means nothing was written).
    pub fn outcome(&self) -> Outcome {
        match self {
            Error::Connection { outcome, .. } => *outcome,
            _ => Outcome::NotApplied,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retrying_is_decided_by_kind_and_outcome_not_by_text() {
        let connect = Error::Connect {
            reason: "no database connection available".into(),
        };
        let lost = |outcome| Error::Connection {
            reason: "server closed the connection".into(),
            outcome,
        };
        let rolled_back = Error::Transaction {
            reason: "deadlock".into(),
            rolled_back: true,
        };
        assert!(!connect.is_retryable());
        assert!(lost(Outcome::NotApplied).is_retryable());
        assert!(!lost(Outcome::Unknown).is_retryable());
        assert!(rolled_back.is_retryable());
        assert!(!Error::transaction("commit failed").is_retryable());
        assert!(!Error::not_found("companies", "id=1").is_retryable());
        assert_eq!(lost(Outcome::Unknown).outcome(), Outcome::Unknown);
        assert_eq!(connect.outcome(), Outcome::NotApplied);
        let shown = lost(Outcome::Unknown).to_string();
        assert!(
            shown.starts_with("connection failed: server closed the connection; ")
                && shown.contains("may or may not have been committed"),
            "{shown}"
        );
        assert!(connect.to_string().starts_with("could not connect: "));
    }
}
