//! Implements [`RoadmapStore`](nerve_core::RoadmapStore) for [`Scope`]
//! against the `roadmap_*` tables (and their whole-row types) of `crate::schema`.
//!
//! Every change to a profile's tasks recomputes its score in the same transaction
//! (`rescore`), with the one rule of [`security_score`](nerve_core::model::security_score).

use super::accounts::{live_company, live_user_of_company};
use super::{Conn, Db, Scope};
use crate::driver::ThisDriver;
use crate::schema::rows::{
    RoadmapAchievementsRow, RoadmapProfilesRow, RoadmapProgressHistoryRow,
    RoadmapTaskLibraryMetaRow, RoadmapTasksRow, RoadmapUserTasksRow,
};
use crate::schema::{
    roadmap_achievements as ach, roadmap_profiles as p, roadmap_progress_history as ph,
    roadmap_task_library_meta as meta, roadmap_tasks as lib, roadmap_user_tasks as ut,
};
use ::chrono::{DateTime, Utc};
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{
    library_checksum, security_score, Achievement, Award, LibraryLoad, LibraryTask, LibraryVersion,
    NewAchievement, NewRoadmapProfile, NewUserTask, Page, ProgressSnapshot, RoadmapProfile,
    StoredLibraryTask, TaskSource, TaskStatus, UserTask, UNLISTED_TASK_POINTS,
};
use nerve_diesel::nerve_core::validate::{
    in_range, json_document, optional_text, required_text, timestamp, validate_domain,
};
use nerve_diesel::nerve_core::{Constraint, Error, Field, Result};
use nerve_diesel::Driver as _;
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const PROFILES: &str = "roadmap_profiles";
const LIBRARY: &str = "roadmap_tasks";
const VERSIONS: &str = "roadmap_task_library_meta";
const TASKS: &str = "roadmap_user_tasks";
const ACHIEVEMENTS: &str = "roadmap_achievements";
const HISTORY: &str = "roadmap_progress_history";
/// Longest free text (notes, descriptions).
const NOTES_MAX: usize = 10_000;

/// A status move: the new status and the time column it sets.
#[derive(AsChangeset)]
#[diesel(table_name = ut)]
struct StatusChange {
    status: Db<TaskStatus>,
    started_at: Option<Option<DateTime<Utc>>>,
    completed_at: Option<Option<DateTime<Utc>>>,
    verified_at: Option<Option<DateTime<Utc>>>,
    updated_at: WriteTs,
}

fn not_found(table: &'static str, company_id: i64, id: i64) -> Error {
    Error::not_found(table, format!("company_id={company_id}, id={id}"))
}

fn not_negative(field: Field, n: i64) -> Result<i64> {
    in_range(field, n, 0, i64::MAX)
}

/// The live profile `id` of the live company.
fn profile_row(conn: &mut Conn, company_id: i64, id: i64) -> Result<RoadmapProfilesRow> {
    live_company(conn, company_id)?;
    p::table
        .filter(p::id.eq(id))
        .filter(p::company_id.eq(company_id))
        .filter(p::deleted_at.is_null())
        .select(crate::schema::roadmap_profiles::all_columns)
        .first::<RoadmapProfilesRow>(conn)
        .optional()
        .map_err(|e| Op::new(PROFILES, "select").error(e))?
        .ok_or_else(|| not_found(PROFILES, company_id, id))
}

/// The live task `id` of a live profile of the live company.
fn task_row(conn: &mut Conn, company_id: i64, id: i64) -> Result<RoadmapUserTasksRow> {
    live_company(conn, company_id)?;
    ut::table
        .inner_join(p::table)
        .filter(ut::id.eq(id))
        .filter(ut::deleted_at.is_null())
        .filter(p::company_id.eq(company_id))
        .filter(p::deleted_at.is_null())
        .select(crate::schema::roadmap_user_tasks::all_columns)
        .first::<RoadmapUserTasksRow>(conn)
        .optional()
        .map_err(|e| Op::new(TASKS, "select").error(e))?
        .ok_or_else(|| not_found(TASKS, company_id, id))
}

/// The live library task with key `task_id`, if any.
fn library_task(conn: &mut Conn, task_id: &str) -> Result<Option<RoadmapTasksRow>> {
    lib::table
        .filter(lib::task_id.eq(task_id))
        .filter(lib::deleted_at.is_null())
        .select(crate::schema::roadmap_tasks::all_columns)
        .first::<RoadmapTasksRow>(conn)
        .optional()
        .map_err(|e| Op::new(LIBRARY, "select").error(e))
}

