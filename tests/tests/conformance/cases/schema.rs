use super::company;
use chrono::{DateTime, Duration, Utc};
use nerve::model::{Role, ValueSet};
use nerve::{Backend, Error, MigrationPolicy, Store};
use nerve_conformance::rows::Write;
use nerve_conformance::{assert_err, test_options, CaseResult, Ctx};
use std::sync::Arc;

/// The migration folder names of a backend, sorted.
fn folder_names(backend: Backend) -> Vec<String> {
    let dir = format!(
        "{}/../migrations_{}",
        env!("CARGO_MANIFEST_DIR"),
        backend.name()
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
        .filter(|e| e.path().join("up.sql").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn status_lists_every_embedded_migration(ctx: &Ctx) -> CaseResult {
    let names = folder_names(ctx.backend);
    assert!(!names.is_empty());
    for other in Backend::ALL {
        assert_eq!(
            folder_names(other),
            names,
            "both folders hold the same migrations"
        );
    }
    let status = ctx.store.schema_status()?;
    assert_eq!(status.backend, ctx.backend);
    assert!(
        status.pending.is_empty() && status.unknown.is_empty(),
        "{status:?}"
    );
    let applied: Vec<&str> = status.applied.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(applied, names);
    for m in &status.applied {
        assert_eq!(
            m.version,
            m.name
                .split('_')
                .next()
                .unwrap_or_default()
                .replace('-', "")
        );
        assert!(m.applied_at <= Utc::now() + Duration::seconds(5), "{m:?}");
    }
    assert_eq!(
        status.version(),
        names
            .last()
            .map(|n| n.split('_').next().unwrap_or_default().replace('-', ""))
            .as_deref()
    );
    assert_eq!(nerve::schema_status(ctx.url())?, status);
    // Migrating a current database applies nothing.
    assert!(nerve::migrate(ctx.url())?.is_empty());
    Ok(())
}

pub fn pending_migrations_are_refused_unless_applied(ctx: &Ctx) -> CaseResult {
    let empty = ctx.empty_database()?;
    let options = |p| test_options(ctx.clock.clone(), p);
    let names = folder_names(ctx.backend);
    assert_err!(
        nerve::connect_with(&empty.url, &options(MigrationPolicy::Require)),
        Error::PendingMigrations { ref pending } if *pending == names
    );
    let inspect = nerve::connect_with(&empty.url, &options(MigrationPolicy::Inspect))?;
    let status = inspect.schema_status()?;
    assert_eq!(
        (status.applied.len(), status.pending.clone()),
        (0, names.clone())
    );
    drop(inspect);
    assert_eq!(nerve::migrate(&empty.url)?, names);
    assert!(nerve::migrate(&empty.url)?.is_empty());
    // The last one reverted: exactly it is pending again, named by Require, and applied again.
    let last = names.last().cloned().expect("embedded migrations");
    assert_eq!(nerve::revert(&empty.url, 1)?, vec![last.clone()]);
    assert_eq!(
        nerve::schema_status(&empty.url)?.pending,
        vec![last.clone()]
    );
    assert_err!(
        nerve::connect_with(&empty.url, &options(MigrationPolicy::Require)),
        Error::PendingMigrations { ref pending } if *pending == [last.clone()]
    );
    assert_eq!(nerve::migrate(&empty.url)?, vec![last]);
    let store = nerve::connect_with(&empty.url, &options(MigrationPolicy::Require))?;
    company(&*store, "Works", None)?;
    drop(store);
    // Apply at open does the same on another empty database.
    let other = ctx.empty_database()?;
    let store = nerve::connect_with(&other.url, &options(MigrationPolicy::Apply))?;
    assert!(store.schema_status()?.pending.is_empty());
    Ok(())
}

pub fn newer_database_is_refused(ctx: &Ctx) -> CaseResult {
    ctx.execute_raw("INSERT INTO __diesel_schema_migrations (version) VALUES ('99991231235959')")?;
    for policy in [MigrationPolicy::Require, MigrationPolicy::Apply] {
        assert_err!(
            ctx.reopen(policy),
            Error::SchemaTooNew { ref unknown } if *unknown == ["99991231235959"]
        );
    }
    assert_err!(nerve::migrate(ctx.url()), Error::SchemaTooNew { .. });
    assert_err!(nerve::revert(ctx.url(), 1), Error::SchemaTooNew { .. });
    assert!(
        nerve::schema_status(ctx.url())?.pending.is_empty(),
        "the refused revert changed nothing"
    );
    let inspect = ctx.reopen(MigrationPolicy::Inspect)?;
    assert_eq!(inspect.schema_status()?.unknown, vec!["99991231235959"]);
    Ok(())
}

pub fn timestamps_are_utc_microseconds(ctx: &Ctx) -> CaseResult {
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc));
    for (i, instant) in [
        "2026-03-04T05:06:07Z",
        "2026-03-04T05:06:07.000001Z",
        "2026-03-04T05:06:07.5Z",
        "2026-03-04T05:06:07.999999999Z",
        "1999-12-31T23:59:59.123456Z",
        "2100-01-01T00:00:00.654321+05:30",
    ]
    .iter()
    .enumerate()
    {
        let t = parse(instant)?;
        ctx.clock.set(t);
        let expected = nerve::clock::truncate_micros(t);
        let c = company(&*ctx.store, &format!("T{i}"), None)?;
        assert_eq!(c.created_at, expected, "{instant}");
        assert_eq!(
            ctx.store.companies().get(c.id)?.created_at,
            expected,
            "{instant} read back"
        );
        assert_eq!(expected.timestamp_subsec_nanos() % 1000, 0);
    }
    Ok(())
}

fn texts<T: ValueSet>() -> Vec<String> {
    T::ALL.iter().map(|v| v.as_str().to_string()).collect()
}

pub fn column_types_match_the_phase_7_plan(ctx: &Ctx) -> CaseResult {
    // Every closed value set of the contract is used by a column, with exactly its values,
    // and the database describes nothing else as one.
    let described = nerve::describe_schema(ctx.url())?;
    let registry: Vec<(String, Vec<String>)> = nerve::model::value_sets()
        .into_iter()
        .map(|(name, values)| {
            (
                name.to_string(),
                values.iter().map(|v| v.to_string()).collect(),
            )
        })
        .collect();
    let mut expected = registry.clone();
    expected.sort();
    let found: Vec<(String, Vec<String>)> = described
        .value_sets
        .iter()
        .map(|v| (v.name.clone(), v.values.clone()))
        .collect();
    assert_eq!(found, expected, "value sets in the catalog");
    let unknown: Vec<String> = described
        .tables
        .iter()
        .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
        .filter(|(_, c)| c.logical_type.starts_with("enum:?"))
        .map(|(t, c)| format!("{}.{}: {}", t.name, c.name, c.logical_type))
        .collect();
    assert!(
        unknown.is_empty(),
        "CHECKed lists that are no value set: {unknown:?}"
    );
    if ctx.store.capabilities().native_enum_types {
        let naive = ctx.query_strings(
            "SELECT table_name || '.' || column_name AS value FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'",
        )?;
        assert!(naive.is_empty(), "columns without time zone: {naive:?}");
        for (type_name, values) in &registry {
            let labels = ctx.query_strings(&format!(
                "SELECT e.enumlabel::text AS value FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
                 WHERE t.typname = '{type_name}' ORDER BY e.enumsortorder"
            ))?;
            assert_eq!(&labels, values, "ENUM {type_name}");
        }
        let enum_columns = ctx.query_strings(
            "SELECT count(*)::text AS value FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type = 'USER-DEFINED'",
        )?;
        let described_enums = described
            .tables
            .iter()
            .flat_map(|t| &t.columns)
            .filter(|c| c.logical_type.starts_with("enum:"))
            .count();
        assert_eq!(enum_columns, vec![described_enums.to_string()]);
        let json = ctx.query_strings(
            "SELECT table_name || '.' || column_name AS value FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type = 'json'",
        )?;
        assert!(json.is_empty(), "json (not jsonb) columns: {json:?}");
        let narrow_keys = ctx.query_strings(
            "SELECT c.conrelid::regclass::text || '.' || a.attname::text AS value \
               FROM pg_constraint c \
               CROSS JOIN LATERAL unnest(c.conkey) AS k(att) \
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att \
              WHERE c.contype = 'f' AND a.atttypid <> 'bigint'::regtype",
        )?;
        assert!(
            narrow_keys.is_empty(),
            "foreign keys that are not BIGINT: {narrow_keys:?}"
        );
        // JSONB content is indexed where a contract query reads it, and only there (migration
        // 14 dropped the seven GIN indexes no query used; postgres_indexes.rs proves the query
        // uses the one left): cached_asm_scans, by containment alone, so jsonb_path_ops.
        let gin = ctx.query_strings(
            "SELECT tablename || ': ' || indexdef AS value FROM pg_indexes \
              WHERE schemaname = 'public' AND indexdef LIKE '% USING gin %' ORDER BY 1",
        )?;
        assert_eq!(
            gin,
            vec![
                "cached_asm_scans: CREATE INDEX cached_asm_scans_results_gin ON \
                  public.cached_asm_scans USING gin (scan_results jsonb_path_ops)"
                    .to_string()
            ],
        );
        let scan_tables = ctx.query_strings(
            "SELECT count(*)::text AS value FROM information_schema.columns \
              WHERE table_schema = 'public' AND column_name = 'scan_results'",
        )?;
        assert_eq!(
            scan_tables,
            vec!["6".to_string()],
            "scan tables with results"
        );
        let append_heavy = ctx.query_strings(
            "SELECT relname::text AS value FROM pg_class \
              WHERE relkind = 'r' AND reloptions @> ARRAY['autovacuum_vacuum_scale_factor=0.05'] \
              ORDER BY 1",
        )?;
        for table in [
            "audit_logs",
            "bait_accesses",
            "lightbox_scan_history",
            "login_attempts",
            "security_events",
            "xasm_scan_history",
        ] {
            assert!(
                append_heavy.iter().any(|t| t == table),
                "{table} has eager autovacuum: {append_heavy:?}"
            );
        }
        let not_identity = ctx.query_strings(
            "SELECT c.table_name || ':' || c.data_type || ':' || c.is_identity AS value \
             FROM information_schema.columns c JOIN information_schema.tables t \
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.column_name = 'id' \
               AND (c.data_type <> 'bigint' OR c.is_identity <> 'YES')",
        )?;
        assert!(
            not_identity.is_empty(),
            "ids that are not BIGINT identity: {not_identity:?}"
        );
        let json = ctx.query_strings(
            "SELECT table_name || '.' || column_name AS value FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type IN ('json', 'text') \
               AND column_name IN ('details', 'metadata_json', 'permissions')",
        )?;
        assert!(json.is_empty(), "JSON held outside JSONB: {json:?}");
        let index = ctx.query_strings(
            "SELECT indexdef AS value FROM pg_indexes WHERE indexname = 'users_email_live_key'",
        )?;
        assert_eq!(index.len(), 1);
        assert!(
            index[0].starts_with("CREATE UNIQUE INDEX")
                && index[0].ends_with("WHERE (deleted_at IS NULL)"),
            "{}",
            index[0]
        );
    } else {
        let index = ctx.query_strings(
            "SELECT sql AS value FROM sqlite_master WHERE name = 'users_email_live_key'",
        )?;
        assert_eq!(index.len(), 1);
        assert!(
            index[0].starts_with("CREATE UNIQUE INDEX")
                && index[0].ends_with("WHERE deleted_at IS NULL"),
            "{}",
            index[0]
        );
        let loose = ctx.query_strings(
            "SELECT name AS value FROM pragma_table_list \
             WHERE type = 'table' AND strict = 0 AND name NOT LIKE 'sqlite_%' \
               AND name <> '__diesel_schema_migrations' ORDER BY name",
        )?;
        assert!(loose.is_empty(), "tables that are not STRICT: {loose:?}");
        let sql = ctx.query_strings(
            "SELECT sql AS value FROM sqlite_master WHERE type = 'table' AND name = 'users'",
        )?;
        let compact: String = sql[0].chars().filter(|c| !c.is_whitespace()).collect();
        let quoted: Vec<String> = texts::<Role>().iter().map(|v| format!("'{v}'")).collect();
        assert!(
            compact.contains(&format!("CHECK(roleIN({}))", quoted.join(","))),
            "users.role is CHECKed to exactly the roles: {}",
            sql[0]
        );
    }
    // On both: the database itself refuses a role outside the set.
    let c = company(&*ctx.store, "ACME", None)?;
    let bad = ctx.execute_raw(&format!(
        "INSERT INTO users (company_id, email, password_hash, role, password_changed_at, created_at, updated_at) \
         VALUES ({}, 'x@example.com', 'h', 'superuser', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00', '2026-01-01 00:00:00+00:00')",
        c.id
    ));
    let message = bad
        .err()
        .ok_or("a role outside the set was stored")?
        .to_string();
    assert!(message.contains("role"), "refused for its role: {message}");
    Ok(())
}

pub fn store_is_send_sync_and_boxable(ctx: &Ctx) -> CaseResult {
    let shared: Arc<dyn Store> = Arc::from(ctx.reopen(MigrationPolicy::Require)?);
    let worker = Arc::clone(&shared);
    let id = std::thread::spawn(move || company(&*worker, "From a thread", None).map(|c| c.id))
        .join()
        .map_err(|_| "the thread panicked")??;
    assert_eq!(shared.companies().get(id)?.name, "From a thread");
    assert_eq!(ctx.store.companies().get(id)?.name, "From a thread");
    assert_eq!(shared.backend(), ctx.backend);
    Ok(())
}

pub fn concurrent_migrations_apply_once(ctx: &Ctx) -> CaseResult {
    let empty = ctx.empty_database()?;
    let names = folder_names(ctx.backend);
    let results: Vec<nerve::Result<Vec<String>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| nerve::migrate(&empty.url)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(Error::Migration {
                        reason: "panicked".into(),
                    })
                })
            })
            .collect()
    });
    let mut runs_that_applied = 0;
    for result in results {
        let applied = result?;
        if !applied.is_empty() {
            assert_eq!(applied, names);
            runs_that_applied += 1;
        }
    }
    assert_eq!(
        runs_that_applied, 1,
        "exactly one run applies, the others find nothing pending"
    );
    let status = nerve::schema_status(&empty.url)?;
    assert!(status.pending.is_empty());
    assert_eq!(status.applied.len(), names.len());
    Ok(())
}

