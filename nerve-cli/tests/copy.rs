//! `nerve copy` and `nerve verify`: SQLite into PostgreSQL, exact, all-or-nothing, and the
//! verification that proves it. Each test copies a source of its own into a PostgreSQL
//! database of its own (NERVE_TEST_PG_URL, as the conformance suite).

use nerve::copy::{copy, verify, CopyOptions, NoProgress};
use nerve::{Backend, Error, MigrationPolicy, StoreOptions};
use nerve_conformance::rows::round_trip_every_table;
use nerve_conformance::TestDb;
use std::process::Command;

fn source() -> TestDb {
    TestDb::migrated(Backend::Sqlite).expect("a SQLite source")
}

fn target() -> TestDb {
    TestDb::empty(Backend::Postgres).expect("a PostgreSQL target")
}

fn open(url: &str) -> Box<dyn nerve::Store> {
    let options = StoreOptions {
        migrations: MigrationPolicy::Require,
        password: nerve::PasswordParams::INSECURE_FOR_TESTS,
        ..Default::default()
    };
    nerve::connect_with(url, &options).expect("open")
}

fn options() -> CopyOptions {
    CopyOptions::default()
}

/// Companies and users written the way other programs write SQLite: naive and `T`/`Z`
/// timestamps, JSON with keys in any order and spaces.
fn written_elsewhere(src: &TestDb) {
    src.execute_raw(
        "INSERT INTO companies (id, name, domain, created_at, updated_at, is_active) VALUES \
           (900, 'naive', NULL, '2026-01-02 03:04:05', '2026-01-02 03:04:05.123456', 1), \
           (901, 'iso', 'iso.test', '2026-01-02T03:04:05Z', '2026-01-02T03:04:05.5+00:00', 0); \
         INSERT INTO audit_logs (company_id, action, details, created_at) VALUES \
           (900, 'x', '{ \"b\" : [1, 2.50, {\"z\": null, \"a\": \"\\u00fc\"}], \"a\": 1e2 }', '2026-01-02 03:04:05');",
    )
    .expect("rows written elsewhere");
}

#[test]
fn every_edge_case_arrives_equal_value_by_value() {
    let (src, dst) = (source(), target());
    let store = open(&src.url);
    let schema = nerve::describe_schema(&src.url).expect("describe");
    let outcomes = round_trip_every_table(&*store, &schema).expect("edge rows");
    drop(store);
    written_elsewhere(&src);
    let report = copy(&src.url, &dst.url, &options(), &mut NoProgress).expect("copy");
    assert_eq!(report.rejected, 0);
    let stored = outcomes.iter().filter(|o| o.result == "ok").count() as u64;
    assert_eq!(
        report.copied,
        stored + 3,
        "every stored probe row and the three raw rows"
    );
    let verified = report.verify.expect("verified");
    assert!(verified.equal(), "{:?}", verified.differing());
    assert_eq!(verified.tables.len(), schema.tables.len());
    // Value by value, through each backend's own row types.
    let (a, b) = (open(&src.url), open(&dst.url));
    let mut compared = 0;
    for o in outcomes.iter().filter(|o| o.result == "ok") {
        let left = a.raw_rows().get(&o.table, o.id).expect("source row");
        let right = b.raw_rows().get(&o.table, o.id).expect("copied row");
        assert_eq!(left, right, "{}.{} = {}", o.table, o.column, o.probe);
        compared += 1;
    }
    for id in [900, 901] {
        assert_eq!(
            a.raw_rows().get("companies", id).unwrap(),
            b.raw_rows().get("companies", id).unwrap()
        );
    }
    assert!(compared > 1500, "{compared} rows compared");
    // Identities are past the copied ids: a new row gets a fresh id everywhere.
    let c = b
        .companies()
        .create(&nerve::model::NewCompany {
            name: "after the copy".into(),
            domain: None,
        })
        .expect("insert after copy");
    let max = outcomes
        .iter()
        .filter(|o| o.table == "companies" && o.result == "ok")
        .map(|o| o.id)
        .max()
        .unwrap_or(0)
        .max(901);
    assert!(c.id > max, "new id {} after copied max {max}", c.id);
}

