use super::{company, user};
use chrono::Duration;
use nerve::model::{
    Deleted, GhostQueryType, MonitorScope, NewEmailFinding, NewGhostQuery, NewMonitoredEmail, Page,
    Severity, ValueSet,
};
use nerve::{Clock, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};
use serde_json::json;

fn query(user_id: i64, query_type: GhostQueryType, value: &str) -> NewGhostQuery {
    NewGhostQuery {
        user_id,
        query_type,
        query_value: value.into(),
        results_count: 3,
        search_sources: Some(json!({"hibp": "ok", "dehashed": {"status": 429}})),
        response_time_ms: Some(840),
    }
}

fn finding(source: &str, key: &str) -> NewEmailFinding {
    NewEmailFinding {
        source: source.into(),
        finding_key: key.into(),
        breach_name: Some(key.into()),
        breach_date: None,
        data_classes: Some(json!(["emails", "passwords"])),
        severity: Severity::High,
        source_details: None,
    }
}

pub fn queries_are_listed_per_user_and_counted_per_type(ctx: &Ctx) -> CaseResult {
    let ghost = ctx.store.ghost();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let bob = user(&*ctx.store, acme.id, "bob@acme.test")?;
    let eve = user(&*ctx.store, other.id, "eve@other.test")?;
    let mut ids = Vec::new();
    for (u, t, v) in [
        (ada.id, GhostQueryType::Email, "x@y.test"),
        (ada.id, GhostQueryType::Domain, "y.test"),
        (bob.id, GhostQueryType::Email, "z@y.test"),
        (ada.id, GhostQueryType::Email, "w@y.test"),
    ] {
        ctx.clock.advance(Duration::seconds(1));
        let q = ghost.record_query(acme.id, &query(u, t, v))?;
        assert_eq!((q.searched_at, q.query_type), (ctx.clock.now(), t));
        ids.push(q.id);
    }
    ghost.record_query(other.id, &query(eve.id, GhostQueryType::Email, "a@b.test"))?;
    let mine = ghost.list_queries(acme.id, ada.id, Page::first(2))?;
    assert_eq!(
        mine.iter().map(|q| q.id).collect::<Vec<_>>(),
        vec![ids[3], ids[1]],
        "newest first"
    );
    let older = ghost.list_queries(acme.id, ada.id, Page::after(ids[1], 10))?;
    assert_eq!(older.iter().map(|q| q.id).collect::<Vec<_>>(), vec![ids[0]]);
    let counts = ghost.query_counts(acme.id, None)?;
    assert_eq!(
        counts.len(),
        GhostQueryType::ALL.len(),
        "every type, zeros included"
    );
    assert_eq!(
        counts[0],
        (GhostQueryType::Email, 3),
        "the other company's query is not counted"
    );
    assert_eq!(
        counts.iter().find(|c| c.0 == GhostQueryType::Domain),
        Some(&(GhostQueryType::Domain, 1))
    );
    assert_eq!(
        ghost.query_counts(acme.id, Some(bob.id))?[0],
        (GhostQueryType::Email, 1)
    );
    // Tenancy and validation.
    assert_err!(
        ghost.record_query(acme.id, &query(eve.id, GhostQueryType::Ip, "1.2.3.4")),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        ghost.list_queries(acme.id, eve.id, Page::first(5)),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        ghost.record_query(
            acme.id,
            &NewGhostQuery {
                results_count: -1,
                ..query(ada.id, GhostQueryType::Ip, "x")
            }
        ),
        Error::Validation {
            table: "ghost_search_queries",
            field: "results_count",
            ..
        }
    );
    Ok(())
}

