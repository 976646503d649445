use super::{company, user};
use chrono::Duration;
use nerve::model::NewSession;
use nerve::secret::sha256_hex;
use nerve::{Clock, Denial, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};

fn new_session(hours: i64) -> NewSession {
    NewSession {
        ttl: Duration::hours(hours),
        ip_address: Some("2001:DB8::7".into()),
        user_agent: Some("browser".into()),
    }
}

pub fn token_is_returned_once_and_stored_only_as_its_hash(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let now = ctx.clock.now();
    let issued = ctx.store.sessions().create(c.id, u.id, &new_session(2))?;
    let token = issued.token.expose().to_string();
    assert_eq!(token.len(), 43);
    let s = &issued.session;
    assert_eq!(
        (
            s.user_id,
            s.company_id,
            s.created_at,
            s.last_seen_at,
            s.expires_at
        ),
        (u.id, c.id, now, now, now + Duration::hours(2))
    );
    assert_eq!(s.ip_address.as_deref(), Some("2001:db8::7"));
    let stored = ctx.query_strings(&format!(
        "SELECT token_hash AS value FROM sessions WHERE id = {}",
        s.id
    ))?;
    assert_eq!(stored, vec![sha256_hex(&token)]);
    let later = ctx.clock.advance(Duration::minutes(10));
    let v = ctx.store.sessions().validate(&token)?;
    assert_eq!((v.id, v.last_seen_at), (s.id, later));
    assert_eq!(ctx.store.sessions().list_active(c.id, u.id)?, vec![v]);
    assert_err!(
        ctx.store.sessions().validate("not a token"),
        Error::Denied {
            reason: Denial::UnknownToken
        }
    );
    assert_err!(
        ctx.store.sessions().validate(&sha256_hex(&token)),
        Error::Denied {
            reason: Denial::UnknownToken
        }
    );
    Ok(())
}

pub fn session_expires_by_the_clock(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let token = ctx
        .store
        .sessions()
        .create(c.id, u.id, &new_session(1))?
        .token;
    ctx.clock.advance(Duration::minutes(59));
    ctx.store.sessions().validate(token.expose())?;
    ctx.clock.advance(Duration::minutes(1));
    assert_err!(
        ctx.store.sessions().validate(token.expose()),
        Error::Denied {
            reason: Denial::Expired
        }
    );
    assert!(ctx.store.sessions().list_active(c.id, u.id)?.is_empty());
    Ok(())
}

pub fn revoke_one_and_all(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let other = company(&*ctx.store, "Other", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let sessions = ctx.store.sessions();
    let a = sessions.create(c.id, u.id, &new_session(1))?;
    let b = sessions.create(c.id, u.id, &new_session(1))?;
    let d = sessions.create(c.id, u.id, &new_session(1))?;
    assert_err!(
        sessions.revoke(other.id, a.session.id),
        Error::NotFound {
            table: "sessions",
            ..
        }
    );
    sessions.validate(a.token.expose())?;
    sessions.revoke(c.id, a.session.id)?;
    sessions.revoke(c.id, a.session.id)?;
    assert_err!(
        sessions.validate(a.token.expose()),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    let active: Vec<i64> = sessions
        .list_active(c.id, u.id)?
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(active, vec![d.session.id, b.session.id], "newest first");
    assert_err!(
        sessions.revoke_all(other.id, u.id),
        Error::NotFound { table: "users", .. }
    );
    assert_eq!(sessions.revoke_all(c.id, u.id)?, 2);
    assert_eq!(sessions.revoke_all(c.id, u.id)?, 0);
    assert_err!(
        sessions.validate(b.token.expose()),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    Ok(())
}

pub fn password_change_lock_and_deletion_end_sessions(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let sessions = ctx.store.sessions();
    let t1 = sessions.create(c.id, u.id, &new_session(1))?.token;
    ctx.store
        .users()
        .set_password(c.id, u.id, "a brand new passphrase")?;
    assert_err!(
        sessions.validate(t1.expose()),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    let t2 = sessions.create(c.id, u.id, &new_session(1))?.token;
    ctx.store.users().lock(c.id, u.id, None)?;
    assert_err!(
        sessions.validate(t2.expose()),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    assert_err!(
        sessions.create(c.id, u.id, &new_session(1)),
        Error::Denied {
            reason: Denial::Locked { until: None }
        }
    );
    ctx.store.users().unlock(c.id, u.id)?;
    // A lock with an end refuses new sessions until it ends, and not after.
    let until = ctx.clock.now() + Duration::minutes(30);
    ctx.store.users().lock(c.id, u.id, Some(until))?;
    assert_err!(
        sessions.create(c.id, u.id, &new_session(1)),
        Error::Denied { reason: Denial::Locked { until: Some(t) } } if t == until
    );
    ctx.clock.advance(Duration::minutes(31));
    let t3 = sessions.create(c.id, u.id, &new_session(1))?.token;
    ctx.store.users().soft_delete(c.id, u.id)?;
    assert_err!(
        sessions.validate(t3.expose()),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    assert_err!(
        sessions.create(c.id, u.id, &new_session(1)),
        Error::NotFound { table: "users", .. }
    );
    Ok(())
}

pub fn session_values_are_validated(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let sessions = ctx.store.sessions();
    // The bounds are inclusive: 1 second and 366 days are accepted (for another user: the
    // refusals below must leave this one without sessions).
    let other = user(&*ctx.store, c.id, "bounds@example.com")?;
    for ttl in [Duration::seconds(1), Duration::days(366)] {
        let new = NewSession {
            ttl,
            ip_address: None,
            user_agent: None,
        };
        let issued = sessions.create(c.id, other.id, &new)?;
        assert_eq!(
            issued.session.expires_at - issued.session.created_at,
            ttl,
            "{issued:?}"
        );
    }
    for ttl in [
        Duration::zero(),
        Duration::milliseconds(999),
        Duration::days(366) + Duration::seconds(1),
    ] {
        let new = NewSession {
            ttl,
            ip_address: None,
            user_agent: None,
        };
        assert_err!(
            sessions.create(c.id, u.id, &new),
            Error::Validation {
                table: "sessions",
                field: "ttl",
                ..
            }
        );
    }
    let mut bad_ip = new_session(1);
    bad_ip.ip_address = Some("localhost".into());
    assert_err!(
        sessions.create(c.id, u.id, &bad_ip),
        Error::Validation {
            table: "sessions",
            field: "ip_address",
            ..
        }
    );
    assert_err!(
        sessions.create(c.id, 999_999, &new_session(1)),
        Error::NotFound { table: "users", .. }
    );
    assert!(sessions.list_active(c.id, u.id)?.is_empty());
    Ok(())
}
