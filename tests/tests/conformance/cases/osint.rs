use super::company;
use chrono::Duration;
use nerve::model::{
    Deleted, NewBreach, NewDevice, NewProfile, NewSocialAccount, Page, ProfileSearch,
    ProfileUpdate, Severity, SocialPlatform,
};
use nerve::{Clock, Constraint, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};
use serde_json::json;

fn profile(name: &str, email: Option<&str>, domain: Option<&str>) -> NewProfile {
    NewProfile {
        full_name: name.into(),
        email: email.map(str::to_string),
        domain: domain.map(str::to_string),
        risk_score: 40,
        ..Default::default()
    }
}

fn names(list: &[nerve::model::Profile]) -> Vec<&str> {
    list.iter().map(|p| p.full_name.as_str()).collect()
}

pub fn profiles_are_searched_paged_and_scoped(ctx: &Ctx) -> CaseResult {
    let osint = ctx.store.osint();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let ada = osint.create_profile(
        acme.id,
        &profile("Ada Lovelace", Some("Ada@ACME.test"), Some("ACME.test")),
    )?;
    assert_eq!(
        (ada.email.as_deref(), ada.domain.as_deref()),
        (Some("ada@acme.test"), Some("acme.test"))
    );
    osint.create_profile(
        acme.id,
        &profile("Ürsula Örs", Some("urs@acme.test"), Some("acme.test")),
    )?;
    osint.create_profile(
        acme.id,
        &profile("100% Real_Name", None, Some("elsewhere.test")),
    )?;
    osint.create_profile(
        other.id,
        &profile("Ada Other", Some("ada@acme.test"), Some("acme.test")),
    )?;
    let search =
        |s: ProfileSearch| osint.search_profiles(acme.id, &s, Page::first(50), Deleted::Exclude);
    let by_name = |n: &str| {
        search(ProfileSearch {
            name: Some(n.into()),
            ..Default::default()
        })
    };
    // Case-insensitive in Unicode, the same on both backends; wildcards are literal.
    assert_eq!(names(&by_name("örs")?), vec!["Ürsula Örs"]);
    assert_eq!(names(&by_name("ÜRSULA")?), vec!["Ürsula Örs"]);
    assert_eq!(
        names(&by_name("ADA")?),
        vec!["Ada Lovelace"],
        "the other company's Ada stays hidden"
    );
    assert_eq!(names(&by_name("100%")?), vec!["100% Real_Name"]);
    assert!(by_name("l_ve")?.is_empty(), "_ is not a wildcard");
    assert!(by_name("%")?.len() == 1);
    assert_eq!(
        names(&search(ProfileSearch {
            email: Some("ADA@acme.TEST".into()),
            ..Default::default()
        })?),
        vec!["Ada Lovelace"]
    );
    assert_eq!(
        search(ProfileSearch {
            domain: Some("acme.test".into()),
            ..Default::default()
        })?
        .len(),
        2
    );
    assert_eq!(
        names(&search(ProfileSearch {
            name: Some("a".into()),
            domain: Some("acme.test".into()),
            email: Some("urs@acme.test".into()),
        })?),
        vec!["Ürsula Örs"],
        "every condition holds"
    );
    assert_err!(
        by_name(" "),
        Error::Validation {
            table: "profiles",
            field: "full_name",
            ..
        }
    );
    // Tenancy: another company cannot read, change or delete.
    assert_err!(
        osint.get_profile(other.id, ada.id),
        Error::NotFound {
            table: "profiles",
            ..
        }
    );
    assert_err!(
        osint.update_profile(other.id, ada.id, &ProfileUpdate::default()),
        Error::NotFound { .. }
    );
    assert_err!(
        osint.delete_profile(other.id, ada.id),
        Error::NotFound { .. }
    );
    // Update: the name search follows the new name; clearing and validation.
    ctx.clock.advance(Duration::seconds(5));
    let changed = osint.update_profile(
        acme.id,
        ada.id,
        &ProfileUpdate {
            full_name: Some("Augusta King".into()),
            email: Some(None),
            risk_score: Some(90),
            ..Default::default()
        },
    )?;
    assert_eq!(
        (changed.email, changed.risk_score, changed.updated_at),
        (None, 90, ctx.clock.now())
    );
    assert!(by_name("ada")?.is_empty());
    assert_eq!(names(&by_name("augusta")?), vec!["Augusta King"]);
    for (bad, field) in [
        (
            ProfileUpdate {
                risk_score: Some(101),
                ..Default::default()
            },
            "risk_score",
        ),
        (
            ProfileUpdate {
                email: Some(Some("not an address".into())),
                ..Default::default()
            },
            "email",
        ),
        (
            ProfileUpdate {
                full_name: Some("".into()),
                ..Default::default()
            },
            "full_name",
        ),
    ] {
        assert_err!(
            osint.update_profile(acme.id, ada.id, &bad),
            Error::Validation { table: "profiles", field: f, .. } if f == field
        );
    }
    // Soft delete hides; restore brings back.
    osint.delete_profile(acme.id, ada.id)?;
    assert_err!(osint.get_profile(acme.id, ada.id), Error::NotFound { .. });
    assert!(by_name("augusta")?.is_empty());
    let deleted = osint.search_profiles(
        acme.id,
        &ProfileSearch::default(),
        Page::first(50),
        Deleted::Only,
    )?;
    assert_eq!(names(&deleted), vec!["Augusta King"]);
    assert_eq!(
        osint.restore_profile(acme.id, ada.id)?.full_name,
        "Augusta King"
    );
    // Paging: no duplicates or gaps while profiles are added between pages.
    let first = osint.search_profiles(
        acme.id,
        &ProfileSearch::default(),
        Page::first(2),
        Deleted::Exclude,
    )?;
    osint.create_profile(acme.id, &profile("Late Comer", None, None))?;
    let rest = osint.search_profiles(
        acme.id,
        &ProfileSearch::default(),
        Page::after(first[1].id, 50),
        Deleted::Exclude,
    )?;
    let ids: Vec<i64> = first.iter().chain(&rest).map(|p| p.id).collect();
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    Ok(())
}

