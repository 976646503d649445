-- Account security: sessions, password history, login attempts, the append-only audit log,
-- security events and API keys. Value sets are CHECKed to the PostgreSQL ENUMs' values; JSON
-- is text under json_valid.

-- Failed logins are counted from this instant on (set by a successful login and by unlock).
ALTER TABLE users ADD COLUMN failures_reset_at TEXT CHECK (failures_reset_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*');

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL UNIQUE CHECK (length(token_hash) <= 64),
    ip_address    TEXT CHECK (length(ip_address) <= 45),
    user_agent    TEXT CHECK (length(user_agent) <= 1000),
    created_at    TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    last_seen_at  TEXT NOT NULL CHECK (last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    expires_at    TEXT NOT NULL CHECK (expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    revoked_at    TEXT CHECK (revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at    TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at    TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX sessions_user_unrevoked_idx ON sessions (user_id, id) WHERE revoked_at IS NULL;

CREATE TABLE password_history (
    id             INTEGER PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    password_hash  TEXT NOT NULL CHECK (length(password_hash) <= 255),
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX password_history_user_idx ON password_history (user_id, id);

-- Append-only by nature: no updated_at / deleted_at.
CREATE TABLE login_attempts (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL CHECK (length(email) <= 254),
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    ip_address    TEXT CHECK (length(ip_address) <= 45),
    user_agent    TEXT CHECK (length(user_agent) <= 1000),
    success       INTEGER NOT NULL CHECK (success IN (0, 1)),
    failure       TEXT CHECK (failure IN ('unknown_account', 'bad_password', 'locked')),
    attempted_at  TEXT NOT NULL CHECK (attempted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    CONSTRAINT login_attempts_failure_iff_unsuccessful CHECK (success = (failure IS NULL))
) STRICT;
CREATE INDEX login_attempts_user_failures_idx ON login_attempts (user_id, attempted_at) WHERE NOT success;
CREATE INDEX login_attempts_ip_failures_idx ON login_attempts (ip_address, attempted_at) WHERE NOT success;
CREATE INDEX login_attempts_email_idx ON login_attempts (email, id);

-- Append-only, enforced below: no updated_at / deleted_at.
CREATE TABLE audit_logs (
    id           INTEGER PRIMARY KEY,
    company_id   INTEGER NOT NULL REFERENCES companies (id),
    user_id      INTEGER REFERENCES users (id),
    action       TEXT NOT NULL CHECK (length(action) <= 100),
    entity_type  TEXT CHECK (length(entity_type) <= 100),
    entity_id    INTEGER,
    details      TEXT CHECK (json_valid(details)),
    ip_address   TEXT CHECK (length(ip_address) <= 45),
    created_at   TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*')
) STRICT;
CREATE INDEX audit_logs_company_idx ON audit_logs (company_id, id);
CREATE INDEX audit_logs_user_idx ON audit_logs (company_id, user_id, id);

CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: UPDATE is not allowed');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit_logs is append-only: DELETE is not allowed');
END;

CREATE TABLE security_events (
    id               INTEGER PRIMARY KEY,
    company_id       INTEGER REFERENCES companies (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL CHECK (event_type IN (
                         'brute_force', 'credential_stuffing', 'account_locked', 'account_unlocked',
                         'password_changed', 'api_key_rejected', 'honeytoken_access', 'other')),
    severity         TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    user_id          INTEGER REFERENCES users (id),
    email            TEXT CHECK (length(email) <= 255),
    ip_address       TEXT CHECK (length(ip_address) <= 45),
    user_agent       TEXT,
    location         TEXT CHECK (length(location) <= 255),
    description      TEXT NOT NULL,
    metadata_json    TEXT CHECK (json_valid(metadata_json)),
    acknowledged     INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1)),
    acknowledged_by  INTEGER REFERENCES users (id),
    acknowledged_at  TEXT CHECK (acknowledged_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at       TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at       TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at       TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX security_events_severity_time_idx ON security_events (severity, created_at) WHERE deleted_at IS NULL;
CREATE INDEX security_events_company_idx ON security_events (company_id, id) WHERE deleted_at IS NULL;
CREATE INDEX security_events_unacknowledged_idx ON security_events (id) WHERE NOT acknowledged AND deleted_at IS NULL;

CREATE TABLE api_keys (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_hash      TEXT NOT NULL UNIQUE CHECK (length(key_hash) <= 255),
    key_prefix    TEXT NOT NULL CHECK (length(key_prefix) <= 8),
    name          TEXT NOT NULL CHECK (length(name) <= 100),
    permissions   TEXT NOT NULL DEFAULT '[]'
                  CHECK (json_valid(permissions) AND json_type(permissions) = 'array'),
    last_used_at  TEXT CHECK (last_used_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    last_used_ip  TEXT CHECK (length(last_used_ip) <= 45),
    usage_count   INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    expires_at    TEXT CHECK (expires_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    revoked_at    TEXT CHECK (revoked_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at    TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at    TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
-- Verification looks a key up by prefix whatever its state, to tell revoked from unknown.
CREATE INDEX api_keys_prefix_idx ON api_keys (key_prefix);
CREATE INDEX api_keys_user_idx ON api_keys (user_id, id);
