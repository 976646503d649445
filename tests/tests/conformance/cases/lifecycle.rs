use super::{company, user};
use chrono::Duration;
use nerve::model::{
    Deleted, LoginRequest, MonitorScope, NewAuditLog, NewMonitoredEmail, NewProfile, Page,
    SchemaDescription,
};
use nerve::{Clock, Error, Store, AUDIT_LOG_MINIMUM_DAYS};
use nerve_conformance::{assert_err, CaseResult, Ctx};
use serde_json::json;

/// Every row of every table, as the whole-row JSON RawRows gives, joined as text.
fn everything(ctx: &Ctx) -> Result<String, Box<dyn std::error::Error>> {
    let mut out = String::new();
    for t in SchemaDescription::expected().tables {
        for id in ctx.query_strings(&format!(
            "SELECT CAST(id AS TEXT) AS value FROM \"{}\"",
            t.name
        ))? {
            out.push_str(&ctx.store.raw_rows().get(&t.name, id.parse()?)?.to_string());
            out.push('\n');
        }
    }
    Ok(out)
}

/// An audit entry of a login by `user_id`.
fn login_entry(user_id: i64) -> NewAuditLog {
    NewAuditLog {
        user_id: Some(user_id),
        action: "login".into(),
        entity_type: None,
        entity_id: None,
        details: None,
        ip_address: None,
    }
}

fn attempt(ctx: &Ctx, email: &str) {
    let _ = ctx.store.auth().login(&LoginRequest {
        email: email.into(),
        password: "wrong password here".into(),
        ip_address: Some("192.0.2.7".into()),
        user_agent: None,
    });
}

