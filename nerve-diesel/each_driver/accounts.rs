//! Account security: the [`AuthStore`](nerve_core::AuthStore),
//! [`SessionStore`](nerve_core::SessionStore), [`AuditStore`](nerve_core::AuditStore),
//! [`SecurityEventStore`](nerve_core::SecurityEventStore) and
//! [`ApiKeyStore`](nerve_core::ApiKeyStore) implementations for [`Scope`], and the helpers the
//! other stores share (`live_company`, `live_user_of_company`, `revoke_sessions`,
//! `remember_password`, `recent_password_hashes`, security-event writing).

use super::{Conn, Db, Scope};
use crate::schema::rows::{AuditLogsRow, LoginAttemptsRow};
use crate::schema::{
    api_keys, audit_logs, companies, login_attempts, password_history, security_events, sessions,
    users,
};
use ::chrono::{DateTime, Duration, Utc};
use nerve_diesel::checks::accounts::{denied_if_locked, ip_of, key_prefix, text_of};
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::models::{scopes_of, ApiKeyView, SecurityEventView, SessionView};
use nerve_diesel::nerve_core::model::{
    ApiKey, AuditLog, EventFilter, IssuedApiKey, IssuedSession, LoginAttempt, LoginFailure,
    LoginRequest, NewApiKey, NewAuditLog, NewSecurityEvent, NewSession, Page, SecurityEvent,
    SecurityEventType, Session, Severity, User,
};
use nerve_diesel::nerve_core::secret::{
    hashes_match, random_hex, random_token, sha256_hex, Secret,
};
use nerve_diesel::nerve_core::validate::{json_document, required_text, validate_email};
use nerve_diesel::nerve_core::{Denial, Error, Field, Result, UserStore};
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

// ---------------------------------------------------------------- shared helpers

/// Revokes every unrevoked session of `user_id`; returns how many.
pub(crate) fn revoke_sessions(conn: &mut Conn, user_id: i64, now: DateTime<Utc>) -> Result<u64> {
    nerve_diesel::cached::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set((
        sessions::revoked_at.eq(WriteTs(now)),
        sessions::updated_at.eq(WriteTs(now)),
    ))
    .execute(conn)
    .map(|n| n as u64)
    .map_err(|e| Op::new("sessions", "revoke").error(e))
}

/// Records `hash` as the user's newest password.
pub(crate) fn remember_password(
    conn: &mut Conn,
    user_id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    nerve_diesel::diesel::insert_into(password_history::table)
        .values((
            password_history::user_id.eq(user_id),
            password_history::password_hash.eq(hash),
            password_history::created_at.eq(WriteTs(now)),
            password_history::updated_at.eq(WriteTs(now)),
            password_history::is_active.eq(true),
        ))
        .execute(conn)
        .map(drop)
        .map_err(|e| Op::new("password_history", "insert").error(e))
}

/// The hashes of the user's last `n` passwords, newest first: the current hash, then
/// the history (a user created before the history existed has only the current one).
pub(crate) fn recent_password_hashes(conn: &mut Conn, user_id: i64, n: u32) -> Result<Vec<String>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let current: Option<String> = users::table
        .filter(users::id.eq(user_id))
        .select(users::password_hash)
        .first(conn)
        .optional()
        .map_err(|e| Op::new("users", "select").error(e))?;
    let history: Vec<String> = password_history::table
        .filter(password_history::user_id.eq(user_id))
        .order(password_history::id.desc())
        .limit(i64::from(n))
        .select(password_history::password_hash)
        .load(conn)
        .map_err(|e| Op::new("password_history", "select").error(e))?;
    let mut hashes: Vec<String> = current.into_iter().collect();
    for h in history {
        if !hashes.contains(&h) {
            hashes.push(h);
        }
    }
    hashes.truncate(n as usize);
    Ok(hashes)
}

/// `Ok` when the company exists and is live; NotFound on `companies` otherwise.
pub(crate) fn live_company(conn: &mut Conn, company_id: i64) -> Result<()> {
    companies::table
        .filter(companies::id.eq(company_id))
        .filter(companies::deleted_at.is_null())
        .select(companies::id)
        .first::<i64>(conn)
        .optional()
        .map_err(|e| Op::new("companies", "select").error(e))?
        .map(|_| ())
        .ok_or_else(|| Error::not_found("companies", format!("id={company_id}")))
}

/// `Ok` when `user_id` is a live user of `company_id`; NotFound on `users` otherwise.
/// For a user named as the owner or author of something new.
pub(crate) fn live_user_of_company(conn: &mut Conn, company_id: i64, user_id: i64) -> Result<()> {
    users::table
        .filter(users::company_id.eq(company_id))
        .filter(users::id.eq(user_id))
        .filter(users::deleted_at.is_null())
        .select(users::id)
        .first::<i64>(conn)
        .optional()
        .map_err(|e| Op::new("users", "select").error(e))?
        .map(drop)
        .ok_or_else(|| Error::not_found("users", format!("company_id={company_id}, id={user_id}")))
}

/// `Ok` when `user_id` is a user of `company_id`, live or soft-deleted; NotFound on
/// `users` otherwise.
pub(crate) fn user_of_company(conn: &mut Conn, company_id: i64, user_id: i64) -> Result<()> {
    users::table
        .filter(users::company_id.eq(company_id))
        .filter(users::id.eq(user_id))
        .select(users::id)
        .first::<i64>(conn)
        .optional()
        .map_err(|e| Op::new("users", "select").error(e))?
        .map(drop)
        .ok_or_else(|| Error::not_found("users", format!("company_id={company_id}, id={user_id}")))
}

