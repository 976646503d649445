use super::{company, user};
use nerve::model::{Page, SchemaDescription};
use nerve::{Backend, Clock, Error, Store};
use nerve_conformance::{assert_err, CaseResult, Ctx};

pub fn health_reports_a_current_schema_and_the_pool(ctx: &Ctx) -> CaseResult {
    let report = ctx.store.admin().health()?;
    assert!(report.healthy, "{report:?}");
    assert_eq!(report.backend, ctx.backend);
    assert!(
        report.problems.is_empty() && report.orphans.is_empty(),
        "{report:?}"
    );
    let status = ctx.store.schema_status()?;
    assert_eq!(report.schema_version.as_deref(), status.version());
    assert!(report.pending.is_empty() && report.unknown.is_empty());
    assert_eq!(
        report.pool.max_size,
        if ctx.store.capabilities().in_memory {
            1
        } else {
            4
        }
    );
    assert!(
        report.pool.in_use >= 1 && report.pool.connections >= report.pool.in_use,
        "{report:?}"
    );
    // The expected schema is what the migrations made here.
    let described = nerve::describe_schema(ctx.url())?;
    assert_eq!(
        described,
        SchemaDescription::expected(),
        "regenerate nerve-core/src/expected_schema.json with `nerve schema --json`"
    );
    Ok(())
}

pub fn health_names_what_is_missing_or_dangling(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    ctx.execute_raw(
        "DROP INDEX slow_queries_recorded_idx; ALTER TABLE slow_queries DROP COLUMN duration_us;",
    )?;
    // A row pointing at no user: SQLite is told not to enforce keys for the insert; on
    // PostgreSQL, where every validated key is enforced, the key is re-added NOT VALID.
    match ctx.backend {
        Backend::Sqlite => ctx.execute_raw(&format!(
            "PRAGMA foreign_keys = OFF; INSERT INTO password_history (id, user_id, password_hash, created_at, updated_at, is_active) \
             VALUES (900, {}, 'x', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1);",
            ada.id + 1000
        ))?,
        Backend::Postgres => ctx.execute_raw(&format!(
            "ALTER TABLE password_history DROP CONSTRAINT password_history_user_id_fkey; \
             INSERT INTO password_history (id, user_id, password_hash, created_at, updated_at, is_active) \
             VALUES (900, {}, 'x', '2026-01-01 00:00:00', '2026-01-01 00:00:00', true); \
             ALTER TABLE password_history ADD CONSTRAINT password_history_user_id_fkey \
               FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE NOT VALID;",
            ada.id + 1000
        ))?,
    }
    let report = ctx.store.admin().health()?;
    assert!(!report.healthy);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p == "index slow_queries_recorded_idx on slow_queries is missing"),
        "{report:?}"
    );
    assert!(
        report
            .problems
            .iter()
            .any(|p| p == "column slow_queries.duration_us is missing"),
        "{report:?}"
    );
    match ctx.backend {
        Backend::Sqlite => {
            assert_eq!(report.orphans.len(), 1, "{report:?}");
            let o = &report.orphans[0];
            assert_eq!(
                (o.table.as_str(), o.rowid, o.parent.as_str()),
                ("password_history", 900, "users")
            );
        }
        Backend::Postgres => {
            assert!(
                report
                    .problems
                    .iter()
                    .any(|p| p.contains("password_history_user_id_fkey")
                        && p.contains("not validated")),
                "{report:?}"
            )
        }
    }
    Ok(())
}

pub fn stats_count_every_table_and_optimize_keeps_the_data(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    company(&*ctx.store, "Other", None)?;
    user(&*ctx.store, acme.id, "ada@acme.test")?;
    let stats = ctx.store.admin().stats()?;
    let expected = SchemaDescription::expected();
    assert_eq!(stats.tables.len(), expected.tables.len());
    let rows = |t: &str| stats.tables.iter().find(|s| s.table == t).map(|s| s.rows);
    assert_eq!(
        (rows("companies"), rows("users"), rows("sessions")),
        (Some(2), Some(1), Some(0))
    );
    assert_eq!(
        stats.total_rows,
        stats.tables.iter().map(|t| t.rows).sum::<u64>()
    );
    assert!(stats.size_bytes > 0, "{stats:?}");
    for vacuum in [false, true] {
        let ran = ctx.store.admin().optimize(vacuum)?;
        assert!(ran.iter().any(|s| s.contains("ANALYZE")), "{ran:?}");
        assert_eq!(ran.iter().any(|s| s.contains("VACUUM")), vacuum, "{ran:?}");
    }
    assert_eq!(ctx.store.admin().stats()?.tables, stats.tables);
    // Maintenance needs the store, not a transaction's handle; statistics are read outside one.
    assert_err!(
        ctx.store.admin().slow_queries(Page::first(0)),
        Error::Validation { field: "limit", .. }
    );
    Ok(())
}

