//! Implements [`ComplianceStore`](nerve_core::ComplianceStore) for [`Scope`]
//! against the `compliance_*` and `vulnerability_reports` tables (and their
//! whole-row types) of `crate::schema`.
//!
//! Every change to a control recomputes its assessment's score in the same transaction
//! (`rescore`), with the one rule of [`overall_compliance_score`](nerve_core::model::overall_compliance_score).

use super::accounts::{live_company, live_user_of_company};
use super::{Conn, Db, Scope};
use crate::driver::ThisDriver;
use crate::schema::rows::{
    ComplianceAssessmentsRow, ComplianceControlMappingsRow, ComplianceControlsRow,
    ComplianceEvidenceRow, VulnerabilityReportsRow,
};
use crate::schema::{
    compliance_assessments as a, compliance_control_mappings as m, compliance_controls as c,
    compliance_evidence as ev, vulnerability_reports as vr,
};
use ::chrono::{DateTime, Utc};
use nerve_diesel::checks::compliance::{instant, score};
use nerve_diesel::diesel::prelude::*;
use nerve_diesel::limits;
use nerve_diesel::nerve_core::model::{
    overall_compliance_score, Assessment, AssessmentStatus, ComplianceFramework, Control,
    ControlMapping, ControlStatus, ControlUpdate, Deleted, Evidence, NewAssessment, NewControl,
    NewEvidence, NewVulnerabilityReport, Page, ScanFinding, ScanSource, ValueSet,
    VulnerabilityReport,
};
use nerve_diesel::nerve_core::validate::{
    json_document, optional_text, required_text, sha256_digest, timestamp, validate_domain,
};
use nerve_diesel::nerve_core::{Error, Field, Result};
use nerve_diesel::Driver as _;
use nerve_diesel::Op;
use nerve_diesel::WriteTs;

const ASSESSMENTS: &str = "compliance_assessments";
const CONTROLS: &str = "compliance_controls";
const EVIDENCE: &str = "compliance_evidence";
const MAPPINGS: &str = "compliance_control_mappings";
const REPORTS: &str = "vulnerability_reports";
/// Longest free text (notes, summaries, descriptions).
const NOTES_MAX: usize = 10_000;

fn assessment(r: ComplianceAssessmentsRow, now: DateTime<Utc>) -> Assessment {
    Assessment {
        id: r.id,
        company_id: r.company_id,
        created_by_user_id: r.created_by_user_id,
        framework: r.framework,
        framework_version: r.framework_version,
        status: r.status.as_of(r.expiry_date, now),
        overall_compliance_score: r.overall_compliance_score,
        assessment_date: r.assessment_date,
        completion_date: r.completion_date,
        expiry_date: r.expiry_date,
        created_at: r.created_at,
        updated_at: r.updated_at,
        deleted_at: r.deleted_at,
    }
}

#[derive(AsChangeset)]
#[diesel(table_name = c)]
struct ControlChanges<'a> {
    status: Option<Db<ControlStatus>>,
    compliance_score: Option<Option<i64>>,
    assigned_to_user_id: Option<Option<i64>>,
    evidence_summary: Option<Option<&'a str>>,
    remediation_notes: Option<Option<&'a str>>,
    next_review_date: Option<Option<DateTime<Utc>>>,
    last_reviewed: Option<Option<DateTime<Utc>>>,
    updated_at: WriteTs,
}

fn not_found(table: &'static str, company_id: i64, id: i64) -> Error {
    Error::not_found(table, format!("company_id={company_id}, id={id}"))
}

/// A change to a nullable free-text column of a control.
fn notes<'a>(name: &'static str, v: &'a Option<Option<String>>) -> Result<Option<Option<&'a str>>> {
    v.as_ref()
        .map(|v| optional_text(Field::new(CONTROLS, name), v.as_deref(), NOTES_MAX))
        .transpose()
}

/// The live assessment `id` of the live company.
fn assessment_row(conn: &mut Conn, company_id: i64, id: i64) -> Result<ComplianceAssessmentsRow> {
    live_company(conn, company_id)?;
    a::table
        .filter(a::id.eq(id))
        .filter(a::company_id.eq(company_id))
        .filter(a::deleted_at.is_null())
        .select(crate::schema::compliance_assessments::all_columns)
        .first::<ComplianceAssessmentsRow>(conn)
        .optional()
        .map_err(|e| Op::new(ASSESSMENTS, "select").error(e))?
        .ok_or_else(|| not_found(ASSESSMENTS, company_id, id))
}

