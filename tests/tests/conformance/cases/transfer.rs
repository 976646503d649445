//! Moving data in: `nerve copy` and `nerve verify` ([`nerve::copy`]), and `nerve import`
//! ([`nerve::import`]).
//!
//! What a copy wrote, verify finds equal, and a row changed afterwards, verify finds. A copy
//! always goes from a SQLite file to a PostgreSQL database, so the case does the same in either
//! backend's run: that is what its two runs share with the rest of the suite (the canonical
//! form of both backends' values). An import brings the database NERVE's Python application
//! made into a new database of the backend under test.

use nerve::copy::{copy, verify, CopyOptions, NoProgress};
use nerve::import::{import, ImportOptions};
use nerve::model::{NewCompany, NewUser, Role};
use nerve::{Backend, Error, MigrationPolicy};
use nerve_conformance::legacy::build;
use nerve_conformance::{test_options, CaseResult, Ctx, TestDb};
use std::collections::BTreeSet;

pub fn verify_finds_a_copy_equal_and_a_changed_row_different(ctx: &Ctx) -> CaseResult {
    let source = TestDb::migrated(Backend::Sqlite)?;
    let target = TestDb::empty(Backend::Postgres)?;
    let store = nerve::connect_with(
        &source.url,
        &test_options(ctx.clock.clone(), MigrationPolicy::Require),
    )?;
    for name in ["Acme", "Globex"] {
        store.companies().create(&NewCompany {
            name: name.into(),
            domain: Some(format!("{}.example", name.to_lowercase())),
        })?;
    }
    // A value set (`users.role`): text on SQLite, a native ENUM on PostgreSQL.
    let acme = store.companies().find_by_domain("acme.example")?;
    store.users().create(
        acme.id,
        &NewUser {
            email: "ops@acme.example".into(),
            password: "correct horse battery".into(),
            full_name: None,
            role: Role::Admin,
        },
    )?;
    drop(store);

    let report = copy(
        &source.url,
        &target.url,
        &CopyOptions::default(),
        &mut NoProgress,
    )?;
    let copied = report.verify.expect("a copy verifies unless told not to");
    assert!(copied.equal(), "{copied:?}");
    // Each table's digest, as the report shows it: 128 bits in hex, the same on both sides.
    for t in &copied.tables {
        assert!(
            t.source_digest.len() == 32 && t.source_digest == t.target_digest,
            "{t:?}"
        );
    }
    let again = verify(&source.url, &target.url, None, false)?;
    assert!(again.equal(), "{again:?}");

    // Same row count, one value changed: only the digest can tell.
    target.execute_raw("UPDATE companies SET name = 'Initech' WHERE name = 'Globex'")?;
    let changed = verify(&source.url, &target.url, None, false)?;
    assert_eq!(changed.differing(), vec!["companies"], "{changed:?}");
    let companies = changed.tables.iter().find(|t| t.table == "companies");
    assert!(
        companies.is_some_and(|t| t.source_digest != t.target_digest),
        "{changed:?}"
    );

    // A value-set text outside its set (written by another program, CHECKs off) stops the
    // copy, naming the column; nothing is written.
    source
        .execute_raw("PRAGMA ignore_check_constraints = ON; UPDATE users SET role = 'superuser'")?;
    let (table, field, reason, _) = copy_refused(&source)?;
    assert_eq!((table, field), ("users", "role"), "{reason}");
    assert!(reason.contains("\"superuser\" is not one of"), "{reason}");

    // A NULL in a NOT NULL column, which SQLite itself never stores: a file edited behind its
    // back (the column's NOT NULL taken out of the schema text, the NULL written, the NOT NULL
    // put back, each on a new connection, which reads the schema anew). The copy refuses the
    // row itself, naming the column, before PostgreSQL sees it; nothing is written.
    source.execute_raw("UPDATE users SET role = 'admin'")?;
    let schema_text = |from: &str, to: &str| {
        format!(
            "PRAGMA writable_schema = ON; UPDATE sqlite_schema SET sql = replace(sql, '{from}', \
             '{to}') WHERE type = 'table' AND name = 'companies'"
        )
    };
    let not_null = "TEXT NOT NULL CHECK (length(name) <= 255)";
    let nullable = "TEXT CHECK (length(name) <= 255)";
    source.execute_raw(&schema_text(not_null, nullable))?;
    source.execute_raw("UPDATE companies SET name = NULL WHERE domain = 'globex.example'")?;
    source.execute_raw(&schema_text(nullable, not_null))?;
    let (table, field, reason, target) = copy_refused(&source)?;
    assert_eq!((table, field), ("companies", "name"), "{reason}");
    assert!(reason.contains("NULL in a NOT NULL column"), "{reason}");
    assert_eq!(
        target.query_strings("SELECT name AS value FROM companies")?,
        Vec::<String>::new()
    );

    // A foreign key pointing at no row (written with the foreign keys off) is refused by row,
    // naming the column and the parent table.
    source.execute_raw("UPDATE companies SET name = 'Globex' WHERE domain = 'globex.example'")?;
    source.execute_raw("PRAGMA foreign_keys = OFF; UPDATE users SET company_id = 999")?;
    let (table, field, reason, _) = copy_refused(&source)?;
    assert_eq!((table, field), ("users", "company_id"), "{reason}");
    assert!(reason.contains("no companies row has this id"), "{reason}");
    Ok(())
}

