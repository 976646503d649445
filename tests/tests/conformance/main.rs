//! The conformance suite: every case once, run against every backend.
//! A case written but not listed here is dead code, which `clippy -D warnings` rejects.

mod cases;

nerve_conformance::conformance! {
    companies: [
        create_and_get_round_trip,
        create_rejects_invalid_values_and_writes_nothing,
        live_domain_is_unique_and_freed_by_soft_delete,
        get_and_find_missing_are_not_found,
        list_pages_by_id_and_filters_deleted,
        update_changes_fields_and_updated_at,
        soft_delete_and_restore,
    ],
    users: [
        create_normalizes_email_and_stores_only_a_hash,
        create_rejects_invalid_values,
        create_needs_a_live_company,
        email_is_unique_among_live_users_of_all_companies,
        another_company_cannot_see_or_touch_a_user,
        soft_deleted_user_is_hidden_until_restored,
        update_changes_email_name_and_role,
        set_password_replaces_the_hash,
        lock_until_and_indefinitely_then_unlock,
        list_pages_by_id_within_the_company,
        users_of_a_soft_deleted_company_are_hidden,
        remaining_error_paths,
    ],
    transactions: [
        atomic_commits_every_call_together,
        atomic_error_rolls_back_every_call,
        failed_call_inside_atomic_leaves_no_partial_write,
        transaction_returns_the_closure_value,
        concurrent_writers_all_succeed,
    ],
    schema: [
        status_lists_every_embedded_migration,
        pending_migrations_are_refused_unless_applied,
        concurrent_migrations_apply_once,
        newer_database_is_refused,
        timestamps_are_utc_microseconds,
        stores_truncate_a_clock_with_nanoseconds,
        column_types_match_the_phase_7_plan,
        store_is_send_sync_and_boxable,
    ],
}
