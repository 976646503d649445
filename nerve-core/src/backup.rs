//! Backups: their manifest, their files and the checks made before a restore, the same for
//! every backend. The drivers make the copy (SQLite's online backup API, PostgreSQL's
//! `pg_dump -Fc`) and restore it; this module names the files, writes and reads the manifest
//! beside each, and refuses a backup whose bytes or schema do not fit before anything changes.

use crate::error::{Error, Result};
use crate::store::Backend;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The `format` every manifest written by this release carries.
pub const MANIFEST_FORMAT: &str = "nerve-backup/1";

/// What a backup holds, written as JSON beside it (`<backup file>.json`): enough to list it
/// without opening it and to check, before a restore, that its bytes are the ones written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupManifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// The backend the backup was taken from (and can be restored into).
    pub backend: Backend,
    /// When it was taken (the store's clock).
    pub created_at: DateTime<Utc>,
    /// The newest applied migration's version at that moment (`None`: no migration record).
    pub schema_version: Option<String>,
    /// Every applied migration's version, oldest first.
    pub migrations: Vec<String>,
    /// Exact row counts of every table, as of the same moment as the copy (the same snapshot).
    pub row_counts: BTreeMap<String, u64>,
    /// The backup file's size in bytes.
    pub size_bytes: u64,
    /// The backup file's SHA-256, lower-case hex.
    pub sha256: String,
}

impl BackupManifest {
    /// The manifest of a backup of `backend` taken at `created_at` with the database's applied
    /// `migrations` (oldest first) and `row_counts`, whose file has `size_and_sha256`.
    pub fn new(
        backend: Backend,
        created_at: DateTime<Utc>,
        migrations: Vec<String>,
        row_counts: BTreeMap<String, u64>,
        size_and_sha256: (u64, String),
    ) -> Self {
        BackupManifest {
            format: MANIFEST_FORMAT.into(),
            backend,
            created_at,
            schema_version: migrations.last().cloned(),
            migrations,
            row_counts,
            size_bytes: size_and_sha256.0,
            sha256: size_and_sha256.1,
        }
    }

    /// The sum of [`BackupManifest::row_counts`].
    pub fn total_rows(&self) -> u64 {
        self.row_counts.values().sum()
    }
}

/// A backup file found in a backup directory ([`list`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupInfo {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Its manifest; `None` when it has none or it cannot be read (see `problem`).
    pub manifest: Option<BackupManifest>,
    /// Why the manifest is missing or unusable, when it is.
    pub problem: Option<String>,
}

impl BackupInfo {
    /// The file at `path` found good by the checks before a restore, with its `manifest`
    /// (when it has none, `problem` says the checksum could not be checked).
    pub fn checked(path: &Path, manifest: Option<BackupManifest>) -> Self {
        BackupInfo {
            path: path.to_path_buf(),
            size_bytes: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            problem: manifest
                .is_none()
                .then(|| "no manifest: content checked, checksum not".to_string()),
            manifest,
        }
    }
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestoreReport {
    /// The backup restored.
    pub restored_from: PathBuf,
    /// Where the replaced database was kept: a backup file (SQLite, with its manifest) or a
    /// database name (PostgreSQL).
    pub safety_copy: String,
    /// The restored database's newest migration version.
    pub schema_version: Option<String>,
    /// Row counts of every table after the restore.
    pub row_counts: BTreeMap<String, u64>,
    /// Whether a manifest was there and the file's SHA-256 matched it (a backup streamed to
    /// standard output has none; its content is still checked).
    pub checksum_verified: bool,
    /// What went wrong after the content was replaced (the restore itself stands), with what
    /// to do about it. Empty when nothing did.
    pub warnings: Vec<String>,
}

/// An [`Error::Backup`] about `path`.
pub fn error(path: &Path, reason: impl Into<String>) -> Error {
    Error::Backup {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

/// Refuses a restore that was not confirmed, before anything is read or changed.
pub fn require_confirm(path: &Path, confirm: bool) -> Result<()> {
    if confirm {
        Ok(())
    } else {
        Err(error(
            path,
            "a restore replaces the live database: confirm it (`nerve restore PATH --confirm`); \
             nothing was changed",
        ))
    }
}

/// The manifest's path for the backup at `path`: the same name with `.json` added.
pub fn manifest_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".json");
    PathBuf::from(name)
}

/// A new, empty file in `dir` (created when missing) named `<prefix>_YYYYMMDD_HHMMSS.<ext>` by
/// `now`, with `_2`, `_3`... added when that name is taken: an existing file is never
/// overwritten.
pub fn new_file(dir: &Path, prefix: &str, now: DateTime<Utc>, ext: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)
        .map_err(|e| error(dir, format!("cannot create the backup directory: {e}")))?;
    let stamp = now.format("%Y%m%d_%H%M%S");
    for n in 1..1000 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("_{n}")
        };
        let path = dir.join(format!("{prefix}_{stamp}{suffix}.{ext}"));
        if manifest_path(&path).exists() {
            continue;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(error(&path, format!("cannot create the file: {e}"))),
        }
    }
    Err(error(dir, "a thousand backups share this second's name"))
}

