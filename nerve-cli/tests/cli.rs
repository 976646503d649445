//! The `nerve` binary as an operator runs it: exit codes, output, one-line errors.

mod common;

use nerve::Backend;
use nerve_conformance::TestDb;
use std::path::Path;
use std::process::{Command, Output};

fn nerve(cwd: &Path, args: &[&str], database_url: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nerve"));
    cmd.current_dir(cwd)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_BACKTRACE", "1");
    if let Some(url) = database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().expect("the nerve binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A failed command: exit status 1, nothing on stdout, exactly one line on stderr that starts
/// with `nerve: error:` and contains no panic, backtrace or secret.
fn assert_one_line_error(out: &Output, expect: &str) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.starts_with("nerve: error:"), "{stderr}");
    assert!(
        stderr.contains(expect),
        "{stderr:?} should mention {expect:?}"
    );
    for bad in [
        "panicked",
        "backtrace",
        "RUST_BACKTRACE",
        "secret",
        "sec?ret",
        "sec#ret",
        "%zz",
    ] {
        assert!(!stderr.contains(bad), "{stderr}");
    }
    assert!(out.stdout.is_empty());
}

/// The SQLite migration folder names, sorted.
fn migration_folders() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations_sqlite");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The migration lines `nerve status` prints, without their times.
fn migration_lines(status_stdout: &str) -> Vec<String> {
    status_stdout
        .lines()
        .filter(|l| l.contains(" applied "))
        .map(|l| {
            l.split(" applied ")
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .collect()
}

/// The schema version of a current database: the newest migration folder's date and number.
fn schema_version() -> String {
    migration_folders()
        .last()
        .and_then(|name| name.split('_').next())
        .unwrap_or_default()
        .replace('-', "")
}

#[test]
fn default_url_creates_data_nerve_db_then_status_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = nerve(dir.path(), &["status"], None);
    assert_one_line_error(&out, "no SQLite database at data/nerve.db");
    assert!(!dir.path().join("data").exists(), "status creates nothing");

    let out = nerve(dir.path(), &["migrate"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let names = migration_folders();
    let applied = format!("applied {} migration(s)", names.len());
    assert!(
        text(&out.stdout).contains(&applied),
        "{}",
        text(&out.stdout)
    );
    assert!(dir.path().join("data/nerve.db").is_file());

    let out = nerve(dir.path(), &["migrate"], None);
    assert!(text(&out.stdout).contains("up to date"));

    let out = nerve(dir.path(), &["status"], None);
    let stdout = text(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("driver:          sqlite"), "{stdout}");
    let version = schema_version();
    assert!(
        stdout.contains(&format!("schema version:  {version}")),
        "{stdout}"
    );
    assert!(stdout.contains("pending migrations: none"), "{stdout}");
}

#[test]
fn database_url_flag_beats_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let flag = format!("sqlite://{}/flag/a.db", dir.path().display());
    let env = format!("sqlite://{}/env/b.db", dir.path().display());
    let out = nerve(
        dir.path(),
        &["--database-url", &flag, "migrate"],
        Some(&env),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("flag/a.db").is_file());
    assert!(!dir.path().join("env").exists());
    let out = nerve(dir.path(), &["migrate"], Some(&env));
    assert!(out.status.success());
    assert!(dir.path().join("env/b.db").is_file());
}

#[test]
fn bad_urls_unreachable_servers_and_unwritable_paths_fail_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    for (url, expect) in [
        ("mysql://admin:secret@db.example/nerve", "postgresql://"),
        ("sqlite:relative.db", "is not a SQLite URL"),
        (
            "postgres://admin:secret@127.0.0.1:1/nerve",
            "cannot connect to postgres://admin:***@127.0.0.1:1/nerve",
        ),
        // Passwords libpq reads past '?' and '#', and one it quotes back as malformed.
        (
            "postgres://admin:sec?ret@127.0.0.1:1/nerve",
            "cannot connect to postgres://admin:***@",
        ),
        (
            "postgres://admin:sec#ret@127.0.0.1:1/nerve",
            "cannot connect to postgres://admin:***@",
        ),
        (
            "postgres://admin:secret%zz@127.0.0.1:1/nerve",
            "cannot connect to postgres://admin:***@",
        ),
        (
            "postgres://127.0.0.1:1/nerve?password=secret",
            "password=***",
        ),
        (
            "sqlite:///proc/nerve-cannot-exist/x.db",
            "cannot create the directory /proc/nerve-cannot-exist",
        ),
    ] {
        for cmd in ["migrate", "status"] {
            let out = nerve(dir.path(), &["--database-url", url, cmd], None);
            assert_one_line_error(
                &out,
                if cmd == "status" && url.starts_with("sqlite:///") {
                    "no SQLite database"
                } else {
                    expect
                },
            );
        }
    }
    let out = nerve(dir.path(), &["no-such-command"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn status_shows_the_same_migrations_on_both_backends() {
    let mut lines = Vec::new();
    for backend in Backend::ALL {
        let db = TestDb::empty(backend).unwrap_or_else(|e| panic!("[{backend}] {e}"));
        let dir = tempfile::tempdir().unwrap();
        let out = nerve(dir.path(), &["--database-url", &db.url, "migrate"], None);
        assert!(out.status.success(), "[{backend}] {}", text(&out.stderr));
        let out = nerve(dir.path(), &["--database-url", &db.url, "status"], None);
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains(&format!("driver:          {}", backend.name())),
            "{stdout}"
        );
        assert!(stdout.contains("pending migrations: none"), "{stdout}");
        let found = migration_lines(&stdout);
        assert!(!found.is_empty(), "{stdout}");
        lines.push(found);
    }
    assert_eq!(lines[0], lines[1]);
}

#[test]
fn migrate_revert_rolls_back_the_newest_migration() {
    let dir = tempfile::tempdir().unwrap();
    let names = migration_folders();
    let last = names.last().unwrap().clone();
    assert!(nerve(dir.path(), &["migrate"], None).status.success());
    let out = nerve(dir.path(), &["migrate", "revert"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("reverted 1 migration(s)") && stdout.contains(&last),
        "{stdout}"
    );
    let pending = nerve(dir.path(), &["status"], None);
    let status = text(&pending.stdout);
    assert!(
        status.contains("pending migrations (1)") && status.contains(&last),
        "{status}"
    );
    // Pending migrations are "not as it should be": exit 3, one line saying why.
    assert_eq!(pending.status.code(), Some(3), "{status}");
    assert!(
        text(&pending.stderr).starts_with("nerve: error: 1 pending migration(s)"),
        "{}",
        text(&pending.stderr)
    );
    let out = nerve(dir.path(), &["migrate"], None);
    assert!(text(&out.stdout).contains(&last));
    let all = names.len().to_string();
    let out = nerve(dir.path(), &["migrate", "revert", "--steps", &all], None);
    assert!(text(&out.stdout).contains(&format!("reverted {all} migration(s)")));
    let out = nerve(dir.path(), &["migrate", "revert"], None);
    assert!(text(&out.stdout).contains("no migration to revert"));
    for bad in ["many", "0"] {
        let out = nerve(dir.path(), &["migrate", "revert", "--steps", bad], None);
        assert_eq!(out.status.code(), Some(2), "--steps {bad} is a usage error");
    }
    let missing = format!("sqlite://{}/typo/nerve.db", dir.path().display());
    let out = nerve(
        dir.path(),
        &["--database-url", &missing, "migrate", "revert"],
        None,
    );
    assert_one_line_error(&out, "no SQLite database");
    assert!(
        !dir.path().join("typo").exists(),
        "a mistyped path creates nothing"
    );
}

#[test]
fn schema_json_is_the_same_bytes_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    for backend in Backend::ALL {
        let db = TestDb::empty(backend).unwrap_or_else(|e| panic!("[{backend}] {e}"));
        assert!(
            nerve(dir.path(), &["--database-url", &db.url, "migrate"], None)
                .status
                .success()
        );
        let out = nerve(
            dir.path(),
            &["--database-url", &db.url, "schema", "--json"],
            None,
        );
        assert!(out.status.success(), "[{backend}] {}", text(&out.stderr));
        let text_out = nerve(dir.path(), &["--database-url", &db.url, "schema"], None);
        assert!(text(&text_out.stdout).contains("table users (primary key id)"));
        outputs.push(out.stdout);
    }
    assert!(outputs[0].len() > 1000);
    assert!(
        outputs[0] == outputs[1],
        "nerve schema --json differs between the backends"
    );
}

#[test]
fn demo_fills_a_fresh_database_once_on_both_backends() {
    for backend in Backend::ALL {
        let db = TestDb::empty(backend).expect("a database");
        let dir = tempfile::tempdir().unwrap();
        let out = nerve(dir.path(), &["demo"], Some(&db.url));
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "[{backend}] {}", text(&out.stderr));
        assert!(
            stdout.contains("demo company 'Northwind Analytics'"),
            "{stdout}"
        );
        // The printed password is the owner's, and works once, through the contract.
        let password = stdout
            .split("/ password ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("a password")
            .to_string();
        let store = nerve::connect(&db.url).expect("open");
        let user = store
            .auth()
            .login(&nerve::model::LoginRequest {
                email: "ciso@northwind.example".into(),
                password: password.clone(),
                ip_address: None,
                user_agent: None,
            })
            .expect("the printed password logs in");
        let company = user.company_id;
        let profiles = store
            .osint()
            .search_profiles(
                company,
                &nerve::model::ProfileSearch::default(),
                nerve::model::Page::first(100),
                nerve::model::Deleted::Exclude,
            )
            .unwrap();
        assert!(
            stdout.contains(&format!("{:>4} profiles", profiles.len())),
            "{stdout}"
        );
        assert!(!profiles.is_empty());
        let found = store
            .attack_surface()
            .cached_scans_containing(
                &serde_json::json!({"cves": [{"id": "CVE-2024-3094"}]}),
                nerve::model::Page::first(10),
            )
            .unwrap();
        assert_eq!(found.len(), 1, "[{backend}]");
        // Compliance: an assessment with flagged controls whose score follows its rule.
        let page = nerve::model::Page::first(100);
        let c = store.compliance();
        let assessments = c
            .list_assessments(company, page, nerve::model::Deleted::Exclude)
            .unwrap();
        assert_eq!(assessments.len(), 2, "[{backend}]");
        let mut flagged = 0;
        for a in &assessments {
            let controls = c.list_controls(company, a.id, page).unwrap();
            flagged += controls.iter().filter(|x| x.is_flagged()).count();
            let rule = nerve::model::overall_compliance_score(
                controls.iter().map(|x| (x.status, x.compliance_score)),
            );
            assert_eq!(a.overall_compliance_score, rule, "[{backend}] {a:?}");
        }
        assert_eq!(flagged, 3, "[{backend}]");
        assert!(
            stdout.contains("   3 controls flagged by a scan finding"),
            "{stdout}"
        );
        // Roadmap: tasks in every status, achievements, snapshots.
        let r = store.roadmap();
        let profile = &r.list_profiles(company, page).unwrap()[0];
        let tasks = r.list_tasks(company, profile.id, None, page).unwrap();
        for status in <nerve::model::TaskStatus as nerve::model::ValueSet>::ALL {
            assert!(
                tasks.iter().any(|t| t.status == *status),
                "[{backend}] no task {status}: {tasks:?}"
            );
        }
        assert!(
            profile.current_security_score > 0,
            "[{backend}] {profile:?}"
        );
        assert_eq!(
            r.list_achievements(company, profile.id, page)
                .unwrap()
                .len(),
            2
        );
        let series = r.progress_history(company, profile.id, None, page).unwrap();
        assert_eq!(series.len(), 5, "[{backend}]");
        assert_eq!(
            series.last().map(|s| s.security_score),
            Some(profile.current_security_score)
        );
        // Every table of the schema holds a row, but the two the store writes by itself
        // (slow operations, and the record of audit-log maintenance).
        let empty: Vec<String> = store
            .admin()
            .stats()
            .unwrap()
            .tables
            .into_iter()
            .filter(|t| t.rows == 0)
            .map(|t| t.table)
            .collect();
        assert_eq!(
            empty,
            ["audit_log_maintenance", "slow_queries"],
            "[{backend}] empty after demo"
        );
        // A second run is refused and changes nothing.
        let again = nerve(dir.path(), &["demo"], Some(&db.url));
        assert_one_line_error(&again, "fresh");
        let companies = store
            .companies()
            .list(
                nerve::model::Page::first(10),
                nerve::model::Deleted::Include,
            )
            .unwrap();
        assert_eq!(companies.len(), 1, "[{backend}]");
    }
}

#[test]
fn operations_commands_work_on_both_backends() {
    for backend in Backend::ALL {
        let db = TestDb::empty(backend).expect("a database");
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| nerve(dir.path(), args, Some(&db.url));
        let all = migration_folders();
        // --dry-run lists and changes nothing.
        let dry = run(&["migrate", "--dry-run"]);
        assert!(dry.status.success(), "[{backend}] {}", text(&dry.stderr));
        let stdout = text(&dry.stdout);
        assert!(
            stdout.contains(&format!("would apply {} migration(s)", all.len())),
            "{stdout}"
        );
        assert!(all.iter().all(|m| stdout.contains(m.as_str())), "{stdout}");
        assert!(run(&["migrate"]).status.success());
        let stdout = text(&run(&["migrate", "--dry-run"]).stdout);
        assert!(
            stdout.contains("would apply 0 migration(s)"),
            "[{backend}] {stdout}"
        );
        let stdout = text(&run(&["migrate", "revert", "--steps", "2", "--dry-run"]).stdout);
        assert!(stdout.contains("would revert 2 migration(s)"), "{stdout}");
        assert!(
            stdout.contains(all[all.len() - 1].as_str())
                && stdout.contains(all[all.len() - 2].as_str())
        );
        // Nothing was reverted.
        let health = run(&["health"]);
        assert!(
            health.status.success(),
            "[{backend}] {}{}",
            text(&health.stdout),
            text(&health.stderr)
        );
        assert!(
            text(&health.stdout).contains("healthy"),
            "{}",
            text(&health.stdout)
        );
        // Stats and optimize on the demo's data.
        assert!(run(&["demo"]).status.success());
        let stats = run(&["stats", "--json"]);
        assert!(
            stats.status.success(),
            "[{backend}] {}",
            text(&stats.stderr)
        );
        let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).expect("JSON");
        let companies = stats["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "companies")
            .map(|t| t["rows"].clone());
        assert_eq!(companies, Some(serde_json::json!(1)), "[{backend}] {stats}");
        assert!(stats["total_rows"].as_u64().unwrap() > 50, "{stats}");
        let optimize = run(&["optimize", "--vacuum"]);
        assert!(
            optimize.status.success(),
            "[{backend}] {}",
            text(&optimize.stderr)
        );
        assert!(
            text(&optimize.stdout).contains("VACUUM"),
            "{}",
            text(&optimize.stdout)
        );
        let slow = run(&["slow-queries", "--json"]);
        assert!(slow.status.success(), "[{backend}] {}", text(&slow.stderr));
        assert!(serde_json::from_slice::<serde_json::Value>(&slow.stdout)
            .unwrap()
            .is_array());
        // A missing index makes the database unhealthy: exit 3, named in the report.
        db.execute_raw("DROP INDEX slow_queries_recorded_idx")
            .unwrap();
        let health = run(&["health"]);
        assert_eq!(health.status.code(), Some(3), "[{backend}]");
        assert!(
            text(&health.stdout)
                .contains("index slow_queries_recorded_idx on slow_queries is missing"),
            "{}",
            text(&health.stdout)
        );
        let stderr = text(&health.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("nerve: error:") && stderr.contains("unhealthy"),
            "{stderr}"
        );
    }
}

#[test]
fn data_lifecycle_commands_work_on_both_backends() {
    for backend in Backend::ALL {
        let db = TestDb::empty(backend).expect("a database");
        let dir = tempfile::tempdir().unwrap();
        let run = |args: &[&str]| nerve(dir.path(), args, Some(&db.url));
        let ok = |args: &[&str]| {
            let out = run(args);
            assert!(
                out.status.success(),
                "[{backend}] {args:?}: {}",
                text(&out.stderr)
            );
            text(&out.stdout)
        };
        ok(&["demo"]);
        let dry = ok(&["purge", "--table", "bait_accesses", "--older-than", "0d"]);
        assert!(
            dry.contains("would delete 3 row(s) of bait_accesses"),
            "[{backend}] {dry}"
        );
        let done = ok(&[
            "purge",
            "--table",
            "bait_accesses",
            "--older-than",
            "0d",
            "--apply",
        ]);
        assert!(done.contains("deleted 3 row(s)"), "[{backend}] {done}");
        let again = ok(&[
            "purge",
            "--table",
            "bait_accesses",
            "--older-than",
            "0d",
            "--apply",
        ]);
        assert!(again.contains("deleted 0 row(s)"), "[{backend}] {again}");
        let refused = run(&["purge", "--table", "audit_logs", "--older-than", "30d"]);
        assert_eq!(refused.status.code(), Some(1), "[{backend}] audit minimum");
        ok(&["purge", "--deleted", "--older-than", "0d"]);
        let export: serde_json::Value =
            serde_json::from_str(&ok(&["export-subject", "cfo@northwind.example"])).expect("JSON");
        assert!(
            export["tables"]["profiles"].is_array(),
            "[{backend}] {export}"
        );
        let unconfirmed = run(&["erase-subject", "cfo@northwind.example"]);
        assert_eq!(unconfirmed.status.code(), Some(1));
        assert!(text(&unconfirmed.stderr).contains("--confirm"));
        ok(&["erase-subject", "cfo@northwind.example", "--confirm"]);
        let export: serde_json::Value =
            serde_json::from_str(&ok(&["export-subject", "cfo@northwind.example"])).expect("JSON");
        assert_eq!(
            export["tables"],
            serde_json::json!({}),
            "[{backend}] {export}"
        );
        assert_eq!(run(&["delete-company", "1"]).status.code(), Some(1));
        let deleted = ok(&["delete-company", "1", "--confirm"]);
        assert!(deleted.contains("companies"), "[{backend}] {deleted}");
        let stats: serde_json::Value = serde_json::from_str(&ok(&["stats", "--json"])).unwrap();
        let companies = stats["tables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["table"] == "companies")
            .map(|t| t["rows"].clone());
        assert_eq!(companies, Some(serde_json::json!(0)), "[{backend}]");
    }
}

/// The total of a stats report's rows.
fn total_rows(run: &dyn Fn(&[&str]) -> Output) -> u64 {
    let stats = run(&["stats", "--json"]);
    assert!(stats.status.success(), "{}", text(&stats.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).expect("JSON");
    stats["total_rows"].as_u64().expect("a total")
}

#[test]
fn backup_backups_and_restore_work_on_both_backends() {
    for backend in Backend::ALL {
        let db = TestDb::empty(backend).expect("a database");
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("bk");
        let bk = backups.to_str().unwrap();
        let run = |args: &[&str]| nerve(dir.path(), args, Some(&db.url));
        assert!(run(&["migrate"]).status.success());
        assert!(run(&["demo"]).status.success());
        let rows = total_rows(&run);

        let out = run(&["backup", "--dir", bk]);
        assert!(out.status.success(), "[{backend}] {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let path = stdout
            .lines()
            .next()
            .and_then(|l| l.split(" backed up to ").nth(1))
            .unwrap_or_else(|| panic!("[{backend}] {stdout}"))
            .to_string();
        let ext = if backend == Backend::Sqlite {
            ".db"
        } else {
            ".dump"
        };
        assert!(
            path.contains("nerve_backup_") && path.ends_with(ext),
            "{path}"
        );
        assert!(stdout.contains(&format!("{rows} rows")), "{stdout}");

        let listed = run(&["backups", "--dir", bk, "--json"]);
        let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
        assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
        assert_eq!(listed[0]["path"], path.as_str());
        assert_eq!(
            listed[0]["manifest"]["row_counts"]["companies"],
            serde_json::json!(1)
        );
        let listed = text(&run(&["backups", "--dir", bk]).stdout);
        assert!(
            listed.contains(&path) && listed.contains(backend.name()),
            "{listed}"
        );

        // Streamed: the archive on stdout, the manifest on stderr.
        let streamed = run(&["backup", "--out", "-"]);
        assert!(
            streamed.status.success(),
            "[{backend}] {}",
            text(&streamed.stderr)
        );
        let magic: &[u8] = if backend == Backend::Sqlite {
            b"SQLite format 3"
        } else {
            b"PGDMP"
        };
        assert!(streamed.stdout.starts_with(magic), "[{backend}]");
        let manifest: serde_json::Value =
            serde_json::from_slice(&streamed.stderr).expect("the manifest on stderr");
        assert_eq!(
            manifest["size_bytes"],
            serde_json::json!(streamed.stdout.len())
        );

        // A change after the backup, then: refused without --confirm, refused when truncated.
        db.execute_raw("UPDATE companies SET name = 'changed after the backup'")
            .unwrap();
        let refused = run(&["restore", &path, "--dir", bk]);
        assert_one_line_error(&refused, "--confirm");
        let truncated = dir.path().join("truncated.bak");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
        let refused = run(&[
            "restore",
            truncated.to_str().unwrap(),
            "--confirm",
            "--dir",
            bk,
        ]);
        assert!(refused.status.code() == Some(1), "[{backend}]");
        assert!(text(&refused.stderr).starts_with("nerve: error: backup "));
        let names = db
            .query_strings("SELECT name AS value FROM companies")
            .unwrap();
        assert_eq!(names, vec!["changed after the backup".to_string()]);

        let restored = run(&["restore", &path, "--confirm", "--dir", bk]);
        assert!(
            restored.status.success(),
            "[{backend}] {}",
            text(&restored.stderr)
        );
        let stdout = text(&restored.stdout);
        assert!(stdout.contains("checksum verified"), "{stdout}");
        let safety = stdout
            .lines()
            .find_map(|l| l.strip_prefix("the replaced database was kept as "))
            .unwrap_or_else(|| panic!("[{backend}] {stdout}"))
            .to_string();
        nerve_conformance::drop_safety_copy(backend, &safety);
        assert_eq!(total_rows(&run), rows);
        let names = db
            .query_strings("SELECT name AS value FROM companies")
            .unwrap();
        assert_ne!(names, vec!["changed after the backup".to_string()]);
    }
}

#[test]
fn baseline_adopts_plans_and_refuses_on_both_backends() {
    for backend in Backend::ALL {
        let dir = tempfile::tempdir().unwrap();
        let as_is = |_: &str, sql: &str| sql.to_string();
        // Built by running our SQL by hand: adopted at once.
        let db = TestDb::built_by_hand(backend, as_is).expect("a database");
        let run = |db: &TestDb, args: &[&str]| nerve(dir.path(), args, Some(&db.url));
        let out = run(&db, &["baseline"]);
        assert!(out.status.success(), "[{backend}] {}", text(&out.stderr));
        let all = migration_folders().len();
        assert!(
            text(&out.stdout).contains(&format!("the schema matches; recorded {all} migration(s)")),
            "{}",
            text(&out.stdout)
        );
        assert!(run(&db, &["health"]).status.success());
        assert_one_line_error(&run(&db, &["baseline"]), "already records");

        // An index missing: a plan, then --apply.
        let db = TestDb::built_by_hand(backend, as_is).expect("a database");
        db.execute_raw("DROP INDEX slow_queries_recorded_idx")
            .unwrap();
        let out = run(&db, &["baseline"]);
        assert!(out.status.success(), "[{backend}] {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(stdout.contains("nerve baseline --apply"), "{stdout}");
        assert!(
            stdout.contains("CREATE INDEX slow_queries_recorded_idx"),
            "{stdout}"
        );
        assert!(nerve::schema_status(&db.url).unwrap().applied.is_empty());
        let out = run(&db, &["baseline", "--apply"]);
        assert!(out.status.success(), "[{backend}] {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("applied 1 change(s)"));
        assert!(run(&db, &["health"]).status.success());

        // A column of another type: listed, exit 1, nothing changed.
        let db = TestDb::built_by_hand(backend, |_, sql| {
            sql.replace(" CHECK (duration_us >= 0)", "")
                .replace("duration_us  INTEGER", "duration_us  TEXT")
                .replace("duration_us  BIGINT", "duration_us  TEXT")
        })
        .expect("a database");
        let out = run(&db, &["baseline", "--apply"]);
        assert_eq!(out.status.code(), Some(3), "[{backend}]");
        assert!(
            text(&out.stdout).contains("slow_queries.duration_us is text"),
            "{}",
            text(&out.stdout)
        );
        let stderr = text(&out.stderr);
        assert!(stderr.starts_with("nerve: error:") && stderr.contains("nothing was changed"));
        let json = run(&db, &["baseline", "--json"]);
        let json: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
        assert_eq!(json["outcome"], "Refused");
        assert!(nerve::schema_status(&db.url).unwrap().applied.is_empty());
    }
}

#[test]
fn cli_conventions_work_as_with_sqlx_and_diesel() {
    let dir = tempfile::tempdir().unwrap();
    // DATABASE_URL from a .env file in the working directory.
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=sqlite://from-dotenv.db\n",
    )
    .unwrap();
    let out = nerve(dir.path(), &["migrate"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("from-dotenv.db").is_file());
    assert!(!dir.path().join("data").exists());
    // ... and from a parent directory; a variable already set wins over the file.
    let child = dir.path().join("child");
    std::fs::create_dir(&child).unwrap();
    let status = nerve(&child, &["status"], None);
    assert_eq!(
        status.status.code(),
        Some(1),
        "the URL is relative to the working directory"
    );
    let explicit = format!("sqlite://{}/explicit.db", dir.path().display());
    let out = nerve(&child, &["migrate"], Some(&explicit));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(dir.path().join("explicit.db").is_file());
    // A malformed .env is one line and exit 1, before anything runs.
    std::fs::write(child.join(".env"), "DATABASE_URL='unterminated\n").unwrap();
    assert_one_line_error(&nerve(&child, &["status"], None), ".env");

    // Logging: -v shows the library's events on stderr, RUST_LOG too; -q silences RUST_LOG;
    // by default nothing is logged.
    let fresh = |name: &str| format!("sqlite://{}/{name}.db", dir.path().display());
    let logged = |args: &[&str], rust_log: Option<&str>, db: &str| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_nerve"));
        cmd.current_dir(dir.path())
            .args(args)
            .env("DATABASE_URL", fresh(db))
            .env_remove("RUST_LOG");
        if let Some(spec) = rust_log {
            cmd.env("RUST_LOG", spec);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stderr)
    };
    let applied = migration_folders().len();
    let count = |stderr: &str| stderr.matches("migration applied").count();
    assert_eq!(count(&logged(&["-v", "migrate"], None, "v")), applied);
    assert_eq!(
        count(&logged(&["migrate"], Some("nerve_diesel=info"), "log")),
        applied
    );
    assert_eq!(logged(&["-q", "migrate"], Some("info"), "quiet"), "");
    assert_eq!(logged(&["migrate"], None, "silent"), "");
    let bad = Command::new(env!("CARGO_BIN_EXE_nerve"))
        .current_dir(dir.path())
        .args(["status"])
        .env("RUST_LOG", "nerve=[")
        .output()
        .unwrap();
    assert_one_line_error(&bad, "RUST_LOG");

    // --json: the output as JSON, and an error as {"error": {"kind", "message"}} on stdout
    // (still one line on stderr, still exit 1).
    let url = fresh("json");
    let json = |args: &[&str]| {
        let out = nerve(dir.path(), args, Some(&url));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out.stdout)));
        (out.status.code(), value)
    };
    let (code, dry) = json(&["migrate", "--dry-run", "--json"]);
    assert_eq!(code, Some(0));
    assert_eq!(dry["would_apply"].as_array().map(Vec::len), Some(applied));
    let (_, migrated) = json(&["migrate", "--json"]);
    assert_eq!(migrated["applied"].as_array().map(Vec::len), Some(applied));
    let (code, status) = json(&["status", "--json"]);
    assert_eq!(code, Some(0), "{status}");
    assert_eq!(status["pending"], serde_json::json!([]));
    let (_, reverted) = json(&["migrate", "revert", "--json"]);
    assert_eq!(reverted["reverted"].as_array().map(Vec::len), Some(1));
    let (code, status) = json(&["status", "--json"]);
    assert_eq!(code, Some(3), "a pending migration: {status}");
    assert_eq!(status["pending"], reverted["reverted"]);
    let missing = format!("sqlite://{}/no/such/dir/x.db", dir.path().display());
    let out = nerve(dir.path(), &["status", "--json"], Some(&missing));
    let error: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(error["error"]["kind"], "connect", "{error}");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("no/such/dir"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr).lines().count(), 1);

    // --version names the release, the schema version and the compiled backends.
    let out = nerve(dir.path(), &["--version"], None);
    let version = text(&out.stdout);
    let schema = schema_version();
    assert!(
        version.starts_with(&format!("nerve {}", env!("CARGO_PKG_VERSION")))
            && version.contains(&format!("schema {schema}"))
            && version.contains("backends: sqlite, postgres"),
        "{version}"
    );

    // Usage errors exit 2; --help documents every exit status.
    assert_eq!(
        nerve(dir.path(), &["no-such-command"], None).status.code(),
        Some(2)
    );
    let help = text(&nerve(dir.path(), &["--help"], None).stdout);
    assert!(
        help.contains("Exit status: 0 success; 1 failure; 2") && help.contains("3 the database"),
        "{help}"
    );

    // Completions for each shell, and a man page.
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = nerve(dir.path(), &["completions", shell], None);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(
            script.contains("nerve") && script.contains("health"),
            "{shell}: {script}"
        );
    }
    assert_eq!(
        nerve(dir.path(), &["completions", "cmd.exe"], None)
            .status
            .code(),
        Some(2)
    );
    let man = nerve(dir.path(), &["man"], None);
    let page = text(&man.stdout);
    assert!(man.status.success() && page.contains(".TH nerve"), "{page}");
    assert!(
        page.contains("migrate") && page.contains("Exit status"),
        "{page}"
    );
}

#[test]
fn every_command_answers_json_and_so_do_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    // Every command that prints data takes --json (completions and man print a script/page).
    let commands = common::subcommands();
    assert!(commands.len() >= 20, "{commands:?}");
    for command in &commands {
        let help = text(&nerve(dir.path(), &[command, "--help"], None).stdout);
        let data = !matches!(command.as_str(), "completions" | "man");
        assert_eq!(
            help.contains("--json"),
            data,
            "nerve {command} --help:\n{help}"
        );
    }

    let url = format!("sqlite://{}/json.db", dir.path().display());
    let json = |args: &[&str]| {
        let out = nerve(dir.path(), args, Some(&url));
        let value: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&out.stdout)));
        (out.status.code(), value)
    };
    assert_eq!(json(&["demo", "--json"]).0, Some(0));

    // health and stats show SQLite's own numbers, as text and as JSON.
    let health = text(&nerve(dir.path(), &["health"], Some(&url)).stdout);
    assert!(
        health.contains("sqlite: journal wal, ") && health.contains("warnings: none"),
        "{health}"
    );
    let (code, health) = json(&["health", "--json"]);
    assert_eq!(code, Some(0), "{health}");
    assert_eq!(health["metrics"]["backend"], "sqlite", "{health}");
    assert!(
        health["metrics"]["page_count"].as_u64() > Some(0),
        "{health}"
    );
    assert_eq!(health["warnings"], serde_json::json!([]));
    let (_, stats) = json(&["stats", "--json"]);
    assert_eq!(stats["metrics"]["journal_mode"], "wal", "{stats}");

    let (code, optimized) = json(&["optimize", "--vacuum", "--json"]);
    assert_eq!(code, Some(0));
    assert!(
        optimized["ran"].as_array().is_some_and(|r| r.len() >= 2),
        "{optimized}"
    );

    let (code, purge) = json(&[
        "purge",
        "--table",
        "bait_accesses",
        "--older-than",
        "2100-01-01",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{purge}");
    assert_eq!(purge["applied"], false);
    assert_eq!(purge["tables"][0]["table"], "bait_accesses");
    let would = purge["total"].as_u64().unwrap();
    assert!(would >= 1, "the demo records BAIT accesses: {purge}");
    let (_, purged) = json(&[
        "purge",
        "--deleted",
        "--older-than",
        "1d",
        "--apply",
        "--json",
    ]);
    assert_eq!(purged["applied"], true);
    assert!(purged["tables"].is_array(), "{purged}");

    let (code, export) = json(&["export-subject", "nobody@nowhere.example", "--json"]);
    assert_eq!(code, Some(0), "{export}");
    assert!(export.is_object());

    // A confirmation missing: exit 1 and a JSON error, nothing done.
    for args in [
        &["erase-subject", "nobody@nowhere.example", "--json"][..],
        &["delete-company", "1", "--json"][..],
    ] {
        let (code, error) = json(args);
        assert_eq!(code, Some(1), "{args:?}");
        assert_eq!(error["error"]["kind"], "failed", "{error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("--confirm"),
            "{error}"
        );
    }
    let (code, erased) = json(&[
        "erase-subject",
        "nobody@nowhere.example",
        "--confirm",
        "--json",
    ]);
    assert_eq!(code, Some(0), "{erased}");
    assert!(erased["erased"].is_array());

    let backups = dir.path().join("bk");
    let bk = backups.to_str().unwrap();
    let (_, backup) = json(&["backup", "--dir", bk, "--json"]);
    let path = backup["path"].as_str().unwrap().to_string();
    let (code, deleted) = json(&["delete-company", "1", "--confirm", "--json"]);
    assert_eq!(code, Some(0), "{deleted}");
    assert_eq!(deleted["company"], 1);
    assert!(
        deleted["deleted"].as_array().is_some_and(|t| t.len() > 10),
        "{deleted}"
    );
    let (code, restored) = json(&["restore", &path, "--confirm", "--dir", bk, "--json"]);
    assert_eq!(code, Some(0), "{restored}");
    assert_eq!(restored["checksum_verified"], true);
    assert_eq!(restored["row_counts"]["companies"], 1, "{restored}");
    // A library error, and a usage error (exit 2), as JSON.
    let (code, error) = json(&["delete-company", "999", "--confirm", "--json"]);
    assert_eq!(
        (code, error["error"]["kind"].as_str()),
        (Some(1), Some("not_found")),
        "{error}"
    );
    let (code, error) = json(&["purge", "--older-than", "1d", "--json"]);
    assert_eq!(code, Some(2), "{error}");
    assert_eq!(error["error"]["kind"], "usage");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--table"),
        "{error}"
    );
}

