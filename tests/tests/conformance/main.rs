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
        password_history_refuses_the_last_five,
    ],
    auth: [
        login_succeeds_and_records_the_attempt,
        wrong_password_and_unknown_address_are_bad_credentials,
        lockout_at_the_fifth_failure_not_the_fourth,
        lock_ends_by_the_clock_or_by_unlock,
        success_resets_and_the_window_forgets_failures,
        many_failures_from_one_address_raise_one_event,
        changed_argon2_parameters_rehash_on_login,
        login_rejects_malformed_client_data,
    ],
    sessions: [
        token_is_returned_once_and_stored_only_as_its_hash,
        session_expires_by_the_clock,
        revoke_one_and_all,
        password_change_lock_and_deletion_end_sessions,
        session_values_are_validated,
    ],
    audit: [
        audit_rows_cannot_be_changed_or_deleted,
        audit_lists_newest_first_per_company_and_user,
        audit_entries_are_validated,
    ],
    events: [
        events_list_by_severity_time_and_company,
        acknowledging_twice_keeps_the_first,
        events_are_validated,
    ],
    api_keys: [
        key_is_returned_once_as_hash_and_prefix,
        verify_checks_scope_and_records_usage,
        unknown_revoked_and_expired_keys_are_refused,
        key_values_are_validated,
        no_secret_is_stored_readable,
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