pub fn findings_are_recorded_once_and_counts_stay_true(ctx: &Ctx) -> CaseResult {
    let ghost = ctx.store.ghost();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let watch = NewMonitoredEmail {
        created_by_user_id: ada.id,
        email_address: "CFO@acme.test".into(),
        monitor_scope: MonitorScope::Company,
        user_id: None,
    };
    let (m, created) = ghost.monitor_email(acme.id, &watch)?;
    assert!(created);
    assert_eq!(
        (m.email_address.as_str(), m.findings_count, m.last_checked),
        ("cfo@acme.test", 0, None)
    );
    let (again, created) = ghost.monitor_email(
        acme.id,
        &NewMonitoredEmail {
            email_address: "cfo@ACME.test".into(),
            ..watch.clone()
        },
    )?;
    assert!(!created && again.id == m.id, "idempotent");
    let (personal, created) = ghost.monitor_email(
        acme.id,
        &NewMonitoredEmail {
            monitor_scope: MonitorScope::User,
            user_id: Some(ada.id),
            ..watch.clone()
        },
    )?;
    assert!(created && personal.id != m.id, "another scope, another row");
    assert_err!(
        ghost.monitor_email(
            acme.id,
            &NewMonitoredEmail {
                monitor_scope: MonitorScope::User,
                ..watch.clone()
            }
        ),
        Error::Validation {
            table: "monitored_emails",
            field: "user_id",
            ..
        }
    );
    // Findings: the same finding from the same source adds nothing.
    ctx.clock.advance(Duration::hours(1));
    let (m1, added) = ghost.record_findings(
        acme.id,
        m.id,
        &[finding("hibp", "LinkedIn"), finding("hibp", "Adobe")],
    )?;
    assert_eq!(
        (added, m1.findings_count, m1.last_checked),
        (2, 2, Some(ctx.clock.now()))
    );
    ctx.clock.advance(Duration::hours(1));
    let (m2, added) = ghost.record_findings(
        acme.id,
        m.id,
        &[
            finding("hibp", "LinkedIn"),
            finding("hibp", "Canva"),
            finding("dehashed", "LinkedIn"),
        ],
    )?;
    assert_eq!((added, m2.findings_count), (2, 4));
    let (m3, added) = ghost.record_findings(acme.id, m.id, &[])?;
    assert_eq!(
        (added, m3.findings_count, m3.last_checked),
        (0, 4, Some(ctx.clock.now()))
    );
    let listed = ghost.list_findings(acme.id, m.id, Page::first(10))?;
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0].data_classes, Some(json!(["emails", "passwords"])));
    // Concurrent checks of one address count every finding once.
    let store: std::sync::Arc<dyn nerve::Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    std::thread::scope(|s| {
        for _ in 0..4 {
            let store = store.clone();
            s.spawn(move || {
                store
                    .ghost()
                    .record_findings(
                        acme.id,
                        m.id,
                        &[finding("intelx", "Combo1"), finding("intelx", "Combo2")],
                    )
                    .expect("recorded");
            });
        }
    });
    let after = ghost.list_monitored(acme.id, Page::first(10), Deleted::Exclude)?;
    assert_eq!(
        after
            .iter()
            .find(|x| x.id == m.id)
            .map(|x| x.findings_count),
        Some(6)
    );
    assert_eq!(
        ghost.list_findings(acme.id, m.id, Page::first(100))?.len(),
        6
    );
    // Tenancy, validation, stop.
    assert_err!(
        ghost.record_findings(other.id, m.id, &[finding("x", "y")]),
        Error::NotFound {
            table: "monitored_emails",
            ..
        }
    );
    assert_err!(
        ghost.record_findings(acme.id, m.id, &[finding("", "y")]),
        Error::Validation {
            field: "source",
            ..
        }
    );
    ghost.stop_monitoring(acme.id, m.id)?;
    assert_err!(
        ghost.list_findings(acme.id, m.id, Page::first(10)),
        Error::NotFound { .. }
    );
    assert_eq!(
        ghost
            .list_monitored(acme.id, Page::first(10), Deleted::Only)?
            .len(),
        1
    );
    Ok(())
}