pub fn purge_deletes_exactly_the_rows_past_the_cutoff(ctx: &Ctx) -> CaseResult {
    let admin = ctx.store.admin();
    let start = ctx.clock.now();
    for _ in 0..3 {
        attempt(ctx, "old@acme.test");
    }
    ctx.clock.advance(Duration::days(100));
    let cutoff = ctx.clock.now();
    for _ in 0..2 {
        attempt(ctx, "new@acme.test");
    }
    // A dry run counts; the purge deletes exactly those; again, nothing.
    assert_eq!(admin.purge("login_attempts", cutoff, true)?, 3);
    assert_eq!(admin.purge("login_attempts", cutoff, false)?, 3);
    assert_eq!(admin.purge("login_attempts", cutoff, false)?, 0);
    let left = admin
        .stats()?
        .tables
        .into_iter()
        .find(|t| t.table == "login_attempts")
        .map(|t| t.rows);
    assert_eq!(left, Some(2));
    // Audit rows: only past the legal minimum, and then they go although append-only.
    let acme = company(&*ctx.store, "ACME", None)?;
    ctx.clock.set(start);
    let entry = NewAuditLog {
        user_id: None,
        action: "export".into(),
        entity_type: None,
        entity_id: None,
        details: None,
        ip_address: None,
    };
    ctx.store.audit().record(acme.id, &entry)?;
    ctx.clock
        .set(start + Duration::days(AUDIT_LOG_MINIMUM_DAYS + 10));
    ctx.store.audit().record(acme.id, &entry)?;
    let now = ctx.clock.now();
    assert_err!(
        admin.purge(
            "audit_logs",
            now - Duration::days(AUDIT_LOG_MINIMUM_DAYS - 1),
            false
        ),
        Error::Validation {
            table: "audit_logs",
            field: "created_at",
            ..
        }
    );
    assert_eq!(
        admin.purge(
            "audit_logs",
            now - Duration::days(AUDIT_LOG_MINIMUM_DAYS),
            false
        )?,
        1
    );
    // The trail is append-only again afterwards.
    assert!(ctx.execute_raw("DELETE FROM audit_logs").is_err());
    assert_eq!(
        ctx.store
            .audit()
            .list_for_company(acme.id, Page::first(10))?
            .len(),
        1
    );
    assert_err!(
        admin.purge("companies", now, true),
        Error::Validation { field: "table", .. }
    );
    // The marker that opens the trail cannot be written through RawRows.
    assert_err!(
        ctx.store.raw_rows().insert(
            "audit_log_maintenance",
            &json!({"id": 1, "reason": "x", "started_at": "2026-01-01T00:00:00Z",
                    "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                    "is_active": true})
        ),
        Error::Validation {
            table: "audit_log_maintenance",
            ..
        }
    );
    assert!(admin.health()?.healthy);
    Ok(())
}

pub fn purge_of_soft_deleted_rows_respects_the_grace_period(ctx: &Ctx) -> CaseResult {
    let admin = ctx.store.admin();
    let acme = company(&*ctx.store, "ACME", None)?;
    let gone = company(&*ctx.store, "Gone", None)?;
    let u = user(&*ctx.store, acme.id, "u@acme.test")?;
    ctx.store.companies().soft_delete(gone.id)?;
    ctx.store.users().soft_delete(acme.id, u.id)?;
    ctx.clock.advance(Duration::days(40));
    let recent = company(&*ctx.store, "Recent", None)?;
    ctx.store.companies().soft_delete(recent.id)?;
    let counted = admin.purge_deleted(Duration::days(30), true)?;
    let rows = |list: &[nerve::model::TableStats], t: &str| {
        list.iter().find(|s| s.table == t).map(|s| s.rows)
    };
    assert_eq!(
        (rows(&counted, "companies"), rows(&counted, "users")),
        (Some(1), Some(1))
    );
    let purged = admin.purge_deleted(Duration::days(30), false)?;
    assert_eq!(purged, counted);
    let left: Vec<String> = ctx
        .store
        .companies()
        .list(Page::first(10), Deleted::Include)?
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        left,
        ["ACME", "Recent"],
        "the recent deletion is within its grace period"
    );
    assert_err!(
        ctx.store.raw_rows().get("users", u.id),
        Error::NotFound { .. }
    );
    assert!(admin.purge_deleted(Duration::days(30), false)?.is_empty());
    Ok(())
}

pub fn export_and_erasure_of_a_subject(ctx: &Ctx) -> CaseResult {
    let admin = ctx.store.admin();
    let acme = company(&*ctx.store, "ACME", None)?;
    let ada = user(&*ctx.store, acme.id, "Ada.Subject@acme.test")?;
    let other = user(&*ctx.store, acme.id, "other@acme.test")?;
    // A neighbour whose address contains the subject's: never touched, never exported.
    let neighbour = user(&*ctx.store, acme.id, "x.ada.subject@acme.test")?;
    let email = "ada.subject@acme.test";
    attempt(ctx, email);
    ctx.store.audit().record(
        acme.id,
        &NewAuditLog {
            user_id: Some(ada.id),
            action: "login".into(),
            entity_type: Some("user".into()),
            entity_id: Some(ada.id),
            details: Some(json!({"note": "ADA.Subject@acme.test signed in",
                                 "by": "other@acme.test", "cc": "x.ada.subject@acme.test"})),
            ip_address: None,
        },
    )?;
    ctx.store.osint().create_profile(
        acme.id,
        &NewProfile {
            user_id: None,
            full_name: "Ada Subject".into(),
            email: Some(email.into()),
            domain: None,
            job_title: None,
            location: None,
            notes: None,
            risk_score: 10,
            metadata: None,
        },
    )?;
    ctx.store.ghost().monitor_email(
        acme.id,
        &NewMonitoredEmail {
            created_by_user_id: other.id,
            email_address: email.into(),
            monitor_scope: MonitorScope::Company,
            user_id: None,
        },
    )?;
    // An assessment the subject created, without controls: its empty child tables are passed
    // over (PostgreSQL once failed the whole export on `IN ()` there).
    ctx.store.compliance().create_assessment(
        acme.id,
        &nerve::model::NewAssessment {
            created_by_user_id: ada.id,
            framework: nerve::model::ComplianceFramework::Soc2,
            framework_version: None,
            assessment_date: None,
            expiry_date: None,
        },
    )?;
    let export = admin.export_subject("ADA.SUBJECT@acme.test")?;
    assert_eq!(export["subject"], email);
    assert_eq!(export["user_ids"], json!([ada.id]));
    assert_eq!(
        export["tables"]["users"].as_array().map(Vec::len),
        Some(1),
        "{export}"
    );
    assert_eq!(export["tables"]["users"][0]["password_hash"], "[redacted]");
    for t in [
        "users",
        "login_attempts",
        "audit_logs",
        "profiles",
        "monitored_emails",
        "compliance_assessments",
    ] {
        assert!(
            export["tables"][t]
                .as_array()
                .is_some_and(|rows| !rows.is_empty()),
            "{t} missing: {export}"
        );
    }
    assert!(everything(ctx)?.contains(email));
    let erased = admin.erase_subject(email)?;
    assert!(erased.iter().any(|t| t.table == "users"), "{erased:?}");
    let all = everything(ctx)?;
    assert!(
        !all.to_lowercase()
            .replace("x.ada.subject@acme.test", "")
            .contains(email),
        "the address is still stored"
    );
    // The audit trail is kept, without the address; the other user is untouched.
    let trail = ctx
        .store
        .audit()
        .list_for_company(acme.id, Page::first(10))?;
    assert_eq!(trail.len(), 1);
    assert_eq!(
        trail[0].details,
        Some(
            json!({"note": "[erased] signed in", "by": "other@acme.test",
                    "cc": "x.ada.subject@acme.test"})
        )
    );
    assert_eq!(
        ctx.store.users().get(acme.id, neighbour.id)?.email,
        "x.ada.subject@acme.test"
    );
    assert_eq!(
        ctx.store.users().get(acme.id, other.id)?.email,
        "other@acme.test"
    );
    assert_err!(
        ctx.store.users().get(acme.id, ada.id),
        Error::NotFound { .. }
    );
    let export = admin.export_subject(email)?;
    assert_eq!(export["tables"], json!({}), "{export}");
    assert!(
        ctx.execute_raw("DELETE FROM audit_logs").is_err(),
        "append-only again"
    );
    Ok(())
}

pub fn deleting_a_company_leaves_no_row_of_it(ctx: &Ctx) -> CaseResult {
    let admin = ctx.store.admin();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let keep = user(&*ctx.store, other.id, "keep@other.test")?;
    ctx.store.audit().record(acme.id, &login_entry(ada.id))?;
    ctx.store.osint().create_profile(
        acme.id,
        &NewProfile {
            user_id: Some(ada.id),
            full_name: "Someone".into(),
            email: None,
            domain: None,
            job_title: None,
            location: None,
            notes: None,
            risk_score: 1,
            metadata: None,
        },
    )?;
    ctx.store.roadmap().create_profile(
        acme.id,
        &nerve::model::NewRoadmapProfile {
            company_name: "ACME".into(),
            user_id: Some(ada.id),
            ..Default::default()
        },
    )?;
    let report = admin.delete_company(acme.id)?;
    let rows = |t: &str| report.iter().find(|s| s.table == t).map(|s| s.rows);
    assert_eq!(
        (
            rows("companies"),
            rows("users"),
            rows("profiles"),
            rows("roadmap_profiles")
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(rows("audit_logs"), Some(1));
    // No table holds a row of it.
    for t in SchemaDescription::expected().tables {
        if t.columns.iter().any(|c| c.name == "company_id") {
            let n = ctx.query_strings(&format!(
                "SELECT CAST(count(*) AS TEXT) AS value FROM \"{}\" WHERE company_id = {}",
                t.name, acme.id
            ))?;
            assert_eq!(n, ["0"], "{} still has rows of the company", t.name);
        }
    }
    assert_err!(ctx.store.companies().get(acme.id), Error::NotFound { .. });
    assert_eq!(
        ctx.store.users().get(other.id, keep.id)?.email,
        "keep@other.test"
    );
    assert_err!(
        admin.delete_company(acme.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    ctx.store.audit().record(other.id, &login_entry(keep.id))?;
    assert!(
        ctx.execute_raw("DELETE FROM audit_logs").is_err(),
        "append-only again"
    );
    let _: &dyn Store = &*ctx.store;
    Ok(())
}

/// The declared difference [`nerve::Capabilities::ids_never_reused`]: an erased user's API
/// key, the newest of its table, is deleted for good; the next key gets its id on SQLite
/// only, and a larger one on PostgreSQL.
pub fn an_id_deleted_for_good_is_reused_only_where_declared(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "Acme", None)?;
    let kept = user(&*ctx.store, c.id, "kept@acme.test")?;
    let erased = user(&*ctx.store, c.id, "erased@acme.test")?;
    let key = |user_id: i64| {
        ctx.store.api_keys().create(
            c.id,
            user_id,
            &nerve::model::NewApiKey {
                name: "ci".into(),
                scopes: vec!["scans:read".into()],
                expires_at: None,
            },
        )
    };
    let first = key(kept.id)?.api_key.id;
    let newest = key(erased.id)?.api_key.id;
    assert!(newest > first);
    ctx.store.admin().erase_subject("erased@acme.test")?;
    assert_eq!(
        ctx.query_strings(&format!(
            "SELECT CAST(count(*) AS TEXT) AS value FROM api_keys WHERE id = {newest}"
        ))?,
        ["0"],
        "erasure deletes the user's API keys for good"
    );
    let next = key(kept.id)?.api_key.id;
    if ctx.store.capabilities().ids_never_reused {
        assert!(next > newest, "{next} after {newest}");
    } else {
        assert_eq!(
            next, newest,
            "SQLite gives the next row the id after the largest"
        );
    }
    Ok(())
}
