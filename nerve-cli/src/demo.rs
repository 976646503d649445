//! `nerve demo`: a realistic sample company in a fresh database, written through the contract.

use chrono::Duration;
use nerve::model::{
    BaitTokenType, ComplianceFramework, ControlMapping, ControlStatus, Deleted, GhostQueryType,
    LibraryTask, MonitorScope, NewAchievement, NewAsmScan, NewAssessment, NewBaitAccess,
    NewBaitToken, NewBreach, NewCachedScan, NewCompany, NewControl, NewCredential, NewDevice,
    NewEmailFinding, NewEvidence, NewGhostQuery, NewGithubFinding, NewLightboxFinding,
    NewMonitoredEmail, NewOpsychResult, NewPasteFinding, NewProfile, NewRoadmapProfile,
    NewScanRecord, NewSocialAccount, NewUploadedFile, NewUser, NewUserTask, NewVulnerabilityReport,
    Page, Role, ScanFinding, ScanSource, ScanStatus, Severity, SocialPlatform, TaskSource,
    TaskStatus,
};
use nerve::model::{NewApiKey, NewAuditLog, NewScanResult, NewSession};
use nerve::secret::{random_token, sha256_hex, Secret};
use nerve::{Error, MigrationPolicy, Repos, Result, StoreExt, StoreOptions};
use serde_json::json;

