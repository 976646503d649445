use super::value_set::value_set;

value_set! {
    /// Where a roadmap task stands: not started, in progress, completed, verified.
    pub enum TaskStatus as "task_status" {
        /// Not started.
        NotStarted = "not_started",
        /// Being worked on.
        InProgress = "in_progress",
        /// Done, by the user's word.
        Completed = "completed",
        /// Done and checked.
        Verified = "verified",
    }
}

value_set! {
    /// Why a task is on a roadmap.
    pub enum TaskSource as "task_source" {
        /// From the master task library.
        Library = "library",
        /// From a scan finding.
        Scan = "scan",
        /// From a threat actor's known techniques.
        ThreatActor = "threat_actor",
        /// Added by hand.
        Manual = "manual",
    }
}

use super::Severity;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

impl TaskStatus {
    /// The one status a task may move to from this one: not_started → in_progress →
    /// completed → verified; `None` after verified.
    pub fn next(self) -> Option<TaskStatus> {
        match self {
            TaskStatus::NotStarted => Some(TaskStatus::InProgress),
            TaskStatus::InProgress => Some(TaskStatus::Completed),
            TaskStatus::Completed => Some(TaskStatus::Verified),
            TaskStatus::Verified => None,
        }
    }
}

/// A company's security profile, the root of its roadmap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoadmapProfile {
    /// Identity.
    pub id: i64,
    /// The owning company.
    pub company_id: i64,
    /// Who created it.
    pub user_id: Option<i64>,
    /// The company's name as the roadmap shows it.
    pub company_name: String,
    /// A size band such as `1-10` or `51-200`.
    pub company_size: Option<String>,
    /// The industry.
    pub industry: Option<String>,
    /// Number of employees.
    pub employee_count: Option<i64>,
    /// The score of its tasks by [`security_score`], 0 to 100; kept equal to that rule by every
    /// change to its tasks and, while the profile is live, by every library load (a
    /// soft-deleted profile keeps the score it had).
    pub current_security_score: i64,
    /// The score aimed at, 0 to 100.
    pub target_security_score: i64,
    /// Whether it handles personal data.
    pub handles_pii: bool,
    /// Whether it handles payment card data.
    pub handles_payment_data: bool,
    /// Whether it handles health data.
    pub handles_health_data: bool,
    /// Whether it handles financial data.
    pub handles_financial_data: bool,
    /// Security measures already in place.
    pub current_measures: Option<serde_json::Value>,
    /// Compliance requirements it must meet.
    pub compliance_requirements: Option<serde_json::Value>,
    /// Answers to the onboarding questionnaire.
    pub assessment_responses: Option<serde_json::Value>,
    /// When the score was last recomputed.
    pub last_recalculated: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The values of a new security profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewRoadmapProfile {
    /// Who creates it: a live user of the company.
    pub user_id: Option<i64>,
    /// The company's name as the roadmap shows it, 1 to 255 characters.
    pub company_name: String,
    /// A size band, up to 50 characters.
    pub company_size: Option<String>,
    /// The industry, up to 100 characters.
    pub industry: Option<String>,
    /// Number of employees, not negative.
    pub employee_count: Option<i64>,
    /// The score aimed at, 0 to 100; `None` for 75.
    pub target_security_score: Option<i64>,
    /// Whether it handles personal data.
    pub handles_pii: bool,
    /// Whether it handles payment card data.
    pub handles_payment_data: bool,
    /// Whether it handles health data.
    pub handles_health_data: bool,
    /// Whether it handles financial data.
    pub handles_financial_data: bool,
    /// Security measures already in place (no U+0000).
    pub current_measures: Option<serde_json::Value>,
    /// Compliance requirements (no U+0000).
    pub compliance_requirements: Option<serde_json::Value>,
    /// Questionnaire answers (no U+0000).
    pub assessment_responses: Option<serde_json::Value>,
}

/// A task of the master library, as loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryTask {
    /// The task's key, 1 to 100 characters, stable across library versions; users' tasks
    /// refer to it.
    pub task_id: String,
    /// Its title, 1 to 255 characters.
    pub title: String,
    /// What to do.
    pub description: Option<String>,
    /// Its category, up to 100 characters.
    pub category: Option<String>,
    /// Its phase, 1 or more.
    pub phase: i64,
    /// Its priority.
    pub priority: Severity,
    /// What completing it is worth, 0 or more: its weight in [`security_score`].
    pub points: i64,
    /// Effort in words, up to 50 characters.
    pub estimated_effort: Option<String>,
    /// Which profiles it applies to (no U+0000).
    pub applies_to: Option<serde_json::Value>,
}