/// The profile's live tasks as (status, weight) for the score rule.
fn weighed_tasks(conn: &mut Conn, profile_id: i64) -> Result<Vec<(TaskStatus, i64)>> {
    let rows: Vec<(Db<TaskStatus>, Option<i64>)> = ut::table
        .left_join(lib::table.on(lib::task_id.eq(ut::task_id).and(lib::deleted_at.is_null())))
        .filter(ut::profile_id.eq(profile_id))
        .filter(ut::deleted_at.is_null())
        .select((ut::status, lib::points.nullable()))
        .load(conn)
        .map_err(|e| Op::new(TASKS, "select").error(e))?;
    Ok(rows
        .into_iter()
        .map(|(s, points)| (s.0, points.unwrap_or(UNLISTED_TASK_POINTS)))
        .collect())
}

/// Takes the profile's row lock without changing it. Every change to a profile's
/// tasks holds it until it has rescored, so on PostgreSQL no transaction computes a
/// score (or judges a status move) without a concurrent change; SQLite's write
/// transactions are serialized already.
fn lock_profile(conn: &mut Conn, id: i64) -> Result<()> {
    nerve_diesel::cached::update(p::table.filter(p::id.eq(id)))
        .set(p::updated_at.eq(p::updated_at))
        .execute(conn)
        .map(drop)
        .map_err(|e| Op::new(PROFILES, "lock").error(e))
}

/// Sets the profile's score to the rule's value over its live tasks.
fn rescore(conn: &mut Conn, profile_id: i64, now: DateTime<Utc>) -> Result<()> {
    lock_profile(conn, profile_id)?;
    let score = security_score(weighed_tasks(conn, profile_id)?);
    nerve_diesel::cached::update(p::table.filter(p::id.eq(profile_id)))
        .set((
            p::current_security_score.eq(Some(score)),
            p::last_recalculated.eq(WriteTs(now)),
            p::updated_at.eq(WriteTs(now)),
        ))
        .execute(conn)
        .map(drop)
        .map_err(|e| Op::new(PROFILES, "update").error(e))
}

/// Checks one library task; errors name the task by its key (or place).
fn check_library_task(i: usize, t: &LibraryTask) -> Result<()> {
    let named = |e: Error| match e {
        Error::Validation {
            table,
            field,
            reason,
        } => Error::Validation {
            table,
            field,
            reason: format!("task {} ('{}'): {reason}", i + 1, t.task_id.escape_debug()),
        },
        other => other,
    };
    let f = |name| Field::new(LIBRARY, name);
    required_text(f("task_id"), &t.task_id, limits::roadmap_tasks::task_id).map_err(named)?;
    required_text(f("title"), &t.title, limits::roadmap_tasks::title).map_err(named)?;
    optional_text(f("description"), t.description.as_deref(), NOTES_MAX).map_err(named)?;
    optional_text(
        f("category"),
        t.category.as_deref(),
        limits::roadmap_tasks::category,
    )
    .map_err(named)?;
    in_range(f("phase"), t.phase, 1, i64::MAX).map_err(named)?;
    not_negative(f("points"), t.points).map_err(named)?;
    optional_text(
        f("estimated_effort"),
        t.estimated_effort.as_deref(),
        limits::roadmap_tasks::estimated_effort,
    )
    .map_err(named)?;
    if let Some(doc) = &t.applies_to {
        json_document(f("applies_to"), doc).map_err(named)?;
    }
    Ok(())
}