pub fn every_operation_is_timed_and_slow_ones_are_kept_up_to_the_cap(ctx: &Ctx) -> CaseResult {
    // Every operation is slow at a zero threshold; the table keeps the newest five.
    let store: Box<dyn Store> = ctx.reopen_with(|o| {
        o.slow_query_threshold = std::time::Duration::ZERO;
        o.slow_query_cap = 5;
    })?;
    for i in 0..4 {
        company(&*store, &format!("C{i}"), None)?;
    }
    let c = store
        .companies()
        .list(Page::first(10), nerve::model::Deleted::Exclude)?;
    assert_eq!(c.len(), 4);
    let _ = store.companies().get(i64::MAX);
    let perf = store.admin().performance();
    let of = |name: &str| perf.iter().find(|p| p.operation == name).cloned();
    let create = of("CompanyStore::create").ok_or("no timings of CompanyStore::create")?;
    assert_eq!(create.count, 4, "{perf:?}");
    assert!(
        create.p50_us <= create.p95_us && create.p95_us <= create.max_us,
        "{create:?}"
    );
    assert_eq!(of("CompanyStore::list").map(|p| p.count), Some(1));
    assert_eq!(
        of("CompanyStore::get").map(|p| p.count),
        Some(1),
        "failures are timed too"
    );
    // The slow runs: six operations ran, five are kept, newest first.
    let slow = store.admin().slow_queries(Page::first(100))?;
    assert_eq!(slow.len(), 5, "{slow:?}");
    assert!(slow.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(slow[0].operation, "CompanyStore::get");
    assert_eq!(slow[4].operation, "CompanyStore::create");
    assert!(slow
        .iter()
        .all(|s| s.duration_us >= 0 && s.recorded_at == ctx.clock.now()));
    let rest = store.admin().slow_queries(Page::after(slow[1].id, 10))?;
    assert_eq!(
        rest.iter().map(|s| s.id).collect::<Vec<_>>(),
        slow[2..].iter().map(|s| s.id).collect::<Vec<_>>()
    );
    Ok(())
}

/// A read replica is an option only where the backend declares them
/// (`Capabilities::read_replicas`); the primary's stores read what the store's own read.
pub fn a_read_replica_is_taken_only_where_the_backend_has_them(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let listed = |repos: &dyn nerve::Repos| -> nerve::Result<Vec<String>> {
        Ok(repos
            .companies()
            .list(Page::first(10), nerve::model::Deleted::Exclude)?
            .into_iter()
            .map(|c| c.name)
            .collect())
    };
    assert_eq!(listed(ctx.store.primary())?, vec!["ACME"]);
    assert_eq!(ctx.store.primary().companies().get(acme.id)?, acme);
    if ctx.store.capabilities().read_replicas {
        // Another database named as the replica, holding another company: which rows a read
        // finds shows where it went. A list tolerates lag and goes to the replica; a point
        // read and `primary()` go to the primary.
        let replica = nerve_conformance::TestDb::migrated(ctx.backend)?;
        let options =
            nerve_conformance::test_options(ctx.clock.clone(), nerve::MigrationPolicy::Require);
        company(
            &*nerve::connect_with(&replica.url, &options)?,
            "Replica Co",
            None,
        )?;
        let store = ctx.reopen_with(|o| o.replica = Some(replica.url.clone()))?;
        assert_eq!(listed(&*store)?, vec!["Replica Co"]);
        assert_eq!(listed(store.primary())?, vec!["ACME"]);
        assert_eq!(store.companies().get(acme.id)?, acme);
    } else {
        assert_err!(
            ctx.reopen_with(|o| o.replica = Some(ctx.url().to_string())),
            Error::Validation {
                field: "replica",
                ..
            }
        );
    }
    Ok(())
}

/// `health` and `stats` carry the backend's own numbers; a threshold crossed is a named
/// warning. The situations are made for real: a WAL and free pages on SQLite, a session idle
/// in a transaction holding a lock another session waits for on PostgreSQL.
pub fn health_reports_the_servers_numbers_and_warns_past_thresholds(ctx: &Ctx) -> CaseResult {
    use nerve::model::{ServerMetrics, WarningKind};
    use nerve::HealthThresholds;
    let report = ctx.store.admin().health()?;
    // The defaults, on a small test database: nothing to warn of but, on a shared test
    // server, perhaps its connection count.
    assert_eq!(
        report.warnings,
        report.metrics.warnings(&HealthThresholds::default())
    );
    assert!(
        report
            .warnings
            .iter()
            .all(|w| w.kind == WarningKind::ConnectionsNearLimit),
        "{:?}",
        report.warnings
    );
    assert_eq!(
        std::mem::discriminant(&ctx.store.admin().stats()?.metrics),
        std::mem::discriminant(&report.metrics)
    );
    let zero = HealthThresholds {
        connections_percent: 0,
        replica_lag: std::time::Duration::ZERO,
        long_running: std::time::Duration::ZERO,
        idle_in_transaction: std::time::Duration::ZERO,
        blocked: std::time::Duration::ZERO,
        dead_rows_percent: 0,
        dead_rows_minimum: 0,
        wal_bytes: 1,
        free_pages_percent: 0,
    };
    let kinds = |store: &dyn Store| -> nerve::Result<Vec<WarningKind>> {
        Ok(store
            .admin()
            .health()?
            .warnings
            .iter()
            .map(|w| w.kind)
            .collect())
    };
    match (ctx.backend, &report.metrics) {
        (Backend::Sqlite, ServerMetrics::Sqlite(m)) => {
            assert!(m.page_size >= 512 && m.page_count > 0, "{m:?}");
            if ctx.store.capabilities().in_memory {
                assert_eq!(
                    (m.journal_mode.as_str(), m.wal_bytes),
                    ("memory", 0),
                    "{m:?}"
                );
                return Ok(());
            }
            assert_eq!(m.journal_mode, "wal");
            // A table written and dropped: its pages go back to the free list, the WAL
            // holds them.
            ctx.execute_raw(
                "CREATE TABLE scratch (x TEXT); \
                 WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) \
                 INSERT INTO scratch SELECT hex(randomblob(1000)) FROM n; \
                 DROP TABLE scratch;",
            )?;
            let store = ctx.reopen_with(|o| o.health = zero)?;
            let health = store.admin().health()?;
            let ServerMetrics::Sqlite(m) = &health.metrics else {
                unreachable!()
            };
            assert!(m.free_pages >= 20 && m.wal_bytes > 0, "{m:?}");
            assert_eq!(
                kinds(&*store)?,
                vec![WarningKind::WalLarge, WarningKind::FreePages]
            );
        }
        (Backend::Postgres, ServerMetrics::Postgres(m)) => {
            use diesel::connection::SimpleConnection;
            use diesel::Connection;
            assert!(m.server_version.starts_with("15"), "{m:?}");
            assert!(
                m.connections >= 1 && m.max_connections >= m.connections,
                "{m:?}"
            );
            assert!(m.database_bytes > 0 && m.replicas.is_empty(), "{m:?}");
            assert!(m.tables.len() == 10, "the 10 largest tables: {m:?}");
            assert!(
                m.idle_in_transaction.is_empty() && m.blocked.is_empty(),
                "{m:?}"
            );
            let store = ctx.reopen_with(|o| o.health = zero)?;
            // One session holds a lock, idle in its transaction; a writer waits for it. (A
            // SHARE lock: reads, the health check's among them, go on.)
            // Raw sessions on the database itself (the store's URL may go through pgbouncer
            // and carry the store's own parameters, which libpq refuses).
            let mut holder = diesel::PgConnection::establish(ctx.direct_url())?;
            holder.batch_execute("BEGIN; LOCK TABLE companies IN SHARE MODE")?;
            let url = ctx.direct_url().to_string();
            let waiter = std::thread::spawn(move || -> Result<(), String> {
                let mut conn = diesel::PgConnection::establish(&url).map_err(|e| e.to_string())?;
                conn.batch_execute("BEGIN; LOCK TABLE companies IN ROW EXCLUSIVE MODE; ROLLBACK")
                    .map_err(|e| e.to_string())
            });
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            let health = loop {
                let health = store.admin().health()?;
                let ServerMetrics::Postgres(m) = &health.metrics else {
                    unreachable!()
                };
                if !m.blocked.is_empty() {
                    break health;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "no session seen blocked: {m:?}"
                );
                std::thread::yield_now();
            };
            let ServerMetrics::Postgres(m) = &health.metrics else {
                unreachable!()
            };
            assert_eq!(m.idle_in_transaction.len(), 1, "{m:?}");
            // Even at zero thresholds, only an active statement not waiting for a lock is
            // long-running: the idle connections of the stores' pools are not.
            assert!(
                m.long_running.iter().all(|s| s.state == "active"
                    && !s
                        .waiting_for
                        .as_deref()
                        .is_some_and(|w| w.starts_with("Lock"))),
                "{m:?}"
            );
            // The same sessions under the default thresholds (10 s to 5 min): none is listed.
            let ServerMetrics::Postgres(d) = ctx.store.admin().health()?.metrics else {
                unreachable!()
            };
            assert!(
                d.idle_in_transaction.is_empty()
                    && d.blocked.is_empty()
                    && d.long_running.is_empty(),
                "{d:?}"
            );
            let holder_pid = m.idle_in_transaction[0].pid;
            assert_eq!(m.blocked[0].blocked_by, vec![holder_pid], "{m:?}");
            assert_eq!(m.blocked[0].waiting_for.as_deref(), Some("Lock:relation"));
            let seen: Vec<WarningKind> = health.warnings.iter().map(|w| w.kind).collect();
            for kind in [
                WarningKind::ConnectionsNearLimit,
                WarningKind::IdleInTransaction,
                WarningKind::BlockedLocks,
            ] {
                assert!(
                    seen.contains(&kind),
                    "{kind:?} not in {:?}",
                    health.warnings
                );
            }
            let blocked = health
                .warnings
                .iter()
                .find(|w| w.kind == WarningKind::BlockedLocks);
            assert!(
                blocked.is_some_and(|w| w.message.contains(&holder_pid.to_string())),
                "{:?}",
                health.warnings
            );
            holder.batch_execute("ROLLBACK")?;
            waiter.join().expect("the waiter")?;
        }
        (backend, metrics) => panic!("{backend:?} reported {metrics:?}"),
    }
    Ok(())
}

/// What `nerve copy` and `nerve import` read every column as: each column this backend
/// describes has a plan of the kind its logical type names (an ENUM with its values in order),
/// its nullability and length limit; a type the copy does not know has none (it is refused).
pub fn every_described_column_has_the_copy_plan_its_type_names(ctx: &Ctx) -> CaseResult {
    use nerve::transfer::{ColumnPlan, Kind};
    let schema = nerve::describe_schema(ctx.url())?;
    let mut kinds = std::collections::BTreeSet::new();
    for table in &schema.tables {
        for column in &table.columns {
            let plan = ColumnPlan::of(column, &schema.value_sets)
                .ok_or_else(|| format!("{}.{}: no plan", table.name, column.name))?;
            let expected = match column.logical_type.as_str() {
                "bigint" => Kind::BigInt,
                "integer" => Kind::Integer,
                "real" => Kind::Real,
                "text" => Kind::Text,
                "boolean" => Kind::Boolean,
                "timestamp" => Kind::Timestamp,
                "json" => Kind::Json,
                "blob" => Kind::Blob,
                other => {
                    let name = other.strip_prefix("enum:").ok_or(other)?;
                    let set = schema.value_sets.iter().find(|s| s.name == name);
                    Kind::Enum(set.ok_or(name)?.values.clone())
                }
            };
            assert_eq!(
                (&plan.name, &plan.kind, plan.nullable, plan.max_length),
                (&column.name, &expected, column.nullable, column.max_length),
                "{}.{}",
                table.name,
                column.name
            );
            kinds.insert(
                column
                    .logical_type
                    .split(':')
                    .next()
                    .unwrap_or_default()
                    .to_string(),
            );
        }
    }
    // The schema uses these kinds (the copy also knows `integer`, `real` and `blob`, which
    // only a legacy source holds).
    let used: Vec<&str> = kinds.iter().map(String::as_str).collect();
    assert_eq!(
        used,
        ["bigint", "boolean", "enum", "json", "text", "timestamp"]
    );
    let mut unknown = schema.tables[0].columns[0].clone();
    // PostgreSQL types with another binary form than the copy writes keep their own names.
    for t in [
        "money",
        "enum:no_such_set",
        "enum:",
        "smallint",
        "float4",
        "json_text",
        "character",
    ] {
        unknown.logical_type = t.into();
        assert_eq!(ColumnPlan::of(&unknown, &schema.value_sets), None, "{t}");
    }
    Ok(())
}

/// A foreign key is described with the delete action it was declared with, each of the five
/// (the schema's own use three; a database being adopted may use any).
pub fn foreign_keys_are_described_with_their_delete_action(ctx: &Ctx) -> CaseResult {
    let actions = [
        "NO ACTION",
        "RESTRICT",
        "CASCADE",
        "SET NULL",
        "SET DEFAULT",
    ];
    let columns: Vec<String> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| format!("c{i} BIGINT DEFAULT NULL REFERENCES companies (id) ON DELETE {a}"))
        .collect();
    ctx.execute_raw(&format!(
        "CREATE TABLE delete_actions (id BIGINT PRIMARY KEY, {})",
        columns.join(", ")
    ))?;
    let schema = nerve::describe_schema(ctx.url())?;
    let table = schema
        .tables
        .iter()
        .find(|t| t.name == "delete_actions")
        .ok_or("delete_actions is not described")?;
    let mut described: Vec<(String, &str)> = table
        .foreign_keys
        .iter()
        .map(|f| (f.columns.join(", "), f.on_delete.as_str()))
        .collect();
    described.sort();
    let expected: Vec<(String, &str)> = actions
        .iter()
        .enumerate()
        .map(|(i, a)| (format!("c{i}"), *a))
        .collect();
    assert_eq!(described, expected);
    Ok(())
}