/// `nerve migrate` on PostgreSQL killed with SIGKILL at ten points spread over its DDL
/// commands, from the first to the last: each run's database has a DDL gate
/// (`nerve_conformance::kill::DdlGate`) that stops command k until the test lets it go, so the
/// kill lands at exactly that command however fast the server is. The database has every
/// migration or none, and `nerve migrate` then completes.
#[test]
fn a_migrate_killed_at_ten_points_applies_all_or_nothing() {
    use nerve_conformance::kill::{DdlGate, Held};
    let migrations = migration_folders().len();
    let mut outcomes = Vec::new();
    let status = |db: &TestDb| -> serde_json::Value {
        let out = nerve(Path::new("."), &["status", "--json"], Some(&db.url));
        serde_json::from_slice(&out.stdout).expect("status as JSON")
    };
    let gated = || {
        let db = TestDb::empty(Backend::Postgres).expect("a database");
        DdlGate::install(&db.url).expect("the DDL gate");
        db
    };
    // How many DDL commands a whole migrate runs.
    let reference = gated();
    let out = nerve(Path::new("."), &["migrate"], Some(&reference.url));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let commands = DdlGate::commands_run(&reference.url).expect("count the DDL commands");
    assert!(
        commands >= 10,
        "a migrate ran {commands} DDL commands: too few to spread ten points over"
    );
    // Point k (1 to 10): DDL command 1, ..., the last one.
    let command_of = |k: usize| 1 + (k as i64 - 1) * (commands - 1) / 9;
    nerve_conformance::kill::at_points(
        10,
        |k| {
            let db = gated();
            let held = DdlGate::hold(&db.url, command_of(k)).expect("hold the gate");
            let child = Command::new(env!("CARGO_BIN_EXE_nerve"))
                .args(["--database-url", &db.url, "migrate"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start nerve migrate");
            let work = (
                db,
                std::cell::RefCell::new(Some(held)),
                std::cell::Cell::new(None),
            );
            let watch = |(_, held, waiting): &(
                TestDb,
                std::cell::RefCell<Option<Held>>,
                std::cell::Cell<Option<i64>>,
            ),
                         _: usize| {
                let pid = held
                    .borrow_mut()
                    .as_mut()
                    .and_then(|held| held.reached().expect("watch the gate"));
                waiting.set(pid);
                pid.is_some()
            };
            (child, work, watch)
        },
        |run, (db, held, waiting)| {
            let k = run.point;
            let command = command_of(k);
            // The killed command's server process runs on, rolls back once it finds its
            // client gone, and is waited for.
            if let Some(held) = held.into_inner() {
                held.release(waiting.get()).expect("release the gate");
            }
            let applied = status(&db)["applied"].as_array().map_or(0, Vec::len);
            assert!(
                applied == 0 || applied == migrations,
                "killed at DDL command {command} of {commands}: {applied} of {migrations} migrations applied"
            );
            if applied == 0 {
                let tables = db
                    .query_strings(
                        "SELECT count(*)::text AS value FROM pg_tables \
                         WHERE schemaname = current_schema() AND tablename <> '__diesel_schema_migrations'",
                    )
                    .expect("count tables");
                assert_eq!(
                    tables,
                    ["0"],
                    "killed at DDL command {command}: tables without their migration"
                );
            }
            let again = nerve(Path::new("."), &["migrate"], Some(&db.url));
            assert!(again.status.success(), "{}", text(&again.stderr));
            assert_eq!(
                status(&db)["applied"].as_array().map(Vec::len),
                Some(migrations)
            );
            if run.killed {
                outcomes.push(format!("DDL command {command}: {applied} applied"));
            }
        },
    );
    println!(
        "nerve migrate (PostgreSQL, {commands} DDL commands) killed at 10 points: {outcomes:?}"
    );
}

/// `nerve migrate` on SQLite killed with SIGKILL at ten points of its one transaction, found
/// by watching its WAL grow (SQLite spills the pages of the new indexes there before the
/// commit): a database at migration 9 holding 300 000 monitored addresses, which migration 10
/// indexes, has afterwards migrations 1-9 or all of them, never some, passes
/// `integrity_check` with its rows all there, and `nerve migrate` then completes.
#[test]
fn a_sqlite_migrate_killed_at_ten_points_applies_all_or_nothing() {
    let folders = migration_folders();
    let migrations = folders.len();
    // The database stands just before the migration that indexes monitored addresses.
    let before = folders
        .iter()
        .position(|f| f.ends_with("_monitored_email_key"))
        .expect("the monitored_email_key migration");
    let revert = (migrations - before).to_string();
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.db");
    let url_of = |p: &Path| format!("sqlite://{}", p.display());
    let template_url = url_of(&template);
    let setup = |args: &[&str]| {
        let out = nerve(dir.path(), args, Some(&template_url));
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    };
    setup(&["migrate"]);
    setup(&["demo"]);
    setup(&["migrate", "revert", "--steps", &revert]);
    let rows = 300_000;
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
         INSERT INTO monitored_emails (company_id, created_by_user_id, email_address, \
             monitor_scope, created_at, updated_at) \
         SELECT (SELECT min(id) FROM companies), (SELECT min(id) FROM users), \
                'watched' || i || '@example.com', 'company', \
                '2026-01-01 00:00:00', '2026-01-01 00:00:00' FROM n"
    );
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut c = diesel::SqliteConnection::establish(template.to_str().unwrap())
            .expect("open the template");
        c.batch_execute(&sql).expect("fill monitored_emails");
    }
    let strings = |path: &Path, sql: &str| -> Vec<String> {
        use diesel::{Connection, QueryableByName, RunQueryDsl};
        #[derive(QueryableByName)]
        struct One {
            #[diesel(sql_type = diesel::sql_types::Text)]
            value: String,
        }
        let mut c = diesel::SqliteConnection::establish(path.to_str().unwrap()).expect("open");
        diesel::sql_query(sql)
            .load::<One>(&mut c)
            .expect("query")
            .into_iter()
            .map(|o| o.value)
            .collect()
    };
    let count = "SELECT CAST(count(*) AS TEXT) AS value FROM monitored_emails";
    let held = strings(&template, count);
    let applied = |url: &str| -> usize {
        let out = nerve(Path::new("."), &["status", "--json"], Some(url));
        let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status");
        status["applied"].as_array().map_or(0, Vec::len)
    };
    let fresh = |n: usize| {
        let path = dir.path().join(format!("run{n}.db"));
        std::fs::copy(&template, &path).expect("copy the template");
        path
    };
    let spawn = |path: &Path| {
        Command::new(env!("CARGO_BIN_EXE_nerve"))
            .args(["--database-url", &url_of(path), "migrate"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start nerve migrate")
    };
    let wal_size =
        |path: &Path| std::fs::metadata(format!("{}-wal", path.display())).map_or(0, |m| m.len());
    // The largest the WAL grows in a whole run (SQLite removes it at the last close).
    let reference = fresh(0);
    let mut child = spawn(&reference);
    let mut full = 0;
    while child.try_wait().expect("poll").is_none() {
        full = full.max(wal_size(&reference));
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(applied(&url_of(&reference)), migrations);
    assert!(
        full > 4 << 20,
        "the WAL grew to {full} bytes only: no stages to see"
    );
    let mut runs = 0;
    let mut outcomes = Vec::new();
    nerve_conformance::kill::at_points(
        10,
        |_| {
            runs += 1;
            let path = fresh(runs);
            let watched = path.clone();
            (
                spawn(&path),
                path,
                move |_: &std::path::PathBuf, k: usize| {
                    let now = wal_size(&watched);
                    now > 0 && now >= full * (k as u64 - 1) / 10
                },
            )
        },
        |run, path| {
            let k = run.point;
            let url = url_of(&path);
            let wal = wal_size(&path);
            let now = applied(&url);
            assert!(
                now == before || now == migrations,
                "killed at point {k}: {now} of {migrations} migrations applied"
            );
            assert_eq!(
                strings(
                    &path,
                    "SELECT integrity_check AS value FROM pragma_integrity_check"
                ),
                ["ok"],
                "point {k}"
            );
            assert_eq!(strings(&path, count), held, "point {k}");
            let again = nerve(Path::new("."), &["migrate"], Some(&url));
            assert!(again.status.success(), "{}", text(&again.stderr));
            assert_eq!(applied(&url), migrations);
            if run.killed {
                outcomes.push(format!("WAL {} KiB: {now} applied", wal >> 10));
            }
            std::fs::remove_file(&path).ok();
        },
    );
    println!(
        "nerve migrate (SQLite) killed at 10 points of a {} KiB WAL: {outcomes:?}",
        full >> 10
    );
}

/// `nerve restore` on PostgreSQL killed with SIGKILL inside its swap — once its renaming
/// transaction is seen on the server, while sessions it must end are open on the live
/// database — three times. Once the server has finished what the killed restore sent, no
/// database it touched is closed to connections (before the swap became one transaction, the
/// safety copy was left closed and a kill just before the renames left the live database
/// closed), the live database holds exactly what it held before or the backup's rows, and
/// the same command then restores.
#[test]
fn a_restore_killed_in_its_swap_leaves_the_live_database_open_before_or_after() {
    use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct One {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let db = TestDb::empty(Backend::Postgres).expect("a database");
    let name = nerve::url::database_name(&db.url).expect("the test database's name");
    // Test databases are padded with 'x' to PostgreSQL's longest name; the names a restore
    // derives from this one keep its start, so they are found by its unique part.
    let stem = name.trim_end_matches('x');
    let dir = tempfile::tempdir().unwrap();
    let bk = dir.path().join("bk").to_str().unwrap().to_string();
    let run = |args: &[&str]| nerve(dir.path(), args, Some(&db.url));
    assert!(run(&["migrate"]).status.success());
    let add = |n: usize| {
        let values: Vec<String> = (0..n)
            .map(|i| format!("('company {i}', now(), now(), true)"))
            .collect();
        db.execute_raw(&format!(
            "INSERT INTO companies (name, created_at, updated_at, is_active) VALUES {}",
            values.join(", ")
        ))
        .expect("insert companies");
    };
    let companies = || -> u64 {
        db.query_strings("SELECT count(*)::text AS value FROM companies")
            .expect("the live database accepts connections and answers")[0]
            .parse()
            .unwrap()
    };
    add(2_000);
    let out = run(&["backup", "--dir", &bk, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let path = serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON")["path"]
        .as_str()
        .expect("a path")
        .to_string();
    let admin_url = nerve_conformance::server::admin_url().expect("the test server");
    // The swap's transaction, as the server shows it: running, or run (the session idle).
    let renaming = format!(
        "SELECT state AS value FROM pg_stat_activity \
         WHERE query LIKE '%BEGIN; ALTER DATABASE \"{name}\" RENAME TO%' \
           AND query LIKE 'SELECT pg_terminate_backend%'"
    );
    let mut outcomes = Vec::new();
    nerve_conformance::kill::at_points(
        3,
        |_| {
            add(5);
            let before = companies();
            // Sessions the swap must end: idle connections, as a service's pool holds.
            let held: Vec<PgConnection> = (0..4)
                .map(|_| PgConnection::establish(&db.url).expect("a session on the live database"))
                .collect();
            let child = Command::new(env!("CARGO_BIN_EXE_nerve"))
                .current_dir(dir.path())
                .args(["restore", &path, "--confirm", "--dir", &bk])
                .env("DATABASE_URL", &db.url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start nerve restore");
            let mut watcher = PgConnection::establish(admin_url).expect("an admin connection");
            // Point: the swap's message running on the server.
            let running = format!("{renaming} AND state = 'active'");
            let watch = move |seen: &(u64, Vec<PgConnection>, std::cell::RefCell<String>),
                              _: usize| {
                let states = diesel::sql_query(&running)
                    .load::<One>(&mut watcher)
                    .expect("watch pg_stat_activity");
                match states.first() {
                    Some(state) => {
                        seen.2.replace(state.value.clone());
                        true
                    }
                    None => false,
                }
            };
            (child, (before, held, std::cell::RefCell::default()), watch)
        },
        |run_at, (before, held, state)| {
            drop(held);
            // The server finishes (or abandons) the statement the killed restore sent: wait
            // until its session has gone before looking.
            let mut admin = PgConnection::establish(admin_url).expect("an admin connection");
            let since = std::time::Instant::now();
            while !diesel::sql_query(&renaming)
                .load::<One>(&mut admin)
                .expect("watch pg_stat_activity")
                .is_empty()
            {
                assert!(
                    since.elapsed() < std::time::Duration::from_secs(60),
                    "the killed restore's session is still there after 60 s"
                );
            }
            // Nothing the restore touched is left closed to connections: not the live
            // database, not the safety copy.
            let closed: Vec<String> = diesel::sql_query(format!(
                "SELECT datname::text AS value FROM pg_database \
                 WHERE datname LIKE '{stem}%' AND NOT datallowconn"
            ))
            .load::<One>(&mut admin)
            .expect("read pg_database")
            .into_iter()
            .map(|o| o.value)
            .collect();
            assert!(closed.is_empty(), "closed to connections: {closed:?}");
            let now = companies();
            assert!(
                now == before || now == 2_000,
                "killed in the swap ({run_at:?}): the live database holds {now} companies, \
                 neither {before} (before) nor 2000 (the backup)"
            );
            let again = run(&["restore", &path, "--confirm", "--dir", &bk]);
            assert!(again.status.success(), "{}", text(&again.stderr));
            assert_eq!(companies(), 2_000);
            if run_at.killed {
                let outcome = if now == before { "before" } else { "after" };
                outcomes.push(format!("renaming {}: {outcome}", state.borrow()));
            }
        },
    );
    // The safety copies the restores made.
    for value in db
        .query_strings(&format!(
            "SELECT datname::text AS value FROM pg_database \
              WHERE datname LIKE '{stem}%' AND datname <> '{name}'"
        ))
        .unwrap_or_default()
    {
        nerve_conformance::drop_safety_copy(Backend::Postgres, &value);
    }
    println!("nerve restore (PostgreSQL) killed in its swap 3 times: {outcomes:?}");
}

/// `nerve restore` killed with SIGKILL at ten points on each backend, found by watching the
/// work — SQLite: the safety copy and the live database's WAL growing (0%, 20%, ... of a whole
/// restore's sizes); PostgreSQL: the 1st to 10th statement seen active on the server for this
/// database (pg_restore's into the fresh database, the swap's) — leaves the live database
/// usable and exactly as before (the rows written after the backup) or as after (the backup's
/// rows), and the same command then restores.
#[test]
fn a_restore_killed_at_ten_points_leaves_the_live_database_before_or_after() {
    let mut figures = Vec::new();
    for backend in Backend::ALL {
        let db = TestDb::empty(backend).expect("a database");
        let dir = tempfile::tempdir().unwrap();
        let bk = dir.path().join("bk");
        let bk = bk.to_str().unwrap().to_string();
        let run = |args: &[&str]| nerve(dir.path(), args, Some(&db.url));
        assert!(run(&["migrate"]).status.success());
        // Enough rows that the restore takes a while: the backup holds them.
        let rows = |n: u32| {
            let url = db.url.clone();
            move || {
                let store = nerve::connect_with(
                    &url,
                    &nerve::StoreOptions {
                        password: nerve::PasswordParams::INSECURE_FOR_TESTS,
                        ..Default::default()
                    },
                )
                .expect("open");
                let rows: Vec<serde_json::Value> = (0..n)
                    .map(|i| {
                        serde_json::json!({
                            "name": format!("company {i}"),
                            "created_at": "2026-01-01T00:00:00Z",
                            "updated_at": "2026-01-01T00:00:00Z",
                            "is_active": true,
                        })
                    })
                    .collect();
                store
                    .raw_rows()
                    .batch_insert("companies", &rows)
                    .expect("insert");
            }
        };
        // SQLite restores quickly: more rows, so that its stages can be seen.
        let backed_up = if backend == Backend::Sqlite {
            200_000
        } else {
            20_000
        };
        rows(backed_up)();
        let out = run(&["backup", "--dir", &bk, "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let backup: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let path = backup["path"].as_str().expect("a path").to_string();
        let companies = |run: &dyn Fn(&[&str]) -> Output| -> Option<u64> {
            let stats = run(&["stats", "--json"]);
            let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).ok()?;
            stats["tables"]
                .as_array()?
                .iter()
                .find(|t| t["table"] == "companies")?["rows"]
                .as_u64()
        };
        let restore = |path: &str| {
            Command::new(env!("CARGO_BIN_EXE_nerve"))
                .current_dir(dir.path())
                .args(["restore", path, "--confirm", "--dir", &bk])
                .env("DATABASE_URL", &db.url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start nerve restore")
        };
        // The sizes a whole SQLite restore reaches (safety copy, WAL), from a reference run.
        let sqlite_file = db.url.trim_start_matches("sqlite://").to_string();
        let wal = format!("{sqlite_file}-wal");
        let safety_size = |bk: &str| -> u64 {
            std::fs::read_dir(bk)
                .map(|d| {
                    d.filter_map(Result::ok)
                        .filter(|e| {
                            e.file_name()
                                .to_string_lossy()
                                .starts_with("nerve_pre_restore")
                        })
                        .filter_map(|e| e.metadata().ok())
                        .map(|m| m.len())
                        .max()
                        .unwrap_or(0)
                })
                .unwrap_or(0)
        };
        // The sizes a whole SQLite restore reaches, watched during a reference run: the
        // safety copy's, and the live WAL's largest (SQLite removes the WAL at the last close).
        let (full_safety, full_wal) = if backend == Backend::Sqlite {
            rows(5)();
            let mut reference = Command::new(env!("CARGO_BIN_EXE_nerve"))
                .current_dir(dir.path())
                .args(["restore", &path, "--confirm", "--dir", &bk])
                .env("DATABASE_URL", &db.url)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the reference restore");
            let mut largest_wal = 0;
            while reference.try_wait().expect("poll").is_none() {
                largest_wal = largest_wal.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            }
            let done = reference.wait_with_output().expect("the reference restore");
            assert!(done.status.success(), "{}", text(&done.stderr));
            assert!(largest_wal > 0, "the restore's WAL was never seen");
            (safety_size(&bk), largest_wal)
        } else {
            (0, 0)
        };
        let mut kills = Vec::new();
        nerve_conformance::kill::at_points(
            10,
            |_| {
                // Before: the backup's companies and 5 written since.
                rows(5)();
                let before = companies(&run).expect("the live database answers");
                // Earlier safety copies go, so that the one this restore makes is seen growing.
                for entry in std::fs::read_dir(&bk).unwrap().filter_map(Result::ok) {
                    if entry
                        .file_name()
                        .to_string_lossy()
                        .starts_with("nerve_pre_restore")
                    {
                        std::fs::remove_file(entry.path()).unwrap();
                    }
                }
                let mut statements = std::collections::HashSet::new();
                let (bk, wal, db, safety_size) = (&bk, &wal, &db, &safety_size);
                let watch = move |_: &u64, k: usize| match backend {
                    Backend::Sqlite => {
                        // Points 1-5 on the safety copy's growth, 6-10 on the WAL's.
                        let (now, full, step) = if k <= 5 {
                            (safety_size(bk), full_safety, k)
                        } else {
                            (
                                std::fs::metadata(wal).map_or(0, |m| m.len()),
                                full_wal,
                                k - 5,
                            )
                        };
                        now > 0 && now >= full * (step as u64 - 1) / 5
                    }
                    Backend::Postgres => {
                        statements.extend(db.active_statements());
                        statements.len() >= k
                    }
                };
                (restore(&path), before, watch)
            },
            |run_at, before| {
                let k = run_at.point;
                // The server finishes (or abandons) what the killed restore sent: wait until
                // none of it runs before looking (on a busy machine the swap can still be
                // running, and the database being renamed cannot be read).
                let since = std::time::Instant::now();
                while !db.active_statements().is_empty() {
                    assert!(
                        since.elapsed() < std::time::Duration::from_secs(60),
                        "[{backend}] the killed restore's statements still run after 60 s"
                    );
                }
                let after_kill = companies(&run);
                assert!(
                    after_kill == Some(before) || after_kill == Some(backed_up as u64),
                    "[{backend}] killed at point {k}: the live database holds {after_kill:?} \
                     companies, neither {before} (before) nor {backed_up} (the backup)"
                );
                let again = run(&["restore", &path, "--confirm", "--dir", &bk]);
                assert!(
                    again.status.success(),
                    "[{backend}] restore again after point {k}: {}",
                    text(&again.stderr)
                );
                assert_eq!(companies(&run), Some(backed_up as u64), "[{backend}]");
                if run_at.killed {
                    kills.push(if after_kill == Some(before) {
                        "before"
                    } else {
                        "after"
                    });
                }
            },
        );
        figures.push(format!("{backend}: {kills:?}"));
    }
    println!("nerve restore killed at 10 points per backend: {figures:?}");
}
