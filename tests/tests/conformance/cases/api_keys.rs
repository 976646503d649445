use super::{company, events_of_type, user};
use chrono::Duration;
use nerve::model::{NewApiKey, SecurityEventType};
use nerve::secret::sha256_hex;
use nerve::{Clock, Denial, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};

fn new_key(scopes: &[&str]) -> NewApiKey {
    NewApiKey {
        name: "CI pipeline".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        expires_at: None,
    }
}

fn rejections(ctx: &Ctx) -> nerve::Result<usize> {
    Ok(events_of_type(&*ctx.store, SecurityEventType::ApiKeyRejected)?.len())
}

pub fn key_is_returned_once_as_hash_and_prefix(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let now = ctx.clock.now();
    let issued = ctx.store.api_keys().create(
        c.id,
        u.id,
        &new_key(&["scans:read", "scans:write", "scans:read"]),
    )?;
    let key = issued.key.expose().to_string();
    let (prefix, secret) = key
        .strip_prefix("nrv_")
        .and_then(|r| r.split_once('_'))
        .ok_or("key format")?;
    assert_eq!(prefix.len(), 8);
    assert!(secret.len() >= 32);
    let k = &issued.api_key;
    assert_eq!(
        (
            k.key_prefix.as_str(),
            k.user_id,
            k.company_id,
            k.usage_count,
            k.created_at
        ),
        (prefix, u.id, c.id, 0, now)
    );
    assert_eq!(
        k.scopes,
        vec!["scans:read", "scans:write"],
        "sorted, deduplicated"
    );
    let stored = ctx.query_strings(&format!(
        "SELECT key_hash AS value FROM api_keys WHERE id = {}",
        k.id
    ))?;
    assert_eq!(stored, vec![sha256_hex(&key)]);
    assert_eq!(ctx.store.api_keys().list(c.id, u.id)?, vec![k.clone()]);
    Ok(())
}

pub fn verify_checks_scope_and_records_usage(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let keys = ctx.store.api_keys();
    let key = keys.create(c.id, u.id, &new_key(&["scans:read"]))?.key;
    let t = ctx.clock.advance(Duration::minutes(1));
    let v = keys.verify(key.expose(), "scans:read", Some("203.0.113.9"))?;
    assert_eq!(
        (v.usage_count, v.last_used_at, v.last_used_ip.as_deref()),
        (1, Some(t), Some("203.0.113.9"))
    );
    assert_eq!(
        keys.verify(key.expose(), "scans:read", None)?.usage_count,
        2
    );
    assert_err!(
        keys.verify(key.expose(), "scans:write", None),
        Error::Denied { reason: Denial::MissingScope { ref scope } } if scope == "scans:write"
    );
    assert_eq!(
        rejections(ctx)?,
        1,
        "a refused known key is a security event"
    );
    assert_eq!(
        keys.list(c.id, u.id)?[0].usage_count,
        2,
        "a refusal does not count as use"
    );
    Ok(())
}