/// A bad source row, by kind: the SQL that makes it, the table and column it is in, and
/// words of the reason.
fn bad_rows() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    vec![
        (
            "text in an integer column",
            "UPDATE companies SET is_active = 'yes' WHERE id = 2",
            "companies",
            "is_active",
        ),
        (
            "invalid JSON",
            "INSERT INTO audit_logs (id, company_id, action, details, created_at) \
             VALUES (2, 1, 'b', '{not json', '2026-01-01 00:00:00+00:00')",
            "audit_logs",
            "details",
        ),
        (
            "unparseable timestamp",
            "UPDATE companies SET created_at = '2026-13-45 99:99:99' WHERE id = 2",
            "companies",
            "created_at",
        ),
        (
            "value outside its set",
            "UPDATE users SET role = 'superuser' WHERE id = 1",
            "users",
            "role",
        ),
        (
            "U+0000 in text",
            "UPDATE companies SET name = 'a' || char(0) || 'b' WHERE id = 2",
            "companies",
            "name",
        ),
        (
            "orphaned foreign key",
            "UPDATE users SET company_id = 777 WHERE id = 1",
            "users",
            "company_id",
        ),
    ]
}

/// A small valid source: two companies, a user of the first, an audit entry.
fn small_source() -> TestDb {
    let src = source();
    src.execute_raw(
        "INSERT INTO companies (id, name, created_at, updated_at) VALUES \
           (1, 'one', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'), \
           (2, 'two', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'); \
         INSERT INTO users (id, company_id, email, password_hash, role, password_changed_at, created_at, updated_at) VALUES \
           (1, 1, 'u@one.test', 'h', 'owner', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00'); \
         INSERT INTO audit_logs (id, company_id, user_id, action, details, created_at) VALUES \
           (1, 1, 1, 'a', '{}', '2026-01-01 00:00:00+00:00');",
    )
    .expect("small source");
    src
}

/// Adds `n` (at least one) failed login attempts of user 1 to a [`small_source`].
fn add_login_attempts(src: &TestDb, n: u32) {
    assert!(n >= 1, "the recursive count starts at one row");
    src.execute_raw(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
         INSERT INTO login_attempts (email, user_id, ip_address, success, failure, attempted_at) \
         SELECT 'u' || i || '@x.test', 1, '10.0.0.1', 0, 'bad_password', '2026-01-02 03:04:05+00:00' FROM n"
    ))
    .expect("login attempts");
}

/// Makes a bad row the way another program could: STRICT and CHECKs and foreign keys off.
fn break_source(src: &TestDb, sql: &str) {
    src.execute_raw(
        "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON; \
         PRAGMA writable_schema = ON; \
         UPDATE sqlite_master SET sql = replace(sql, ') STRICT', ')') WHERE type = 'table'; \
         PRAGMA writable_schema = OFF;",
    )
    .expect("loosen");
    src.execute_raw(&format!(
        "PRAGMA foreign_keys = OFF; PRAGMA ignore_check_constraints = ON; {sql}"
    ))
    .expect("break");
}

fn target_rows(src: &TestDb, dst: &TestDb) -> u64 {
    verify(&src.url, &dst.url, None, false)
        .expect("verify")
        .tables
        .iter()
        .map(|t| t.target_rows)
        .sum()
}

#[test]
fn a_bad_row_stops_the_copy_naming_table_rowid_column_and_reason() {
    for (kind, sql, table, column) in bad_rows() {
        let (src, dst) = (small_source(), target());
        break_source(&src, sql);
        let err = copy(&src.url, &dst.url, &options(), &mut NoProgress)
            .expect_err(&format!("{kind}: copied"));
        match &err {
            Error::Validation {
                table: t,
                field,
                reason,
            } => {
                assert_eq!((*t, *field), (table, column), "{kind}: {err}");
                assert!(reason.starts_with("rowid "), "{kind}: {reason}");
            }
            other => panic!("{kind}: {other}"),
        }
        assert_eq!(target_rows(&src, &dst), 0, "{kind}: nothing committed");
    }
}

