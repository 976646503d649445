-- audit_logs stays append-only to everyone, except inside the store's own data-lifecycle
-- transactions (GDPR erasure, retention past the legal minimum, company deletion): such a
-- transaction inserts a row here first and deletes it before it commits, so no other
-- transaction ever sees one, and the triggers let its changes through.
-- SQLite dialect: STRICT, timestamps CHECKed as text.
CREATE TABLE audit_log_maintenance (
    id          INTEGER PRIMARY KEY,
    reason      TEXT NOT NULL CHECK (length(reason) <= 200),
    started_at  TEXT NOT NULL CHECK (started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at  TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at  TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at  TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;

DROP TRIGGER audit_logs_no_update;
DROP TRIGGER audit_logs_no_delete;
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
WHEN NOT EXISTS (SELECT 1 FROM audit_log_maintenance)
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
WHEN NOT EXISTS (SELECT 1 FROM audit_log_maintenance)
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: DELETE is not allowed');
END;
