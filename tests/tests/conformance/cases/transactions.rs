use super::{company, new_user, user};
use nerve::model::{Deleted, Page};
use nerve::{Backend, Constraint, Error, MigrationPolicy, Store, StoreExt};
use nerve_conformance::{assert_err, counting_retries, error_signature, CaseResult, Ctx, Retries};

fn counts(store: &dyn Store) -> nerve::Result<(usize, usize)> {
    let companies = store
        .companies()
        .list(Page::first(1000), Deleted::Include)?;
    let mut users = 0;
    for c in &companies {
        users += store
            .users()
            .list(c.id, Page::first(1000), Deleted::Include)?
            .len();
    }
    Ok((companies.len(), users))
}

pub fn atomic_commits_every_call_together(ctx: &Ctx) -> CaseResult {
    let mut ids = None;
    ctx.store.atomic(&mut |tx| {
        let c = tx.companies().create(&nerve::model::NewCompany {
            name: "T".into(),
            domain: Some("t.test".into()),
        })?;
        let u = tx.users().create(c.id, &new_user("t@t.test"))?;
        // Reads inside the transaction see its own writes.
        assert_eq!(tx.users().get(c.id, u.id)?.email, "t@t.test");
        ids = Some((c.id, u.id));
        Ok(())
    })?;
    let (cid, uid) = ids.ok_or("the closure did not run")?;
    assert_eq!(ctx.store.companies().get(cid)?.name, "T");
    assert_eq!(ctx.store.users().get(cid, uid)?.email, "t@t.test");
    Ok(())
}

pub fn atomic_error_rolls_back_every_call(ctx: &Ctx) -> CaseResult {
    let result = ctx.store.atomic(&mut |tx| {
        let c = tx.companies().create(&nerve::model::NewCompany {
            name: "Doomed".into(),
            domain: None,
        })?;
        tx.users().create(c.id, &new_user("doomed@example.com"))?;
        Err(Error::Validation {
            table: "users",
            field: "-",
            reason: "the caller changed its mind".into(),
        })
    });
    assert_err!(result, Error::Validation { ref reason, .. } if reason == "the caller changed its mind");
    assert_eq!(counts(&*ctx.store)?, (0, 0));
    // A panic inside the closure also rolls everything back, and the store stays usable.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = ctx.store.atomic(&mut |tx| {
            tx.companies().create(&nerve::model::NewCompany {
                name: "Panic".into(),
                domain: None,
            })?;
            panic!("boom");
        });
    }));
    assert!(panicked.is_err());
    assert_eq!(counts(&*ctx.store)?, (0, 0));
    company(&*ctx.store, "After", None)?;
    assert_eq!(counts(&*ctx.store)?, (1, 0));
    Ok(())
}

pub fn failed_call_inside_atomic_leaves_no_partial_write(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    user(&*ctx.store, c.id, "taken@example.com")?;
    ctx.store.atomic(&mut |tx| {
        tx.users().create(c.id, &new_user("fresh@example.com"))?;
        // This call fails; the transaction goes on (each call is a savepoint).
        let dup = tx.users().create(c.id, &new_user("TAKEN@example.com"));
        assert!(
            matches!(
                dup,
                Err(Error::Conflict {
                    field: "email",
                    constraint: Constraint::Unique,
                    ..
                })
            ),
            "{dup:?}"
        );
        tx.users().create(c.id, &new_user("later@example.com"))?;
        Ok(())
    })?;
    let emails: Vec<String> = ctx
        .store
        .users()
        .list(c.id, Page::first(10), Deleted::Include)?
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(
        emails,
        vec![
            "taken@example.com",
            "fresh@example.com",
            "later@example.com"
        ]
    );
    Ok(())
}

