//! Backups with `pg_dump -Fc`, restores with `pg_restore` into a fresh database that takes
//! the live one's name only once it is complete and checked.
//!
//! The manifest's row counts and the dump see the same snapshot: a repeatable-read
//! transaction exports it (`pg_export_snapshot`), counts every table in it, and `pg_dump
//! --snapshot` dumps exactly that state while writers go on.

use crate::store::{establish, Conn};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use nerve_core::backup::{self, BackupInfo, BackupManifest, RestoreReport};
use nerve_core::url::{database_name, redact, scrub, secrets_of, split_password, with_database};
use nerve_core::{Backend, Error, Result};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The backups of one store (its [`BackupStore`]).
pub(crate) struct Backups {
    /// The libpq URL of the live database (password included, NERVE's parameters removed).
    pub url: String,
    /// Where backups go.
    pub dir: PathBuf,
    /// The migration versions this binary embeds.
    pub embedded: Vec<String>,
    /// The store's environment (its clock).
    pub env: std::sync::Arc<nerve_diesel::Env>,
}

/// The default backup directory, from the working directory.
pub(crate) const DEFAULT_DIR: &str = "data/backups";

/// The first bytes of every `pg_dump -Fc` archive.
const MAGIC: &[u8; 5] = b"PGDMP";

/// The longest database name PostgreSQL keeps.
const NAME_MAX: usize = 63;

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn db_error(what: &str, e: diesel::result::Error) -> Error {
    Error::Backup {
        path: "-".into(),
        reason: format!("{what}: {e}"),
    }
}

/// The full path of `program` found on `PATH`, or an error naming it.
fn find_program(program: &str) -> Result<PathBuf> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| Error::Backup {
            path: "-".into(),
            reason: format!(
                "{program} was not found on PATH: install the PostgreSQL client programs \
                 (Debian: apt-get install postgresql-client) or add their directory to PATH"
            ),
        })
}

/// `program` ready to run against `url`: the URL without its password on the command line
/// (which other users can read), the password in `PGPASSWORD`.
fn command(program: &str, url: &str) -> Result<Command> {
    let mut cmd = Command::new(find_program(program)?);
    let (url, password) = split_password(url);
    if let Some(p) = password {
        cmd.env("PGPASSWORD", p);
    }
    cmd.arg(format!("--dbname={url}"));
    die_with_parent(&mut cmd);
    Ok(cmd)
}

/// Makes the child (pg_dump, pg_restore) receive SIGKILL when this process dies, on Linux:
/// a killed `nerve restore` must not leave pg_restore loading its database on its own.
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: prctl, getppid and _exit are async-signal-safe and touch no memory of the
    // parent; they run in the child between fork and exec, where only such calls are allowed.
    // The signal is tied to the thread that spawns the child, which also waits for it.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            // Dead already, between the fork and the prctl: no signal will come.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_: &mut Command) {}

/// Every table of the `public` schema but the migration record, with its exact row count.
fn row_counts(conn: &mut Conn) -> Result<BTreeMap<String, u64>> {
    let names: Vec<Name> = diesel::sql_query(
        "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = 'public' \
         AND tablename <> '__diesel_schema_migrations' ORDER BY 1",
    )
    .load(conn)
    .map_err(|e| db_error("cannot list the tables", e))?;
    let mut out = BTreeMap::new();
    for Name { name } in names {
        let Count { n } = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM public.\"{}\"",
            name.replace('"', "\"\"")
        ))
        .get_result(conn)
        .map_err(|e| db_error(&format!("cannot count the rows of {name}"), e))?;
        out.insert(name, n.max(0) as u64);
    }
    Ok(out)
}

/// The applied migration versions, oldest first (empty without a record).
fn migrations(conn: &mut Conn) -> Result<Vec<String>> {
    Ok(crate::store::schema_status(conn)?.applied_versions())
}