/// A user's lock: `(locked_at, locked_until)`.
type Lock = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// The lock of the live user `user_id` of the live company `company_id`, or NotFound on
/// `users`.
fn live_user_lock(conn: &mut Conn, company_id: i64, user_id: i64) -> Result<Lock> {
    live_company(conn, company_id)?;
    users::table
        .filter(users::company_id.eq(company_id))
        .filter(users::id.eq(user_id))
        .filter(users::deleted_at.is_null())
        .select((users::locked_at, users::locked_until))
        .first(conn)
        .optional()
        .map_err(|e| Op::new("users", "select").error(e))?
        .ok_or_else(|| Error::not_found("users", format!("company_id={company_id}, id={user_id}")))
}

// ---------------------------------------------------------------- security events

// The columns [`SecurityEventView`] reads, in its fields' order.
nerve_diesel::columns!(SECURITY_EVENT: SecurityEventColumns = security_events(
    id,
    company_id,
    event_type,
    severity,
    user_id,
    email,
    ip_address,
    user_agent,
    location,
    description,
    metadata_json,
    acknowledged,
    acknowledged_by,
    acknowledged_at,
    created_at,
));

const EVENTS: &str = "security_events";

/// Checks an event's values; returns the normalized address.
pub(crate) fn check_event(e: &NewSecurityEvent) -> Result<Option<String>> {
    required_text(Field::new(EVENTS, "description"), &e.description, 2000)?;
    text_of(
        Field::new(EVENTS, "email"),
        e.email.as_deref(),
        limits::security_events::email,
    )?;
    text_of(
        Field::new(EVENTS, "user_agent"),
        e.user_agent.as_deref(),
        1000,
    )?;
    text_of(
        Field::new(EVENTS, "location"),
        e.location.as_deref(),
        limits::security_events::location,
    )?;
    if let Some(metadata) = &e.metadata {
        json_document(Field::new(EVENTS, "metadata_json"), metadata)?;
    }
    ip_of(Field::new(EVENTS, "ip_address"), e.ip_address.as_deref())
}

/// Inserts a checked event (`ip` is its normalized address).
pub(crate) fn insert_event(
    conn: &mut Conn,
    e: &NewSecurityEvent,
    ip: Option<&str>,
    now: DateTime<Utc>,
) -> Result<SecurityEvent> {
    nerve_diesel::diesel::insert_into(security_events::table)
        .values((
            security_events::company_id.eq(e.company_id),
            security_events::event_type.eq(Db(e.event_type)),
            security_events::severity.eq(Db(e.severity)),
            security_events::user_id.eq(e.user_id),
            security_events::email.eq(e.email.as_deref()),
            security_events::ip_address.eq(ip),
            security_events::user_agent.eq(e.user_agent.as_deref()),
            security_events::location.eq(e.location.as_deref()),
            security_events::description.eq(&e.description),
            security_events::metadata_json.eq(e.metadata.as_ref()),
            security_events::acknowledged.eq(false),
            security_events::created_at.eq(WriteTs(now)),
            security_events::updated_at.eq(WriteTs(now)),
            security_events::is_active.eq(true),
        ))
        .returning(SECURITY_EVENT)
        .get_result::<SecurityEventView>(conn)
        .map(SecurityEvent::from)
        .map_err(|e| Op::new(EVENTS, "insert").error(e))
}