/// A store opened on a new database while another program is in the middle of a write to it
/// opens (migrating it) once that write ends, within the busy timeout, and the other
/// program's rows stay. On SQLite the other program's file is still in rollback-journal mode,
/// and switching it to WAL needs the write lock: SQLite answers that switch with
/// `SQLITE_BUSY` at once, without its busy handler, so the store must wait for the lock
/// itself. On PostgreSQL nothing waits: the store migrates beside the other transaction.
pub fn a_store_opened_during_another_programs_write_waits_for_it(ctx: &Ctx) -> CaseResult {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let empty = ctx.empty_database()?;
    let mut writer: Box<dyn SimpleConnection> = match empty.sqlite_file() {
        Some(path) => Box::new(diesel::SqliteConnection::establish(path)?),
        None => Box::new(diesel::PgConnection::establish(&empty.url)?),
    };
    writer.batch_execute("CREATE TABLE other_program (x INTEGER)")?;
    // SQLite: BEGIN IMMEDIATE takes the write lock now, as the INSERT would.
    let begin = match ctx.backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    writer.batch_execute(&format!("{begin}; INSERT INTO other_program VALUES (1)"))?;
    let options = test_options(ctx.clock.clone(), MigrationPolicy::Apply);
    let (tx, rx) = std::sync::mpsc::channel();
    let (opened, committed) = std::thread::scope(|s| {
        s.spawn(|| {
            let _ = tx.send(nerve::connect_with(&empty.url, &options));
        });
        // Where the store must wait, nothing outside it shows that it is waiting: its open is
        // given this long to end on its own (on SQLite it cannot: the write lock is held),
        // then the other program commits, and the open must end with a store.
        let early = rx.recv_timeout(std::time::Duration::from_millis(300));
        let committed = writer.batch_execute("COMMIT");
        (early.or_else(|_| rx.recv()), committed)
    });
    committed?;
    let store = opened??;
    assert!(nerve::schema_status(&empty.url)?.pending.is_empty());
    let acme = company(&*store, "ACME", None)?;
    assert_eq!(store.companies().get(acme.id)?, acme);
    let kept = empty.query_strings("SELECT CAST(x AS TEXT) AS value FROM other_program")?;
    assert_eq!(kept, ["1"]);
    if ctx.backend == Backend::Sqlite {
        let mode = empty.query_strings("SELECT journal_mode AS value FROM pragma_journal_mode")?;
        assert_eq!(mode, ["wal"]);
    }
    Ok(())
}

