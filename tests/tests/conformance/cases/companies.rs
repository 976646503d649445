use super::company;
use chrono::Duration;
use nerve::model::{CompanyUpdate, Deleted, NewCompany, Page};
use nerve::{Clock, Constraint, Error};
use nerve_conformance::{assert_err, CaseResult, Ctx};

pub fn create_and_get_round_trip(ctx: &Ctx) -> CaseResult {
    let now = ctx.clock.now();
    let c = company(&*ctx.store, "ACME Corp ✓", Some("Example.COM"))?;
    assert!(c.id > 0);
    assert_eq!(c.name, "ACME Corp ✓");
    assert_eq!(c.domain.as_deref(), Some("example.com"));
    assert_eq!((c.created_at, c.updated_at), (now, now));
    assert_eq!(c.deleted_at, None);
    assert!(c.is_active);
    assert_eq!(ctx.store.companies().get(c.id)?, c);
    assert_eq!(ctx.store.companies().find_by_domain("EXAMPLE.com")?, c);
    let other = company(&*ctx.store, "No domain", None)?;
    assert!(other.id > c.id);
    assert_eq!(other.domain, None);
    Ok(())
}

pub fn create_rejects_invalid_values_and_writes_nothing(ctx: &Ctx) -> CaseResult {
    let companies = ctx.store.companies();
    let long = "x".repeat(256);
    for (name, domain, field) in [
        ("", None, "name"),
        ("   ", None, "name"),
        ("nul\0byte", None, "name"),
        ("bell\u{7}", None, "name"),
        (long.as_str(), None, "name"),
        ("ok", Some("not a domain"), "domain"),
        ("ok", Some("10.0.0.1"), "domain"),
        ("ok", Some(""), "domain"),
    ] {
        let new = NewCompany {
            name: name.into(),
            domain: domain.map(Into::into),
        };
        assert_err!(
            companies.create(&new),
            Error::Validation { table: "companies", field: f, .. } if f == field
        );
    }
    // 255 characters (not bytes) is the limit.
    company(&*ctx.store, &"é".repeat(255), None)?;
    assert_eq!(companies.list(Page::first(100), Deleted::Include)?.len(), 1);
    Ok(())
}

