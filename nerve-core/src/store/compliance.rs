//! Compliance: assessments per company and framework, their controls and evidence, auto-
//! flagging of controls from scan findings through a finding-type → control mapping kept as
//! data, and AI-generated vulnerability reports.

use crate::error::Result;
use crate::model::{
    Assessment, Control, ControlMapping, ControlUpdate, Deleted, Evidence, NewAssessment,
    NewControl, NewEvidence, NewVulnerabilityReport, Page, ScanFinding, ScanSource,
    VulnerabilityReport,
};
use chrono::{DateTime, Utc};

/// Compliance data per company.
///
/// Everything but the mapping is company-owned: a row of another company is
/// [`Error::NotFound`](crate::Error::NotFound), and while the company is soft-deleted all of it
/// is out of reach (NotFound on `companies`). Users named (author, assignee, uploader) must be
/// live users of the company. Lists are keyset pages in ascending id order. Every method is
/// atomic: one transaction (or savepoint), all written or nothing.
///
/// **Scores.** An assessment's `overall_compliance_score` is
/// [`overall_compliance_score`](crate::model::overall_compliance_score) of its live controls,
/// recomputed in the same transaction as every change to a control (add, update, remove, flag,
/// verify): it never disagrees with its controls.
///
/// **Status.** An assessment is created in_progress; [`complete_assessment`](Self::complete_assessment)
/// makes it completed; a completed assessment is expired from its `expiry_date` on, by the
/// store's clock (reads show it, [`expire_assessments`](Self::expire_assessments) stores it).
/// *Active* assessments — flagged by scan findings — are the live ones in progress, or
/// completed and not expired.
pub trait ComplianceStore {
    /// Starts an assessment of the live company (status in_progress, no score). Errors:
    /// [`Error::Validation`](crate::Error::Validation) on `compliance_assessments.*`;
    /// [`Error::NotFound`](crate::Error::NotFound) for the company or the user.
    fn create_assessment(&self, company_id: i64, new: &NewAssessment) -> Result<Assessment>;

    /// The live assessment `id`.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_assessment(&self, company_id: i64, id: i64) -> Result<Assessment>;

