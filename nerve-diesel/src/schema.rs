//! [`tables!`] and [`value_sets!`]: the one logical schema both drivers expand.
//!
//! Each driver's `schema` module defines `sql_types::Ts` (its timestamp-with-time-zone type),
//! `sql_types::Doc` (its JSON document type) and the value-set SQL types (with
//! [`value_sets!`]), then expands [`tables!`]: the columns, their nullability and the joins
//! are written once, so the two drivers cannot disagree about them.

/// Every closed value set: its driver-local SQL type, its nerve-core enum and its PostgreSQL
/// ENUM name. `value_sets!(types postgres)` / `value_sets!(types sqlite)` define the SQL types
/// (native ENUM, or CHECKed text); `value_sets!(impls DB, PATH)` maps each enum to the type
/// at `PATH` for backend `DB` (see [`value_set_sql!`]), in the module holding the driver's `Db`.
#[macro_export]
macro_rules! value_sets {
    (@list [types postgres] $($t:ident, $r:ident, $pg:literal;)*) => {
        $(
            #[doc = concat!("The native ENUM type `", $pg, "`.")]
            #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
            #[diesel(postgres_type(name = $pg))]
            pub struct $t;
        )*
    };
    (@list [types sqlite] $($t:ident, $r:ident, $pg:literal;)*) => {
        $(
            #[doc = concat!("Text CHECKed to the values of the PostgreSQL ENUM `", $pg, "`.")]
            #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
            #[diesel(sqlite_type(name = "Text"))]
            pub struct $t;
        )*
    };
    (@list [impls $db:ty, $($p:ident)::+] $($t:ident, $r:ident, $pg:literal;)*) => {
        const _: () = {
            use $($p)::+ as value_set_types;
            $( $crate::value_set_sql!($crate::nerve_core::model::$r => value_set_types::$t, $db); )*
        };
    };
    ($($mode:tt)*) => {
        $crate::value_sets!(@list [$($mode)*]
            UserRole, Role, "user_role";
            Severity, Severity, "severity";
            SecurityEventType, SecurityEventType, "security_event_type";
            LoginFailure, LoginFailure, "login_failure";
            SocialPlatform, SocialPlatform, "social_platform";
            BaitTokenType, BaitTokenType, "bait_token_type";
            UploadStatus, UploadStatus, "upload_status";
            ScanStatus, ScanStatus, "scan_status";
            GhostQueryType, GhostQueryType, "ghost_query_type";
            MonitorScope, MonitorScope, "monitor_scope";
            ScanSource, ScanSource, "scan_source";
            ComplianceFramework, ComplianceFramework, "compliance_framework";
            AssessmentStatus, AssessmentStatus, "assessment_status";
            ControlStatus, ControlStatus, "control_status";
            TaskStatus, TaskStatus, "task_status";
            TaskSource, TaskSource, "task_source";
        );
    };
}