pub fn accounts_are_unique_and_breaches_recorded_once(ctx: &Ctx) -> CaseResult {
    let osint = ctx.store.osint();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let p = osint.create_profile(acme.id, &profile("Ada", None, None))?;
    let account = NewSocialAccount {
        platform: SocialPlatform::Github,
        handle: "ada".into(),
        url: Some("https://github.com/ada".into()),
        followers: Some(12),
        verified: true,
    };
    let a = osint.add_social_account(acme.id, p.id, &account)?;
    assert_eq!(
        (a.platform, a.handle.as_str(), a.followers, a.verified),
        (SocialPlatform::Github, "ada", Some(12), true)
    );
    assert_err!(
        osint.add_social_account(acme.id, p.id, &account),
        Error::Conflict {
            table: "social_media",
            field: "profile_id, platform, handle",
            constraint: Constraint::Unique,
            ..
        }
    );
    osint.add_social_account(
        acme.id,
        p.id,
        &NewSocialAccount {
            platform: SocialPlatform::Mastodon,
            ..account.clone()
        },
    )?;
    assert_err!(
        osint.add_social_account(
            acme.id,
            p.id,
            &NewSocialAccount {
                followers: Some(-1),
                ..account.clone()
            }
        ),
        Error::Validation {
            field: "followers",
            ..
        }
    );
    assert_err!(
        osint.add_social_account(other.id, p.id, &account),
        Error::NotFound {
            table: "profiles",
            ..
        }
    );
    assert_eq!(
        osint
            .list_social_accounts(acme.id, p.id, Page::first(10))?
            .len(),
        2
    );
    assert_err!(
        osint.list_social_accounts(other.id, p.id, Page::first(10)),
        Error::NotFound { .. }
    );
    // Breaches: once per profile and name.
    let breach = NewBreach {
        breach_name: "LinkedIn 2021".into(),
        breach_date: Some("2021-06-22T00:00:00.1234567Z".parse()?),
        data_classes: json!(["emails", "names", "phone numbers"]),
        source: Some("hibp".into()),
        severity: Severity::High,
        description: None,
    };
    let (b, created) = osint.record_breach(acme.id, p.id, &breach)?;
    assert!(created);
    assert_eq!(
        b.breach_date.map(|d| d.timestamp_subsec_micros()),
        Some(123_456)
    );
    assert_eq!(
        (b.data_classes.clone(), b.severity),
        (breach.data_classes.clone(), Severity::High)
    );
    let (again, created) = osint.record_breach(
        acme.id,
        p.id,
        &NewBreach {
            severity: Severity::Low,
            ..breach.clone()
        },
    )?;
    assert!(!created);
    assert_eq!(again, b, "the same breach, unchanged");
    osint.record_breach(
        acme.id,
        p.id,
        &NewBreach {
            breach_name: "Adobe 2013".into(),
            ..breach.clone()
        },
    )?;
    assert_eq!(
        osint.list_breaches(acme.id, p.id, Page::first(10))?.len(),
        2
    );
    assert_err!(
        osint.record_breach(
            acme.id,
            p.id,
            &NewBreach {
                data_classes: json!({"not": "an array"}),
                ..breach.clone()
            }
        ),
        Error::Validation {
            table: "breaches",
            field: "data_classes",
            ..
        }
    );
    assert_err!(
        osint.record_breach(other.id, p.id, &breach),
        Error::NotFound { .. }
    );
    // A deleted profile's accounts and breaches are out of reach with it.
    osint.delete_profile(acme.id, p.id)?;
    assert_err!(
        osint.list_breaches(acme.id, p.id, Page::first(10)),
        Error::NotFound { .. }
    );
    osint.restore_profile(acme.id, p.id)?;
    assert_eq!(
        osint.list_breaches(acme.id, p.id, Page::first(10))?.len(),
        2
    );
    Ok(())
}

