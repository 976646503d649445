//! Backups and restores of a whole database.

use crate::backup::{BackupInfo, BackupManifest, RestoreReport};
use crate::error::Result;
use std::path::Path;

/// Whole-database backups (`Store::backups`, `nerve backup`, `nerve backups`, `nerve
/// restore`). A backup is one file plus its manifest ([`BackupManifest`], `<file>.json`):
/// SQLite's online backup API copy (`nerve_backup_YYYYMMDD_HHMMSS.db`), PostgreSQL's
/// `pg_dump -Fc` archive (`nerve_backup_YYYYMMDD_HHMMSS.dump`). Either is consistent while
/// writers go on: it is the database as of one instant, and the manifest's row counts are
/// those of the same instant. Backups go to [`StoreOptions::backup_dir`](crate::StoreOptions::backup_dir).
/// An in-memory SQLite store has no file to copy: every call is
/// [`Error::Unsupported`](crate::Error::Unsupported) there.
pub trait BackupStore {
    /// Takes a backup into `to`, or a new file in the backup directory when `None` (an
    /// existing file is never overwritten: `to` must not exist), writes its manifest beside it
    /// and returns both. PostgreSQL needs `pg_dump` on `PATH`; without it,
    /// [`Error::Backup`](crate::Error::Backup) names the missing program. A failed backup
    /// leaves no file behind.
    fn create_backup(&self, to: Option<&Path>) -> Result<BackupInfo>;

    /// Takes a backup and writes its bytes to `out` (standard output for `nerve backup --out
    /// -`); returns the manifest, which is not written anywhere.
    fn write_backup(&self, out: &mut dyn std::io::Write) -> Result<BackupManifest>;

    /// The backups in the backup directory, newest first, with their manifests.
    fn list_backups(&self) -> Result<Vec<BackupInfo>>;

    /// The backup at `path` with its manifest, after the checks a restore makes before it
    /// changes anything: the file matches its manifest's size and SHA-256 (when it has one) and
    /// is of this backend; on SQLite its content passes `integrity_check` and records no
    /// migration newer than this binary; on PostgreSQL `pg_restore --list` reads its table of
    /// contents (its data is read whole only by a restore, into a fresh database, before the
    /// live one is touched). Errors: [`Error::Backup`](crate::Error::Backup) naming the file
    /// and what is wrong.
    fn backup_info(&self, path: &Path) -> Result<BackupInfo>;

    /// Replaces this database's content with the backup at `path`. Without `confirm`, refused
    /// and nothing changes. The backup is checked first as [`BackupStore::backup_info`] does:
    /// a truncated, altered, foreign or newer backup is refused and nothing changes. The
    /// database being replaced is kept as a safety copy, named in the report: on SQLite a
    /// backup file (with manifest) in the backup directory, written under the live database's
    /// write lock, which the replacement then commits in one write transaction (no write falls
    /// between the two); on PostgreSQL the old database itself, renamed
    /// `<name>_pre_restore_YYYYMMDD_HHMMSS`, after the backup was restored into a fresh
    /// database and checked, which then takes the live name (connections to the old database
    /// are closed, and this store's pool reconnects). A failure at any step leaves the live
    /// database as it was. Errors: [`Error::Backup`](crate::Error::Backup).
    fn restore_backup(&self, path: &Path, confirm: bool) -> Result<RestoreReport>;
}
