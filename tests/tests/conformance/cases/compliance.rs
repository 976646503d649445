use super::{company, user};
use chrono::Duration;
use nerve::model::{
    overall_compliance_score, AssessmentStatus, ComplianceFramework, Control, ControlMapping,
    ControlStatus, ControlUpdate, Deleted, NewAssessment, NewControl, NewEvidence, NewScanRecord,
    NewVulnerabilityReport, Page, ScanFinding, ScanSource, ScanStatus, Severity, ValueSet,
};
use nerve::{Clock, Constraint, Error, Store};
use nerve_conformance::{assert_err, CaseResult, Ctx};
use serde_json::json;

fn assessment(by: i64, framework: ComplianceFramework) -> NewAssessment {
    NewAssessment {
        created_by_user_id: by,
        framework,
        framework_version: Some("2022".into()),
        assessment_date: None,
        expiry_date: None,
    }
}

fn control(key: &str, status: ControlStatus, score: Option<i64>) -> NewControl {
    NewControl {
        control_id: key.into(),
        control_name: format!("Control {key}"),
        control_category: Some("Access".into()),
        status,
        compliance_score: score,
        assigned_to_user_id: None,
        next_review_date: None,
    }
}

/// Asserts the assessment's stored score is the rule's value over its live controls, and
/// returns it.
fn score_follows_rule(store: &dyn Store, company_id: i64, id: i64) -> nerve::Result<Option<i64>> {
    let c = store.compliance();
    let controls = c.list_controls(company_id, id, Page::first(1000))?;
    let expected =
        overall_compliance_score(controls.iter().map(|x| (x.status, x.compliance_score)));
    let stored = c.get_assessment(company_id, id)?.overall_compliance_score;
    assert_eq!(
        stored, expected,
        "score of assessment {id} vs its controls {controls:?}"
    );
    Ok(stored)
}