pub fn devices_are_upserted_by_company_and_address(ctx: &Ctx) -> CaseResult {
    let osint = ctx.store.osint();
    let acme = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let seen = |ip: &str, ports: serde_json::Value| NewDevice {
        profile_id: None,
        ip_address: ip.into(),
        hostname: Some("vpn.acme.test".into()),
        device_type: Some("vpn".into()),
        operating_system: None,
        open_ports: ports,
    };
    let (d, created) = osint.upsert_device(acme.id, &seen("2001:DB8::1", json!([443])))?;
    assert!(created);
    assert_eq!(
        (d.ip_address.as_str(), d.first_seen_at, d.last_seen_at),
        ("2001:db8::1", ctx.clock.now(), ctx.clock.now())
    );
    let first_seen = ctx.clock.now();
    ctx.clock.advance(Duration::hours(1));
    let (again, created) =
        osint.upsert_device(acme.id, &seen("2001:db8:0:0::1", json!([443, 22])))?;
    assert!(!created);
    assert_eq!(again.id, d.id, "the same address, normalized");
    assert_eq!(
        (again.first_seen_at, again.last_seen_at),
        (first_seen, ctx.clock.now())
    );
    assert_eq!(again.open_ports, json!([443, 22]));
    let (theirs, created) = osint.upsert_device(other.id, &seen("2001:db8::1", json!([])))?;
    assert!(created && theirs.id != d.id, "per company");
    let p = osint.create_profile(acme.id, &profile("Ada", None, None))?;
    let (linked, _) = osint.upsert_device(
        acme.id,
        &NewDevice {
            profile_id: Some(p.id),
            ..seen("198.51.100.7", json!([80]))
        },
    )?;
    assert_eq!(linked.profile_id, Some(p.id));
    let foreign = osint.create_profile(other.id, &profile("Theirs", None, None))?;
    assert_err!(
        osint.upsert_device(
            acme.id,
            &NewDevice {
                profile_id: Some(foreign.id),
                ..seen("198.51.100.8", json!([]))
            }
        ),
        Error::NotFound {
            table: "profiles",
            ..
        }
    );
    assert_err!(
        osint.upsert_device(acme.id, &seen("999.1.1.1", json!([]))),
        Error::Validation {
            field: "ip_address",
            ..
        }
    );
    assert_err!(
        osint.upsert_device(acme.id, &seen("10.0.0.1", json!(443))),
        Error::Validation {
            field: "open_ports",
            ..
        }
    );
    let listed = osint.list_devices(acme.id, Page::first(10), Deleted::Exclude)?;
    assert_eq!(
        listed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![d.id, linked.id]
    );
    Ok(())
}

