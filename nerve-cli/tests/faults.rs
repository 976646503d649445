//! Faults, for real: a SQLite database on a filesystem that fills up. It prints its figures.

use nerve::model::{Deleted, NewCompany, Page};
use nerve::{MigrationPolicy, PasswordParams, StoreOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

fn options() -> StoreOptions {
    StoreOptions {
        migrations: MigrationPolicy::Require,
        password: PasswordParams::INSECURE_FOR_TESTS,
        max_connections: 4,
        ..StoreOptions::default()
    }
}

/// A tmpfs of `size` mounted on a new directory for the life of the value (the test runs as
/// root, as CI does on this project's machines; it fails, never skips, otherwise).
struct SmallFilesystem {
    dir: tempfile::TempDir,
}

impl SmallFilesystem {
    fn mount(size: &str) -> SmallFilesystem {
        let dir = tempfile::tempdir().expect("a directory");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mounting a {size} tmpfs needs root (CI runs as root): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallFilesystem { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFilesystem {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the filesystem of `dir` with a ballast file until it has no space left.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let ballast = dir.join("ballast");
    let mut file = std::fs::File::create(&ballast).expect("the ballast");
    let block = vec![0u8; 64 * 1024];
    loop {
        match file.write(&block).and_then(|n| file.sync_all().map(|_| n)) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    // What is left of the last block, byte by byte.
    while file.write(&[0u8]).is_ok_and(|n| n == 1) {}
    ballast
}

#[test]
fn a_full_disk_fails_writes_clearly_keeps_what_was_committed_and_recovers() {
    let fs = SmallFilesystem::mount("8m");
    let url = format!("sqlite://{}/nerve.db", fs.path().display());
    nerve::migrate(&url).expect("migrate on the small filesystem");
    let store = nerve::connect_with(&url, &options()).expect("open");
    let company = |name: String| NewCompany { name, domain: None };
    let mut committed = Vec::new();
    for i in 0..50 {
        committed.push(
            store
                .companies()
                .create(&company(format!("Before the disk filled {i}")))
                .expect("create")
                .id,
        );
    }
    let ballast = fill(fs.path());
    // Writes fail, naming the cause; each failure leaves nothing.
    let mut failures = 0;
    let mut message = String::new();
    for i in 0..200 {
        match store
            .companies()
            .create(&company(format!("While full {i} {}", "x".repeat(200))))
        {
            Ok(c) => committed.push(c.id),
            Err(e) => {
                failures += 1;
                message = e.to_string();
            }
        }
    }
    assert!(failures > 0, "no write failed on a full filesystem");
    assert!(
        message.contains("full"),
        "the error should name the cause: {message}"
    );
    // Reads go on, and nothing committed is lost.
    for id in &committed {
        store
            .companies()
            .get(*id)
            .expect("a committed company, read while full");
    }
    // `nerve backup` into the full filesystem fails in one line and lists nothing.
    let backups = fs.path().join("backups");
    let dir = backups.to_str().expect("a UTF-8 path");
    let nerve = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_nerve"))
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .expect("run nerve")
    };
    let refused = nerve(&["backup", "--dir", dir]);
    let stderr = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("nerve: error:") && stderr.lines().count() == 1,
        "{stderr}"
    );
    let listed = nerve(&["backups", "--dir", dir, "--json"]);
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        "[]",
        "a partial backup is listed: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(&backups)
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        left.is_empty(),
        "files left in the backup directory: {left:?}"
    );
    // Space freed: writes succeed again, on the same store.
    std::fs::remove_file(&ballast).expect("free the space");
    let after = store
        .companies()
        .create(&company("After the space came back".into()))
        .expect("a write once space is free");
    committed.push(after.id);
    let health = store.admin().health().expect("health");
    assert!(health.healthy, "{health:?}");
    let listed = store
        .companies()
        .list(Page::first(1000), Deleted::Include)
        .expect("list");
    assert_eq!(listed.len(), committed.len(), "exactly the committed rows");
    println!(
        "full disk (8 MiB tmpfs): {failures} of 200 writes refused ({message}); {} committed \
         rows kept and read while full; `nerve backup` refused ({}), none listed; writes resumed after freeing space",
        committed.len() - 1,
        stderr.trim()
    );
}