pub fn source_findings_are_kept_once_per_url(ctx: &Ctx) -> CaseResult {
    use nerve::model::{NewGithubFinding, NewOpsychResult, NewPasteFinding, SocialPlatform};
    let ghost = ctx.store.ghost();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let (m, _) = ghost.monitor_email(
        acme.id,
        &NewMonitoredEmail {
            created_by_user_id: ada.id,
            email_address: "dev@acme.test".into(),
            monitor_scope: MonitorScope::Company,
            user_id: None,
        },
    )?;
    let gh = NewGithubFinding {
        source_url: "https://github.com/acme/app/blob/main/.env".into(),
        repository: Some("acme/app".into()),
        file_path: Some(".env".into()),
        matched_text: Some("SMTP_USER=dev@acme.test".into()),
        severity: Severity::Critical,
        committed_at: Some("2026-03-01T10:00:00Z".parse()?),
    };
    let (first, created) = ghost.record_github_finding(acme.id, m.id, &gh)?;
    assert!(created);
    assert_eq!(
        (first.repository.as_deref(), first.severity),
        (Some("acme/app"), Severity::Critical)
    );
    let (again, created) = ghost.record_github_finding(
        acme.id,
        m.id,
        &NewGithubFinding {
            severity: Severity::Low,
            ..gh.clone()
        },
    )?;
    assert!(!created);
    assert_eq!(again, first, "the same URL: the first finding, unchanged");
    ghost.record_github_finding(
        acme.id,
        m.id,
        &NewGithubFinding {
            source_url: "https://gist.github.com/x/1".into(),
            ..gh.clone()
        },
    )?;
    assert_eq!(
        ghost
            .list_github_findings(acme.id, m.id, Page::first(10))?
            .len(),
        2
    );
    let paste = NewPasteFinding {
        source_url: "https://pastebin.com/AbCd1234".into(),
        paste_title: Some("combo".into()),
        paste_author: None,
        matched_text: Some("dev@acme.test:hunter2".into()),
        severity: Severity::High,
        posted_at: None,
    };
    assert!(ghost.record_paste_finding(acme.id, m.id, &paste)?.1);
    assert!(!ghost.record_paste_finding(acme.id, m.id, &paste)?.1);
    let opsych = NewOpsychResult {
        source_url: "https://x.example/devacme".into(),
        platform: SocialPlatform::Twitter,
        username: Some("devacme".into()),
        display_name: Some("Dev Ünïcode".into()),
        details: Some(json!({"followers": 12})),
    };
    assert!(ghost.record_opsych_result(acme.id, m.id, &opsych)?.1);
    assert!(!ghost.record_opsych_result(acme.id, m.id, &opsych)?.1);
    assert_eq!(
        ghost.list_opsych_results(acme.id, m.id, Page::first(10))?[0].details,
        Some(json!({"followers": 12}))
    );
    assert_eq!(
        ghost
            .list_paste_findings(acme.id, m.id, Page::first(10))?
            .len(),
        1
    );
    assert_err!(
        ghost.record_github_finding(
            acme.id,
            m.id,
            &NewGithubFinding {
                source_url: "ftp://x".into(),
                ..gh.clone()
            }
        ),
        Error::Validation {
            table: "github_findings",
            field: "source_url",
            ..
        }
    );
    assert_err!(
        ghost.record_opsych_result(
            acme.id,
            m.id,
            &NewOpsychResult {
                source_url: "x.example/devacme".into(),
                ..opsych.clone()
            }
        ),
        Error::Validation {
            table: "opsych_search_results",
            field: "source_url",
            ..
        }
    );
    assert_err!(
        ghost.record_paste_finding(other.id, m.id, &paste),
        Error::NotFound {
            table: "monitored_emails",
            ..
        }
    );
    assert_err!(
        ghost.list_github_findings(other.id, m.id, Page::first(10)),
        Error::NotFound { .. }
    );
    Ok(())
}