/// With `statement_cache` off no prepared statement outlives its call (the setting for a
/// transaction-mode pooler, which cannot keep a connection's prepared statements). A schema
/// change shows whether the option took effect: on PostgreSQL a statement prepared before a
/// column's type changed fails ("cached plan must not change result type"), so a second read
/// succeeds only if nothing was kept. SQLite prepares a statement again after any schema
/// change (it cannot change a column's type; an index is the change here), whatever the option.
pub fn without_a_statement_cache_reads_go_on_after_a_column_type_changes(ctx: &Ctx) -> CaseResult {
    let store = ctx.reopen_with(|o| {
        o.statement_cache = false;
        o.max_connections = 1;
    })?;
    let c = company(&*store, "Widened", None)?;
    assert_eq!(store.companies().get(c.id)?, c);
    ctx.execute_raw(match ctx.backend {
        Backend::Postgres => "ALTER TABLE companies ALTER COLUMN name TYPE VARCHAR(300)",
        // SQLite cannot change a column's type; an index is a schema change too.
        Backend::Sqlite => "CREATE INDEX companies_by_name ON companies (name)",
    })?;
    assert_eq!(store.companies().get(c.id)?, c);
    Ok(())
}

/// After the server ends every connection of a store (a restart, a failover, an idle kill), the
/// next calls go on. The first read is handed a dead connection, fails, and is tried again;
/// from that failure on, for a while, every pooled connection is tested before use
/// (`Env::suspect`), so neither the retry nor the write right after it is handed one of the
/// other dead connections. A write is not tried again once sent (its outcome would be
/// unknown), so it fails if it is. The calls follow the kill at once: a connection idle for
/// more than a second is tested anyway. SQLite's connections live in this process and cannot
/// be ended from outside: there the same calls run on the same pool, nothing ended.
pub fn calls_go_on_after_the_server_ends_every_connection(ctx: &Ctx) -> CaseResult {
    // More dead connections than a read's retries (3, by default).
    const POOL: usize = 6;
    let store = ctx.reopen_with(|o| o.max_connections = POOL as u32)?;
    let acme = company(&*store, "ACME", None)?;
    if ctx.backend == Backend::Postgres {
        // Every connection of the pool opened: POOL transactions held open at once.
        let all_open = std::sync::Barrier::new(POOL);
        let store = &*store;
        let held: Vec<nerve::Result<()>> = std::thread::scope(|s| {
            let threads: Vec<_> = (0..POOL)
                .map(|_| {
                    s.spawn(|| {
                        store.atomic(&mut |repos| {
                            all_open.wait();
                            repos.companies().get(acme.id).map(drop)
                        })
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("no panic"))
                .collect()
        });
        for h in held {
            h?;
        }
        end_every_other_session(ctx)?;
    }
    assert_eq!(store.companies().get(acme.id)?, acme);
    let globex = company(&*store, "Globex", None)?;
    assert_eq!(store.companies().get(globex.id)?, globex);
    Ok(())
}

/// A call that finds every pooled connection in use waits for one at most `connect_timeout`,
/// then fails with `Error::Connect`: it never waits for good. On PostgreSQL the pool's size and
/// wait are set here by the URL's own parameters (`pool_max_size`, `pool_timeout_ms`), which
/// override the options; a SQLite URL has no parameters, so there they are the options.
pub fn a_call_waits_for_a_pooled_connection_at_most_connect_timeout(ctx: &Ctx) -> CaseResult {
    let store = match ctx.backend {
        Backend::Postgres => {
            ctx.reopen_with_url_parameters("pool_max_size=1&pool_timeout_ms=200")?
        }
        Backend::Sqlite => ctx.reopen_with(|o| {
            o.max_connections = 1;
            o.connect_timeout = std::time::Duration::from_millis(200);
        })?,
    };
    let acme = company(&*store, "ACME", None)?;
    let store = &*store;
    let (held_tx, held_rx) = std::sync::mpsc::channel::<()>();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let waited = std::thread::scope(|s| {
        // The one connection, held until the other call has returned (10 s at most: a call
        // that waited longer than its timeout then gets it, and succeeds).
        let holder = s.spawn(move || {
            store.atomic(&mut |repos| {
                let _ = held_tx.send(());
                let _ = done_rx.recv_timeout(std::time::Duration::from_secs(10));
                repos.companies().get(acme.id).map(drop)
            })
        });
        let waited = held_rx
            .recv()
            .map(|()| store.companies().get(acme.id).map(drop));
        let _ = done_tx.send(());
        let held = holder.join().expect("no panic");
        (waited, held)
    });
    let (waited, held) = waited;
    held?;
    let waited = waited?;
    assert!(matches!(waited, Err(Error::Connect { .. })), "{waited:?}");
    Ok(())
}

/// A read held up by another session's lock. Where the backend has a statement timeout
/// (`Capabilities::statement_timeout`: PostgreSQL, set here by the URL's
/// `statement_timeout_ms`, which overrides the options), the timeout ends the wait with an
/// error naming the table, and once the lock is gone the same read succeeds. SQLite has none
/// and needs none here: in WAL mode a reader never waits for a writer, so the read returns at
/// once while another connection holds the write lock.
pub fn a_read_held_up_by_a_lock_ends_at_the_statement_timeout(ctx: &Ctx) -> CaseResult {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let timeout = std::time::Duration::from_millis(200);
    let store = if ctx.store.capabilities().statement_timeout {
        ctx.reopen_with_url_parameters(&format!("statement_timeout_ms={}", timeout.as_millis()))?
    } else {
        ctx.reopen_with(|o| o.statement_timeout = Some(timeout))?
    };
    let acme = company(&*store, "ACME", None)?;
    // Another session takes the lock: on PostgreSQL one that every read of the table waits
    // for; on SQLite the write lock.
    let locker: Box<dyn SimpleConnection> = match ctx.sqlite_file() {
        None => {
            let mut c = diesel::PgConnection::establish(ctx.direct_url())?;
            c.batch_execute("BEGIN; LOCK TABLE companies IN ACCESS EXCLUSIVE MODE")?;
            Box::new(c)
        }
        Some(path) => {
            let mut c = diesel::SqliteConnection::establish(path)?;
            c.batch_execute("BEGIN IMMEDIATE; DELETE FROM companies WHERE id < 0")?;
            Box::new(c)
        }
    };
    let store = &*store;
    let (tx, rx) = std::sync::mpsc::channel();
    let read = std::thread::scope(|s| {
        s.spawn(move || {
            let _ = tx.send(store.companies().get(acme.id));
        });
        // A read that waits longer than this has no timeout: the lock is then let go, so that
        // it returns (and the case fails) instead of hanging.
        let read = rx.recv_timeout(std::time::Duration::from_secs(10));
        let mut locker = locker;
        let released = locker.batch_execute("ROLLBACK");
        let read = read.or_else(|_| rx.recv());
        (read, released)
    });
    let (read, released) = read;
    released?;
    if ctx.store.capabilities().statement_timeout {
        match read? {
            Err(e) => assert!(e.to_string().contains("companies"), "{e}"),
            Ok(_) => panic!("the read waited for the lock past the statement timeout"),
        }
        assert_eq!(store.companies().get(acme.id)?, acme);
    } else {
        assert_eq!(read??, acme);
    }
    Ok(())
}

/// Ends every session of the test's PostgreSQL database but its own, as a server restart or
/// an idle-session kill would, and returns once the server shows none left.
fn end_every_other_session(ctx: &Ctx) -> CaseResult {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};
    // A raw session on the database itself (the store's URL may go through pgbouncer).
    let others = "FROM pg_stat_activity WHERE datname = current_database() \
                  AND pid <> pg_backend_pid()";
    let mut admin = diesel::PgConnection::establish(ctx.direct_url())?;
    admin.batch_execute(&format!("SELECT pg_terminate_backend(pid) {others}"))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let left: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "(SELECT count(*) {others})"
        )))
        .get_result(&mut admin)?;
        if left == 0 {
            return Ok(());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} sessions still running"
        );
        std::thread::yield_now();
    }
}

