use super::value_set::value_set;

value_set! {
    /// A compliance framework an assessment measures against.
    pub enum ComplianceFramework as "compliance_framework" {
        /// AICPA SOC 2.
        Soc2 = "soc2",
        /// ISO/IEC 27001.
        Iso27001 = "iso27001",
        /// The EU General Data Protection Regulation.
        Gdpr = "gdpr",
        /// The EU NIS2 directive.
        Nis2 = "nis2",
        /// Canada's PIPEDA.
        Pipeda = "pipeda",
    }
}

value_set! {
    /// Where an assessment stands: in progress, then completed, then expired at its expiry date.
    pub enum AssessmentStatus as "assessment_status" {
        /// Being worked on.
        InProgress = "in_progress",
        /// Completed and valid.
        Completed = "completed",
        /// Past its expiry date.
        Expired = "expired",
    }
}

value_set! {
    /// What is known of a control.
    pub enum ControlStatus as "control_status" {
        /// Not tested yet.
        NotTested = "not_tested",
        /// Tested and met.
        Passing = "passing",
        /// Not met (set by a reviewer, or by a scan finding).
        Failing = "failing",
        /// To be looked at again (set by a reviewer, or by a scan finding).
        NeedsReview = "needs_review",
        /// Out of scope for this company.
        NotApplicable = "not_applicable",
    }
}

impl AssessmentStatus {
    /// The status as of `now`: a completed assessment whose expiry date is at or before `now`
    /// is expired; anything else is as stored.
    pub fn as_of(self, expiry_date: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        match (self, expiry_date) {
            (AssessmentStatus::Completed, Some(e)) if e <= now => AssessmentStatus::Expired,
            (s, _) => s,
        }
    }
}

use super::ScanSource;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A compliance assessment of a company against one framework.
///
/// `status` is as of the store's clock when the row was read: a completed assessment whose
/// `expiry_date` is at or before that instant reads as [`AssessmentStatus::Expired`], whether or
/// not [`ComplianceStore::expire_assessments`](crate::ComplianceStore::expire_assessments) has
/// stored it yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// Identity.
    pub id: i64,
    /// The assessed company.
    pub company_id: i64,
    /// Who started it (a user of the company).
    pub created_by_user_id: i64,
    /// The framework measured against.
    pub framework: ComplianceFramework,
    /// The framework's version, such as `2022` for ISO 27001:2022.
    pub framework_version: Option<String>,
    /// in_progress, then completed, then expired (see above).
    pub status: AssessmentStatus,
    /// The score of its controls by [`overall_compliance_score`]; kept equal to that rule by
    /// every change to the assessment's controls.
    pub overall_compliance_score: Option<i64>,
    /// When the assessment started.
    pub assessment_date: DateTime<Utc>,
    /// When it was completed.
    pub completion_date: Option<DateTime<Utc>>,
    /// When a completed assessment stops being valid.
    pub expiry_date: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (a change to a control's score or status changes it).
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The values of a new assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAssessment {
    /// Who starts it: a live user of the company.
    pub created_by_user_id: i64,
    /// The framework measured against.
    pub framework: ComplianceFramework,
    /// The framework's version, 1 to 20 characters.
    pub framework_version: Option<String>,
    /// When it started; `None` for now (the clock).
    pub assessment_date: Option<DateTime<Utc>>,
    /// When it will stop being valid once completed; may also be given at completion.
    pub expiry_date: Option<DateTime<Utc>>,
}

/// One control of an assessment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Control {
    /// Identity.
    pub id: i64,
    /// The assessment it belongs to.
    pub assessment_id: i64,
    /// The framework's identifier of the control, such as `CC6.1` or `A.8.8`; once per
    /// assessment.
    pub control_id: String,
    /// Its name.
    pub control_name: String,
    /// Its category in the framework.
    pub control_category: Option<String>,
    /// What is known of it.
    pub status: ControlStatus,
    /// The reviewer's score, 0 to 100.
    pub compliance_score: Option<i64>,
    /// The scan whose finding flagged it, while flagged (kept after the fix is verified).
    pub scan_source: Option<ScanSource>,
    /// The finding type that flagged it.
    pub scan_finding_type: Option<String>,
    /// The finding that flagged it.
    pub scan_finding_id: Option<String>,
    /// When the finding was seen.
    pub scan_flagged_at: Option<DateTime<Utc>>,
    /// When the fix of the finding was verified; `None` while the flag holds.
    pub scan_verified_at: Option<DateTime<Utc>>,
    /// The domain the finding is about.
    pub scan_domain: Option<String>,
    /// The status it had before the flag, restored when the fix is verified.
    pub status_before_scan: Option<ControlStatus>,
    /// What the evidence shows, in words.
    pub evidence_summary: Option<String>,
    /// What remains to be done.
    pub remediation_notes: Option<String>,
    /// Who is responsible (a user of the company).
    pub assigned_to_user_id: Option<i64>,
    /// When it was last reviewed.
    pub last_reviewed: Option<DateTime<Utc>>,
    /// When it is due for review.
    pub next_review_date: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Control {
    /// Whether a scan finding flags it now: flagged and not verified since.
    pub fn is_flagged(&self) -> bool {
        self.scan_flagged_at.is_some() && self.scan_verified_at.is_none()
    }
}

/// The values of a new control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewControl {
    /// The framework's identifier, 1 to 50 characters, once per assessment.
    pub control_id: String,
    /// Its name, 1 to 255 characters.
    pub control_name: String,
    /// Its category, up to 100 characters.
    pub control_category: Option<String>,
    /// What is known of it (usually [`ControlStatus::NotTested`]).
    pub status: ControlStatus,
    /// The reviewer's score, 0 to 100.
    pub compliance_score: Option<i64>,
    /// Who is responsible: a live user of the company.
    pub assigned_to_user_id: Option<i64>,
    /// When it is due for review.
    pub next_review_date: Option<DateTime<Utc>>,
}