/// Runs `pg_dump -Fc` of the snapshot `snapshot` into `sink`; returns its size and SHA-256.
fn dump(url: &str, snapshot: &str, sink: &mut dyn Write) -> Result<(u64, String)> {
    let mut cmd = command("pg_dump", url)?;
    cmd.args(["--format=custom", "--no-password"])
        .arg(format!("--snapshot={snapshot}"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| Error::Backup {
        path: "-".into(),
        reason: format!("cannot start pg_dump: {e}"),
    })?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut tally = nerve_core::backup::Tally::new(sink);
    let copied = std::io::copy(&mut stdout, &mut tally).map(drop);
    drop(stdout);
    let status = child.wait();
    let errors = errors.join().unwrap_or_default();
    let fail = |reason: String| Error::Backup {
        path: "-".into(),
        reason: scrub(&reason, &secrets_of(url)),
    };
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => return Err(fail(format!("pg_dump failed ({s}): {}", errors.trim()))),
        Err(e) => return Err(fail(format!("pg_dump did not finish: {e}"))),
    }
    copied
        .and_then(|()| tally.flush())
        .map_err(|e| Error::Backup {
            path: "-".into(),
            reason: format!("cannot write the backup out: {e}"),
        })?;
    Ok(tally.finish())
}

impl Backups {
    /// Dumps the live database into `sink` and returns its manifest.
    fn take(&self, sink: &mut dyn Write) -> Result<BackupManifest> {
        find_program("pg_dump")?;
        let mut conn = establish(&self.url)?;
        conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .map_err(|e| db_error("cannot begin the snapshot", e))?;
        let Name { name: snapshot } = diesel::sql_query("SELECT pg_export_snapshot() AS name")
            .get_result(&mut conn)
            .map_err(|e| db_error("cannot export the snapshot", e))?;
        let migrations = migrations(&mut conn)?;
        let row_counts = row_counts(&mut conn)?;
        // The exporting transaction stays open until pg_dump has imported the snapshot.
        let dumped = dump(&self.url, &snapshot, sink)?;
        let _ = conn.batch_execute("COMMIT");
        Ok(BackupManifest::new(
            Backend::Postgres,
            self.env.now(),
            migrations,
            row_counts,
            dumped,
        ))
    }