impl nerve_diesel::nerve_core::SecurityEventStore for Scope<'_> {
    fn record(&self, event: &NewSecurityEvent) -> Result<SecurityEvent> {
        let ip = check_event(event)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), EVENTS, |conn| {
            if let Some(company_id) = event.company_id {
                live_company(conn, company_id)?;
            }
            let mut event = event.clone();
            if let Some(user_id) = event.user_id {
                let mut q = users::table.filter(users::id.eq(user_id)).into_boxed();
                if let Some(company_id) = event.company_id {
                    q = q.filter(users::company_id.eq(company_id));
                }
                let company_id = q
                    .select(users::company_id)
                    .first::<i64>(conn)
                    .optional()
                    .map_err(|e| Op::new("users", "select").error(e))?
                    .ok_or_else(|| Error::not_found("users", format!("id={user_id}")))?;
                // An event about a user belongs to the user's company.
                event.company_id = Some(company_id);
            }
            insert_event(conn, &event, ip.as_deref(), now)
        })
    }

    fn list(&self, filter: &EventFilter, page: Page) -> Result<Vec<SecurityEvent>> {
        let page = page.checked(EVENTS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            let mut q = security_events::table
                .filter(security_events::id.lt(page.before_id()))
                .filter(security_events::deleted_at.is_null())
                .order(security_events::id.desc())
                .limit(i64::from(page.limit))
                .select(SECURITY_EVENT)
                .into_boxed();
            if let Some(company_id) = filter.company_id {
                q = q.filter(security_events::company_id.eq(company_id));
            }
            if !filter.severities.is_empty() {
                let set: Vec<Db<Severity>> = filter.severities.iter().copied().map(Db).collect();
                q = q.filter(security_events::severity.eq_any(set));
            }
            // Bounds at the stored precision, so both backends compare alike.
            if let Some(from) = filter.from {
                q = q.filter(
                    security_events::created_at
                        .ge(nerve_diesel::nerve_core::clock::truncate_micros(from)),
                );
            }
            if let Some(until) = filter.until {
                q = q.filter(
                    security_events::created_at
                        .lt(nerve_diesel::nerve_core::clock::truncate_micros(until)),
                );
            }
            if let Some(ack) = filter.acknowledged {
                q = q.filter(security_events::acknowledged.eq(ack));
            }
            q.load::<SecurityEventView>(conn)
                .map(|rows| rows.into_iter().map(SecurityEvent::from).collect())
                .map_err(|e| Op::new(EVENTS, "select").error(e))
        })
    }

    fn acknowledge(&self, event_id: i64, user_id: i64) -> Result<SecurityEvent> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), EVENTS, |conn| {
            let event_company: Option<i64> = security_events::table
                .filter(security_events::id.eq(event_id))
                .filter(security_events::deleted_at.is_null())
                .select(security_events::company_id)
                .first(conn)
                .optional()
                .map_err(|e| Op::new(EVENTS, "select").error(e))?
                .ok_or_else(|| Error::not_found(EVENTS, format!("id={event_id}")))?;
            // The acknowledging user must be live, and of the event's company when
            // it has one: another tenant's event is not found.
            let user_company: i64 = users::table
                .filter(users::id.eq(user_id))
                .filter(users::deleted_at.is_null())
                .select(users::company_id)
                .first(conn)
                .optional()
                .map_err(|e| Op::new("users", "select").error(e))?
                .ok_or_else(|| Error::not_found("users", format!("id={user_id}")))?;
            if event_company.is_some_and(|c| c != user_company) {
                return Err(Error::not_found(EVENTS, format!("id={event_id}")));
            }
            nerve_diesel::cached::update(
                security_events::table
                    .filter(security_events::id.eq(event_id))
                    .filter(security_events::acknowledged.eq(false)),
            )
            .set((
                security_events::acknowledged.eq(true),
                security_events::acknowledged_by.eq(Some(user_id)),
                security_events::acknowledged_at.eq(WriteTs(now)),
                security_events::updated_at.eq(WriteTs(now)),
            ))
            .execute(conn)
            .map_err(|e| Op::new(EVENTS, "acknowledge").error(e))?;
            security_events::table
                .find(event_id)
                .select(SECURITY_EVENT)
                .first::<SecurityEventView>(conn)
                .map(SecurityEvent::from)
                .map_err(|e| Op::new(EVENTS, "select").error(e))
        })
    }
}

// ---------------------------------------------------------------- logins

const ATTEMPTS: &str = "login_attempts";

/// What is recorded for the address a login gave: the normalized address, or for an
/// invalid one (often a password typed into the wrong field) a hash of it, never the
/// text itself. `login` records the same (it validates the address once for both uses).
fn recorded_address(given: &str) -> String {
    validate_email(Field::new(ATTEMPTS, "email"), given).unwrap_or_else(|_| hidden_address(given))
}

/// What is recorded in place of an invalid address: a hash of it.
fn hidden_address(given: &str) -> String {
    format!("invalid:{}", &sha256_hex(given)[..16])
}

/// The account a login names: id, company, hash.
type Account = (i64, i64, String);

/// An account's state inside the login's transaction: lock, failure-count start, hash.
type AccountState = (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    String,
);

