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
