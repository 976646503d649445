//! Diesel's view of the PostgreSQL schema made by `migrations_postgres/`.

/// Local SQL types for closed value sets: native PostgreSQL ENUM types.
pub mod sql_types {
    /// The ENUM type `user_role`, the values of [`nerve_core::model::Role`].
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;

    /// The ENUM type `severity`, the values of the nerve-core enum of the same name.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "severity"))]
    pub struct Severity;

    /// The ENUM type `security_event_type`, the values of the nerve-core enum of the same name.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "security_event_type"))]
    pub struct SecurityEventType;

    /// The ENUM type `login_failure`, the values of the nerve-core enum of the same name.
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "login_failure"))]
    pub struct LoginFailure;
}

diesel::table! {
    companies (id) {
        id -> BigInt,
        name -> Varchar,
        domain -> Nullable<Varchar>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        is_active -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::UserRole;

    users (id) {
        id -> BigInt,
        company_id -> BigInt,
        email -> Varchar,
        password_hash -> Varchar,
        full_name -> Nullable<Varchar>,
        role -> UserRole,
        locked_at -> Nullable<Timestamptz>,
        locked_until -> Nullable<Timestamptz>,
        password_changed_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        failures_reset_at -> Nullable<Timestamptz>,
        is_active -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        company_id -> BigInt,
        user_id -> BigInt,
        token_hash -> Varchar,
        ip_address -> Nullable<Varchar>,
        user_agent -> Nullable<Varchar>,
        created_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        expires_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        is_active -> Bool,
    }
}

diesel::table! {
    password_history (id) {
        id -> BigInt,
        user_id -> BigInt,
        password_hash -> Varchar,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        is_active -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::LoginFailure;

    login_attempts (id) {
        id -> BigInt,
        email -> Varchar,
        user_id -> Nullable<BigInt>,
        ip_address -> Nullable<Varchar>,
        user_agent -> Nullable<Varchar>,
        success -> Bool,
        failure -> Nullable<LoginFailure>,
        attempted_at -> Timestamptz,
    }
}

diesel::table! {
    audit_logs (id) {
        id -> BigInt,
        company_id -> BigInt,
        user_id -> Nullable<BigInt>,
        action -> Varchar,
        entity_type -> Nullable<Varchar>,
        entity_id -> Nullable<BigInt>,
        details -> Nullable<Jsonb>,
        ip_address -> Nullable<Varchar>,
        created_at -> Timestamptz,
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
        email -> Nullable<Varchar>,
        ip_address -> Nullable<Varchar>,
        user_agent -> Nullable<Text>,
        location -> Nullable<Varchar>,
        description -> Text,
        metadata_json -> Nullable<Jsonb>,
        acknowledged -> Bool,
        acknowledged_by -> Nullable<BigInt>,
        acknowledged_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
        is_active -> Bool,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        company_id -> BigInt,
        user_id -> BigInt,
        key_hash -> Varchar,
        key_prefix -> Varchar,
        name -> Varchar,
        permissions -> Jsonb,
        last_used_at -> Nullable<Timestamptz>,
        last_used_ip -> Nullable<Varchar>,
        usage_count -> BigInt,
        created_at -> Timestamptz,
        expires_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
        deleted_at -> Nullable<Timestamptz>,
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
    /// Diesel's migration record, created by this driver with a TIMESTAMPTZ `run_on`.
    __diesel_schema_migrations (version) {
        version -> Varchar,
        run_on -> Timestamptz,
    }
}
