//! `nerve demo`: a realistic sample company in a fresh database, written through the contract.

use chrono::Duration;
use nerve::model::{
    BaitTokenType, Deleted, GhostQueryType, MonitorScope, NewBaitAccess, NewBaitToken, NewBreach,
    NewCachedScan, NewCompany, NewCredential, NewDevice, NewEmailFinding, NewGhostQuery,
    NewGithubFinding, NewMonitoredEmail, NewOpsychResult, NewPasteFinding, NewProfile,
    NewScanRecord, NewSocialAccount, NewUploadedFile, NewUser, Page, Role, ScanSource, ScanStatus,
    Severity, SocialPlatform,
};
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
    for (days, risk) in [(21, 64), (14, 71), (7, 78)] {
        surface.record_scan(
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
        )?;
    }
    surface.record_scan(
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
    Ok(Summary {
        company: (company.name, company.id),
        owner: (owner.email, password),
        counts,
    })
}