/// A writer passing bytes on to another while counting them and computing their SHA-256:
/// the manifest of a backup streamed as it is made.
pub struct Tally<W> {
    inner: W,
    size: u64,
    hasher: Sha256,
}

impl<W: Write> Tally<W> {
    /// Counts what is written to `inner`.
    pub fn new(inner: W) -> Self {
        Tally {
            inner,
            size: 0,
            hasher: Sha256::new(),
        }
    }

    /// The bytes written so far and their SHA-256, lower-case hex.
    pub fn finish(self) -> (u64, String) {
        let hex = self
            .hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        (self.size, hex)
    }
}

impl<W: Write> Write for Tally<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The backup file at `path` (`--out PATH`), or a new one in `dir` named by `prefix`, `now`
/// and `ext` ([`new_file`]): created here, empty, and never one that exists already or whose
/// manifest does.
pub fn destination(
    to: Option<&Path>,
    dir: &Path,
    prefix: &str,
    now: DateTime<Utc>,
    ext: &str,
) -> Result<PathBuf> {
    let Some(path) = to else {
        return new_file(dir, prefix, now, ext);
    };
    if manifest_path(path).exists() {
        return Err(error(
            path,
            format!(
                "{} exists already: choose another name",
                manifest_path(path).display()
            ),
        ));
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| error(path, format!("cannot create it: {e}")))?;
    Ok(path.to_path_buf())
}

/// The size and SHA-256 (lower-case hex) of the file at `path`.
pub fn checksum(path: &Path) -> Result<(u64, String)> {
    let mut file =
        std::fs::File::open(path).map_err(|e| error(path, format!("cannot read it: {e}")))?;
    let mut tally = Tally::new(std::io::sink());
    std::io::copy(&mut file, &mut tally)
        .map_err(|e| error(path, format!("cannot read it: {e}")))?;
    Ok(tally.finish())
}

/// Writes `manifest` beside the backup at `path`; a file already there is never replaced (an
/// error).
pub fn write_manifest(path: &Path, manifest: &BackupManifest) -> Result<()> {
    let target = manifest_path(path);
    let json = serde_json::to_vec_pretty(manifest)
        .map_err(|e| error(&target, format!("cannot encode the manifest: {e}")))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .map_err(|e| error(&target, format!("cannot create the manifest: {e}")))?;
    file.write_all(&json)
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            // Ours, and incomplete: not left behind.
            let _ = std::fs::remove_file(&target);
            error(&target, format!("cannot write the manifest: {e}"))
        })
}

/// The manifest beside the backup at `path`: `Ok(None)` when there is none, an error when it
/// is there but cannot be read or is not a manifest of this format.
pub fn read_manifest(path: &Path) -> Result<Option<BackupManifest>> {
    let target = manifest_path(path);
    let bytes = match std::fs::read(&target) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(error(&target, format!("cannot read the manifest: {e}"))),
    };
    let manifest: BackupManifest = serde_json::from_slice(&bytes)
        .map_err(|e| error(&target, format!("not a backup manifest: {e}")))?;
    if manifest.format != MANIFEST_FORMAT {
        return Err(error(
            &target,
            format!(
                "manifest format '{}' is not '{MANIFEST_FORMAT}'",
                manifest.format
            ),
        ));
    }
    Ok(Some(manifest))
}

/// The backups in `dir` (files named `nerve_*` that are not manifests), newest first (by the
/// manifest's time, else the file's), whatever backend took them; an empty list when `dir`
/// does not exist.
pub fn list(dir: &Path) -> Result<Vec<BackupInfo>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(error(dir, format!("cannot list the backup directory: {e}"))),
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let temporary = [".json", ".partial", "-journal", "-wal", "-shm"]
            .iter()
            .any(|end| name.ends_with(end));
        if !name.starts_with("nerve_") || temporary || !path.is_file() {
            continue;
        }
        let meta = entry.metadata().ok();
        let size_bytes = meta.as_ref().map_or(0, |m| m.len());
        let modified: Option<DateTime<Utc>> = meta
            .and_then(|m| m.modified().ok())
            .map(DateTime::<Utc>::from);
        let (manifest, problem) = match read_manifest(&path) {
            Ok(Some(m)) => (Some(m), None),
            Ok(None) => (None, Some("no manifest".to_string())),
            Err(e) => (None, Some(e.to_string())),
        };
        let taken = manifest.as_ref().map(|m| m.created_at).or(modified);
        out.push((
            taken,
            BackupInfo {
                path,
                size_bytes,
                manifest,
                problem,
            },
        ));
    }
    out.sort_by(|a, b| (b.0, &b.1.path).cmp(&(a.0, &a.1.path)));
    let out = out.into_iter().map(|(_, info)| info).collect();
    Ok(out)
}

