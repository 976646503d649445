//! Whole rows into nerve-core's models: every conversion from a row type of
//! [`rows`](crate::rows) to what the contract returns, written and compiled once for both
//! drivers. Value sets arrive as nerve-core's enums and timestamps as `DateTime<Utc>`, so
//! each is a move of fields; a model that is not a whole row's image (a scan history's record,
//! which also names its source) is a method here.

use crate::rows::*;
use chrono::{DateTime, Utc};
use nerve_core::model::*;

// accounts and users: their hot reads select only the columns a model needs

/// A view: some of a table's columns as a struct that reads them by position
/// (`Queryable`), with `COLUMNS`, its fields' names in order, made from the same list, so that
/// a driver's column constant is checked against the fields themselves (a unit test in each
/// driver compares the constant's SQL with `COLUMNS`).
macro_rules! view {
    ($(#[$meta:meta])* pub struct $name:ident { $( $(#[$fmeta:meta])* pub $field:ident: $ty:ty, )* }) => {
        $(#[$meta])*
        #[derive(diesel::Queryable)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $name {
            /// The columns, in the fields' order.
            pub const COLUMNS: &'static [&'static str] = &[$(stringify!($field)),*];
        }
    };
}

view! {
    /// The columns of `users` a [`User`] is read from, in the order a driver selects them
    /// ([`UserView::COLUMNS`]).
    pub struct UserView {
        /// `users.id`.
        pub id: i64,
        /// `users.company_id`.
        pub company_id: i64,
        /// `users.email`.
        pub email: String,
        /// `users.full_name`.
        pub full_name: Option<String>,
        /// `users.role`.
        pub role: Role,
        /// `users.locked_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub locked_at: Option<DateTime<Utc>>,
        /// `users.locked_until`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub locked_until: Option<DateTime<Utc>>,
        /// `users.password_changed_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub password_changed_at: DateTime<Utc>,
        /// `users.last_login_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub last_login_at: Option<DateTime<Utc>>,
        /// `users.created_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub created_at: DateTime<Utc>,
        /// `users.updated_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub updated_at: DateTime<Utc>,
        /// `users.deleted_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub deleted_at: Option<DateTime<Utc>>,
        /// `users.is_active`.
        pub is_active: bool,
    }
}

