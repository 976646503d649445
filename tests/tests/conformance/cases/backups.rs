//! Backups and restores: a consistent copy while writers write, checked before a restore,
//! nothing changed by a refused one, and a manifest that tells the truth.

use super::{company, new_user};
use nerve::backup::BackupManifest;
use nerve::{Error, Store};
use nerve_conformance::{CaseResult, Ctx};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Exact row counts of every table, as the admin store reads them.
fn counts(store: &dyn Store) -> nerve::Result<BTreeMap<String, u64>> {
    Ok(store
        .admin()
        .stats()?
        .tables
        .into_iter()
        .map(|t| (t.table, t.rows))
        .collect())
}

/// The manifest's counts of the schema's tables (the manifest also counts tables outside it,
/// of which a NERVE database has none).
fn expect_counts_match(manifest: &BackupManifest, actual: &BTreeMap<String, u64>) -> CaseResult {
    if &manifest.row_counts != actual {
        return Err(format!(
            "manifest counts {:?} differ from the database's {:?}",
            manifest.row_counts, actual
        )
        .into());
    }
    Ok(())
}

fn company_names(ctx: &Ctx) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    ctx.query_strings("SELECT name AS value FROM companies ORDER BY id")
}

pub fn backup_during_inserts_restores_one_point_in_time(ctx: &Ctx) -> CaseResult {
    let committed = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let store = ctx.store.as_ref();
    // Backups connect directly (never through a pooler), as operators' tools do.
    let operator = ctx.direct()?;
    let (backup, written) = std::thread::scope(|s| {
        let writer = s.spawn(|| -> nerve::Result<usize> {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                // A company and its user in one transaction: a consistent copy has both or
                // neither.
                store.atomic(&mut |r| {
                    let c = r.companies().create(&nerve::model::NewCompany {
                        name: format!("pit-{i:05}"),
                        domain: None,
                    })?;
                    r.users()
                        .create(c.id, &new_user(&format!("u{i}@pit.example")))?;
                    Ok(())
                })?;
                i += 1;
                committed.store(i, Ordering::SeqCst);
            }
            Ok(i)
        });
        let wait_for = |n: usize| {
            while committed.load(Ordering::SeqCst) < n && !writer.is_finished() {
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        };
        wait_for(10);
        let backup = operator.backups().create_backup(None);
        let after = committed.load(Ordering::SeqCst);
        wait_for(after + 10);
        stop.store(true, Ordering::SeqCst);
        (backup, writer.join().expect("the writer does not panic"))
    });
    let backup = backup?;
    let written = written?;
    let manifest = backup.manifest.clone().ok_or("a manifest")?;
    let in_backup = manifest.row_counts.get("companies").copied().unwrap_or(0) as usize;
    assert!(
        (10..=written - 10).contains(&in_backup),
        "the backup holds {in_backup} of {written} companies"
    );
    assert_eq!(manifest.row_counts.get("users"), Some(&(in_backup as u64)));
    assert!(backup.path.starts_with(ctx.backup_dir()));
    let name = backup
        .path
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.starts_with("nerve_backup_2026") && name.len() >= "nerve_backup_YYYYMMDD_HHMMSS".len(),
        "{name}"
    );

    let report = operator.backups().restore_backup(&backup.path, true)?;
    ctx.drop_safety_copy(&report);
    assert!(report.checksum_verified);
    // One point in time: the first `in_backup` companies in order, each with its user.
    let names = company_names(ctx)?;
    let expected: Vec<String> = (0..in_backup).map(|i| format!("pit-{i:05}")).collect();
    assert_eq!(names, expected);
    let orphans = ctx.query_strings(
        "SELECT name AS value FROM companies c WHERE (SELECT count(*) FROM users u \
         WHERE u.company_id = c.id) <> 1",
    )?;
    assert!(
        orphans.is_empty(),
        "companies without exactly one user: {orphans:?}"
    );
    // The store keeps working on the restored database, and counts equal the manifest's.
    expect_counts_match(&manifest, &counts(store)?)?;
    assert_eq!(report.row_counts, manifest.row_counts);
    company(store, "after restore", None)?;
    Ok(())
}

