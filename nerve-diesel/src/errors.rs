//! Turning Diesel and r2d2 failures into [`nerve_core::Error`].
//!
//! An error's kind is decided by data, never by a message's text: Diesel's error kind, and where
//! Diesel has none, the code the database reported. PostgreSQL's deadlock is its SQLSTATE
//! `40P01` ([`DatabaseErrorInformation::sqlstate`]); SQLite's lock held past the busy timeout is
//! `SQLITE_BUSY` on the connection (its result code, or its busy handler's mark), which only the
//! SQLite driver can read
//! ([`crate::Driver::reclassify`]), so here it is a plain backend error until the store's code
//! hands it to that member with its connection. Both drivers thus give the same variant for the
//! same situation. The table comes from the operation ([`Op`]) that the driver ran; a constraint
//! violation names the constraint the database reported ([`crate::constraints`]: on SQLite,
//! which names no constraint, the table and columns its message reports are read from it).

use crate::constraints;
use diesel::result::{DatabaseErrorInformation, DatabaseErrorKind, Error as DieselError, SqlState};
use nerve_core::{Constraint, Error, Outcome};

/// PostgreSQL's SQLSTATE for a transaction it rolled back to break a deadlock, for which
/// Diesel has no error kind.
const DEADLOCK_DETECTED: SqlState = match SqlState::new(*b"40P01") {
    Some(code) => code,
    None => panic!("40P01 is a SQLSTATE"),
};

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
/// SQLite driver tells it by the connection, [`crate::Driver::reclassify`]): a
/// transaction rolled back with nothing committed, so the call can run again. Only an error
/// such a refusal arrives as is changed: a backend error whose source is a database error of
/// no kind Diesel knows. Every other error is returned as it is.
pub fn locked_out(e: Error) -> Error {
    match e {
        Error::Backend {
            table,
            operation,
            source,
        } if matches!(
            source.downcast_ref::<DieselError>(),
            Some(DieselError::DatabaseError(DatabaseErrorKind::Unknown, _))
        ) =>
        {
            Error::Transaction {
                rolled_back: true,
                reason: format!(
                    "{operation} on {table}: database locked by another writer past the busy \
                     timeout, {ROLLED_BACK}"
                ),
            }
        }
        other => other,
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
                DatabaseErrorKind::Unknown if info.sqlstate() == Some(DEADLOCK_DETECTED) => {
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
        self.into_error_with(table, |e| e)
    }

    /// As [`TxError::into_error`], with `refine` applied to the classified Diesel error of
    /// `BEGIN`, `COMMIT` or `ROLLBACK` first (the store passes [`crate::Driver::reclassify`]
    /// with the transaction's connection).
    pub fn into_error_with(
        self,
        table: &'static str,
        refine: impl FnOnce(Error) -> Error,
    ) -> Error {
        match self {
            TxError::Nerve(e) => e,
            TxError::Diesel(e) => match refine(Op::new(table, "transaction").error(e)) {
                Error::Backend { source, .. } => Error::Transaction {
                    rolled_back: false,
                    reason: format!("{table}: {source}"),
                },
                other => other,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(e: DieselError) -> Error {
        Op::new("companies", "insert").error(e)
    }

    fn unknown(message: &str) -> DieselError {
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_string()))
    }

    #[test]
    fn only_a_database_error_of_no_kind_becomes_locked_out() {
        let locked = locked_out(backend(unknown("database is locked")));
        assert!(rolled_back(&locked) && locked.is_retryable(), "{locked:?}");
        assert!(
            locked.to_string().contains("insert on companies"),
            "{locked}"
        );
        for kept in [
            backend(DieselError::NotFound),
            backend(DieselError::QueryBuilderError("no".into())),
            Error::Transaction {
                rolled_back: false,
                reason: "companies: COMMIT failed".into(),
            },
            Error::Validation {
                table: "companies",
                field: "name",
                reason: "empty".into(),
            },
        ] {
            let shown = format!("{kept:?}");
            assert_eq!(format!("{:?}", locked_out(kept)), shown);
        }
    }

    #[test]
    fn no_message_makes_a_deadlock() {
        // Without the SQLSTATE (SQLite's errors have none), PostgreSQL's words are just words.
        let e = backend(unknown("deadlock detected"));
        assert!(matches!(e, Error::Backend { .. }), "{e:?}");
    }
}
