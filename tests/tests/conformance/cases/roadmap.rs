use super::{company, user};
use chrono::Duration;
use nerve::model::{
    library_checksum, security_score, LibraryTask, NewAchievement, NewRoadmapProfile, NewUserTask,
    Page, Severity, TaskSource, TaskStatus, ValueSet, UNLISTED_TASK_POINTS,
};
use nerve::{Clock, Constraint, Error, Store};
use nerve_conformance::{assert_err, CaseResult, Ctx};
use serde_json::json;
use std::collections::HashMap;

fn profile(name: &str) -> NewRoadmapProfile {
    NewRoadmapProfile {
        company_name: name.into(),
        company_size: Some("51-200".into()),
        industry: Some("Health care".into()),
        employee_count: Some(120),
        handles_pii: true,
        handles_health_data: true,
        compliance_requirements: Some(json!(["gdpr", "nis2"])),
        ..NewRoadmapProfile::default()
    }
}

fn lib_task(key: &str, points: i64) -> LibraryTask {
    LibraryTask {
        task_id: key.into(),
        title: format!("Do {key}"),
        description: Some("Step by step".into()),
        category: Some("Identity".into()),
        phase: 1,
        priority: Severity::High,
        points,
        estimated_effort: Some("2 hours".into()),
        applies_to: Some(json!({"sizes": ["1-10", "51-200"]})),
    }
}

fn task(key: &str, source: TaskSource) -> NewUserTask {
    NewUserTask {
        task_id: key.into(),
        source: Some(source),
        ..NewUserTask::default()
    }
}

/// Asserts the profile's stored score is the rule's value over its live tasks (weights from
/// the live library), and returns it.
fn score_follows_rule(store: &dyn Store, company_id: i64, profile_id: i64) -> nerve::Result<i64> {
    let r = store.roadmap();
    let points: HashMap<String, i64> = r
        .library_tasks(Page::first(1000))?
        .into_iter()
        .map(|t| (t.task.task_id, t.task.points))
        .collect();
    let tasks = r.list_tasks(company_id, profile_id, None, Page::first(1000))?;
    let expected = security_score(tasks.iter().map(|t| {
        (
            t.status,
            points
                .get(&t.task_id)
                .copied()
                .unwrap_or(UNLISTED_TASK_POINTS),
        )
    }));
    let stored = r
        .get_profile(company_id, profile_id)?
        .current_security_score;
    assert_eq!(
        stored, expected,
        "score of profile {profile_id} vs its tasks {tasks:?}"
    );
    Ok(stored)
}