pub fn concurrent_dedupes_and_upserts_keep_one_row(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let p = ctx
        .store
        .osint()
        .create_profile(acme.id, &profile("Ada", None, None))?;
    let store: std::sync::Arc<dyn nerve::Store> =
        std::sync::Arc::from(ctx.reopen(nerve::MigrationPolicy::Require)?);
    let breach = NewBreach {
        breach_name: "Collection #1".into(),
        breach_date: None,
        data_classes: json!(["emails", "passwords"]),
        source: None,
        severity: Severity::Critical,
        description: None,
    };
    let outcomes: Vec<(i64, bool, i64, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let store = store.clone();
                let breach = breach.clone();
                s.spawn(move || {
                    let (b, new_breach) = store
                        .osint()
                        .record_breach(acme.id, p.id, &breach)
                        .expect("breach");
                    let (d, new_device) = store
                        .osint()
                        .upsert_device(
                            acme.id,
                            &NewDevice {
                                profile_id: None,
                                ip_address: "192.0.2.10".into(),
                                hostname: Some(format!("host{i}")),
                                device_type: None,
                                operating_system: None,
                                open_ports: json!([i]),
                            },
                        )
                        .expect("device");
                    (b.id, new_breach, d.id, new_device)
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
        "one breach created: {outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| o.3).count(),
        1,
        "one device created: {outcomes:?}"
    );
    assert!(outcomes
        .iter()
        .all(|o| o.0 == outcomes[0].0 && o.2 == outcomes[0].2));
    assert_eq!(
        ctx.store
            .osint()
            .list_breaches(acme.id, p.id, Page::first(10))?
            .len(),
        1
    );
    assert_eq!(
        ctx.store
            .osint()
            .list_devices(acme.id, Page::first(10), Deleted::Exclude)?
            .len(),
        1
    );
    Ok(())
}

pub fn a_soft_deleted_company_keeps_its_data_out_of_reach(ctx: &Ctx) -> CaseResult {
    let acme = company(&*ctx.store, "ACME", None)?;
    let osint = ctx.store.osint();
    let p = osint.create_profile(acme.id, &profile("Ada", None, None))?;
    let t = ctx.store.bait().create_token(
        acme.id,
        &nerve::model::NewBaitToken {
            user_id: None,
            token_type: nerve::model::BaitTokenType::Url,
            token_value: "https://acme.test/secret".into(),
            label: "url".into(),
            description: None,
            metadata: None,
        },
    )?;
    let f = ctx.store.uploads().create_file(
        acme.id,
        &nerve::model::NewUploadedFile {
            user_id: None,
            file_name: "f.csv".into(),
            size_bytes: 1,
            sha256: "0".repeat(64),
            mime_type: None,
        },
    )?;
    ctx.store.companies().soft_delete(acme.id)?;
    assert_err!(
        osint.get_profile(acme.id, p.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_err!(
        osint.search_profiles(
            acme.id,
            &ProfileSearch::default(),
            Page::first(10),
            Deleted::Include
        ),
        Error::NotFound { .. }
    );
    assert_err!(osint.delete_profile(acme.id, p.id), Error::NotFound { .. });
    assert_err!(
        ctx.store.bait().get_token(acme.id, t.id),
        Error::NotFound { .. }
    );
    assert_err!(
        ctx.store
            .bait()
            .list_tokens(acme.id, Page::first(10), Deleted::Include),
        Error::NotFound { .. }
    );
    assert_err!(
        ctx.store.uploads().get_file(acme.id, f.id),
        Error::NotFound { .. }
    );
    assert_err!(
        ctx.store.uploads().mark_failed(acme.id, f.id, "x"),
        Error::NotFound { .. }
    );
    // Evidence is never dropped: an access to its token is still recorded.
    assert!(ctx
        .store
        .bait()
        .record_access(&t.token_value, &nerve::model::NewBaitAccess::default())
        .is_ok());
    ctx.store.companies().restore(acme.id)?;
    assert_eq!(osint.get_profile(acme.id, p.id)?.id, p.id);
    assert_eq!(ctx.store.bait().get_token(acme.id, t.id)?.access_count, 1);
    Ok(())
}