impl nerve_diesel::nerve_core::AuthStore for Scope<'_> {
    fn login(&self, request: &LoginRequest) -> Result<User> {
        self.outside_transaction("login")?;
        let env = self.env();
        let ip = ip_of(
            Field::new(ATTEMPTS, "ip_address"),
            request.ip_address.as_deref(),
        )?;
        let agent = text_of(
            Field::new(ATTEMPTS, "user_agent"),
            request.user_agent.as_deref(),
            limits::login_attempts::user_agent,
        )?;
        // Validated once: the address looked up, and the one recorded.
        let email = validate_email(Field::new(ATTEMPTS, "email"), &request.email).ok();
        let recorded = email
            .clone()
            .unwrap_or_else(|| hidden_address(&request.email));
        let account: Option<Account> = match &email {
            None => None,
            Some(email) => self.read(nerve_diesel::op_name!(), |conn| {
                users::table
                    .inner_join(companies::table)
                    .filter(users::email.eq(email))
                    .filter(users::deleted_at.is_null())
                    .filter(companies::deleted_at.is_null())
                    .select((users::id, users::company_id, users::password_hash))
                    .first(conn)
                    .optional()
                    .map_err(|e| Op::new("users", "select").error(e))
            })?,
        };
        // Exactly one argon2 verification whatever the address, outside any
        // transaction (it is the slow part): the time tells nothing.
        let password_ok = match &account {
            Some((.., hash)) => env.passwords.verify("users", hash, &request.password)?,
            None => {
                env.verify_nothing(&request.password);
                false
            }
        };
        let rehash = match &account {
            Some((.., hash)) if password_ok && env.passwords.needs_rehash(hash) => env
                .passwords
                .hash(Field::new("users", "password"), &request.password)
                .ok(),
            _ => None,
        };
        let policy = env.lockout;
        let now = env.now();
        let (outcome, lock) = self.write(nerve_diesel::op_name!(), ATTEMPTS, |conn| {
            // Take the account's row lock (PostgreSQL; SQLite's write transaction
            // already excludes other writers) and read its state again: a lock, a
            // failure or a password change committed since the read above wins.
            let state: Option<AccountState> = match &account {
                None => None,
                Some((user_id, ..)) => {
                    nerve_diesel::cached::update(users::table.find(*user_id))
                        .set(users::updated_at.eq(users::updated_at))
                        .execute(conn)
                        .map_err(|e| Op::new("users", "lock row").error(e))?;
                    users::table
                        .find(*user_id)
                        .filter(users::deleted_at.is_null())
                        .select((
                            users::locked_at,
                            users::locked_until,
                            users::failures_reset_at,
                            users::password_hash,
                        ))
                        .first(conn)
                        .optional()
                        .map_err(|e| Op::new("users", "select").error(e))?
                }
            };
            let outcome: std::result::Result<(), LoginFailure> = match (&account, &state) {
                (Some(_), Some((locked_at, until, ..)))
                    if locked_at.is_some() && until.is_none_or(|t| t > now) =>
                {
                    Err(LoginFailure::Locked)
                }
                (Some((.., verified)), Some((.., current))) if password_ok && verified == current => Ok(()),
                (Some(_), Some(_)) => Err(LoginFailure::BadPassword),
                _ => Err(LoginFailure::UnknownAccount),
            };
            nerve_diesel::diesel::insert_into(login_attempts::table)
                .values((
                    login_attempts::email.eq(&recorded),
                    login_attempts::user_id.eq(account.as_ref().map(|a| a.0)),
                    login_attempts::ip_address.eq(ip.as_deref()),
                    login_attempts::user_agent.eq(agent),
                    login_attempts::success.eq(outcome.is_ok()),
                    login_attempts::failure.eq(outcome.err().map(Db)),
                    login_attempts::attempted_at.eq(WriteTs(now)),
                ))
                .execute(conn)
                .map_err(|e| Op::new(ATTEMPTS, "insert").error(e))?;
            // The lock to report: the one in force, or the one this failure sets.
            let mut lock = match outcome {
                Err(LoginFailure::Locked) => state.as_ref().and_then(|s| s.1),
                _ => None,
            };
            match (&outcome, &account, &state) {
                (Ok(()), Some((user_id, _, old_hash)), _) => {
                    nerve_diesel::cached::update(users::table.find(*user_id))
                        .set((
                            users::last_login_at.eq(WriteTs(now)),
                            users::failures_reset_at.eq(WriteTs(now)),
                            users::locked_at.eq(None::<DateTime<Utc>>),
                            users::locked_until.eq(None::<DateTime<Utc>>),
                            users::updated_at.eq(WriteTs(now)),
                        ))
                        .execute(conn)
                        .map_err(|e| Op::new("users", "update").error(e))?;
                    if let Some(new_hash) = &rehash {
                        // Same password, new parameters: the current hash and its
                        // history row both become the new hash.
                        nerve_diesel::cached::update(
                            users::table
                                .find(*user_id)
                                .filter(users::password_hash.eq(old_hash)),
                        )
                        .set(users::password_hash.eq(new_hash))
                        .execute(conn)
                        .map_err(|e| Op::new("users", "rehash").error(e))?;
                        nerve_diesel::cached::update(
                            password_history::table
                                .filter(password_history::user_id.eq(*user_id))
                                .filter(password_history::password_hash.eq(old_hash)),
                        )
                        .set((
                            password_history::password_hash.eq(new_hash),
                            password_history::updated_at.eq(WriteTs(now)),
                        ))
                        .execute(conn)
                        .map_err(|e| Op::new("password_history", "rehash").error(e))?;
                    }
                }
                (Err(LoginFailure::BadPassword), Some((user_id, company_id, _)), Some((_, _, reset, _))) => {
                    let since = reset.map_or(now - policy.window, |r| r.max(now - policy.window));
                    let failures: i64 = login_attempts::table
                        .filter(login_attempts::user_id.eq(*user_id))
                        .filter(nerve_diesel::diesel::dsl::not(login_attempts::success))
                        .filter(login_attempts::failure.eq(Db(LoginFailure::BadPassword)))
                        .filter(login_attempts::attempted_at.gt(WriteTs(since)))
                        .count()
                        .get_result(conn)
                        .map_err(|e| Op::new(ATTEMPTS, "count").error(e))?;
                    if failures >= i64::from(policy.max_failures) {
                        let until = now + policy.lock_for;
                        nerve_diesel::cached::update(users::table.find(*user_id))
                            .set((
                                users::locked_at.eq(WriteTs(now)),
                                users::locked_until.eq(Some(until)),
                                // The failures that locked it are spent.
                                users::failures_reset_at.eq(WriteTs(now)),
                                users::updated_at.eq(WriteTs(now)),
                            ))
                            .execute(conn)
                            .map_err(|e| Op::new("users", "lock").error(e))?;
                        revoke_sessions(conn, *user_id, now)?;
                        let mut event = NewSecurityEvent::new(
                            SecurityEventType::BruteForce,
                            Severity::High,
                            format!(
                                "{failures} failed logins within {} minutes; the account is locked until {until}",
                                policy.window.num_minutes()
                            ),
                        );
                        event.company_id = Some(*company_id);
                        event.user_id = Some(*user_id);
                        event.email = Some(recorded.clone());
                        event.user_agent = agent.map(str::to_owned);
                        event.metadata = Some(nerve_diesel::serde_json::json!({
                            "failures": failures,
                            "window_minutes": policy.window.num_minutes(),
                            "locked_until": until.to_rfc3339(),
                        }));
                        insert_event(conn, &event, ip.as_deref(), now)?;
                        lock = Some(until);
                    }
                }
                _ => {}
            }
            if let (Err(_), Some(ip)) = (&outcome, &ip) {
                let from_ip: i64 = login_attempts::table
                    .filter(login_attempts::ip_address.eq(ip))
                    .filter(nerve_diesel::diesel::dsl::not(login_attempts::success))
                    .filter(login_attempts::attempted_at.gt(now - policy.window))
                    .count()
                    .get_result(conn)
                    .map_err(|e| Op::new(ATTEMPTS, "count").error(e))?;
                if from_ip >= i64::from(policy.max_failures_per_ip) {
                    // One event per address and window, however many failures follow.
                    let raised: i64 = security_events::table
                        .filter(security_events::event_type.eq(Db(SecurityEventType::CredentialStuffing)))
                        .filter(security_events::ip_address.eq(ip))
                        .filter(security_events::created_at.gt(now - policy.window))
                        .count()
                        .get_result(conn)
                        .map_err(|e| Op::new(EVENTS, "count").error(e))?;
                    if raised == 0 {
                        let mut event = NewSecurityEvent::new(
                            SecurityEventType::CredentialStuffing,
                            Severity::High,
                            format!(
                                "{from_ip} failed logins from {ip} within {} minutes",
                                policy.window.num_minutes()
                            ),
                        );
                        event.metadata = Some(nerve_diesel::serde_json::json!({ "failures": from_ip }));
                        insert_event(conn, &event, Some(ip.as_str()), now)?;
                    }
                }
            }
            Ok((outcome, lock))
        })?;
        match (outcome, account) {
            (Ok(()), Some((user_id, company_id, _))) => UserStore::get(self, company_id, user_id),
            (Err(LoginFailure::Locked), _) => Err(Error::Denied {
                reason: Denial::Locked { until: lock },
            }),
            (Err(LoginFailure::BadPassword), _) if lock.is_some() => Err(Error::Denied {
                reason: Denial::Locked { until: lock },
            }),
            _ => Err(Error::Denied {
                reason: Denial::BadCredentials,
            }),
        }
    }

    fn attempts(&self, email: &str, page: Page) -> Result<Vec<LoginAttempt>> {
        let page = page.checked(ATTEMPTS)?;
        let email = recorded_address(email);
        self.read(nerve_diesel::op_name!(), |conn| {
            login_attempts::table
                .filter(login_attempts::email.eq(&email))
                .filter(login_attempts::id.lt(page.before_id()))
                .order(login_attempts::id.desc())
                .limit(i64::from(page.limit))
                .select(login_attempts::all_columns)
                .load::<LoginAttemptsRow>(conn)
                .map(|rows| rows.into_iter().map(LoginAttempt::from).collect())
                .map_err(|e| Op::new(ATTEMPTS, "select").error(e))
        })
    }
}