pub fn assessments_are_scoped_completed_and_expire_by_the_clock(ctx: &Ctx) -> CaseResult {
    let c = ctx.store.compliance();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let stranger = user(&*ctx.store, other.id, "eve@other.test")?;
    let a = c.create_assessment(acme.id, &assessment(ada.id, ComplianceFramework::Soc2))?;
    assert_eq!(
        (
            a.company_id,
            a.status,
            a.overall_compliance_score,
            a.assessment_date
        ),
        (acme.id, AssessmentStatus::InProgress, None, ctx.clock.now())
    );
    assert_eq!(c.get_assessment(acme.id, a.id)?, a);
    // Validation names the field; another company's user is not found.
    let mut long = assessment(ada.id, ComplianceFramework::Gdpr);
    long.framework_version = Some("v".repeat(21));
    assert_err!(
        c.create_assessment(acme.id, &long),
        Error::Validation {
            table: "compliance_assessments",
            field: "framework_version",
            ..
        }
    );
    long.framework_version = Some(" ".into());
    assert_err!(
        c.create_assessment(acme.id, &long),
        Error::Validation {
            field: "framework_version",
            ..
        }
    );
    let mut backwards = assessment(ada.id, ComplianceFramework::Gdpr);
    backwards.expiry_date = Some(ctx.clock.now() - Duration::days(1));
    assert_err!(
        c.create_assessment(acme.id, &backwards),
        Error::Validation {
            field: "expiry_date",
            ..
        }
    );
    assert_err!(
        c.create_assessment(acme.id, &assessment(stranger.id, ComplianceFramework::Nis2)),
        Error::NotFound { table: "users", .. }
    );
    // Tenant isolation.
    assert_err!(
        c.get_assessment(other.id, a.id),
        Error::NotFound {
            table: "compliance_assessments",
            ..
        }
    );
    assert_err!(
        c.complete_assessment(other.id, a.id, None),
        Error::NotFound { .. }
    );
    assert_err!(c.delete_assessment(other.id, a.id), Error::NotFound { .. });
    assert_err!(
        c.add_control(
            other.id,
            a.id,
            &control("CC1.1", ControlStatus::Passing, Some(1))
        ),
        Error::NotFound { .. }
    );
    assert!(c
        .list_assessments(other.id, Page::first(10), Deleted::Include)?
        .is_empty());
    // Completing needs an expiry date after now.
    assert_err!(
        c.complete_assessment(acme.id, a.id, None),
        Error::Validation {
            table: "compliance_assessments",
            field: "expiry_date",
            ..
        }
    );
    assert_err!(
        c.complete_assessment(acme.id, a.id, Some(ctx.clock.now())),
        Error::Validation {
            field: "expiry_date",
            ..
        }
    );
    ctx.clock.advance(Duration::hours(1));
    let expiry = ctx.clock.now() + Duration::days(365);
    let done = c.complete_assessment(acme.id, a.id, Some(expiry))?;
    assert_eq!(
        (done.status, done.completion_date, done.expiry_date),
        (
            AssessmentStatus::Completed,
            Some(ctx.clock.now()),
            Some(expiry)
        )
    );
    assert_err!(
        c.complete_assessment(acme.id, a.id, Some(expiry)),
        Error::Validation {
            table: "compliance_assessments",
            field: "status",
            ..
        }
    );
    // Expiry by the test clock: one microsecond before, still completed; at it, expired.
    ctx.clock.set(expiry - Duration::microseconds(1));
    assert_eq!(
        c.get_assessment(acme.id, a.id)?.status,
        AssessmentStatus::Completed
    );
    assert_eq!(c.expire_assessments()?, 0);
    ctx.clock.set(expiry);
    assert_eq!(
        c.get_assessment(acme.id, a.id)?.status,
        AssessmentStatus::Expired
    );
    let listed = c.list_assessments(acme.id, Page::first(10), Deleted::Exclude)?;
    assert_eq!(
        listed.iter().map(|x| x.status).collect::<Vec<_>>(),
        [AssessmentStatus::Expired]
    );
    assert_err!(
        c.complete_assessment(acme.id, a.id, None),
        Error::Validation {
            field: "status",
            ..
        }
    );
    // The sweep stores what reads already show, once.
    assert_eq!(c.expire_assessments()?, 1);
    assert_eq!(c.expire_assessments()?, 0);
    let raw = ctx.store.raw_rows().get("compliance_assessments", a.id)?;
    assert_eq!(raw["status"], "expired");
    // Soft delete hides it.
    c.delete_assessment(acme.id, a.id)?;
    assert_err!(c.get_assessment(acme.id, a.id), Error::NotFound { .. });
    assert_err!(c.delete_assessment(acme.id, a.id), Error::NotFound { .. });
    let deleted = c.list_assessments(acme.id, Page::first(10), Deleted::Only)?;
    assert_eq!(deleted.iter().map(|x| x.id).collect::<Vec<_>>(), [a.id]);
    // A soft-deleted company's assessments are out of reach.
    let b = c.create_assessment(acme.id, &assessment(ada.id, ComplianceFramework::Pipeda))?;
    ctx.store.companies().soft_delete(acme.id)?;
    assert_err!(
        c.get_assessment(acme.id, b.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    Ok(())
}

pub fn the_overall_score_follows_every_control_change(ctx: &Ctx) -> CaseResult {
    let c = ctx.store.compliance();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let stranger = user(&*ctx.store, other.id, "eve@other.test")?;
    let a = c.create_assessment(acme.id, &assessment(ada.id, ComplianceFramework::Iso27001))?;
    let s = |ctx: &Ctx| score_follows_rule(&*ctx.store, acme.id, a.id);
    let x = c.add_control(
        acme.id,
        a.id,
        &control("A.5.1", ControlStatus::Passing, Some(90)),
    )?;
    assert_eq!(s(ctx)?, Some(90));
    let y = c.add_control(
        acme.id,
        a.id,
        &control("A.5.2", ControlStatus::NeedsReview, Some(61)),
    )?;
    assert_eq!(s(ctx)?, Some(76)); // 75.5 rounds up
    let z = c.add_control(
        acme.id,
        a.id,
        &control("A.8.8", ControlStatus::Failing, Some(100)),
    )?;
    assert_eq!(s(ctx)?, Some(50)); // a failing control counts 0: (90 + 61 + 0) / 3 = 50.3
    c.add_control(
        acme.id,
        a.id,
        &control("A.9.9", ControlStatus::NotTested, None),
    )?;
    assert_eq!(s(ctx)?, Some(50));
    ctx.clock.advance(Duration::minutes(5));
    let fixed = c.update_control(
        acme.id,
        z.id,
        &ControlUpdate {
            status: Some(ControlStatus::Passing),
            remediation_notes: Some(Some("patched".into())),
            reviewed: true,
            ..ControlUpdate::default()
        },
    )?;
    assert_eq!(
        (
            fixed.status,
            fixed.remediation_notes.as_deref(),
            fixed.last_reviewed,
            fixed.updated_at
        ),
        (
            ControlStatus::Passing,
            Some("patched"),
            Some(ctx.clock.now()),
            ctx.clock.now()
        )
    );
    assert_eq!(s(ctx)?, Some(84)); // (90 + 61 + 100) / 3 = 83.67
    assert_eq!(c.get_assessment(acme.id, a.id)?.updated_at, ctx.clock.now());
    c.update_control(
        acme.id,
        y.id,
        &ControlUpdate {
            status: Some(ControlStatus::NotApplicable),
            ..ControlUpdate::default()
        },
    )?;
    assert_eq!(s(ctx)?, Some(95));
    c.update_control(
        acme.id,
        x.id,
        &ControlUpdate {
            compliance_score: Some(None),
            ..ControlUpdate::default()
        },
    )?;
    assert_eq!(s(ctx)?, Some(100));
    c.remove_control(acme.id, z.id)?;
    assert_eq!(s(ctx)?, None, "no control counts any more");
    assert_err!(
        c.get_control(acme.id, z.id),
        Error::NotFound {
            table: "compliance_controls",
            ..
        }
    );
    // The control identifier stays taken in the assessment, removed or not.
    assert_err!(
        c.add_control(
            acme.id,
            a.id,
            &control("A.8.8", ControlStatus::Passing, Some(1))
        ),
        Error::Conflict {
            table: "compliance_controls",
            field: "assessment_id, control_id",
            constraint: Constraint::Unique,
            ..
        }
    );
    assert_err!(
        c.add_control(
            acme.id,
            a.id,
            &control("A.5.1", ControlStatus::Passing, Some(1))
        ),
        Error::Conflict {
            field: "assessment_id, control_id",
            ..
        }
    );
    // Refused changes change nothing, the score included.
    for bad in [Some(101), Some(-1)] {
        assert_err!(
            c.add_control(acme.id, a.id, &control("B.1", ControlStatus::Passing, bad)),
            Error::Validation {
                table: "compliance_controls",
                field: "compliance_score",
                ..
            }
        );
        assert_err!(
            c.update_control(
                acme.id,
                x.id,
                &ControlUpdate {
                    compliance_score: Some(bad),
                    ..ControlUpdate::default()
                }
            ),
            Error::Validation {
                field: "compliance_score",
                ..
            }
        );
    }
    assert_err!(
        c.add_control(acme.id, a.id, &control("", ControlStatus::Passing, None)),
        Error::Validation {
            field: "control_id",
            ..
        }
    );
    assert_err!(
        c.update_control(
            acme.id,
            x.id,
            &ControlUpdate {
                status: Some(ControlStatus::Failing),
                assigned_to_user_id: Some(Some(stranger.id)),
                ..ControlUpdate::default()
            }
        ),
        Error::NotFound { table: "users", .. }
    );
    assert_eq!(c.get_control(acme.id, x.id)?.status, ControlStatus::Passing);
    assert_eq!(s(ctx)?, None);
    // Another company cannot read or change a control.
    assert_err!(c.get_control(other.id, x.id), Error::NotFound { .. });
    assert_err!(
        c.update_control(other.id, x.id, &ControlUpdate::default()),
        Error::NotFound { .. }
    );
    assert_err!(c.remove_control(other.id, x.id), Error::NotFound { .. });
    assert_err!(
        c.list_controls(other.id, a.id, Page::first(10)),
        Error::NotFound { .. }
    );
    // Paging.
    let keys: Vec<String> = c
        .list_controls(acme.id, a.id, Page::after(x.id, 2))?
        .into_iter()
        .map(|x| x.control_id)
        .collect();
    assert_eq!(keys, ["A.5.2", "A.9.9"]);
    Ok(())
}

pub fn evidence_is_attached_listed_and_scoped(ctx: &Ctx) -> CaseResult {
    let c = ctx.store.compliance();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let stranger = user(&*ctx.store, other.id, "eve@other.test")?;
    let a = c.create_assessment(acme.id, &assessment(ada.id, ComplianceFramework::Gdpr))?;
    let ctl = c.add_control(
        acme.id,
        a.id,
        &control("Art.32", ControlStatus::NotTested, None),
    )?;
    let digest = "AB".repeat(32);
    let new = NewEvidence {
        uploaded_by_user_id: ada.id,
        file_reference: "s3://evidence/acme/pentest-2026.pdf".into(),
        file_name: Some("pentest-2026.pdf".into()),
        sha256: digest.clone(),
        description: Some("Annual penetration test".into()),
    };
    let e = c.add_evidence(acme.id, ctl.id, &new)?;
    assert_eq!(
        (e.control_id, e.company_id, e.sha256.as_str(), e.uploaded_at),
        (
            ctl.id,
            acme.id,
            digest.to_lowercase().as_str(),
            ctx.clock.now()
        )
    );
    for (bad, field) in [
        (
            NewEvidence {
                sha256: "abc".into(),
                ..new.clone()
            },
            "sha256",
        ),
        (
            NewEvidence {
                sha256: "g".repeat(64),
                ..new.clone()
            },
            "sha256",
        ),
        (
            NewEvidence {
                file_reference: " ".into(),
                ..new.clone()
            },
            "file_reference",
        ),
        (
            NewEvidence {
                file_name: Some("n".repeat(256)),
                ..new.clone()
            },
            "file_name",
        ),
    ] {
        assert_err!(
            c.add_evidence(acme.id, ctl.id, &bad),
            Error::Validation { table: "compliance_evidence", field: f, .. } if f == field
        );
    }
    assert_err!(
        c.add_evidence(
            acme.id,
            ctl.id,
            &NewEvidence {
                uploaded_by_user_id: stranger.id,
                ..new.clone()
            }
        ),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        c.add_evidence(other.id, ctl.id, &new),
        Error::NotFound { .. }
    );
    assert_err!(
        c.list_evidence(other.id, ctl.id, Page::first(10)),
        Error::NotFound { .. }
    );
    assert_err!(c.delete_evidence(other.id, e.id), Error::NotFound { .. });
    let e2 = c.add_evidence(acme.id, ctl.id, &new)?;
    let ids = |ctx: &Ctx| -> nerve::Result<Vec<i64>> {
        Ok(ctx
            .store
            .compliance()
            .list_evidence(acme.id, ctl.id, Page::first(10))?
            .into_iter()
            .map(|e| e.id)
            .collect())
    };
    assert_eq!(ids(ctx)?, [e.id, e2.id]);
    c.delete_evidence(acme.id, e.id)?;
    assert_eq!(ids(ctx)?, [e2.id]);
    assert_err!(
        c.delete_evidence(acme.id, e.id),
        Error::NotFound {
            table: "compliance_evidence",
            ..
        }
    );
    // Evidence of a removed control is out of reach with it.
    c.remove_control(acme.id, ctl.id)?;
    assert_err!(
        c.list_evidence(acme.id, ctl.id, Page::first(10)),
        Error::NotFound {
            table: "compliance_controls",
            ..
        }
    );
    Ok(())
}

fn mapping(
    finding: &str,
    framework: ComplianceFramework,
    key: &str,
    flag: ControlStatus,
) -> ControlMapping {
    ControlMapping {
        scan_source: ScanSource::Xasm,
        finding_type: finding.into(),
        framework,
        control_id: key.into(),
        flag_status: flag,
    }
}

pub fn scan_findings_flag_mapped_controls_once_and_verification_restores(ctx: &Ctx) -> CaseResult {
    use ComplianceFramework::{Iso27001, Soc2};
    use ControlStatus::{Failing, NeedsReview, NotTested, Passing};
    let c = ctx.store.compliance();
    // The mapping is data: stored, listed in byte order, changed, validated.
    let rows = [
        mapping("open_admin_port", Soc2, "CC6.6", Failing),
        mapping("open_admin_port", Soc2, "CC6.1", Failing),
        mapping("open_admin_port", Iso27001, "A.8.20", NeedsReview),
        mapping("expired_tls_certificate", Soc2, "CC6.7", Failing),
    ];
    assert_eq!(c.put_control_mappings(&rows)?, 4);
    assert_eq!(
        c.put_control_mappings(&rows)?,
        0,
        "stored as given: nothing changes"
    );
    let listed = c.control_mappings(ScanSource::Xasm, "open_admin_port")?;
    let order: Vec<(&str, &str)> = listed
        .iter()
        .map(|m| (m.framework.as_str(), m.control_id.as_str()))
        .collect();
    assert_eq!(
        order,
        [("iso27001", "A.8.20"), ("soc2", "CC6.1"), ("soc2", "CC6.6")]
    );
    // A new flag for a stored row is a change: counted, and stored; then back again.
    let flag_of_cc66 = || -> nerve::Result<Option<ControlStatus>> {
        Ok(c.control_mappings(ScanSource::Xasm, "open_admin_port")?
            .into_iter()
            .find(|m| m.control_id == "CC6.6")
            .map(|m| m.flag_status))
    };
    for flag in [NeedsReview, Failing] {
        let changed = c.put_control_mappings(&[mapping("open_admin_port", Soc2, "CC6.6", flag)])?;
        assert_eq!((changed, flag_of_cc66()?), (1, Some(flag)));
    }
    assert!(c
        .control_mappings(ScanSource::Lightbox, "open_admin_port")?
        .is_empty());
    assert_err!(
        c.put_control_mappings(&[mapping("x", Soc2, "CC1.1", Passing)]),
        Error::Validation {
            table: "compliance_control_mappings",
            field: "flag_status",
            ..
        }
    );
    assert_err!(
        c.put_control_mappings(&[mapping("", Soc2, "CC1.1", Failing)]),
        Error::Validation {
            field: "finding_type",
            ..
        }
    );

    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let eve = user(&*ctx.store, other.id, "eve@other.test")?;
    // Active: a SOC 2 in progress, an ISO 27001 completed. Not active: an expired SOC 2, a
    // deleted SOC 2, and another company's SOC 2.
    let soc = c.create_assessment(acme.id, &assessment(ada.id, Soc2))?;
    let cc61 = c.add_control(acme.id, soc.id, &control("CC6.1", Passing, Some(100)))?;
    let cc66 = c.add_control(acme.id, soc.id, &control("CC6.6", NotTested, None))?;
    let cc12 = c.add_control(acme.id, soc.id, &control("CC1.2", Passing, Some(80)))?;
    let iso = c.create_assessment(acme.id, &assessment(ada.id, Iso27001))?;
    let a820 = c.add_control(acme.id, iso.id, &control("A.8.20", Passing, Some(70)))?;
    c.complete_assessment(acme.id, iso.id, Some(ctx.clock.now() + Duration::days(365)))?;
    let old = c.create_assessment(
        acme.id,
        &NewAssessment {
            assessment_date: Some(ctx.clock.now() - Duration::days(800)),
            ..assessment(ada.id, Soc2)
        },
    )?;
    let old61 = c.add_control(acme.id, old.id, &control("CC6.1", Passing, Some(90)))?;
    c.complete_assessment(acme.id, old.id, Some(ctx.clock.now() + Duration::days(1)))?;
    let gone = c.create_assessment(acme.id, &assessment(ada.id, Soc2))?;
    let gone61 = c.add_control(acme.id, gone.id, &control("CC6.1", Passing, Some(90)))?;
    c.delete_assessment(acme.id, gone.id)?;
    let theirs = c.create_assessment(other.id, &assessment(eve.id, Soc2))?;
    let their61 = c.add_control(other.id, theirs.id, &control("CC6.1", Passing, Some(100)))?;
    ctx.clock.advance(Duration::days(2)); // `old` expires
    assert_eq!(
        c.get_assessment(acme.id, old.id)?.status,
        AssessmentStatus::Expired
    );
    let before_soc = score_follows_rule(&*ctx.store, acme.id, soc.id)?;
    let before_iso = score_follows_rule(&*ctx.store, acme.id, iso.id)?;
    assert_eq!((before_soc, before_iso), (Some(90), Some(70)));

    let seen = ctx.clock.now() - Duration::hours(3);
    let finding = ScanFinding {
        source: ScanSource::Xasm,
        finding_type: "open_admin_port".into(),
        finding_id: "XASM-42".into(),
        domain: Some("Admin.ACME.test".into()),
        seen_at: seen,
    };
    let flagged = c.flag_from_finding(acme.id, &finding)?;
    let got: Vec<(i64, ControlStatus, Option<ControlStatus>)> = flagged
        .iter()
        .map(|x| (x.id, x.status, x.status_before_scan))
        .collect();
    assert_eq!(
        got,
        [
            (cc61.id, Failing, Some(Passing)),
            (cc66.id, Failing, Some(NotTested)),
            (a820.id, NeedsReview, Some(Passing)),
        ]
    );
    for x in &flagged {
        assert!(x.is_flagged());
        assert_eq!(
            (
                x.scan_source,
                x.scan_finding_type.as_deref(),
                x.scan_finding_id.as_deref()
            ),
            (
                Some(ScanSource::Xasm),
                Some("open_admin_port"),
                Some("XASM-42")
            )
        );
        assert_eq!(
            (
                x.scan_domain.as_deref(),
                x.scan_flagged_at,
                x.scan_verified_at
            ),
            (Some("admin.acme.test"), Some(seen), None)
        );
        assert_eq!(c.get_control(acme.id, x.id)?, *x);
    }
    // Unmapped, expired, deleted and foreign controls are untouched.
    assert_eq!(c.get_control(acme.id, cc12.id)?, cc12);
    let untouched = |ctx: &Ctx, company: i64, ctl: &Control| -> CaseResult {
        let raw = ctx.store.raw_rows().get("compliance_controls", ctl.id)?;
        assert_eq!(
            (raw["status"].as_str(), raw["scan_finding_id"].is_null()),
            (Some("passing"), true),
            "{company}: {raw}"
        );
        Ok(())
    };
    untouched(ctx, acme.id, &old61)?;
    untouched(ctx, acme.id, &gone61)?;
    untouched(ctx, other.id, &their61)?;
    assert_eq!(score_follows_rule(&*ctx.store, acme.id, soc.id)?, Some(27)); // (0 + 0 + 80) / 3: failing counts 0
    assert_eq!(score_follows_rule(&*ctx.store, acme.id, iso.id)?, Some(70)); // needs review keeps its score

    // Flagging the same finding again changes nothing, not even updated_at.
    ctx.clock.advance(Duration::minutes(1));
    assert!(c.flag_from_finding(acme.id, &finding)?.is_empty());
    for x in &flagged {
        assert_eq!(c.get_control(acme.id, x.id)?, *x);
    }
    // Nothing maps this type; another company's call changes nothing of ACME's.
    assert!(c
        .flag_from_finding(
            acme.id,
            &ScanFinding {
                finding_type: "unknown".into(),
                ..finding.clone()
            }
        )?
        .is_empty());
    // The same finding id in another company is that company's own: flagged and verified
    // there without touching ACME's controls.
    let theirs_flagged: Vec<i64> = c
        .flag_from_finding(other.id, &finding)?
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(theirs_flagged, [their61.id]);
    let theirs_verified: Vec<i64> = c
        .verify_finding_fixed(other.id, ScanSource::Xasm, "XASM-42")?
        .iter()
        .map(|x| x.id)
        .collect();
    assert_eq!(theirs_verified, [their61.id]);
    for x in &flagged {
        assert_eq!(c.get_control(acme.id, x.id)?, *x);
    }
    assert!(c
        .verify_finding_fixed(acme.id, ScanSource::Lightbox, "XASM-42")?
        .is_empty());
    assert_eq!(c.get_control(acme.id, cc61.id)?.status, Failing);
    // A second finding takes over a flagged control and keeps the status from before.
    let second = ScanFinding {
        finding_id: "XASM-43".into(),
        ..finding.clone()
    };
    let retaken = c.flag_from_finding(acme.id, &second)?;
    assert_eq!(retaken.len(), 3);
    assert!(retaken
        .iter()
        .all(|x| x.scan_finding_id.as_deref() == Some("XASM-43")));
    assert_eq!(retaken[0].status_before_scan, Some(Passing));
    // Verifying the first finding no longer touches them; verifying the second restores.
    assert!(c
        .verify_finding_fixed(acme.id, ScanSource::Xasm, "XASM-42")?
        .is_empty());
    ctx.clock.advance(Duration::minutes(1));
    let restored = c.verify_finding_fixed(acme.id, ScanSource::Xasm, "XASM-43")?;
    let got: Vec<(i64, ControlStatus)> = restored.iter().map(|x| (x.id, x.status)).collect();
    assert_eq!(
        got,
        [(cc61.id, Passing), (cc66.id, NotTested), (a820.id, Passing)]
    );
    assert!(restored
        .iter()
        .all(|x| x.scan_verified_at == Some(ctx.clock.now()) && !x.is_flagged()));
    assert_eq!(
        score_follows_rule(&*ctx.store, acme.id, soc.id)?,
        before_soc
    );
    assert_eq!(
        score_follows_rule(&*ctx.store, acme.id, iso.id)?,
        before_iso
    );
    assert!(
        c.verify_finding_fixed(acme.id, ScanSource::Xasm, "XASM-43")?
            .is_empty(),
        "verifying twice"
    );
    // The finding coming back flags again.
    assert_eq!(c.flag_from_finding(acme.id, &second)?.len(), 3);
    assert_err!(
        c.flag_from_finding(
            acme.id,
            &ScanFinding {
                finding_id: "".into(),
                ..finding.clone()
            }
        ),
        Error::Validation {
            table: "compliance_controls",
            field: "scan_finding_id",
            ..
        }
    );
    assert_err!(
        c.flag_from_finding(
            acme.id,
            &ScanFinding {
                domain: Some("not a domain".into()),
                ..finding
            }
        ),
        Error::Validation {
            field: "scan_domain",
            ..
        }
    );
    Ok(())
}

pub fn vulnerability_reports_are_stored_listed_and_soft_deleted(ctx: &Ctx) -> CaseResult {
    let c = ctx.store.compliance();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let scan = |company_id: i64| {
        ctx.store.attack_surface().record_scan(
            company_id,
            ScanSource::Xasm,
            &NewScanRecord {
                user_id: None,
                domain: "acme.test".into(),
                status: ScanStatus::Completed,
                risk_score: Some(40),
                risk_level: Some(Severity::Medium),
                findings_count: 2,
                scan_results: json!({"findings": 2}),
                duration_ms: None,
                scanned_at: ctx.clock.now(),
            },
        )
    };
    let ours = scan(acme.id)?;
    let theirs = scan(other.id)?;
    let new = NewVulnerabilityReport {
        user_id: Some(ada.id),
        scan: Some((ScanSource::Xasm, ours.id)),
        domain: Some("ACME.test".into()),
        title: "Two exposed services".into(),
        report_text: "## Summary\nSSH and RDP are reachable from the internet. ✓".into(),
        metadata: Some(
            json!({"severity_counts": {"high": 1, "medium": 1}, "cves": ["CVE-2024-3094"]}),
        ),
        model: Some("gpt-x".into()),
        generated_at: None,
    };
    let r = c.create_report(acme.id, &new)?;
    assert_eq!(
        (
            r.company_id,
            r.scan_source,
            r.scan_id,
            r.domain.as_deref(),
            r.generated_at
        ),
        (
            acme.id,
            Some(ScanSource::Xasm),
            Some(ours.id),
            Some("acme.test"),
            ctx.clock.now()
        )
    );
    assert_eq!(
        (&r.report_text, &r.metadata),
        (&new.report_text, &new.metadata)
    );
    assert_eq!(c.get_report(acme.id, r.id)?, r);
    let general = c.create_report(
        acme.id,
        &NewVulnerabilityReport {
            scan: None,
            ..new.clone()
        },
    )?;
    // A scan must be the company's, in the history named.
    assert_err!(
        c.create_report(
            acme.id,
            &NewVulnerabilityReport {
                scan: Some((ScanSource::Xasm, theirs.id)),
                ..new.clone()
            }
        ),
        Error::NotFound {
            table: "xasm_scan_history",
            ..
        }
    );
    assert_err!(
        c.create_report(
            acme.id,
            &NewVulnerabilityReport {
                scan: Some((ScanSource::Lightbox, ours.id)),
                ..new.clone()
            }
        ),
        Error::NotFound {
            table: "lightbox_scan_history",
            ..
        }
    );
    for (bad, field) in [
        (
            NewVulnerabilityReport {
                title: "".into(),
                ..new.clone()
            },
            "title",
        ),
        (
            NewVulnerabilityReport {
                report_text: "\u{0}".into(),
                ..new.clone()
            },
            "report_text",
        ),
        (
            NewVulnerabilityReport {
                metadata: Some(json!(["\u{0}"])),
                ..new.clone()
            },
            "metadata",
        ),
        (
            NewVulnerabilityReport {
                model: Some("m".repeat(101)),
                ..new.clone()
            },
            "model",
        ),
    ] {
        assert_err!(
            c.create_report(acme.id, &bad),
            Error::Validation { table: "vulnerability_reports", field: f, .. } if f == field
        );
    }
    let ids = |scan: Option<(ScanSource, i64)>| -> nerve::Result<Vec<i64>> {
        Ok(c.list_reports(acme.id, scan, Page::first(10))?
            .into_iter()
            .map(|r| r.id)
            .collect())
    };
    assert_eq!(ids(None)?, [r.id, general.id]);
    assert_eq!(ids(Some((ScanSource::Xasm, ours.id)))?, [r.id]);
    assert_eq!(
        ids(Some((ScanSource::Lightbox, ours.id)))?,
        Vec::<i64>::new()
    );
    // Another company sees and deletes nothing.
    assert_err!(
        c.get_report(other.id, r.id),
        Error::NotFound {
            table: "vulnerability_reports",
            ..
        }
    );
    assert_err!(c.delete_report(other.id, r.id), Error::NotFound { .. });
    assert!(c.list_reports(other.id, None, Page::first(10))?.is_empty());
    c.delete_report(acme.id, r.id)?;
    assert_eq!(ids(None)?, [general.id]);
    assert_err!(c.get_report(acme.id, r.id), Error::NotFound { .. });
    assert_err!(c.delete_report(acme.id, r.id), Error::NotFound { .. });
    Ok(())
}

pub fn concurrent_changes_keep_scores_and_flags_true(ctx: &Ctx) -> CaseResult {
    use ControlStatus::{Failing, Passing};
    let c = ctx.store.compliance();
    let acme = company(&*ctx.store, "ACME", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let a = c.create_assessment(acme.id, &assessment(ada.id, ComplianceFramework::Soc2))?;
    let mapped = ["CC6.1", "CC6.2", "CC6.3"];
    for key in mapped {
        c.add_control(acme.id, a.id, &control(key, Passing, Some(100)))?;
    }
    let rows: Vec<ControlMapping> = mapped
        .iter()
        .map(|k| mapping("weak_cipher", ComplianceFramework::Soc2, k, Failing))
        .collect();
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    // Eight writers at once: four add a control each (scores 10..40) and change it, two load
    // the same mapping, two flag the same finding. Each must see the others' commits.
    let outcomes: Vec<(usize, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let store = store.clone();
                let rows = rows.clone();
                s.spawn(move || {
                    let c = store.compliance();
                    match i {
                        0..=3 => {
                            let key = format!("CC7.{i}");
                            let score = 10 * (i as i64 + 1);
                            let x = c
                                .add_control(acme.id, a.id, &control(&key, Passing, Some(score)))
                                .expect("add");
                            c.update_control(
                                acme.id,
                                x.id,
                                &ControlUpdate {
                                    compliance_score: Some(Some(score + 1)),
                                    ..ControlUpdate::default()
                                },
                            )
                            .expect("update");
                            (i, 0)
                        }
                        4 | 5 => (i, c.put_control_mappings(&rows).expect("mapping")),
                        _ => {
                            // The mapping may not be committed yet: flag until it is.
                            let finding = ScanFinding {
                                source: ScanSource::Xasm,
                                finding_type: "weak_cipher".into(),
                                finding_id: "W-1".into(),
                                domain: None,
                                seen_at: chrono::Utc::now() - Duration::hours(1),
                            };
                            let mut total = 0;
                            for _ in 0..200 {
                                if !c
                                    .control_mappings(ScanSource::Xasm, "weak_cipher")
                                    .expect("mappings")
                                    .is_empty()
                                {
                                    total +=
                                        c.flag_from_finding(acme.id, &finding).expect("flag").len()
                                            as u64;
                                    break;
                                }
                                std::thread::sleep(std::time::Duration::from_millis(10));
                            }
                            (i, total)
                        }
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    let by = |i: usize| {
        outcomes
            .iter()
            .find(|o| o.0 == i)
            .map(|o| o.1)
            .unwrap_or(u64::MAX)
    };
    assert_eq!(
        by(4) + by(5),
        3,
        "the mapping rows are written once: {outcomes:?}"
    );
    assert_eq!(
        by(6) + by(7),
        3,
        "each mapped control is flagged once: {outcomes:?}"
    );
    let controls = c.list_controls(acme.id, a.id, Page::first(100))?;
    assert_eq!(controls.len(), 7);
    assert_eq!(controls.iter().filter(|x| x.is_flagged()).count(), 3);
    // 3 failing (0) and 11 + 21 + 31 + 41 over 7 controls = 104 / 7 = 14.86.
    assert_eq!(score_follows_rule(&*ctx.store, acme.id, a.id)?, Some(15));
    Ok(())
}