/// What the demo wrote.
pub struct Summary {
    /// The company's name and id.
    pub company: (String, i64),
    /// The owner's address and the password generated for it (shown once).
    pub owner: (String, Secret),
    /// (what, how many) in the order written.
    pub counts: Vec<(&'static str, u64)>,
}

/// Fills the database at `url` (migrated first) with a sample company, all in one transaction:
/// a failure leaves nothing of it. Refused, changing nothing, when the database already holds
/// a company: the demo is for a fresh database.
pub fn run(url: &str) -> Result<Summary> {
    // Refuse a database that holds companies before migrating anything in it. (A database
    // that cannot be inspected — a SQLite file not created yet — is fresh; one that cannot be
    // reached fails below with its own error.)
    if nerve::schema_status(url).is_ok_and(|status| !status.applied.is_empty()) {
        let inspect = nerve::connect_with(
            url,
            &StoreOptions {
                migrations: MigrationPolicy::Inspect,
                ..Default::default()
            },
        )?;
        refuse_unless_fresh(&*inspect)?;
    }
    let options = StoreOptions {
        migrations: MigrationPolicy::Apply,
        ..Default::default()
    };
    let store = nerve::connect_with(url, &options)?;
    // Checked again inside the transaction, against what was committed meanwhile.
    store.transaction(|tx| {
        refuse_unless_fresh(tx)?;
        fill(tx)
    })
}

fn refuse_unless_fresh(store: &dyn Repos) -> Result<()> {
    if store
        .companies()
        .list(Page::first(1), Deleted::Include)?
        .is_empty()
    {
        Ok(())
    } else {
        Err(Error::Validation {
            table: "companies",
            field: "-",
            reason: "the database already holds companies: `nerve demo` fills a fresh one".into(),
        })
    }
}

fn fill(store: &dyn Repos) -> Result<Summary> {
    let mut counts = Vec::new();
    let company = store.companies().create(&NewCompany {
        name: "Northwind Analytics".into(),
        domain: Some("northwind.example".into()),
    })?;
    let password = Secret::new(format!("nw-{}", random_token(12)));
    let owner = store.users().create(
        company.id,
        &NewUser {
            email: "ciso@northwind.example".into(),
            password: password.expose().to_string(),
            full_name: Some("Dana Whitfield".into()),
            role: Role::Owner,
        },
    )?;
    let analyst = store.users().create(
        company.id,
        &NewUser {
            email: "analyst@northwind.example".into(),
            password: format!("nw-{}", random_token(12)),
            full_name: Some("Sam Ortega".into()),
            role: Role::Analyst,
        },
    )?;
    counts.push(("users", 2));
    // The analyst's browser session, the CI scanner's API key, and the audit trail of both.
    store.sessions().create(
        company.id,
        analyst.id,
        &NewSession {
            ttl: Duration::hours(8),
            ip_address: Some("203.0.113.10".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64)".into()),
        },
    )?;
    let key = store.api_keys().create(
        company.id,
        owner.id,
        &NewApiKey {
            name: "CI scanner".into(),
            scopes: vec!["scans:read".into(), "scans:write".into()],
            expires_at: Some(chrono::Utc::now() + Duration::days(90)),
        },
    )?;
    for (action, entity_type, entity_id) in [
        ("user.create", "user", analyst.id),
        ("api_key.create", "api_key", key.api_key.id),
    ] {
        store.audit().record(
            company.id,
            &NewAuditLog {
                user_id: Some(owner.id),
                action: action.into(),
                entity_type: Some(entity_type.into()),
                entity_id: Some(entity_id),
                details: None,
                ip_address: Some("203.0.113.10".into()),
            },
        )?;
    }
    counts.push(("sessions and API keys", 2));

    // OSINT: people the company watches, their accounts, breaches and devices.
    let osint = store.osint();
    let people = [
        ("Dana Whitfield", "ciso@northwind.example", "CISO", 72),
        (
            "Sam Ortega",
            "analyst@northwind.example",
            "Security analyst",
            35,
        ),
        ("Priya Raman", "cfo@northwind.example", "CFO", 81),
    ];
    let mut profiles = Vec::new();
    for (name, email, title, risk) in people {
        profiles.push(osint.create_profile(
            company.id,
            &NewProfile {
                user_id: Some(analyst.id),
                full_name: name.into(),
                email: Some(email.into()),
                domain: Some("northwind.example".into()),
                job_title: Some(title.into()),
                location: Some("Seattle, WA".into()),
                notes: None,
                risk_score: risk,
                metadata: Some(json!({"department": title})),
            },
        )?);
    }
    let mut accounts = 0;
    for (profile, platform, handle) in [
        (&profiles[0], SocialPlatform::Linkedin, "dana-whitfield"),
        (&profiles[0], SocialPlatform::Github, "dwhitfield"),
        (&profiles[2], SocialPlatform::Twitter, "priya_r"),
    ] {
        osint.add_social_account(
            company.id,
            profile.id,
            &NewSocialAccount {
                platform,
                handle: handle.into(),
                url: None,
                followers: Some(420),
                verified: false,
            },
        )?;
        accounts += 1;
    }
    counts.push(("social media accounts", accounts));
    counts.push(("profiles", profiles.len() as u64));
    let mut breaches = 0;
    for (profile, breach, classes) in [
        (
            &profiles[0],
            "LinkedIn 2021",
            json!(["emails", "names", "job titles"]),
        ),
        (
            &profiles[2],
            "Canva 2019",
            json!(["emails", "passwords", "usernames"]),
        ),
        (
            &profiles[2],
            "Adobe 2013",
            json!(["emails", "password hints"]),
        ),
    ] {
        let (_, created) = osint.record_breach(
            company.id,
            profile.id,
            &NewBreach {
                breach_name: breach.into(),
                breach_date: None,
                data_classes: classes,
                source: Some("hibp".into()),
                severity: Severity::High,
                description: None,
            },
        )?;
        breaches += u64::from(created);
    }
    counts.push(("breaches", breaches));
    let mut devices = 0;
    for (ip, host, ports) in [
        ("203.0.113.10", "vpn.northwind.example", json!([443, 1194])),
        (
            "203.0.113.25",
            "mail.northwind.example",
            json!([25, 587, 993]),
        ),
    ] {
        osint.upsert_device(
            company.id,
            &NewDevice {
                profile_id: None,
                ip_address: ip.into(),
                hostname: Some(host.into()),
                device_type: Some("server".into()),
                operating_system: Some("Linux".into()),
                open_ports: ports,
            },
        )?;
        devices += 1;
    }
    counts.push(("devices", devices));

    // Attack surface: the domain's cached scan and a short history.
    let surface = store.attack_surface();
    let results = json!({
        "domain": "northwind.example",
        "cves": [{"id": "CVE-2024-3094", "component": "xz-utils", "score": 10.0},
                 {"id": "CVE-2023-44487", "component": "nginx", "score": 7.5}],
        "ports": [22, 25, 443, 587, 993, 1194],
    });
    surface.cache_scan(&NewCachedScan {
        domain: "northwind.example".into(),
        scanned_at: None,
        risk_score: Some(78),
        risk_level: Some(Severity::High),
        total_cves: Some(2),
        critical_cves: Some(1),
        vulnerabilities_found: Some(4),
        open_ports_count: Some(6),
        scan_results: Some(results.clone()),
        user_id: Some(analyst.id),
    })?;
    counts.push(("cached scans", 1));
    let now = chrono::Utc::now();
    let mut latest_xasm = None;
    for (days, risk) in [(21, 64), (14, 71), (7, 78)] {
        latest_xasm = Some(surface.record_scan(
            company.id,
            ScanSource::Xasm,
            &NewScanRecord {
                user_id: Some(analyst.id),
                domain: "northwind.example".into(),
                status: ScanStatus::Completed,
                risk_score: Some(risk),
                risk_level: Some(Severity::High),
                findings_count: 4,
                scan_results: results.clone(),
                duration_ms: Some(48_000),
                scanned_at: now - Duration::days(days),
            },
        )?);
    }
    let lightbox = surface.record_scan(
        company.id,
        ScanSource::Lightbox,
        &NewScanRecord {
            user_id: Some(analyst.id),
            domain: "northwind.example".into(),
            status: ScanStatus::Completed,
            risk_score: Some(40),
            risk_level: Some(Severity::Medium),
            findings_count: 2,
            scan_results: json!({"findings": [{"type": "missing_hsts", "url": "https://northwind.example/"}]}),
            duration_ms: Some(12_500),
            scanned_at: now - Duration::days(2),
        },
    )?;
    counts.push(("scan history entries", 4));
    // What the latest scan of each kind found, one row per finding.
    let mut scan_results = 0;
    for (source, scan_id, found) in [
        (
            ScanSource::Xasm,
            latest_xasm.as_ref().map(|scan| scan.id),
            vec![
                (
                    "cve",
                    Severity::Critical,
                    json!({"id": "CVE-2024-3094", "port": 22}),
                ),
                (
                    "open_port",
                    Severity::Low,
                    json!({"port": 1194, "service": "openvpn"}),
                ),
            ],
        ),
        (
            ScanSource::Lightbox,
            Some(lightbox.id),
            vec![(
                "missing_hsts",
                Severity::Medium,
                json!({"url": "https://northwind.example/"}),
            )],
        ),
    ] {
        let Some(scan_id) = scan_id else { continue };
        let results: Vec<NewScanResult> = found
            .into_iter()
            .map(|(kind, severity, value)| NewScanResult {
                result_type: kind.into(),
                severity,
                scan_results: value,
            })
            .collect();
        scan_results += surface.add_scan_results(company.id, source, scan_id, &results)?;
    }
    counts.push(("scan results", scan_results));
    // The ASM scan that produced the cache, and what Lightbox found on the web site.
    surface.record_asm_scan(
        company.id,
        &NewAsmScan {
            user_id: Some(analyst.id),
            domain: "northwind.example".into(),
            status: ScanStatus::Completed,
            risk_score: 78,
            risk_level: Some(Severity::High),
            scan_results: Some(results.clone()),
            error: None,
            started_at: now - Duration::minutes(4),
            completed_at: Some(now - Duration::minutes(3)),
        },
    )?;
    counts.push(("ASM scans", 1));
    for (finding_type, severity, title, url) in [
        (
            "missing_hsts",
            Severity::Medium,
            "Strict-Transport-Security header missing",
            "https://northwind.example/",
        ),
        (
            "exposed_git",
            Severity::High,
            "Git metadata served from the web root",
            "https://northwind.example/.git/config",
        ),
    ] {
        surface.record_lightbox_finding(
            company.id,
            &NewLightboxFinding {
                user_id: Some(analyst.id),
                domain: "northwind.example".into(),
                finding_type: finding_type.into(),
                severity,
                title: title.into(),
                description: None,
                url: Some(url.into()),
                evidence: Some(json!({"status": 200})),
            },
        )?;
    }
    counts.push(("Lightbox findings", 2));

    // BAIT: two honeytokens, one of them deactivated, and accesses to both.
    let bait = store.bait();
    let key = bait.create_token(
        company.id,
        &NewBaitToken {
            user_id: Some(owner.id),
            token_type: BaitTokenType::AwsKey,
            token_value: format!("AKIA{}", random_token(12).to_uppercase()),
            label: "Build server env file".into(),
            description: Some("Planted in /srv/ci/.env".into()),
            metadata: None,
        },
    )?;
    let url_token = bait.create_token(
        company.id,
        &NewBaitToken {
            user_id: Some(owner.id),
            token_type: BaitTokenType::Url,
            token_value: format!("https://northwind.example/.git/{}", random_token(8)),
            label: "Fake git config".into(),
            description: None,
            metadata: None,
        },
    )?;
    for ip in ["198.51.100.23", "198.51.100.24"] {
        bait.record_access(
            &key.token_value,
            &NewBaitAccess {
                ip_address: Some(ip.into()),
                user_agent: Some("aws-cli/2.15".into()),
                location: Some("Frankfurt, DE".into()),
                raw_request: Some(json!({"action": "sts:GetCallerIdentity"})),
            },
        )?;
    }
    bait.deactivate(company.id, url_token.id)?;
    bait.record_access(&url_token.token_value, &NewBaitAccess::default())?;
    counts.push(("honeytokens", 2));
    counts.push(("honeytoken accesses", 3));

    // Uploads: a parsed credential dump and a file that failed.
    let uploads = store.uploads();
    let dump = uploads.create_file(
        company.id,
        &NewUploadedFile {
            user_id: Some(analyst.id),
            file_name: "combo-2026-03.txt".into(),
            size_bytes: 2_048,
            sha256: sha256_hex("combo-2026-03"),
            mime_type: Some("text/plain".into()),
        },
    )?;
    let creds: Vec<NewCredential> = ["ciso", "analyst", "cfo"]
        .iter()
        .enumerate()
        .map(|(i, who)| NewCredential {
            email: Some(format!("{who}@northwind.example")),
            username: Some((*who).into()),
            password: Some(Secret::new(random_token(10))),
            domain: Some("northwind.example".into()),
            source_line: Some(i as i64 + 1),
        })
        .collect();
    let (_, parsed) = uploads.mark_parsed(company.id, dump.id, &creds)?;
    let broken = uploads.create_file(
        company.id,
        &NewUploadedFile {
            user_id: Some(analyst.id),
            file_name: "export.zip".into(),
            size_bytes: 10,
            sha256: sha256_hex("export.zip"),
            mime_type: Some("application/zip".into()),
        },
    )?;
    uploads.mark_failed(company.id, broken.id, "not a zip archive")?;
    counts.push(("uploaded files", 2));
    counts.push(("parsed credentials", parsed));

    // Ghost Search: queries, a watched address and what was found about it.
    let ghost = store.ghost();
    for (kind, value) in [
        (GhostQueryType::Email, "cfo@northwind.example"),
        (GhostQueryType::Domain, "northwind.example"),
        (GhostQueryType::Username, "dwhitfield"),
    ] {
        ghost.record_query(
            company.id,
            &NewGhostQuery {
                user_id: analyst.id,
                query_type: kind,
                query_value: value.into(),
                results_count: 2,
                search_sources: Some(json!({"hibp": "ok", "github": "ok"})),
                response_time_ms: Some(730),
            },
        )?;
    }
    counts.push(("ghost search queries", 3));
    let (watched, _) = ghost.monitor_email(
        company.id,
        &NewMonitoredEmail {
            created_by_user_id: owner.id,
            email_address: "cfo@northwind.example".into(),
            monitor_scope: MonitorScope::Company,
            user_id: None,
        },
    )?;
    let findings: Vec<NewEmailFinding> = ["Canva 2019", "Adobe 2013"]
        .iter()
        .map(|b| NewEmailFinding {
            source: "hibp".into(),
            finding_key: (*b).into(),
            breach_name: Some((*b).into()),
            breach_date: None,
            data_classes: Some(json!(["emails", "passwords"])),
            severity: Severity::High,
            source_details: None,
        })
        .collect();
    let (watched, _) = ghost.record_findings(company.id, watched.id, &findings)?;
    ghost.record_github_finding(
        company.id,
        watched.id,
        &NewGithubFinding {
            source_url: "https://github.com/northwind/reporting/blob/main/config.yml".into(),
            repository: Some("northwind/reporting".into()),
            file_path: Some("config.yml".into()),
            matched_text: Some("smtp_user: cfo@northwind.example".into()),
            severity: Severity::Medium,
            committed_at: None,
        },
    )?;
    ghost.record_paste_finding(
        company.id,
        watched.id,
        &NewPasteFinding {
            source_url: "https://pastebin.com/nw3xAmpl".into(),
            paste_title: Some("corp emails".into()),
            paste_author: None,
            matched_text: Some("cfo@northwind.example".into()),
            severity: Severity::Low,
            posted_at: None,
        },
    )?;
    ghost.record_opsych_result(
        company.id,
        watched.id,
        &NewOpsychResult {
            source_url: "https://x.example/priya_r".into(),
            platform: SocialPlatform::Twitter,
            username: Some("priya_r".into()),
            display_name: Some("Priya Raman".into()),
            details: None,
        },
    )?;
    let breach_file = ghost.create_breach_file(
        company.id,
        &nerve::model::NewBreachFile {
            user_id: Some(analyst.id),
            file_name: "collection-2026.txt".into(),
            size_bytes: 512,
            sha256: sha256_hex("collection-2026"),
            breach_name: Some("Collection 2026".into()),
        },
    )?;
    let records: Vec<nerve::model::NewBreachRecord> = ["cfo", "ciso"]
        .iter()
        .map(|who| nerve::model::NewBreachRecord {
            credential: NewCredential {
                email: Some(format!("{who}@northwind.example")),
                username: None,
                password: Some(Secret::new(random_token(10))),
                domain: Some("northwind.example".into()),
                source_line: None,
            },
            extra_fields: None,
        })
        .collect();
    let breach_file = ghost.mark_breach_file_parsed(company.id, breach_file.id, &records)?;
    counts.push(("breach file records", breach_file.records_count as u64));
    counts.push(("monitored addresses", 1));
    counts.push(("breach findings", watched.findings_count as u64));
    counts.push(("source findings (GitHub, Pastebin, OPSYCH)", 3));
    let latest_xasm = latest_xasm.map(|scan| scan.id);
    counts.extend(compliance(
        store,
        company.id,
        owner.id,
        analyst.id,
        latest_xasm,
    )?);
    counts.extend(roadmap(store, company.id, owner.id)?);
    Ok(Summary {
        company: (company.name, company.id),
        owner: (owner.email, password),
        counts,
    })
}

/// A SOC 2 assessment in progress whose controls an XASM finding flagged through the mapping,
/// an ISO 27001 one completed, evidence, and an AI vulnerability report on the latest scan.
fn compliance(
    store: &dyn Repos,
    company_id: i64,
    owner: i64,
    analyst: i64,
    latest_xasm: Option<i64>,
) -> Result<Vec<(&'static str, u64)>> {
    use ComplianceFramework::{Iso27001, Soc2};
    use ControlStatus::{Failing, NeedsReview, NotTested, Passing};
    let c = store.compliance();
    let mapping = |finding: &str, framework, control: &str, flag| ControlMapping {
        scan_source: ScanSource::Xasm,
        finding_type: finding.into(),
        framework,
        control_id: control.into(),
        flag_status: flag,
    };
    c.put_control_mappings(&[
        mapping("exposed_admin_interface", Soc2, "CC6.1", Failing),
        mapping("exposed_admin_interface", Soc2, "CC6.6", Failing),
        mapping("exposed_admin_interface", Iso27001, "A.8.20", NeedsReview),
        mapping("outdated_tls", Soc2, "CC6.7", Failing),
    ])?;
    let new = |framework| NewAssessment {
        created_by_user_id: owner,
        framework,
        framework_version: Some(if framework == Soc2 { "2017" } else { "2022" }.into()),
        assessment_date: None,
        expiry_date: None,
    };
    let soc2 = c.create_assessment(company_id, &new(Soc2))?;
    let iso = c.create_assessment(company_id, &new(Iso27001))?;
    let mut controls = 0;
    let mut first = None;
    for (assessment, key, name, status, score) in [
        (
            soc2.id,
            "CC6.1",
            "Logical access security",
            Passing,
            Some(90),
        ),
        (soc2.id, "CC6.6", "Boundary protection", Passing, Some(85)),
        (soc2.id, "CC6.7", "Data in transit", NotTested, None),
        (
            soc2.id,
            "CC7.2",
            "Security event monitoring",
            Passing,
            Some(75),
        ),
        (iso.id, "A.8.20", "Network security", Passing, Some(80)),
        (iso.id, "A.5.15", "Access control", Passing, Some(95)),
    ] {
        let control = c.add_control(
            company_id,
            assessment,
            &NewControl {
                control_id: key.into(),
                control_name: name.into(),
                control_category: Some("Security".into()),
                status,
                compliance_score: score,
                assigned_to_user_id: Some(analyst),
                next_review_date: Some(chrono::Utc::now() + Duration::days(90)),
            },
        )?;
        first.get_or_insert(control.id);
        controls += 1;
    }
    c.complete_assessment(
        company_id,
        iso.id,
        Some(chrono::Utc::now() + Duration::days(365)),
    )?;
    let flagged = c.flag_from_finding(
        company_id,
        &ScanFinding {
            source: ScanSource::Xasm,
            finding_type: "exposed_admin_interface".into(),
            finding_id: "XASM-2026-0042".into(),
            domain: Some("admin.northwind.example".into()),
            seen_at: chrono::Utc::now() - Duration::days(7),
        },
    )?;
    if let Some(control) = first {
        c.add_evidence(
            company_id,
            control,
            &NewEvidence {
                uploaded_by_user_id: analyst,
                file_reference: "evidence/northwind/access-review-q3.pdf".into(),
                file_name: Some("access-review-q3.pdf".into()),
                sha256: sha256_hex("access-review-q3"),
                description: Some("Quarterly access review, signed".into()),
            },
        )?;
    }
    c.create_report(
        company_id,
        &NewVulnerabilityReport {
            user_id: Some(analyst),
            scan: latest_xasm.map(|id| (ScanSource::Xasm, id)),
            domain: Some("northwind.example".into()),
            title: "Exposed admin interface and outdated TLS".into(),
            report_text: "## Summary\nThe admin interface on admin.northwind.example is reachable \
                          from the internet; TLS 1.0 is still offered.\n## Fix\nRestrict by IP; \
                          disable TLS < 1.2."
                .into(),
            metadata: Some(json!({"severity_counts": {"high": 1, "medium": 1}})),
            model: Some("nerve-report-v1".into()),
            generated_at: None,
        },
    )?;
    Ok(vec![
        ("compliance assessments", 2),
        ("compliance controls", controls),
        ("controls flagged by a scan finding", flagged.len() as u64),
        ("evidence files", 1),
        ("vulnerability reports", 1),
    ])
}

/// The task library, a roadmap with tasks in every status (from the library, a scan finding
/// and a threat actor), achievements and progress snapshots taken along the way.
fn roadmap(store: &dyn Repos, company_id: i64, owner: i64) -> Result<Vec<(&'static str, u64)>> {
    let r = store.roadmap();
    let library: Vec<LibraryTask> = [
        (
            "enable-mfa",
            "Turn on MFA for every account",
            1,
            Severity::Critical,
            30,
        ),
        (
            "offsite-backups",
            "Keep tested offsite backups",
            1,
            Severity::High,
            20,
        ),
        (
            "patch-cadence",
            "Patch within 14 days",
            2,
            Severity::High,
            20,
        ),
        (
            "phishing-training",
            "Train staff against phishing",
            2,
            Severity::Medium,
            10,
        ),
        (
            "incident-plan",
            "Write an incident response plan",
            3,
            Severity::Medium,
            10,
        ),
    ]
    .into_iter()
    .map(|(key, title, phase, priority, points)| LibraryTask {
        task_id: key.into(),
        title: title.into(),
        description: None,
        category: Some("Foundations".into()),
        phase,
        priority,
        points,
        estimated_effort: Some("1 day".into()),
        applies_to: Some(json!({"company_size": ["11-50", "51-200"]})),
    })
    .collect();
    r.load_task_library("2026.11", &library, Some("demo library"))?;
    let profile = r.create_profile(
        company_id,
        &NewRoadmapProfile {
            user_id: Some(owner),
            company_name: "Northwind Analytics".into(),
            company_size: Some("51-200".into()),
            industry: Some("Analytics".into()),
            employee_count: Some(140),
            handles_pii: true,
            compliance_requirements: Some(json!(["soc2", "gdpr"])),
            ..NewRoadmapProfile::default()
        },
    )?;
    let add = |key: &str, source| {
        r.add_task(
            company_id,
            profile.id,
            &NewUserTask {
                task_id: key.into(),
                source: Some(source),
                ..NewUserTask::default()
            },
        )
    };
    let mut tasks = Vec::new();
    for key in [
        "enable-mfa",
        "offsite-backups",
        "patch-cadence",
        "phishing-training",
    ] {
        tasks.push(add(key, TaskSource::Library)?);
    }
    tasks.push(r.add_task(
        company_id,
        profile.id,
        &NewUserTask {
            task_id: "lock-down-admin-interface".into(),
            source: Some(TaskSource::Scan),
            finding_type: Some("exposed_admin_interface".into()),
            finding_severity: Some(Severity::High),
            scan_domain: Some("admin.northwind.example".into()),
            ..NewUserTask::default()
        },
    )?);
    tasks.push(r.add_task(
        company_id,
        profile.id,
        &NewUserTask {
            task_id: "block-office-macros".into(),
            source: Some(TaskSource::ThreatActor),
            matched_threat_actor: Some("FIN7".into()),
            threat_actor_ttp: Some(json!({"techniques": ["T1566.001", "T1204.002"]})),
            ..NewUserTask::default()
        },
    )?);
    let mut snapshots = 1;
    r.record_progress(company_id, profile.id)?;
    // enable-mfa verified, offsite-backups completed, patch-cadence and the scan task in
    // progress, the rest not started.
    for (task, steps) in [(0, 3), (1, 2), (2, 1), (4, 1)] {
        for status in [
            TaskStatus::InProgress,
            TaskStatus::Completed,
            TaskStatus::Verified,
        ]
        .into_iter()
        .take(steps)
        {
            r.set_task_status(company_id, tasks[task].id, status)?;
        }
        r.record_progress(company_id, profile.id)?;
        snapshots += 1;
    }
    let awards = [
        ("first-task", "First task done", 10),
        ("mfa-everywhere", "MFA everywhere", 50),
    ];
    for (key, name, points) in awards {
        r.award_achievement(
            company_id,
            profile.id,
            &NewAchievement {
                user_id: Some(owner),
                achievement_key: key.into(),
                name: name.into(),
                description: None,
                points,
            },
        )?;
    }
    Ok(vec![
        ("library tasks", library.len() as u64),
        ("roadmap tasks", tasks.len() as u64),
        ("achievements", awards.len() as u64),
        ("progress snapshots", snapshots),
    ])
}