/// Every table of the NERVE schema, written once: `table (key) RowType { column -> SqlType [max
/// characters], ... }` (the limit, for limited text, is the migrations' VARCHAR(N) /
/// `length(col) <= N`; the round-trip test holds the two equal).
///
/// `tables!(conn = CONNECTION, bind = DB, after_explicit_ids = HOOK)`, expanded in a driver's `schema`
/// module (which must define `sql_types` as described in this module's documentation), makes
/// from that one list:
/// - a Diesel `table!` per table, the joins, and `allow_tables_to_appear_in_same_query!`;
/// - `rows`: a row type per table (`<CamelCaseTable>Row`: every column, in table order, as its
///   Rust type, value sets wrapped in the driver's `DB` newtype (see `value_set_sql!`), which the
///   module must have in scope;
///   `Queryable`, `Selectable`, `Insertable`, `Serialize`), and `rows::insert_json` /
///   `rows::get_json` which move whole rows of any table as JSON through those types (what
///   the contract's `RawRows` is). `HOOK(conn, table)` runs after a row is inserted with its
///   id given (PostgreSQL moves the identity past it; SQLite needs nothing).
/// - with `each_table = MACRO`, `MACRO! { table [column ...] ... }`: the driver's own per-table
///   code (PostgreSQL's COPY, which Diesel only does into a static table).
#[macro_export]
macro_rules! tables {
    (conn = $conn:ty, bind = $bind:ident, after_explicit_ids = $hook:path $(, each_table = $each:ident)?) => {
        $crate::tables!(@expand [$conn, $hook, $bind, $($each)?]
        companies (id) CompaniesRow {
            id -> BigInt,
            name -> Text [255],
            domain -> Nullable<Text> [253],
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        users (id) UsersRow {
            id -> BigInt,
            company_id -> BigInt,
            email -> Text [254],
            password_hash -> Text [255],
            full_name -> Nullable<Text> [255],
            role -> UserRole,
            locked_at -> Nullable<Ts>,
            locked_until -> Nullable<Ts>,
            password_changed_at -> Ts,
            last_login_at -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            failures_reset_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        sessions (id) SessionsRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> BigInt,
            token_hash -> Text [64],
            ip_address -> Nullable<Text> [45],
            user_agent -> Nullable<Text> [1000],
            created_at -> Ts,
            last_seen_at -> Ts,
            expires_at -> Ts,
            revoked_at -> Nullable<Ts>,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        password_history (id) PasswordHistoryRow {
            id -> BigInt,
            user_id -> BigInt,
            password_hash -> Text [255],
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        login_attempts (id) LoginAttemptsRow {
            id -> BigInt,
            email -> Text [254],
            user_id -> Nullable<BigInt>,
            ip_address -> Nullable<Text> [45],
            user_agent -> Nullable<Text> [1000],
            success -> Bool,
            failure -> Nullable<LoginFailure>,
            attempted_at -> Ts,
        }
        audit_logs (id) AuditLogsRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            action -> Text [100],
            entity_type -> Nullable<Text> [100],
            entity_id -> Nullable<BigInt>,
            details -> Nullable<Doc>,
            ip_address -> Nullable<Text> [45],
            created_at -> Ts,
        }
        security_events (id) SecurityEventsRow {
            id -> BigInt,
            company_id -> Nullable<BigInt>,
            event_type -> SecurityEventType,
            severity -> Severity,
            user_id -> Nullable<BigInt>,
            email -> Nullable<Text> [255],
            ip_address -> Nullable<Text> [45],
            user_agent -> Nullable<Text>,
            location -> Nullable<Text> [255],
            description -> Text,
            metadata_json -> Nullable<Doc>,
            acknowledged -> Bool,
            acknowledged_by -> Nullable<BigInt>,
            acknowledged_at -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        api_keys (id) ApiKeysRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> BigInt,
            key_hash -> Text [255],
            key_prefix -> Text [8],
            name -> Text [100],
            permissions -> Doc,
            last_used_at -> Nullable<Ts>,
            last_used_ip -> Nullable<Text> [45],
            usage_count -> BigInt,
            created_at -> Ts,
            expires_at -> Nullable<Ts>,
            revoked_at -> Nullable<Ts>,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        profiles (id) ProfilesRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            full_name -> Text [255],
            email -> Nullable<Text> [254],
            domain -> Nullable<Text> [253],
            job_title -> Nullable<Text> [255],
            location -> Nullable<Text> [255],
            notes -> Nullable<Text>,
            risk_score -> BigInt,
            metadata -> Nullable<Doc>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
            name_folded -> Text,
        }
        social_media (id) SocialMediaRow {
            id -> BigInt,
            profile_id -> BigInt,
            user_id -> Nullable<BigInt>,
            platform -> SocialPlatform,
            handle -> Text [255],
            url -> Nullable<Text> [2048],
            followers -> Nullable<BigInt>,
            verified -> Bool,
            discovered_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        breaches (id) BreachesRow {
            id -> BigInt,
            profile_id -> BigInt,
            user_id -> Nullable<BigInt>,
            breach_name -> Text [255],
            breach_date -> Nullable<Ts>,
            data_classes -> Doc,
            source -> Nullable<Text> [100],
            severity -> Severity,
            description -> Nullable<Text>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        devices (id) DevicesRow {
            id -> BigInt,
            company_id -> BigInt,
            profile_id -> Nullable<BigInt>,
            user_id -> Nullable<BigInt>,
            ip_address -> Text [45],
            hostname -> Nullable<Text> [253],
            device_type -> Nullable<Text> [100],
            operating_system -> Nullable<Text> [100],
            open_ports -> Doc,
            first_seen_at -> Ts,
            last_seen_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        bait_tokens (id) BaitTokensRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            token_type -> BaitTokenType,
            token_value -> Text [512],
            label -> Text [255],
            description -> Nullable<Text>,
            access_count -> BigInt,
            last_accessed_at -> Nullable<Ts>,
            metadata -> Nullable<Doc>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        bait_accesses (id) BaitAccessesRow {
            id -> BigInt,
            token_id -> BigInt,
            company_id -> BigInt,
            ip_address -> Nullable<Text> [45],
            user_agent -> Nullable<Text> [1000],
            location -> Nullable<Text> [255],
            raw_request -> Nullable<Doc>,
            token_was_active -> Bool,
            accessed_at -> Ts,
        }
        uploaded_files (id) UploadedFilesRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            file_name -> Text [255],
            size_bytes -> BigInt,
            sha256 -> Text [64],
            mime_type -> Nullable<Text> [255],
            status -> UploadStatus,
            failure_reason -> Nullable<Text>,
            parsed_at -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        uploaded_credentials (id) UploadedCredentialsRow {
            id -> BigInt,
            file_id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            email -> Nullable<Text> [254],
            username -> Nullable<Text> [255],
            password_masked -> Nullable<Text> [255],
            password_sha256 -> Nullable<Text> [64],
            domain -> Nullable<Text> [253],
            source_line -> Nullable<BigInt>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        asm_scans (id) AsmScansRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            domain -> Text [253],
            status -> ScanStatus,
            risk_score -> BigInt,
            risk_level -> Nullable<Severity>,
            scan_results -> Nullable<Doc>,
            error -> Nullable<Text>,
            started_at -> Ts,
            completed_at -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        lightbox_findings (id) LightboxFindingsRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            domain -> Text [253],
            finding_type -> Text [100],
            severity -> Severity,
            title -> Text [255],
            description -> Nullable<Text>,
            url -> Nullable<Text> [2048],
            evidence -> Nullable<Doc>,
            discovered_at -> Ts,
            resolved_at -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        cached_asm_scans (id) CachedAsmScansRow {
            id -> BigInt,
            domain -> Text [255],
            scanned_at -> Nullable<Ts>,
            risk_score -> Nullable<BigInt>,
            risk_level -> Nullable<Severity>,
            total_cves -> Nullable<BigInt>,
            critical_cves -> Nullable<BigInt>,
            vulnerabilities_found -> Nullable<BigInt>,
            open_ports_count -> Nullable<BigInt>,
            scan_results -> Nullable<Doc>,
            user_id -> Nullable<BigInt>,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        xasm_scan_history (id) XasmScanHistoryRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            domain -> Text [253],
            status -> ScanStatus,
            risk_score -> Nullable<BigInt>,
            risk_level -> Nullable<Severity>,
            findings_count -> BigInt,
            scan_results -> Doc,
            duration_ms -> Nullable<BigInt>,
            scanned_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        lightbox_scan_history (id) LightboxScanHistoryRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            domain -> Text [253],
            status -> ScanStatus,
            risk_score -> Nullable<BigInt>,
            risk_level -> Nullable<Severity>,
            findings_count -> BigInt,
            scan_results -> Doc,
            duration_ms -> Nullable<BigInt>,
            scanned_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        scan_results_xasm (id) ScanResultsXasmRow {
            id -> BigInt,
            scan_id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            domain -> Text [253],
            result_type -> Text [100],
            severity -> Severity,
            scan_results -> Doc,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        scan_results_lightbox (id) ScanResultsLightboxRow {
            id -> BigInt,
            scan_id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            domain -> Text [253],
            result_type -> Text [100],
            severity -> Severity,
            scan_results -> Doc,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        ghost_search_queries (id) GhostSearchQueriesRow {
            id -> BigInt,
            user_id -> BigInt,
            query_type -> GhostQueryType,
            query_value -> Text [255],
            results_count -> BigInt,
            search_sources -> Nullable<Doc>,
            response_time_ms -> Nullable<BigInt>,
            searched_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        monitored_emails (id) MonitoredEmailsRow {
            id -> BigInt,
            company_id -> Nullable<BigInt>,
            user_id -> Nullable<BigInt>,
            created_by_user_id -> BigInt,
            email_address -> Text [255],
            monitor_scope -> MonitorScope,
            last_checked -> Nullable<Ts>,
            findings_count -> BigInt,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        monitored_email_findings (id) MonitoredEmailFindingsRow {
            id -> BigInt,
            monitored_email_id -> BigInt,
            user_id -> Nullable<BigInt>,
            source -> Text [100],
            finding_key -> Text [512],
            breach_name -> Nullable<Text> [255],
            breach_date -> Nullable<Ts>,
            data_classes -> Nullable<Doc>,
            severity -> Severity,
            source_details -> Nullable<Doc>,
            found_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        uploaded_breach_files (id) UploadedBreachFilesRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            file_name -> Text [255],
            size_bytes -> BigInt,
            sha256 -> Text [64],
            breach_name -> Nullable<Text> [255],
            status -> UploadStatus,
            failure_reason -> Nullable<Text>,
            records_count -> BigInt,
            parsed_at -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        breach_file_results (id) BreachFileResultsRow {
            id -> BigInt,
            file_id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            email -> Nullable<Text> [254],
            username -> Nullable<Text> [255],
            password_masked -> Nullable<Text> [255],
            password_sha256 -> Nullable<Text> [64],
            domain -> Nullable<Text> [253],
            source_line -> Nullable<BigInt>,
            extra_fields -> Nullable<Doc>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        github_findings (id) GithubFindingsRow {
            id -> BigInt,
            monitored_email_id -> BigInt,
            user_id -> Nullable<BigInt>,
            source_url -> Text [2048],
            repository -> Nullable<Text> [255],
            file_path -> Nullable<Text> [1024],
            matched_text -> Nullable<Text>,
            severity -> Severity,
            committed_at -> Nullable<Ts>,
            found_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        pastebin_findings (id) PastebinFindingsRow {
            id -> BigInt,
            monitored_email_id -> BigInt,
            user_id -> Nullable<BigInt>,
            source_url -> Text [2048],
            paste_title -> Nullable<Text> [255],
            paste_author -> Nullable<Text> [255],
            matched_text -> Nullable<Text>,
            severity -> Severity,
            posted_at -> Nullable<Ts>,
            found_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        opsych_search_results (id) OpsychSearchResultsRow {
            id -> BigInt,
            monitored_email_id -> BigInt,
            user_id -> Nullable<BigInt>,
            source_url -> Text [2048],
            platform -> SocialPlatform,
            username -> Nullable<Text> [255],
            display_name -> Nullable<Text> [255],
            details -> Nullable<Doc>,
            found_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        compliance_assessments (id) ComplianceAssessmentsRow {
            id -> BigInt,
            company_id -> BigInt,
            created_by_user_id -> BigInt,
            framework -> ComplianceFramework,
            framework_version -> Nullable<Text> [20],
            status -> AssessmentStatus,
            overall_compliance_score -> Nullable<BigInt>,
            assessment_date -> Ts,
            completion_date -> Nullable<Ts>,
            expiry_date -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
            user_id -> Nullable<BigInt>,
        }
        compliance_controls (id) ComplianceControlsRow {
            id -> BigInt,
            assessment_id -> BigInt,
            control_id -> Text [50],
            control_name -> Text [255],
            control_category -> Nullable<Text> [100],
            status -> ControlStatus,
            compliance_score -> Nullable<BigInt>,
            scan_source -> Nullable<ScanSource>,
            scan_finding_type -> Nullable<Text> [100],
            scan_finding_id -> Nullable<Text> [100],
            scan_flagged_at -> Nullable<Ts>,
            scan_verified_at -> Nullable<Ts>,
            scan_domain -> Nullable<Text> [255],
            evidence_summary -> Nullable<Text>,
            remediation_notes -> Nullable<Text>,
            assigned_to_user_id -> Nullable<BigInt>,
            last_reviewed -> Nullable<Ts>,
            next_review_date -> Nullable<Ts>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
            user_id -> Nullable<BigInt>,
            status_before_scan -> Nullable<ControlStatus>,
        }
        compliance_evidence (id) ComplianceEvidenceRow {
            id -> BigInt,
            control_id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            uploaded_by_user_id -> BigInt,
            file_reference -> Text [1024],
            file_name -> Nullable<Text> [255],
            sha256 -> Text [64],
            description -> Nullable<Text>,
            uploaded_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        compliance_control_mappings (id) ComplianceControlMappingsRow {
            id -> BigInt,
            scan_source -> ScanSource,
            finding_type -> Text [100],
            framework -> ComplianceFramework,
            control_id -> Text [50],
            flag_status -> ControlStatus,
            user_id -> Nullable<BigInt>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        vulnerability_reports (id) VulnerabilityReportsRow {
            id -> BigInt,
            company_id -> BigInt,
            user_id -> Nullable<BigInt>,
            scan_source -> Nullable<ScanSource>,
            scan_id -> Nullable<BigInt>,
            domain -> Nullable<Text> [253],
            title -> Text [255],
            report_text -> Text,
            metadata -> Nullable<Doc>,
            model -> Nullable<Text> [100],
            generated_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        roadmap_profiles (id) RoadmapProfilesRow {
            id -> BigInt,
            user_id -> Nullable<BigInt>,
            company_id -> Nullable<BigInt>,
            company_name -> Text [255],
            company_size -> Nullable<Text> [50],
            industry -> Nullable<Text> [100],
            employee_count -> Nullable<BigInt>,
            current_security_score -> Nullable<BigInt>,
            target_security_score -> Nullable<BigInt>,
            handles_pii -> Nullable<Bool>,
            handles_payment_data -> Nullable<Bool>,
            handles_health_data -> Nullable<Bool>,
            handles_financial_data -> Nullable<Bool>,
            current_measures -> Nullable<Doc>,
            compliance_requirements -> Nullable<Doc>,
            assessment_responses -> Nullable<Doc>,
            created_at -> Ts,
            updated_at -> Ts,
            last_recalculated -> Nullable<Ts>,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        roadmap_tasks (id) RoadmapTasksRow {
            id -> BigInt,
            task_id -> Text [100],
            library_version -> Text [20],
            title -> Text [255],
            description -> Nullable<Text>,
            category -> Nullable<Text> [100],
            phase -> BigInt,
            priority -> Severity,
            points -> BigInt,
            estimated_effort -> Nullable<Text> [50],
            applies_to -> Nullable<Doc>,
            user_id -> Nullable<BigInt>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        roadmap_user_tasks (id) RoadmapUserTasksRow {
            id -> BigInt,
            profile_id -> BigInt,
            task_id -> Text [100],
            status -> TaskStatus,
            phase -> Nullable<BigInt>,
            priority_order -> Nullable<BigInt>,
            source -> Nullable<TaskSource>,
            source_reference_id -> Nullable<BigInt>,
            source_details -> Nullable<Doc>,
            finding_type -> Nullable<Text> [100],
            finding_severity -> Nullable<Severity>,
            scan_domain -> Nullable<Text> [255],
            scan_date -> Nullable<Ts>,
            matched_threat_actor -> Nullable<Text> [255],
            threat_actor_ttp -> Nullable<Doc>,
            assigned_to_user_id -> Nullable<BigInt>,
            started_at -> Nullable<Ts>,
            completed_at -> Nullable<Ts>,
            verified_at -> Nullable<Ts>,
            last_reminded -> Nullable<Ts>,
            user_notes -> Nullable<Text>,
            admin_notes -> Nullable<Text>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
            user_id -> Nullable<BigInt>,
        }
        roadmap_achievements (id) RoadmapAchievementsRow {
            id -> BigInt,
            profile_id -> BigInt,
            user_id -> Nullable<BigInt>,
            achievement_key -> Text [100],
            name -> Text [255],
            description -> Nullable<Text>,
            points -> BigInt,
            awarded_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        roadmap_progress_history (id) RoadmapProgressHistoryRow {
            id -> BigInt,
            profile_id -> BigInt,
            user_id -> Nullable<BigInt>,
            security_score -> BigInt,
            tasks_total -> BigInt,
            tasks_not_started -> BigInt,
            tasks_in_progress -> BigInt,
            tasks_completed -> BigInt,
            tasks_verified -> BigInt,
            details -> Nullable<Doc>,
            recorded_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        audit_log_maintenance (id) AuditLogMaintenanceRow {
            id -> BigInt,
            reason -> Text [200],
            started_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        slow_queries (id) SlowQueriesRow {
            id -> BigInt,
            operation -> Text [200],
            duration_us -> BigInt,
            recorded_at -> Ts,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        roadmap_task_library_meta (id) RoadmapTaskLibraryMetaRow {
            id -> BigInt,
            version -> Text [20],
            task_count -> BigInt,
            checksum -> Nullable<Text> [64],
            notes -> Nullable<Text>,
            loaded_at -> Ts,
            user_id -> Nullable<BigInt>,
            created_at -> Ts,
            updated_at -> Ts,
            deleted_at -> Nullable<Ts>,
            is_active -> Bool,
        }
        );
    };
    (@each [] $($tables:tt)*) => {};
    (@each [$each:ident] $($tables:tt)*) => {
        $each! { $($tables)* }
    };
    (@expand [$conn:ty, $hook:path, $bind:ident, $($each:ident)?]
        $(
            $table:ident ($pk:ident) $row:ident {
                $( $col:ident -> $sql:ident $(<$inner:ident>)? $([$max:literal])? ),* $(,)?
            }
        )*
    ) => {
        $(
            diesel::table! {
                use diesel::sql_types::*;
                use super::sql_types::*;

                $table ($pk) {
                    $( $col -> $sql $(<$inner>)?, )*
                }
            }
        )*

        diesel::joinable!(users -> companies (company_id));
        diesel::joinable!(sessions -> users (user_id));
        diesel::joinable!(api_keys -> users (user_id));
        diesel::joinable!(social_media -> profiles (profile_id));
        diesel::joinable!(breaches -> profiles (profile_id));
        diesel::joinable!(bait_accesses -> bait_tokens (token_id));
        diesel::joinable!(uploaded_credentials -> uploaded_files (file_id));
        diesel::joinable!(scan_results_xasm -> xasm_scan_history (scan_id));
        diesel::joinable!(scan_results_lightbox -> lightbox_scan_history (scan_id));
        diesel::joinable!(monitored_email_findings -> monitored_emails (monitored_email_id));
        diesel::joinable!(breach_file_results -> uploaded_breach_files (file_id));
        diesel::joinable!(github_findings -> monitored_emails (monitored_email_id));
        diesel::joinable!(pastebin_findings -> monitored_emails (monitored_email_id));
        diesel::joinable!(opsych_search_results -> monitored_emails (monitored_email_id));
        diesel::joinable!(compliance_controls -> compliance_assessments (assessment_id));
        diesel::joinable!(compliance_evidence -> compliance_controls (control_id));
        diesel::joinable!(roadmap_user_tasks -> roadmap_profiles (profile_id));
        diesel::joinable!(roadmap_achievements -> roadmap_profiles (profile_id));
        diesel::joinable!(roadmap_progress_history -> roadmap_profiles (profile_id));
        diesel::allow_tables_to_appear_in_same_query!($($table),*);

        $crate::tables!(@each [$($each)?] $( $table [ $($col)* ] )*);

        /// A whole-row type per table, and whole rows of any table as JSON.
        pub(crate) mod rows {
            #[allow(unused_imports)]
            use $crate::diesel::prelude::*;
            #[allow(unused_imports)]
            use super::$bind;

            $(
                #[doc = concat!("A whole row of `", stringify!($table), "`.")]
                #[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset,
                         $crate::serde::Serialize)]
                #[diesel(table_name = super::$table, treat_none_as_default_value = false,
                         treat_none_as_null = true)]
                #[serde(crate = "nerve_diesel::serde")]
                pub(crate) struct $row {
                    $(
                        #[doc = concat!("`", stringify!($table), ".", stringify!($col), "`.")]
                        pub(crate) $col: $crate::row_type!([$bind] $sql $(<$inner>)?),
                    )*
                }
            )*

            /// Inserts `row`, a whole row of `table` as JSON (every column, the id included),
            /// and returns the row as stored. Timestamps are truncated to microseconds first.
            /// Errors: [`Validation`](nerve_core::Error::Validation) for an unknown table, a row
            /// that is not one of its rows (the reason names the field), or text holding U+0000;
            /// a database constraint's variant otherwise.
            pub(crate) fn insert_json(
                conn: &mut $conn,
                table: &str,
                row: &$crate::serde_json::Value,
            ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                match table {
                    $(
                        stringify!($table) => {
                            const TABLE: &str = stringify!($table);
                            let obj = $crate::raw_rows::object(TABLE, &[$(stringify!($col)),*], row)?;
                            let mut r = $row {
                                $( $col: $crate::raw_rows::field(TABLE, stringify!($col), obj)?, )*
                            };
                            $( $crate::micros!(TABLE, stringify!($col), $sql $(<$inner>)?, r.$col); )*
                            $crate::raw_rows::id(TABLE, r.$pk)?;
                            $( $( $crate::raw_rows::at_most(TABLE, stringify!($col), &r.$col, $max)?; )? )*
                            let op = $crate::Op::new(TABLE, "insert");
                            $crate::diesel::insert_into(super::$table::table)
                                .values(&r)
                                .execute(conn)
                                .map_err(|e| op.error(e))?;
                            $hook(conn, TABLE).map_err(|e| op.error(e))?;
                            get_json(conn, TABLE, r.$pk)
                        }
                    )*
                    other => Err($crate::raw_rows::unknown_table(other)),
                }
            }

            /// Inserts `rows` of `table` (whole rows as JSON, as [`insert_json`] takes them; a
            /// row without `id` gets one from the table's identity) in multi-row INSERTs of
            /// as many rows as the backend's bind limit allows, and returns how many. Errors
            /// as [`insert_json`]'s, the reason naming the row (from 0).
            pub(crate) fn batch_insert_json(
                conn: &mut $conn,
                table: &str,
                rows: &[$crate::serde_json::Value],
            ) -> $crate::nerve_core::Result<u64> {
                match table {
                    $(
                        stringify!($table) => {
                            const TABLE: &str = stringify!($table);
                            let columns = &[$(stringify!($col)),*];
                            let op = $crate::Op::new(TABLE, "insert");
                            let without_id = rows.iter().filter(|r| r.get("id").is_none_or(|v| v.is_null())).count();
                            if without_id > 0 && without_id < rows.len() {
                                // Fresh ids could meet the given ones in the same batch.
                                return Err($crate::nerve_core::Error::Validation {
                                    table: TABLE,
                                    field: "id",
                                    reason: "give every row of a batch an id, or none".into(),
                                });
                            }
                            let mut fresh = if without_id > 0 {
                                super::reserve_ids(conn, TABLE, without_id).map_err(|e| op.error(e))?
                            } else {
                                Vec::new()
                            }
                            .into_iter();
                            let mut decoded: Vec<$row> = Vec::with_capacity(rows.len());
                            for (i, given) in rows.iter().enumerate() {
                                let at = |e| $crate::raw_rows::at_row(i, e);
                                let mut row = given.clone();
                                if let (Some(obj), true) = (row.as_object_mut(), given.get("id").is_none_or(|v| v.is_null())) {
                                    obj.insert("id".into(), fresh.next().into());
                                }
                                let obj = $crate::raw_rows::object(TABLE, columns, &row).map_err(at)?;
                                let mut r = $row {
                                    $( $col: $crate::raw_rows::field(TABLE, stringify!($col), obj).map_err(at)?, )*
                                };
                                (|| -> $crate::nerve_core::Result<()> {
                                    $( $crate::micros!(TABLE, stringify!($col), $sql $(<$inner>)?, r.$col); )*
                                    $crate::raw_rows::id(TABLE, r.$pk)?;
                                    $( $( $crate::raw_rows::at_most(TABLE, stringify!($col), &r.$col, $max)?; )? )*
                                    Ok(())
                                })()
                                .map_err(at)?;
                                decoded.push(r);
                            }
                            let per_insert = (super::BIND_LIMIT / columns.len()).max(1);
                            for chunk in decoded.chunks(per_insert) {
                                $crate::diesel::insert_into(super::$table::table)
                                    .values(chunk)
                                    .execute(conn)
                                    .map_err(|e| op.error(e))?;
                            }
                            if without_id < rows.len() {
                                $hook(conn, TABLE).map_err(|e| op.error(e))?;
                            }
                            Ok(decoded.len() as u64)
                        }
                    )*
                    other => Err($crate::raw_rows::unknown_table(other)),
                }
            }

            /// Replaces the values of the row `id` of `table` by `changes` (an object of column
            /// to new value; `id`, `created_at` and `updated_at` excluded), sets `updated_at`
            /// to `now`, only if the row's `updated_at` is still `expected` — one statement,
            /// so a concurrent change in between makes it match nothing. Returns the row as
            /// stored. Errors: [`NotFound`](nerve_core::Error::NotFound);
            /// [`Conflict`](nerve_core::Error::Conflict) on `updated_at` with
            /// [`Constraint::Stale`](nerve_core::Constraint::Stale) when the row changed
            /// since; [`Validation`](nerve_core::Error::Validation) for an unknown table or
            /// column, a table without `updated_at` (append-only), or a value as for
            /// [`insert_json`].
            pub(crate) fn update_json(
                conn: &mut $conn,
                table: &str,
                id: i64,
                expected: $crate::chrono::DateTime<$crate::chrono::Utc>,
                changes: &$crate::serde_json::Value,
                now: $crate::chrono::DateTime<$crate::chrono::Utc>,
            ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                match table {
                    $(
                        stringify!($table) => {
                            const TABLE: &str = stringify!($table);
                            let columns = &[$(stringify!($col)),*];
                            let merged = $crate::raw_rows::merge_changes(
                                TABLE,
                                columns,
                                get_json(conn, TABLE, id)?,
                                changes,
                                expected,
                                now,
                            )?;
                            let obj = $crate::raw_rows::object(TABLE, columns, &merged)?;
                            let mut r = $row {
                                $( $col: $crate::raw_rows::field(TABLE, stringify!($col), obj)?, )*
                            };
                            $( $crate::micros!(TABLE, stringify!($col), $sql $(<$inner>)?, r.$col); )*
                            $( $( $crate::raw_rows::at_most(TABLE, stringify!($col), &r.$col, $max)?; )? )*
                            let n = $crate::cached::CacheBySql($crate::diesel::update(
                                super::$table::table.find(id).filter(
                                    $crate::diesel::dsl::sql::<$crate::diesel::sql_types::Bool>("updated_at = ")
                                        .bind::<super::sql_types::Ts, _>($crate::nerve_core::clock::truncate_micros(expected)),
                                ),
                            )
                            .set(&r))
                            .execute(conn)
                            .map_err(|e| $crate::Op::new(TABLE, "update").error(e))?;
                            if n == 0 {
                                return Err($crate::raw_rows::stale(TABLE, id));
                            }
                            get_json(conn, TABLE, id)
                        }
                    )*
                    other => Err($crate::raw_rows::unknown_table(other)),
                }
            }

            /// The row of `table` with key `id`, as JSON. Errors:
            /// [`NotFound`](nerve_core::Error::NotFound) when there is none,
            /// [`Validation`](nerve_core::Error::Validation) for an unknown table.
            pub(crate) fn get_json(
                conn: &mut $conn,
                table: &str,
                id: i64,
            ) -> $crate::nerve_core::Result<$crate::serde_json::Value> {
                match table {
                    $(
                        stringify!($table) => {
                            const TABLE: &str = stringify!($table);
                            let r: $row = super::$table::table
                                .find(id)
                                .select($row::as_select())
                                .first(conn)
                                .optional()
                                .map_err(|e| $crate::Op::new(TABLE, "select").error(e))?
                                .ok_or_else(|| $crate::nerve_core::Error::not_found(TABLE, format!("id={id}")))?;
                            $crate::raw_rows::encode(TABLE, &r)
                        }
                    )*
                    other => Err($crate::raw_rows::unknown_table(other)),
                }
            }
        }
    };
}

/// The Rust type of a column of SQL type `T` in the row types of [`tables!`].
#[doc(hidden)]
#[macro_export]
macro_rules! row_type {
    ([$b:ident] Nullable<$inner:ident>) => {
        ::std::option::Option<$crate::row_type!([$b] $inner)>
    };
    ([$b:ident] BigInt) => { i64 };
    ([$b:ident] Text) => { ::std::string::String };
    ([$b:ident] Bool) => { bool };
    ([$b:ident] Ts) => { $crate::chrono::DateTime<$crate::chrono::Utc> };
    ([$b:ident] Doc) => { $crate::serde_json::Value };
    ([$b:ident] UserRole) => { $b<$crate::nerve_core::model::Role> };
    ([$b:ident] $set:ident) => { $b<$crate::nerve_core::model::$set> };
}

/// Checks a column's value as both backends would store it: timestamps truncated to
/// microseconds and within years 1 to 9999, JSON documents of NOT NULL columns not `null`;
/// nothing for other types.
#[doc(hidden)]
#[macro_export]
macro_rules! micros {
    ($table:expr, $col:expr, Ts, $e:expr) => {
        $e = $crate::raw_rows::timestamp($table, $col, $e)?
    };
    ($table:expr, $col:expr, Nullable<Ts>, $e:expr) => {
        $e = $e
            .map(|t| $crate::raw_rows::timestamp($table, $col, t))
            .transpose()?
    };
    ($table:expr, $col:expr, Doc, $e:expr) => {
        $crate::raw_rows::document($table, $col, &$e)?
    };
    ($table:expr, $col:expr, $sql:ident $(<$inner:ident>)?, $e:expr) => {};
}