    /// One page of the company's assessments.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_assessments(
        &self,
        company_id: i64,
        page: Page,
        deleted: Deleted,
    ) -> Result<Vec<Assessment>>;

    /// Completes the live in-progress assessment now (the clock): status completed,
    /// `completion_date` now, `expiry_date` replaced when `expiry_date` is given. Errors:
    /// [`Error::Validation`](crate::Error::Validation) on `compliance_assessments.status` when
    /// it is not in progress, on `compliance_assessments.expiry_date` when the expiry date
    /// (given or stored) is missing or not after now.
    fn complete_assessment(
        &self,
        company_id: i64,
        id: i64,
        expiry_date: Option<DateTime<Utc>>,
    ) -> Result<Assessment>;

    /// Stores status expired on every live completed assessment (of every company) whose
    /// expiry date is at or before now; returns how many. Reads already show them expired:
    /// this makes the stored status agree, for queries outside the contract.
    fn expire_assessments(&self) -> Result<u64>;

    /// Soft-deletes the live assessment (its controls and evidence stay, hidden with it).
    fn delete_assessment(&self, company_id: i64, id: i64) -> Result<()>;

    /// Adds a control to the live assessment and recomputes its score. Errors:
    /// [`Error::Validation`](crate::Error::Validation) on `compliance_controls.*` (identifier
    /// 1-50, name 1-255, score 0-100); [`Error::Conflict`](crate::Error::Conflict) on
    /// `compliance_controls.control_id` when the assessment has a control with that identifier
    /// (removed ones included).
    fn add_control(&self, company_id: i64, assessment_id: i64, new: &NewControl)
        -> Result<Control>;

    /// The live control (row id `id`) of a live assessment of the company.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_control(&self, company_id: i64, id: i64) -> Result<Control>;

    /// One page of the live assessment's live controls.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_controls(
        &self,
        company_id: i64,
        assessment_id: i64,
        page: Page,
    ) -> Result<Vec<Control>>;

    /// Applies `changes` to the live control, sets `updated_at`, and recomputes the
    /// assessment's score; returns the control. A flag is not lifted by a status change: the
    /// control stays flagged until the finding is verified fixed, which then sets the status
    /// back to `status_before_scan` (what it was before the flag), replacing a status set
    /// meanwhile.
    fn update_control(&self, company_id: i64, id: i64, changes: &ControlUpdate) -> Result<Control>;

    /// Soft-deletes the live control and recomputes the assessment's score.
    fn remove_control(&self, company_id: i64, id: i64) -> Result<()>;

    /// Attaches evidence to the live control. Errors: [`Error::Validation`](crate::Error::Validation)
    /// on `compliance_evidence.*` (reference 1-1024, name up to 255, digest 64 hex digits).
    fn add_evidence(&self, company_id: i64, control_id: i64, new: &NewEvidence)
        -> Result<Evidence>;

    /// One page of the live control's live evidence.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_evidence(&self, company_id: i64, control_id: i64, page: Page) -> Result<Vec<Evidence>>;

    /// Soft-deletes the live evidence `id` of a live control (evidence of a removed control
    /// is hidden with it: NotFound).
    fn delete_evidence(&self, company_id: i64, id: i64) -> Result<()>;

    /// Adds the mapping rows, or sets `flag_status` of an existing row with the same source,
    /// finding type, framework and control; returns how many rows were added or changed (a row
    /// stored as given already counts 0). All or none. The mapping is shared by every company.
    /// Errors: [`Error::Validation`](crate::Error::Validation) on `compliance_control_mappings.*`
    /// (texts 1-100 and 1-50 characters; `flag_status` failing or needs_review).
    fn put_control_mappings(&self, rows: &[ControlMapping]) -> Result<u64>;

    /// The mapping rows of `source` and `finding_type`, by framework then control identifier.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn control_mappings(
        &self,
        source: ScanSource,
        finding_type: &str,
    ) -> Result<Vec<ControlMapping>>;

    /// Flags, from `finding`, every live control whose (framework, identifier) the mapping
    /// lists for the finding's source and type, in the company's active assessments: status set
    /// to the mapping's `flag_status` (the previous status kept in `status_before_scan`), the
    /// `scan_*` fields set from the finding, `scan_verified_at` cleared; then each touched
    /// assessment's score is recomputed. A control this finding already flags (same source and
    /// finding id, not verified) is left as it is, so flagging twice changes nothing. A control
    /// flagged by another finding takes this one's `scan_*` fields and status and keeps its
    /// `status_before_scan`. Returns the controls changed, ascending by id (empty when none).
    /// Errors: [`Error::Validation`](crate::Error::Validation) on `compliance_controls.scan_*`.
    fn flag_from_finding(&self, company_id: i64, finding: &ScanFinding) -> Result<Vec<Control>>;

    /// Records that the finding `finding_id` of `source` is fixed: every live control of the
    /// company it flags (not yet verified) gets `scan_verified_at` now and its
    /// `status_before_scan` back as status, and each touched assessment's score is recomputed.
    /// Returns the controls changed, ascending by id; verifying again changes nothing.
    fn verify_finding_fixed(
        &self,
        company_id: i64,
        source: ScanSource,
        finding_id: &str,
    ) -> Result<Vec<Control>>;

    /// Stores a vulnerability report. Errors: [`Error::Validation`](crate::Error::Validation)
    /// on `vulnerability_reports.*`; [`Error::NotFound`](crate::Error::NotFound) for the
    /// company, the user, or a scan that is not in the company's history of its source.
    fn create_report(
        &self,
        company_id: i64,
        new: &NewVulnerabilityReport,
    ) -> Result<VulnerabilityReport>;

    /// The live report `id`.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_report(&self, company_id: i64, id: i64) -> Result<VulnerabilityReport>;

    /// One page of the company's live reports, of the scan `scan` when given.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_reports(
        &self,
        company_id: i64,
        scan: Option<(ScanSource, i64)>,
        page: Page,
    ) -> Result<Vec<VulnerabilityReport>>;

    /// Soft-deletes the live report.
    fn delete_report(&self, company_id: i64, id: i64) -> Result<()>;
}
