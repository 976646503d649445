use super::{company, new_user, user};
use chrono::Duration;
use nerve::model::{Deleted, NewUser, Page, Role, UserUpdate};
use nerve::{Clock, Constraint, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};

pub fn create_normalizes_email_and_stores_only_a_hash(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let now = ctx.clock.now();
    let u = ctx.store.users().create(
        c.id,
        &NewUser {
            email: "Ada.Lovelace@Example.COM".into(),
            password: "correct horse battery".into(),
            full_name: Some("Ada Lovelace".into()),
            role: Role::Owner,
        },
    )?;
    assert_eq!(u.email, "ada.lovelace@example.com");
    assert_eq!(
        (u.company_id, u.role, u.full_name.as_deref()),
        (c.id, Role::Owner, Some("Ada Lovelace"))
    );
    assert_eq!(
        (u.created_at, u.updated_at, u.password_changed_at),
        (now, now, now)
    );
    assert_eq!(
        (u.locked_at, u.locked_until, u.last_login_at, u.deleted_at),
        (None, None, None, None)
    );
    assert!(u.is_active);
    assert_eq!(ctx.store.users().get(c.id, u.id)?, u);
    assert_eq!(
        ctx.store
            .users()
            .find_by_email(c.id, "ADA.LOVELACE@example.com")?,
        u
    );
    assert!(ctx
        .store
        .users()
        .verify_password(c.id, u.id, "correct horse battery")?);
    assert!(!ctx
        .store
        .users()
        .verify_password(c.id, u.id, "Correct horse battery")?);
    let stored = ctx.query_strings(&format!(
        "SELECT password_hash AS value FROM users WHERE id = {}",
        u.id
    ))?;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("$argon2id$"), "stored: {}", stored[0]);
    assert!(!stored[0].contains("correct horse"));
    // Unicode e-mail is lower-cased in Rust, identically on both backends.
    let v = user(&*ctx.store, c.id, "ÉLODIE@Example.com")?;
    assert_eq!(v.email, "élodie@example.com");
    assert_eq!(
        ctx.store
            .users()
            .find_by_email(c.id, "élodie@EXAMPLE.com")?
            .id,
        v.id
    );
    Ok(())
}

pub fn create_rejects_invalid_values(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let users = ctx.store.users();
    for bad in [
        "",
        "no-at-sign",
        "two@@example.com",
        "a b@example.com",
        "a@localhost",
    ] {
        assert_err!(
            users.create(c.id, &new_user(bad)),
            Error::Validation {
                table: "users",
                field: "email",
                ..
            }
        );
    }
    // At most 254 characters, counted again once lower-cased (U+0130 becomes two), and at
    // most 64 before the '@'.
    let domain = |len: usize| {
        let last = "d".repeat(len - 131);
        format!("{}.{}.{last}.de", "b".repeat(63), "c".repeat(63))
    };
    let longest = format!("{}@{}", "a".repeat(64), domain(189));
    assert_eq!(longest.chars().count(), 254);
    // (Accepted in another company: this one must stay empty.)
    let other = company(&*ctx.store, "Other", None)?;
    assert_eq!(users.create(other.id, &new_user(&longest))?.email, longest);
    let lengthened = format!("\u{130}{}@{}", "a".repeat(62), domain(190));
    assert_eq!(lengthened.chars().count(), 254);
    for bad in [
        format!("{}@{}", "a".repeat(64), domain(190)),
        lengthened,
        format!("{}@example.com", "a".repeat(65)),
    ] {
        assert_err!(
            users.create(c.id, &new_user(&bad)),
            Error::Validation {
                table: "users",
                field: "email",
                ..
            }
        );
    }
    let mut short = new_user("a@example.com");
    short.password = "1234567".into();
    assert_err!(
        users.create(c.id, &short),
        Error::Validation {
            table: "users",
            field: "password",
            ..
        }
    );
    let mut nul = new_user("a@example.com");
    nul.full_name = Some("A\0B".into());
    assert_err!(
        users.create(c.id, &nul),
        Error::Validation {
            table: "users",
            field: "full_name",
            ..
        }
    );
    assert!(users
        .list(c.id, Page::first(10), Deleted::Include)?
        .is_empty());
    Ok(())
}