pub fn profiles_are_created_scoped_and_deleted(ctx: &Ctx) -> CaseResult {
    let r = ctx.store.roadmap();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let eve = user(&*ctx.store, other.id, "eve@other.test")?;
    let mut new = profile("ACME Clinics");
    new.user_id = Some(ada.id);
    let p = r.create_profile(acme.id, &new)?;
    assert_eq!(
        (
            p.company_id,
            p.user_id,
            p.current_security_score,
            p.target_security_score,
            p.handles_pii,
            p.handles_payment_data
        ),
        (acme.id, Some(ada.id), 0, 75, true, false)
    );
    assert_eq!(p.compliance_requirements, new.compliance_requirements);
    assert_eq!(r.get_profile(acme.id, p.id)?, p);
    for (bad, field) in [
        (
            NewRoadmapProfile {
                company_name: "".into(),
                ..profile("x")
            },
            "company_name",
        ),
        (
            NewRoadmapProfile {
                target_security_score: Some(101),
                ..profile("x")
            },
            "target_security_score",
        ),
        (
            NewRoadmapProfile {
                employee_count: Some(-1),
                ..profile("x")
            },
            "employee_count",
        ),
        (
            NewRoadmapProfile {
                current_measures: Some(json!({"\u{0}": 1})),
                ..profile("x")
            },
            "current_measures",
        ),
    ] {
        assert_err!(
            r.create_profile(acme.id, &bad),
            Error::Validation { table: "roadmap_profiles", field: f, .. } if f == field
        );
    }
    assert_err!(
        r.create_profile(
            acme.id,
            &NewRoadmapProfile {
                user_id: Some(eve.id),
                ..profile("x")
            }
        ),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        r.get_profile(other.id, p.id),
        Error::NotFound {
            table: "roadmap_profiles",
            ..
        }
    );
    assert_err!(r.delete_profile(other.id, p.id), Error::NotFound { .. });
    assert_err!(
        r.add_task(other.id, p.id, &task("t", TaskSource::Manual)),
        Error::NotFound { .. }
    );
    assert_err!(r.record_progress(other.id, p.id), Error::NotFound { .. });
    assert!(r.list_profiles(other.id, Page::first(10))?.is_empty());
    let q = r.create_profile(acme.id, &profile("ACME Labs"))?;
    let ids = |ctx: &Ctx| -> nerve::Result<Vec<i64>> {
        Ok(ctx
            .store
            .roadmap()
            .list_profiles(acme.id, Page::first(10))?
            .into_iter()
            .map(|p| p.id)
            .collect())
    };
    assert_eq!(ids(ctx)?, [p.id, q.id]);
    r.delete_profile(acme.id, p.id)?;
    assert_eq!(ids(ctx)?, [q.id]);
    assert_err!(r.get_profile(acme.id, p.id), Error::NotFound { .. });
    ctx.store.companies().soft_delete(acme.id)?;
    assert_err!(
        r.get_profile(acme.id, q.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    Ok(())
}

pub fn the_task_library_is_versioned_and_keeps_users_tasks(ctx: &Ctx) -> CaseResult {
    let r = ctx.store.roadmap();
    let v1 = [
        lib_task("mfa", 10),
        lib_task("backups", 20),
        lib_task("edr", 30),
    ];
    let first = r.load_task_library("2026.1", &v1, Some("first"))?;
    assert_eq!(
        (
            first.added,
            first.updated,
            first.retired,
            first.loaded,
            first.version.task_count
        ),
        (3, 0, 0, true, 3)
    );
    assert_eq!(first.version.checksum, library_checksum(&v1));
    assert_eq!(first.version.loaded_at, ctx.clock.now());
    // The same version again changes nothing; other tasks under its name are refused.
    let again = r.load_task_library("2026.1", &v1, None)?;
    assert_eq!(
        (again.loaded, again.version),
        (false, first.version.clone())
    );
    assert_err!(
        r.load_task_library("2026.1", &v1[..2], None),
        Error::Conflict {
            table: "roadmap_task_library_meta",
            field: "version",
            constraint: Constraint::Unique,
            ..
        }
    );
    // Validation names the task; a key twice is refused; nothing is written.
    let mut bad = v1.to_vec();
    bad[1].phase = 0;
    assert_err!(
        r.load_task_library("2026.2", &bad, None),
        Error::Validation { table: "roadmap_tasks", field: "phase", ref reason } if reason.contains("'backups'")
    );
    let twice = [lib_task("mfa", 1), lib_task("mfa", 2)];
    assert_err!(
        r.load_task_library("2026.2", &twice, None),
        Error::Validation {
            table: "roadmap_tasks",
            field: "task_id",
            ..
        }
    );
    assert_err!(
        r.load_task_library(&"v".repeat(21), &v1, None),
        Error::Validation {
            table: "roadmap_task_library_meta",
            field: "version",
            ..
        }
    );
    assert_eq!(r.library_versions()?.len(), 1);

    let acme = company(&*ctx.store, "ACME", None)?;
    let p = r.create_profile(acme.id, &profile("ACME"))?;
    let mfa = r.add_task(acme.id, p.id, &task("mfa", TaskSource::Library))?;
    let backups = r.add_task(acme.id, p.id, &task("backups", TaskSource::Library))?;
    let manual = r.add_task(
        acme.id,
        p.id,
        &task("tabletop-exercise", TaskSource::Manual),
    )?;
    assert_err!(
        r.add_task(acme.id, p.id, &task("not-in-library", TaskSource::Library)),
        Error::NotFound {
            table: "roadmap_tasks",
            ..
        }
    );
    for (id, steps) in [(mfa.id, 3), (backups.id, 2), (manual.id, 1)] {
        for s in [
            TaskStatus::InProgress,
            TaskStatus::Completed,
            TaskStatus::Verified,
        ]
        .into_iter()
        .take(steps)
        {
            r.set_task_status(acme.id, id, s)?;
        }
    }
    // mfa verified 10, backups completed 20/2, manual in progress 10 (unlisted): 20 of 40.
    assert_eq!(score_follows_rule(&*ctx.store, acme.id, p.id)?, 50);

    // Version 2: mfa worth more, backups retired, a new task; users' tasks keep their states.
    ctx.clock.advance(Duration::days(30));
    let v2 = [
        lib_task("mfa", 30),
        lib_task("edr", 30),
        lib_task("phishing-training", 5),
    ];
    let second = r.load_task_library("2026.2", &v2, None)?;
    assert_eq!(
        (second.added, second.updated, second.retired, second.loaded),
        (1, 1, 1, true)
    );
    let keys: Vec<(String, String)> = r
        .library_tasks(Page::first(10))?
        .into_iter()
        .map(|t| (t.task.task_id, t.library_version))
        .collect();
    assert_eq!(
        keys,
        [
            ("mfa".to_string(), "2026.2".to_string()),
            ("edr".into(), "2026.2".into()),
            ("phishing-training".into(), "2026.2".into())
        ]
    );
    let states: Vec<(i64, TaskStatus)> = r
        .list_tasks(acme.id, p.id, None, Page::first(10))?
        .into_iter()
        .map(|t| (t.id, t.status))
        .collect();
    assert_eq!(
        states,
        [
            (mfa.id, TaskStatus::Verified),
            (backups.id, TaskStatus::Completed),
            (manual.id, TaskStatus::InProgress)
        ]
    );
    // Reweighed by the load: mfa 30 verified, backups now unlisted 10 half, manual 10: 35 of 50.
    assert_eq!(score_follows_rule(&*ctx.store, acme.id, p.id)?, 70);
    assert_eq!(
        r.get_profile(acme.id, p.id)?.last_recalculated,
        Some(ctx.clock.now())
    );
    let versions: Vec<String> = r
        .library_versions()?
        .into_iter()
        .map(|v| v.version)
        .collect();
    assert_eq!(versions, ["2026.1", "2026.2"]);
    // A retired task can come back in a later version.
    let third = r.load_task_library("2026.3", &[lib_task("backups", 40)], None)?;
    assert_eq!((third.added, third.updated, third.retired), (1, 0, 3));
    assert_eq!(score_follows_rule(&*ctx.store, acme.id, p.id)?, 50); // 10 + 20 of 60
    Ok(())
}

pub fn task_status_moves_one_step_and_the_score_follows(ctx: &Ctx) -> CaseResult {
    use TaskStatus::{Completed, InProgress, NotStarted, Verified};
    let r = ctx.store.roadmap();
    r.load_task_library("1", &[lib_task("mfa", 20), lib_task("free", 0)], None)?;
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let eve = user(&*ctx.store, other.id, "eve@other.test")?;
    let p = r.create_profile(acme.id, &profile("ACME"))?;
    let s = |ctx: &Ctx| score_follows_rule(&*ctx.store, acme.id, p.id);
    assert_eq!(s(ctx)?, 0);
    let mfa = r.add_task(
        acme.id,
        p.id,
        &NewUserTask {
            assigned_to_user_id: Some(ada.id),
            ..task("mfa", TaskSource::Library)
        },
    )?;
    assert_eq!(
        (mfa.status, mfa.phase, mfa.assigned_to_user_id),
        (NotStarted, Some(1), Some(ada.id))
    );
    let scan = r.add_task(
        acme.id,
        p.id,
        &NewUserTask {
            phase: Some(2),
            source_reference_id: Some(42),
            finding_type: Some("open_admin_port".into()),
            finding_severity: Some(Severity::Critical),
            scan_domain: Some("VPN.acme.test".into()),
            scan_date: Some(ctx.clock.now() - Duration::days(1)),
            source_details: Some(json!({"port": 3389})),
            ..task("close-rdp", TaskSource::Scan)
        },
    )?;
    assert_eq!(
        (
            scan.phase,
            scan.scan_domain.as_deref(),
            scan.finding_severity
        ),
        (Some(2), Some("vpn.acme.test"), Some(Severity::Critical))
    );
    let actor = r.add_task(
        acme.id,
        p.id,
        &NewUserTask {
            matched_threat_actor: Some("FIN7".into()),
            threat_actor_ttp: Some(json!({"techniques": ["T1566.001", "T1059"]})),
            ..task("block-macros", TaskSource::ThreatActor)
        },
    )?;
    assert_eq!(
        actor.threat_actor_ttp,
        Some(json!({"techniques": ["T1566.001", "T1059"]}))
    );
    r.add_task(acme.id, p.id, &task("free", TaskSource::Library))?;
    assert_eq!(s(ctx)?, 0);
    // Illegal moves are validation errors naming both statuses, and change nothing.
    for (from_task, to) in [(mfa.id, Completed), (mfa.id, Verified)] {
        assert_err!(
            r.set_task_status(acme.id, from_task, to),
            Error::Validation { table: "roadmap_user_tasks", field: "status", ref reason }
                if reason.contains("not_started") && reason.contains(to.as_str())
        );
    }
    assert_eq!(r.get_task(acme.id, mfa.id)?, mfa);
    // Setting the status a task has changes nothing.
    assert_eq!(r.set_task_status(acme.id, mfa.id, NotStarted)?, mfa);
    ctx.clock.advance(Duration::hours(1));
    let t = r.set_task_status(acme.id, mfa.id, InProgress)?;
    assert_eq!(
        (t.status, t.started_at, t.completed_at),
        (InProgress, Some(ctx.clock.now()), None)
    );
    assert_eq!(s(ctx)?, 0);
    ctx.clock.advance(Duration::hours(1));
    let t = r.set_task_status(acme.id, mfa.id, Completed)?;
    assert_eq!(t.completed_at, Some(ctx.clock.now()));
    assert_eq!(s(ctx)?, 25); // 10 of 40
    assert_err!(
        r.set_task_status(acme.id, mfa.id, InProgress),
        Error::Validation {
            field: "status",
            ..
        }
    );
    let t = r.set_task_status(acme.id, mfa.id, Verified)?;
    assert_eq!(t.verified_at, Some(ctx.clock.now()));
    assert_eq!(s(ctx)?, 50); // 20 of 40
    assert_err!(
        r.set_task_status(acme.id, mfa.id, Completed),
        Error::Validation {
            field: "status",
            ..
        }
    );
    for step in [InProgress, Completed, Verified] {
        r.set_task_status(acme.id, scan.id, step)?;
        s(ctx)?;
    }
    assert_eq!(s(ctx)?, 75); // 30 of 40
                             // Removing a task rescores; its key is free again.
    r.remove_task(acme.id, actor.id)?;
    assert_eq!(s(ctx)?, 100);
    assert_err!(
        r.get_task(acme.id, actor.id),
        Error::NotFound {
            table: "roadmap_user_tasks",
            ..
        }
    );
    assert_err!(
        r.add_task(acme.id, p.id, &task("mfa", TaskSource::Manual)),
        Error::Conflict {
            table: "roadmap_user_tasks",
            field: "profile_id, task_id",
            constraint: Constraint::Unique,
            ..
        }
    );
    let back = r.add_task(
        acme.id,
        p.id,
        &task("block-macros", TaskSource::ThreatActor),
    )?;
    assert_eq!(back.status, NotStarted);
    assert_eq!(s(ctx)?, 75); // 30 of 40: the new task counts again
                             // Filters and paging.
    let verified: Vec<i64> = r
        .list_tasks(acme.id, p.id, Some(Verified), Page::first(10))?
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(verified, [mfa.id, scan.id]);
    let after: Vec<i64> = r
        .list_tasks(acme.id, p.id, None, Page::after(scan.id, 1))?
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(after.len(), 1);
    // Validation and tenancy.
    for (bad, field) in [
        (
            NewUserTask {
                phase: Some(0),
                ..task("x", TaskSource::Manual)
            },
            "phase",
        ),
        (task("", TaskSource::Manual), "task_id"),
        (
            NewUserTask {
                threat_actor_ttp: Some(json!("\u{0}")),
                ..task("x", TaskSource::Manual)
            },
            "threat_actor_ttp",
        ),
        (
            NewUserTask {
                scan_domain: Some("bad domain".into()),
                ..task("x", TaskSource::Scan)
            },
            "scan_domain",
        ),
    ] {
        assert_err!(
            r.add_task(acme.id, p.id, &bad),
            Error::Validation { table: "roadmap_user_tasks", field: f, .. } if f == field
        );
    }
    assert_err!(
        r.add_task(
            acme.id,
            p.id,
            &NewUserTask {
                assigned_to_user_id: Some(eve.id),
                ..task("y", TaskSource::Manual)
            }
        ),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(r.get_task(other.id, mfa.id), Error::NotFound { .. });
    assert_err!(
        r.set_task_status(other.id, back.id, InProgress),
        Error::NotFound { .. }
    );
    assert_err!(r.remove_task(other.id, back.id), Error::NotFound { .. });
    assert_eq!(r.get_task(acme.id, back.id)?.status, NotStarted);
    Ok(())
}

pub fn achievements_are_awarded_once_even_concurrently(ctx: &Ctx) -> CaseResult {
    let r = ctx.store.roadmap();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let p = r.create_profile(acme.id, &profile("ACME"))?;
    let q = r.create_profile(acme.id, &profile("ACME Labs"))?;
    let new = NewAchievement {
        user_id: Some(ada.id),
        achievement_key: "first-steps".into(),
        name: "First steps".into(),
        description: Some("Completed a first task".into()),
        points: 50,
    };
    let first = r.award_achievement(acme.id, p.id, &new)?;
    assert!(first.newly_awarded);
    assert_eq!(first.achievement.awarded_at, ctx.clock.now());
    ctx.clock.advance(Duration::hours(1));
    let again = r.award_achievement(
        acme.id,
        p.id,
        &NewAchievement {
            name: "Other name".into(),
            ..new.clone()
        },
    )?;
    assert!(!again.newly_awarded);
    assert_eq!(
        again.achievement, first.achievement,
        "the first award stands"
    );
    // Once per profile, not once overall.
    assert!(r.award_achievement(acme.id, q.id, &new)?.newly_awarded);
    assert_err!(
        r.award_achievement(other.id, p.id, &new),
        Error::NotFound { .. }
    );
    assert_err!(
        r.list_achievements(other.id, p.id, Page::first(10)),
        Error::NotFound { .. }
    );
    for (bad, field) in [
        (
            NewAchievement {
                achievement_key: "".into(),
                ..new.clone()
            },
            "achievement_key",
        ),
        (
            NewAchievement {
                points: -1,
                ..new.clone()
            },
            "points",
        ),
        (
            NewAchievement {
                name: "n".repeat(256),
                ..new.clone()
            },
            "name",
        ),
    ] {
        assert_err!(
            r.award_achievement(acme.id, p.id, &bad),
            Error::Validation { table: "roadmap_achievements", field: f, .. } if f == field
        );
    }
    // Concurrent awards of one new achievement: one stores it, all see the same row.
    let store: std::sync::Arc<dyn nerve::Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    let streak = NewAchievement {
        achievement_key: "streak".into(),
        name: "Streak".into(),
        ..new.clone()
    };
    let outcomes: Vec<(i64, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                let streak = streak.clone();
                s.spawn(move || {
                    let award = store
                        .roadmap()
                        .award_achievement(acme.id, p.id, &streak)
                        .expect("award");
                    (award.achievement.id, award.newly_awarded)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(
        outcomes.iter().filter(|o| o.1).count(),
        1,
        "one award stored: {outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|o| o.0 == outcomes[0].0),
        "{outcomes:?}"
    );
    let keys: Vec<String> = r
        .list_achievements(acme.id, p.id, Page::first(10))?
        .into_iter()
        .map(|a| a.achievement_key)
        .collect();
    assert_eq!(keys, ["first-steps", "streak"]);
    Ok(())
}

pub fn progress_snapshots_form_a_time_series(ctx: &Ctx) -> CaseResult {
    let r = ctx.store.roadmap();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let p = r.create_profile(acme.id, &profile("ACME"))?;
    let a = r.add_task(acme.id, p.id, &task("a", TaskSource::Manual))?;
    r.add_task(acme.id, p.id, &task("b", TaskSource::Manual))?;
    let start = ctx.clock.now();
    let s1 = r.record_progress(acme.id, p.id)?;
    assert_eq!(
        (
            s1.security_score,
            s1.tasks_total,
            s1.tasks_not_started,
            s1.tasks_in_progress,
            s1.recorded_at
        ),
        (0, 2, 2, 0, start)
    );
    ctx.clock.advance(Duration::days(7));
    r.set_task_status(acme.id, a.id, TaskStatus::InProgress)?;
    r.set_task_status(acme.id, a.id, TaskStatus::Completed)?;
    let s2 = r.record_progress(acme.id, p.id)?;
    assert_eq!(
        (
            s2.security_score,
            s2.tasks_not_started,
            s2.tasks_completed,
            s2.tasks_verified
        ),
        (25, 1, 1, 0)
    );
    assert_eq!(
        s2.security_score,
        r.get_profile(acme.id, p.id)?.current_security_score
    );
    ctx.clock.advance(Duration::days(7));
    r.set_task_status(acme.id, a.id, TaskStatus::Verified)?;
    let s3 = r.record_progress(acme.id, p.id)?;
    assert_eq!((s3.security_score, s3.tasks_verified), (50, 1));
    // A snapshot stamped earlier (a clock set back) still sorts by its time.
    ctx.clock.set(start + Duration::days(1));
    let s0 = r.record_progress(acme.id, p.id)?;
    let series = |since, page| -> nerve::Result<Vec<i64>> {
        Ok(r.progress_history(acme.id, p.id, since, page)?
            .into_iter()
            .map(|s| s.id)
            .collect())
    };
    assert_eq!(series(None, Page::first(10))?, [s1.id, s0.id, s2.id, s3.id]);
    assert_eq!(series(None, Page::after(s0.id, 2))?, [s2.id, s3.id]);
    assert_eq!(
        series(Some(start + Duration::hours(1)), Page::first(10))?,
        [s0.id, s2.id, s3.id]
    );
    assert_eq!(
        series(Some(start + Duration::days(14)), Page::first(10))?,
        [s3.id]
    );
    assert_err!(
        r.progress_history(other.id, p.id, None, Page::first(10)),
        Error::NotFound { .. }
    );
    assert_err!(
        r.progress_history(acme.id, p.id, None, Page::first(0)),
        Error::Validation { field: "limit", .. }
    );
    Ok(())
}

pub fn concurrent_task_changes_and_library_loads_keep_the_score_true(ctx: &Ctx) -> CaseResult {
    let r = ctx.store.roadmap();
    let library: Vec<LibraryTask> = (0..6)
        .map(|i| lib_task(&format!("t{i}"), 10 * (i + 1)))
        .collect();
    r.load_task_library("1", &library, None)?;
    let acme = company(&*ctx.store, "ACME", None)?;
    let p = r.create_profile(acme.id, &profile("ACME"))?;
    let store: std::sync::Arc<dyn Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    let v2: Vec<LibraryTask> = (0..6)
        .map(|i| lib_task(&format!("t{i}"), 5 * (i + 1)))
        .collect();
    // Six threads each add a task and walk it to verified; two add the same extra key; two
    // load version 2 at once.
    let outcomes: Vec<(usize, std::result::Result<bool, String>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                let store = store.clone();
                let v2 = v2.clone();
                s.spawn(move || {
                    let r = store.roadmap();
                    let out = match i {
                        0..=5 => (|| {
                            let t = r.add_task(
                                acme.id,
                                p.id,
                                &task(&format!("t{i}"), TaskSource::Library),
                            )?;
                            for status in [
                                TaskStatus::InProgress,
                                TaskStatus::Completed,
                                TaskStatus::Verified,
                            ]
                            .into_iter()
                            .take(1 + i % 3)
                            {
                                r.set_task_status(acme.id, t.id, status)?;
                            }
                            Ok(true)
                        })(),
                        6 | 7 => r
                            .add_task(acme.id, p.id, &task("extra", TaskSource::Manual))
                            .map(|_| true),
                        _ => r.load_task_library("2", &v2, None).map(|load| load.loaded),
                    };
                    (i, out.map_err(|e: nerve::Error| format!("{e:?}")))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    for (i, out) in outcomes.iter().filter(|o| o.0 <= 5) {
        assert_eq!(out, &Ok(true), "task thread {i}");
    }
    let extra: Vec<&std::result::Result<bool, String>> = outcomes
        .iter()
        .filter(|o| o.0 == 6 || o.0 == 7)
        .map(|o| &o.1)
        .collect();
    assert_eq!(extra.iter().filter(|o| o.is_ok()).count(), 1, "{extra:?}");
    assert!(
        extra
            .iter()
            .any(|o| matches!(o, Err(e) if e.contains("Conflict") && e.contains("task_id"))),
        "{extra:?}"
    );
    let loads: Vec<&std::result::Result<bool, String>> =
        outcomes.iter().filter(|o| o.0 >= 8).map(|o| &o.1).collect();
    assert_eq!(
        loads.iter().filter(|o| **o == &Ok(true)).count(),
        1,
        "one load applies: {loads:?}"
    );
    assert_eq!(
        loads.iter().filter(|o| **o == &Ok(false)).count(),
        1,
        "the other finds it done: {loads:?}"
    );
    assert_eq!(
        r.list_tasks(acme.id, p.id, None, Page::first(100))?.len(),
        7
    );
    score_follows_rule(&*ctx.store, acme.id, p.id)?;
    Ok(())
}