/// A clock that does not truncate: the stores must.
#[derive(Debug)]
struct NanosecondClock(DateTime<Utc>);

impl nerve::Clock for NanosecondClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub fn stores_truncate_a_clock_with_nanoseconds(ctx: &Ctx) -> CaseResult {
    let t = DateTime::parse_from_rfc3339("2026-05-06T07:08:09.123456789Z")?.with_timezone(&Utc);
    let mut options = test_options(ctx.clock.clone(), MigrationPolicy::Require);
    options.clock = Arc::new(NanosecondClock(t));
    let store = nerve::connect_with(ctx.url(), &options)?;
    let c = company(&*store, "Precise", None)?;
    assert_eq!(c.created_at.timestamp_subsec_nanos(), 123_456_000);
    assert_eq!(store.companies().get(c.id)?.created_at, c.created_at);
    let mut zero = test_options(ctx.clock.clone(), MigrationPolicy::Require);
    zero.connect_timeout = std::time::Duration::ZERO;
    assert_err!(
        nerve::connect_with(ctx.url(), &zero),
        Error::Validation {
            field: "connect_timeout",
            ..
        }
    );
    Ok(())
}

pub fn migrations_are_reversible(ctx: &Ctx) -> CaseResult {
    let db = ctx.empty_database()?;
    let names = folder_names(ctx.backend);
    let mut newest_first = names.clone();
    newest_first.reverse();
    nerve::migrate(&db.url)?;
    let up = db.schema_snapshot()?;
    // Down, all the way: nothing but the migration record is left.
    assert_eq!(nerve::revert(&db.url, names.len() + 3)?, newest_first);
    let bare = db.schema_snapshot()?;
    assert!(
        bare.iter()
            .all(|line| line.contains("__diesel_schema_migrations")),
        "left behind after reverting every migration: {bare:?}"
    );
    assert!(nerve::schema_status(&db.url)?.applied.is_empty());
    assert!(
        nerve::revert(&db.url, 1)?.is_empty(),
        "nothing left to revert"
    );
    // Up again: the same schema, object for object.
    assert_eq!(nerve::migrate(&db.url)?, names);
    assert_eq!(db.schema_snapshot()?, up);
    // And one step at a time.
    for (i, name) in newest_first.iter().enumerate() {
        assert_eq!(nerve::revert(&db.url, 1)?, vec![name.clone()]);
        assert_eq!(
            nerve::schema_status(&db.url)?.applied.len(),
            names.len() - i - 1
        );
    }
    nerve::migrate(&db.url)?;
    assert_eq!(db.schema_snapshot()?, up);
    Ok(())
}

