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
