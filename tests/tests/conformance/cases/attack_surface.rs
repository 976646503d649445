use super::company;
use chrono::{DateTime, Duration, Utc};
use nerve::model::{
    json_contains, NewCachedScan, NewScanRecord, Page, ScanSource, ScanStatus, Severity,
};
use nerve::{Clock, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};
use serde_json::{json, Value};

fn cached(domain: &str, results: Option<Value>) -> NewCachedScan {
    NewCachedScan {
        domain: domain.into(),
        scanned_at: None,
        risk_score: Some(70),
        risk_level: Some(Severity::High),
        total_cves: Some(3),
        critical_cves: Some(1),
        vulnerabilities_found: Some(5),
        open_ports_count: Some(4),
        scan_results: results,
        user_id: None,
    }
}

pub fn the_cache_keeps_one_scan_per_domain_and_knows_its_age(ctx: &Ctx) -> CaseResult {
    let surface = ctx.store.attack_surface();
    let first = surface.cache_scan(&cached("ACME.test", Some(json!({"v": 1}))))?;
    assert_eq!(
        (first.domain.as_str(), first.scanned_at),
        ("acme.test", Some(ctx.clock.now()))
    );
    ctx.clock.advance(Duration::minutes(10));
    let second = surface.cache_scan(&NewCachedScan {
        risk_score: Some(20),
        ..cached("acme.test", Some(json!({"v": 2})))
    })?;
    assert_eq!(second.id, first.id, "upserted, not added");
    assert_eq!(
        (second.risk_score, second.scan_results.clone()),
        (Some(20), Some(json!({"v": 2})))
    );
    assert_eq!(
        surface
            .fresh_scan("acme.test", Duration::minutes(5))?
            .map(|s| s.id),
        Some(first.id)
    );
    ctx.clock.advance(Duration::minutes(6));
    assert_eq!(
        surface.fresh_scan("acme.test", Duration::minutes(5))?,
        None,
        "older than asked"
    );
    assert!(
        surface
            .fresh_scan("acme.test", Duration::minutes(6))?
            .is_some(),
        "exactly at the age"
    );
    assert_eq!(surface.fresh_scan("other.test", Duration::days(1))?, None);
    let old: DateTime<Utc> = ctx.clock.now() - Duration::days(30);
    surface.cache_scan(&NewCachedScan {
        scanned_at: Some(old),
        ..cached("old.test", None)
    })?;
    assert_eq!(surface.fresh_scan("old.test", Duration::days(7))?, None);
    for (bad, field) in [
        (
            NewCachedScan {
                risk_score: Some(101),
                ..cached("a.test", None)
            },
            "risk_score",
        ),
        (
            NewCachedScan {
                total_cves: Some(-1),
                ..cached("a.test", None)
            },
            "total_cves",
        ),
        (cached("not a domain", None), "domain"),
        (
            cached("a.test", Some(json!({"k": "\u{0}"}))),
            "scan_results",
        ),
    ] {
        assert_err!(surface.cache_scan(&bad), Error::Validation { table: "cached_asm_scans", field: f, .. } if f == field);
    }
    Ok(())
}

