use super::{company, user};
use chrono::Duration;
use nerve::model::{NewAuditLog, Page};
use nerve::{Clock, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};

fn entry(user_id: Option<i64>, action: &str) -> NewAuditLog {
    NewAuditLog {
        user_id,
        action: action.into(),
        entity_type: Some("users".into()),
        entity_id: Some(7),
        details: Some(
            serde_json::json!({ "changed": ["role"], "from": "viewer", "to": "admin", "n": 1.5 }),
        ),
        ip_address: Some("192.0.2.1".into()),
    }
}

pub fn audit_rows_cannot_be_changed_or_deleted(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let now = ctx.clock.now();
    let a = ctx
        .store
        .audit()
        .record(c.id, &entry(Some(u.id), "user.update"))?;
    assert_eq!(
        (a.company_id, a.user_id, a.action.as_str(), a.created_at),
        (c.id, Some(u.id), "user.update", now)
    );
    assert_eq!(
        a.details,
        entry(None, "").details,
        "JSON details round-trip"
    );
    for sql in [
        format!(
            "UPDATE audit_logs SET action = 'forged' WHERE id = {}",
            a.id
        ),
        format!("DELETE FROM audit_logs WHERE id = {}", a.id),
        "DELETE FROM audit_logs".to_string(),
    ] {
        let refused = ctx
            .execute_raw(&sql)
            .err()
            .ok_or(format!("the database accepted: {sql}"))?;
        assert!(refused.to_string().contains("append-only"), "{refused}");
    }
    assert_eq!(
        ctx.store.audit().list_for_company(c.id, Page::first(10))?,
        vec![a]
    );
    Ok(())
}

pub fn audit_lists_newest_first_per_company_and_user(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let alice = user(&*ctx.store, c.id, "alice@example.com")?;
    let bob = user(&*ctx.store, c.id, "bob@example.com")?;
    let mut ids = Vec::new();
    for i in 0..5 {
        ctx.clock.advance(Duration::seconds(1));
        let who = if i % 2 == 0 { alice.id } else { bob.id };
        ids.push(
            ctx.store
                .audit()
                .record(c.id, &entry(Some(who), &format!("action.{i}")))?
                .id,
        );
    }
    ctx.store
        .audit()
        .record(other.id, &entry(None, "elsewhere"))?;
    let audit = ctx.store.audit();
    let page1 = audit.list_for_company(c.id, Page::first(3))?;
    let page2 = audit.list_for_company(c.id, Page::after(page1[2].id, 3))?;
    let got: Vec<i64> = page1.iter().chain(&page2).map(|a| a.id).collect();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(got, newest_first);
    let by_bob: Vec<i64> = audit
        .list_for_user(c.id, bob.id, Page::first(10))?
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(by_bob, vec![ids[3], ids[1]]);
    assert!(audit
        .list_for_user(other.id, alice.id, Page::first(10))?
        .is_empty());
    assert_eq!(audit.list_for_company(other.id, Page::first(10))?.len(), 1);
    assert_err!(
        audit.list_for_company(c.id, Page::first(0)),
        Error::Validation {
            table: "audit_logs",
            field: "limit",
            ..
        }
    );
    Ok(())
}

pub fn audit_entries_are_validated(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let stranger = user(&*ctx.store, other.id, "stranger@example.com")?;
    let audit = ctx.store.audit();
    assert_err!(
        audit.record(c.id, &entry(None, "")),
        Error::Validation {
            table: "audit_logs",
            field: "action",
            ..
        }
    );
    assert_err!(
        audit.record(c.id, &entry(None, &"a".repeat(101))),
        Error::Validation {
            table: "audit_logs",
            field: "action",
            ..
        }
    );
    let mut bad_ip = entry(None, "x");
    bad_ip.ip_address = Some("nope".into());
    assert_err!(
        audit.record(c.id, &bad_ip),
        Error::Validation {
            table: "audit_logs",
            field: "ip_address",
            ..
        }
    );
    assert_err!(
        audit.record(c.id, &entry(Some(stranger.id), "x")),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        audit.record(424_242, &entry(None, "x")),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert!(audit.list_for_company(c.id, Page::first(10))?.is_empty());
    Ok(())
}