impl From<UserView> for User {
    fn from(r: UserView) -> User {
        User {
            id: r.id,
            company_id: r.company_id,
            email: r.email,
            full_name: r.full_name,
            role: r.role,
            locked_at: r.locked_at,
            locked_until: r.locked_until,
            password_changed_at: r.password_changed_at,
            last_login_at: r.last_login_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

view! {
    /// The columns of `security_events` a [`SecurityEvent`] is read from, in the order a driver selects them
    /// ([`SecurityEventView::COLUMNS`]).
    pub struct SecurityEventView {
        /// `security_events.id`.
        pub id: i64,
        /// `security_events.company_id`.
        pub company_id: Option<i64>,
        /// `security_events.event_type`.
        pub event_type: SecurityEventType,
        /// `security_events.severity`.
        pub severity: Severity,
        /// `security_events.user_id`.
        pub user_id: Option<i64>,
        /// `security_events.email`.
        pub email: Option<String>,
        /// `security_events.ip_address`.
        pub ip_address: Option<String>,
        /// `security_events.user_agent`.
        pub user_agent: Option<String>,
        /// `security_events.location`.
        pub location: Option<String>,
        /// `security_events.description`.
        pub description: String,
        /// `security_events.metadata_json`.
        pub metadata_json: Option<serde_json::Value>,
        /// `security_events.acknowledged`.
        pub acknowledged: bool,
        /// `security_events.acknowledged_by`.
        pub acknowledged_by: Option<i64>,
        /// `security_events.acknowledged_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub acknowledged_at: Option<DateTime<Utc>>,
        /// `security_events.created_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub created_at: DateTime<Utc>,
    }
}

impl From<SecurityEventView> for SecurityEvent {
    fn from(r: SecurityEventView) -> Self {
        SecurityEvent {
            id: r.id,
            company_id: r.company_id,
            event_type: r.event_type,
            severity: r.severity,
            user_id: r.user_id,
            email: r.email,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            location: r.location,
            description: r.description,
            metadata: r.metadata_json,
            acknowledged: r.acknowledged,
            acknowledged_by: r.acknowledged_by,
            acknowledged_at: r.acknowledged_at,
            created_at: r.created_at,
        }
    }
}

view! {
    /// The columns of `sessions` a [`Session`] is read from, in the order a driver selects them
    /// ([`SessionView::COLUMNS`]).
    pub struct SessionView {
        /// `sessions.id`.
        pub id: i64,
        /// `sessions.user_id`.
        pub user_id: i64,
        /// `sessions.company_id`.
        pub company_id: i64,
        /// `sessions.token_hash`.
        pub token_hash: String,
        /// `sessions.ip_address`.
        pub ip_address: Option<String>,
        /// `sessions.user_agent`.
        pub user_agent: Option<String>,
        /// `sessions.created_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub created_at: DateTime<Utc>,
        /// `sessions.last_seen_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub last_seen_at: DateTime<Utc>,
        /// `sessions.expires_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub expires_at: DateTime<Utc>,
        /// `sessions.revoked_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub revoked_at: Option<DateTime<Utc>>,
    }
}

impl From<SessionView> for Session {
    fn from(r: SessionView) -> Self {
        Session {
            id: r.id,
            user_id: r.user_id,
            company_id: r.company_id,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

view! {
    /// The columns of `api_keys` a [`ApiKey`] is read from, in the order a driver selects them
    /// ([`ApiKeyView::COLUMNS`]).
    pub struct ApiKeyView {
        /// `api_keys.id`.
        pub id: i64,
        /// `api_keys.company_id`.
        pub company_id: i64,
        /// `api_keys.user_id`.
        pub user_id: i64,
        /// `api_keys.key_hash`.
        pub key_hash: String,
        /// `api_keys.key_prefix`.
        pub key_prefix: String,
        /// `api_keys.name`.
        pub name: String,
        /// `api_keys.permissions`.
        pub permissions: serde_json::Value,
        /// `api_keys.last_used_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub last_used_at: Option<DateTime<Utc>>,
        /// `api_keys.last_used_ip`.
        pub last_used_ip: Option<String>,
        /// `api_keys.usage_count`.
        pub usage_count: i64,
        /// `api_keys.created_at`.
        #[diesel(deserialize_as = crate::ReadTs)]
        pub created_at: DateTime<Utc>,
        /// `api_keys.expires_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub expires_at: Option<DateTime<Utc>>,
        /// `api_keys.revoked_at`.
        #[diesel(deserialize_as = crate::ReadNullableTs)]
        pub revoked_at: Option<DateTime<Utc>>,
    }
}

impl From<ApiKeyView> for ApiKey {
    fn from(r: ApiKeyView) -> Self {
        let scopes = scopes_of(&r.permissions);
        ApiKey {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            name: r.name,
            key_prefix: r.key_prefix,
            scopes,
            last_used_at: r.last_used_at,
            last_used_ip: r.last_used_ip,
            usage_count: r.usage_count,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        }
    }
}

impl From<LoginAttemptsRow> for LoginAttempt {
    fn from(r: LoginAttemptsRow) -> Self {
        LoginAttempt {
            id: r.id,
            email: r.email,
            user_id: r.user_id,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            success: r.success,
            failure: r.failure,
            attempted_at: r.attempted_at,
        }
    }
}

impl From<AuditLogsRow> for AuditLog {
    fn from(r: AuditLogsRow) -> Self {
        AuditLog {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            action: r.action,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            details: r.details,
            ip_address: r.ip_address,
            created_at: r.created_at,
        }
    }
}

/// The scopes a `permissions` JSON array grants (anything else grants none).
pub fn scopes_of(permissions: &serde_json::Value) -> Vec<String> {
    permissions
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

// companies

impl From<CompaniesRow> for Company {
    fn from(r: CompaniesRow) -> Company {
        Company {
            id: r.id,
            name: r.name,
            domain: r.domain,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

// attack_surface

impl From<CachedAsmScansRow> for CachedScan {
    fn from(r: CachedAsmScansRow) -> Self {
        CachedScan {
            id: r.id,
            domain: r.domain,
            scanned_at: r.scanned_at,
            risk_score: r.risk_score,
            risk_level: r.risk_level,
            total_cves: r.total_cves,
            critical_cves: r.critical_cves,
            vulnerabilities_found: r.vulnerabilities_found,
            open_ports_count: r.open_ports_count,
            scan_results: r.scan_results,
            user_id: r.user_id,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

/// The two histories' rows, one conversion (they have one shape).
macro_rules! record_from {
    ($row:ident) => {
        impl $row {
            /// This history row as a scan record from `source` (the table it was read from).
            pub fn record(self, source: ScanSource) -> ScanRecord {
                ScanRecord {
                    id: self.id,
                    source,
                    company_id: self.company_id,
                    user_id: self.user_id,
                    domain: self.domain,
                    status: self.status,
                    risk_score: self.risk_score,
                    risk_level: self.risk_level,
                    findings_count: self.findings_count,
                    scan_results: self.scan_results,
                    duration_ms: self.duration_ms,
                    scanned_at: self.scanned_at,
                    created_at: self.created_at,
                    updated_at: self.updated_at,
                    deleted_at: self.deleted_at,
                    is_active: self.is_active,
                }
            }
        }
    };
}
record_from!(XasmScanHistoryRow);
record_from!(LightboxScanHistoryRow);

impl From<AsmScansRow> for AsmScan {
    fn from(r: AsmScansRow) -> Self {
        AsmScan {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            domain: r.domain,
            status: r.status,
            risk_score: r.risk_score,
            risk_level: r.risk_level,
            scan_results: r.scan_results,
            error: r.error,
            started_at: r.started_at,
            completed_at: r.completed_at,
            created_at: r.created_at,
        }
    }
}

impl From<LightboxFindingsRow> for LightboxFinding {
    fn from(r: LightboxFindingsRow) -> Self {
        LightboxFinding {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            domain: r.domain,
            finding_type: r.finding_type,
            severity: r.severity,
            title: r.title,
            description: r.description,
            url: r.url,
            evidence: r.evidence,
            discovered_at: r.discovered_at,
            resolved_at: r.resolved_at,
        }
    }
}

macro_rules! result_from {
    ($row:ident) => {
        impl $row {
            /// This result row as a scan result from `source` (the table it was read from).
            pub fn result(self, source: ScanSource) -> ScanResult {
                ScanResult {
                    id: self.id,
                    scan_id: self.scan_id,
                    source,
                    domain: self.domain,
                    result_type: self.result_type,
                    severity: self.severity,
                    scan_results: self.scan_results,
                    created_at: self.created_at,
                }
            }
        }
    };
}
result_from!(ScanResultsXasmRow);
result_from!(ScanResultsLightboxRow);

// bait

impl From<BaitTokensRow> for BaitToken {
    fn from(r: BaitTokensRow) -> Self {
        BaitToken {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            token_type: r.token_type,
            token_value: r.token_value,
            label: r.label,
            description: r.description,
            access_count: r.access_count,
            last_accessed_at: r.last_accessed_at,
            metadata: r.metadata,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

impl From<BaitAccessesRow> for BaitAccess {
    fn from(r: BaitAccessesRow) -> Self {
        BaitAccess {
            id: r.id,
            token_id: r.token_id,
            company_id: r.company_id,
            ip_address: r.ip_address,
            user_agent: r.user_agent,
            location: r.location,
            raw_request: r.raw_request,
            token_was_active: r.token_was_active,
            accessed_at: r.accessed_at,
        }
    }
}

// compliance

impl From<ComplianceControlsRow> for Control {
    fn from(r: ComplianceControlsRow) -> Self {
        Control {
            id: r.id,
            assessment_id: r.assessment_id,
            control_id: r.control_id,
            control_name: r.control_name,
            control_category: r.control_category,
            status: r.status,
            compliance_score: r.compliance_score,
            scan_source: r.scan_source,
            scan_finding_type: r.scan_finding_type,
            scan_finding_id: r.scan_finding_id,
            scan_flagged_at: r.scan_flagged_at,
            scan_verified_at: r.scan_verified_at,
            scan_domain: r.scan_domain,
            status_before_scan: r.status_before_scan,
            evidence_summary: r.evidence_summary,
            remediation_notes: r.remediation_notes,
            assigned_to_user_id: r.assigned_to_user_id,
            last_reviewed: r.last_reviewed,
            next_review_date: r.next_review_date,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl From<ComplianceEvidenceRow> for Evidence {
    fn from(r: ComplianceEvidenceRow) -> Self {
        Evidence {
            id: r.id,
            control_id: r.control_id,
            company_id: r.company_id,
            uploaded_by_user_id: r.uploaded_by_user_id,
            file_reference: r.file_reference,
            file_name: r.file_name,
            sha256: r.sha256,
            description: r.description,
            uploaded_at: r.uploaded_at,
            deleted_at: r.deleted_at,
        }
    }
}

impl From<ComplianceControlMappingsRow> for ControlMapping {
    fn from(r: ComplianceControlMappingsRow) -> Self {
        ControlMapping {
            scan_source: r.scan_source,
            finding_type: r.finding_type,
            framework: r.framework,
            control_id: r.control_id,
            flag_status: r.flag_status,
        }
    }
}

impl From<VulnerabilityReportsRow> for VulnerabilityReport {
    fn from(r: VulnerabilityReportsRow) -> Self {
        VulnerabilityReport {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            scan_source: r.scan_source,
            scan_id: r.scan_id,
            domain: r.domain,
            title: r.title,
            report_text: r.report_text,
            metadata: r.metadata,
            model: r.model,
            generated_at: r.generated_at,
            created_at: r.created_at,
            deleted_at: r.deleted_at,
        }
    }
}

// ghost

impl From<GhostSearchQueriesRow> for GhostQuery {
    fn from(r: GhostSearchQueriesRow) -> Self {
        GhostQuery {
            id: r.id,
            user_id: r.user_id,
            query_type: r.query_type,
            query_value: r.query_value,
            results_count: r.results_count,
            search_sources: r.search_sources,
            response_time_ms: r.response_time_ms,
            searched_at: r.searched_at,
            created_at: r.created_at,
        }
    }
}

impl From<MonitoredEmailsRow> for MonitoredEmail {
    fn from(r: MonitoredEmailsRow) -> Self {
        MonitoredEmail {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            created_by_user_id: r.created_by_user_id,
            email_address: r.email_address,
            monitor_scope: r.monitor_scope,
            last_checked: r.last_checked,
            findings_count: r.findings_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

impl From<MonitoredEmailFindingsRow> for EmailFinding {
    fn from(r: MonitoredEmailFindingsRow) -> Self {
        EmailFinding {
            id: r.id,
            monitored_email_id: r.monitored_email_id,
            source: r.source,
            finding_key: r.finding_key,
            breach_name: r.breach_name,
            breach_date: r.breach_date,
            data_classes: r.data_classes,
            severity: r.severity,
            source_details: r.source_details,
            found_at: r.found_at,
        }
    }
}

impl From<GithubFindingsRow> for GithubFinding {
    fn from(r: GithubFindingsRow) -> Self {
        GithubFinding {
            id: r.id,
            monitored_email_id: r.monitored_email_id,
            source_url: r.source_url,
            repository: r.repository,
            file_path: r.file_path,
            matched_text: r.matched_text,
            severity: r.severity,
            committed_at: r.committed_at,
            found_at: r.found_at,
        }
    }
}

impl From<PastebinFindingsRow> for PasteFinding {
    fn from(r: PastebinFindingsRow) -> Self {
        PasteFinding {
            id: r.id,
            monitored_email_id: r.monitored_email_id,
            source_url: r.source_url,
            paste_title: r.paste_title,
            paste_author: r.paste_author,
            matched_text: r.matched_text,
            severity: r.severity,
            posted_at: r.posted_at,
            found_at: r.found_at,
        }
    }
}

impl From<OpsychSearchResultsRow> for OpsychResult {
    fn from(r: OpsychSearchResultsRow) -> Self {
        OpsychResult {
            id: r.id,
            monitored_email_id: r.monitored_email_id,
            source_url: r.source_url,
            platform: r.platform,
            username: r.username,
            display_name: r.display_name,
            details: r.details,
            found_at: r.found_at,
        }
    }
}

impl From<UploadedBreachFilesRow> for BreachFile {
    fn from(r: UploadedBreachFilesRow) -> Self {
        BreachFile {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            file_name: r.file_name,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            breach_name: r.breach_name,
            status: r.status,
            failure_reason: r.failure_reason,
            records_count: r.records_count,
            parsed_at: r.parsed_at,
            created_at: r.created_at,
        }
    }
}

impl From<BreachFileResultsRow> for BreachRecord {
    fn from(r: BreachFileResultsRow) -> Self {
        BreachRecord {
            id: r.id,
            file_id: r.file_id,
            email: r.email,
            username: r.username,
            password_masked: r.password_masked,
            password_sha256: r.password_sha256,
            domain: r.domain,
            source_line: r.source_line,
            extra_fields: r.extra_fields,
            created_at: r.created_at,
        }
    }
}

// osint

impl From<ProfilesRow> for Profile {
    fn from(r: ProfilesRow) -> Self {
        Profile {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            full_name: r.full_name,
            email: r.email,
            domain: r.domain,
            job_title: r.job_title,
            location: r.location,
            notes: r.notes,
            risk_score: r.risk_score,
            metadata: r.metadata,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

impl From<SocialMediaRow> for SocialAccount {
    fn from(r: SocialMediaRow) -> Self {
        SocialAccount {
            id: r.id,
            profile_id: r.profile_id,
            user_id: r.user_id,
            platform: r.platform,
            handle: r.handle,
            url: r.url,
            followers: r.followers,
            verified: r.verified,
            discovered_at: r.discovered_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

impl From<BreachesRow> for Breach {
    fn from(r: BreachesRow) -> Self {
        Breach {
            id: r.id,
            profile_id: r.profile_id,
            user_id: r.user_id,
            breach_name: r.breach_name,
            breach_date: r.breach_date,
            data_classes: r.data_classes,
            source: r.source,
            severity: r.severity,
            description: r.description,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

impl From<DevicesRow> for Device {
    fn from(r: DevicesRow) -> Self {
        Device {
            id: r.id,
            company_id: r.company_id,
            profile_id: r.profile_id,
            user_id: r.user_id,
            ip_address: r.ip_address,
            hostname: r.hostname,
            device_type: r.device_type,
            operating_system: r.operating_system,
            open_ports: r.open_ports,
            first_seen_at: r.first_seen_at,
            last_seen_at: r.last_seen_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

// roadmap

impl From<RoadmapProfilesRow> for RoadmapProfile {
    fn from(r: RoadmapProfilesRow) -> Self {
        RoadmapProfile {
            id: r.id,
            company_id: r.company_id.unwrap_or_default(),
            user_id: r.user_id,
            company_name: r.company_name,
            company_size: r.company_size,
            industry: r.industry,
            employee_count: r.employee_count,
            current_security_score: r.current_security_score.unwrap_or(0),
            target_security_score: r.target_security_score.unwrap_or(75),
            handles_pii: r.handles_pii.unwrap_or(false),
            handles_payment_data: r.handles_payment_data.unwrap_or(false),
            handles_health_data: r.handles_health_data.unwrap_or(false),
            handles_financial_data: r.handles_financial_data.unwrap_or(false),
            current_measures: r.current_measures,
            compliance_requirements: r.compliance_requirements,
            assessment_responses: r.assessment_responses,
            last_recalculated: r.last_recalculated,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

impl From<RoadmapTasksRow> for StoredLibraryTask {
    fn from(r: RoadmapTasksRow) -> Self {
        StoredLibraryTask {
            id: r.id,
            library_version: r.library_version,
            task: LibraryTask {
                task_id: r.task_id,
                title: r.title,
                description: r.description,
                category: r.category,
                phase: r.phase,
                priority: r.priority,
                points: r.points,
                estimated_effort: r.estimated_effort,
                applies_to: r.applies_to,
            },
        }
    }
}

impl From<RoadmapTaskLibraryMetaRow> for LibraryVersion {
    fn from(r: RoadmapTaskLibraryMetaRow) -> Self {
        LibraryVersion {
            version: r.version,
            task_count: r.task_count,
            checksum: r.checksum.unwrap_or_default(),
            notes: r.notes,
            loaded_at: r.loaded_at,
        }
    }
}

impl From<RoadmapUserTasksRow> for UserTask {
    fn from(r: RoadmapUserTasksRow) -> Self {
        UserTask {
            id: r.id,
            profile_id: r.profile_id,
            task_id: r.task_id,
            status: r.status,
            phase: r.phase,
            priority_order: r.priority_order,
            source: r.source,
            source_reference_id: r.source_reference_id,
            source_details: r.source_details,
            finding_type: r.finding_type,
            finding_severity: r.finding_severity,
            scan_domain: r.scan_domain,
            scan_date: r.scan_date,
            matched_threat_actor: r.matched_threat_actor,
            threat_actor_ttp: r.threat_actor_ttp,
            assigned_to_user_id: r.assigned_to_user_id,
            started_at: r.started_at,
            completed_at: r.completed_at,
            verified_at: r.verified_at,
            user_notes: r.user_notes,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
        }
    }
}

impl From<RoadmapAchievementsRow> for Achievement {
    fn from(r: RoadmapAchievementsRow) -> Self {
        Achievement {
            id: r.id,
            profile_id: r.profile_id,
            user_id: r.user_id,
            achievement_key: r.achievement_key,
            name: r.name,
            description: r.description,
            points: r.points,
            awarded_at: r.awarded_at,
        }
    }
}

impl From<RoadmapProgressHistoryRow> for ProgressSnapshot {
    fn from(r: RoadmapProgressHistoryRow) -> Self {
        ProgressSnapshot {
            id: r.id,
            profile_id: r.profile_id,
            security_score: r.security_score,
            tasks_total: r.tasks_total,
            tasks_not_started: r.tasks_not_started,
            tasks_in_progress: r.tasks_in_progress,
            tasks_completed: r.tasks_completed,
            tasks_verified: r.tasks_verified,
            recorded_at: r.recorded_at,
        }
    }
}

// uploads

impl From<UploadedFilesRow> for UploadedFile {
    fn from(r: UploadedFilesRow) -> Self {
        UploadedFile {
            id: r.id,
            company_id: r.company_id,
            user_id: r.user_id,
            file_name: r.file_name,
            size_bytes: r.size_bytes,
            sha256: r.sha256,
            mime_type: r.mime_type,
            status: r.status,
            failure_reason: r.failure_reason,
            parsed_at: r.parsed_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}

impl From<UploadedCredentialsRow> for UploadedCredential {
    fn from(r: UploadedCredentialsRow) -> Self {
        UploadedCredential {
            id: r.id,
            file_id: r.file_id,
            company_id: r.company_id,
            user_id: r.user_id,
            email: r.email,
            username: r.username,
            password_masked: r.password_masked,
            password_sha256: r.password_sha256,
            domain: r.domain,
            source_line: r.source_line,
            created_at: r.created_at,
            updated_at: r.updated_at,
            deleted_at: r.deleted_at,
            is_active: r.is_active,
        }
    }
}
