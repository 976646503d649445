//! `nerve import`: the database NERVE's Python application made (built by
//! `nerve_conformance::legacy`) brought into a new SQLite file and an empty PostgreSQL
//! database, checked value by value against what must arrive, through the command a team runs.

use nerve::model::LoginRequest;
use nerve::{Backend, Denial, Error, MigrationPolicy, Store, StoreOptions};
use nerve_conformance::legacy::{build, spec_statements, Legacy};
use nerve_conformance::TestDb;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

fn nerve(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nerve"))
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run nerve")
}

fn open(url: &str) -> Box<dyn Store> {
    let options = StoreOptions {
        migrations: MigrationPolicy::Require,
        password: nerve::PasswordParams::INSECURE_FOR_TESTS,
        ..Default::default()
    };
    nerve::connect_with(url, &options).unwrap_or_else(|e| panic!("open {url}: {e}"))
}

/// The file's SHA-256 (hex).
fn sha256_file(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(std::fs::read(path).unwrap()))
}

/// A target of `backend` the import may fill: a path that does not exist yet, or an empty
/// PostgreSQL database. The TempDir / TestDb keeps it alive.
struct Target {
    url: String,
    _dir: Option<tempfile::TempDir>,
    _db: Option<TestDb>,
}

fn target(backend: Backend) -> Target {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            Target {
                url: format!("sqlite://{}/nerve.db", dir.path().display()),
                _dir: Some(dir),
                _db: None,
            }
        }
        Backend::Postgres => {
            let db = TestDb::empty(Backend::Postgres).expect("a PostgreSQL database");
            Target {
                url: db.url.clone(),
                _dir: None,
                _db: Some(db),
            }
        }
    }
}