    fn create(&self, to: Option<&Path>) -> Result<BackupInfo> {
        find_program("pg_dump").map_err(|e| e.with_backup_path(redact(&self.url)))?;
        let dest = backup::destination(to, &self.dir, "nerve_backup", self.env.now(), "dump")?;
        let file = std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&dest)
            .map_err(|e| backup::error(&dest, format!("cannot open it: {e}")))?;
        let mut out = std::io::BufWriter::new(file);
        let result = self
            .take(&mut out)
            .and_then(|m| {
                out.into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|f| f.sync_all())
                    .map_err(|e| backup::error(&dest, format!("cannot write it: {e}")))?;
                Ok(m)
            })
            .and_then(|m| backup::write_manifest(&dest, &m).map(|()| m));
        match result {
            Ok(manifest) => Ok(BackupInfo {
                path: dest,
                size_bytes: manifest.size_bytes,
                manifest: Some(manifest),
                problem: None,
            }),
            Err(e) => {
                // The manifest is written last: a failure never leaves one of ours behind.
                let _ = std::fs::remove_file(&dest);
                Err(e.with_backup_path(dest.display()))
            }
        }
    }

    fn write(&self, out: &mut dyn Write) -> Result<BackupManifest> {
        self.take(out)
            .map_err(|e| e.with_backup_path(redact(&self.url)))
    }

    /// The file checks, then `pg_restore --list` reads its
    /// table of contents (a foreign file fails there); its data is read whole by a restore,
    /// into a fresh database, before the live one is touched.
    fn info(&self, path: &Path) -> Result<BackupInfo> {
        let manifest = backup::check_file(path, Backend::Postgres, &self.embedded)?;
        let mut magic = [0u8; 5];
        let read = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic));
        if read.is_err() || &magic != MAGIC {
            return Err(backup::error(
                path,
                "not a PostgreSQL custom-format archive (pg_dump -Fc)",
            ));
        }
        let listed = Command::new(find_program("pg_restore")?)
            .arg("--list")
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| backup::error(path, format!("cannot run pg_restore: {e}")))?;
        if !listed.status.success() {
            return Err(backup::error(
                path,
                format!(
                    "pg_restore cannot read it: {}",
                    String::from_utf8_lossy(&listed.stderr).trim()
                ),
            ));
        }
        Ok(BackupInfo::checked(path, manifest))
    }

    fn restore(&self, path: &Path, confirm: bool) -> Result<RestoreReport> {
        backup::require_confirm(path, confirm)?;
        let info = self.info(path)?;
        let live = database_name(&self.url).ok_or_else(|| {
            backup::error(
                path,
                "the database URL names no database: name it (postgres://HOST/NAME) to restore",
            )
        })?;
        let maintenance = if live == "postgres" {
            "template1"
        } else {
            "postgres"
        };
        let mut admin = establish(&with_database(&self.url, maintenance))?;
        // To the millisecond: a restore run again at once after one that was killed does not
        // meet the database that one left.
        let stamp = self.env.now().format("%Y%m%d_%H%M%S%3f").to_string();
        let named = |what: &str| {
            let room = NAME_MAX - what.len() - stamp.len() - 2;
            let base: String = live
                .char_indices()
                .take_while(|(i, c)| i + c.len_utf8() <= room)
                .map(|(_, c)| c)
                .collect();
            format!("{base}_{what}_{stamp}")
        };
        let fresh = named("restoring");
        let safety = named("pre_restore");
        let quote = |n: &str| format!("\"{}\"", n.replace('"', "\"\""));
        // The fresh database gets the live one's encoding and collation.
        #[derive(QueryableByName)]
        struct Locale {
            #[diesel(sql_type = Text)]
            encoding: String,
            #[diesel(sql_type = Text)]
            collate: String,
            #[diesel(sql_type = Text)]
            ctype: String,
        }
        let locale: Locale = diesel::sql_query(
            "SELECT pg_encoding_to_char(encoding)::text AS encoding, datcollate::text AS collate, \
                    datctype::text AS ctype FROM pg_database WHERE datname = $1",
        )
        .bind::<Text, _>(&live)
        .get_result(&mut admin)
        .map_err(|e| db_error(&format!("cannot read the database {live}"), e))?;
        // One restore of a database at a time: a session-level advisory lock on the admin
        // connection, released when it closes (a killed restore's with it). Holding it, the
        // fresh databases of earlier restores that no session uses are truly abandoned.
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        // A restore killed a moment ago may still hold it: the server finishes the statement
        // the killed process sent (its swap, say) before its session ends. Wait that out.
        let waiting = std::time::Instant::now();
        loop {
            let Locked { locked } =
                diesel::sql_query("SELECT pg_try_advisory_lock(hashtext($1)) AS locked")
                    .bind::<Text, _>(format!("nerve restore {live}"))
                    .get_result(&mut admin)
                    .map_err(|e| db_error("cannot take the restore lock", e))?;
            if locked {
                break;
            }
            if waiting.elapsed() > RESTORE_LOCK_WAIT {
                return Err(backup::error(
                    path,
                    format!(
                        "another restore of {live} is running (waited {} s); nothing was changed",
                        RESTORE_LOCK_WAIT.as_secs()
                    ),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        drop_abandoned(&mut admin, &fresh[..fresh.len() - stamp.len()], &quote);
        let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
        admin
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}",
                quote(&fresh),
                literal(&locale.encoding),
                literal(&locale.collate),
                literal(&locale.ctype)
            ))
            .map_err(|e| db_error(&format!("cannot create the database {fresh}"), e))?;
        let fresh_url = with_database(&self.url, &fresh);
        let checked = self.load_and_check(path, &fresh_url, info.manifest.as_ref());
        let swapped = checked.and_then(|(applied, counts)| {
            swap(&mut admin, &live, &fresh, &safety, &quote).map(|()| (applied, counts))
        });
        // The swap closed every connection to the database, the store's own pooled ones too:
        // they are tested before use from now on, and the dead ones dropped.
        self.env.connection_failed();
        match swapped {
            Ok((applied, row_counts)) => Ok(RestoreReport {
                restored_from: path.to_path_buf(),
                safety_copy: safety,
                schema_version: applied.last().cloned(),
                row_counts,
                checksum_verified: info.manifest.is_some(),
                warnings: Vec::new(),
            }),
            Err(e) => {
                let _ = admin.batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote(&fresh)
                ));
                Err(e.with_backup_path(path.display()))
            }
        }
    }

    /// Restores `path` into the (new, empty) database at `url` and checks it: every object
    /// restored without error, no migration unknown to this binary, and the manifest's
    /// migrations and row counts.
    fn load_and_check(
        &self,
        path: &Path,
        url: &str,
        manifest: Option<&BackupManifest>,
    ) -> Result<(Vec<String>, BTreeMap<String, u64>)> {
        let mut cmd = command("pg_restore", url)?;
        let out = cmd
            .args([
                "--exit-on-error",
                "--no-owner",
                "--no-privileges",
                "--no-password",
            ])
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| backup::error(path, format!("cannot run pg_restore: {e}")))?;
        if !out.status.success() {
            return Err(backup::error(
                path,
                scrub(
                    &format!(
                        "pg_restore failed (damaged or truncated archive?): {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                    &secrets_of(url),
                ),
            ));
        }
        let mut conn = establish(url)?;
        let applied = migrations(&mut conn)?;
        if applied.is_empty() {
            return Err(backup::error(
                path,
                "not a NERVE backup: it has no migration record",
            ));
        }
        backup::check_version(path, &applied, &self.embedded)?;
        let counts = row_counts(&mut conn)?;
        if let Some(m) = manifest {
            if m.row_counts != counts || m.migrations != applied {
                return Err(backup::error(
                    path,
                    "the restored content does not match the manifest (row counts or \
                     migrations differ)",
                ));
            }
        }
        Ok((applied, counts))
    }
}

