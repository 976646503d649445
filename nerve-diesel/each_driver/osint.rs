//! Implements [`OsintStore`](nerve_core::OsintStore) for [`Scope`],
//! against the OSINT tables (and their whole-row types) of `crate::schema`.

use super::accounts::{live_company, live_user_of_company};
use super::{Conn, Db, Scope};
use crate::schema::rows::{BreachesRow, DevicesRow, ProfilesRow, SocialMediaRow};
use crate::schema::{breaches, devices, profiles, social_media};
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{
    Breach, Deleted, Device, NewBreach, NewDevice, NewProfile, NewSocialAccount, Page, Profile,
    ProfileSearch, ProfileUpdate, SocialAccount,
};
use nerve_diesel::nerve_core::validate::{
    json_document, required_text, sanitize_input, validate_domain, validate_email,
    validate_ip_address,
};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const PROFILES: &str = "profiles";
const ACCOUNTS: &str = "social_media";
const BREACHES: &str = "breaches";
const DEVICES: &str = "devices";

fn optional<'a>(
    table: &'static str,
    name: &'static str,
    v: Option<&'a str>,
    max: usize,
) -> Result<Option<&'a str>> {
    v.map(|v| sanitize_input(Field::new(table, name), v, max))
        .transpose()
}

fn risk(score: i64) -> Result<i64> {
    if (0..=100).contains(&score) {
        Ok(score)
    } else {
        Err(Field::new(PROFILES, "risk_score").invalid(format!("{score} is not 0 to 100")))
    }
}

fn json_array(
    table: &'static str,
    name: &'static str,
    v: &nerve_diesel::serde_json::Value,
) -> Result<()> {
    if !v.is_array() {
        return Err(Field::new(table, name).invalid("must be a JSON array"));
    }
    json_document(Field::new(table, name), v)
}

/// `text` for `LIKE ... ESCAPE '\'`: its wildcards and the escape matched literally.
fn like_contains(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn is_unique_violation(e: &nerve_diesel::diesel::result::Error) -> bool {
    matches!(
        e,
        nerve_diesel::diesel::result::Error::DatabaseError(
            nerve_diesel::diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        )
    )
}

fn profile_not_found(company_id: i64, id: i64) -> Error {
    Error::not_found(PROFILES, format!("company_id={company_id}, id={id}"))
}

/// The live profile `id` of the live company `company_id`.
fn live_profile(conn: &mut Conn, company_id: i64, id: i64) -> Result<ProfilesRow> {
    live_company(conn, company_id)?;
    profiles::table
        .filter(profiles::id.eq(id))
        .filter(profiles::company_id.eq(company_id))
        .filter(profiles::deleted_at.is_null())
        .select(profiles::all_columns)
        .first::<ProfilesRow>(conn)
        .optional()
        .map_err(|e| Op::new(PROFILES, "select").error(e))?
        .ok_or_else(|| profile_not_found(company_id, id))
}

#[derive(AsChangeset)]
#[diesel(table_name = profiles)]
struct ProfileChanges<'a> {
    full_name: Option<&'a str>,
    name_folded: Option<String>,
    email: Option<Option<String>>,
    domain: Option<Option<String>>,
    job_title: Option<Option<&'a str>>,
    location: Option<Option<&'a str>>,
    notes: Option<Option<&'a str>>,
    risk_score: Option<i64>,
    metadata: Option<Option<&'a nerve_diesel::serde_json::Value>>,
    updated_at: WriteTs,
}

