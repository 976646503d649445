//! The security roadmap: company security profiles, the versioned master task library, the
//! tasks on each profile's roadmap, achievements and progress snapshots.

use crate::error::Result;
use crate::model::{
    Achievement, Award, LibraryLoad, LibraryTask, LibraryVersion, NewAchievement,
    NewRoadmapProfile, NewUserTask, Page, ProgressSnapshot, RoadmapProfile, StoredLibraryTask,
    TaskStatus, UserTask,
};
use chrono::{DateTime, Utc};

/// Roadmaps per company, and the library they draw on.
///
/// Profiles, tasks, achievements and snapshots are company-owned (through the profile): a row
/// of another company is [`Error::NotFound`](crate::Error::NotFound), and while the company is
/// soft-deleted all of it is out of reach. The library is shared by every company. Lists are
/// keyset pages in ascending id order unless said otherwise. Every method is atomic.
///
/// **Score.** A profile's `current_security_score` is
/// [`security_score`](crate::model::security_score) of its live tasks, recomputed (and
/// `last_recalculated` set) in the same transaction as every change to its tasks and, for
/// every live profile, by every library load that changes the library.
///
/// **Status.** A task moves not_started → in_progress → completed → verified, one step at a
/// time; see [`set_task_status`](Self::set_task_status).
pub trait RoadmapStore {
    /// Creates a security profile for the live company (score 0). Errors:
    /// [`Error::Validation`](crate::Error::Validation) on `roadmap_profiles.*`;
    /// [`Error::NotFound`](crate::Error::NotFound) for the company or the user.
    fn create_profile(&self, company_id: i64, new: &NewRoadmapProfile) -> Result<RoadmapProfile>;

    /// The live profile `id`.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_profile(&self, company_id: i64, id: i64) -> Result<RoadmapProfile>;

    /// One page of the company's live profiles.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_profiles(&self, company_id: i64, page: Page) -> Result<Vec<RoadmapProfile>>;

    /// Soft-deletes the live profile (its tasks, achievements and snapshots stay, hidden with
    /// it).
    fn delete_profile(&self, company_id: i64, id: i64) -> Result<()>;

    /// Loads library `version`: every task given is written (added, or its live row rewritten
    /// with this version's values), every live task absent from it is retired (soft-deleted);
    /// users' tasks refer to tasks by key and keep their states. The version is recorded with
    /// its task count and checksum, and every live profile's score recomputed (the weights may
    /// have changed). Loading a version already loaded with the same tasks changes nothing
    /// (`loaded: false`). Errors: [`Error::Validation`](crate::Error::Validation) on
    /// `roadmap_tasks.*` (naming the task) or `roadmap_task_library_meta.version`, and on
    /// `roadmap_tasks.task_id` when a key appears twice; [`Error::Conflict`](crate::Error::Conflict)
    /// on `roadmap_task_library_meta.version` when the version was loaded before with other
    /// tasks.
    fn load_task_library(
        &self,
        version: &str,
        tasks: &[LibraryTask],
        notes: Option<&str>,
    ) -> Result<LibraryLoad>;

    /// One page of the live library tasks.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn library_tasks(&self, page: Page) -> Result<Vec<StoredLibraryTask>>;

    /// The library versions loaded, in load order.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn library_versions(&self) -> Result<Vec<LibraryVersion>>;

    /// Puts a task on the live profile's roadmap (status not_started) and recomputes its score.
    /// Errors: [`Error::Validation`](crate::Error::Validation) on `roadmap_user_tasks.*`;
    /// [`Error::NotFound`](crate::Error::NotFound) on `roadmap_tasks` for a library-sourced
    /// task with no live library task of its key; [`Error::Conflict`](crate::Error::Conflict)
    /// on `roadmap_user_tasks.task_id` when the profile has a live task with the key.
    fn add_task(&self, company_id: i64, profile_id: i64, new: &NewUserTask) -> Result<UserTask>;

    /// The live task `id` of a live profile of the company.
    ///
    /// *Primary read* ([where reads go](crate::store#where-reads-go)).
    fn get_task(&self, company_id: i64, id: i64) -> Result<UserTask>;

    /// One page of the live profile's live tasks, of `status` when given.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_tasks(
        &self,
        company_id: i64,
        profile_id: i64,
        status: Option<TaskStatus>,
        page: Page,
    ) -> Result<Vec<UserTask>>;

    /// Moves the live task to `status` and recomputes the profile's score; the matching
    /// `started_at` / `completed_at` / `verified_at` is set to now. Only the next step of
    /// not_started → in_progress → completed → verified is allowed; setting the status the
    /// task has already changes nothing and returns it. Errors:
    /// [`Error::Validation`](crate::Error::Validation) on `roadmap_user_tasks.status` for any
    /// other move, naming both statuses.
    fn set_task_status(&self, company_id: i64, id: i64, status: TaskStatus) -> Result<UserTask>;

    /// Soft-deletes the live task and recomputes the profile's score.
    fn remove_task(&self, company_id: i64, id: i64) -> Result<()>;

    /// Awards an achievement to the live profile once: the first call stores it
    /// (`newly_awarded`), later ones — concurrent ones included — return the stored one and
    /// change nothing. Errors: [`Error::Validation`](crate::Error::Validation) on
    /// `roadmap_achievements.*`.
    fn award_achievement(
        &self,
        company_id: i64,
        profile_id: i64,
        new: &NewAchievement,
    ) -> Result<Award>;

    /// One page of the live profile's achievements.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn list_achievements(
        &self,
        company_id: i64,
        profile_id: i64,
        page: Page,
    ) -> Result<Vec<Achievement>>;

    /// Takes a snapshot of the live profile now: its score and its live tasks counted by
    /// status.
    fn record_progress(&self, company_id: i64, profile_id: i64) -> Result<ProgressSnapshot>;

    /// The live profile's snapshots taken at or after `since` (all when `None`), as a time
    /// series: ascending `recorded_at`, then id. [`Page::after`] takes the last id seen.
    ///
    /// *Replica read* ([where reads go](crate::store#where-reads-go)).
    fn progress_history(
        &self,
        company_id: i64,
        profile_id: i64,
        since: Option<DateTime<Utc>>,
        page: Page,
    ) -> Result<Vec<ProgressSnapshot>>;
}
