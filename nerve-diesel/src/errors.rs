//! Turning Diesel and r2d2 failures into [`nerve_core::Error`].
//!
//! Classification is by data, never by a message's text: Diesel's error kind, and where Diesel
//! has no kind, the code the database reported. PostgreSQL's deadlock is its SQLSTATE `40P01`
//! ([`DatabaseErrorInformation::sqlstate`]); SQLite's lock held past the busy timeout is the
//! connection's result code `SQLITE_BUSY`, which only the SQLite driver can read
//! ([`crate::Driver::reclassify`]), so here it is a plain backend error. Both drivers thus give
//! the same variant for the same situation. The table comes from the operation ([`Op`]) that the
//! driver ran; a constraint violation names the constraint the database reported
//! ([`crate::constraints`]).

use crate::constraints;
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError, SqlState};
use nerve_core::{Constraint, Error, Outcome};

/// PostgreSQL's SQLSTATE for a transaction it rolled back to break a deadlock, for which
/// Diesel has no error kind.
const DEADLOCK_DETECTED: Option<SqlState> = SqlState::new(*b"40P01");

/// What the message of a transaction the database rolled back itself (serialization failure,
/// deadlock) ends with, for people; code reads `Error::Transaction { rolled_back: true, .. }`.
pub const ROLLED_BACK: &str = "rolled back by the database; nothing was committed";

/// Whether `e` is a transaction the database rolled back itself, so that running it again
/// may succeed.
pub fn rolled_back(e: &Error) -> bool {
    matches!(
        e,
        Error::Transaction {
            rolled_back: true,
            ..
        }
    )
}

/// `e` as what it is when the database refused it because another writer held the lock it
/// needed past the busy timeout (SQLite's `SQLITE_BUSY`, which Diesel reports with no kind; the
/// SQLite driver tells it by the connection's result code, [`crate::Driver::reclassify`]): a
/// transaction rolled back with nothing committed, so the call can run again. Other errors
/// than the unclassified ones such a refusal arrives as are returned unchanged.
pub fn locked_out(e: Error) -> Error {
    let reason = match e {
        Error::Backend {
            table, operation, ..
        } => format!("{operation} on {table}"),
        Error::Transaction {
            rolled_back: false,
            reason,
        } => reason,
        other => return other,
    };
    Error::Transaction {
        rolled_back: true,
        reason: format!(
            "{reason}: database locked by another writer past the busy timeout, {ROLLED_BACK}"
        ),
    }
}

/// The operation a driver ran, so an error can name its table. A constraint violation names
/// the constraint the database reported instead ([`crate::constraints`]).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// The table written or read.
    pub table: &'static str,
    /// What was done: `insert`, `update`, `select` ...
    pub operation: &'static str,
}

impl Op {
    /// `operation` on `table`.
    pub const fn new(table: &'static str, operation: &'static str) -> Self {
        Op { table, operation }
    }

    /// The conflict a unique (or primary-key) or foreign-key violation reported by `info` is:
    /// the constraint the database named, resolved to its table and columns; where the
    /// database named none this process knows, the table written and field `-`.
    fn conflict(self, foreign: bool, info: &dyn DatabaseErrorInformation) -> Error {
        let report = constraints::report(info);
        let (table, field, constraint, name) = match constraints::resolve(&report) {
            Some(c) => (c.table, c.columns, c.kind, c.name),
            None if foreign => (self.table, "-", Constraint::ForeignKey, None),
            None => (self.table, "-", Constraint::Unique, None),
        };
        let reason = match constraint {
            Constraint::PrimaryKey => "a row with this id already exists (when the id came from \
                                       the table's identity, rows were loaded with explicit ids \
                                       past it)"
                .to_string(),
            Constraint::ForeignKey => format!(
                "{} on {}: the referenced row does not exist, or this row is still referenced",
                self.operation, self.table
            ),
            _ => "a live row already holds this value".to_string(),
        };
        let reason = match (&report, name) {
            // A name this process could not resolve is still the database's word: keep it.
            (constraints::Report::Named { name, .. }, None) => format!("{reason} ({name})"),
            _ => reason,
        };
        Error::Conflict {
            table,
            field,
            constraint,
            name,
            reason,
        }
    }

    /// Classifies a Diesel error raised by this operation.
    pub fn error(self, e: DieselError) -> Error {
        match e {
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => self.conflict(false, &*info),
                DatabaseErrorKind::ForeignKeyViolation => self.conflict(true, &*info),
                DatabaseErrorKind::NotNullViolation | DatabaseErrorKind::CheckViolation => {
                    Error::Validation {
                        table: self.table,
                        field: "-",
                        reason: format!(
                            "rejected by a database constraint during {}",
                            self.operation
                        ),
                    }
                }
                DatabaseErrorKind::SerializationFailure => Error::Transaction {
                    rolled_back: true,
                    reason: format!(
                        "{} on {}: serialization failure, {ROLLED_BACK}",
                        self.operation, self.table
                    ),
                },
                // Diesel has no kind for a deadlock; its SQLSTATE says it, whatever language
                // the server's messages are in.
                DatabaseErrorKind::Unknown if info.sqlstate() == DEADLOCK_DETECTED => {
                    Error::Transaction {
                        rolled_back: true,
                        reason: format!(
                            "{} on {}: deadlock, {ROLLED_BACK}",
                            self.operation, self.table
                        ),
                    }
                }
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                    // Whether anything was applied is known only to the caller (a read, or a
                    // write that had not begun, applied nothing): see `Scope` in each_driver.
                    Error::Connection {
                        reason: format!("{} on {}: {}", self.operation, self.table, info.message()),
                        outcome: Outcome::Unknown,
                    }
                }
                _ => self.backend(DieselError::DatabaseError(kind, info)),
            },
            DieselError::RollbackErrorOnCommit { .. }
            | DieselError::RollbackTransaction
            | DieselError::AlreadyInTransaction
            | DieselError::NotInTransaction
            | DieselError::BrokenTransactionManager => Error::Transaction {
                rolled_back: false,
                reason: format!("{} on {}: {e}", self.operation, self.table),
            },
            other => self.backend(other),
        }
    }

    fn backend(self, e: DieselError) -> Error {
        Error::Backend {
            table: self.table,
            operation: self.operation,
            source: Box::new(e),
        }
    }
}

/// The error type of the closures drivers run inside Diesel transactions: either a classified
/// NERVE error from the work itself, or a Diesel error from BEGIN, COMMIT or ROLLBACK.
#[derive(Debug)]
pub enum TxError {
    /// The work failed; the transaction was rolled back.
    Nerve(Error),
    /// Diesel's transaction manager failed.
    Diesel(DieselError),
}

impl From<DieselError> for TxError {
    fn from(e: DieselError) -> Self {
        TxError::Diesel(e)
    }
}

impl From<Error> for TxError {
    fn from(e: Error) -> Self {
        TxError::Nerve(e)
    }
}

impl TxError {
    /// The NERVE error: the work's own, or a transaction error for `table`.
    pub fn into_error(self, table: &'static str) -> Error {
        match self {
            TxError::Nerve(e) => e,
            TxError::Diesel(e) => match Op::new(table, "transaction").error(e) {
                Error::Backend { source, .. } => Error::Transaction {
                    rolled_back: false,
                    reason: format!("{table}: {source}"),
                },
                other => other,
            },
        }
    }
}