/// The live control `id` of a live assessment of the live company.
fn control_row(conn: &mut Conn, company_id: i64, id: i64) -> Result<ComplianceControlsRow> {
    live_company(conn, company_id)?;
    c::table
        .inner_join(a::table)
        .filter(c::id.eq(id))
        .filter(c::deleted_at.is_null())
        .filter(a::company_id.eq(company_id))
        .filter(a::deleted_at.is_null())
        .select(c::all_columns)
        .first::<ComplianceControlsRow>(conn)
        .optional()
        .map_err(|e| Op::new(CONTROLS, "select").error(e))?
        .ok_or_else(|| not_found(CONTROLS, company_id, id))
}

/// Takes the row locks of the assessments, in ascending id order, without changing
/// them. Every change to an assessment's controls holds its lock until it has
/// rescored, so on PostgreSQL no transaction computes a score without a concurrent
/// change (SQLite's write transactions are serialized already); the fixed order
/// means two writers never wait on each other in a cycle.
fn lock_assessments(conn: &mut Conn, ids: impl IntoIterator<Item = i64>) -> Result<()> {
    let ids: ::std::collections::BTreeSet<i64> = ids.into_iter().collect();
    for id in ids {
        nerve_diesel::cached::update(a::table.filter(a::id.eq(id)))
            .set(a::updated_at.eq(a::updated_at))
            .execute(conn)
            .map_err(|e| Op::new(ASSESSMENTS, "lock").error(e))?;
    }
    Ok(())
}

/// Sets the assessment's score to the rule's value over its live controls.
fn rescore(conn: &mut Conn, assessment_id: i64, now: DateTime<Utc>) -> Result<()> {
    lock_assessments(conn, [assessment_id])?;
    let controls: Vec<(Db<ControlStatus>, Option<i64>)> = c::table
        .filter(c::assessment_id.eq(assessment_id))
        .filter(c::deleted_at.is_null())
        .select((c::status, c::compliance_score))
        .load(conn)
        .map_err(|e| Op::new(CONTROLS, "select").error(e))?;
    let score = overall_compliance_score(controls.into_iter().map(|(s, v)| (s.0, v)));
    nerve_diesel::cached::update(a::table.filter(a::id.eq(assessment_id)))
        .set((
            a::overall_compliance_score.eq(score),
            a::updated_at.eq(WriteTs(now)),
        ))
        .execute(conn)
        .map(drop)
        .map_err(|e| Op::new(ASSESSMENTS, "update").error(e))
}

/// Rescoring each assessment once, in ascending id order (a stable lock order).
fn rescore_all(conn: &mut Conn, changed: &[Control], now: DateTime<Utc>) -> Result<()> {
    let ids: ::std::collections::BTreeSet<i64> = changed.iter().map(|c| c.assessment_id).collect();
    ids.into_iter().try_for_each(|id| rescore(conn, id, now))
}