/// Drops the fresh databases (named `prefix` + a time) of restores that were killed before
/// their swap: those no session is connected to (the caller holds the restore lock, so no
/// other restore of the database is running). A clean-up: what fails is left for the next.
fn drop_abandoned(admin: &mut Conn, prefix: &str, quote: &dyn Fn(&str) -> String) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        datname: String,
    }
    let abandoned: Vec<Name> = diesel::sql_query(
        "SELECT datname::text AS datname FROM pg_database d WHERE starts_with(datname, $1) \
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
    )
    .bind::<Text, _>(prefix)
    .load(admin)
    .unwrap_or_default();
    for Name { datname } in abandoned {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {}", quote(&datname)));
    }
}

/// Gives `fresh` the name `live`, keeping the old `live` as `safety`, in one transaction:
/// the two renames commit together or not at all, so a restore killed at any moment leaves
/// the live database as it was or restored, open to connections either way.
///
/// Renaming a database needs it free of sessions. The first rename takes the database's
/// exclusive lock, which holds back every new connection until the transaction ends; the
/// sessions connected before it are terminated in the same message, just before. One that
/// connected in between makes the attempt fail (PostgreSQL waits up to 5 s for it to leave)
/// and the swap tries again, for up to [`SWAP_WITHIN`]; a failure with no session in the way
/// is final at once. No setting such as `ALLOW_CONNECTIONS` is
/// changed on its own commit, so no moment exists in which a killed restore would leave the
/// live database closed.
fn swap(
    admin: &mut Conn,
    live: &str,
    fresh: &str,
    safety: &str,
    quote: &dyn Fn(&str) -> String,
) -> Result<()> {
    let (live_q, fresh_q, safety_q) = (quote(live), quote(fresh), quote(safety));
    let live_literal = format!("'{}'", live.replace('\'', "''"));
    let started = std::time::Instant::now();
    loop {
        // One message: the server ends the sessions and starts renaming with no round trip
        // between, leaving a client the least time to connect again in between.
        let renamed = admin.batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
               WHERE datname = {live_literal} AND pid <> pg_backend_pid(); \
             BEGIN; ALTER DATABASE {live_q} RENAME TO {safety_q}; \
             ALTER DATABASE {fresh_q} RENAME TO {live_q}; COMMIT"
        ));
        let Err(e) = renamed else {
            return Ok(());
        };
        let _ = admin.batch_execute("ROLLBACK");
        // Only a session that connected in between is worth waiting out: with none there,
        // the failure is something else (a missing right, say), and it is final.
        let in_the_way = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind::<Text, _>(live)
        .get_result::<Count>(admin)
        .map_or(0, |c| c.n);
        if in_the_way == 0 || started.elapsed() > SWAP_WITHIN {
            return Err(db_error(&format!("cannot rename {live}"), e));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// How long a restore waits for another restore of the same database to end (one killed a
/// moment ago ends within seconds) before it refuses.
const RESTORE_LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// How long [`swap`] goes on trying while sessions keep connecting to the live database.
const SWAP_WITHIN: std::time::Duration = std::time::Duration::from_secs(30);

impl nerve_core::BackupStore for Backups {
    fn create_backup(&self, to: Option<&Path>) -> Result<BackupInfo> {
        self.create(to)
    }

    fn write_backup(&self, out: &mut dyn Write) -> Result<BackupManifest> {
        self.write(out)
    }

    fn list_backups(&self) -> Result<Vec<BackupInfo>> {
        backup::list(&self.dir)
    }

    fn backup_info(&self, path: &Path) -> Result<BackupInfo> {
        self.info(path)
    }

    fn restore_backup(&self, path: &Path, confirm: bool) -> Result<RestoreReport> {
        self.restore(path, confirm)
    }
}
