use super::{company, new_user, user};
use nerve::model::{Deleted, Page};
use nerve::{Constraint, Error, Store, StoreExt};
use nerve_conformance::{assert_err, CaseResult, Ctx};

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