fn import_args<'a>(legacy: &'a Legacy, to: &'a str, extra: &[&'a str]) -> Vec<String> {
    let mut args: Vec<String> = ["import", "--from", &legacy.url, "--to", to]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for d in &legacy.drops {
        args.push("--drop".into());
        args.push(d.clone());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

fn run(args: &[String]) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    nerve(&refs)
}

/// Imports the legacy fixture into a new `backend` target (with `extra` arguments) and checks
/// it arrived value by value; returns the JSON report and the target.
fn imported_everything(backend: Backend, extra: &[&str]) -> (Value, Target) {
    let legacy = build(0).expect("the legacy fixture");
    let before = sha256_file(&legacy.path);
    let to = target(backend);
    let rejects = tempfile::NamedTempFile::new().unwrap();
    let rejects_path = rejects.path().display().to_string();
    let mut args = vec!["--rejects", &rejects_path, "--json"];
    args.extend_from_slice(extra);
    let out = run(&import_args(&legacy, &to.url, &args));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Rows were refused: the command says so and exits 1, having imported the rest.
    assert_eq!(out.status.code(), Some(1), "[{backend}] {stderr}");
    assert!(stderr.contains("row(s) refused"), "[{backend}] {stderr}");
    assert_eq!(stderr.lines().count(), 1, "[{backend}] one line: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("the JSON report");

    // The refused rows are exactly the planted ones, each with its whole source row.
    let lines = std::fs::read_to_string(rejects.path()).unwrap();
    let refused: BTreeSet<(String, i64, String)> = lines
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            assert!(v["row"].is_object() && !v["reason"].as_str().unwrap().is_empty());
            (
                v["table"].as_str().unwrap().to_string(),
                v["rowid"].as_i64().unwrap(),
                v["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let planted = legacy.planted_keys();
    assert_eq!(refused, planted, "[{backend}] the refused rows: {lines}");
    assert!(lines.contains("Python repr"), "{lines}");
    assert!(lines.contains("nanoseconds"), "{lines}");
    assert!(lines.contains("never truncated"), "{lines}");

    // Every table verified; counts add up; the legacy migrations are reported.
    for t in report["tables"].as_array().unwrap() {
        assert_eq!(t["verified"], Value::Bool(true), "{t}");
        assert_eq!(
            t["source_rows"].as_u64().unwrap(),
            t["imported"].as_u64().unwrap() + t["refused"].as_u64().unwrap()
        );
    }
    let versions: Vec<&str> = report["plan"]["legacy_migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "1.2.0"]);
    assert_eq!(report["password_hashes"]["bcrypt"], 1);
    assert_eq!(report["password_hashes"]["werkzeug_pbkdf2"], 1);
    assert_eq!(report["password_hashes"]["passlib_pbkdf2"], 1);
    assert_eq!(report["secrets_hashed"], 1);

    // Value by value.
    let store = open(&to.url);
    let compared = legacy.compare(&*store);
    assert!(compared > 1000, "[{backend}] compared {compared} values");

    // People keep logging in: bcrypt and PBKDF2 users, rehashed to argon2id at once.
    for u in legacy.users.iter().filter(|u| u.format != "unknown") {
        let login = |password: &str| {
            store.auth().login(&LoginRequest {
                email: u.email.clone(),
                password: password.into(),
                ip_address: None,
                user_agent: None,
            })
        };
        assert!(
            matches!(
                login("wrong password!"),
                Err(Error::Denied {
                    reason: Denial::BadCredentials
                })
            ),
            "[{backend}] {}",
            u.format
        );
        let user =
            login(u.password).unwrap_or_else(|e| panic!("[{backend}] {} login: {e}", u.format));
        let stored = store.raw_rows().get("users", user.id).unwrap();
        assert!(
            stored["password_hash"]
                .as_str()
                .unwrap()
                .starts_with("$argon2id$"),
            "[{backend}] {} rehashed",
            u.format
        );
        login(u.password).expect("and again, with the new hash");
    }
    let unknown = legacy.users.iter().find(|u| u.format == "unknown").unwrap();
    let reset = store.auth().login(&LoginRequest {
        email: unknown.email.clone(),
        password: unknown.password.into(),
        ip_address: None,
        user_agent: None,
    });
    assert!(
        matches!(
            reset,
            Err(Error::Denied {
                reason: Denial::PasswordResetRequired
            })
        ),
        "[{backend}] {reset:?}"
    );
    // The session token the legacy table held in clear works, and is stored only hashed.
    let (session_id, token) = &legacy.clear_session;
    let session = store
        .sessions()
        .validate(token)
        .expect("the legacy session");
    assert_eq!(session.id, *session_id);
    let stored = store.raw_rows().get("sessions", *session_id).unwrap();
    assert_eq!(
        stored["token_hash"],
        Value::String(nerve::secret::sha256_hex(token))
    );

    // The source did not change, byte for byte.
    assert_eq!(
        sha256_file(&legacy.path),
        before,
        "[{backend}] the source changed"
    );
    (report, to)
}

#[test]
fn a_legacy_database_arrives_value_by_value_in_sqlite() {
    imported_everything(Backend::Sqlite, &[]);
}

#[test]
fn a_legacy_database_arrives_value_by_value_in_postgres() {
    let (report, _) = imported_everything(Backend::Postgres, &[]);
    let staged = report["tables"].as_array().unwrap().iter();
    assert!(staged.clone().all(|t| t["staged"] == false), "{report}");
}

/// Every table that can be staged, staged (from one row on): the same values arrive, the
/// target's catalog is line for line that of a freshly migrated database, and the staging
/// schema is gone.
#[test]
fn a_legacy_database_arrives_the_same_through_staging() {
    let (report, to) = imported_everything(Backend::Postgres, &["--parallel-from-rows", "1"]);
    let staged: Vec<&str> = report["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["staged"] == true)
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    for table in ["login_attempts", "cached_asm_scans"] {
        assert!(staged.contains(&table), "{staged:?}");
    }
    // Tables other tables' foreign keys rest on stay in the import's transaction.
    for table in ["companies", "users"] {
        assert!(!staged.contains(&table), "{staged:?}");
    }
    let db = to._db.as_ref().expect("a PostgreSQL target");
    let fresh = TestDb::migrated(Backend::Postgres).expect("a migrated database");
    let (differ, missing) = db.catalog_differences(&fresh).unwrap();
    assert!(
        differ.is_empty() && missing.is_empty(),
        "only in the import: {differ:?}; only in a migrated database: {missing:?}"
    );
    assert_eq!(staging_schemas(&to), ["0"], "the staging schema is gone");
}

/// How many staging schemas the PostgreSQL target `to` holds (as text: "0" or "1").
fn staging_schemas(to: &Target) -> Vec<String> {
    let db = to._db.as_ref().expect("a PostgreSQL target");
    db.query_strings(&format!(
        "SELECT count(*)::text AS value FROM pg_namespace WHERE nspname = '{}'",
        nerve::copy::STAGING_SCHEMA
    ))
    .unwrap()
}

#[test]
fn the_first_bad_row_stops_the_import_and_nothing_is_written() {
    let legacy = build(0).expect("the legacy fixture");
    // PostgreSQL twice: the second time with its tables staged (made before the first row).
    let staged = ["--parallel-from-rows", "1"];
    for (backend, extra) in [
        (Backend::Sqlite, &[][..]),
        (Backend::Postgres, &[][..]),
        (Backend::Postgres, &staged[..]),
    ] {
        let to = target(backend);
        let out = run(&import_args(&legacy, &to.url, extra));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "[{backend}] {stderr}");
        let first = &legacy
            .planted
            .iter()
            .min_by_key(|p| (p.table != "users", p.rowid))
            .unwrap();
        assert!(
            stderr.starts_with("nerve: error: ") && stderr.lines().count() == 1,
            "[{backend}] {stderr}"
        );
        assert!(
            stderr.contains("rowid"),
            "[{backend}] names the row: {stderr}"
        );
        let _ = first;
        match backend {
            Backend::Sqlite => {
                let path = to.url.trim_start_matches("sqlite://");
                assert!(!Path::new(path).exists(), "no target file");
                assert!(
                    !Path::new(&format!("{path}.importing")).exists(),
                    "no staging left"
                );
            }
            Backend::Postgres => {
                // Migrated (as the import's first step), and empty: no row was committed.
                let stats = open(&to.url).admin().stats().unwrap();
                assert_eq!(stats.total_rows, 0, "[{backend}] no row was committed");
                assert_eq!(
                    staging_schemas(&to),
                    ["0"],
                    "[{backend}] {extra:?}: staging left"
                );
            }
        }
    }
}

#[test]
fn data_with_no_home_stops_the_import_unless_dropped() {
    let legacy = build(0).expect("the legacy fixture");
    legacy_extra(&legacy);
    let to = target(Backend::Sqlite);
    let out = nerve(&[
        "import",
        "--from",
        &legacy.url,
        "--to",
        &to.url,
        "--dry-run",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("no home") && stderr.contains("python_sessions"),
        "{stderr}"
    );
    let mut args = import_args(&legacy, &to.url, &["--dry-run", "--rejects"]);
    let rejects = tempfile::NamedTempFile::new().unwrap();
    args.push(rejects.path().display().to_string());
    args.extend(["--drop".to_string(), "python_sessions".to_string()]);
    let out = run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The dry run prints the whole plan and checks every row; writes nothing.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("plan:") && stdout.contains("derived"),
        "{stdout} {stderr}"
    );
    assert!(stdout.contains("would import"), "{stdout}");
    assert!(!Path::new(to.url.trim_start_matches("sqlite://")).exists());
}

/// A table of the Python application that NERVE's schema has no place for.
fn legacy_extra(legacy: &Legacy) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    diesel::SqliteConnection::establish(&legacy.path.display().to_string())
        .unwrap()
        .batch_execute(
            "CREATE TABLE python_sessions (id INTEGER PRIMARY KEY, data TEXT); \
             INSERT INTO python_sessions (data) VALUES ('{}');",
        )
        .unwrap();
}

#[test]
fn bad_inputs_are_one_line_errors_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let not_sqlite = dir.path().join("notes.txt");
    std::fs::write(
        &not_sqlite,
        "this is not a database at all, just text\n".repeat(100),
    )
    .unwrap();
    let empty = dir.path().join("empty.db");
    diesel::Connection::establish(&empty.display().to_string())
        .map(|_: diesel::SqliteConnection| ())
        .unwrap();
    let other = dir.path().join("other.db");
    {
        use diesel::connection::SimpleConnection;
        let mut c: diesel::SqliteConnection =
            diesel::Connection::establish(&other.display().to_string()).unwrap();
        c.batch_execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
            .unwrap();
    }
    let ours = TestDb::migrated(Backend::Sqlite).unwrap();
    let legacy = build(0).expect("the legacy fixture");
    let occupied = TestDb::migrated(Backend::Sqlite).unwrap();
    let occupied_pg = TestDb::migrated(Backend::Postgres).unwrap();
    open(&occupied_pg.url)
        .companies()
        .create(&nerve::model::NewCompany {
            name: "Already here".into(),
            domain: None,
        })
        .unwrap();
    let fresh = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    let cases: Vec<(String, String, &str)> = vec![
        (
            format!("sqlite://{}", not_sqlite.display()),
            fresh("a.db"),
            "SQLite database",
        ),
        (
            format!("sqlite://{}", empty.display()),
            fresh("b.db"),
            "holds no tables",
        ),
        (
            format!("sqlite://{}", other.display()),
            fresh("c.db"),
            "not a NERVE database",
        ),
        (ours.url.clone(), fresh("d.db"), "nerve copy"),
        (legacy.url.clone(), occupied.url.clone(), "already exists"),
        (
            legacy.url.clone(),
            occupied_pg.url.clone(),
            "already holds data",
        ),
        (
            legacy.url.clone(),
            "postgres://nobody@127.0.0.1:9/nerve?connect_timeout=2".into(),
            "could not connect",
        ),
        (
            format!("sqlite://{}", dir.path().join("missing.db").display()),
            fresh("e.db"),
            "no such file",
        ),
    ];
    for (from, to, says) in &cases {
        let out = nerve(&["import", "--from", from, "--to", to]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{from} -> {to}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(says),
            "{from} -> {to}: expected {says:?} in {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        if to.starts_with("sqlite://") && *to != occupied.url {
            assert!(
                !Path::new(to.trim_start_matches("sqlite://")).exists(),
                "{to} written"
            );
        }
    }
    // The occupied targets are as they were.
    assert_eq!(
        open(&occupied_pg.url)
            .companies()
            .list(
                nerve::model::Page::first(10),
                nerve::model::Deleted::Include
            )
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_killed_import_leaves_no_target_and_the_same_command_then_imports() {
    let legacy = build(60_000).expect("the legacy fixture");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let to = target(backend);
        let rejects = tempfile::NamedTempFile::new().unwrap();
        let rejects_path = rejects.path().display().to_string();
        let args = import_args(&legacy, &to.url, &["--rejects", &rejects_path]);
        let mut child = Command::new(env!("CARGO_BIN_EXE_nerve"))
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill it (SIGKILL) in the middle: while it fills its staging file (SQLite: the file
        // is there and growing) or while PostgreSQL runs the COPY.
        let started = std::time::Instant::now();
        loop {
            let busy = match backend {
                Backend::Sqlite => {
                    let staging = format!("{}.importing", to.url.trim_start_matches("sqlite://"));
                    std::fs::metadata(&staging).is_ok_and(|m| m.len() > 2_000_000)
                }
                Backend::Postgres => {
                    let db = to.url.rsplit('/').next().unwrap().to_string();
                    to._db
                        .as_ref()
                        .unwrap()
                        .query_strings(&format!(
                            "SELECT count(*)::text AS value FROM pg_stat_activity \
                             WHERE datname = '{db}' AND query LIKE 'COPY %'"
                        ))
                        .unwrap_or_default()
                        .first()
                        .is_some_and(|n| n != "0")
                }
            };
            if busy {
                break;
            }
            assert!(
                child.try_wait().unwrap().is_none(),
                "[{backend}] the import ended before it could be interrupted"
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(300));
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        child.kill().unwrap();
        assert!(!child.wait().unwrap().success());
        match backend {
            Backend::Sqlite => {
                assert!(!Path::new(to.url.trim_start_matches("sqlite://")).exists());
            }
            Backend::Postgres => {
                let store = open(&to.url);
                let n = store.admin().stats().unwrap();
                assert_eq!(n.total_rows, 0, "nothing of the killed import is kept");
            }
        }
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let store = open(&to.url);
        assert!(legacy.compare(&*store) > 1000);
        let stats = store.admin().stats().unwrap();
        let attempts = stats
            .tables
            .iter()
            .find(|t| t.table == "login_attempts")
            .unwrap();
        assert!(
            attempts.rows >= 60_000,
            "[{backend}] {} login attempts",
            attempts.rows
        );
    }
}

#[test]
fn the_fixture_runs_the_specs_ddl_verbatim() {
    // The statements come from the spec: each is in it, to the character.
    let spec =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/spec/DATABASE_MIGRATIONS.md");
    let text = std::fs::read_to_string(&spec)
        .unwrap_or_else(|e| panic!("{}: {e} (shared/ lies beside the checkout)", spec.display()));
    let statements = spec_statements();
    assert_eq!(
        statements
            .iter()
            .filter(|s| s.starts_with("CREATE TABLE"))
            .count(),
        10
    );
    for s in &statements {
        assert!(text.contains(s.as_str()), "not in the spec verbatim: {s}");
    }
}

/// `nerve import` killed with SIGKILL at ten points on each backend, found by watching the
/// work: on SQLite the staging file reaching 0%, 10%, ... 90% of the size a whole import
/// gives it; on PostgreSQL the 1st to 10th statement seen active. Each time the target is left
/// as before (no file; no row) or, had the import finished, whole — and the same command then
/// imports.
#[test]
fn an_import_killed_at_ten_points_leaves_all_or_nothing_and_then_imports() {
    let legacy = build(5_000).expect("the legacy fixture");
    // Tables of 1 000 rows or more through staging (into PostgreSQL), so that kills land in it.
    let common = ["--parallel-from-rows", "1000"];
    let mut figures = Vec::new();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        // A reference import: how large the SQLite file gets.
        let reference = target(backend);
        let rejects = tempfile::NamedTempFile::new().unwrap();
        let rejects = rejects.path().display().to_string();
        let args = import_args(
            &legacy,
            &reference.url,
            &["--rejects", &rejects, common[0], common[1]],
        );
        assert_eq!(
            run(&args).status.code(),
            Some(1),
            "the planted rows are refused"
        );
        let full_size =
            std::fs::metadata(reference.url.trim_start_matches("sqlite://")).map_or(0, |m| m.len());
        let mut kills = Vec::new();
        nerve_conformance::kill::at_points(
            10,
            |_| {
                let to = target(backend);
                let args = import_args(
                    &legacy,
                    &to.url,
                    &["--rejects", &rejects, common[0], common[1]],
                );
                let child = Command::new(env!("CARGO_BIN_EXE_nerve"))
                    .args(&args)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                let staging = format!("{}.importing", to.url.trim_start_matches("sqlite://"));
                let mut statements = std::collections::HashSet::new();
                let watch = move |to: &Target, k: usize| match &to._db {
                    // SQLite: the staging file at 0%, 10%, ... of a whole import's size.
                    None => std::fs::metadata(&staging)
                        .is_ok_and(|m| m.len() >= full_size * (k as u64 - 1) / 10),
                    // PostgreSQL: the k-th distinct statement seen active.
                    Some(db) => {
                        statements.extend(db.active_statements());
                        statements.len() >= k
                    }
                };
                (child, to, watch)
            },
            |run_at, to| {
                let k = run_at.point;
                let args = import_args(
                    &legacy,
                    &to.url,
                    &["--rejects", &rejects, common[0], common[1]],
                );
                // What the kill left: nothing, or (had it just finished) everything.
                let whole = match &to._db {
                    None => Path::new(to.url.trim_start_matches("sqlite://")).exists(),
                    Some(db) => {
                        let tables = db
                            .query_strings(
                                "SELECT count(*)::text AS value FROM pg_tables \
                                 WHERE schemaname = current_schema()",
                            )
                            .unwrap();
                        tables != ["0"] && open(&to.url).admin().stats().unwrap().total_rows > 0
                    }
                };
                if whole {
                    assert!(
                        legacy.compare(&*open(&to.url)) > 1000,
                        "[{backend}] part of an import"
                    );
                } else {
                    let out = run(&args);
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    assert!(
                        out.status.code() == Some(1) && stderr.contains("refused"),
                        "[{backend}] after a kill at point {k}: {stderr}"
                    );
                    assert!(legacy.compare(&*open(&to.url)) > 1000);
                }
                if run_at.killed {
                    kills.push(if whole { "whole" } else { "nothing" });
                }
            },
        );
        figures.push(format!("{backend}: {kills:?}"));
    }
    println!("nerve import killed at 10 points per backend: {figures:?}");
}