pub fn a_content_query_finds_the_same_scans_on_every_backend(ctx: &Ctx) -> CaseResult {
    let surface = ctx.store.attack_surface();
    let docs = [
        (
            "a.test",
            json!({"cves": [{"id": "CVE-2024-3094", "score": 10.0}, {"id": "CVE-2023-1"}]}),
        ),
        ("b.test", json!({"cves": [{"id": "CVE-2023-1"}]})),
        ("c.test", json!({"cves": "CVE-2024-3094"})),
        ("d.test", json!({"notes": ["CVE-2024-3094"]})),
        (
            "e.test",
            json!({"cves": [{"id": "CVE-2024-3094", "score": 10}], "ports": [22]}),
        ),
        ("f.test", json!(["CVE-2024-3094", "x"])),
    ];
    let mut ids = Vec::new();
    for (domain, doc) in &docs {
        ids.push(surface.cache_scan(&cached(domain, Some(doc.clone())))?.id);
    }
    surface.cache_scan(&cached("g.test", None))?;
    let found = |pattern: Value, limit: u32| -> nerve::Result<Vec<i64>> {
        Ok(surface
            .cached_scans_containing(&pattern, Page::first(limit))?
            .iter()
            .map(|s| s.id)
            .collect())
    };
    let expected = |pattern: &Value| -> Vec<i64> {
        docs.iter()
            .zip(&ids)
            .filter(|((_, d), _)| json_contains(d, pattern))
            .map(|(_, id)| *id)
            .collect()
    };
    for pattern in [
        json!({"cves": [{"id": "CVE-2024-3094"}]}),
        json!({"cves": [{"score": 10}]}),
        json!({"cves": "CVE-2024-3094"}),
        json!("CVE-2024-3094"),
        json!({"ports": [22]}),
        json!({}),
    ] {
        assert_eq!(
            found(pattern.clone(), 100)?,
            expected(&pattern),
            "{pattern}"
        );
    }
    assert_eq!(
        found(json!({"cves": [{"id": "CVE-2024-3094"}]}), 100)?,
        vec![ids[0], ids[4]]
    );
    // Decoys that hold the string elsewhere: a page still fills up past them.
    for i in 0..520 {
        surface.cache_scan(&cached(
            &format!("decoy{i}.test"),
            Some(json!({"other": "CVE-2024-3094"})),
        ))?;
    }
    let late = surface.cache_scan(&cached(
        "z.test",
        Some(json!({"cves": [{"id": "CVE-2024-3094"}]})),
    ))?;
    let pattern = json!({"cves": [{"id": "CVE-2024-3094"}]});
    assert_eq!(found(pattern.clone(), 3)?, vec![ids[0], ids[4], late.id]);
    let next = surface.cached_scans_containing(&pattern, Page::after(ids[4], 10))?;
    assert_eq!(next.iter().map(|s| s.id).collect::<Vec<_>>(), vec![late.id]);
    Ok(())
}

fn scan(domain: &str, at: DateTime<Utc>, findings: i64) -> NewScanRecord {
    NewScanRecord {
        user_id: None,
        domain: domain.into(),
        status: ScanStatus::Completed,
        risk_score: Some(50),
        risk_level: Some(Severity::Medium),
        findings_count: findings,
        scan_results: json!({"findings": findings}),
        duration_ms: Some(1234),
        scanned_at: at,
    }
}