pub fn create_needs_a_live_company(ctx: &Ctx) -> CaseResult {
    let users = ctx.store.users();
    assert_err!(
        users.create(999_999, &new_user("a@example.com")),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    let c = company(&*ctx.store, "Closing", None)?;
    ctx.store.companies().soft_delete(c.id)?;
    assert_err!(
        users.create(c.id, &new_user("a@example.com")),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    Ok(())
}

pub fn email_is_unique_among_live_users_of_all_companies(ctx: &Ctx) -> CaseResult {
    let a = company(&*ctx.store, "A", None)?;
    let b = company(&*ctx.store, "B", None)?;
    let first = user(&*ctx.store, a.id, "alice@example.com")?;
    for (cid, email) in [(a.id, "alice@example.com"), (b.id, "ALICE@Example.com")] {
        assert_err!(
            user(&*ctx.store, cid, email),
            Error::Conflict {
                table: "users",
                field: "email",
                constraint: Constraint::Unique,
                ..
            }
        );
    }
    let other = user(&*ctx.store, b.id, "bob@example.com")?;
    assert_err!(
        ctx.store.users().update(
            b.id,
            other.id,
            &UserUpdate {
                email: Some("Alice@example.com".into()),
                ..Default::default()
            }
        ),
        Error::Conflict {
            table: "users",
            field: "email",
            constraint: Constraint::Unique,
            ..
        }
    );
    ctx.store.users().soft_delete(a.id, first.id)?;
    let second = user(&*ctx.store, b.id, "alice@example.com")?;
    assert_err!(
        ctx.store.users().restore(a.id, first.id),
        Error::Conflict {
            table: "users",
            field: "email",
            constraint: Constraint::Unique,
            ..
        }
    );
    assert_err!(
        ctx.store.users().get(a.id, first.id),
        Error::NotFound { .. }
    );
    assert_eq!(
        ctx.store.users().get(b.id, second.id)?.email,
        "alice@example.com"
    );
    Ok(())
}

pub fn another_company_cannot_see_or_touch_a_user(ctx: &Ctx) -> CaseResult {
    let a = company(&*ctx.store, "A", None)?;
    let b = company(&*ctx.store, "B", None)?;
    let u = user(&*ctx.store, a.id, "alice@example.com")?;
    let users = ctx.store.users();
    user_is_out_of_reach(ctx, b.id, u.id, "alice@example.com")?;
    assert_err!(
        users.restore(b.id, u.id),
        Error::NotFound { table: "users", .. }
    );
    // Nothing changed for the owner company.
    assert_eq!(users.get(a.id, u.id)?, u);
    assert!(users.verify_password(a.id, u.id, "correct horse battery")?);
    Ok(())
}

pub fn soft_deleted_user_is_hidden_until_restored(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let keep = user(&*ctx.store, c.id, "bob@example.com")?;
    let users = ctx.store.users();
    let t = ctx.clock.advance(Duration::hours(1));
    users.soft_delete(c.id, u.id)?;
    assert_err!(
        users.get(c.id, u.id),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.find_by_email(c.id, "alice@example.com"),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.verify_password(c.id, u.id, "correct horse battery"),
        Error::NotFound { .. }
    );
    assert_err!(
        users.update(c.id, u.id, &UserUpdate::default()),
        Error::NotFound { .. }
    );
    assert_err!(users.lock(c.id, u.id, None), Error::NotFound { .. });
    assert_err!(users.soft_delete(c.id, u.id), Error::NotFound { .. });
    let live: Vec<i64> = users
        .list(c.id, Page::first(10), Deleted::Exclude)?
        .iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(live, vec![keep.id]);
    let gone = users.list(c.id, Page::first(10), Deleted::Only)?;
    assert_eq!(gone.len(), 1);
    assert_eq!(
        (gone[0].id, gone[0].deleted_at, gone[0].is_active),
        (u.id, Some(t), false)
    );
    assert_eq!(
        users.list(c.id, Page::first(10), Deleted::Include)?.len(),
        2
    );
    let back = users.restore(c.id, u.id)?;
    assert_eq!((back.deleted_at, back.is_active), (None, true));
    assert_eq!(users.get(c.id, u.id)?, back);
    assert!(users.verify_password(c.id, u.id, "correct horse battery")?);
    assert_eq!(users.restore(c.id, u.id)?, back);
    Ok(())
}

pub fn update_changes_email_name_and_role(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let users = ctx.store.users();
    let later = ctx.clock.advance(Duration::minutes(1));
    let v = users.update(
        c.id,
        u.id,
        &UserUpdate {
            email: Some("Alice.New@Example.com".into()),
            full_name: Some(None),
            role: Some(Role::Viewer),
        },
    )?;
    assert_eq!(
        (v.email.as_str(), v.full_name.as_deref(), v.role),
        ("alice.new@example.com", None, Role::Viewer)
    );
    assert_eq!(
        (v.created_at, v.updated_at, v.password_changed_at),
        (u.created_at, later, u.password_changed_at)
    );
    assert_eq!(users.get(c.id, u.id)?, v);
    let w = users.update(
        c.id,
        u.id,
        &UserUpdate {
            full_name: Some(Some("Alice".into())),
            ..Default::default()
        },
    )?;
    assert_eq!(
        (w.full_name.as_deref(), w.role, w.email.as_str()),
        (Some("Alice"), Role::Viewer, "alice.new@example.com")
    );
    assert_err!(
        users.update(
            c.id,
            u.id,
            &UserUpdate {
                email: Some("bad".into()),
                role: Some(Role::Owner),
                ..Default::default()
            }
        ),
        Error::Validation {
            table: "users",
            field: "email",
            ..
        }
    );
    assert_eq!(
        users.get(c.id, u.id)?,
        w,
        "a rejected update writes nothing"
    );
    for role in [Role::Owner, Role::Admin, Role::Analyst, Role::Viewer] {
        assert_eq!(
            users
                .update(
                    c.id,
                    u.id,
                    &UserUpdate {
                        role: Some(role),
                        ..Default::default()
                    }
                )?
                .role,
            role
        );
        assert_eq!(users.get(c.id, u.id)?.role, role);
    }
    assert_err!(
        users.update(c.id, 987_654, &UserUpdate::default()),
        Error::NotFound { table: "users", .. }
    );
    Ok(())
}

pub fn set_password_replaces_the_hash(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let users = ctx.store.users();
    let later = ctx.clock.advance(Duration::days(1));
    users.set_password(c.id, u.id, "a new passphrase")?;
    assert!(users.verify_password(c.id, u.id, "a new passphrase")?);
    assert!(!users.verify_password(c.id, u.id, "correct horse battery")?);
    let v = users.get(c.id, u.id)?;
    assert_eq!((v.password_changed_at, v.updated_at), (later, later));
    assert_err!(
        users.set_password(c.id, u.id, "short"),
        Error::Validation {
            table: "users",
            field: "password",
            ..
        }
    );
    assert!(
        users.verify_password(c.id, u.id, "a new passphrase")?,
        "a rejected password changes nothing"
    );
    assert_err!(
        users.set_password(c.id, 987_654, "long enough pass"),
        Error::NotFound { table: "users", .. }
    );
    Ok(())
}

pub fn lock_until_and_indefinitely_then_unlock(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let users = ctx.store.users();
    let now = ctx.clock.now();
    assert!(!u.is_locked_at(now));
    let until = now + Duration::minutes(30);
    let l = users.lock(c.id, u.id, Some(until))?;
    assert_eq!((l.locked_at, l.locked_until), (Some(now), Some(until)));
    assert_eq!(users.get(c.id, u.id)?, l);
    assert!(l.is_locked_at(now + Duration::minutes(29)));
    assert!(!l.is_locked_at(until), "the lock ends at its end instant");
    let forever = users.lock(c.id, u.id, None)?;
    assert_eq!((forever.locked_at, forever.locked_until), (Some(now), None));
    assert!(forever.is_locked_at(now + Duration::days(3650)));
    let free = users.unlock(c.id, u.id)?;
    assert_eq!((free.locked_at, free.locked_until), (None, None));
    assert!(!users.get(c.id, u.id)?.is_locked_at(now));
    assert_eq!(
        users.unlock(c.id, u.id)?.locked_at,
        None,
        "unlocking twice is harmless"
    );
    Ok(())
}

pub fn list_pages_by_id_within_the_company(ctx: &Ctx) -> CaseResult {
    let a = company(&*ctx.store, "A", None)?;
    let b = company(&*ctx.store, "B", None)?;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(user(&*ctx.store, a.id, &format!("a{i}@example.com"))?.id);
        user(&*ctx.store, b.id, &format!("b{i}@example.com"))?;
    }
    let users = ctx.store.users();
    let p1 = users.list(a.id, Page::first(3), Deleted::Exclude)?;
    let p2 = users.list(a.id, Page::after(p1[2].id, 3), Deleted::Exclude)?;
    let got: Vec<i64> = p1.iter().chain(&p2).map(|u| u.id).collect();
    assert_eq!(got, ids);
    assert!(p1.iter().chain(&p2).all(|u| u.company_id == a.id));
    assert!(users
        .list(a.id, Page::after(ids[4], 3), Deleted::Exclude)?
        .is_empty());
    assert_err!(
        users.list(a.id, Page::first(0), Deleted::Exclude),
        Error::Validation {
            table: "users",
            field: "limit",
            ..
        }
    );
    Ok(())
}

pub fn users_of_a_soft_deleted_company_are_hidden(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "Closing", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let users = ctx.store.users();
    ctx.store.companies().soft_delete(c.id)?;
    user_is_out_of_reach(ctx, c.id, u.id, "alice@example.com")?;
    assert_err!(
        users.restore(c.id, u.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    ctx.store.companies().restore(c.id)?;
    assert_eq!(
        users.get(c.id, u.id)?,
        u,
        "back, unchanged, with its company"
    );
    assert!(users.verify_password(c.id, u.id, "correct horse battery")?);
    Ok(())
}

pub fn remaining_error_paths(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let users = ctx.store.users();
    assert_err!(
        users.find_by_email(c.id, "not an address"),
        Error::Validation {
            table: "users",
            field: "email",
            ..
        }
    );
    assert_err!(
        users.get(c.id, 987_654),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.unlock(c.id, 987_654),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.lock(c.id, 987_654, None),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.restore(c.id, 987_654),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.soft_delete(c.id, 987_654),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.verify_password(c.id, 987_654, "whatever it is"),
        Error::NotFound { table: "users", .. }
    );
    assert_err!(
        users.update(
            c.id,
            u.id,
            &UserUpdate {
                full_name: Some(Some("bad\0name".into())),
                ..Default::default()
            }
        ),
        Error::Validation {
            table: "users",
            field: "full_name",
            ..
        }
    );
    assert!(users
        .list(424_242, Page::first(10), Deleted::Include)?
        .is_empty());
    // A stored hash of no known format never matches: the password must be reset.
    ctx.execute_raw(&format!(
        "UPDATE users SET password_hash = 'garbage' WHERE id = {}",
        u.id
    ))?;
    assert_err!(
        users.verify_password(c.id, u.id, "correct horse battery"),
        Error::Denied {
            reason: nerve::Denial::PasswordResetRequired
        }
    );
    // A broken argon2 string is never a match (an error, or false).
    ctx.execute_raw(&format!(
        "UPDATE users SET password_hash = '$argon2id$broken' WHERE id = {}",
        u.id
    ))?;
    assert!(!matches!(
        users.verify_password(c.id, u.id, "correct horse battery"),
        Ok(true)
    ));
    Ok(())
}

pub fn password_history_refuses_the_last_five(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    let u = user(&*ctx.store, c.id, "alice@example.com")?;
    let users = ctx.store.users();
    let p = |i: usize| format!("passphrase number {i}");
    // Current: the creation password; then four more: five in the history.
    for i in 1..=4 {
        users.set_password(c.id, u.id, &p(i))?;
    }
    for reused in ["correct horse battery".to_string(), p(1), p(4)] {
        assert_err!(
            users.set_password(c.id, u.id, &reused),
            Error::Validation { table: "users", field: "password", ref reason } if reason.contains("last 5")
        );
    }
    assert!(
        users.verify_password(c.id, u.id, &p(4))?,
        "a refused change changes nothing"
    );
    users.set_password(c.id, u.id, &p(5))?;
    // The creation password is now the sixth most recent: allowed again.
    users.set_password(c.id, u.id, "correct horse battery")?;
    assert!(users.verify_password(c.id, u.id, "correct horse battery")?);
    Ok(())
}

pub fn another_company_cannot_probe_the_password_history(ctx: &Ctx) -> CaseResult {
    let a = company(&*ctx.store, "A", None)?;
    let b = company(&*ctx.store, "B", None)?;
    let victim = user(&*ctx.store, b.id, "victim@example.com")?;
    let users = ctx.store.users();
    // The victim's current password and a fresh one give the same answer: not found.
    for guess in ["correct horse battery", "some other guess"] {
        assert_err!(
            users.set_password(a.id, victim.id, guess),
            Error::NotFound { table: "users", .. }
        );
    }
    assert!(users.verify_password(b.id, victim.id, "correct horse battery")?);
    Ok(())
}

/// Every call on the user `user_id` through `company_id` (except restore) is NotFound on
/// `users`, and the company's list is empty: the user is invisible and untouchable there.
fn user_is_out_of_reach(ctx: &Ctx, company_id: i64, user_id: i64, email: &str) -> CaseResult {
    let users = ctx.store.users();
    let nf = |r: nerve::Result<()>, what: &str| match r {
        Err(Error::NotFound { table: "users", .. }) => Ok(()),
        other => Err(format!("{what}: expected NotFound on users, got {other:?}")),
    };
    nf(users.get(company_id, user_id).map(drop), "get")?;
    nf(
        users.find_by_email(company_id, email).map(drop),
        "find_by_email",
    )?;
    let change = UserUpdate {
        role: Some(Role::Owner),
        ..Default::default()
    };
    nf(
        users.update(company_id, user_id, &change).map(drop),
        "update",
    )?;
    nf(
        users.set_password(company_id, user_id, "hijacked password"),
        "set_password",
    )?;
    nf(
        users
            .verify_password(company_id, user_id, "correct horse battery")
            .map(drop),
        "verify_password",
    )?;
    nf(users.lock(company_id, user_id, None).map(drop), "lock")?;
    nf(users.unlock(company_id, user_id).map(drop), "unlock")?;
    nf(users.soft_delete(company_id, user_id), "soft_delete")?;
    assert!(users
        .list(company_id, Page::first(10), Deleted::Include)?
        .is_empty());
    Ok(())
}