/// The checks every restore makes on the file before anything changes: it exists and is not
/// empty; its manifest, when there is one, names `backend`, and the file's size and SHA-256
/// match it (a truncated or altered file is refused); the manifest's migrations are all known
/// to this binary (`embedded`, the versions it carries), so a newer schema is refused. Returns
/// the manifest. The driver then checks the content itself (integrity, its own record of
/// migrations).
pub fn check_file(
    path: &Path,
    backend: Backend,
    embedded: &[String],
) -> Result<Option<BackupManifest>> {
    let meta = std::fs::metadata(path).map_err(|e| error(path, format!("cannot read it: {e}")))?;
    if !meta.is_file() || meta.len() == 0 {
        return Err(error(path, "not a backup: empty or not a file"));
    }
    let Some(manifest) = read_manifest(path)? else {
        return Ok(None);
    };
    if manifest.backend != backend {
        return Err(error(
            path,
            format!(
                "a {} backup cannot be restored into a {backend} database",
                manifest.backend
            ),
        ));
    }
    let (size, sha) = checksum(path)?;
    if size != manifest.size_bytes || sha != manifest.sha256 {
        return Err(error(
            path,
            format!(
                "the file does not match its manifest ({size} bytes, SHA-256 {sha}; the manifest \
                 says {} bytes, {}): it is truncated or altered",
                manifest.size_bytes, manifest.sha256
            ),
        ));
    }
    check_version(path, &manifest.migrations, embedded)?;
    Ok(Some(manifest))
}

/// Refuses a backup whose `applied` migrations include one this binary does not embed.
pub fn check_version(path: &Path, applied: &[String], embedded: &[String]) -> Result<()> {
    let unknown: Vec<&str> = applied
        .iter()
        .filter(|v| !embedded.contains(v))
        .map(String::as_str)
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(error(
            path,
            format!(
                "its schema is newer than this binary (migrations {} unknown): upgrade nerve \
                 before restoring it",
                unknown.join(", ")
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(size: u64, sha: String) -> BackupManifest {
        BackupManifest {
            format: MANIFEST_FORMAT.into(),
            backend: Backend::Sqlite,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            schema_version: Some("2".into()),
            migrations: vec!["1".into(), "2".into()],
            row_counts: BTreeMap::from([("a".into(), 2), ("b".into(), 3)]),
            size_bytes: size,
            sha256: sha,
        }
    }

    #[test]
    fn names_never_collide_and_manifests_check_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let a = new_file(dir.path(), "nerve_backup", now, "db").unwrap();
        let b = new_file(dir.path(), "nerve_backup", now, "db").unwrap();
        assert_eq!(
            a.file_name().unwrap().to_str().unwrap(),
            "nerve_backup_19700101_000000.db"
        );
        assert_eq!(
            b.file_name().unwrap().to_str().unwrap(),
            "nerve_backup_19700101_000000_2.db"
        );
        std::fs::write(&a, b"some bytes").unwrap();
        let (size, sha) = checksum(&a).unwrap();
        assert_eq!(size, 10);
        write_manifest(&a, &manifest(size, sha.clone())).unwrap();
        // A manifest already there is never replaced.
        assert!(write_manifest(&a, &manifest(0, sha)).is_err());
        let embedded = vec!["1".to_string(), "2".to_string()];
        let m = check_file(&a, Backend::Sqlite, &embedded).unwrap().unwrap();
        assert_eq!(m.total_rows(), 5);
        // Another backend, a truncated file, a newer schema: refused.
        assert!(check_file(&a, Backend::Postgres, &embedded).is_err());
        let e = check_file(&a, Backend::Sqlite, &embedded[..1]).unwrap_err();
        assert!(e.to_string().contains("newer"), "{e}");
        std::fs::write(&a, b"some").unwrap();
        let e = check_file(&a, Backend::Sqlite, &embedded).unwrap_err();
        assert!(matches!(e, Error::Backup { .. }));
        assert!(e.to_string().contains("truncated"), "{e}");
        // Listing: newest name first, a file without manifest says so.
        let listed = list(dir.path()).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].path, b);
        assert_eq!(listed[0].problem.as_deref(), Some("no manifest"));
        assert!(listed[1].manifest.is_some());
    }
}
