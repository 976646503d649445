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

        diesel::joinable!(users -> companies (company_id));
        diesel::joinable!(sessions -> users (user_id));
        diesel::joinable!(api_keys -> users (user_id));
        diesel::joinable!(social_media -> profiles (profile_id));
        diesel::joinable!(breaches -> profiles (profile_id));
        diesel::joinable!(bait_accesses -> bait_tokens (token_id));
        diesel::joinable!(uploaded_credentials -> uploaded_files (file_id));
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
            uploaded_credentials
        );
    };
}
