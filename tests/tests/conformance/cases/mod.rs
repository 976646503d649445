//! The cases, one module per domain; each is `fn(&Ctx) -> CaseResult`.

pub mod admin;
pub mod api_keys;
pub mod attack_surface;
pub mod audit;
pub mod auth;
pub mod backups;
pub mod bait;
pub mod baseline;
pub mod companies;
pub mod compliance;
pub mod constraints;
pub mod events;
pub mod ghost;
pub mod lifecycle;
pub mod osint;
pub mod roadmap;
pub mod schema;
pub mod sessions;
pub mod transactions;
pub mod transfer;
pub mod uploads;
pub mod users;

use nerve::model::{
    Company, EventFilter, NewCompany, NewUser, Page, Role, SecurityEvent, SecurityEventType, User,
};
use nerve::Store;

/// A company named `name` with domain `domain`.
pub fn company(store: &dyn Store, name: &str, domain: Option<&str>) -> nerve::Result<Company> {
    store.companies().create(&NewCompany {
        name: name.into(),
        domain: domain.map(Into::into),
    })
}

/// The values of a user with `email`, a valid password and the analyst role.
pub fn new_user(email: &str) -> NewUser {
    NewUser {
        email: email.into(),
        password: "correct horse battery".into(),
        full_name: Some("Ada Lovelace".into()),
        role: Role::Analyst,
    }
}

/// A user with `email` in `company_id`.
pub fn user(store: &dyn Store, company_id: i64, email: &str) -> nerve::Result<User> {
    store.users().create(company_id, &new_user(email))
}

/// Every recorded security event of `event_type`, newest first.
pub fn events_of_type(
    store: &dyn Store,
    event_type: SecurityEventType,
) -> nerve::Result<Vec<SecurityEvent>> {
    Ok(store
        .security_events()
        .list(&EventFilter::default(), Page::first(1000))?
        .into_iter()
        .filter(|e| e.event_type == event_type)
        .collect())
}
