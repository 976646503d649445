//! Diesel's view of the SQLite schema made by `migrations_sqlite/` (written by hand:
//! print-schema cannot infer TIMESTAMPTZ text or 64-bit keys on SQLite).

/// Local SQL types for closed value sets: text on SQLite, held to their values by CHECK.
pub mod sql_types {
    /// `users.role`: text CHECKed to the values of [`nerve_core::model::Role`].
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct UserRole;

    /// `severity`: text CHECKed to the values of the nerve-core enum of the same name.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct Severity;

    /// `security_events.event_type`: text CHECKed to the values of the nerve-core enum of the same name.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct SecurityEventType;

    /// `login_attempts.failure`: text CHECKed to the values of the nerve-core enum of the same name.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct LoginFailure;
}

diesel::table! {
    companies (id) {
        id -> BigInt,
        name -> Text,
        domain -> Nullable<Text>,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
        deleted_at -> Nullable<TimestamptzSqlite>,
        is_active -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;

    users (id) {
        id -> BigInt,
        company_id -> BigInt,
        email -> Text,
        password_hash -> Text,
        full_name -> Nullable<Text>,
        role -> UserRole,
        locked_at -> Nullable<TimestamptzSqlite>,
        locked_until -> Nullable<TimestamptzSqlite>,
        password_changed_at -> TimestamptzSqlite,
        last_login_at -> Nullable<TimestamptzSqlite>,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
        deleted_at -> Nullable<TimestamptzSqlite>,
        failures_reset_at -> Nullable<TimestamptzSqlite>,
        is_active -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        company_id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        created_at -> TimestamptzSqlite,
        last_seen_at -> TimestamptzSqlite,
        expires_at -> TimestamptzSqlite,
        revoked_at -> Nullable<TimestamptzSqlite>,
        updated_at -> TimestamptzSqlite,
        deleted_at -> Nullable<TimestamptzSqlite>,
        is_active -> Bool,
    }
}

diesel::table! {
    password_history (id) {
        id -> BigInt,
        user_id -> BigInt,
        password_hash -> Text,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
        deleted_at -> Nullable<TimestamptzSqlite>,
        is_active -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::LoginFailure;

    login_attempts (id) {
        id -> BigInt,
        email -> Text,
        user_id -> Nullable<BigInt>,
        ip_address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        success -> Bool,
        failure -> Nullable<LoginFailure>,
        attempted_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> BigInt,
        company_id -> BigInt,
        user_id -> Nullable<BigInt>,
        action -> Text,
        entity_type -> Nullable<Text>,
        entity_id -> Nullable<BigInt>,
        details -> Nullable<Json>,
        ip_address -> Nullable<Text>,
        created_at -> TimestamptzSqlite,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::{SecurityEventType, Severity};

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
        metadata_json -> Nullable<Json>,
        acknowledged -> Bool,
        acknowledged_by -> Nullable<BigInt>,
        acknowledged_at -> Nullable<TimestamptzSqlite>,
        created_at -> TimestamptzSqlite,
        updated_at -> TimestamptzSqlite,
        deleted_at -> Nullable<TimestamptzSqlite>,
        is_active -> Bool,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        company_id -> BigInt,
        user_id -> BigInt,
        key_hash -> Text,
        key_prefix -> Text,
        name -> Text,
        permissions -> Json,
        last_used_at -> Nullable<TimestamptzSqlite>,
        last_used_ip -> Nullable<Text>,
        usage_count -> BigInt,
        created_at -> TimestamptzSqlite,
        expires_at -> Nullable<TimestamptzSqlite>,
        revoked_at -> Nullable<TimestamptzSqlite>,
        updated_at -> TimestamptzSqlite,
        deleted_at -> Nullable<TimestamptzSqlite>,
        is_active -> Bool,
    }
}

diesel::joinable!(users -> companies (company_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(
    companies,
    users,
    sessions,
    password_history,
    login_attempts,
    audit_logs,
    security_events,
    api_keys
);

diesel::table! {
    /// Diesel's migration record; `run_on` is `CURRENT_TIMESTAMP` text (UTC, no offset).
    __diesel_schema_migrations (version) {
        version -> Text,
        run_on -> Timestamp,
    }
}
