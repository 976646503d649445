//! `nerve copy` and `nerve verify` ([`nerve::copy`]): what a copy wrote, verify finds equal, and
//! a row changed afterwards, verify finds. A copy always goes from a SQLite file to a PostgreSQL
//! database, so the case does the same in either backend's run: that is what its two runs
//! share with the rest of the suite (the canonical form of both backends' values).

use nerve::copy::{copy, verify, CopyOptions, NoProgress};
use nerve::model::{NewCompany, NewUser, Role};
use nerve::{Backend, Error, MigrationPolicy};
use nerve_conformance::{test_options, CaseResult, Ctx, TestDb};

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
    let fresh = TestDb::empty(Backend::Postgres)?;
    match copy(
        &source.url,
        &fresh.url,
        &CopyOptions::default(),
        &mut NoProgress,
    ) {
        Err(Error::Validation {
            table: "users",
            field: "role",
            reason,
        }) if reason.contains("\"superuser\" is not one of") => {}
        other => return Err(format!("a role outside the set: {other:?}").into()),
    }
    Ok(())
}