pub fn breach_files_are_parsed_once_without_readable_passwords(ctx: &Ctx) -> CaseResult {
    use nerve::model::{NewBreachFile, NewBreachRecord, NewCredential, UploadStatus};
    use nerve::secret::{sha256_hex, Secret};
    let ghost = ctx.store.ghost();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let file = |name: &str| NewBreachFile {
        user_id: None,
        file_name: name.into(),
        size_bytes: 4096,
        sha256: "AB".repeat(32),
        breach_name: Some("Collection #1".into()),
    };
    let f = ghost.create_breach_file(acme.id, &file("collection1.txt"))?;
    assert_eq!(
        (f.status, f.records_count, f.sha256.as_str()),
        (UploadStatus::Pending, 0, "ab".repeat(32).as_str())
    );
    let records: Vec<NewBreachRecord> = (0..700)
        .map(|i| NewBreachRecord {
            credential: NewCredential {
                email: Some(format!("User{i}@ACME.test")),
                username: None,
                password: Some(Secret::new("another passphrase".into())),
                domain: Some("acme.test".into()),
                source_line: Some(i),
            },
            extra_fields: Some(json!({"ip": "10.0.0.1"})),
        })
        .collect();
    let parsed = ghost.mark_breach_file_parsed(acme.id, f.id, &records)?;
    assert_eq!(
        (parsed.status, parsed.records_count, parsed.parsed_at),
        (UploadStatus::Parsed, 700, Some(ctx.clock.now()))
    );
    let page = ghost.list_breach_records(acme.id, f.id, Page::first(3))?;
    assert_eq!(page[0].email.as_deref(), Some("user0@acme.test"));
    assert_eq!(
        page[0].password_sha256,
        Some(sha256_hex("another passphrase"))
    );
    assert_eq!(
        page[0].password_masked.as_deref(),
        Some("a****************e")
    );
    assert_eq!(page[0].extra_fields, Some(json!({"ip": "10.0.0.1"})));
    assert_err!(
        ghost.mark_breach_file_parsed(acme.id, f.id, &[]),
        Error::Validation {
            table: "uploaded_breach_files",
            field: "status",
            ..
        }
    );
    let g = ghost.create_breach_file(acme.id, &file("broken.7z"))?;
    let failed = ghost.mark_breach_file_failed(acme.id, g.id, "unsupported archive")?;
    assert_eq!(
        (failed.status, failed.failure_reason.as_deref()),
        (UploadStatus::Failed, Some("unsupported archive"))
    );
    assert_err!(
        ghost.mark_breach_file_failed(acme.id, g.id, "again"),
        Error::Validation {
            field: "status",
            ..
        }
    );
    assert_err!(
        ghost.list_breach_records(other.id, f.id, Page::first(3)),
        Error::NotFound {
            table: "uploaded_breach_files",
            ..
        }
    );
    assert_err!(
        ghost.create_breach_file(
            acme.id,
            &NewBreachFile {
                sha256: "zz".into(),
                ..file("x")
            }
        ),
        Error::Validation {
            field: "sha256",
            ..
        }
    );
    assert_eq!(
        ghost
            .list_breach_files(acme.id, Page::first(10), Deleted::Exclude)?
            .len(),
        2
    );
    // (The harness then checks "another passphrase" is nowhere in the database.)
    Ok(())
}

pub fn concurrent_watches_of_one_address_make_one_row(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let ada = user(&*ctx.store, acme.id, "ada@acme.test")?;
    let store: std::sync::Arc<dyn nerve::Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    let results: Vec<(i64, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let store = store.clone();
                s.spawn(move || {
                    let (m, created) = store
                        .ghost()
                        .monitor_email(
                            acme.id,
                            &NewMonitoredEmail {
                                created_by_user_id: ada.id,
                                email_address: "race@acme.test".into(),
                                monitor_scope: MonitorScope::Company,
                                user_id: None,
                            },
                        )
                        .expect("watched");
                    (m.id, created)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("no panic"))
            .collect()
    });
    assert_eq!(results.iter().filter(|r| r.1).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.0 == results[0].0));
    assert_eq!(
        ctx.store
            .ghost()
            .list_monitored(acme.id, Page::first(10), Deleted::Include)?
            .len(),
        1
    );
    Ok(())
}