// ---------------------------------------------------------------- sessions

const SESSIONS: &str = "sessions";

// The columns [`SessionView`] reads, in its fields' order.
nerve_diesel::columns!(SESSION: SessionColumns = sessions(
    id,
    user_id,
    company_id,
    token_hash,
    ip_address,
    user_agent,
    created_at,
    last_seen_at,
    expires_at,
    revoked_at,
));

impl nerve_diesel::nerve_core::SessionStore for Scope<'_> {
    fn create(&self, company_id: i64, user_id: i64, new: &NewSession) -> Result<IssuedSession> {
        if new.ttl < Duration::seconds(1) || new.ttl > Duration::days(366) {
            return Err(Field::new(SESSIONS, "ttl").invalid("must be 1 second to 366 days"));
        }
        let ip = ip_of(
            Field::new(SESSIONS, "ip_address"),
            new.ip_address.as_deref(),
        )?;
        let agent = text_of(
            Field::new(SESSIONS, "user_agent"),
            new.user_agent.as_deref(),
            limits::sessions::user_agent,
        )?;
        let token = random_token(32);
        let hash = sha256_hex(&token);
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), SESSIONS, |conn| {
            denied_if_locked(live_user_lock(conn, company_id, user_id)?, now)?;
            nerve_diesel::diesel::insert_into(sessions::table)
                .values((
                    sessions::company_id.eq(company_id),
                    sessions::user_id.eq(user_id),
                    sessions::token_hash.eq(&hash),
                    sessions::ip_address.eq(ip.as_deref()),
                    sessions::user_agent.eq(agent),
                    sessions::created_at.eq(WriteTs(now)),
                    sessions::last_seen_at.eq(WriteTs(now)),
                    sessions::expires_at.eq(now + new.ttl),
                    sessions::updated_at.eq(WriteTs(now)),
                    sessions::is_active.eq(true),
                ))
                .returning(SESSION)
                .get_result::<SessionView>(conn)
                .map_err(|e| Op::new(SESSIONS, "insert").error(e))
        })
        .map(|row| IssuedSession {
            session: row.into(),
            token: Secret::new(token),
        })
    }

    fn validate(&self, token: &str) -> Result<Session> {
        let hash = sha256_hex(token);
        let now = self.env().now();
        let outcome: std::result::Result<Session, Denial> =
            self.write(nerve_diesel::op_name!(), SESSIONS, |conn| {
                let found = sessions::table
                    .inner_join(users::table)
                    .inner_join(companies::table.on(companies::id.eq(sessions::company_id)))
                    .filter(sessions::token_hash.eq(&hash))
                    .select((
                        SESSION,
                        users::deleted_at,
                        users::locked_at,
                        users::locked_until,
                        companies::deleted_at,
                    ))
                    .first::<(
                        SessionView,
                        Option<DateTime<Utc>>,
                        Option<DateTime<Utc>>,
                        Option<DateTime<Utc>>,
                        Option<DateTime<Utc>>,
                    )>(conn)
                    .optional()
                    .map_err(|e| Op::new(SESSIONS, "select").error(e))?;
                let Some((row, user_deleted, locked_at, locked_until, company_deleted)) = found
                else {
                    return Ok(Err(Denial::UnknownToken));
                };
                if !hashes_match(&row.token_hash, &hash) {
                    return Ok(Err(Denial::UnknownToken));
                }
                if row.revoked_at.is_some() || user_deleted.is_some() || company_deleted.is_some() {
                    return Ok(Err(Denial::Revoked));
                }
                if row.expires_at <= now {
                    return Ok(Err(Denial::Expired));
                }
                if let Err(Error::Denied { reason }) =
                    denied_if_locked((locked_at, locked_until), now)
                {
                    return Ok(Err(reason));
                }
                /// The one form of this statement (a fixed SET list).
                struct SeenNow;
                nerve_diesel::cached::CacheByKey::<SeenNow, _>::new(
                    nerve_diesel::diesel::update(sessions::table.find(row.id))
                        .set((
                            sessions::last_seen_at.eq(WriteTs(now)),
                            sessions::updated_at.eq(WriteTs(now)),
                        ))
                        .returning(SESSION),
                )
                .get_result::<SessionView>(conn)
                .map(|row| Ok(Session::from(row)))
                .map_err(|e| Op::new(SESSIONS, "update").error(e))
            })?;
        outcome.map_err(|reason| Error::Denied { reason })
    }

    fn list_active(&self, company_id: i64, user_id: i64) -> Result<Vec<Session>> {
        let now = self.env().now();
        self.read(nerve_diesel::op_name!(), |conn| {
            sessions::table
                .filter(sessions::company_id.eq(company_id))
                .filter(sessions::user_id.eq(user_id))
                .filter(sessions::revoked_at.is_null())
                .filter(sessions::expires_at.gt(WriteTs(now)))
                .order(sessions::id.desc())
                .select(SESSION)
                .load::<SessionView>(conn)
                .map(|rows| rows.into_iter().map(Session::from).collect())
                .map_err(|e| Op::new(SESSIONS, "select").error(e))
        })
    }

    fn revoke(&self, company_id: i64, session_id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), SESSIONS, |conn| {
            let exists: Option<i64> = sessions::table
                .filter(sessions::company_id.eq(company_id))
                .filter(sessions::id.eq(session_id))
                .select(sessions::id)
                .first(conn)
                .optional()
                .map_err(|e| Op::new(SESSIONS, "select").error(e))?;
            exists.ok_or_else(|| {
                Error::not_found(
                    SESSIONS,
                    format!("company_id={company_id}, id={session_id}"),
                )
            })?;
            nerve_diesel::cached::update(
                sessions::table
                    .filter(sessions::id.eq(session_id))
                    .filter(sessions::revoked_at.is_null()),
            )
            .set((
                sessions::revoked_at.eq(WriteTs(now)),
                sessions::updated_at.eq(WriteTs(now)),
            ))
            .execute(conn)
            .map(drop)
            .map_err(|e| Op::new(SESSIONS, "revoke").error(e))
        })
    }

    fn revoke_all(&self, company_id: i64, user_id: i64) -> Result<u64> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), SESSIONS, |conn| {
            user_of_company(conn, company_id, user_id)?;
            revoke_sessions(conn, user_id, now)
        })
    }
}

