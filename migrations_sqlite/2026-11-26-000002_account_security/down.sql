DROP TABLE api_keys;
DROP TABLE security_events;
DROP TABLE audit_logs;
DROP TABLE login_attempts;
DROP TABLE password_history;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN failures_reset_at;