pub fn transaction_returns_the_closure_value(ctx: &Ctx) -> CaseResult {
    let (c, u) = ctx.store.transaction(|tx| {
        let c = tx.companies().create(&nerve::model::NewCompany {
            name: "V".into(),
            domain: None,
        })?;
        let u = tx.users().create(c.id, &new_user("v@example.com"))?;
        Ok((c, u))
    })?;
    assert_eq!(ctx.store.companies().get(c.id)?, c);
    assert_eq!(ctx.store.users().get(c.id, u.id)?, u);
    let failed: nerve::Result<i64> = ctx.store.transaction(|tx| {
        tx.companies().create(&nerve::model::NewCompany {
            name: "W".into(),
            domain: None,
        })?;
        tx.companies().get(-5).map(|c| c.id)
    });
    assert_err!(
        failed,
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_eq!(counts(&*ctx.store)?, (1, 1));
    Ok(())
}

pub fn concurrent_writers_all_succeed(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "Busy", None)?;
    let store: &dyn Store = &*ctx.store;
    let errors: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|t| {
                s.spawn(move || {
                    let mut errors = Vec::new();
                    for i in 0..10 {
                        // A read-then-write transaction and a plain write, interleaved.
                        let r = store.transaction(|tx| {
                            let n = tx
                                .users()
                                .list(c.id, Page::first(1000), Deleted::Include)?
                                .len();
                            tx.users()
                                .create(c.id, &new_user(&format!("t{t}-{i}-{n}@example.com")))
                        });
                        if let Err(e) = r {
                            errors.push(e.to_string());
                        }
                        if let Err(e) = store.companies().create(&nerve::model::NewCompany {
                            name: format!("c{t}-{i}"),
                            domain: None,
                        }) {
                            errors.push(e.to_string());
                        }
                    }
                    errors
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|_| vec!["panicked".into()]))
            .collect()
    });
    assert!(
        errors.is_empty(),
        "{} failed writes, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(counts(store)?, (41, 40));
    Ok(())
}