pub fn timestamps_written_by_other_programs_read_as_utc(ctx: &Ctx) -> CaseResult {
    let expected = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")?.with_timezone(&Utc);
    for (i, (text, micros)) in [
        ("2026-01-02 03:04:05", 0),
        ("2026-01-02 03:04:05.123456", 123_456),
        ("2026-01-02T03:04:05Z", 0),
        ("2026-01-02T03:04:05.5+00:00", 500_000),
        ("2026-01-02 03:04:05.000001+00:00", 1),
    ]
    .into_iter()
    .enumerate()
    {
        let id = 1000 + i as i64;
        ctx.execute_raw(&format!(
            "INSERT INTO companies (id, name, created_at, updated_at, is_active) \
             VALUES ({id}, 'written elsewhere', '{text}', '{text}', TRUE)"
        ))?;
        let c = ctx.store.companies().get(id)?;
        assert_eq!(
            c.created_at,
            expected + Duration::microseconds(micros),
            "{text}"
        );
    }
    // Text that is no timestamp is refused by the database itself.
    let refused = ctx.execute_raw(
        "INSERT INTO companies (id, name, created_at, updated_at, is_active) \
         VALUES (2000, 'bad', 'not a time', 'not a time', TRUE)",
    );
    assert!(refused.is_err(), "a non-timestamp was stored");
    Ok(())
}

