//! Backups through SQLite's online backup API, and restores through it in reverse.
//!
//! A backup is one `sqlite3_backup_step(-1)`: it copies every page under one read transaction
//! of the live file, so in WAL mode writers go on and the copy is the database as of that
//! transaction's start. A restore is one step the other way: the live file's pages are
//! replaced inside one write transaction, which commits whole or not at all, and every open
//! connection sees the new content at its next statement.

use crate::connection::{Target, BUSY_TIMEOUT_MS};
use nerve_core::backup::{self, BackupInfo, BackupManifest, RestoreReport};
use nerve_core::BackupStore;
use nerve_core::{Backend, Error, Result};
use nerve_diesel::Env;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The first 16 bytes of every SQLite database file.
const HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The backups of one store (its [`BackupStore`]).
pub(crate) struct Backups {
    /// The live database.
    pub target: Target,
    /// Where backups go.
    pub dir: PathBuf,
    /// The migration versions this binary embeds.
    pub embedded: Vec<String>,
    /// The store's environment (its clock).
    pub env: Arc<Env>,
}

/// The default backup directory: `backups/` beside the database file.
pub(crate) fn default_dir(target: &Target) -> PathBuf {
    match target {
        Target::File(p) => p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("backups"),
        Target::Memory => PathBuf::from("data/backups"),
    }
}

fn sqlite_error(path: &Path, what: &str, e: rusqlite::Error) -> Error {
    backup::error(path, format!("{what}: {e}"))
}

fn live_path(target: &Target) -> Result<&Path> {
    match target {
        Target::File(p) => Ok(p),
        Target::Memory => Err(Error::Unsupported {
            what: "backups of an in-memory SQLite database (it has no file to copy; see \
                   Capabilities::in_memory)"
                .into(),
        }),
    }
}

fn open(path: &Path, flags: OpenFlags) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, flags)
        .map_err(|e| sqlite_error(path, "cannot open it", e))?;
    conn.busy_timeout(Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)))
        .map_err(|e| sqlite_error(path, "cannot set the busy timeout", e))?;
    Ok(conn)
}

/// Copies every page of `from` into `to` in one step, waiting (up to the busy timeout) while
/// another connection holds a lock the copy needs.
fn copy_all(from: &Connection, to: &mut Connection, path: &Path) -> Result<()> {
    let copy = Backup::new(from, to).map_err(|e| sqlite_error(path, "cannot start the copy", e))?;
    step(&copy, -1, path).map(drop)
}

/// Steps `copy` by `pages` (-1: all), waiting (up to the busy timeout) while another
/// connection holds a lock it needs. Returns `Done` or, for a partial step, `More`.
fn step(copy: &Backup<'_, '_>, pages: i32, path: &Path) -> Result<StepResult> {
    let started = Instant::now();
    loop {
        match copy
            .step(pages)
            .map_err(|e| sqlite_error(path, "the copy failed", e))?
        {
            StepResult::Done => return Ok(StepResult::Done),
            StepResult::More if pages > 0 => return Ok(StepResult::More),
            StepResult::Busy | StepResult::Locked | StepResult::More
                if started.elapsed() < Duration::from_millis(u64::from(BUSY_TIMEOUT_MS)) =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => {
                return Err(backup::error(
                    path,
                    format!("the copy did not finish within the busy timeout ({other:?})"),
                ))
            }
        }
    }
}

/// The user tables of `conn` (not SQLite's own nor the migration record), by name.
fn row_counts(conn: &Connection, path: &Path) -> Result<BTreeMap<String, u64>> {
    let read = |e| sqlite_error(path, "cannot count its rows", e);
    let mut stmt = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND name <> '__diesel_schema_migrations' ORDER BY name",
        )
        .map_err(read)?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .map_err(read)?
        .collect::<rusqlite::Result<_>>()
        .map_err(read)?;
    let mut out = BTreeMap::new();
    for name in names {
        let n: i64 = conn
            .query_row(
                &format!("SELECT count(*) FROM \"{}\"", name.replace('"', "\"\"")),
                [],
                |r| r.get(0),
            )
            .map_err(read)?;
        out.insert(name, n.max(0) as u64);
    }
    Ok(out)
}