pub fn scan_history_is_in_time_order_per_company_and_source(ctx: &Ctx) -> CaseResult {
    let surface = ctx.store.attack_surface();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let t0 = ctx.clock.now();
    // Recorded out of time order; two at the same instant.
    for (minutes, findings) in [(30, 3), (10, 1), (20, 2), (20, 22), (40, 4)] {
        surface.record_scan(
            acme.id,
            ScanSource::Xasm,
            &scan("acme.test", t0 + Duration::minutes(minutes), findings),
        )?;
    }
    surface.record_scan(acme.id, ScanSource::Lightbox, &scan("acme.test", t0, 99))?;
    surface.record_scan(acme.id, ScanSource::Xasm, &scan("other.test", t0, 98))?;
    surface.record_scan(other.id, ScanSource::Xasm, &scan("acme.test", t0, 97))?;
    let history = |page: Page| surface.scan_history(acme.id, ScanSource::Xasm, "ACME.test", page);
    let all = history(Page::first(100))?;
    assert_eq!(
        all.iter().map(|s| s.findings_count).collect::<Vec<_>>(),
        vec![1, 2, 22, 3, 4]
    );
    assert!(all
        .iter()
        .all(|s| s.source == ScanSource::Xasm && s.company_id == acme.id));
    // Keyset pages in the same order, including across the tie.
    let first = history(Page::first(2))?;
    let second = history(Page::after(first[1].id, 2))?;
    let third = history(Page::after(second[1].id, 2))?;
    let paged: Vec<i64> = first
        .iter()
        .chain(&second)
        .chain(&third)
        .map(|s| s.findings_count)
        .collect();
    assert_eq!(paged, vec![1, 2, 22, 3, 4]);
    assert_eq!(
        surface
            .scan_history(acme.id, ScanSource::Lightbox, "acme.test", Page::first(10))?
            .len(),
        1
    );
    assert_err!(
        surface.scan_history(
            other.id,
            ScanSource::Xasm,
            "acme.test",
            Page::after(first[0].id, 2)
        ),
        Error::NotFound {
            table: "xasm_scan_history",
            ..
        }
    );
    // Keep the last two by time; the others go, for this company, source and domain only.
    assert_eq!(
        surface.trim_scan_history(acme.id, ScanSource::Xasm, "acme.test", 2)?,
        3
    );
    assert_eq!(
        history(Page::first(10))?
            .iter()
            .map(|s| s.findings_count)
            .collect::<Vec<_>>(),
        vec![3, 4]
    );
    assert_eq!(
        surface
            .scan_history(acme.id, ScanSource::Xasm, "other.test", Page::first(10))?
            .len(),
        1
    );
    assert_eq!(
        surface
            .scan_history(other.id, ScanSource::Xasm, "acme.test", Page::first(10))?
            .len(),
        1
    );
    assert_eq!(
        surface.trim_scan_history(acme.id, ScanSource::Xasm, "acme.test", 2)?,
        0
    );
    assert_err!(
        surface.record_scan(
            acme.id,
            ScanSource::Xasm,
            &NewScanRecord {
                findings_count: -1,
                ..scan("a.test", t0, 0)
            }
        ),
        Error::Validation {
            table: "xasm_scan_history",
            field: "findings_count",
            ..
        }
    );
    assert_err!(
        surface.record_scan(i64::MAX, ScanSource::Lightbox, &scan("a.test", t0, 0)),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    Ok(())
}

pub fn asm_scans_lightbox_findings_and_scan_results_per_company(ctx: &Ctx) -> CaseResult {
    use nerve::model::{NewAsmScan, NewLightboxFinding, NewScanResult};
    let surface = ctx.store.attack_surface();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let t0 = ctx.clock.now();
    let asm = |domain: &str| NewAsmScan {
        user_id: None,
        domain: domain.into(),
        status: ScanStatus::Completed,
        risk_score: 55,
        risk_level: Some(Severity::Medium),
        scan_results: Some(json!({"ports": [443]})),
        error: None,
        started_at: t0,
        completed_at: Some(t0 + Duration::minutes(3)),
    };
    let a = surface.record_asm_scan(acme.id, &asm("acme.test"))?;
    surface.record_asm_scan(acme.id, &asm("shop.acme.test"))?;
    surface.record_asm_scan(other.id, &asm("acme.test"))?;
    assert_eq!(a.completed_at, Some(t0 + Duration::minutes(3)));
    assert_eq!(
        surface
            .list_asm_scans(acme.id, None, Page::first(10))?
            .len(),
        2
    );
    assert_eq!(
        surface.list_asm_scans(acme.id, Some("ACME.test"), Page::first(10))?,
        vec![a.clone()]
    );
    assert_err!(
        surface.record_asm_scan(
            acme.id,
            &NewAsmScan {
                risk_score: 101,
                ..asm("a.test")
            }
        ),
        Error::Validation {
            table: "asm_scans",
            field: "risk_score",
            ..
        }
    );
    let finding = |title: &str| NewLightboxFinding {
        user_id: None,
        domain: "acme.test".into(),
        finding_type: "missing_hsts".into(),
        severity: Severity::Low,
        title: title.into(),
        description: None,
        url: Some("https://acme.test/".into()),
        evidence: Some(json!({"header": null})),
    };
    let f1 = surface.record_lightbox_finding(acme.id, &finding("No HSTS"))?;
    let f2 = surface.record_lightbox_finding(acme.id, &finding("No CSP"))?;
    ctx.clock.advance(Duration::hours(1));
    let resolved = surface.resolve_lightbox_finding(acme.id, f1.id)?;
    assert_eq!(resolved.resolved_at, Some(ctx.clock.now()));
    ctx.clock.advance(Duration::hours(1));
    assert_eq!(
        surface
            .resolve_lightbox_finding(acme.id, f1.id)?
            .resolved_at,
        resolved.resolved_at,
        "the first time kept"
    );
    let open: Vec<i64> = surface
        .list_lightbox_findings(acme.id, Some("acme.test"), false, Page::first(10))?
        .iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(open, vec![f2.id]);
    assert_eq!(
        surface
            .list_lightbox_findings(acme.id, None, true, Page::first(10))?
            .len(),
        2
    );
    assert_err!(
        surface.resolve_lightbox_finding(other.id, f2.id),
        Error::NotFound {
            table: "lightbox_findings",
            ..
        }
    );
    // Results attach to a scan of the company's history, per source.
    let scan_record =
        surface.record_scan(acme.id, ScanSource::Lightbox, &scan("acme.test", t0, 2))?;
    let results: Vec<NewScanResult> = (0..3)
        .map(|i| NewScanResult {
            result_type: "header".into(),
            severity: Severity::Low,
            scan_results: json!({"n": i}),
        })
        .collect();
    assert_eq!(
        surface.add_scan_results(acme.id, ScanSource::Lightbox, scan_record.id, &results)?,
        3
    );
    let listed = surface.list_scan_results(
        acme.id,
        ScanSource::Lightbox,
        scan_record.id,
        Page::first(2),
    )?;
    assert_eq!(
        listed
            .iter()
            .map(|r| r.scan_results["n"].as_i64())
            .collect::<Vec<_>>(),
        vec![Some(0), Some(1)]
    );
    assert!(listed
        .iter()
        .all(|r| r.domain == "acme.test" && r.source == ScanSource::Lightbox));
    assert_err!(
        surface.add_scan_results(other.id, ScanSource::Lightbox, scan_record.id, &results),
        Error::NotFound {
            table: "lightbox_scan_history",
            ..
        }
    );
    assert_err!(
        surface.list_scan_results(acme.id, ScanSource::Xasm, scan_record.id, Page::first(2)),
        Error::NotFound {
            table: "xasm_scan_history",
            ..
        }
    );
    // Trimming the history takes the results with it.
    surface.record_scan(
        acme.id,
        ScanSource::Lightbox,
        &scan("acme.test", t0 + Duration::days(1), 0),
    )?;
    assert_eq!(
        surface.trim_scan_history(acme.id, ScanSource::Lightbox, "acme.test", 1)?,
        1
    );
    assert_err!(
        surface.list_scan_results(
            acme.id,
            ScanSource::Lightbox,
            scan_record.id,
            Page::first(2)
        ),
        Error::NotFound { .. }
    );
    Ok(())
}

pub fn concurrent_caching_keeps_one_row_and_trims_never_lose_new_scans(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let store: std::sync::Arc<dyn nerve::Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    std::thread::scope(|s| {
        for i in 0..6 {
            let store = store.clone();
            s.spawn(move || {
                store
                    .attack_surface()
                    .cache_scan(&NewCachedScan {
                        risk_score: Some(i),
                        ..cached("race.test", None)
                    })
                    .expect("cached");
            });
        }
    });
    let rows = ctx
        .store
        .attack_surface()
        .cached_scans_containing(&json!({}), Page::first(10));
    assert!(rows?.is_empty(), "no results were given");
    assert!(ctx
        .store
        .attack_surface()
        .fresh_scan("race.test", Duration::days(1))?
        .is_some());
    let live = ctx.query_strings(
        "SELECT CAST(count(*) AS TEXT) AS value FROM cached_asm_scans \
          WHERE domain = 'race.test' AND deleted_at IS NULL",
    )?;
    assert_eq!(live, vec!["1".to_string()], "one live row for the domain");
    // Caller-given times outside the years 1-9999 are refused alike.
    let far: DateTime<Utc> = "+10000-01-01T00:00:00Z".parse()?;
    assert_err!(
        ctx.store
            .attack_surface()
            .record_scan(acme.id, ScanSource::Xasm, &scan("a.test", far, 0)),
        Error::Validation {
            table: "xasm_scan_history",
            field: "scanned_at",
            ..
        }
    );
    assert_err!(
        ctx.store
            .attack_surface()
            .fresh_scan("a.test", Duration::MAX),
        Error::Validation { .. }
    );
    // keep = 0 empties the domain's history.
    let t0 = ctx.clock.now();
    for m in 0..3 {
        ctx.store.attack_surface().record_scan(
            acme.id,
            ScanSource::Xasm,
            &scan("a.test", t0 + Duration::minutes(m), 0),
        )?;
    }
    assert_eq!(
        ctx.store
            .attack_surface()
            .trim_scan_history(acme.id, ScanSource::Xasm, "a.test", 5)?,
        0
    );
    assert_eq!(
        ctx.store
            .attack_surface()
            .trim_scan_history(acme.id, ScanSource::Xasm, "a.test", 0)?,
        3
    );
    assert!(ctx
        .store
        .attack_surface()
        .scan_history(acme.id, ScanSource::Xasm, "a.test", Page::first(5))?
        .is_empty());
    Ok(())
}