pub fn every_column_type_round_trips(ctx: &Ctx) -> CaseResult {
    use nerve::model::{
        EventFilter, NewAuditLog, NewSecurityEvent, Page, SecurityEventType, Severity, UserUpdate,
    };
    // Text: unicode, tabs, newlines, quotes, backslashes, '\N', and empty string vs NULL.
    let name = "Ünïcødé \t tab\nnewline 'quote' \"dq\" back\\slash \\N 日本語 🚀";
    let c = company(&*ctx.store, name, None)?;
    assert_eq!(ctx.store.companies().get(c.id)?.name, name);
    let u = super::user(&*ctx.store, c.id, "types@example.com")?;
    for full_name in [Some(""), None, Some(" "), Some(name)] {
        let changed = UserUpdate {
            full_name: Some(full_name.map(str::to_string)),
            ..Default::default()
        };
        ctx.store.users().update(c.id, u.id, &changed)?;
        assert_eq!(
            ctx.store.users().get(c.id, u.id)?.full_name.as_deref(),
            full_name,
            "{full_name:?}"
        );
    }
    // 64-bit integers at both ends, and nested JSON with unicode, escapes and big numbers.
    let details = serde_json::json!({
        "nested": { "list": [1, -1, i64::MAX, i64::MIN, u64::MAX, 1.5, -0.25, null, true, "ü🚀\"\\\n"] },
        "empty": {}, "none": [], "text": "",
    });
    for entity_id in [i64::MIN, -1, 0, i64::MAX] {
        let entry = NewAuditLog {
            user_id: None,
            action: "types".into(),
            entity_type: None,
            entity_id: Some(entity_id),
            details: Some(details.clone()),
            ip_address: None,
        };
        let recorded = ctx.store.audit().record(c.id, &entry)?;
        let read = ctx
            .store
            .audit()
            .list_for_company(c.id, Page::first(1))?
            .remove(0);
        assert_eq!(read, recorded);
        assert_eq!(
            (read.entity_id, read.details.as_ref()),
            (Some(entity_id), Some(&details))
        );
    }
    // Every value of every closed value set is stored and read back as itself.
    for severity in Severity::ALL {
        for event_type in SecurityEventType::ALL {
            let mut e =
                NewSecurityEvent::new(*event_type, *severity, format!("{event_type} {severity}"));
            e.company_id = Some(c.id);
            let recorded = ctx.store.security_events().record(&e)?;
            assert_eq!(
                (recorded.event_type, recorded.severity),
                (*event_type, *severity)
            );
        }
    }
    let all = ctx.store.security_events().list(
        &EventFilter {
            company_id: Some(c.id),
            ..Default::default()
        },
        Page::first(1000),
    )?;
    assert_eq!(
        all.len(),
        Severity::ALL.len() * SecurityEventType::ALL.len()
    );
    Ok(())
}