impl nerve_diesel::nerve_core::RoadmapStore for Scope<'_> {
    fn create_profile(&self, company_id: i64, new: &NewRoadmapProfile) -> Result<RoadmapProfile> {
        let f = |name| Field::new(PROFILES, name);
        let name = required_text(
            f("company_name"),
            &new.company_name,
            limits::roadmap_profiles::company_name,
        )?;
        let size = optional_text(
            f("company_size"),
            new.company_size.as_deref(),
            limits::roadmap_profiles::company_size,
        )?;
        let industry = optional_text(
            f("industry"),
            new.industry.as_deref(),
            limits::roadmap_profiles::industry,
        )?;
        let employees = new
            .employee_count
            .map(|n| not_negative(f("employee_count"), n))
            .transpose()?;
        let target = in_range(
            f("target_security_score"),
            new.target_security_score.unwrap_or(75),
            0,
            100,
        )?;
        for (field, doc) in [
            ("current_measures", &new.current_measures),
            ("compliance_requirements", &new.compliance_requirements),
            ("assessment_responses", &new.assessment_responses),
        ] {
            if let Some(doc) = doc {
                json_document(f(field), doc)?;
            }
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), PROFILES, |conn| {
            live_company(conn, company_id)?;
            if let Some(user) = new.user_id {
                live_user_of_company(conn, company_id, user)?;
            }
            nerve_diesel::diesel::insert_into(p::table)
                .values((
                    p::user_id.eq(new.user_id),
                    p::company_id.eq(Some(company_id)),
                    p::company_name.eq(name),
                    p::company_size.eq(size),
                    p::industry.eq(industry),
                    p::employee_count.eq(employees),
                    p::current_security_score.eq(Some(0_i64)),
                    p::target_security_score.eq(Some(target)),
                    p::handles_pii.eq(Some(new.handles_pii)),
                    p::handles_payment_data.eq(Some(new.handles_payment_data)),
                    p::handles_health_data.eq(Some(new.handles_health_data)),
                    p::handles_financial_data.eq(Some(new.handles_financial_data)),
                    p::current_measures.eq(new.current_measures.as_ref()),
                    p::compliance_requirements.eq(new.compliance_requirements.as_ref()),
                    p::assessment_responses.eq(new.assessment_responses.as_ref()),
                    p::created_at.eq(WriteTs(now)),
                    p::updated_at.eq(WriteTs(now)),
                    p::is_active.eq(true),
                ))
                .returning(crate::schema::roadmap_profiles::all_columns)
                .get_result::<RoadmapProfilesRow>(conn)
                .map(RoadmapProfile::from)
                .map_err(|e| Op::new(PROFILES, "insert").error(e))
        })
    }

    fn get_profile(&self, company_id: i64, id: i64) -> Result<RoadmapProfile> {
        self.read(nerve_diesel::op_name!(), |conn| {
            profile_row(conn, company_id, id).map(RoadmapProfile::from)
        })
    }

    fn list_profiles(&self, company_id: i64, page: Page) -> Result<Vec<RoadmapProfile>> {
        let page = page.checked(PROFILES)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::live_children_page!(
                conn,
                p,
                RoadmapProfilesRow,
                RoadmapProfile,
                company_id = company_id,
                page,
                PROFILES
            )
        })
    }

    fn delete_profile(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), PROFILES, |conn| {
            profile_row(conn, company_id, id)?;
            nerve_diesel::cached::update(p::table.filter(p::id.eq(id)))
                .set(nerve_diesel::set_deleted!(p, now))
                .execute(conn)
                .map(drop)
                .map_err(|e| Op::new(PROFILES, "delete").error(e))
        })
    }

    fn load_task_library(
        &self,
        version: &str,
        tasks: &[LibraryTask],
        notes: Option<&str>,
    ) -> Result<LibraryLoad> {
        let version = required_text(
            Field::new(VERSIONS, "version"),
            version,
            limits::roadmap_task_library_meta::version,
        )?;
        let notes = optional_text(Field::new(VERSIONS, "notes"), notes, NOTES_MAX)?;
        let mut keys = ::std::collections::HashSet::new();
        for (i, t) in tasks.iter().enumerate() {
            check_library_task(i, t)?;
            if !keys.insert(t.task_id.as_str()) {
                return Err(Field::new(LIBRARY, "task_id").invalid(format!(
                    "task {} ('{}') appears twice in the library",
                    i + 1,
                    t.task_id
                )));
            }
        }
        let checksum = library_checksum(tasks);
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), LIBRARY, |conn| {
            // One library load at a time: a concurrent load of the same version
            // then finds it recorded, and two versions never interleave.
            ThisDriver::lock_writers(conn, LIBRARY)
                .map_err(|e| Op::new(LIBRARY, "lock").error(e))?;
            let loaded: Option<RoadmapTaskLibraryMetaRow> = meta::table
                .filter(meta::version.eq(version))
                .select(crate::schema::roadmap_task_library_meta::all_columns)
                .first::<RoadmapTaskLibraryMetaRow>(conn)
                .optional()
                .map_err(|e| Op::new(VERSIONS, "select").error(e))?;
            if let Some(before) = loaded {
                if before.checksum.as_deref() == Some(checksum.as_str()) {
                    return Ok(LibraryLoad {
                        version: LibraryVersion::from(before),
                        added: 0,
                        updated: 0,
                        retired: 0,
                        loaded: false,
                    });
                }
                return Err(Error::Conflict {
                    table: VERSIONS,
                    field: "version",
                    constraint: Constraint::Unique,
                    name: None,
                    reason: format!(
                        "version {version} was loaded on {} with other tasks (checksum {})",
                        before.loaded_at,
                        before.checksum.as_deref().unwrap_or("-")
                    ),
                });
            }
            let live: Vec<RoadmapTasksRow> = lib::table
                .filter(lib::deleted_at.is_null())
                .select(crate::schema::roadmap_tasks::all_columns)
                .load::<RoadmapTasksRow>(conn)
                .map_err(|e| Op::new(LIBRARY, "select").error(e))?;
            let mut live: ::std::collections::HashMap<String, StoredLibraryTask> = live
                .into_iter()
                .map(|r| (r.task_id.clone(), StoredLibraryTask::from(r)))
                .collect();
            let (mut added, mut updated) = (0_u64, 0_u64);
            for t in tasks {
                let values = (
                    lib::library_version.eq(version),
                    lib::title.eq(&t.title),
                    lib::description.eq(t.description.as_deref()),
                    lib::category.eq(t.category.as_deref()),
                    lib::phase.eq(t.phase),
                    lib::priority.eq(Db(t.priority)),
                    lib::points.eq(t.points),
                    lib::estimated_effort.eq(t.estimated_effort.as_deref()),
                    lib::applies_to.eq(t.applies_to.as_ref()),
                    lib::updated_at.eq(WriteTs(now)),
                );
                match live.remove(&t.task_id) {
                    Some(stored) => {
                        if stored.task != *t {
                            updated += 1;
                        }
                        nerve_diesel::cached::update(lib::table.filter(lib::id.eq(stored.id)))
                            .set(values)
                            .execute(conn)
                            .map_err(|e| Op::new(LIBRARY, "update").error(e))?;
                    }
                    None => {
                        nerve_diesel::diesel::insert_into(lib::table)
                            .values((
                                lib::task_id.eq(&t.task_id),
                                values,
                                lib::created_at.eq(WriteTs(now)),
                                lib::is_active.eq(true),
                            ))
                            .execute(conn)
                            .map_err(|e| Op::new(LIBRARY, "insert").error(e))?;
                        added += 1;
                    }
                }
            }
            // What is left was live and is not in this version.
            let gone: Vec<i64> = live.values().map(|t| t.id).collect();
            let retired = nerve_diesel::cached::update(lib::table.filter(lib::id.eq_any(&gone)))
                .set(nerve_diesel::set_deleted!(lib, now))
                .execute(conn)
                .map_err(|e| Op::new(LIBRARY, "delete").error(e))? as u64;
            let recorded = nerve_diesel::diesel::insert_into(meta::table)
                .values((
                    meta::version.eq(version),
                    meta::task_count.eq(tasks.len() as i64),
                    meta::checksum.eq(Some(&checksum)),
                    meta::notes.eq(notes),
                    meta::loaded_at.eq(WriteTs(now)),
                    meta::created_at.eq(WriteTs(now)),
                    meta::updated_at.eq(WriteTs(now)),
                    meta::is_active.eq(true),
                ))
                .returning(crate::schema::roadmap_task_library_meta::all_columns)
                .get_result::<RoadmapTaskLibraryMetaRow>(conn)
                .map_err(|e| Op::new(VERSIONS, "insert").error(e))?;
            // Weights may have changed: every live profile's score follows.
            let profiles: Vec<i64> = p::table
                .filter(p::deleted_at.is_null())
                .order(p::id.asc())
                .select(p::id)
                .load(conn)
                .map_err(|e| Op::new(PROFILES, "select").error(e))?;
            for id in profiles {
                rescore(conn, id, now)?;
            }
            Ok(LibraryLoad {
                version: LibraryVersion::from(recorded),
                added,
                updated,
                retired,
                loaded: true,
            })
        })
    }

    fn library_tasks(&self, page: Page) -> Result<Vec<StoredLibraryTask>> {
        let page = page.checked(LIBRARY)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            lib::table
                .filter(lib::deleted_at.is_null())
                .filter(lib::id.gt(page.after_id()))
                .order(lib::id.asc())
                .limit(i64::from(page.limit))
                .select(crate::schema::roadmap_tasks::all_columns)
                .load::<RoadmapTasksRow>(conn)
                .map(|rows| rows.into_iter().map(StoredLibraryTask::from).collect())
                .map_err(|e| Op::new(LIBRARY, "select").error(e))
        })
    }

    fn library_versions(&self) -> Result<Vec<LibraryVersion>> {
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            meta::table
                .order(meta::id.asc())
                .select(crate::schema::roadmap_task_library_meta::all_columns)
                .load::<RoadmapTaskLibraryMetaRow>(conn)
                .map(|rows| rows.into_iter().map(LibraryVersion::from).collect())
                .map_err(|e| Op::new(VERSIONS, "select").error(e))
        })
    }

    fn add_task(&self, company_id: i64, profile_id: i64, new: &NewUserTask) -> Result<UserTask> {
        let f = |name| Field::new(TASKS, name);
        let key = required_text(
            f("task_id"),
            &new.task_id,
            limits::roadmap_user_tasks::task_id,
        )?;
        let phase = new
            .phase
            .map(|n| in_range(f("phase"), n, 1, i64::MAX))
            .transpose()?;
        let finding_type = optional_text(
            f("finding_type"),
            new.finding_type.as_deref(),
            limits::roadmap_user_tasks::finding_type,
        )?;
        let domain = new
            .scan_domain
            .as_deref()
            .map(|d| validate_domain(f("scan_domain"), d))
            .transpose()?;
        let scan_date = new
            .scan_date
            .map(|t| timestamp(f("scan_date"), t))
            .transpose()?;
        let actor = optional_text(
            f("matched_threat_actor"),
            new.matched_threat_actor.as_deref(),
            limits::roadmap_user_tasks::matched_threat_actor,
        )?;
        let notes = optional_text(f("user_notes"), new.user_notes.as_deref(), NOTES_MAX)?;
        for (field, doc) in [
            ("source_details", &new.source_details),
            ("threat_actor_ttp", &new.threat_actor_ttp),
        ] {
            if let Some(doc) = doc {
                json_document(f(field), doc)?;
            }
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TASKS, |conn| {
            profile_row(conn, company_id, profile_id)?;
            lock_profile(conn, profile_id)?;
            if let Some(user) = new.assigned_to_user_id {
                live_user_of_company(conn, company_id, user)?;
            }
            let listed = library_task(conn, key)?;
            if new.source == Some(TaskSource::Library) && listed.is_none() {
                return Err(Error::not_found(LIBRARY, format!("task_id={key}")));
            }
            let phase = phase.or(listed.map(|t| t.phase)).unwrap_or(1);
            let task = nerve_diesel::diesel::insert_into(ut::table)
                .values((
                    ut::profile_id.eq(profile_id),
                    ut::task_id.eq(key),
                    ut::status.eq(Db(TaskStatus::NotStarted)),
                    ut::phase.eq(Some(phase)),
                    ut::priority_order.eq(new.priority_order),
                    ut::source.eq(new.source.map(Db)),
                    ut::source_reference_id.eq(new.source_reference_id),
                    ut::source_details.eq(new.source_details.as_ref()),
                    ut::finding_type.eq(finding_type),
                    ut::finding_severity.eq(new.finding_severity.map(Db)),
                    ut::scan_domain.eq(domain.as_deref()),
                    ut::scan_date.eq(scan_date),
                    ut::matched_threat_actor.eq(actor),
                    ut::threat_actor_ttp.eq(new.threat_actor_ttp.as_ref()),
                    ut::assigned_to_user_id.eq(new.assigned_to_user_id),
                    ut::user_notes.eq(notes),
                    ut::created_at.eq(WriteTs(now)),
                    ut::updated_at.eq(WriteTs(now)),
                    ut::is_active.eq(true),
                ))
                .returning(crate::schema::roadmap_user_tasks::all_columns)
                .get_result::<RoadmapUserTasksRow>(conn)
                .map(UserTask::from)
                .map_err(|e| Op::new(TASKS, "insert").error(e))?;
            rescore(conn, profile_id, now)?;
            Ok(task)
        })
    }

    fn get_task(&self, company_id: i64, id: i64) -> Result<UserTask> {
        self.read(nerve_diesel::op_name!(), |conn| {
            task_row(conn, company_id, id).map(UserTask::from)
        })
    }

    fn list_tasks(
        &self,
        company_id: i64,
        profile_id: i64,
        status: Option<TaskStatus>,
        page: Page,
    ) -> Result<Vec<UserTask>> {
        let page = page.checked(TASKS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            profile_row(conn, company_id, profile_id)?;
            nerve_diesel::live_children_page!(
                conn,
                ut,
                RoadmapUserTasksRow,
                UserTask,
                profile_id = profile_id,
                page,
                TASKS,
                |q| match status {
                    Some(status) => q.filter(ut::status.eq(Db(status))),
                    None => q,
                }
            )
        })
    }

    fn set_task_status(&self, company_id: i64, id: i64, status: TaskStatus) -> Result<UserTask> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TASKS, |conn| {
            let profile_id = task_row(conn, company_id, id)?.profile_id;
            lock_profile(conn, profile_id)?;
            let row = task_row(conn, company_id, id)?;
            let current = row.status;
            if current == status {
                return Ok(UserTask::from(row));
            }
            if current.next() != Some(status) {
                let allowed = match current.next() {
                    Some(next) => format!("only {current} -> {next} is allowed"),
                    None => format!("{current} is the last status"),
                };
                return Err(Field::new(TASKS, "status").invalid(format!(
                    "task {id} cannot move from {current} to {status}: {allowed}"
                )));
            }
            let at = |s: TaskStatus| (status == s).then_some(Some(now));
            let change = StatusChange {
                status: Db(status),
                started_at: at(TaskStatus::InProgress),
                completed_at: at(TaskStatus::Completed),
                verified_at: at(TaskStatus::Verified),
                updated_at: WriteTs(now),
            };
            let task = nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(ut::table.filter(ut::id.eq(id)))
                    .set(&change)
                    .returning(crate::schema::roadmap_user_tasks::all_columns),
            )
            .get_result::<RoadmapUserTasksRow>(conn)
            .map(UserTask::from)
            .map_err(|e| Op::new(TASKS, "update").error(e))?;
            rescore(conn, row.profile_id, now)?;
            Ok(task)
        })
    }

    fn remove_task(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), TASKS, |conn| {
            let profile_id = task_row(conn, company_id, id)?.profile_id;
            lock_profile(conn, profile_id)?;
            let row = task_row(conn, company_id, id)?;
            nerve_diesel::cached::update(ut::table.filter(ut::id.eq(id)))
                .set(nerve_diesel::set_deleted!(ut, now))
                .execute(conn)
                .map_err(|e| Op::new(TASKS, "delete").error(e))?;
            rescore(conn, row.profile_id, now)
        })
    }

    fn award_achievement(
        &self,
        company_id: i64,
        profile_id: i64,
        new: &NewAchievement,
    ) -> Result<Award> {
        let f = |name| Field::new(ACHIEVEMENTS, name);
        let key = required_text(
            f("achievement_key"),
            &new.achievement_key,
            limits::roadmap_achievements::achievement_key,
        )?;
        let name = required_text(f("name"), &new.name, limits::roadmap_achievements::name)?;
        let description = optional_text(f("description"), new.description.as_deref(), 2000)?;
        let points = not_negative(f("points"), new.points)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), ACHIEVEMENTS, |conn| {
            profile_row(conn, company_id, profile_id)?;
            if let Some(user) = new.user_id {
                live_user_of_company(conn, company_id, user)?;
            }
            // ON CONFLICT DO NOTHING: a concurrent award of the same key waits for
            // the first and then inserts nothing, on both backends.
            let inserted = nerve_diesel::diesel::insert_into(ach::table)
                .values((
                    ach::profile_id.eq(profile_id),
                    ach::user_id.eq(new.user_id),
                    ach::achievement_key.eq(key),
                    ach::name.eq(name),
                    ach::description.eq(description),
                    ach::points.eq(points),
                    ach::awarded_at.eq(WriteTs(now)),
                    ach::created_at.eq(WriteTs(now)),
                    ach::updated_at.eq(WriteTs(now)),
                    ach::is_active.eq(true),
                ))
                .on_conflict((ach::profile_id, ach::achievement_key))
                .do_nothing()
                .execute(conn)
                .map_err(|e| Op::new(ACHIEVEMENTS, "insert").error(e))?;
            let achievement = ach::table
                .filter(ach::profile_id.eq(profile_id))
                .filter(ach::achievement_key.eq(key))
                .select(crate::schema::roadmap_achievements::all_columns)
                .first::<RoadmapAchievementsRow>(conn)
                .map(Achievement::from)
                .map_err(|e| Op::new(ACHIEVEMENTS, "select").error(e))?;
            Ok(Award {
                achievement,
                newly_awarded: inserted == 1,
            })
        })
    }

    fn list_achievements(
        &self,
        company_id: i64,
        profile_id: i64,
        page: Page,
    ) -> Result<Vec<Achievement>> {
        let page = page.checked(ACHIEVEMENTS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            profile_row(conn, company_id, profile_id)?;
            nerve_diesel::live_children_page!(
                conn,
                ach,
                RoadmapAchievementsRow,
                Achievement,
                profile_id = profile_id,
                page,
                ACHIEVEMENTS
            )
        })
    }

    fn record_progress(&self, company_id: i64, profile_id: i64) -> Result<ProgressSnapshot> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), HISTORY, |conn| {
            profile_row(conn, company_id, profile_id)?;
            let tasks = weighed_tasks(conn, profile_id)?;
            let count = |s: TaskStatus| tasks.iter().filter(|(t, _)| *t == s).count() as i64;
            nerve_diesel::diesel::insert_into(ph::table)
                .values((
                    ph::profile_id.eq(profile_id),
                    ph::security_score.eq(security_score(tasks.iter().copied())),
                    ph::tasks_total.eq(tasks.len() as i64),
                    ph::tasks_not_started.eq(count(TaskStatus::NotStarted)),
                    ph::tasks_in_progress.eq(count(TaskStatus::InProgress)),
                    ph::tasks_completed.eq(count(TaskStatus::Completed)),
                    ph::tasks_verified.eq(count(TaskStatus::Verified)),
                    ph::recorded_at.eq(WriteTs(now)),
                    ph::created_at.eq(WriteTs(now)),
                    ph::updated_at.eq(WriteTs(now)),
                    ph::is_active.eq(true),
                ))
                .returning(crate::schema::roadmap_progress_history::all_columns)
                .get_result::<RoadmapProgressHistoryRow>(conn)
                .map(ProgressSnapshot::from)
                .map_err(|e| Op::new(HISTORY, "insert").error(e))
        })
    }

    fn progress_history(
        &self,
        company_id: i64,
        profile_id: i64,
        since: Option<DateTime<Utc>>,
        page: Page,
    ) -> Result<Vec<ProgressSnapshot>> {
        let page = page.checked(HISTORY)?;
        let since = since
            .map(|t| timestamp(Field::new(HISTORY, "recorded_at"), t))
            .transpose()?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            profile_row(conn, company_id, profile_id)?;
            let mut q = ph::table
                .filter(ph::profile_id.eq(profile_id))
                .filter(ph::deleted_at.is_null())
                .order((ph::recorded_at.asc(), ph::id.asc()))
                .limit(i64::from(page.limit))
                .select(crate::schema::roadmap_progress_history::all_columns)
                .into_boxed();
            if let Some(since) = since {
                q = q.filter(ph::recorded_at.ge(WriteTs(since)));
            }
            if let Some(after) = page.after {
                // Keyset on (recorded_at, id): after the snapshot `after` was.
                let at: DateTime<Utc> = ph::table
                    .filter(ph::id.eq(after))
                    .filter(ph::profile_id.eq(profile_id))
                    .select(ph::recorded_at)
                    .first(conn)
                    .optional()
                    .map_err(|e| Op::new(HISTORY, "select").error(e))?
                    .ok_or_else(|| not_found(HISTORY, company_id, after))?;
                q = q.filter(
                    ph::recorded_at
                        .gt(at)
                        .or(ph::recorded_at.eq(at).and(ph::id.gt(after))),
                );
            }
            q.load::<RoadmapProgressHistoryRow>(conn)
                .map(|rows| rows.into_iter().map(ProgressSnapshot::from).collect())
                .map_err(|e| Op::new(HISTORY, "select").error(e))
        })
    }
}
