use super::{company, events_of_type, user};
use chrono::Duration;
use nerve::model::{EventFilter, LoginFailure, LoginRequest, Page, SecurityEventType};
use nerve::{Clock, Denial, Error, MigrationPolicy, PasswordParams};
use nerve_conformance::{assert_err, test_options, CaseResult, Ctx};

fn request(email: &str, password: &str) -> LoginRequest {
    LoginRequest {
        email: email.into(),
        password: password.into(),
        ip_address: Some("192.0.2.10".into()),
        user_agent: Some("nerve-tests/1".into()),
    }
}

const RIGHT: &str = "correct horse battery";

fn fail(ctx: &Ctx, email: &str, times: usize) -> CaseResult {
    for _ in 0..times {
        assert_err!(
            ctx.store.auth().login(&request(email, "wrong password!")),
            Error::Denied { .. }
        );
    }
    Ok(())
}

fn brute_force_events(ctx: &Ctx) -> nerve::Result<usize> {
    Ok(events_of_type(&*ctx.store, SecurityEventType::BruteForce)?.len())
}

pub fn login_succeeds_and_records_the_attempt(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let later = ctx.clock.advance(Duration::minutes(3));
    let logged = ctx
        .store
        .auth()
        .login(&request("ALICE@example.com", RIGHT))?;
    assert_eq!((logged.id, logged.last_login_at), (u.id, Some(later)));
    let attempts = ctx
        .store
        .auth()
        .attempts("alice@EXAMPLE.com", Page::first(10))?;
    assert_eq!(attempts.len(), 1);
    let a = &attempts[0];
    assert_eq!(
        (a.email.as_str(), a.user_id, a.success, a.failure),
        ("alice@example.com", Some(u.id), true, None)
    );
    assert_eq!(
        (
            a.ip_address.as_deref(),
            a.user_agent.as_deref(),
            a.attempted_at
        ),
        (Some("192.0.2.10"), Some("nerve-tests/1"), later)
    );
    Ok(())
}

pub fn wrong_password_and_unknown_address_are_bad_credentials(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    user(&*ctx.store, c.id, "alice@example.com")?;
    let auth = ctx.store.auth();
    assert_err!(
        auth.login(&request("alice@example.com", "not it at all")),
        Error::Denied {
            reason: Denial::BadCredentials
        }
    );
    assert_err!(
        auth.login(&request("nobody@example.com", RIGHT)),
        Error::Denied {
            reason: Denial::BadCredentials
        }
    );
    assert_err!(
        auth.login(&request("not an address", RIGHT)),
        Error::Denied {
            reason: Denial::BadCredentials
        }
    );
    let a = auth.attempts("alice@example.com", Page::first(10))?;
    assert_eq!(
        (a.len(), a[0].success, a[0].failure),
        (1, false, Some(LoginFailure::BadPassword))
    );
    let n = auth.attempts("nobody@example.com", Page::first(10))?;
    assert_eq!(
        (n.len(), n[0].user_id, n[0].failure),
        (1, None, Some(LoginFailure::UnknownAccount))
    );
    assert_eq!(
        auth.attempts("not an address", Page::first(10))?.len(),
        1,
        "found again through the same hash"
    );
    // A soft-deleted user cannot log in.
    let gone = user(&*ctx.store, c.id, "gone@example.com")?;
    ctx.store.users().soft_delete(c.id, gone.id)?;
    assert_err!(
        auth.login(&request("gone@example.com", RIGHT)),
        Error::Denied {
            reason: Denial::BadCredentials
        }
    );
    Ok(())
}

pub fn lockout_at_the_fifth_failure_not_the_fourth(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let session = ctx.store.sessions().create(
        c.id,
        u.id,
        &nerve::model::NewSession {
            ttl: Duration::hours(1),
            ip_address: None,
            user_agent: None,
        },
    )?;
    fail(ctx, "alice@example.com", 4)?;
    let now = ctx.clock.now();
    assert!(
        !ctx.store.users().get(c.id, u.id)?.is_locked_at(now),
        "not locked after 4 failures"
    );
    assert_eq!(brute_force_events(ctx)?, 0);
    let until = now + Duration::minutes(30);
    assert_err!(
        ctx.store.auth().login(&request("alice@example.com", "wrong password!")),
        Error::Denied { reason: Denial::Locked { until: Some(t) } } if t == until
    );
    let locked = ctx.store.users().get(c.id, u.id)?;
    assert_eq!(
        (locked.locked_at, locked.locked_until),
        (Some(now), Some(until))
    );
    assert_eq!(brute_force_events(ctx)?, 1);
    let events = ctx.store.security_events().list(
        &EventFilter {
            company_id: Some(c.id),
            ..Default::default()
        },
        Page::first(10),
    )?;
    assert_eq!(
        (events[0].user_id, events[0].severity),
        (Some(u.id), nerve::model::Severity::High)
    );
    // Locking revoked the user's sessions; the right password is refused while locked.
    assert_err!(
        ctx.store.sessions().validate(session.token.expose()),
        Error::Denied {
            reason: Denial::Revoked
        }
    );
    assert_err!(
        ctx.store.auth().login(&request("alice@example.com", RIGHT)),
        Error::Denied {
            reason: Denial::Locked { .. }
        }
    );
    let last = &ctx
        .store
        .auth()
        .attempts("alice@example.com", Page::first(1))?[0];
    assert_eq!(last.failure, Some(LoginFailure::Locked));
    Ok(())
}