pub fn refused_restores_change_nothing(ctx: &Ctx) -> CaseResult {
    let store = ctx.store.as_ref();
    let operator = ctx.direct()?;
    company(store, "in the backup", None)?;
    let backup = operator.backups().create_backup(None)?;
    company(store, "written after the backup", None)?;
    let before = company_names(ctx)?;
    assert_eq!(before.len(), 2);
    let unchanged = |what: &str| -> CaseResult {
        assert_eq!(company_names(ctx)?, before, "{what} changed the live data");
        Ok(())
    };
    let backup_err = |r: nerve::Result<nerve::backup::RestoreReport>, what: &str| -> String {
        match r {
            Err(e @ Error::Backup { .. }) => e.to_string(),
            other => panic!("{what}: expected Error::Backup, got {other:?}"),
        }
    };

    // Not confirmed.
    let msg = backup_err(
        operator.backups().restore_backup(&backup.path, false),
        "unconfirmed",
    );
    assert!(msg.contains("--confirm"), "{msg}");
    unchanged("an unconfirmed restore")?;

    // Truncated, its manifest beside it: the checksum refuses it.
    let bytes = std::fs::read(&backup.path)?;
    let truncated = ctx.backup_dir().join("nerve_backup_truncated.bin");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2])?;
    std::fs::copy(
        nerve::backup::manifest_path(&backup.path),
        nerve::backup::manifest_path(&truncated),
    )?;
    let msg = backup_err(
        operator.backups().restore_backup(&truncated, true),
        "truncated",
    );
    assert!(msg.contains("truncated"), "{msg}");
    assert!(
        msg.contains("nerve_backup_truncated.bin"),
        "names the file: {msg}"
    );
    unchanged("a truncated backup")?;

    // Truncated without a manifest: the content check refuses it.
    std::fs::remove_file(nerve::backup::manifest_path(&truncated))?;
    backup_err(
        operator.backups().restore_backup(&truncated, true),
        "truncated, no manifest",
    );
    unchanged("a truncated backup without manifest")?;

    // Not a backup at all.
    let foreign = ctx.backup_dir().join("nerve_notes.txt");
    std::fs::write(
        &foreign,
        "these are not the pages you are looking for\n".repeat(200),
    )?;
    let msg = backup_err(operator.backups().restore_backup(&foreign, true), "foreign");
    assert!(msg.contains("not a"), "{msg}");
    unchanged("a foreign file")?;
    // Its first bytes are not the backend's file signature: refused for that, before any tool
    // is asked to read it.
    match operator.backups().backup_info(&foreign) {
        Err(e @ Error::Backup { .. }) => {
            let msg = e.to_string();
            let signature = match ctx.backend {
                nerve::Backend::Sqlite => "not a SQLite database file",
                nerve::Backend::Postgres => "not a PostgreSQL custom-format archive",
            };
            assert!(msg.contains(signature), "{msg}");
        }
        other => panic!("foreign: expected Error::Backup, got {other:?}"),
    }

    // The intact backup still restores, to what it held.
    let info = operator.backups().backup_info(&backup.path)?;
    assert_eq!(info.manifest, backup.manifest);
    let report = operator.backups().restore_backup(&backup.path, true)?;
    ctx.drop_safety_copy(&report);
    assert_eq!(company_names(ctx)?, vec!["in the backup".to_string()]);
    Ok(())
}

pub fn manifest_counts_match_and_backups_are_listed(ctx: &Ctx) -> CaseResult {
    let store = ctx.store.as_ref();
    let operator = ctx.direct()?;
    let acme = company(store, "ACME", Some("acme.example"))?;
    for i in 0..3 {
        store
            .users()
            .create(acme.id, &new_user(&format!("m{i}@acme.example")))?;
    }
    company(store, "Globex", None)?;
    let first = operator.backups().create_backup(None)?;
    let manifest = first.manifest.clone().ok_or("a manifest")?;
    expect_counts_match(&manifest, &counts(store)?)?;
    assert_eq!(manifest.row_counts["companies"], 2);
    assert_eq!(manifest.row_counts["users"], 3);
    assert_eq!(manifest.backend, ctx.backend);
    assert_eq!(
        manifest.schema_version,
        store.schema_status()?.version().map(str::to_string)
    );
    assert_eq!(manifest.size_bytes, std::fs::metadata(&first.path)?.len());

    // A streamed backup: its bytes are what the manifest says.
    let mut streamed = Vec::new();
    let streamed_manifest = operator.backups().write_backup(&mut streamed)?;
    assert_eq!(streamed_manifest.size_bytes, streamed.len() as u64);
    assert_eq!(streamed_manifest.row_counts, manifest.row_counts);
    // Written to a file, it restores (checked by content; no manifest to compare).
    let streamed_file = ctx.backup_dir().join("from_stdout.bak");
    std::fs::write(&streamed_file, &streamed)?;

    // An explicit path: created, never overwritten.
    let explicit = ctx.backup_dir().join("nerve_explicit.bak");
    let second = operator.backups().create_backup(Some(&explicit))?;
    assert_eq!(second.path, explicit);
    assert!(matches!(
        operator.backups().create_backup(Some(&explicit)),
        Err(Error::Backup { .. })
    ));

    let listed = operator.backups().list_backups()?;
    let paths: Vec<_> = listed.iter().map(|b| b.path.clone()).collect();
    assert!(
        paths.contains(&first.path) && paths.contains(&explicit),
        "{paths:?}"
    );
    for b in listed.iter().filter(|b| b.path == first.path) {
        assert_eq!(b.manifest.as_ref(), Some(&manifest));
    }

    // Change things, restore the streamed copy: the counts are the manifest's again.
    store.companies().soft_delete(acme.id)?;
    company(store, "Initech", None)?;
    let report = operator.backups().restore_backup(&streamed_file, true)?;
    ctx.drop_safety_copy(&report);
    assert!(!report.checksum_verified);
    expect_counts_match(&manifest, &counts(store)?)?;
    assert_eq!(store.companies().get(acme.id)?.name, "ACME");
    Ok(())
}