/// Copies `source` into a new PostgreSQL database, which must refuse it with
/// `Error::Validation`: its table, field and reason, and the target it left.
fn copy_refused(
    source: &TestDb,
) -> Result<(&'static str, &'static str, String, TestDb), Box<dyn std::error::Error>> {
    let target = TestDb::empty(Backend::Postgres)?;
    match copy(
        &source.url,
        &target.url,
        &CopyOptions::default(),
        &mut NoProgress,
    ) {
        Err(Error::Validation {
            table,
            field,
            reason,
        }) => Ok((table, field, reason, target)),
        other => Err(format!("a copy that should have been refused: {other:?}").into()),
    }
}

/// `nerve import` of the legacy fixture (the database NERVE's Python application made, with
/// rows it must refuse planted in it) into a new database of this backend, its rejects written
/// to a file: the refused rows are exactly the planted ones, every table verifies, each
/// table's source rows are its imported and refused rows, and every value the legacy tables
/// carried arrived equal.
pub fn a_legacy_database_imports_every_value_and_refuses_the_planted_rows(ctx: &Ctx) -> CaseResult {
    let legacy = build(0)?;
    let target = ctx.empty_database()?;
    let rejects = tempfile::NamedTempFile::new()?;
    let options = ImportOptions {
        rejects: Some(rejects.path().to_path_buf()),
        drop: legacy.drops.clone(),
        ..Default::default()
    };
    let report = import(&legacy.url, &target.url, &options, &mut |_| {})?;
    assert!(report.verified(), "{:?}", report.tables);
    for t in &report.tables {
        assert_eq!(t.source_rows, t.imported + t.refused, "{t:?}");
    }
    let lines = std::fs::read_to_string(rejects.path())?;
    let mut refused = BTreeSet::new();
    for line in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        refused.insert((
            v["table"].as_str().unwrap_or_default().to_string(),
            v["rowid"].as_i64().unwrap_or_default(),
            v["column"].as_str().unwrap_or_default().to_string(),
        ));
    }
    let planted = legacy.planted_keys();
    assert_eq!(refused, planted, "{lines}");
    assert_eq!(report.refused, planted.len() as u64);
    let store = nerve::connect_with(
        &target.url,
        &test_options(ctx.clock.clone(), MigrationPolicy::Require),
    )?;
    let compared = legacy.compare(&*store);
    assert!(compared > 1000, "compared {compared} values");
    Ok(())
}