pub fn lock_ends_by_the_clock_or_by_unlock(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    fail(ctx, "alice@example.com", 5)?;
    ctx.clock.advance(Duration::minutes(29));
    assert_err!(
        ctx.store.auth().login(&request("alice@example.com", RIGHT)),
        Error::Denied {
            reason: Denial::Locked { .. }
        }
    );
    ctx.clock.advance(Duration::minutes(1));
    let back = ctx
        .store
        .auth()
        .login(&request("alice@example.com", RIGHT))?;
    assert_eq!(
        (back.locked_at, back.locked_until),
        (None, None),
        "a successful login clears the ended lock"
    );
    ctx.clock.advance(Duration::seconds(1));
    // Locked again, then unlocked by an admin: the old failures no longer count.
    fail(ctx, "alice@example.com", 5)?;
    assert!(ctx
        .store
        .users()
        .get(c.id, u.id)?
        .is_locked_at(ctx.clock.now()));
    ctx.clock.advance(Duration::seconds(1));
    ctx.store.users().unlock(c.id, u.id)?;
    ctx.clock.advance(Duration::seconds(1));
    fail(ctx, "alice@example.com", 1)?;
    assert!(!ctx
        .store
        .users()
        .get(c.id, u.id)?
        .is_locked_at(ctx.clock.now()));
    ctx.store
        .auth()
        .login(&request("alice@example.com", RIGHT))?;
    Ok(())
}

pub fn success_resets_and_the_window_forgets_failures(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    fail(ctx, "alice@example.com", 4)?;
    ctx.clock.advance(Duration::seconds(1));
    ctx.store
        .auth()
        .login(&request("alice@example.com", RIGHT))?;
    ctx.clock.advance(Duration::seconds(1));
    fail(ctx, "alice@example.com", 4)?;
    assert!(
        !ctx.store
            .users()
            .get(c.id, u.id)?
            .is_locked_at(ctx.clock.now()),
        "the success reset the count"
    );
    ctx.clock.advance(Duration::minutes(16));
    fail(ctx, "alice@example.com", 4)?;
    assert!(
        !ctx.store
            .users()
            .get(c.id, u.id)?
            .is_locked_at(ctx.clock.now()),
        "failures older than the window do not count"
    );
    fail(ctx, "alice@example.com", 1)?;
    assert!(ctx
        .store
        .users()
        .get(c.id, u.id)?
        .is_locked_at(ctx.clock.now()));
    Ok(())
}

pub fn many_failures_from_one_address_raise_one_event(ctx: &Ctx) -> CaseResult {
    let stuffing = |ctx: &Ctx| events_of_type(&*ctx.store, SecurityEventType::CredentialStuffing);
    for i in 0..19 {
        fail(ctx, &format!("victim{i}@example.com"), 1)?;
    }
    assert!(stuffing(ctx)?.is_empty(), "19 failures raise nothing");
    fail(ctx, "victim19@example.com", 1)?;
    let events = stuffing(ctx)?;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].ip_address.as_deref(), events[0].company_id),
        (Some("192.0.2.10"), None)
    );
    fail(ctx, "victim20@example.com", 1)?;
    assert_eq!(
        stuffing(ctx)?.len(),
        1,
        "raised once per crossing, not per failure"
    );
    Ok(())
}

pub fn changed_argon2_parameters_rehash_on_login(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let hash_query = format!(
        "SELECT password_hash AS value FROM users WHERE id = {}",
        u.id
    );
    let before = ctx.query_strings(&hash_query)?.remove(0);
    assert!(before.contains("m=8,t=1,p=1"), "{before}");
    let mut options = test_options(ctx.clock.clone(), MigrationPolicy::Require);
    options.password = PasswordParams {
        memory_kib: 16,
        iterations: 2,
        parallelism: 1,
    };
    let stronger = nerve::connect_with(ctx.url(), &options)?;
    assert_err!(
        stronger
            .auth()
            .login(&request("alice@example.com", "wrong password!")),
        Error::Denied { .. }
    );
    assert_eq!(
        ctx.query_strings(&hash_query)?.remove(0),
        before,
        "a failed login rehashes nothing"
    );
    stronger
        .auth()
        .login(&request("alice@example.com", RIGHT))?;
    let after = ctx.query_strings(&hash_query)?.remove(0);
    assert!(after.contains("m=16,t=2,p=1"), "{after}");
    assert!(stronger.users().verify_password(c.id, u.id, RIGHT)?);
    stronger
        .auth()
        .login(&request("alice@example.com", RIGHT))?;
    assert_eq!(
        ctx.query_strings(&hash_query)?.remove(0),
        after,
        "current parameters: no rehash"
    );
    Ok(())
}