#[test]
fn rejects_go_to_the_file_with_their_children_and_the_rest_is_copied() {
    let (src, dst) = (small_source(), target());
    // Company 1 refused (text in an integer column): its user and audit entry must follow.
    break_source(&src, "UPDATE companies SET is_active = 'yes' WHERE id = 1");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rejects.jsonl");
    let report = copy(
        &src.url,
        &dst.url,
        &CopyOptions {
            rejects: Some(file.clone()),
            ..options()
        },
        &mut NoProgress,
    )
    .expect("copy with rejects");
    assert_eq!((report.copied, report.rejected), (1, 3));
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let what: Vec<(String, i64, String)> = lines
        .iter()
        .map(|l| {
            (
                l["table"].as_str().unwrap().to_string(),
                l["rowid"].as_i64().unwrap(),
                l["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        what,
        vec![
            ("companies".into(), 1, "is_active".into()),
            ("users".into(), 1, "company_id".into()),
            ("audit_logs".into(), 1, "company_id".into()),
        ]
    );
    assert_eq!(lines[0]["row"]["is_active"], "yes", "the whole row is kept");
    assert_eq!(lines[0]["row"]["name"], "one");
    // What was copied equals the source less the refused rows.
    assert!(report.verify.expect("verified").equal());
    // Standalone verify agrees once the refused rows are left out.
    assert!(!verify(&src.url, &dst.url, None, false).unwrap().equal());
    assert!(verify(&src.url, &dst.url, None, true).unwrap().equal());
    // The same command again (as after a kill past the commit): the target already holds
    // the source less its refused rows, so there is nothing to do; it still exits 1 for them.
    let again = copy(
        &src.url,
        &dst.url,
        &CopyOptions {
            rejects: Some(file.clone()),
            ..options()
        },
        &mut NoProgress,
    )
    .expect("rerun");
    assert!(again.already_copied, "{again:?}");
    let out = Command::new(env!("CARGO_BIN_EXE_nerve"))
        .args([
            "copy",
            "--truncate",
            "--from",
            &src.url,
            "--to",
            &dst.url,
            "--rejects",
        ])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 row(s) refused"));
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 3);
}

#[test]
fn an_orphan_is_named_by_the_foreign_key_that_points_nowhere() {
    let (src, dst) = (small_source(), target());
    // Two foreign keys to users: the second one dangles.
    src.execute_raw(
        "PRAGMA foreign_keys = OFF; \
         INSERT INTO security_events (id, company_id, event_type, severity, user_id, description, \
             acknowledged, acknowledged_by, created_at, updated_at) \
         VALUES (5, 1, 'other', 'low', 1, 'x', 1, 424242, '2026-01-01 00:00:00+00:00', \
             '2026-01-01 00:00:00+00:00');",
    )
    .unwrap();
    let err = copy(&src.url, &dst.url, &options(), &mut NoProgress).expect_err("orphan");
    assert!(
        matches!(
            err,
            Error::Validation {
                table: "security_events",
                field: "acknowledged_by",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("rowid 5"), "{err}");
}

#[test]
fn a_non_empty_target_is_refused_unless_equal_or_truncated() {
    let (src, dst) = (small_source(), target());
    copy(&src.url, &dst.url, &options(), &mut NoProgress).expect("first copy");
    // The same command again: the target already is the source.
    let again = copy(&src.url, &dst.url, &options(), &mut NoProgress).expect("rerun");
    assert!(again.already_copied && again.copied == 0);
    // A source that changed since: refused, the target kept.
    src.execute_raw("UPDATE companies SET name = 'renamed' WHERE id = 2")
        .unwrap();
    let err = copy(&src.url, &dst.url, &options(), &mut NoProgress).expect_err("refused");
    assert!(err.to_string().contains("--truncate"), "{err}");
    assert!(!verify(&src.url, &dst.url, None, false).unwrap().equal());
    // With truncate it is replaced (audit_logs, append-only, included).
    let replaced = copy(
        &src.url,
        &dst.url,
        &CopyOptions {
            truncate: true,
            ..options()
        },
        &mut NoProgress,
    )
    .expect("truncate");
    assert_eq!(replaced.copied, 4);
    assert!(replaced.verify.unwrap().equal());
}

#[test]
fn verify_catches_a_changed_value_a_missing_row_and_an_extra_row() {
    let (src, dst) = (small_source(), target());
    copy(&src.url, &dst.url, &options(), &mut NoProgress).expect("copy");
    assert!(verify(&src.url, &dst.url, None, false).unwrap().equal());
    for (change, undo, table) in [
        (
            "UPDATE companies SET name = 'ONE' WHERE id = 1",
            "UPDATE companies SET name = 'one' WHERE id = 1",
            "companies",
        ),
        (
            "UPDATE users SET locked_at = '2026-01-01 00:00:00.000001+00' WHERE id = 1",
            "UPDATE users SET locked_at = NULL WHERE id = 1",
            "users",
        ),
        (
            "DELETE FROM companies WHERE id = 2",
            "INSERT INTO companies (id, name, created_at, updated_at) VALUES \
             (2, 'two', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00')",
            "companies",
        ),
        (
            "INSERT INTO companies (id, name, created_at, updated_at) VALUES \
             (3, 'extra', '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00')",
            "DELETE FROM companies WHERE id = 3",
            "companies",
        ),
    ] {
        dst.execute_raw(change).unwrap();
        let report = verify(&src.url, &dst.url, None, false).unwrap();
        assert_eq!(report.differing(), vec![table], "{change}");
        let cli = Command::new(env!("CARGO_BIN_EXE_nerve"))
            .args(["verify", "--from", &src.url, "--to", &dst.url])
            .output()
            .unwrap();
        assert_eq!(cli.status.code(), Some(3), "{change}");
        assert!(String::from_utf8_lossy(&cli.stderr).contains(table));
        dst.execute_raw(undo).unwrap();
        assert!(
            verify(&src.url, &dst.url, None, false).unwrap().equal(),
            "{undo}"
        );
    }
}

#[test]
fn a_killed_copy_leaves_nothing_and_the_same_command_then_copies() {
    let (src, dst) = (small_source(), target());
    // Enough rows that the copy runs for a while.
    add_login_attempts(&src, 300_000);
    let args = ["copy", "--from", &src.url, "--to", &dst.url];
    let mut child = Command::new(env!("CARGO_BIN_EXE_nerve"))
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it (SIGKILL) while PostgreSQL is running its COPY.
    wait_for_copy(&dst);
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed before it finished");
    assert_eq!(
        target_rows(&src, &dst),
        0,
        "nothing of the killed copy is kept"
    );
    // 300 000 rows: login_attempts was being loaded through staging, which the kill left.
    assert_eq!(staging_tables(&dst), ["login_attempts"]);
    let out = Command::new(env!("CARGO_BIN_EXE_nerve"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = verify(&src.url, &dst.url, None, false).unwrap();
    assert!(report.equal());
    assert_eq!(
        report.tables.iter().map(|t| t.target_rows).sum::<u64>(),
        300_004
    );
    // The large table went through staging: its indexes and foreign keys are back, and the
    // rerun dropped what the killed run staged.
    assert_eq!(
        nerve::describe_schema(&dst.url).unwrap(),
        nerve::describe_schema(&src.url).unwrap()
    );
    assert!(staging_tables(&dst).is_empty());
}

/// Waits until a `COPY` runs in `dst`'s database (the copy or import reached its load).
fn wait_for_copy(dst: &TestDb) {
    let db = dst.url.rsplit('/').next().unwrap().to_string();
    let started = std::time::Instant::now();
    loop {
        let copying = dst
            .query_strings(&format!(
                "SELECT count(*)::text AS value FROM pg_stat_activity \
                  WHERE datname = '{db}' AND query LIKE 'COPY %'"
            ))
            .unwrap_or_default();
        if copying.first().is_some_and(|n| n != "0") {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(120),
            "the copy never reached its COPY"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// A row another session commits into a table while the copy loads its twin is not dropped
/// with the table at the swap: the copy fails naming the table, the row stays, nothing of
/// the copy is kept, and the staging schema is gone.
#[test]
fn a_row_written_into_a_staged_table_meanwhile_fails_the_copy_and_stays() {
    let (src, dst) = (small_source(), target());
    add_login_attempts(&src, 300_000);
    let child = Command::new(env!("CARGO_BIN_EXE_nerve"))
        .args(["copy", "--from", &src.url, "--to", &dst.url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_copy(&dst);
    dst.execute_raw(
        "INSERT INTO login_attempts (email, success, failure, attempted_at) VALUES ('late@x.test', false, 'bad_password', now())",
    )
    .expect("a row from another session");
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let error = stderr.lines().last().unwrap_or_default();
    assert!(
        error.starts_with("nerve: error: ")
            && error.contains("login_attempts")
            && error.contains("another session wrote rows"),
        "{stderr}"
    );
    let late = dst
        .query_strings("SELECT email AS value FROM login_attempts")
        .unwrap();
    assert_eq!(late, ["late@x.test"]);
    assert_eq!(target_rows(&src, &dst), 1, "nothing of the copy is kept");
    assert!(staging_tables(&dst).is_empty());
}

/// The tables in the staging schema of `dst` (empty when the schema is gone).
fn staging_tables(dst: &TestDb) -> Vec<String> {
    dst.query_strings(&format!(
        "SELECT tablename::text AS value FROM pg_tables WHERE schemaname = '{}' ORDER BY 1",
        nerve::copy::STAGING_SCHEMA
    ))
    .expect("pg_tables")
}

/// Every table that can be staged, staged (from one row on): the copy is the same copy — every
/// value equal, the catalog of the target's schema line for line that of a freshly migrated
/// database (names of keys and indexes, storage options, identities), ids go on after the
/// largest copied, keys hold, and the staging schema is gone.
#[test]
fn a_copy_through_staging_leaves_the_same_database() {
    let src = source();
    // A migrated target whose identity has already moved on (ids handed out, rolled back),
    // a table with a grant and one a view reads (which a twin would not carry: not staged).
    let dst = TestDb::migrated(Backend::Postgres).expect("a migrated target");
    dst.execute_raw(
        "SELECT setval(pg_get_serial_sequence('login_attempts', 'id'), 100000); \
         GRANT SELECT ON security_events TO PUBLIC; \
         CREATE VIEW recent_sessions AS SELECT id FROM sessions",
    )
    .expect("sequence, grant and view");
    let store = open(&src.url);
    let schema = nerve::describe_schema(&src.url).expect("describe");
    round_trip_every_table(&*store, &schema).expect("edge rows");
    drop(store);
    src.execute_raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) \
         INSERT INTO login_attempts (email, ip_address, success, failure, attempted_at) \
         SELECT 'u' || i || '@x.test', '10.0.0.1', 0, 'bad_password', '2026-01-02 03:04:05+00:00' FROM n",
    )
    .expect("login attempts");
    let staged = CopyOptions {
        parallel_from_rows: Some(1),
        ..options()
    };
    let report = copy(&src.url, &dst.url, &staged, &mut NoProgress).expect("copy");
    let through_staging: Vec<&str> = report
        .tables
        .iter()
        .filter(|t| t.staged)
        .map(|t| t.table.as_str())
        .collect();
    for table in ["login_attempts", "cached_asm_scans", "api_keys"] {
        assert!(through_staging.contains(&table), "{through_staging:?}");
    }
    for table in [
        "companies",
        "users",
        "audit_logs",
        "security_events",
        "sessions",
    ] {
        assert!(!through_staging.contains(&table), "{through_staging:?}");
    }
    assert!(report.verify.expect("verified").equal());
    let fresh = TestDb::migrated(Backend::Postgres).expect("a migrated database");
    fresh
        .execute_raw(
            "GRANT SELECT ON security_events TO PUBLIC; \
             CREATE VIEW recent_sessions AS SELECT id FROM sessions",
        )
        .expect("grant and view");
    let (differ, missing) = dst.catalog_differences(&fresh).unwrap();
    assert!(
        differ.is_empty() && missing.is_empty(),
        "only in the copy: {differ:?}; only in a migrated database: {missing:?}"
    );
    assert!(staging_tables(&dst).is_empty());
    let next = dst
        .query_strings(
            "INSERT INTO login_attempts (email, success, attempted_at) VALUES ('n@x.test', true, now()) RETURNING id::text AS value",
        )
        .expect("insert");
    let max = dst
        .query_strings(
            "SELECT max(id)::text AS value FROM login_attempts WHERE email <> 'n@x.test'",
        )
        .expect("max");
    assert!(max[0].parse::<i64>().unwrap() < 100_000);
    assert!(
        next[0].parse::<i64>().unwrap() > 100_000,
        "the identity went back: {next:?}"
    );
    let duplicate = dst.query_strings(
        "INSERT INTO login_attempts (id, email, success, failure, attempted_at) SELECT id, email, success, failure, attempted_at FROM login_attempts LIMIT 1 RETURNING 'inserted'::text AS value",
    );
    assert!(
        duplicate
            .as_ref()
            .is_err_and(|e| e.to_string().contains("login_attempts_pkey")),
        "{duplicate:?}"
    );
}

/// Tables of 1 000 rows or more (the copy's bulk threshold) load without their secondary
/// indexes and foreign keys, which come back; every table copied has its statistics
/// afterwards (gathered after the commit, on connections of their own).
#[test]
fn a_copy_rebuilds_what_it_suspends_and_leaves_statistics_behind() {
    let (src, dst) = (small_source(), target());
    add_login_attempts(&src, 1_500);
    let report = copy(&src.url, &dst.url, &options(), &mut NoProgress).expect("copy");
    assert!(report.verify.expect("verified").equal());
    assert_eq!(
        nerve::describe_schema(&dst.url).unwrap(),
        nerve::describe_schema(&src.url).unwrap(),
        "indexes and foreign keys are back"
    );
    // login_attempts (1 500 rows, no foreign key resting on it) loaded without its primary
    // key too: it is back under its own name, and it holds.
    let keys = dst
        .query_strings(
            "SELECT conname::text AS value FROM pg_constraint \
              WHERE conrelid = 'login_attempts'::regclass AND contype = 'p'",
        )
        .expect("pg_constraint");
    assert_eq!(keys, ["login_attempts_pkey"]);
    let duplicate = dst.query_strings(
        "INSERT INTO login_attempts (id, email, success, failure, attempted_at) \
         SELECT id, email, success, failure, attempted_at FROM login_attempts LIMIT 1 \
         RETURNING 'inserted'::text AS value",
    );
    assert!(
        duplicate
            .as_ref()
            .is_err_and(|e| e.to_string().contains("login_attempts_pkey")),
        "{duplicate:?}"
    );
    let analyzed = dst
        .query_strings(
            "SELECT tablename::text AS value FROM pg_stats WHERE schemaname = current_schema() \
              GROUP BY tablename ORDER BY tablename",
        )
        .expect("pg_stats");
    assert_eq!(
        analyzed,
        ["audit_logs", "companies", "login_attempts", "users"],
        "the tables holding rows have statistics"
    );
}

#[test]
fn a_source_at_another_version_and_wrong_urls_are_refused() {
    let dst = target();
    let behind = TestDb::empty(Backend::Sqlite).unwrap();
    nerve::migrate(&behind.url).unwrap();
    nerve::revert(&behind.url, 1).unwrap();
    assert!(matches!(
        copy(&behind.url, &dst.url, &options(), &mut NoProgress),
        Err(Error::Migration { .. })
    ));
    let src = source();
    assert!(matches!(
        copy(&dst.url, &src.url, &options(), &mut NoProgress),
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        copy(
            "sqlite:///no/such/file.db",
            &dst.url,
            &options(),
            &mut NoProgress
        ),
        Err(Error::Connect { .. })
    ));
    // Nothing was done to the target by any of these.
    assert_eq!(
        nerve::schema_status(&dst.url).unwrap().applied.len(),
        0,
        "the target was not touched"
    );
}

#[test]
fn a_dry_run_checks_everything_and_writes_nothing() {
    let (src, dst) = (small_source(), target());
    let report = copy(
        &src.url,
        &dst.url,
        &CopyOptions {
            dry_run: true,
            ..options()
        },
        &mut NoProgress,
    )
    .expect("dry run");
    assert!(report.dry_run && report.verify.is_none());
    assert_eq!(report.copied, 4, "what would be copied");
    assert_eq!(
        report.migrated.len(),
        nerve::schema_status(&src.url).unwrap().applied.len()
    );
    assert!(
        nerve::schema_status(&dst.url).unwrap().applied.is_empty(),
        "not even migrated"
    );
    // A bad row is found by a dry run too.
    break_source(&src, "UPDATE users SET role = 'superuser' WHERE id = 1");
    let err = copy(
        &src.url,
        &dst.url,
        &CopyOptions {
            dry_run: true,
            ..options()
        },
        &mut NoProgress,
    )
    .expect_err("bad row");
    assert!(
        matches!(
            err,
            Error::Validation {
                table: "users",
                field: "role",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn tables_copies_only_those_named_and_a_source_ahead_is_refused() {
    let (src, dst) = (small_source(), target());
    let report = copy(
        &src.url,
        &dst.url,
        &CopyOptions {
            tables: Some(vec!["companies".into()]),
            ..options()
        },
        &mut NoProgress,
    )
    .expect("companies only");
    assert_eq!(report.tables.len(), 1);
    assert_eq!((report.copied, report.verify.unwrap().tables.len()), (2, 1));
    let check = verify(&src.url, &dst.url, None, false).unwrap();
    assert_eq!(
        check.differing(),
        vec!["users", "audit_logs"],
        "parents first"
    );
    assert!(matches!(
        copy(
            &src.url,
            &dst.url,
            &CopyOptions {
                tables: Some(vec!["no_such_table".into()]),
                ..options()
            },
            &mut NoProgress
        ),
        Err(Error::Validation {
            field: "tables",
            ..
        })
    ));
    // A source migrated by a newer binary.
    src.execute_raw("INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231235959')")
        .unwrap();
    assert!(matches!(
        copy(&src.url, &dst.url, &options(), &mut NoProgress),
        Err(Error::SchemaTooNew { .. })
    ));
}

/// What a killed copy left in its target.
#[derive(Debug, PartialEq)]
enum Left {
    /// Nothing: no table, or tables without a row.
    Nothing,
    /// Everything: verify finds the target equal to the source.
    Everything,
    /// Anything else.
    Partial(String),
}

fn left_behind(src: &TestDb, dst: &TestDb) -> Left {
    let tables = dst
        .query_strings(
            "SELECT count(*)::text AS value FROM pg_tables WHERE schemaname = current_schema()",
        )
        .expect("count tables");
    if tables.first().map(String::as_str) == Some("0") {
        return Left::Nothing;
    }
    match verify(&src.url, &dst.url, None, false) {
        Ok(report) if report.equal() => Left::Everything,
        Ok(report) if report.tables.iter().all(|t| t.target_rows == 0) => Left::Nothing,
        Ok(report) => Left::Partial(format!("{:?}", report.differing())),
        Err(e) => Left::Partial(e.to_string()),
    }
}

/// `nerve copy` killed with SIGKILL at ten points spread over its progress lines (reading the
/// source, between tables, after the last table while it verifies and commits): the target
/// holds nothing or everything, never part, and the same command then completes.
#[test]
fn a_copy_killed_at_ten_points_leaves_all_or_nothing_and_the_same_command_completes() {
    use std::io::{BufRead, BufReader};
    let src = small_source();
    add_login_attempts(&src, 8_000);
    src.execute_raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO audit_logs (company_id, user_id, action, details, created_at) \
         SELECT 1, 1, 'bulk ' || i, '{}', '2026-01-02 03:04:05+00:00' FROM n;",
    )
    .unwrap();
    let copy = |dst: &TestDb| {
        Command::new(env!("CARGO_BIN_EXE_nerve"))
            .args(["copy", "--from", &src.url, "--to", &dst.url])
            // login_attempts (8 000 rows) through staging; audit_logs has triggers: not staged.
            .args(["--parallel-from-rows", "5000"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start nerve copy")
    };
    // A reference run: how many progress lines a whole copy prints.
    let reference = target();
    let out = copy(&reference)
        .wait_with_output()
        .expect("the reference copy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = String::from_utf8_lossy(&out.stderr).lines().count();
    assert!(lines >= 10, "{lines} progress lines");
    let mut outcomes = Vec::new();
    for k in 0..10 {
        let at = 1 + k * (lines - 1) / 9;
        let dst = target();
        let mut child = copy(&dst);
        let stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut seen = 0;
        for line in stderr.lines() {
            line.expect("a progress line");
            seen += 1;
            if seen == at {
                child.kill().expect("SIGKILL");
                break;
            }
        }
        let status = child.wait().expect("wait");
        let left = left_behind(&src, &dst);
        assert_ne!(
            std::mem::discriminant(&left),
            std::mem::discriminant(&Left::Partial(String::new())),
            "killed after progress line {at} of {lines} ({status}): {left:?}"
        );
        outcomes.push(format!("line {at}: {left:?}"));
        // The same command again completes (on a target holding everything, it is equal:
        // accepted without --truncate).
        let again = copy(&dst).wait_with_output().expect("copy again");
        assert!(
            again.status.success(),
            "after the kill at line {at}: {}",
            String::from_utf8_lossy(&again.stderr)
        );
        assert_eq!(
            left_behind(&src, &dst),
            Left::Everything,
            "run again after the kill at line {at}"
        );
    }
    println!("nerve copy killed at 10 points of {lines} progress lines: {outcomes:?}");
}