/// Changes to a control: each `Some` replaces a value, `None` keeps it; an inner `None`
/// clears a nullable value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ControlUpdate {
    /// New status.
    pub status: Option<ControlStatus>,
    /// New score, 0 to 100, or cleared.
    pub compliance_score: Option<Option<i64>>,
    /// New assignee (a live user of the company), or cleared.
    pub assigned_to_user_id: Option<Option<i64>>,
    /// New evidence summary, up to 10000 characters, or cleared.
    pub evidence_summary: Option<Option<String>>,
    /// New remediation notes, up to 10000 characters, or cleared.
    pub remediation_notes: Option<Option<String>>,
    /// New review due date, or cleared.
    pub next_review_date: Option<Option<DateTime<Utc>>>,
    /// Records a review now (`last_reviewed` set to the clock).
    pub reviewed: bool,
}

/// The overall score of an assessment from its controls, the one rule every backend applies:
/// the mean of the controls' effective scores, rounded half up to a whole number, or `None`
/// when no control counts. A [`ControlStatus::Failing`] control counts 0 whatever its score;
/// a [`ControlStatus::NotApplicable`] control does not count; any other control counts its
/// score when it has one and does not count without one. Soft-deleted controls are not given.
pub fn overall_compliance_score(
    controls: impl IntoIterator<Item = (ControlStatus, Option<i64>)>,
) -> Option<i64> {
    let (mut sum, mut n) = (0_i128, 0_i128);
    for (status, score) in controls {
        let counted = match status {
            ControlStatus::Failing => Some(0),
            ControlStatus::NotApplicable => None,
            _ => score,
        };
        if let Some(s) = counted {
            sum += i128::from(s);
            n += 1;
        }
    }
    // Half up for non-negative means: floor(sum / n + 1/2) = floor((2 sum + n) / 2n).
    (n > 0).then(|| ((2 * sum + n).div_euclid(2 * n)) as i64)
}

/// Evidence attached to a control: a reference to a file kept elsewhere and its digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Identity.
    pub id: i64,
    /// The control (row id) it supports.
    pub control_id: i64,
    /// The control's company.
    pub company_id: i64,
    /// Who uploaded it.
    pub uploaded_by_user_id: i64,
    /// Where the file is (path, URL or object key).
    pub file_reference: String,
    /// The file's name for people.
    pub file_name: Option<String>,
    /// SHA-256 of the file's bytes, 64 lower-case hexadecimal digits.
    pub sha256: String,
    /// What it shows.
    pub description: Option<String>,
    /// When it was attached (the clock).
    pub uploaded_at: DateTime<Utc>,
    /// When it was soft-deleted; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The values of new evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvidence {
    /// Who uploads it: a live user of the company.
    pub uploaded_by_user_id: i64,
    /// Where the file is, 1 to 1024 characters.
    pub file_reference: String,
    /// The file's name, up to 255 characters.
    pub file_name: Option<String>,
    /// SHA-256 of the file, 64 hexadecimal digits (stored lower-case).
    pub sha256: String,
    /// What it shows, up to 10000 characters.
    pub description: Option<String>,
}

