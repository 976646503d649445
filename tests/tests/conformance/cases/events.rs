use super::{company, user};
use chrono::Duration;
use nerve::model::{EventFilter, NewSecurityEvent, Page, SecurityEventType, Severity};
use nerve::{Clock, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};

fn event(company_id: Option<i64>, severity: Severity, text: &str) -> NewSecurityEvent {
    let mut e = NewSecurityEvent::new(SecurityEventType::Other, severity, text);
    e.company_id = company_id;
    e.ip_address = Some("198.51.100.4".into());
    e.metadata = Some(serde_json::json!({ "rule": text, "score": 7 }));
    e
}

pub fn events_list_by_severity_time_and_company(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let events = ctx.store.security_events();
    let t0 = ctx.clock.now();
    let low = events.record(&event(Some(c.id), Severity::Low, "low"))?;
    let t1 = ctx.clock.advance(Duration::hours(1));
    let high = events.record(&event(Some(c.id), Severity::High, "high"))?;
    ctx.clock.advance(Duration::hours(1));
    let critical = events.record(&event(None, Severity::Critical, "platform"))?;
    let elsewhere = events.record(&event(Some(other.id), Severity::High, "other"))?;
    assert_eq!((low.created_at, high.created_at), (t0, t1));
    assert_eq!(
        low.metadata,
        Some(serde_json::json!({ "rule": "low", "score": 7 }))
    );
    assert!(!low.acknowledged);
    let ids = |f: EventFilter| -> nerve::Result<Vec<i64>> {
        Ok(events
            .list(&f, Page::first(100))?
            .iter()
            .map(|e| e.id)
            .collect())
    };
    assert_eq!(
        ids(EventFilter::default())?,
        vec![elsewhere.id, critical.id, high.id, low.id]
    );
    assert_eq!(
        ids(EventFilter {
            severities: vec![Severity::High, Severity::Critical],
            ..Default::default()
        })?,
        vec![elsewhere.id, critical.id, high.id]
    );
    assert_eq!(
        ids(EventFilter {
            company_id: Some(c.id),
            ..Default::default()
        })?,
        vec![high.id, low.id]
    );
    assert_eq!(
        ids(EventFilter {
            from: Some(t1),
            until: Some(t1 + Duration::minutes(1)),
            ..Default::default()
        })?,
        vec![high.id]
    );
    assert_eq!(
        ids(EventFilter {
            acknowledged: Some(true),
            ..Default::default()
        })?,
        Vec::<i64>::new()
    );
    let first = events.list(&EventFilter::default(), Page::first(2))?;
    let rest: Vec<i64> = events
        .list(&EventFilter::default(), Page::after(first[1].id, 10))?
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(rest, vec![high.id, low.id]);
    Ok(())
}

pub fn acknowledging_twice_keeps_the_first(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let alice = user(&*ctx.store, c.id, "alice@example.com")?;
    let bob = user(&*ctx.store, c.id, "bob@example.com")?;
    let stranger = user(&*ctx.store, other.id, "stranger@example.com")?;
    let events = ctx.store.security_events();
    let e = events.record(&event(Some(c.id), Severity::Medium, "to acknowledge"))?;
    let t = ctx.clock.advance(Duration::minutes(5));
    let acked = events.acknowledge(e.id, alice.id)?;
    assert_eq!(
        (
            acked.acknowledged,
            acked.acknowledged_by,
            acked.acknowledged_at
        ),
        (true, Some(alice.id), Some(t))
    );
    ctx.clock.advance(Duration::minutes(5));
    assert_eq!(
        events.acknowledge(e.id, bob.id)?,
        acked,
        "idempotent: the first who and when stay"
    );
    assert_err!(
        events.acknowledge(e.id, stranger.id),
        Error::NotFound {
            table: "security_events",
            ..
        }
    );
    assert_err!(
        events.acknowledge(424_242, alice.id),
        Error::NotFound {
            table: "security_events",
            ..
        }
    );
    assert_err!(
        events.acknowledge(e.id, 424_242),
        Error::NotFound { table: "users", .. }
    );
    let listed = events.list(
        &EventFilter {
            acknowledged: Some(true),
            ..Default::default()
        },
        Page::first(10),
    )?;
    assert_eq!(listed, vec![acked]);
    Ok(())
}

pub fn events_are_validated(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let events = ctx.store.security_events();
    assert_err!(
        events.record(&event(Some(c.id), Severity::Low, "")),
        Error::Validation {
            table: "security_events",
            field: "description",
            ..
        }
    );
    let mut bad_ip = event(Some(c.id), Severity::Low, "x");
    bad_ip.ip_address = Some("1.2.3".into());
    assert_err!(
        events.record(&bad_ip),
        Error::Validation {
            table: "security_events",
            field: "ip_address",
            ..
        }
    );
    assert_err!(
        events.record(&event(Some(424_242), Severity::Low, "x")),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    let mut ghost = event(Some(c.id), Severity::Low, "x");
    ghost.user_id = Some(424_242);
    assert_err!(
        events.record(&ghost),
        Error::NotFound { table: "users", .. }
    );
    assert!(events
        .list(&EventFilter::default(), Page::first(10))?
        .is_empty());
    Ok(())
}

pub fn an_event_about_a_user_belongs_to_its_company(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let events = ctx.store.security_events();
    let mut e = event(None, Severity::Low, "about alice");
    e.user_id = Some(u.id);
    let recorded = events.record(&e)?;
    assert_eq!(recorded.company_id, Some(c.id));
    let listed = events.list(
        &EventFilter {
            company_id: Some(c.id),
            ..Default::default()
        },
        Page::first(10),
    )?;
    assert_eq!(listed, vec![recorded]);
    let mut nul = event(Some(c.id), Severity::Low, "nul");
    nul.metadata = Some(serde_json::json!({ "payload": "a\u{0}b" }));
    assert_err!(
        events.record(&nul),
        Error::Validation {
            table: "security_events",
            field: "metadata_json",
            ..
        }
    );
    Ok(())
}