/// The applied migration versions recorded in `conn`, oldest first (`None`: no record).
fn migrations(conn: &Connection, path: &Path) -> Result<Option<Vec<String>>> {
    let read = |e| sqlite_error(path, "cannot read its migration record", e);
    let exists: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name = '__diesel_schema_migrations'",
            [],
            |r| r.get(0),
        )
        .map_err(read)?;
    if exists == 0 {
        return Ok(None);
    }
    let mut stmt = conn
        .prepare("SELECT version FROM __diesel_schema_migrations ORDER BY version")
        .map_err(read)?;
    let versions = stmt
        .query_map([], |r| r.get(0))
        .map_err(read)?
        .collect::<rusqlite::Result<Vec<String>>>()
        .map_err(read)?;
    Ok(Some(versions))
}

impl Backups {
    /// Copies the live database into `dest` (which exists, empty) and writes its manifest;
    /// removes both when anything fails.
    fn take(&self, dest: &Path) -> Result<BackupManifest> {
        let result = self.take_into(dest);
        if result.is_err() {
            // The manifest is written last: a failure never leaves one of ours behind.
            let _ = std::fs::remove_file(dest);
        }
        result
    }

    fn take_into(&self, dest: &Path) -> Result<BackupManifest> {
        let live = live_path(&self.target)?;
        let source = open(
            live,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let (migrations, row_counts) = {
            let mut copy = open(
                dest,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )?;
            copy_all(&source, &mut copy, dest)?;
            // The copy is one self-contained file: no write-ahead log beside it.
            copy.pragma_update(None, "journal_mode", "DELETE")
                .map_err(|e| sqlite_error(dest, "cannot set its journal mode", e))?;
            let migrations = migrations(&copy, dest)?.unwrap_or_default();
            (migrations, row_counts(&copy, dest)?)
        };
        let manifest = BackupManifest::new(
            Backend::Sqlite,
            self.env.now(),
            migrations,
            row_counts,
            backup::checksum(dest)?,
        );
        backup::write_manifest(dest, &manifest)?;
        Ok(manifest)
    }

    /// A backup named `<prefix>_...` (or into `to`).
    fn create(&self, to: Option<&Path>, prefix: &str) -> Result<BackupInfo> {
        live_path(&self.target)?;
        let dest = backup::destination(to, &self.dir, prefix, self.env.now(), "db")?;
        let manifest = self.take(&dest)?;
        Ok(BackupInfo {
            path: dest,
            size_bytes: manifest.size_bytes,
            manifest: Some(manifest),
            problem: None,
        })
    }

    /// A backup into a temporary file of the backup
    /// directory, copied to `out`, then removed.
    fn write(&self, out: &mut dyn std::io::Write) -> Result<BackupManifest> {
        live_path(&self.target)?;
        let temp = backup::new_file(&self.dir, "nerve_stream", self.env.now(), "db.partial")?;
        let result = self.take(&temp).and_then(|manifest| {
            let mut file = std::fs::File::open(&temp)
                .map_err(|e| backup::error(&temp, format!("cannot read it: {e}")))?;
            std::io::copy(&mut file, out)
                .and_then(|_| out.flush())
                .map_err(|e| backup::error(&temp, format!("cannot write the backup out: {e}")))?;
            Ok(manifest)
        });
        let _ = std::fs::remove_file(&temp);
        let _ = std::fs::remove_file(backup::manifest_path(&temp));
        result
    }

    /// The file checks, then its content opened read-only:
    /// a SQLite file, `integrity_check` ok, a migration record no newer than this binary.
    fn info(&self, path: &Path) -> Result<(BackupInfo, Vec<String>)> {
        let manifest = backup::check_file(path, Backend::Sqlite, &self.embedded)?;
        let mut header = [0u8; 16];
        let read = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header));
        if read.is_err() || &header != HEADER {
            return Err(backup::error(path, "not a SQLite database file"));
        }
        let conn = open(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let verdict: String = conn
            .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))
            .map_err(|e| sqlite_error(path, "it cannot be read whole (truncated?)", e))?;
        if verdict != "ok" {
            return Err(backup::error(
                path,
                format!("integrity check failed: {verdict}"),
            ));
        }
        let Some(applied) = migrations(&conn, path)? else {
            return Err(backup::error(
                path,
                "not a NERVE backup: it has no migration record",
            ));
        };
        backup::check_version(path, &applied, &self.embedded)?;
        let counts = row_counts(&conn, path)?;
        if let Some(m) = &manifest {
            if m.row_counts != counts || m.migrations != applied {
                return Err(backup::error(
                    path,
                    "its content does not match its manifest (row counts or migrations differ)",
                ));
            }
        }
        Ok((BackupInfo::checked(path, manifest), applied))
    }

    fn restore(&self, path: &Path, confirm: bool) -> Result<RestoreReport> {
        let live = live_path(&self.target)?;
        backup::require_confirm(path, confirm)?;
        let (info, applied) = self.info(path)?;
        let source = open(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let mut dest = open(
            live,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let page_size = |c: &Connection, p: &Path| -> Result<i64> {
            c.query_row("PRAGMA page_size", [], |r| r.get(0))
                .map_err(|e| sqlite_error(p, "cannot read its page size", e))
        };
        let (theirs, ours) = (page_size(&source, path)?, page_size(&dest, live)?);
        if theirs != ours {
            return Err(backup::error(
                path,
                format!(
                    "its page size ({theirs}) differs from the live database's ({ours}), which \
                     a database in WAL mode cannot take; nothing was changed"
                ),
            ));
        }
        // The first page copied takes the live database's write lock, held until the copy is
        // done: no write commits between the safety copy (a reader, which sees every commit
        // before the lock) and the replacement. A failure before the last step rolls the live
        // database back (the copy is dropped unfinished).
        let copy = Backup::new(&source, &mut dest)
            .map_err(|e| sqlite_error(live, "cannot start the copy", e))?;
        if step(&copy, 1, live)? == StepResult::Done {
            return Err(backup::error(
                path,
                "not a NERVE backup: a database of one page holds no NERVE schema",
            ));
        }
        let safety = self.create(None, "nerve_pre_restore")?;
        step(&copy, -1, live)?;
        drop(copy);
        // The restore stands from here: what fails now is a warning.
        let mut warnings = Vec::new();
        let row_counts = row_counts(&dest, live).unwrap_or_else(|e| {
            warnings.push(format!("the restored rows could not be counted: {e}"));
            BTreeMap::new()
        });
        Ok(RestoreReport {
            restored_from: path.to_path_buf(),
            safety_copy: safety.path.display().to_string(),
            schema_version: applied.last().cloned(),
            row_counts,
            checksum_verified: info.manifest.is_some(),
            warnings,
        })
    }
}

impl BackupStore for Backups {
    fn create_backup(&self, to: Option<&Path>) -> Result<BackupInfo> {
        self.create(to, "nerve_backup")
    }

    fn write_backup(&self, out: &mut dyn std::io::Write) -> Result<BackupManifest> {
        self.write(out)
    }

    fn list_backups(&self) -> Result<Vec<BackupInfo>> {
        backup::list(&self.dir)
    }

    fn backup_info(&self, path: &Path) -> Result<BackupInfo> {
        self.info(path).map(|(info, _)| info)
    }

    fn restore_backup(&self, path: &Path, confirm: bool) -> Result<RestoreReport> {
        self.restore(path, confirm)
    }
}