/// The checksum of a library's tasks: SHA-256 (hex) of their canonical JSON (keys sorted, no
/// white space), in the order given. Stored with each version loaded.
pub fn library_checksum(tasks: &[LibraryTask]) -> String {
    let value = serde_json::to_value(tasks).unwrap_or(serde_json::Value::Null);
    crate::secret::sha256_hex(&crate::transfer::canonical_json(&value))
}

/// A library task as stored: the version that last loaded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredLibraryTask {
    /// Identity.
    pub id: i64,
    /// The library version that last wrote it.
    pub library_version: String,
    /// The task.
    pub task: LibraryTask,
}

/// A library version loaded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryVersion {
    /// The version, 1 to 20 characters.
    pub version: String,
    /// How many tasks it has.
    pub task_count: i64,
    /// SHA-256 (hex) of its tasks as canonical JSON, so reloading the same version can be told
    /// apart from loading a different library under the same name.
    pub checksum: String,
    /// Notes on it.
    pub notes: Option<String>,
    /// When it was loaded (the clock).
    pub loaded_at: DateTime<Utc>,
}

/// What loading a library version did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryLoad {
    /// The version recorded.
    pub version: LibraryVersion,
    /// Tasks new to the library.
    pub added: u64,
    /// Live tasks whose values this version rewrote.
    pub updated: u64,
    /// Live tasks absent from this version, now soft-deleted (users' tasks keep them).
    pub retired: u64,
    /// `false` when this exact version had been loaded before and nothing changed.
    pub loaded: bool,
}

/// A task on a profile's roadmap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserTask {
    /// Identity.
    pub id: i64,
    /// The profile.
    pub profile_id: i64,
    /// The task's key (a library task's, or one of its own for scan, threat-actor and manual
    /// tasks); once per profile among live tasks.
    pub task_id: String,
    /// Where it stands.
    pub status: TaskStatus,
    /// Its phase.
    pub phase: Option<i64>,
    /// Its place in the roadmap's order.
    pub priority_order: Option<i64>,
    /// Why it is on the roadmap.
    pub source: Option<TaskSource>,
    /// The scan, finding or threat actor it came from: the caller's reference (an id in the
    /// source's own table), stored as given and not checked by the store.
    pub source_reference_id: Option<i64>,
    /// More about its source.
    pub source_details: Option<serde_json::Value>,
    /// The finding type, for a scan task.
    pub finding_type: Option<String>,
    /// The finding's severity, for a scan task.
    pub finding_severity: Option<Severity>,
    /// The domain scanned, for a scan task.
    pub scan_domain: Option<String>,
    /// When the scan ran, for a scan task.
    pub scan_date: Option<DateTime<Utc>>,
    /// The threat actor, for a threat-actor task.
    pub matched_threat_actor: Option<String>,
    /// The actor's tactics, techniques and procedures, for a threat-actor task.
    pub threat_actor_ttp: Option<serde_json::Value>,
    /// Who is responsible.
    pub assigned_to_user_id: Option<i64>,
    /// When it moved to in_progress.
    pub started_at: Option<DateTime<Utc>>,
    /// When it moved to completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it moved to verified.
    pub verified_at: Option<DateTime<Utc>>,
    /// The user's notes.
    pub user_notes: Option<String>,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// When it was soft-deleted; `None` while live.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// The values of a new roadmap task (status not_started).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewUserTask {
    /// The task's key, 1 to 100 characters; for [`TaskSource::Library`] a live library task.
    pub task_id: String,
    /// Its phase, 1 or more; `None` for the library task's phase, or 1.
    pub phase: Option<i64>,
    /// Its place in the roadmap's order.
    pub priority_order: Option<i64>,
    /// Why it is on the roadmap.
    pub source: Option<TaskSource>,
    /// The scan, finding or threat actor it came from: an opaque reference, stored as given
    /// (not checked against any table, so it proves nothing about ownership).
    pub source_reference_id: Option<i64>,
    /// More about its source (no U+0000).
    pub source_details: Option<serde_json::Value>,
    /// The finding type, up to 100 characters.
    pub finding_type: Option<String>,
    /// The finding's severity.
    pub finding_severity: Option<Severity>,
    /// The domain scanned (validated, lower-cased).
    pub scan_domain: Option<String>,
    /// When the scan ran.
    pub scan_date: Option<DateTime<Utc>>,
    /// The threat actor, up to 255 characters.
    pub matched_threat_actor: Option<String>,
    /// The actor's TTPs (no U+0000).
    pub threat_actor_ttp: Option<serde_json::Value>,
    /// Who is responsible: a live user of the company.
    pub assigned_to_user_id: Option<i64>,
    /// The user's notes, up to 10000 characters.
    pub user_notes: Option<String>,
}