impl nerve_diesel::nerve_core::OsintStore for Scope<'_> {
    fn create_profile(&self, company_id: i64, new: &NewProfile) -> Result<Profile> {
        let name = required_text(
            Field::new(PROFILES, "full_name"),
            &new.full_name,
            limits::profiles::full_name,
        )?;
        let email = new
            .email
            .as_deref()
            .map(|e| validate_email(Field::new(PROFILES, "email"), e))
            .transpose()?;
        let domain = new
            .domain
            .as_deref()
            .map(|d| validate_domain(Field::new(PROFILES, "domain"), d))
            .transpose()?;
        let job_title = optional(
            PROFILES,
            "job_title",
            new.job_title.as_deref(),
            limits::profiles::job_title,
        )?;
        let location = optional(
            PROFILES,
            "location",
            new.location.as_deref(),
            limits::profiles::location,
        )?;
        let notes = optional(PROFILES, "notes", new.notes.as_deref(), 10_000)?;
        let risk_score = risk(new.risk_score)?;
        if let Some(m) = &new.metadata {
            json_document(Field::new(PROFILES, "metadata"), m)?;
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), PROFILES, |conn| {
            live_company(conn, company_id)?;
            if let Some(user_id) = new.user_id {
                live_user_of_company(conn, company_id, user_id)?;
            }
            nerve_diesel::diesel::insert_into(profiles::table)
                .values((
                    profiles::company_id.eq(company_id),
                    profiles::user_id.eq(new.user_id),
                    profiles::full_name.eq(name),
                    profiles::name_folded.eq(name.to_lowercase()),
                    profiles::email.eq(email.as_deref()),
                    profiles::domain.eq(domain.as_deref()),
                    profiles::job_title.eq(job_title),
                    profiles::location.eq(location),
                    profiles::notes.eq(notes),
                    profiles::risk_score.eq(risk_score),
                    profiles::metadata.eq(new.metadata.as_ref()),
                    profiles::created_at.eq(WriteTs(now)),
                    profiles::updated_at.eq(WriteTs(now)),
                    profiles::is_active.eq(true),
                ))
                .returning(profiles::all_columns)
                .get_result::<ProfilesRow>(conn)
                .map(Profile::from)
                .map_err(|e| Op::new(PROFILES, "insert").error(e))
        })
    }

    fn get_profile(&self, company_id: i64, id: i64) -> Result<Profile> {
        self.read(nerve_diesel::op_name!(), |conn| {
            live_profile(conn, company_id, id).map(Profile::from)
        })
    }

    fn update_profile(&self, company_id: i64, id: i64, changes: &ProfileUpdate) -> Result<Profile> {
        let name = changes
            .full_name
            .as_deref()
            .map(|n| {
                required_text(
                    Field::new(PROFILES, "full_name"),
                    n,
                    limits::profiles::full_name,
                )
            })
            .transpose()?;
        let email = changes
            .email
            .as_ref()
            .map(|e| {
                e.as_deref()
                    .map(|e| validate_email(Field::new(PROFILES, "email"), e))
                    .transpose()
            })
            .transpose()?;
        let domain = changes
            .domain
            .as_ref()
            .map(|d| {
                d.as_deref()
                    .map(|d| validate_domain(Field::new(PROFILES, "domain"), d))
                    .transpose()
            })
            .transpose()?;
        fn text<'a>(
            name: &'static str,
            v: &'a Option<Option<String>>,
            max: usize,
        ) -> Result<Option<Option<&'a str>>> {
            v.as_ref()
                .map(|v| optional(PROFILES, name, v.as_deref(), max))
                .transpose()
        }
        let job_title = text("job_title", &changes.job_title, limits::profiles::job_title)?;
        let location = text("location", &changes.location, limits::profiles::location)?;
        let notes = text("notes", &changes.notes, 10_000)?;
        let risk_score = changes.risk_score.map(risk).transpose()?;
        if let Some(Some(m)) = &changes.metadata {
            json_document(Field::new(PROFILES, "metadata"), m)?;
        }
        let set = ProfileChanges {
            full_name: name,
            name_folded: name.map(str::to_lowercase),
            email,
            domain,
            job_title,
            location,
            notes,
            risk_score,
            metadata: changes.metadata.as_ref().map(|m| m.as_ref()),
            updated_at: WriteTs(self.env().now()),
        };
        self.write(nerve_diesel::op_name!(), PROFILES, |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(
                    profiles::table
                        .filter(profiles::id.eq(id))
                        .filter(profiles::company_id.eq(company_id))
                        .filter(profiles::deleted_at.is_null()),
                )
                .set(&set)
                .returning(profiles::all_columns),
            )
            .get_result::<ProfilesRow>(conn)
            .optional()
            .map_err(|e| Op::new(PROFILES, "update").error(e))?
            .map(Profile::from)
            .ok_or_else(|| profile_not_found(company_id, id))
        })
    }

    fn delete_profile(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), PROFILES, |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::soft_delete_owned!(conn, profiles, company_id, id, now, PROFILES)
        })
    }

    fn restore_profile(&self, company_id: i64, id: i64) -> Result<Profile> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), PROFILES, |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::cached::update(
                profiles::table
                    .filter(profiles::id.eq(id))
                    .filter(profiles::company_id.eq(company_id))
                    .filter(profiles::deleted_at.is_not_null()),
            )
            .set(nerve_diesel::set_restored!(profiles, now))
            .execute(conn)
            .map_err(|e| Op::new(PROFILES, "restore").error(e))?;
            live_profile(conn, company_id, id).map(Profile::from)
        })
    }

    fn search_profiles(
        &self,
        company_id: i64,
        search: &ProfileSearch,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<Profile>> {
        let page = page.checked(PROFILES)?;
        let name = search
            .name
            .as_deref()
            .map(|n| {
                required_text(
                    Field::new(PROFILES, "full_name"),
                    n,
                    limits::profiles::full_name,
                )
                .map(|n| like_contains(&n.to_lowercase()))
            })
            .transpose()?;
        let email = search
            .email
            .as_deref()
            .map(|e| validate_email(Field::new(PROFILES, "email"), e))
            .transpose()?;
        let domain = search
            .domain
            .as_deref()
            .map(|d| validate_domain(Field::new(PROFILES, "domain"), d))
            .transpose()?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            let mut q = profiles::table
                .filter(profiles::company_id.eq(company_id))
                .filter(profiles::id.gt(page.after_id()))
                .order(profiles::id.asc())
                .limit(i64::from(page.limit))
                .select(profiles::all_columns)
                .into_boxed();
            if let Some(pattern) = &name {
                q = q.filter(profiles::name_folded.like(pattern).escape('\\'));
            }
            if let Some(email) = &email {
                q = q.filter(profiles::email.eq(email));
            }
            if let Some(domain) = &domain {
                q = q.filter(profiles::domain.eq(domain));
            }
            nerve_diesel::filter_deleted!(profiles, q, deleted)
                .load::<ProfilesRow>(conn)
                .map(|rows| rows.into_iter().map(Profile::from).collect())
                .map_err(|e| Op::new(PROFILES, "select").error(e))
        })
    }

    fn add_social_account(
        &self,
        company_id: i64,
        profile_id: i64,
        new: &NewSocialAccount,
    ) -> Result<SocialAccount> {
        let handle = required_text(
            Field::new(ACCOUNTS, "handle"),
            &new.handle,
            limits::social_media::handle,
        )?;
        let url = optional(
            ACCOUNTS,
            "url",
            new.url.as_deref(),
            limits::social_media::url,
        )?;
        if new.followers.is_some_and(|f| f < 0) {
            return Err(Field::new(ACCOUNTS, "followers").invalid("must not be negative"));
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), ACCOUNTS, |conn| {
            live_profile(conn, company_id, profile_id)?;
            nerve_diesel::diesel::insert_into(social_media::table)
                .values((
                    social_media::profile_id.eq(profile_id),
                    social_media::platform.eq(Db(new.platform)),
                    social_media::handle.eq(handle),
                    social_media::url.eq(url),
                    social_media::followers.eq(new.followers),
                    social_media::verified.eq(new.verified),
                    social_media::discovered_at.eq(WriteTs(now)),
                    social_media::created_at.eq(WriteTs(now)),
                    social_media::updated_at.eq(WriteTs(now)),
                    social_media::is_active.eq(true),
                ))
                .returning(social_media::all_columns)
                .get_result::<SocialMediaRow>(conn)
                .map(SocialAccount::from)
                .map_err(|e| Op::new(ACCOUNTS, "insert").error(e))
        })
    }

    fn list_social_accounts(
        &self,
        company_id: i64,
        profile_id: i64,
        page: Page,
    ) -> Result<Vec<SocialAccount>> {
        let page = page.checked(ACCOUNTS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_profile(conn, company_id, profile_id)?;
            nerve_diesel::live_children_page!(
                conn,
                social_media,
                SocialMediaRow,
                SocialAccount,
                profile_id = profile_id,
                page,
                ACCOUNTS
            )
        })
    }

    fn record_breach(
        &self,
        company_id: i64,
        profile_id: i64,
        new: &NewBreach,
    ) -> Result<(Breach, bool)> {
        let name = required_text(
            Field::new(BREACHES, "breach_name"),
            &new.breach_name,
            limits::breaches::breach_name,
        )?;
        json_array(BREACHES, "data_classes", &new.data_classes)?;
        let source = optional(
            BREACHES,
            "source",
            new.source.as_deref(),
            limits::breaches::source,
        )?;
        let description = optional(BREACHES, "description", new.description.as_deref(), 10_000)?;
        let now = self.env().now();
        let date = new
            .breach_date
            .map(|t| {
                nerve_diesel::nerve_core::validate::timestamp(
                    Field::new(BREACHES, "breach_date"),
                    t,
                )
            })
            .transpose()?;
        self.write(nerve_diesel::op_name!(), BREACHES, |conn| {
            live_profile(conn, company_id, profile_id)?;
            let existing = |conn: &mut Conn| {
                breaches::table
                    .filter(breaches::profile_id.eq(profile_id))
                    .filter(breaches::breach_name.eq(name))
                    .filter(breaches::deleted_at.is_null())
                    .select(breaches::all_columns)
                    .first::<BreachesRow>(conn)
                    .optional()
                    .map_err(|e| Op::new(BREACHES, "select").error(e))
            };
            if let Some(row) = existing(conn)? {
                return Ok((Breach::from(row), false));
            }
            // In a savepoint: a concurrent call may insert the same breach first
            // (PostgreSQL, read committed); then its row is the answer.
            let inserted = conn.transaction::<_, nerve_diesel::diesel::result::Error, _>(|c| {
                nerve_diesel::diesel::insert_into(breaches::table)
                    .values((
                        breaches::profile_id.eq(profile_id),
                        breaches::breach_name.eq(name),
                        breaches::breach_date.eq(date),
                        breaches::data_classes.eq(&new.data_classes),
                        breaches::source.eq(source),
                        breaches::severity.eq(Db(new.severity)),
                        breaches::description.eq(description),
                        breaches::created_at.eq(WriteTs(now)),
                        breaches::updated_at.eq(WriteTs(now)),
                        breaches::is_active.eq(true),
                    ))
                    .returning(breaches::all_columns)
                    .get_result::<BreachesRow>(c)
            });
            match inserted {
                Ok(row) => Ok((Breach::from(row), true)),
                Err(e) if is_unique_violation(&e) => existing(conn)?
                    .map(|row| (Breach::from(row), false))
                    .ok_or_else(|| Op::new(BREACHES, "insert").error(e)),
                Err(e) => Err(Op::new(BREACHES, "insert").error(e)),
            }
        })
    }

    fn list_breaches(&self, company_id: i64, profile_id: i64, page: Page) -> Result<Vec<Breach>> {
        let page = page.checked(BREACHES)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_profile(conn, company_id, profile_id)?;
            nerve_diesel::live_children_page!(
                conn,
                breaches,
                BreachesRow,
                Breach,
                profile_id = profile_id,
                page,
                BREACHES
            )
        })
    }

    fn upsert_device(&self, company_id: i64, new: &NewDevice) -> Result<(Device, bool)> {
        let ip = validate_ip_address(Field::new(DEVICES, "ip_address"), &new.ip_address)?;
        let hostname = optional(
            DEVICES,
            "hostname",
            new.hostname.as_deref(),
            limits::devices::hostname,
        )?;
        let device_type = optional(
            DEVICES,
            "device_type",
            new.device_type.as_deref(),
            limits::devices::device_type,
        )?;
        let os = optional(
            DEVICES,
            "operating_system",
            new.operating_system.as_deref(),
            limits::devices::operating_system,
        )?;
        json_array(DEVICES, "open_ports", &new.open_ports)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), DEVICES, |conn| {
            live_company(conn, company_id)?;
            if let Some(profile_id) = new.profile_id {
                live_profile(conn, company_id, profile_id)?;
            }
            let update = |conn: &mut Conn| {
                nerve_diesel::cached::CacheBySql(
                    nerve_diesel::diesel::update(
                        devices::table
                            .filter(devices::company_id.eq(company_id))
                            .filter(devices::ip_address.eq(&ip))
                            .filter(devices::deleted_at.is_null()),
                    )
                    .set((
                        devices::profile_id.eq(new.profile_id),
                        devices::hostname.eq(hostname),
                        devices::device_type.eq(device_type),
                        devices::operating_system.eq(os),
                        devices::open_ports.eq(&new.open_ports),
                        devices::last_seen_at.eq(WriteTs(now)),
                        devices::updated_at.eq(WriteTs(now)),
                    ))
                    .returning(devices::all_columns),
                )
                .get_result::<DevicesRow>(conn)
                .optional()
                .map_err(|e| Op::new(DEVICES, "update").error(e))
            };
            if let Some(row) = update(conn)? {
                return Ok((Device::from(row), false));
            }
            // In a savepoint: a concurrent call may insert the device first; then
            // this one updates it.
            let inserted = conn.transaction::<_, nerve_diesel::diesel::result::Error, _>(|c| {
                nerve_diesel::diesel::insert_into(devices::table)
                    .values((
                        devices::company_id.eq(company_id),
                        devices::profile_id.eq(new.profile_id),
                        devices::ip_address.eq(&ip),
                        devices::hostname.eq(hostname),
                        devices::device_type.eq(device_type),
                        devices::operating_system.eq(os),
                        devices::open_ports.eq(&new.open_ports),
                        devices::first_seen_at.eq(WriteTs(now)),
                        devices::last_seen_at.eq(WriteTs(now)),
                        devices::created_at.eq(WriteTs(now)),
                        devices::updated_at.eq(WriteTs(now)),
                        devices::is_active.eq(true),
                    ))
                    .returning(devices::all_columns)
                    .get_result::<DevicesRow>(c)
            });
            match inserted {
                Ok(row) => Ok((Device::from(row), true)),
                Err(e) if is_unique_violation(&e) => update(conn)?
                    .map(|row| (Device::from(row), false))
                    .ok_or_else(|| Op::new(DEVICES, "insert").error(e)),
                Err(e) => Err(Op::new(DEVICES, "insert").error(e)),
            }
        })
    }

    fn list_devices(&self, company_id: i64, page: Page, deleted: Deleted) -> Result<Vec<Device>> {
        let page = page.checked(DEVICES)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            let q = devices::table
                .filter(devices::company_id.eq(company_id))
                .filter(devices::id.gt(page.after_id()))
                .order(devices::id.asc())
                .limit(i64::from(page.limit))
                .select(devices::all_columns);
            nerve_diesel::load_by_deleted!(devices, q, deleted, DevicesRow, conn)
                .map(|rows| rows.into_iter().map(Device::from).collect())
                .map_err(|e| Op::new(DEVICES, "select").error(e))
        })
    }
}
