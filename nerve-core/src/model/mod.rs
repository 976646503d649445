//! The rows NERVE stores, as plain serde types, and the closed value sets (plain Rust enums)
//! that each driver maps to its own column type (a PostgreSQL ENUM, a CHECKed SQLite text).

mod accounts;
mod admin;
mod attack_surface;
mod bait;
mod company;
mod compliance;
mod ghost;
mod osint;
mod paging;
mod roadmap;
pub mod schema;
mod security;
mod uploads;
mod user;
mod value_set;

pub use accounts::{
    ApiKey, AuditLog, IssuedApiKey, IssuedSession, LoginAttempt, LoginFailure, LoginRequest,
    NewApiKey, NewAuditLog, NewSession, Session,
};
pub use admin::{
    DatabaseStats, HealthReport, HealthWarning, OperationStats, Orphan, PoolState, PostgresMetrics,
    ReplicaState, ServerMetrics, SessionState, SlowQuery, SqliteMetrics, TableStats, TableVacuum,
    WarningKind,
};
pub use attack_surface::{
    json_contains, AsmScan, CachedScan, LightboxFinding, NewAsmScan, NewCachedScan,
    NewLightboxFinding, NewScanRecord, NewScanResult, ScanRecord, ScanResult, ScanSource,
    ScanStatus,
};
pub use bait::{
    BaitAccess, BaitToken, BaitTokenType, NewBaitAccess, NewBaitToken, RecordedAccess, UploadStatus,
};
pub use company::{Company, CompanyUpdate, NewCompany};
pub use compliance::{
    overall_compliance_score, Assessment, AssessmentStatus, ComplianceFramework, Control,
    ControlMapping, ControlStatus, ControlUpdate, Evidence, NewAssessment, NewControl, NewEvidence,
    NewVulnerabilityReport, ScanFinding, VulnerabilityReport,
};
pub use ghost::{
    EmailFinding, GhostQuery, GhostQueryType, GithubFinding, MonitorScope, MonitoredEmail,
    NewEmailFinding, NewGhostQuery, NewGithubFinding, NewMonitoredEmail, NewOpsychResult,
    NewPasteFinding, OpsychResult, PasteFinding,
};
pub use osint::{
    Breach, Device, NewBreach, NewDevice, NewProfile, NewSocialAccount, Profile, ProfileSearch,
    ProfileUpdate, SocialAccount, SocialPlatform,
};
pub use paging::{Deleted, Page};
pub use roadmap::{
    library_checksum, security_score, Achievement, Award, LibraryLoad, LibraryTask, LibraryVersion,
    NewAchievement, NewRoadmapProfile, NewUserTask, ProgressSnapshot, RoadmapProfile,
    StoredLibraryTask, TaskSource, TaskStatus, UserTask, UNLISTED_TASK_POINTS,
};
pub use schema::{
    ColumnDescription, ForeignKeyDescription, IndexDescription, SchemaDescription,
    TableDescription, ValueSetDescription,
};
pub use security::{EventFilter, NewSecurityEvent, SecurityEvent, SecurityEventType, Severity};
pub use uploads::{
    BreachFile, BreachRecord, NewBreachFile, NewBreachRecord, NewCredential, NewUploadedFile,
    StoredCredential, UploadedCredential, UploadedFile,
};
pub use user::{NewUser, Role, User, UserUpdate};
pub use value_set::{UnknownValue, ValueSet};

/// Every closed value set of the contract: `(type name, values in order)`. A SQLite column
/// CHECKed to exactly these values is described as that value set. Keep it in step with
/// nerve-diesel's `value_sets!` list: the parity test fails when a set is missing here.
pub fn value_sets() -> Vec<(&'static str, Vec<&'static str>)> {
    fn of<T: ValueSet>() -> (&'static str, Vec<&'static str>) {
        (T::TYPE_NAME, T::ALL.iter().map(|v| v.as_str()).collect())
    }
    vec![
        of::<Role>(),
        of::<Severity>(),
        of::<SecurityEventType>(),
        of::<LoginFailure>(),
        of::<SocialPlatform>(),
        of::<BaitTokenType>(),
        of::<UploadStatus>(),
        of::<ScanStatus>(),
        of::<GhostQueryType>(),
        of::<MonitorScope>(),
        of::<ScanSource>(),
        of::<ComplianceFramework>(),
        of::<AssessmentStatus>(),
        of::<ControlStatus>(),
        of::<TaskStatus>(),
        of::<TaskSource>(),
    ]
}