pub fn safe_update_with_a_stale_version_changes_nothing(ctx: &Ctx) -> CaseResult {
    use nerve::Clock;
    let raw = ctx.store.raw_rows();
    let c = company(&*ctx.store, "ACME", Some("acme.test"))?;
    let v1 = c.updated_at;
    ctx.clock.advance(chrono::Duration::seconds(5));
    let row = raw.safe_update(
        "companies",
        c.id,
        v1,
        &serde_json::json!({"name": "ACME Corp"}),
    )?;
    assert_eq!(
        (row["name"].as_str(), row["domain"].as_str()),
        (Some("ACME Corp"), Some("acme.test"))
    );
    let v2 = ctx.store.companies().get(c.id)?.updated_at;
    assert_eq!(v2, ctx.clock.now());
    // The version read before is stale now: refused, nothing written.
    assert_err!(
        raw.safe_update(
            "companies",
            c.id,
            v1,
            &serde_json::json!({"name": "Lost update"})
        ),
        Error::Conflict {
            table: "companies",
            field: "updated_at",
            constraint: Constraint::Stale,
            ..
        }
    );
    assert_eq!(ctx.store.companies().get(c.id)?.name, "ACME Corp");
    for (changes, field) in [
        (serde_json::json!({"id": 5}), "id"),
        (
            serde_json::json!({"updated_at": "2026-01-01T00:00:00Z"}),
            "updated_at",
        ),
        (serde_json::json!({"name": "x".repeat(256)}), "name"),
        (serde_json::json!({"nope": 1}), "-"),
    ] {
        assert_err!(
            raw.safe_update("companies", c.id, v2, &changes),
            Error::Validation { table: "companies", field: f, .. } if f == field
        );
    }
    assert_err!(
        raw.safe_update("companies", i64::MAX - 1, v2, &serde_json::json!({})),
        Error::NotFound { .. }
    );
    assert_err!(
        raw.safe_update("login_attempts", 1, v2, &serde_json::json!({})),
        Error::NotFound { .. }
            | Error::Validation {
                field: "updated_at",
                ..
            }
    );
    // Six writers holding the same version: exactly one wins.
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    let outcomes: Vec<Result<(), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let store = store.clone();
                s.spawn(move || {
                    store
                        .raw_rows()
                        .safe_update(
                            "companies",
                            c.id,
                            v2,
                            &serde_json::json!({"name": format!("writer {i}")}),
                        )
                        .map(drop)
                        .map_err(|e| format!("{e:?}"))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .filter_map(|o| o.as_ref().err())
            .all(|e| e.contains("Stale")),
        "{outcomes:?}"
    );
    assert!(ctx.store.companies().get(c.id)?.name.starts_with("writer "));
    Ok(())
}

pub fn batch_insert_writes_every_row_or_none(ctx: &Ctx) -> CaseResult {
    let raw = ctx.store.raw_rows();
    let at = "2026-11-01T10:00:00.123456Z";
    let attempt = |i: usize| {
        serde_json::json!({
            "email": format!("user{}@acme.test", i % 100),
            "ip_address": "192.0.2.1",
            "success": i.is_multiple_of(3),
            "failure": if i.is_multiple_of(3) { serde_json::Value::Null } else { "bad_password".into() },
            "attempted_at": at,
        })
    };
    // 25 000 rows: several statements on every backend (SQLite binds 32 766 values at most).
    let rows: Vec<serde_json::Value> = (0..25_000).map(attempt).collect();
    assert_eq!(raw.batch_insert("login_attempts", &rows)?, 25_000);
    let count = |ctx: &Ctx| -> nerve::Result<u64> {
        Ok(ctx
            .store
            .admin()
            .stats()?
            .tables
            .iter()
            .find(|t| t.table == "login_attempts")
            .map_or(0, |t| t.rows))
    };
    assert_eq!(count(ctx)?, 25_000);
    let first = raw.get("login_attempts", 1)?;
    assert_eq!(
        (first["attempted_at"].as_str(), first["success"].as_bool()),
        (Some(at), Some(true))
    );
    assert_eq!(
        raw.get("login_attempts", 25_000)?["email"],
        "user99@acme.test"
    );
    // One bad row refuses the whole batch, naming it: row 7 of 10, and the last of 25 000,
    // whose first rows went to the database (a driver takes a batch a statement's worth at a
    // time) in the same transaction: none stays.
    for (size, at) in [(10, 7), (25_000, 24_999)] {
        let mut bad: Vec<serde_json::Value> = (0..size).map(attempt).collect();
        bad[at]["failure"] = "not_a_reason".into();
        let row = format!("row {at}:");
        assert_err!(
            raw.batch_insert("login_attempts", &bad),
            Error::Validation { table: "login_attempts", field: "failure", ref reason } if reason.starts_with(&row)
        );
        assert_eq!(count(ctx)?, 25_000);
    }
    // Explicit ids are kept, and the identity moves past them.
    let mut given = attempt(1);
    given["id"] = 1_000_000.into();
    let mut other = attempt(2);
    other["id"] = 1_000_001.into();
    assert_err!(
        raw.batch_insert("login_attempts", &[given.clone(), attempt(2)]),
        Error::Validation { field: "id", .. }
    );
    assert_eq!(raw.batch_insert("login_attempts", &[given, other])?, 2);
    assert_eq!(
        raw.get("login_attempts", 1_000_000)?["email"],
        "user1@acme.test"
    );
    let next = raw.batch_insert("login_attempts", &[attempt(3)])?;
    assert_eq!(next, 1);
    assert_eq!(count(ctx)?, 25_003);
    assert_err!(
        raw.batch_insert("nope", &[attempt(1)]),
        Error::Validation { field: "table", .. }
    );
    Ok(())
}

/// A write the database refuses for its values (here a unique key) is returned at once: only
/// what the database rolled back itself, or what failed before the transaction began, is tried
/// again (the store says so as a `warn` event, counted here).
pub fn a_write_refused_for_its_values_is_not_tried_again(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    user(&*ctx.store, c.id, "a@acme.test")?;
    let (out, retries) = nerve_conformance::retries_during(|| {
        ctx.store.users().create(c.id, &new_user("a@acme.test"))
    });
    assert_err!(out, Error::Conflict { .. });
    assert_eq!(retries, 0, "a conflict was tried again");
    Ok(())
}

/// A write whose commit the database refuses is an error, and leaves nothing: a store never
/// reports a write done before the answer to its commit is in. Here the refusal is a deferred
/// foreign key (checked only at commit) added to `companies.id` behind the store's back,
/// pointing at a table with no rows, so every new company breaks it at commit: through SQLite's
/// schema text (`writable_schema`), and on PostgreSQL by `ALTER TABLE ... NOT VALID`. Run as
/// one statement on its own (no `BEGIN`), SQLite commits when the statement ends, so the store
/// must read the statement to its end rather than take the `RETURNING` row and go.
pub fn a_write_whose_commit_is_refused_is_an_error_and_leaves_nothing(ctx: &Ctx) -> CaseResult {
    match ctx.backend {
        Backend::Sqlite => ctx.execute_raw(
            "CREATE TABLE other (x INTEGER PRIMARY KEY); PRAGMA writable_schema = ON; \
             UPDATE sqlite_schema SET sql = replace(sql, 'id          INTEGER PRIMARY KEY,', \
             'id INTEGER PRIMARY KEY REFERENCES other (x) DEFERRABLE INITIALLY DEFERRED,') \
             WHERE type = 'table' AND name = 'companies'; \
             PRAGMA schema_version = 100000; PRAGMA writable_schema = OFF",
        )?,
        Backend::Postgres => ctx.execute_raw(
            "CREATE TABLE other (x BIGINT PRIMARY KEY); ALTER TABLE companies ADD CONSTRAINT \
             companies_id_other_fkey FOREIGN KEY (id) REFERENCES other (x) \
             DEFERRABLE INITIALLY DEFERRED NOT VALID",
        )?,
    }
    let store = ctx.reopen(MigrationPolicy::Require)?;
    let created = company(&*store, "ACME", None);
    let e = created.expect_err("a company whose commit was refused");
    assert_eq!(error_signature(&e), "Conflict(ForeignKey companies)", "{e}");
    assert_eq!(
        ctx.query_strings("SELECT name AS value FROM companies")?,
        Vec::<String>::new()
    );
    Ok(())
}

/// A transaction (`Store::atomic`) whose `BEGIN` the database refused, with nothing of it
/// run, is tried again, and runs once the obstacle is gone. On SQLite another connection holds
/// the write lock past the busy timeout (5 s): the store's `BEGIN IMMEDIATE` is refused, the
/// store says it tries again (a `warn` event, watched here), the lock is then let go, and the
/// transaction commits at its next try. PostgreSQL's `BEGIN` takes no lock, so there the same
/// call, beside another session's open write, runs at its first try.
pub fn a_transaction_whose_begin_was_refused_is_tried_again(ctx: &Ctx) -> CaseResult {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let mut locker: Box<dyn SimpleConnection> = match ctx.sqlite_file() {
        Some(path) => {
            let mut c = diesel::SqliteConnection::establish(path)?;
            c.batch_execute("BEGIN IMMEDIATE")?;
            Box::new(c)
        }
        None => {
            let mut c = diesel::PgConnection::establish(ctx.direct_url())?;
            c.batch_execute("BEGIN; CREATE TABLE other_write (x INTEGER)")?;
            Box::new(c)
        }
    };
    let retries = std::sync::Arc::new(Retries::default());
    let store = &*ctx.store;
    let (created, released) = std::thread::scope(|s| {
        let call = s.spawn(|| {
            counting_retries(&retries, || {
                store.atomic(&mut |repos| {
                    let acme = nerve::model::NewCompany {
                        name: "ACME".into(),
                        domain: None,
                    };
                    repos.companies().create(&acme).map(drop)
                })
            })
        });
        // Until the store says it tries again, or the call ends (at its first try, or with an
        // error): then the lock is let go.
        while retries.count() == 0 && !call.is_finished() {
            retries.wait_for_change(0, std::time::Duration::from_millis(50));
        }
        let released = locker.batch_execute("ROLLBACK");
        (call.join().expect("no panic"), released)
    });
    released?;
    created?;
    let expected_retries = match ctx.backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 0,
    };
    assert_eq!(retries.count(), expected_retries);
    assert_eq!(
        ctx.query_strings("SELECT name AS value FROM companies")?,
        ["ACME"]
    );
    Ok(())
}