/// An achievement a profile earned, once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Achievement {
    /// Identity.
    pub id: i64,
    /// The profile.
    pub profile_id: i64,
    /// Who earned it.
    pub user_id: Option<i64>,
    /// The achievement's key, once per profile.
    pub achievement_key: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// What it is worth.
    pub points: i64,
    /// When it was first awarded.
    pub awarded_at: DateTime<Utc>,
}

/// The values of an achievement to award.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAchievement {
    /// Who earned it: a live user of the company.
    pub user_id: Option<i64>,
    /// Its key, 1 to 100 characters.
    pub achievement_key: String,
    /// Its name, 1 to 255 characters.
    pub name: String,
    /// What it is for, up to 2000 characters.
    pub description: Option<String>,
    /// What it is worth, 0 or more.
    pub points: i64,
}

/// The outcome of awarding an achievement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Award {
    /// The profile's achievement: the one just stored, or the one stored before.
    pub achievement: Achievement,
    /// `true` when this call stored it; `false` when the profile already had it.
    pub newly_awarded: bool,
}

/// A snapshot of a profile's progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgressSnapshot {
    /// Identity.
    pub id: i64,
    /// The profile.
    pub profile_id: i64,
    /// Its security score at the time.
    pub security_score: i64,
    /// Its live tasks.
    pub tasks_total: i64,
    /// Of which not started.
    pub tasks_not_started: i64,
    /// Of which in progress.
    pub tasks_in_progress: i64,
    /// Of which completed.
    pub tasks_completed: i64,
    /// Of which verified.
    pub tasks_verified: i64,
    /// When it was taken (the clock).
    pub recorded_at: DateTime<Utc>,
}

/// The weight of a roadmap task whose key has no live library task (scan, threat-actor and
/// manual tasks, or tasks retired from the library): what such a task counts in
/// [`security_score`].
pub const UNLISTED_TASK_POINTS: i64 = 10;

/// A profile's security score from its live tasks, the one rule every backend applies: each
/// task weighs the points of the live library task with its key, or
/// [`UNLISTED_TASK_POINTS`] when the library has none; a verified task earns its whole weight,
/// a completed one half of it, others nothing. The score is 100 × earned ÷ total weight,
/// rounded half up to a whole number; 0 when the total weight is 0 (no tasks, or only
/// 0-point ones).
pub fn security_score(tasks: impl IntoIterator<Item = (TaskStatus, i64)>) -> i64 {
    // In half-points, so the halves of completed tasks stay whole numbers.
    let (mut earned, mut total) = (0_i128, 0_i128);
    for (status, weight) in tasks {
        let w = i128::from(weight.max(0));
        total += 2 * w;
        earned += match status {
            TaskStatus::Verified => 2 * w,
            TaskStatus::Completed => w,
            _ => 0,
        };
    }
    if total == 0 {
        return 0;
    }
    // Half up: floor(100 earned / total + 1/2) = floor((200 earned + total) / 2 total).
    ((200 * earned + total) / (2 * total)) as i64
}

#[cfg(test)]
mod tests {
    use super::{security_score as score, TaskStatus::*};

    #[test]
    fn the_security_score_weighs_verified_whole_and_completed_half() {
        assert_eq!(score([]), 0);
        assert_eq!(score([(Verified, 0), (Completed, 0)]), 0);
        assert_eq!(score([(Verified, 10), (NotStarted, 10)]), 50);
        assert_eq!(score([(Completed, 10), (NotStarted, 10)]), 25);
        assert_eq!(
            score([(Completed, 10), (InProgress, 10), (Verified, 10)]),
            50
        );
        // 100 * 1 / 3 = 33.3 -> 33; 100 * 2 / 3 = 66.7 -> 67; 12.5 -> 13 (half up).
        assert_eq!(score([(Verified, 1), (NotStarted, 2)]), 33);
        assert_eq!(score([(Verified, 2), (NotStarted, 1)]), 67);
        assert_eq!(score([(Completed, 1), (NotStarted, 3)]), 13);
        assert_eq!(score([(Verified, 5); 4]), 100);
    }

    #[test]
    fn a_task_moves_one_step_at_a_time() {
        assert_eq!(NotStarted.next(), Some(InProgress));
        assert_eq!(InProgress.next(), Some(Completed));
        assert_eq!(Completed.next(), Some(Verified));
        assert_eq!(Verified.next(), None);
    }
}