pub fn every_table_round_trips_whole_rows(ctx: &Ctx) -> CaseResult {
    round_trips_whole_rows(ctx, Write::One)
}

/// The same probes, each row written by `batch_insert` (on PostgreSQL a binary COPY, whose
/// encoding of every column type is Diesel's, not the INSERT's): stored and refused alike.
pub fn every_table_round_trips_whole_rows_in_a_batch(ctx: &Ctx) -> CaseResult {
    round_trips_whole_rows(ctx, Write::Batch)
}

fn round_trips_whole_rows(ctx: &Ctx, write: Write) -> CaseResult {
    let schema = nerve::describe_schema(ctx.url())?;
    let outcomes = nerve_conformance::rows::round_trip_every_table_by(&*ctx.store, &schema, write)?;
    let refused = |o: &&nerve_conformance::rows::Outcome| o.result != "ok";
    // Every table, every column: the Diesel row type has exactly the table's columns (an
    // unknown or missing column would be refused), and each column stores at least one
    // value of its type besides NULL.
    // (audit_log_maintenance is written only by the lifecycle operations: see rows.rs.)
    for table in schema
        .tables
        .iter()
        .filter(|t| t.name != "audit_log_maintenance")
    {
        for column in table.columns.iter().filter(|c| c.name != "id") {
            let accepted = outcomes.iter().any(|o| {
                o.table == table.name
                    && o.column == column.name
                    && o.result == "ok"
                    && o.probe != "null"
            });
            let foreign = table
                .foreign_keys
                .iter()
                .any(|f| f.columns == [column.name.clone()]);
            assert!(
                accepted || foreign,
                "{}.{}: no value stored: {:?}",
                table.name,
                column.name,
                outcomes
                    .iter()
                    .filter(|o| o.table == table.name && o.column == column.name)
                    .collect::<Vec<_>>()
            );
        }
    }
    // What the database must refuse, it refuses with the variant naming the column.
    for o in outcomes.iter().filter(refused) {
        let expected_field = format!("{}.{}", o.table, o.column);
        match o.probe.as_str() {
            "U+0000" | "past limit" | "outside the set" => assert!(
                o.result.starts_with("Validation(") && o.result.contains(&o.table),
                "{o:?}"
            ),
            "dangling" => assert!(o.result.starts_with("Conflict(ForeignKey"), "{o:?}"),
            _ => {}
        }
        if o.probe == "U+0000" || o.probe == "past limit" {
            // Refused before the database by the row types' own limits, which therefore
            // equal the catalog's (an "at limit" value is stored, below).
            assert_eq!(o.result, format!("Validation({expected_field})"));
        }
    }
    // Everything else is stored, except what the tables' CHECK constraints refuse: this is
    // their behaviour, probe by probe (parity.rs holds the two backends to the same).
    let percent = [
        "asm_scans.risk_score",
        "compliance_assessments.overall_compliance_score",
        "compliance_controls.compliance_score",
        "lightbox_scan_history.risk_score",
        "xasm_scan_history.risk_score",
        "profiles.risk_score",
        "roadmap_profiles.current_security_score",
        "roadmap_profiles.target_security_score",
        "roadmap_progress_history.security_score",
    ];
    let non_negative = [
        "bait_tokens.access_count",
        "ghost_search_queries.response_time_ms",
        "ghost_search_queries.results_count",
        "lightbox_scan_history.duration_ms",
        "lightbox_scan_history.findings_count",
        "xasm_scan_history.duration_ms",
        "xasm_scan_history.findings_count",
        "monitored_emails.findings_count",
        "roadmap_achievements.points",
        "roadmap_profiles.employee_count",
        "roadmap_progress_history.tasks_total",
        "roadmap_progress_history.tasks_not_started",
        "roadmap_progress_history.tasks_in_progress",
        "roadmap_progress_history.tasks_completed",
        "roadmap_progress_history.tasks_verified",
        "roadmap_task_library_meta.task_count",
        "roadmap_tasks.points",
        "slow_queries.duration_us",
        "uploaded_breach_files.records_count",
        "uploaded_breach_files.size_bytes",
        "uploaded_files.size_bytes",
    ];
    let arrays = [
        "api_keys.permissions",
        "breaches.data_classes",
        "devices.open_ports",
    ];
    // Multi-column CHECKs against the base row: a lock end needs its start; a failure reason
    // only on a failed login (the base row is one); a company-scoped address needs its company.
    let coupled = [
        "users.locked_at = null",
        "login_attempts.failure = null",
        "login_attempts.success = true",
        "monitored_emails.company_id = null",
    ];
    let refused_by_rust = [
        "U+0000",
        "past limit",
        "outside the set",
        "year 10000",
        "offset past 9999",
        "year 0",
    ];
    let mut wrong = Vec::new();
    for o in &outcomes {
        let column = format!("{}.{}", o.table, o.column);
        let nullable = schema
            .table(&o.table)
            .and_then(|t| t.columns.iter().find(|c| c.name == o.column))
            .is_some_and(|c| c.nullable);
        let n: Option<i64> = o.probe.parse().ok();
        let expected = if refused_by_rust.contains(&o.probe.as_str())
            || o.column == "id"
            || (o.probe == "null" && !nullable)
        {
            format!("Validation({column})")
        } else if o.probe == "dangling" {
            "Conflict(".into()
        } else if coupled.contains(&format!("{column} = {}", o.probe).as_str())
            || (percent.contains(&column.as_str()) && n.is_some_and(|n| !(0..=100).contains(&n)))
            || (non_negative.contains(&column.as_str()) && n.is_some_and(|n| n < 0))
            || (column == "roadmap_tasks.phase" && n.is_some_and(|n| n < 1))
            || (arrays.contains(&column.as_str())
                && ["nested", "number", "string"].contains(&o.probe.as_str()))
        {
            format!("Validation({}.-)", o.table)
        } else {
            "ok".into()
        };
        if !o.result.starts_with(&expected) {
            wrong.push(format!(
                "{column} = {}: {} (expected {expected})",
                o.probe, o.result
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "outcomes not as the schema says:\n{}",
        wrong.join("\n")
    );
    let at_limit: Vec<_> = outcomes.iter().filter(|o| o.probe == "at limit").collect();
    assert!(
        !at_limit.is_empty() && at_limit.iter().all(|o| o.result == "ok"),
        "{at_limit:?}"
    );
    for probe in ["U+0000", "past limit", "outside the set", "dangling"] {
        assert!(
            outcomes
                .iter()
                .filter(|o| o.probe == probe)
                .all(|o| o.result != "ok"),
            "{probe} was stored somewhere: {:?}",
            outcomes
                .iter()
                .filter(|o| o.probe == probe && o.result == "ok")
                .collect::<Vec<_>>()
        );
    }
    // An unknown table or column, or a value of the wrong type, is refused naming it.
    assert_err!(
        ctx.store.raw_rows().get("no_such_table", 1),
        Error::Validation { field: "table", .. }
    );
    assert_err!(
        ctx.store
            .raw_rows()
            .insert("companies", &serde_json::json!({"id": 1, "nope": 1})),
        Error::Validation {
            table: "companies",
            ..
        }
    );
    assert_err!(
        ctx.store.raw_rows().insert(
            "companies",
            &serde_json::json!({"id": "one", "name": "x", "created_at": "2026-01-01T00:00:00Z",
                                "updated_at": "2026-01-01T00:00:00Z", "is_active": true})
        ),
        Error::Validation {
            table: "companies",
            field: "id",
            ..
        }
    );
    assert_err!(
        ctx.store.raw_rows().get("companies", 424242),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    // On PostgreSQL the identity moved past the ids given: the domain store's next company
    // gets a fresh id.
    let c = company(&*ctx.store, "After raw rows", None)?;
    assert!(c.id > 1000, "{}", c.id);
    Ok(())
}