pub fn unknown_revoked_and_expired_keys_are_refused(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let keys = ctx.store.api_keys();
    let good = keys.create(c.id, u.id, &new_key(&["read"]))?;
    let key = good.key.expose().to_string();
    for bad in [
        "",
        "nrv_",
        "nrv_zzzzzzzz_abc",
        "sk_12345678_abc",
        &key[..key.len() - 1],
        &format!("{key}x"),
    ] {
        assert_err!(
            keys.verify(bad, "read", None),
            Error::Denied {
                reason: Denial::UnknownToken
            }
        );
    }
    assert_eq!(rejections(ctx)?, 0, "unknown keys name no key to report");
    assert_err!(
        keys.revoke(other.id, good.api_key.id),
        Error::NotFound {
            table: "api_keys",
            ..
        }
    );
    keys.revoke(c.id, good.api_key.id)?;
    keys.revoke(c.id, good.api_key.id)?;
    assert_err!(
        keys.verify(&key, "read", None),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    let expiring = keys.create(
        c.id,
        u.id,
        &NewApiKey {
            expires_at: Some(ctx.clock.now() + Duration::days(30)),
            ..new_key(&["read"])
        },
    )?;
    ctx.clock.advance(Duration::days(29));
    keys.verify(expiring.key.expose(), "read", None)?;
    ctx.clock.advance(Duration::days(1));
    assert_err!(
        keys.verify(expiring.key.expose(), "read", None),
        Error::Denied {
            reason: Denial::Expired
        }
    );
    assert_eq!(rejections(ctx)?, 2);
    // The owner's deletion ends the key too.
    let third = keys.create(c.id, u.id, &new_key(&["read"]))?;
    ctx.store.users().soft_delete(c.id, u.id)?;
    assert_err!(
        keys.verify(third.key.expose(), "read", None),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    Ok(())
}

pub fn key_values_are_validated(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let keys = ctx.store.api_keys();
    assert_err!(
        keys.create(c.id, u.id, &new_key(&[])),
        Error::Validation {
            table: "api_keys",
            field: "permissions",
            ..
        }
    );
    assert_err!(
        keys.create(c.id, u.id, &new_key(&["Scans Read"])),
        Error::Validation {
            table: "api_keys",
            field: "permissions",
            ..
        }
    );
    assert_err!(
        keys.create(
            c.id,
            u.id,
            &NewApiKey {
                name: "".into(),
                ..new_key(&["read"])
            }
        ),
        Error::Validation {
            table: "api_keys",
            field: "name",
            ..
        }
    );
    assert_err!(
        keys.create(
            c.id,
            u.id,
            &NewApiKey {
                expires_at: Some(ctx.clock.now()),
                ..new_key(&["read"])
            }
        ),
        Error::Validation {
            table: "api_keys",
            field: "expires_at",
            ..
        }
    );
    assert_err!(
        keys.create(other.id, u.id, &new_key(&["read"])),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        keys.verify("nrv_00000000_x", "read", Some("bad ip")),
        Error::Validation {
            table: "api_keys",
            ..
        }
    );
    ctx.store.users().lock(c.id, u.id, None)?;
    assert_err!(
        keys.create(c.id, u.id, &new_key(&["read"])),
        Error::Denied {
            reason: Denial::Locked { .. }
        }
    );
    assert!(keys.list(c.id, u.id)?.is_empty());
    Ok(())
}

pub fn no_secret_is_stored_readable(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let first_password = "first Secret passphrase 1";
    let u = ctx.store.users().create(
        c.id,
        &nerve::model::NewUser {
            password: first_password.into(),
            ..super::new_user("alice@example.com")
        },
    )?;
    let second_password = "second Secret passphrase 2";
    ctx.store
        .users()
        .set_password(c.id, u.id, second_password)?;
    let login = |password: &str| nerve::model::LoginRequest {
        email: "alice@example.com".into(),
        password: password.into(),
        ip_address: None,
        user_agent: None,
    };
    ctx.store.auth().login(&login(second_password))?;
    let wrong_password = "wrong Secret passphrase 3";
    assert_err!(
        ctx.store.auth().login(&login(wrong_password)),
        Error::Denied { .. }
    );
    let token = ctx
        .store
        .sessions()
        .create(
            c.id,
            u.id,
            &nerve::model::NewSession {
                ttl: Duration::hours(1),
                ip_address: None,
                user_agent: None,
            },
        )?
        .token;
    ctx.store.sessions().validate(token.expose())?;
    let key = ctx
        .store
        .api_keys()
        .create(c.id, u.id, &new_key(&["read"]))?
        .key;
    ctx.store.api_keys().verify(key.expose(), "read", None)?;
    // `nrv_<prefix>_<secret>`: the secret is everything after the second underscore (it may
    // hold underscores itself; splitting at the last one left a short tail that random
    // hashes in the dump could contain by chance).
    let secret_part = key
        .expose()
        .splitn(3, '_')
        .nth(2)
        .unwrap_or_default()
        .to_string();
    assert!(secret_part.len() >= 20, "{secret_part}");
    let dump = ctx.dump_text()?;
    assert!(
        dump.contains("alice@example.com"),
        "the dump reads the data"
    );
    for secret in [
        first_password,
        second_password,
        wrong_password,
        token.expose(),
        key.expose(),
        secret_part.as_str(),
    ] {
        assert!(
            !dump.contains(secret),
            "a secret is stored readable: {secret}"
        );
    }
    Ok(())
}

pub fn a_locked_owner_keys_are_refused(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let keys = ctx.store.api_keys();
    let key = keys.create(c.id, u.id, &new_key(&["read"]))?.key;
    ctx.store.users().lock(c.id, u.id, None)?;
    assert_err!(
        keys.verify(key.expose(), "read", None),
        Error::Denied {
            reason: Denial::Locked { until: None }
        }
    );
    assert_eq!(rejections(ctx)?, 1);
    ctx.store.users().unlock(c.id, u.id)?;
    assert_eq!(keys.verify(key.expose(), "read", None)?.usage_count, 1);
    Ok(())
}
