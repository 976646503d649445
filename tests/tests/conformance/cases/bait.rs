use super::{company, events_of_type, user};
use chrono::Duration;
use nerve::model::{
    BaitTokenType, Deleted, NewBaitAccess, NewBaitToken, Page, SecurityEventType, Severity,
};
use nerve::{Backend, Clock, Constraint, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};
use serde_json::json;

fn token(value: &str) -> NewBaitToken {
    NewBaitToken {
        user_id: None,
        token_type: BaitTokenType::AwsKey,
        token_value: value.into(),
        label: format!("bait {value}"),
        description: Some("planted in the build server's env".into()),
        metadata: Some(json!({"where": "ci", "ünï": [1, 2]})),
    }
}

fn access(ip: &str) -> NewBaitAccess {
    NewBaitAccess {
        ip_address: Some(ip.into()),
        user_agent: Some("curl/8.5".into()),
        location: Some("Reykjavík".into()),
        raw_request: Some(json!({"method": "GET", "headers": {"x": "ü"}})),
    }
}

pub fn tokens_are_created_listed_and_scoped(ctx: &Ctx) -> CaseResult {
    let bait = ctx.store.bait();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let owner = user(&*ctx.store, acme.id, "owner@acme.test")?;
    let mut new = token("AKIA0000FAKE0001");
    new.user_id = Some(owner.id);
    let t = bait.create_token(acme.id, &new)?;
    assert_eq!(
        (
            t.company_id,
            t.user_id,
            t.token_type,
            t.access_count,
            t.is_active
        ),
        (acme.id, Some(owner.id), BaitTokenType::AwsKey, 0, true)
    );
    assert_eq!(t.metadata, new.metadata);
    assert_eq!(t.created_at, ctx.clock.now());
    assert_eq!(bait.get_token(acme.id, t.id)?, t);
    // Another tenant sees nothing and touches nothing.
    assert_err!(
        bait.get_token(other.id, t.id),
        Error::NotFound {
            table: "bait_tokens",
            ..
        }
    );
    assert_err!(bait.deactivate(other.id, t.id), Error::NotFound { .. });
    assert_err!(
        bait.list_accesses(other.id, t.id, Page::first(10)),
        Error::NotFound { .. }
    );
    assert!(bait
        .list_tokens(other.id, Page::first(10), Deleted::Include)?
        .is_empty());
    // A user of another company cannot plant for this one.
    let stranger = user(&*ctx.store, other.id, "x@other.test")?;
    let mut foreign = token("AKIA0000FAKE0002");
    foreign.user_id = Some(stranger.id);
    assert_err!(
        bait.create_token(acme.id, &foreign),
        Error::NotFound { table: "users", .. }
    );
    // The value is unique across every token, whoever owns it.
    assert_err!(
        bait.create_token(other.id, &token("AKIA0000FAKE0001")),
        Error::Conflict {
            table: "bait_tokens",
            field: "token_value",
            constraint: Constraint::Unique,
            ..
        }
    );
    // Validation names the field; nothing is written.
    for (bad, field) in [
        (
            NewBaitToken {
                token_value: "".into(),
                ..token("x")
            },
            "token_value",
        ),
        (
            NewBaitToken {
                token_value: "v".repeat(513),
                ..token("x")
            },
            "token_value",
        ),
        (
            NewBaitToken {
                label: " ".into(),
                ..token("y")
            },
            "label",
        ),
        (
            NewBaitToken {
                metadata: Some(json!({"a": "\u{0}"})),
                ..token("z")
            },
            "metadata",
        ),
    ] {
        assert_err!(
            bait.create_token(acme.id, &bad),
            Error::Validation { table: "bait_tokens", field: f, .. } if f == field
        );
    }
    assert_err!(
        bait.create_token(i64::MAX, &token("w")),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    // Paging: ascending ids, no gaps or duplicates while tokens are added between pages.
    for i in 0..5 {
        bait.create_token(acme.id, &token(&format!("page-{i}")))?;
    }
    let first = bait.list_tokens(acme.id, Page::first(3), Deleted::Exclude)?;
    bait.create_token(acme.id, &token("late"))?;
    let rest = bait.list_tokens(
        acme.id,
        Page::after(first.last().map(|t| t.id).unwrap_or(0), 100),
        Deleted::Exclude,
    )?;
    let ids: Vec<i64> = first.iter().chain(&rest).map(|t| t.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 7);
    assert_err!(
        bait.list_tokens(acme.id, Page::first(0), Deleted::Exclude),
        Error::Validation { field: "limit", .. }
    );
    Ok(())
}

pub fn an_access_is_recorded_with_its_counter_and_event(ctx: &Ctx) -> CaseResult {
    let bait = ctx.store.bait();
    let acme = company(&*ctx.store, "ACME", None)?;
    let t = bait.create_token(acme.id, &token("https://acme.test/.git/config"))?;
    let mut ids = Vec::new();
    for i in 0..3 {
        ctx.clock.advance(Duration::minutes(1));
        let r = bait.record_access(&t.token_value, &access(&format!("203.0.113.{i}")))?;
        assert_eq!((r.token.id, r.token.access_count), (t.id, i + 1));
        assert_eq!(r.token.last_accessed_at, Some(ctx.clock.now()));
        assert_eq!(r.access.accessed_at, ctx.clock.now());
        assert!(r.access.token_was_active);
        assert_eq!(r.access.raw_request, access("x").raw_request);
        assert_eq!(
            (r.event.event_type, r.event.severity, r.event.company_id),
            (
                SecurityEventType::HoneytokenAccess,
                Severity::Critical,
                Some(acme.id)
            )
        );
        assert_eq!(
            r.event
                .metadata
                .as_ref()
                .and_then(|m| m["access_id"].as_i64()),
            Some(r.access.id)
        );
        assert_eq!(
            r.event.ip_address.as_deref(),
            Some(format!("203.0.113.{i}").as_str())
        );
        ids.push(r.access.id);
    }
    assert_eq!(bait.get_token(acme.id, t.id)?.access_count, 3);
    // Newest first, paged by the last id seen.
    let page = bait.list_accesses(acme.id, t.id, Page::first(2))?;
    assert_eq!(
        page.iter().map(|a| a.id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    let next = bait.list_accesses(acme.id, t.id, Page::after(ids[1], 2))?;
    assert_eq!(next.iter().map(|a| a.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert_eq!(
        events_of_type(&*ctx.store, SecurityEventType::HoneytokenAccess)?.len(),
        3
    );
    // An unknown value is NotFound and writes nothing; bad client data is refused first.
    assert_err!(
        bait.record_access("no such token", &access("203.0.113.9")),
        Error::NotFound {
            table: "bait_tokens",
            ..
        }
    );
    for impossible in ["", "a\u{0}b", &"v".repeat(513)] {
        assert_err!(
            bait.record_access(impossible, &access("203.0.113.9")),
            Error::NotFound {
                table: "bait_tokens",
                ..
            }
        );
    }
    assert_err!(
        bait.record_access(&t.token_value, &access("not an address")),
        Error::Validation {
            table: "bait_accesses",
            field: "ip_address",
            ..
        }
    );
    assert_eq!(bait.get_token(acme.id, t.id)?.access_count, 3);
    assert_eq!(
        events_of_type(&*ctx.store, SecurityEventType::HoneytokenAccess)?.len(),
        3
    );
    Ok(())
}

pub fn an_access_whose_event_fails_leaves_nothing(ctx: &Ctx) -> CaseResult {
    let bait = ctx.store.bait();
    let acme = company(&*ctx.store, "ACME", None)?;
    let t = bait.create_token(acme.id, &token("canary.acme.test"))?;
    bait.record_access(&t.token_value, &access("198.51.100.1"))?;
    // Make the security event's insert fail, after the counter and the access row are written.
    ctx.execute_raw(match ctx.backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_events BEFORE INSERT ON security_events \
             BEGIN SELECT RAISE(ABORT, 'refused for the test'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS \
               $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$; \
             CREATE TRIGGER refuse_events BEFORE INSERT ON security_events \
               FOR EACH ROW EXECUTE FUNCTION refuse_events();"
        }
    })?;
    ctx.clock.advance(Duration::minutes(5));
    assert_err!(
        bait.record_access(&t.token_value, &access("198.51.100.2")),
        Error::Backend {
            table: "security_events",
            ..
        }
    );
    let after = bait.get_token(acme.id, t.id)?;
    assert_eq!(after.access_count, 1, "the counter did not move");
    assert_ne!(after.last_accessed_at, Some(ctx.clock.now()));
    assert_eq!(
        bait.list_accesses(acme.id, t.id, Page::first(10))?.len(),
        1,
        "no access row"
    );
    assert_eq!(
        events_of_type(&*ctx.store, SecurityEventType::HoneytokenAccess)?.len(),
        1
    );
    Ok(())
}

pub fn a_deactivated_token_still_records_flagged(ctx: &Ctx) -> CaseResult {
    let bait = ctx.store.bait();
    let acme = company(&*ctx.store, "ACME", None)?;
    let t = bait.create_token(acme.id, &token("svc-backup:hunter2"))?;
    bait.deactivate(acme.id, t.id)?;
    assert_err!(bait.deactivate(acme.id, t.id), Error::NotFound { .. });
    assert_err!(bait.get_token(acme.id, t.id), Error::NotFound { .. });
    assert!(bait
        .list_tokens(acme.id, Page::first(10), Deleted::Exclude)?
        .is_empty());
    let r = bait.record_access(&t.token_value, &NewBaitAccess::default())?;
    assert!(!r.access.token_was_active, "flagged");
    assert_eq!((r.token.access_count, r.token.is_active), (1, false));
    assert_eq!(r.event.severity, Severity::High);
    assert_eq!(bait.list_accesses(acme.id, t.id, Page::first(10))?.len(), 1);
    let listed = bait.list_tokens(acme.id, Page::first(10), Deleted::Only)?;
    assert_eq!(
        listed.iter().map(|t| t.access_count).collect::<Vec<_>>(),
        vec![1]
    );
    // Its value stays taken, and reactivation brings it back with its count.
    assert_err!(
        bait.create_token(acme.id, &token("svc-backup:hunter2")),
        Error::Conflict { .. }
    );
    let back = bait.reactivate(acme.id, t.id)?;
    assert_eq!((back.is_active, back.access_count), (true, 1));
    assert_eq!(
        bait.reactivate(acme.id, t.id)?,
        back,
        "reactivating an active token changes nothing"
    );
    let r = bait.record_access(&t.token_value, &NewBaitAccess::default())?;
    assert!(r.access.token_was_active);
    Ok(())
}

pub fn concurrent_accesses_are_all_counted(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let t = ctx
        .store
        .bait()
        .create_token(acme.id, &token("concurrent"))?;
    let store: std::sync::Arc<dyn nerve::Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let store = store.clone();
            let value = t.token_value.clone();
            s.spawn(move || {
                for _ in 0..5 {
                    store
                        .bait()
                        .record_access(&value, &NewBaitAccess::default())
                        .expect("recorded");
                }
            });
        }
    });
    let after = ctx.store.bait().get_token(acme.id, t.id)?;
    assert_eq!(after.access_count, 20);
    assert_eq!(
        ctx.store
            .bait()
            .list_accesses(acme.id, t.id, Page::first(100))?
            .len(),
        20
    );
    Ok(())
}