// ---------------------------------------------------------------- audit log

const AUDIT: &str = "audit_logs";

impl Scope<'_> {
    fn audit_page(
        &self,
        company_id: i64,
        user_id: Option<i64>,
        page: Page,
    ) -> Result<Vec<AuditLog>> {
        let page = page.checked(AUDIT)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            let mut q = audit_logs::table
                .filter(audit_logs::company_id.eq(company_id))
                .filter(audit_logs::id.lt(page.before_id()))
                .order(audit_logs::id.desc())
                .limit(i64::from(page.limit))
                .select(audit_logs::all_columns)
                .into_boxed();
            if let Some(user_id) = user_id {
                q = q.filter(audit_logs::user_id.eq(user_id));
            }
            q.load::<AuditLogsRow>(conn)
                .map(|rows| rows.into_iter().map(AuditLog::from).collect())
                .map_err(|e| Op::new(AUDIT, "select").error(e))
        })
    }
}

impl nerve_diesel::nerve_core::AuditStore for Scope<'_> {
    fn record(&self, company_id: i64, entry: &NewAuditLog) -> Result<AuditLog> {
        let action = required_text(
            Field::new(AUDIT, "action"),
            &entry.action,
            limits::audit_logs::action,
        )?;
        let entity_type = text_of(
            Field::new(AUDIT, "entity_type"),
            entry.entity_type.as_deref(),
            limits::audit_logs::entity_type,
        )?;
        let ip = ip_of(Field::new(AUDIT, "ip_address"), entry.ip_address.as_deref())?;
        if let Some(details) = &entry.details {
            json_document(Field::new(AUDIT, "details"), details)?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), AUDIT, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = entry.user_id {
                user_of_company(conn, company_id, user_id)?;
            }
            nerve_diesel::diesel::insert_into(audit_logs::table)
                .values((
                    audit_logs::company_id.eq(company_id),
                    audit_logs::user_id.eq(entry.user_id),
                    audit_logs::action.eq(action),
                    audit_logs::entity_type.eq(entity_type),
                    audit_logs::entity_id.eq(entry.entity_id),
                    audit_logs::details.eq(entry.details.as_ref()),
                    audit_logs::ip_address.eq(ip.as_deref()),
                    audit_logs::created_at.eq(WriteTs(now)),
                ))
                .returning(audit_logs::all_columns)
                .get_result::<AuditLogsRow>(conn)
                .map(AuditLog::from)
                .map_err(|e| Op::new(AUDIT, "insert").error(e))
        })
    }

    fn list_for_company(&self, company_id: i64, page: Page) -> Result<Vec<AuditLog>> {
        self.audit_page(company_id, None, page)
    }

    fn list_for_user(&self, company_id: i64, user_id: i64, page: Page) -> Result<Vec<AuditLog>> {
        self.audit_page(company_id, Some(user_id), page)
    }
}

