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

/// Every table of the NERVE schema, as Diesel sees it, for the driver module that expands it
/// (which must define `sql_types` as described in this module's documentation).
#[macro_export]
macro_rules! tables {
    () => {
        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            companies (id) {
                id -> BigInt,
                name -> Text,
                domain -> Nullable<Text>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            users (id) {
                id -> BigInt,
                company_id -> BigInt,
                email -> Text,
                password_hash -> Text,
                full_name -> Nullable<Text>,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            sessions (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> BigInt,
                token_hash -> Text,
                ip_address -> Nullable<Text>,
                user_agent -> Nullable<Text>,
                created_at -> Ts,
                last_seen_at -> Ts,
                expires_at -> Ts,
                revoked_at -> Nullable<Ts>,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            password_history (id) {
                id -> BigInt,
                user_id -> BigInt,
                password_hash -> Text,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            login_attempts (id) {
                id -> BigInt,
                email -> Text,
                user_id -> Nullable<BigInt>,
                ip_address -> Nullable<Text>,
                user_agent -> Nullable<Text>,
                success -> Bool,
                failure -> Nullable<LoginFailure>,
                attempted_at -> Ts,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            audit_logs (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                action -> Text,
                entity_type -> Nullable<Text>,
                entity_id -> Nullable<BigInt>,
                details -> Nullable<Doc>,
                ip_address -> Nullable<Text>,
                created_at -> Ts,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            security_events (id) {
                id -> BigInt,
                company_id -> Nullable<BigInt>,
                event_type -> SecurityEventType,
                severity -> Severity,
                user_id -> Nullable<BigInt>,
                email -> Nullable<Text>,
                ip_address -> Nullable<Text>,
                user_agent -> Nullable<Text>,
                location -> Nullable<Text>,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            api_keys (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> BigInt,
                key_hash -> Text,
                key_prefix -> Text,
                name -> Text,
                permissions -> Doc,
                last_used_at -> Nullable<Ts>,
                last_used_ip -> Nullable<Text>,
                usage_count -> BigInt,
                created_at -> Ts,
                expires_at -> Nullable<Ts>,
                revoked_at -> Nullable<Ts>,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            profiles (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                full_name -> Text,
                email -> Nullable<Text>,
                domain -> Nullable<Text>,
                job_title -> Nullable<Text>,
                location -> Nullable<Text>,
                notes -> Nullable<Text>,
                risk_score -> BigInt,
                metadata -> Nullable<Doc>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            social_media (id) {
                id -> BigInt,
                profile_id -> BigInt,
                user_id -> Nullable<BigInt>,
                platform -> SocialPlatform,
                handle -> Text,
                url -> Nullable<Text>,
                followers -> Nullable<BigInt>,
                verified -> Bool,
                discovered_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            breaches (id) {
                id -> BigInt,
                profile_id -> BigInt,
                user_id -> Nullable<BigInt>,
                breach_name -> Text,
                breach_date -> Nullable<Ts>,
                data_classes -> Doc,
                source -> Nullable<Text>,
                severity -> Severity,
                description -> Nullable<Text>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            devices (id) {
                id -> BigInt,
                company_id -> BigInt,
                profile_id -> Nullable<BigInt>,
                user_id -> Nullable<BigInt>,
                ip_address -> Text,
                hostname -> Nullable<Text>,
                device_type -> Nullable<Text>,
                operating_system -> Nullable<Text>,
                open_ports -> Doc,
                first_seen_at -> Ts,
                last_seen_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            bait_tokens (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                token_type -> BaitTokenType,
                token_value -> Text,
                label -> Text,
                description -> Nullable<Text>,
                access_count -> BigInt,
                last_accessed_at -> Nullable<Ts>,
                metadata -> Nullable<Doc>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            bait_accesses (id) {
                id -> BigInt,
                token_id -> BigInt,
                company_id -> BigInt,
                ip_address -> Nullable<Text>,
                user_agent -> Nullable<Text>,
                location -> Nullable<Text>,
                raw_request -> Nullable<Doc>,
                token_was_active -> Bool,
                accessed_at -> Ts,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            uploaded_files (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                file_name -> Text,
                size_bytes -> BigInt,
                sha256 -> Text,
                mime_type -> Nullable<Text>,
                status -> UploadStatus,
                failure_reason -> Nullable<Text>,
                parsed_at -> Nullable<Ts>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            uploaded_credentials (id) {
                id -> BigInt,
                file_id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                email -> Nullable<Text>,
                username -> Nullable<Text>,
                password_masked -> Nullable<Text>,
                password_sha256 -> Nullable<Text>,
                domain -> Nullable<Text>,
                source_line -> Nullable<BigInt>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            asm_scans (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                domain -> Text,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            lightbox_findings (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                domain -> Text,
                finding_type -> Text,
                severity -> Severity,
                title -> Text,
                description -> Nullable<Text>,
                url -> Nullable<Text>,
                evidence -> Nullable<Doc>,
                discovered_at -> Ts,
                resolved_at -> Nullable<Ts>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            cached_asm_scans (id) {
                id -> BigInt,
                domain -> Text,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            xasm_scan_history (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                domain -> Text,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            lightbox_scan_history (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                domain -> Text,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            scan_results_xasm (id) {
                id -> BigInt,
                scan_id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                domain -> Text,
                result_type -> Text,
                severity -> Severity,
                scan_results -> Doc,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            scan_results_lightbox (id) {
                id -> BigInt,
                scan_id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                domain -> Text,
                result_type -> Text,
                severity -> Severity,
                scan_results -> Doc,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            ghost_search_queries (id) {
                id -> BigInt,
                user_id -> BigInt,
                query_type -> GhostQueryType,
                query_value -> Text,
                results_count -> BigInt,
                search_sources -> Nullable<Doc>,
                response_time_ms -> Nullable<BigInt>,
                searched_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            monitored_emails (id) {
                id -> BigInt,
                company_id -> Nullable<BigInt>,
                user_id -> Nullable<BigInt>,
                created_by_user_id -> BigInt,
                email_address -> Text,
                monitor_scope -> MonitorScope,
                last_checked -> Nullable<Ts>,
                findings_count -> BigInt,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            monitored_email_findings (id) {
                id -> BigInt,
                monitored_email_id -> BigInt,
                user_id -> Nullable<BigInt>,
                source -> Text,
                finding_key -> Text,
                breach_name -> Nullable<Text>,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            uploaded_breach_files (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                file_name -> Text,
                size_bytes -> BigInt,
                sha256 -> Text,
                breach_name -> Nullable<Text>,
                status -> UploadStatus,
                failure_reason -> Nullable<Text>,
                records_count -> BigInt,
                parsed_at -> Nullable<Ts>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            breach_file_results (id) {
                id -> BigInt,
                file_id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                email -> Nullable<Text>,
                username -> Nullable<Text>,
                password_masked -> Nullable<Text>,
                password_sha256 -> Nullable<Text>,
                domain -> Nullable<Text>,
                source_line -> Nullable<BigInt>,
                extra_fields -> Nullable<Doc>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            github_findings (id) {
                id -> BigInt,
                monitored_email_id -> BigInt,
                user_id -> Nullable<BigInt>,
                source_url -> Text,
                repository -> Nullable<Text>,
                file_path -> Nullable<Text>,
                matched_text -> Nullable<Text>,
                severity -> Severity,
                committed_at -> Nullable<Ts>,
                found_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            pastebin_findings (id) {
                id -> BigInt,
                monitored_email_id -> BigInt,
                user_id -> Nullable<BigInt>,
                source_url -> Text,
                paste_title -> Nullable<Text>,
                paste_author -> Nullable<Text>,
                matched_text -> Nullable<Text>,
                severity -> Severity,
                posted_at -> Nullable<Ts>,
                found_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            opsych_search_results (id) {
                id -> BigInt,
                monitored_email_id -> BigInt,
                user_id -> Nullable<BigInt>,
                source_url -> Text,
                platform -> SocialPlatform,
                username -> Nullable<Text>,
                display_name -> Nullable<Text>,
                details -> Nullable<Doc>,
                found_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            compliance_assessments (id) {
                id -> BigInt,
                company_id -> BigInt,
                created_by_user_id -> BigInt,
                framework -> ComplianceFramework,
                framework_version -> Nullable<Text>,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            compliance_controls (id) {
                id -> BigInt,
                assessment_id -> BigInt,
                control_id -> Text,
                control_name -> Text,
                control_category -> Nullable<Text>,
                status -> ControlStatus,
                compliance_score -> Nullable<BigInt>,
                scan_source -> Nullable<ScanSource>,
                scan_finding_type -> Nullable<Text>,
                scan_finding_id -> Nullable<Text>,
                scan_flagged_at -> Nullable<Ts>,
                scan_verified_at -> Nullable<Ts>,
                scan_domain -> Nullable<Text>,
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
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            compliance_evidence (id) {
                id -> BigInt,
                control_id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                uploaded_by_user_id -> BigInt,
                file_reference -> Text,
                file_name -> Nullable<Text>,
                sha256 -> Text,
                description -> Nullable<Text>,
                uploaded_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            compliance_control_mappings (id) {
                id -> BigInt,
                scan_source -> ScanSource,
                finding_type -> Text,
                framework -> ComplianceFramework,
                control_id -> Text,
                flag_status -> ControlStatus,
                user_id -> Nullable<BigInt>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            vulnerability_reports (id) {
                id -> BigInt,
                company_id -> BigInt,
                user_id -> Nullable<BigInt>,
                scan_source -> Nullable<ScanSource>,
                scan_id -> Nullable<BigInt>,
                domain -> Nullable<Text>,
                title -> Text,
                report_text -> Text,
                metadata -> Nullable<Doc>,
                model -> Nullable<Text>,
                generated_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            roadmap_profiles (id) {
                id -> BigInt,
                user_id -> Nullable<BigInt>,
                company_id -> Nullable<BigInt>,
                company_name -> Text,
                company_size -> Nullable<Text>,
                industry -> Nullable<Text>,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            roadmap_tasks (id) {
                id -> BigInt,
                task_id -> Text,
                library_version -> Text,
                title -> Text,
                description -> Nullable<Text>,
                category -> Nullable<Text>,
                phase -> BigInt,
                priority -> Severity,
                points -> BigInt,
                estimated_effort -> Nullable<Text>,
                applies_to -> Nullable<Doc>,
                user_id -> Nullable<BigInt>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            roadmap_user_tasks (id) {
                id -> BigInt,
                profile_id -> BigInt,
                task_id -> Text,
                status -> TaskStatus,
                phase -> Nullable<BigInt>,
                priority_order -> Nullable<BigInt>,
                source -> Nullable<TaskSource>,
                source_reference_id -> Nullable<BigInt>,
                source_details -> Nullable<Doc>,
                finding_type -> Nullable<Text>,
                finding_severity -> Nullable<Severity>,
                scan_domain -> Nullable<Text>,
                scan_date -> Nullable<Ts>,
                matched_threat_actor -> Nullable<Text>,
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            roadmap_achievements (id) {
                id -> BigInt,
                profile_id -> BigInt,
                user_id -> Nullable<BigInt>,
                achievement_key -> Text,
                name -> Text,
                description -> Nullable<Text>,
                points -> BigInt,
                awarded_at -> Ts,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            roadmap_progress_history (id) {
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
        }

        diesel::table! {
            use diesel::sql_types::*;
            use super::sql_types::*;

            roadmap_task_library_meta (id) {
                id -> BigInt,
                version -> Text,
                task_count -> BigInt,
                checksum -> Nullable<Text>,
                notes -> Nullable<Text>,
                loaded_at -> Ts,
                user_id -> Nullable<BigInt>,
                created_at -> Ts,
                updated_at -> Ts,
                deleted_at -> Nullable<Ts>,
                is_active -> Bool,
            }
        }

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
        diesel::allow_tables_to_appear_in_same_query!(
            companies,
            users,
            sessions,
            password_history,
            login_attempts,
            audit_logs,
            security_events,
            api_keys,
            profiles,
            social_media,
            breaches,
            devices,
            bait_tokens,
            bait_accesses,
            uploaded_files,
            uploaded_credentials,
            asm_scans,
            lightbox_findings,
            cached_asm_scans,
            xasm_scan_history,
            lightbox_scan_history,
            scan_results_xasm,
            scan_results_lightbox,
            ghost_search_queries,
            monitored_emails,
            monitored_email_findings,
            uploaded_breach_files,
            breach_file_results,
            github_findings,
            pastebin_findings,
            opsych_search_results,
            compliance_assessments,
            compliance_controls,
            compliance_evidence,
            compliance_control_mappings,
            vulnerability_reports,
            roadmap_profiles,
            roadmap_tasks,
            roadmap_user_tasks,
            roadmap_achievements,
            roadmap_progress_history,
            roadmap_task_library_meta
        );
    };
}
