//! Diesel's view of the PostgreSQL schema made by `migrations_postgres/`.

/// Local SQL types for closed value sets: native PostgreSQL ENUM types.
pub mod sql_types {
    /// The ENUM type `user_role`, the values of [`nerve_core::model::Role`].
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(postgres_type(name = "user_role"))]
    pub struct UserRole;
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
        is_active -> Bool,
    }
}

diesel::joinable!(users -> companies (company_id));
diesel::allow_tables_to_appear_in_same_query!(companies, users);

diesel::table! {
    /// Diesel's migration record, created by this driver with a TIMESTAMPTZ `run_on`.
    __diesel_schema_migrations (version) {
        version -> Varchar,
        run_on -> Timestamptz,
    }
}