// ---------------------------------------------------------------- API keys

const KEYS: &str = "api_keys";

// The columns [`ApiKeyView`] reads, in its fields' order.
nerve_diesel::columns!(API_KEY: ApiKeyColumns = api_keys(
    id,
    company_id,
    user_id,
    key_hash,
    key_prefix,
    name,
    permissions,
    last_used_at,
    last_used_ip,
    usage_count,
    created_at,
    expires_at,
    revoked_at,
));

/// Checks scopes: 1 to 64 characters of `a-z 0-9 _ : . -`; returns them sorted,
/// without duplicates.
fn checked_scopes(scopes: &[String]) -> Result<Vec<String>> {
    let field = Field::new(KEYS, "permissions");
    if scopes.is_empty() {
        return Err(field.invalid("a key needs at least one scope"));
    }
    let mut out = Vec::with_capacity(scopes.len());
    for s in scopes {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars()
                .all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_' | ':' | '.' | '-'));
        if !ok {
            return Err(field.invalid(format!(
                "scope {s:?} must be 1 to 64 characters of a-z 0-9 _ : . -"
            )));
        }
        out.push(s.clone());
    }
    out.sort();
    out.dedup();
    Ok(out)
}

impl nerve_diesel::nerve_core::ApiKeyStore for Scope<'_> {
    fn create(&self, company_id: i64, user_id: i64, new: &NewApiKey) -> Result<IssuedApiKey> {
        let name = required_text(Field::new(KEYS, "name"), &new.name, limits::api_keys::name)?;
        let scopes = checked_scopes(&new.scopes)?;
        let now = self.env().now();
        if new.expires_at.is_some_and(|t| t <= now) {
            return Err(Field::new(KEYS, "expires_at").invalid("must be in the future"));
        }
        let expires_at = new
            .expires_at
            .map(nerve_diesel::nerve_core::clock::truncate_micros);
        let prefix = random_hex(8);
        let key = format!("nrv_{prefix}_{}", random_token(32));
        let hash = sha256_hex(&key);
        let permissions = nerve_diesel::serde_json::Value::from(scopes);
        self.write(nerve_diesel::op_name!(), KEYS, |conn| {
            denied_if_locked(live_user_lock(conn, company_id, user_id)?, now)?;
            nerve_diesel::diesel::insert_into(api_keys::table)
                .values((
                    api_keys::company_id.eq(company_id),
                    api_keys::user_id.eq(user_id),
                    api_keys::key_hash.eq(&hash),
                    api_keys::key_prefix.eq(&prefix),
                    api_keys::name.eq(name),
                    api_keys::permissions.eq(&permissions),
                    api_keys::usage_count.eq(0_i64),
                    api_keys::created_at.eq(WriteTs(now)),
                    api_keys::expires_at.eq(expires_at),
                    api_keys::updated_at.eq(WriteTs(now)),
                    api_keys::is_active.eq(true),
                ))
                .returning(API_KEY)
                .get_result::<ApiKeyView>(conn)
                .map_err(|e| Op::new(KEYS, "insert").error(e))
        })
        .map(|row| IssuedApiKey {
            api_key: row.into(),
            key: Secret::new(key),
        })
    }

    fn verify(&self, key: &str, scope: &str, ip: Option<&str>) -> Result<ApiKey> {
        self.outside_transaction("API key verification")?;
        let ip = ip_of(Field::new(KEYS, "last_used_ip"), ip)?;
        let Some(prefix) = key_prefix(key) else {
            return Err(Error::Denied {
                reason: Denial::UnknownToken,
            });
        };
        let hash = sha256_hex(key);
        let now = self.env().now();
        let outcome: std::result::Result<ApiKey, Denial> =
            self.write(nerve_diesel::op_name!(), KEYS, |conn| {
                let candidates = api_keys::table
                    .inner_join(users::table)
                    .inner_join(companies::table.on(companies::id.eq(api_keys::company_id)))
                    .filter(api_keys::key_prefix.eq(prefix))
                    .select((
                        API_KEY,
                        users::deleted_at,
                        companies::deleted_at,
                        users::locked_at,
                        users::locked_until,
                    ))
                    .load::<(
                        ApiKeyView,
                        Option<DateTime<Utc>>,
                        Option<DateTime<Utc>>,
                        Option<DateTime<Utc>>,
                        Option<DateTime<Utc>>,
                    )>(conn)
                    .map_err(|e| Op::new(KEYS, "select").error(e))?;
                // Compare every candidate's hash in constant time; keep the match.
                let mut matched = None;
                for candidate in candidates {
                    if hashes_match(&candidate.0.key_hash, &hash) {
                        matched = Some(candidate);
                    }
                }
                let Some((row, user_deleted, company_deleted, locked_at, locked_until)) = matched
                else {
                    return Ok(Err(Denial::UnknownToken));
                };
                let denial = if row.revoked_at.is_some()
                    || user_deleted.is_some()
                    || company_deleted.is_some()
                {
                    Some(Denial::Revoked)
                } else if let Err(Error::Denied { reason }) =
                    denied_if_locked((locked_at, locked_until), now)
                {
                    Some(reason)
                } else if row.expires_at.is_some_and(|t| t <= now) {
                    Some(Denial::Expired)
                } else if !scopes_of(&row.permissions).iter().any(|s| s == scope) {
                    Some(Denial::MissingScope {
                        scope: scope.to_string(),
                    })
                } else {
                    None
                };
                if let Some(denial) = denial {
                    let mut event = NewSecurityEvent::new(
                        SecurityEventType::ApiKeyRejected,
                        Severity::Medium,
                        format!(
                            "API key {} ({}) refused: {denial}",
                            row.key_prefix, row.name
                        ),
                    );
                    event.company_id = Some(row.company_id);
                    event.user_id = Some(row.user_id);
                    event.metadata = Some(nerve_diesel::serde_json::json!({
                        "api_key_id": row.id,
                        "scope": scope,
                    }));
                    insert_event(conn, &event, ip.as_deref(), now)?;
                    return Ok(Err(denial));
                }
                /// The one form of this statement (a fixed SET list; `last_used_ip` is bound
                /// as a nullable value, never left out).
                struct UsedNow;
                nerve_diesel::cached::CacheByKey::<UsedNow, _>::new(
                    nerve_diesel::diesel::update(api_keys::table.find(row.id))
                        .set((
                            api_keys::usage_count.eq(api_keys::usage_count + 1_i64),
                            api_keys::last_used_at.eq(WriteTs(now)),
                            api_keys::last_used_ip.eq(ip.as_deref()),
                            api_keys::updated_at.eq(WriteTs(now)),
                        ))
                        .returning(API_KEY),
                )
                .get_result::<ApiKeyView>(conn)
                .map(|row| Ok(ApiKey::from(row)))
                .map_err(|e| Op::new(KEYS, "update").error(e))
            })?;
        outcome.map_err(|reason| Error::Denied { reason })
    }

    fn list(&self, company_id: i64, user_id: i64) -> Result<Vec<ApiKey>> {
        self.read(nerve_diesel::op_name!(), |conn| {
            api_keys::table
                .filter(api_keys::company_id.eq(company_id))
                .filter(api_keys::user_id.eq(user_id))
                .order(api_keys::id.asc())
                .select(API_KEY)
                .load::<ApiKeyView>(conn)
                .map(|rows| rows.into_iter().map(ApiKey::from).collect())
                .map_err(|e| Op::new(KEYS, "select").error(e))
        })
    }

    fn revoke(&self, company_id: i64, key_id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), KEYS, |conn| {
            api_keys::table
                .filter(api_keys::company_id.eq(company_id))
                .filter(api_keys::id.eq(key_id))
                .select(api_keys::id)
                .first::<i64>(conn)
                .optional()
                .map_err(|e| Op::new(KEYS, "select").error(e))?
                .ok_or_else(|| {
                    Error::not_found(KEYS, format!("company_id={company_id}, id={key_id}"))
                })?;
            nerve_diesel::cached::update(
                api_keys::table
                    .filter(api_keys::id.eq(key_id))
                    .filter(api_keys::revoked_at.is_null()),
            )
            .set((
                api_keys::revoked_at.eq(WriteTs(now)),
                api_keys::is_active.eq(false),
                api_keys::updated_at.eq(WriteTs(now)),
            ))
            .execute(conn)
            .map(drop)
            .map_err(|e| Op::new(KEYS, "revoke").error(e))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each view is selected by its columns in its fields' order (`Queryable` reads a row by
    /// position, so a column out of place would fill the wrong field).
    #[test]
    fn views_select_their_columns_in_field_order() {
        use super::super::selected_columns as select;
        assert_eq!(
            select(&security_events::table.select(SECURITY_EVENT)),
            SecurityEventView::COLUMNS
        );
        assert_eq!(
            select(&sessions::table.select(SESSION)),
            SessionView::COLUMNS
        );
        assert_eq!(
            select(&api_keys::table.select(API_KEY)),
            ApiKeyView::COLUMNS
        );
    }
}