pub fn live_domain_is_unique_and_freed_by_soft_delete(ctx: &Ctx) -> CaseResult {
    let first = company(&*ctx.store, "First", Some("acme.test"))?;
    assert_err!(
        company(&*ctx.store, "Second", Some("ACME.test")),
        Error::Conflict {
            table: "companies",
            field: "domain",
            constraint: Constraint::Unique,
            ..
        }
    );
    ctx.store.companies().soft_delete(first.id)?;
    let second = company(&*ctx.store, "Second", Some("acme.test"))?;
    assert_err!(
        ctx.store.companies().restore(first.id),
        Error::Conflict {
            table: "companies",
            field: "domain",
            constraint: Constraint::Unique,
            ..
        }
    );
    // The failed restore changed nothing.
    assert_err!(
        ctx.store.companies().get(first.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    let other = company(&*ctx.store, "Other", Some("other.test"))?;
    assert_err!(
        ctx.store.companies().update(
            other.id,
            &CompanyUpdate {
                domain: Some(Some("acme.test".into())),
                ..Default::default()
            }
        ),
        Error::Conflict {
            table: "companies",
            field: "domain",
            constraint: Constraint::Unique,
            ..
        }
    );
    assert_eq!(
        ctx.store.companies().get(second.id)?.domain.as_deref(),
        Some("acme.test")
    );
    assert_eq!(
        ctx.store.companies().get(other.id)?.domain.as_deref(),
        Some("other.test")
    );
    Ok(())
}

pub fn get_and_find_missing_are_not_found(ctx: &Ctx) -> CaseResult {
    let companies = ctx.store.companies();
    assert_err!(
        companies.get(424242),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_err!(
        companies.get(-1),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_err!(
        companies.find_by_domain("nobody.test"),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_err!(
        companies.find_by_domain("not a domain"),
        Error::Validation {
            table: "companies",
            field: "domain",
            ..
        }
    );
    assert_err!(
        companies.update(424242, &CompanyUpdate::default()),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_err!(
        companies.soft_delete(424242),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_err!(
        companies.restore(424242),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    Ok(())
}

pub fn list_pages_by_id_and_filters_deleted(ctx: &Ctx) -> CaseResult {
    let companies = ctx.store.companies();
    let ids: Vec<i64> = (0..5)
        .map(|i| company(&*ctx.store, &format!("C{i}"), None).map(|c| c.id))
        .collect::<Result<_, _>>()?;
    let first = companies.list(Page::first(2), Deleted::Exclude)?;
    assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), ids[..2]);
    let second = companies.list(Page::after(first[1].id, 2), Deleted::Exclude)?;
    assert_eq!(second.iter().map(|c| c.id).collect::<Vec<_>>(), ids[2..4]);
    let last = companies.list(Page::after(second[1].id, 2), Deleted::Exclude)?;
    assert_eq!(last.iter().map(|c| c.id).collect::<Vec<_>>(), ids[4..]);
    companies.soft_delete(ids[1])?;
    let live: Vec<i64> = companies
        .list(Page::first(10), Deleted::Exclude)?
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(live, vec![ids[0], ids[2], ids[3], ids[4]]);
    let all: Vec<i64> = companies
        .list(Page::first(10), Deleted::Include)?
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(all, ids);
    let gone = companies.list(Page::first(10), Deleted::Only)?;
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].id, ids[1]);
    assert!(!gone[0].is_active);
    assert_err!(
        companies.list(Page::first(0), Deleted::Exclude),
        Error::Validation {
            table: "companies",
            field: "limit",
            ..
        }
    );
    assert_err!(
        companies.list(Page::first(1001), Deleted::Exclude),
        Error::Validation {
            table: "companies",
            field: "limit",
            ..
        }
    );
    assert_eq!(
        companies.list(Page::first(1000), Deleted::Include)?.len(),
        5
    );
    Ok(())
}

pub fn count_agrees_with_list_for_each_deleted_choice(ctx: &Ctx) -> CaseResult {
    let companies = ctx.store.companies();
    assert_eq!(companies.count(Deleted::Include)?, 0);
    let ids: Vec<i64> = (0..3)
        .map(|i| company(&*ctx.store, &format!("N{i}"), None).map(|c| c.id))
        .collect::<Result<_, _>>()?;
    companies.soft_delete(ids[0])?;
    for (deleted, want) in [
        (Deleted::Exclude, 2),
        (Deleted::Only, 1),
        (Deleted::Include, 3),
    ] {
        assert_eq!(companies.count(deleted)?, want, "{deleted:?}");
        let listed = companies.list(Page::first(1000), deleted)?.len() as u64;
        assert_eq!(listed, want, "{deleted:?}");
    }
    Ok(())
}

pub fn update_changes_fields_and_updated_at(ctx: &Ctx) -> CaseResult {
    let companies = ctx.store.companies();
    let c = company(&*ctx.store, "Before", Some("before.test"))?;
    let later = ctx.clock.advance(Duration::minutes(5));
    let u = companies.update(
        c.id,
        &CompanyUpdate {
            name: Some("After".into()),
            domain: None,
        },
    )?;
    assert_eq!(u.name, "After");
    assert_eq!(u.domain.as_deref(), Some("before.test"));
    assert_eq!((u.created_at, u.updated_at), (c.created_at, later));
    let u = companies.update(
        c.id,
        &CompanyUpdate {
            name: None,
            domain: Some(None),
        },
    )?;
    assert_eq!(u.domain, None);
    let u = companies.update(
        c.id,
        &CompanyUpdate {
            name: None,
            domain: Some(Some("New.Test".into())),
        },
    )?;
    assert_eq!(u.domain.as_deref(), Some("new.test"));
    assert_eq!(companies.get(c.id)?, u);
    assert_err!(
        companies.update(
            c.id,
            &CompanyUpdate {
                name: Some("".into()),
                domain: None
            }
        ),
        Error::Validation {
            table: "companies",
            field: "name",
            ..
        }
    );
    assert_err!(
        companies.update(
            c.id,
            &CompanyUpdate {
                name: Some("ok".into()),
                domain: Some(Some("bad domain".into()))
            }
        ),
        Error::Validation {
            table: "companies",
            field: "domain",
            ..
        }
    );
    // A rejected update wrote nothing, not even the valid part.
    assert_eq!(companies.get(c.id)?, u);
    companies.soft_delete(c.id)?;
    assert_err!(
        companies.update(c.id, &CompanyUpdate::default()),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    Ok(())
}

pub fn soft_delete_and_restore(ctx: &Ctx) -> CaseResult {
    let companies = ctx.store.companies();
    let c = company(&*ctx.store, "Gone", Some("gone.test"))?;
    let t = ctx.clock.advance(Duration::seconds(1));
    companies.soft_delete(c.id)?;
    assert_err!(
        companies.get(c.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    assert_err!(
        companies.find_by_domain("gone.test"),
        Error::NotFound { .. }
    );
    assert_err!(
        companies.soft_delete(c.id),
        Error::NotFound {
            table: "companies",
            ..
        }
    );
    let deleted = &companies.list(Page::first(10), Deleted::Only)?[0];
    assert_eq!(
        (deleted.deleted_at, deleted.is_active, deleted.updated_at),
        (Some(t), false, t)
    );
    let t2 = ctx.clock.advance(Duration::seconds(1));
    let back = companies.restore(c.id)?;
    assert_eq!(
        (back.deleted_at, back.is_active, back.updated_at),
        (None, true, t2)
    );
    assert_eq!(companies.get(c.id)?, back);
    // Restoring a live company returns it unchanged.
    ctx.clock.advance(Duration::seconds(1));
    assert_eq!(companies.restore(c.id)?, back);
    Ok(())
}

/// A timestamp another program wrote is read as the time it names, whatever its accepted
/// form (here ISO 8601 with `T`, which the SQLite column's CHECK allows beside the store's own
/// form), and a text that names no time is an error naming the table, never some time.
/// Only a SQLite file written with its CHECKs off can hold such a text; PostgreSQL's
/// `timestamptz` refuses it at the write.
pub fn a_timestamp_written_elsewhere_is_read_as_its_time_or_refused(ctx: &Ctx) -> CaseResult {
    let c = company(&*ctx.store, "ACME", None)?;
    ctx.execute_raw(&format!(
        "UPDATE companies SET created_at = '2026-01-02T03:04:05.250+00:00' WHERE id = {}",
        c.id
    ))?;
    let read = ctx.store.companies().get(c.id)?;
    assert_eq!(
        read.created_at.to_rfc3339(),
        "2026-01-02T03:04:05.250+00:00"
    );
    let not_a_time = format!(
        "UPDATE companies SET created_at = '2026-01-02X03:04:05+00:00' WHERE id = {}",
        c.id
    );
    match ctx.backend {
        nerve::Backend::Sqlite => {
            ctx.execute_raw(&format!(
                "PRAGMA ignore_check_constraints = ON; {not_a_time}"
            ))?;
            match ctx.store.companies().get(c.id) {
                Err(e) => assert!(e.to_string().contains("companies"), "{e}"),
                Ok(read) => panic!("read as {} from a text naming no time", read.created_at),
            }
        }
        nerve::Backend::Postgres => assert!(ctx.execute_raw(&not_a_time).is_err()),
    }
    Ok(())
}
