//! Diesel's view of the SQLite schema made by `migrations_sqlite/` (written by hand:
//! print-schema cannot infer TIMESTAMPTZ text or 64-bit keys on SQLite).

/// Local SQL types for closed value sets: text on SQLite, held to their values by CHECK.
pub mod sql_types {
    /// `users.role`: text CHECKed to the values of [`nerve_core::model::Role`].
    #[derive(diesel::sql_types::SqlType, diesel::query_builder::QueryId)]
    #[diesel(sqlite_type(name = "Text"))]
    pub struct UserRole;
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
        is_active -> Bool,
    }
}

diesel::joinable!(users -> companies (company_id));
diesel::allow_tables_to_appear_in_same_query!(companies, users);

diesel::table! {
    /// Diesel's migration record; `run_on` is `CURRENT_TIMESTAMP` text (UTC, no offset).
    __diesel_schema_migrations (version) {
        version -> Text,
        run_on -> Timestamp,
    }
}