/// A write whose transaction the database rolled back itself after it began (a serialization
/// failure or a deadlock: nothing of it was committed) is tried again, and then succeeds. On
/// PostgreSQL a trigger makes the first attempt fail so: it raises `serialization_failure` when
/// a sequence (which no rollback takes back) first moves. SQLite takes its write lock at
/// `BEGIN IMMEDIATE`, so it never rolls back a transaction once begun (a lock held past the
/// busy timeout refuses the `BEGIN` itself): there the same call succeeds at its first try.
pub fn a_write_the_database_rolled_back_is_tried_again(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    ctx.store.companies().soft_delete(c.id)?;
    let expected_retries = match ctx.backend {
        nerve::Backend::Postgres => {
            ctx.execute_raw(
                "CREATE SEQUENCE first_update_fails;
                 CREATE FUNCTION fail_first_update() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                     IF nextval('first_update_fails') = 1 THEN
                         RAISE EXCEPTION 'the first update fails' USING ERRCODE = 'serialization_failure';
                     END IF;
                     RETURN NEW;
                 END $$;
                 CREATE TRIGGER fail_first_update BEFORE UPDATE ON companies
                     FOR EACH ROW EXECUTE FUNCTION fail_first_update()",
            )?;
            1
        }
        nerve::Backend::Sqlite => 0,
    };
    // `restore` is one transaction of two statements (UPDATE, then SELECT).
    let (restored, retries) =
        nerve_conformance::retries_during(|| ctx.store.companies().restore(c.id));
    let restored = restored?;
    assert_eq!((restored.id, restored.deleted_at), (c.id, None));
    assert_eq!(retries, expected_retries);

    // A write of one statement (`update`, which PostgreSQL runs without BEGIN) the same.
    if ctx.backend == nerve::Backend::Postgres {
        ctx.execute_raw("ALTER SEQUENCE first_update_fails RESTART")?;
    }
    let (updated, retries) = nerve_conformance::retries_during(|| {
        let rename = nerve::model::CompanyUpdate {
            name: Some("Globex".into()),
            domain: None,
        };
        ctx.store.companies().update(c.id, &rename)
    });
    assert_eq!(updated?.name, "Globex");
    assert_eq!(retries, expected_retries);

    // `Store::atomic` is not run again once its transaction began: its closure may have done
    // more than the store can see, so a rollback by the database is returned to the caller.
    if ctx.backend == nerve::Backend::Postgres {
        ctx.execute_raw("ALTER SEQUENCE first_update_fails RESTART")?;
    }
    let mut runs = 0;
    let out = ctx.store.atomic(&mut |repos| {
        runs += 1;
        repos.companies().soft_delete(c.id)
    });
    assert_eq!(runs, 1);
    match ctx.backend {
        nerve::Backend::Postgres => {
            assert!(
                matches!(
                    out,
                    Err(Error::Transaction {
                        rolled_back: true,
                        ..
                    })
                ),
                "{out:?}"
            );
            assert_eq!(ctx.store.companies().get(c.id)?.deleted_at, None);
        }
        nerve::Backend::Sqlite => {
            out?;
            assert_err!(ctx.store.companies().get(c.id), Error::NotFound { .. });
        }
    }
    Ok(())
}