impl nerve_diesel::nerve_core::ComplianceStore for Scope<'_> {
    fn create_assessment(&self, company_id: i64, new: &NewAssessment) -> Result<Assessment> {
        let version = new
            .framework_version
            .as_deref()
            .map(|v| {
                required_text(
                    Field::new(ASSESSMENTS, "framework_version"),
                    v,
                    limits::compliance_assessments::framework_version,
                )
            })
            .transpose()?;
        let now = self.env().now();
        let started = instant(
            Field::new(ASSESSMENTS, "assessment_date"),
            new.assessment_date,
        )?
        .unwrap_or(now);
        let expiry = instant(Field::new(ASSESSMENTS, "expiry_date"), new.expiry_date)?;
        if expiry.is_some_and(|e| e <= started) {
            return Err(
                Field::new(ASSESSMENTS, "expiry_date").invalid("must be after the assessment date")
            );
        }
        self.write(nerve_diesel::op_name!(), ASSESSMENTS, |conn| {
            live_company(conn, company_id)?;
            live_user_of_company(conn, company_id, new.created_by_user_id)?;
            nerve_diesel::diesel::insert_into(a::table)
                .values((
                    a::company_id.eq(company_id),
                    a::created_by_user_id.eq(new.created_by_user_id),
                    a::user_id.eq(Some(new.created_by_user_id)),
                    a::framework.eq(Db(new.framework)),
                    a::framework_version.eq(version),
                    a::status.eq(Db(AssessmentStatus::InProgress)),
                    a::assessment_date.eq(started),
                    a::expiry_date.eq(expiry),
                    a::created_at.eq(WriteTs(now)),
                    a::updated_at.eq(WriteTs(now)),
                    a::is_active.eq(true),
                ))
                .returning(crate::schema::compliance_assessments::all_columns)
                .get_result::<ComplianceAssessmentsRow>(conn)
                .map(|r| assessment(r, now))
                .map_err(|e| Op::new(ASSESSMENTS, "insert").error(e))
        })
    }

    fn get_assessment(&self, company_id: i64, id: i64) -> Result<Assessment> {
        let now = self.env().now();
        self.read(nerve_diesel::op_name!(), |conn| {
            assessment_row(conn, company_id, id).map(|r| assessment(r, now))
        })
    }

    fn list_assessments(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<Assessment>> {
        let page = page.checked(ASSESSMENTS)?;
        let now = self.env().now();
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            let q = a::table
                .filter(a::company_id.eq(company_id))
                .filter(a::id.gt(page.after_id()))
                .order(a::id.asc())
                .limit(i64::from(page.limit))
                .select(crate::schema::compliance_assessments::all_columns);
            nerve_diesel::load_by_deleted!(a, q, deleted, ComplianceAssessmentsRow, conn)
                .map(|rows| rows.into_iter().map(|r| assessment(r, now)).collect())
                .map_err(|e| Op::new(ASSESSMENTS, "select").error(e))
        })
    }

    fn complete_assessment(
        &self,
        company_id: i64,
        id: i64,
        expiry_date: Option<DateTime<Utc>>,
    ) -> Result<Assessment> {
        let expiry_field = Field::new(ASSESSMENTS, "expiry_date");
        let given = instant(expiry_field, expiry_date)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), ASSESSMENTS, |conn| {
            assessment_row(conn, company_id, id)?;
            lock_assessments(conn, [id])?;
            let row = assessment_row(conn, company_id, id)?;
            let status = row.status.as_of(row.expiry_date, now);
            if status != AssessmentStatus::InProgress {
                return Err(Field::new(ASSESSMENTS, "status").invalid(format!(
                    "assessment {id} is {status}; only an assessment in progress can be completed"
                )));
            }
            let expiry = given.or(row.expiry_date).ok_or_else(|| {
                expiry_field.invalid("an expiry date is needed to complete an assessment")
            })?;
            if expiry <= now {
                return Err(expiry_field
                    .invalid(format!("{expiry} is not after the completion time {now}")));
            }
            nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(a::table.filter(a::id.eq(id)))
                    .set((
                        a::status.eq(Db(AssessmentStatus::Completed)),
                        a::completion_date.eq(WriteTs(now)),
                        a::expiry_date.eq(Some(expiry)),
                        a::updated_at.eq(WriteTs(now)),
                    ))
                    .returning(crate::schema::compliance_assessments::all_columns),
            )
            .get_result::<ComplianceAssessmentsRow>(conn)
            .map(|r| assessment(r, now))
            .map_err(|e| Op::new(ASSESSMENTS, "update").error(e))
        })
    }

    fn expire_assessments(&self) -> Result<u64> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), ASSESSMENTS, |conn| {
            nerve_diesel::cached::update(
                a::table
                    .filter(a::status.eq(Db(AssessmentStatus::Completed)))
                    .filter(a::expiry_date.le(WriteTs(now)))
                    .filter(a::deleted_at.is_null()),
            )
            .set((
                a::status.eq(Db(AssessmentStatus::Expired)),
                a::updated_at.eq(WriteTs(now)),
            ))
            .execute(conn)
            .map(|n| n as u64)
            .map_err(|e| Op::new(ASSESSMENTS, "update").error(e))
        })
    }

    fn delete_assessment(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), ASSESSMENTS, |conn| {
            assessment_row(conn, company_id, id)?;
            nerve_diesel::cached::update(a::table.filter(a::id.eq(id)))
                .set(nerve_diesel::set_deleted!(a, now))
                .execute(conn)
                .map(drop)
                .map_err(|e| Op::new(ASSESSMENTS, "delete").error(e))
        })
    }

    fn add_control(
        &self,
        company_id: i64,
        assessment_id: i64,
        new: &NewControl,
    ) -> Result<Control> {
        let key = required_text(
            Field::new(CONTROLS, "control_id"),
            &new.control_id,
            limits::compliance_controls::control_id,
        )?;
        let name = required_text(
            Field::new(CONTROLS, "control_name"),
            &new.control_name,
            limits::compliance_controls::control_name,
        )?;
        let category = optional_text(
            Field::new(CONTROLS, "control_category"),
            new.control_category.as_deref(),
            limits::compliance_controls::control_category,
        )?;
        let points = score(
            Field::new(CONTROLS, "compliance_score"),
            new.compliance_score,
        )?;
        let review = instant(
            Field::new(CONTROLS, "next_review_date"),
            new.next_review_date,
        )?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), CONTROLS, |conn| {
            assessment_row(conn, company_id, assessment_id)?;
            lock_assessments(conn, [assessment_id])?;
            if let Some(user) = new.assigned_to_user_id {
                live_user_of_company(conn, company_id, user)?;
            }
            let control = nerve_diesel::diesel::insert_into(c::table)
                .values((
                    c::assessment_id.eq(assessment_id),
                    c::control_id.eq(key),
                    c::control_name.eq(name),
                    c::control_category.eq(category),
                    c::status.eq(Db(new.status)),
                    c::compliance_score.eq(points),
                    c::assigned_to_user_id.eq(new.assigned_to_user_id),
                    c::next_review_date.eq(review),
                    c::created_at.eq(WriteTs(now)),
                    c::updated_at.eq(WriteTs(now)),
                    c::is_active.eq(true),
                ))
                .returning(c::all_columns)
                .get_result::<ComplianceControlsRow>(conn)
                .map(Control::from)
                .map_err(|e| Op::new(CONTROLS, "insert").error(e))?;
            rescore(conn, assessment_id, now)?;
            Ok(control)
        })
    }

    fn get_control(&self, company_id: i64, id: i64) -> Result<Control> {
        self.read(nerve_diesel::op_name!(), |conn| {
            control_row(conn, company_id, id).map(Control::from)
        })
    }

    fn list_controls(
        &self,
        company_id: i64,
        assessment_id: i64,
        page: Page,
    ) -> Result<Vec<Control>> {
        let page = page.checked(CONTROLS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            assessment_row(conn, company_id, assessment_id)?;
            nerve_diesel::live_children_page!(
                conn,
                c,
                ComplianceControlsRow,
                Control,
                assessment_id = assessment_id,
                page,
                CONTROLS
            )
        })
    }

    fn update_control(&self, company_id: i64, id: i64, changes: &ControlUpdate) -> Result<Control> {
        let now = self.env().now();
        let set = ControlChanges {
            status: changes.status.map(Db),
            compliance_score: changes
                .compliance_score
                .map(|s| score(Field::new(CONTROLS, "compliance_score"), s))
                .transpose()?,
            assigned_to_user_id: changes.assigned_to_user_id,
            evidence_summary: notes("evidence_summary", &changes.evidence_summary)?,
            remediation_notes: notes("remediation_notes", &changes.remediation_notes)?,
            next_review_date: changes
                .next_review_date
                .map(|t| instant(Field::new(CONTROLS, "next_review_date"), t))
                .transpose()?,
            last_reviewed: changes.reviewed.then_some(Some(now)),
            updated_at: WriteTs(now),
        };
        self.write(nerve_diesel::op_name!(), CONTROLS, |conn| {
            let row = control_row(conn, company_id, id)?;
            lock_assessments(conn, [row.assessment_id])?;
            control_row(conn, company_id, id)?;
            if let Some(Some(user)) = changes.assigned_to_user_id {
                live_user_of_company(conn, company_id, user)?;
            }
            let control = nerve_diesel::cached::CacheBySql(
                nerve_diesel::diesel::update(c::table.filter(c::id.eq(id)))
                    .set(&set)
                    .returning(c::all_columns),
            )
            .get_result::<ComplianceControlsRow>(conn)
            .map(Control::from)
            .map_err(|e| Op::new(CONTROLS, "update").error(e))?;
            rescore(conn, row.assessment_id, now)?;
            Ok(control)
        })
    }

    fn remove_control(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), CONTROLS, |conn| {
            let row = control_row(conn, company_id, id)?;
            lock_assessments(conn, [row.assessment_id])?;
            control_row(conn, company_id, id)?;
            nerve_diesel::cached::update(c::table.filter(c::id.eq(id)))
                .set(nerve_diesel::set_deleted!(c, now))
                .execute(conn)
                .map_err(|e| Op::new(CONTROLS, "delete").error(e))?;
            rescore(conn, row.assessment_id, now)
        })
    }

    fn add_evidence(
        &self,
        company_id: i64,
        control_id: i64,
        new: &NewEvidence,
    ) -> Result<Evidence> {
        let reference = required_text(
            Field::new(EVIDENCE, "file_reference"),
            &new.file_reference,
            limits::compliance_evidence::file_reference,
        )?;
        let name = optional_text(
            Field::new(EVIDENCE, "file_name"),
            new.file_name.as_deref(),
            limits::compliance_evidence::file_name,
        )?;
        let digest = sha256_digest(Field::new(EVIDENCE, "sha256"), &new.sha256)?;
        let description = optional_text(
            Field::new(EVIDENCE, "description"),
            new.description.as_deref(),
            NOTES_MAX,
        )?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), EVIDENCE, |conn| {
            control_row(conn, company_id, control_id)?;
            live_user_of_company(conn, company_id, new.uploaded_by_user_id)?;
            nerve_diesel::diesel::insert_into(ev::table)
                .values((
                    ev::control_id.eq(control_id),
                    ev::company_id.eq(company_id),
                    ev::user_id.eq(Some(new.uploaded_by_user_id)),
                    ev::uploaded_by_user_id.eq(new.uploaded_by_user_id),
                    ev::file_reference.eq(reference),
                    ev::file_name.eq(name),
                    ev::sha256.eq(&digest),
                    ev::description.eq(description),
                    ev::uploaded_at.eq(WriteTs(now)),
                    ev::created_at.eq(WriteTs(now)),
                    ev::updated_at.eq(WriteTs(now)),
                    ev::is_active.eq(true),
                ))
                .returning(crate::schema::compliance_evidence::all_columns)
                .get_result::<ComplianceEvidenceRow>(conn)
                .map(Evidence::from)
                .map_err(|e| Op::new(EVIDENCE, "insert").error(e))
        })
    }

    fn list_evidence(&self, company_id: i64, control_id: i64, page: Page) -> Result<Vec<Evidence>> {
        let page = page.checked(EVIDENCE)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            control_row(conn, company_id, control_id)?;
            nerve_diesel::live_children_page!(
                conn,
                ev,
                ComplianceEvidenceRow,
                Evidence,
                control_id = control_id,
                page,
                EVIDENCE
            )
        })
    }

    fn delete_evidence(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), EVIDENCE, |conn| {
            live_company(conn, company_id)?;
            let live = ev::table
                .filter(ev::id.eq(id))
                .filter(ev::company_id.eq(company_id))
                .filter(ev::deleted_at.is_null());
            let control: i64 = live
                .select(ev::control_id)
                .first(conn)
                .optional()
                .map_err(|e| Op::new(EVIDENCE, "select").error(e))?
                .ok_or_else(|| not_found(EVIDENCE, company_id, id))?;
            // Evidence of a removed control (or deleted assessment) is hidden with it.
            control_row(conn, company_id, control)
                .map_err(|_| not_found(EVIDENCE, company_id, id))?;
            nerve_diesel::cached::update(live)
                .set(nerve_diesel::set_deleted!(ev, now))
                .execute(conn)
                .map(drop)
                .map_err(|e| Op::new(EVIDENCE, "delete").error(e))
        })
    }

    fn put_control_mappings(&self, rows: &[ControlMapping]) -> Result<u64> {
        for row in rows {
            required_text(
                Field::new(MAPPINGS, "finding_type"),
                &row.finding_type,
                limits::compliance_control_mappings::finding_type,
            )?;
            required_text(
                Field::new(MAPPINGS, "control_id"),
                &row.control_id,
                limits::compliance_control_mappings::control_id,
            )?;
            if !matches!(
                row.flag_status,
                ControlStatus::Failing | ControlStatus::NeedsReview
            ) {
                return Err(Field::new(MAPPINGS, "flag_status").invalid(format!(
                    "a finding flags a control failing or needs_review, not {}",
                    row.flag_status
                )));
            }
        }
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), MAPPINGS, |conn| {
            // One writer of the mapping at a time: two loads of the same new row
            // then agree instead of one failing on the unique key.
            ThisDriver::lock_writers(conn, MAPPINGS)
                .map_err(|e| Op::new(MAPPINGS, "lock").error(e))?;
            let mut changed = 0_u64;
            for row in rows {
                let key = m::table
                    .filter(m::scan_source.eq(Db(row.scan_source)))
                    .filter(m::finding_type.eq(&row.finding_type))
                    .filter(m::framework.eq(Db(row.framework)))
                    .filter(m::control_id.eq(&row.control_id));
                let stored: Option<ComplianceControlMappingsRow> = key
                    .select(crate::schema::compliance_control_mappings::all_columns)
                    .first::<ComplianceControlMappingsRow>(conn)
                    .optional()
                    .map_err(|e| Op::new(MAPPINGS, "select").error(e))?;
                match stored {
                    Some(s) if s.flag_status == row.flag_status && s.deleted_at.is_none() => {}
                    Some(s) => {
                        nerve_diesel::cached::update(m::table.filter(m::id.eq(s.id)))
                            .set((
                                m::flag_status.eq(Db(row.flag_status)),
                                nerve_diesel::set_restored!(m, now),
                            ))
                            .execute(conn)
                            .map_err(|e| Op::new(MAPPINGS, "update").error(e))?;
                        changed += 1;
                    }
                    None => {
                        nerve_diesel::diesel::insert_into(m::table)
                            .values((
                                m::scan_source.eq(Db(row.scan_source)),
                                m::finding_type.eq(&row.finding_type),
                                m::framework.eq(Db(row.framework)),
                                m::control_id.eq(&row.control_id),
                                m::flag_status.eq(Db(row.flag_status)),
                                m::created_at.eq(WriteTs(now)),
                                m::updated_at.eq(WriteTs(now)),
                                m::is_active.eq(true),
                            ))
                            .execute(conn)
                            .map_err(|e| Op::new(MAPPINGS, "insert").error(e))?;
                        changed += 1;
                    }
                }
            }
            Ok(changed)
        })
    }

    fn control_mappings(
        &self,
        source: ScanSource,
        finding_type: &str,
    ) -> Result<Vec<ControlMapping>> {
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            let mut rows: Vec<ControlMapping> = m::table
                .filter(m::scan_source.eq(Db(source)))
                .filter(m::finding_type.eq(finding_type))
                .filter(m::deleted_at.is_null())
                .select(crate::schema::compliance_control_mappings::all_columns)
                .load::<ComplianceControlMappingsRow>(conn)
                .map_err(|e| Op::new(MAPPINGS, "select").error(e))?
                .into_iter()
                .map(ControlMapping::from)
                .collect();
            // Sorted here, not by the database: enum order and text collation
            // differ between backends, byte order does not.
            rows.sort_by(|x, y| {
                (x.framework.as_str(), x.control_id.as_bytes())
                    .cmp(&(y.framework.as_str(), y.control_id.as_bytes()))
            });
            Ok(rows)
        })
    }

    fn flag_from_finding(&self, company_id: i64, finding: &ScanFinding) -> Result<Vec<Control>> {
        let kind = required_text(
            Field::new(CONTROLS, "scan_finding_type"),
            &finding.finding_type,
            limits::compliance_controls::scan_finding_type,
        )?;
        let finding_id = required_text(
            Field::new(CONTROLS, "scan_finding_id"),
            &finding.finding_id,
            limits::compliance_controls::scan_finding_id,
        )?;
        let domain = finding
            .domain
            .as_deref()
            .map(|d| validate_domain(Field::new(CONTROLS, "scan_domain"), d))
            .transpose()?;
        let seen = timestamp(Field::new(CONTROLS, "scan_flagged_at"), finding.seen_at)?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), CONTROLS, |conn| {
            live_company(conn, company_id)?;
            let mapped: Vec<(Db<ComplianceFramework>, String, Db<ControlStatus>)> = m::table
                .filter(m::scan_source.eq(Db(finding.source)))
                .filter(m::finding_type.eq(kind))
                .filter(m::deleted_at.is_null())
                .select((m::framework, m::control_id, m::flag_status))
                .load(conn)
                .map_err(|e| Op::new(MAPPINGS, "select").error(e))?;
            if mapped.is_empty() {
                return Ok(Vec::new());
            }
            let keys: Vec<&str> = mapped.iter().map(|(_, k, _)| k.as_str()).collect();
            // The live controls with a mapped identifier in the company's active
            // assessments: in progress, or completed and not expired by now. Read
            // again once their assessments are locked, so the decision below sees
            // every committed flag.
            let candidates =
                |conn: &mut Conn| -> Result<Vec<(ComplianceControlsRow, Db<ComplianceFramework>)>> {
                    c::table
                        .inner_join(a::table)
                        .filter(a::company_id.eq(company_id))
                        .filter(a::deleted_at.is_null())
                        .filter(
                            a::status.eq(Db(AssessmentStatus::InProgress)).or(a::status
                                .eq(Db(AssessmentStatus::Completed))
                                .and(a::expiry_date.is_null().or(a::expiry_date.gt(WriteTs(now))))),
                        )
                        .filter(c::deleted_at.is_null())
                        .filter(c::control_id.eq_any(&keys))
                        .order(c::id.asc())
                        .select((c::all_columns, a::framework))
                        .load::<(ComplianceControlsRow, Db<ComplianceFramework>)>(conn)
                        .map_err(|e| Op::new(CONTROLS, "select").error(e))
                };
            let locked: Vec<i64> = candidates(conn)?
                .iter()
                .map(|(r, _)| r.assessment_id)
                .collect();
            lock_assessments(conn, locked)?;
            let mut changed = Vec::new();
            for (row, framework) in candidates(conn)? {
                let Some((_, _, flag)) = mapped
                    .iter()
                    .find(|(f, k, _)| *f == framework && *k == row.control_id)
                else {
                    continue;
                };
                let flagged = row.scan_flagged_at.is_some() && row.scan_verified_at.is_none();
                let same = row.scan_source == Some(finding.source)
                    && row.scan_finding_id.as_deref() == Some(finding_id);
                if flagged && same {
                    continue;
                }
                let before = if flagged {
                    row.status_before_scan
                } else {
                    Some(row.status)
                };
                let control = nerve_diesel::cached::CacheBySql(
                    nerve_diesel::diesel::update(c::table.filter(c::id.eq(row.id)))
                        .set((
                            c::status.eq(*flag),
                            c::status_before_scan.eq(before.map(Db)),
                            c::scan_source.eq(Some(Db(finding.source))),
                            c::scan_finding_type.eq(Some(kind)),
                            c::scan_finding_id.eq(Some(finding_id)),
                            c::scan_domain.eq(domain.as_deref()),
                            c::scan_flagged_at.eq(Some(seen)),
                            c::scan_verified_at.eq(None::<DateTime<Utc>>),
                            c::updated_at.eq(WriteTs(now)),
                        ))
                        .returning(c::all_columns),
                )
                .get_result::<ComplianceControlsRow>(conn)
                .map(Control::from)
                .map_err(|e| Op::new(CONTROLS, "update").error(e))?;
                changed.push(control);
            }
            rescore_all(conn, &changed, now)?;
            Ok(changed)
        })
    }

    fn verify_finding_fixed(
        &self,
        company_id: i64,
        source: ScanSource,
        finding_id: &str,
    ) -> Result<Vec<Control>> {
        let finding_id = required_text(
            Field::new(CONTROLS, "scan_finding_id"),
            finding_id,
            limits::compliance_controls::scan_finding_id,
        )?;
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), CONTROLS, |conn| {
            live_company(conn, company_id)?;
            let flagged = |conn: &mut Conn| -> Result<Vec<ComplianceControlsRow>> {
                c::table
                    .inner_join(a::table)
                    .filter(a::company_id.eq(company_id))
                    .filter(a::deleted_at.is_null())
                    .filter(c::deleted_at.is_null())
                    .filter(c::scan_source.eq(Db(source)))
                    .filter(c::scan_finding_id.eq(finding_id))
                    .filter(c::scan_flagged_at.is_not_null())
                    .filter(c::scan_verified_at.is_null())
                    .order(c::id.asc())
                    .select(c::all_columns)
                    .load::<ComplianceControlsRow>(conn)
                    .map_err(|e| Op::new(CONTROLS, "select").error(e))
            };
            let locked: Vec<i64> = flagged(conn)?.iter().map(|r| r.assessment_id).collect();
            lock_assessments(conn, locked)?;
            let mut changed = Vec::new();
            for row in flagged(conn)? {
                let restored = row.status_before_scan.unwrap_or(ControlStatus::NotTested);
                let control = nerve_diesel::cached::CacheBySql(
                    nerve_diesel::diesel::update(c::table.filter(c::id.eq(row.id)))
                        .set((
                            c::status.eq(Db(restored)),
                            c::scan_verified_at.eq(WriteTs(now)),
                            c::updated_at.eq(WriteTs(now)),
                        ))
                        .returning(c::all_columns),
                )
                .get_result::<ComplianceControlsRow>(conn)
                .map(Control::from)
                .map_err(|e| Op::new(CONTROLS, "update").error(e))?;
                changed.push(control);
            }
            rescore_all(conn, &changed, now)?;
            Ok(changed)
        })
    }

    fn create_report(
        &self,
        company_id: i64,
        new: &NewVulnerabilityReport,
    ) -> Result<VulnerabilityReport> {
        let title = required_text(
            Field::new(REPORTS, "title"),
            &new.title,
            limits::vulnerability_reports::title,
        )?;
        let text = required_text(
            Field::new(REPORTS, "report_text"),
            &new.report_text,
            1_000_000,
        )?;
        let model = optional_text(
            Field::new(REPORTS, "model"),
            new.model.as_deref(),
            limits::vulnerability_reports::model,
        )?;
        let domain = new
            .domain
            .as_deref()
            .map(|d| validate_domain(Field::new(REPORTS, "domain"), d))
            .transpose()?;
        if let Some(meta) = &new.metadata {
            json_document(Field::new(REPORTS, "metadata"), meta)?;
        }
        let now = self.env().now();
        let generated =
            instant(Field::new(REPORTS, "generated_at"), new.generated_at)?.unwrap_or(now);
        self.write(nerve_diesel::op_name!(), REPORTS, |conn| {
            live_company(conn, company_id)?;
            if let Some(user) = new.user_id {
                live_user_of_company(conn, company_id, user)?;
            }
            if let Some((source, scan_id)) = new.scan {
                let found = on_history!(source, h, Row => {
                    h::table
                        .filter(h::id.eq(scan_id))
                        .filter(h::company_id.eq(company_id))
                        .filter(h::deleted_at.is_null())
                        .select(h::id)
                        .first::<i64>(conn)
                        .optional()
                })
                .map_err(|e| Op::new(REPORTS, "select").error(e))?;
                if found.is_none() {
                    let table = match source {
                        ScanSource::Xasm => "xasm_scan_history",
                        ScanSource::Lightbox => "lightbox_scan_history",
                    };
                    return Err(not_found(table, company_id, scan_id));
                }
            }
            nerve_diesel::diesel::insert_into(vr::table)
                .values((
                    vr::company_id.eq(company_id),
                    vr::user_id.eq(new.user_id),
                    vr::scan_source.eq(new.scan.map(|(s, _)| Db(s))),
                    vr::scan_id.eq(new.scan.map(|(_, id)| id)),
                    vr::domain.eq(domain.as_deref()),
                    vr::title.eq(title),
                    vr::report_text.eq(text),
                    vr::metadata.eq(new.metadata.as_ref()),
                    vr::model.eq(model),
                    vr::generated_at.eq(generated),
                    vr::created_at.eq(WriteTs(now)),
                    vr::updated_at.eq(WriteTs(now)),
                    vr::is_active.eq(true),
                ))
                .returning(crate::schema::vulnerability_reports::all_columns)
                .get_result::<VulnerabilityReportsRow>(conn)
                .map(VulnerabilityReport::from)
                .map_err(|e| Op::new(REPORTS, "insert").error(e))
        })
    }

    fn get_report(&self, company_id: i64, id: i64) -> Result<VulnerabilityReport> {
        self.read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            vr::table
                .filter(vr::id.eq(id))
                .filter(vr::company_id.eq(company_id))
                .filter(vr::deleted_at.is_null())
                .select(crate::schema::vulnerability_reports::all_columns)
                .first::<VulnerabilityReportsRow>(conn)
                .optional()
                .map_err(|e| Op::new(REPORTS, "select").error(e))?
                .map(VulnerabilityReport::from)
                .ok_or_else(|| not_found(REPORTS, company_id, id))
        })
    }

    fn list_reports(
        &self,
        company_id: i64,
        scan: Option<(ScanSource, i64)>,
        page: Page,
    ) -> Result<Vec<VulnerabilityReport>> {
        let page = page.checked(REPORTS)?;
        self.replica_read(nerve_diesel::op_name!(), |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::live_children_page!(
                conn,
                vr,
                VulnerabilityReportsRow,
                VulnerabilityReport,
                company_id = company_id,
                page,
                REPORTS,
                |q| match scan {
                    Some((source, scan_id)) => q
                        .filter(vr::scan_source.eq(Db(source)))
                        .filter(vr::scan_id.eq(scan_id)),
                    None => q,
                }
            )
        })
    }

    fn delete_report(&self, company_id: i64, id: i64) -> Result<()> {
        let now = self.env().now();
        self.write(nerve_diesel::op_name!(), REPORTS, |conn| {
            live_company(conn, company_id)?;
            nerve_diesel::soft_delete_owned!(conn, vr, company_id, id, now, REPORTS)
        })
    }
}