pub fn login_rejects_malformed_client_data(ctx: &Ctx) -> CaseResult {
    let mut bad_ip = request("alice@example.com", RIGHT);
    bad_ip.ip_address = Some("999.1.1.1".into());
    assert_err!(
        ctx.store.auth().login(&bad_ip),
        Error::Validation {
            table: "login_attempts",
            field: "ip_address",
            ..
        }
    );
    let mut bad_agent = request("alice@example.com", RIGHT);
    bad_agent.user_agent = Some("agent\0".into());
    assert_err!(
        ctx.store.auth().login(&bad_agent),
        Error::Validation {
            table: "login_attempts",
            field: "user_agent",
            ..
        }
    );
    assert!(
        ctx.store
            .auth()
            .attempts("alice@example.com", Page::first(10))?
            .is_empty(),
        "nothing recorded"
    );
    Ok(())
}

pub fn the_window_is_exactly_fifteen_minutes(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let locked = |ctx: &Ctx| -> nerve::Result<bool> {
        Ok(ctx
            .store
            .users()
            .get(c.id, u.id)?
            .is_locked_at(ctx.clock.now()))
    };
    fail(ctx, "alice@example.com", 4)?;
    ctx.clock.advance(Duration::minutes(15));
    fail(ctx, "alice@example.com", 1)?;
    assert!(
        !locked(ctx)?,
        "failures exactly 15 minutes old no longer count"
    );
    // That failure, 1 µs short of 15 minutes old, still counts: with 3 more it makes 4,
    // with a 4th more it makes the 5th.
    ctx.clock
        .advance(Duration::minutes(15) - Duration::microseconds(1));
    fail(ctx, "alice@example.com", 3)?;
    assert!(!locked(ctx)?, "4 failures within the window");
    fail(ctx, "alice@example.com", 1)?;
    assert!(
        locked(ctx)?,
        "the 5th within 15 minutes, counting one 1 µs inside the window"
    );
    Ok(())
}

pub fn login_and_key_checks_refuse_to_run_inside_a_transaction(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let key = ctx
        .store
        .api_keys()
        .create(
            c.id,
            u.id,
            &nerve::model::NewApiKey {
                name: "k".into(),
                scopes: vec!["read".into()],
                expires_at: None,
            },
        )?
        .key;
    let result = ctx.store.atomic(&mut |tx| {
        tx.auth()
            .login(&request("alice@example.com", "wrong password!"))
            .map(drop)
    });
    assert_err!(result, Error::Unsupported { .. });
    let result = ctx
        .store
        .atomic(&mut |tx| tx.api_keys().verify(key.expose(), "read", None).map(drop));
    assert_err!(result, Error::Unsupported { .. });
    assert!(ctx
        .store
        .auth()
        .attempts("alice@example.com", Page::first(10))?
        .is_empty());
    ctx.store.api_keys().verify(key.expose(), "read", None)?;
    Ok(())
}

pub fn an_invalid_address_is_recorded_only_as_a_hash(ctx: &Ctx) -> CaseResult {
    let typed_password = "Hunter2-typed-in-the-wrong-field";
    assert_err!(
        ctx.store.auth().login(&request(typed_password, RIGHT)),
        Error::Denied {
            reason: Denial::BadCredentials
        }
    );
    let attempts = ctx.store.auth().attempts(typed_password, Page::first(10))?;
    assert_eq!(attempts.len(), 1);
    assert!(
        attempts[0].email.starts_with("invalid:"),
        "{}",
        attempts[0].email
    );
    assert!(!ctx.dump_text()?.contains(typed_password));
    Ok(())
}

pub fn a_rehash_keeps_the_history_rule(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let p = |i: usize| format!("passphrase number {i}");
    for i in 1..=4 {
        ctx.store.users().set_password(c.id, u.id, &p(i))?;
    }
    let mut options = test_options(ctx.clock.clone(), MigrationPolicy::Require);
    options.password = PasswordParams {
        memory_kib: 16,
        iterations: 1,
        parallelism: 1,
    };
    let stronger = nerve::connect_with(ctx.url(), &options)?;
    stronger
        .auth()
        .login(&request("alice@example.com", &p(4)))?;
    // Five distinct passwords are still remembered: the creation one and 1 to 4.
    for reused in [RIGHT.to_string(), p(1), p(4)] {
        assert_err!(
            stronger.users().set_password(c.id, u.id, &reused),
            Error::Validation {
                field: "password",
                ..
            }
        );
    }
    Ok(())
}