/// Pooled connections the server ended while they sat idle (an idle-session kill, a restart
/// at night) are not handed to the next call: a connection idle for more than a second
/// (`IDLE_BEFORE_TEST`) is tested at checkout, so even a write, which is not tried again once
/// sent, goes on. SQLite's connections cannot be ended from outside: there the write after the
/// idle second runs on the same pool, nothing ended.
pub fn connections_ended_while_idle_are_replaced_before_a_write(ctx: &Ctx) -> CaseResult {
    let store = ctx.reopen_with(|o| o.max_connections = 2)?;
    let acme = company(&*store, "ACME", None)?;
    if ctx.backend == Backend::Postgres {
        end_every_other_session(ctx)?;
    }
    // Idle for longer than IDLE_BEFORE_TEST: the time itself is what is waited for.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let globex = company(&*store, "Globex", None)?;
    assert_eq!(store.companies().get(globex.id)?, globex);
    assert_eq!(store.companies().get(acme.id)?, acme);
    Ok(())
}

/// A transaction (`Store::atomic`) whose connection the server ended while it ran is not run
/// again: its closure ran, and may have done what the store cannot see, so the caller gets
/// `Error::Connection` (outcome unknown) and decides. SQLite's connections cannot be ended
/// from outside: there the closure runs once and the transaction commits.
pub fn a_transaction_whose_connection_was_ended_is_not_run_again(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let mut runs = 0;
    let out = ctx.store.atomic(&mut |repos| {
        runs += 1;
        if runs == 1 && ctx.backend == Backend::Postgres {
            if let Err(e) = end_every_other_session(ctx) {
                panic!("ending the sessions: {e}");
            }
        }
        repos.companies().get(acme.id).map(drop)
    });
    assert_eq!(runs, 1);
    match ctx.backend {
        Backend::Postgres => assert!(matches!(out, Err(Error::Connection { .. })), "{out:?}"),
        Backend::Sqlite => out?,
    }
    // The store goes on.
    assert_eq!(ctx.store.companies().get(acme.id)?, acme);
    Ok(())
}