/// One row of the finding-type → control mapping that drives auto-flagging: a finding of
/// `finding_type` from `scan_source` flags the control `control_id` of every active
/// `framework` assessment, setting it to `flag_status`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ControlMapping {
    /// The scanner.
    pub scan_source: ScanSource,
    /// The finding type, 1 to 100 characters, such as `expired_tls_certificate`.
    pub finding_type: String,
    /// The framework whose control is flagged.
    pub framework: ComplianceFramework,
    /// The framework's control identifier, 1 to 50 characters.
    pub control_id: String,
    /// The status the flag sets: [`ControlStatus::Failing`] or [`ControlStatus::NeedsReview`].
    pub flag_status: ControlStatus,
}

/// A scan finding offered to auto-flagging.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanFinding {
    /// The scanner.
    pub source: ScanSource,
    /// The finding type, looked up in the mapping.
    pub finding_type: String,
    /// The scanner's identifier of the finding, 1 to 100 characters.
    pub finding_id: String,
    /// The domain it is about.
    pub domain: Option<String>,
    /// When it was seen.
    pub seen_at: DateTime<Utc>,
}

/// An AI-generated vulnerability report about a company's scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityReport {
    /// Identity.
    pub id: i64,
    /// The company reported on.
    pub company_id: i64,
    /// Who asked for it.
    pub user_id: Option<i64>,
    /// The history the scan is in.
    pub scan_source: Option<ScanSource>,
    /// The scan (an id in the company's history of `scan_source`).
    pub scan_id: Option<i64>,
    /// The domain reported on.
    pub domain: Option<String>,
    /// Its title.
    pub title: String,
    /// The report.
    pub report_text: String,
    /// Structured data about it (findings, severities, ...).
    pub metadata: Option<serde_json::Value>,
    /// The model that wrote it.
    pub model: Option<String>,
    /// When it was generated.
    pub generated_at: DateTime<Utc>,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// When it was soft-deleted; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The values of a new vulnerability report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVulnerabilityReport {
    /// Who asked for it: a live user of the company.
    pub user_id: Option<i64>,
    /// The scan reported on: its history and id, which must be a scan of the company. Both or
    /// neither.
    pub scan: Option<(ScanSource, i64)>,
    /// The domain reported on (validated, lower-cased).
    pub domain: Option<String>,
    /// Its title, 1 to 255 characters.
    pub title: String,
    /// The report, 1 to 1 000 000 characters.
    pub report_text: String,
    /// Structured data (no U+0000).
    pub metadata: Option<serde_json::Value>,
    /// The model that wrote it, up to 100 characters.
    pub model: Option<String>,
    /// When it was generated; `None` for now.
    pub generated_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::{overall_compliance_score as score, ControlStatus::*};

    #[test]
    fn the_overall_score_is_the_rounded_mean_of_the_counted_controls() {
        assert_eq!(score([]), None);
        assert_eq!(score([(NotTested, None), (NotApplicable, Some(90))]), None);
        assert_eq!(
            score([(Passing, Some(90)), (NeedsReview, Some(61))]),
            Some(76)
        ); // 75.5
        assert_eq!(
            score([(Passing, Some(90)), (NeedsReview, Some(60))]),
            Some(75)
        );
        // A failing control counts 0 whatever its score; a failing one without a score too.
        assert_eq!(
            score([(Passing, Some(100)), (Failing, Some(100))]),
            Some(50)
        );
        assert_eq!(
            score([(Passing, Some(100)), (Failing, None), (Failing, None)]),
            Some(33)
        );
        assert_eq!(
            score(
                [(Passing, Some(100)); 3]
                    .into_iter()
                    .chain([(Failing, None)])
            ),
            Some(75)
        );
        assert_eq!(score([(Passing, Some(1)), (Passing, Some(2))]), Some(2)); // 1.5 up
    }
}
