ALTER FUNCTION audit_logs_append_only() RESET search_path;
CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % is not allowed', TG_OP;
END
$$;
DROP TABLE audit_log_maintenance;
