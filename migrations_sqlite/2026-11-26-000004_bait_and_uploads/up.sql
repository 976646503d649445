-- BAIT honeytokens and their accesses; uploaded files and the credentials parsed from them.
-- A credential's plaintext password is never stored: a masked form and its SHA-256 only.
-- SQLite dialect: STRICT tables, value sets CHECKed to the PostgreSQL ENUMs' values.

CREATE TABLE bait_tokens (
    id                INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    token_type        TEXT NOT NULL CHECK (token_type IN (
                          'url', 'dns', 'email', 'aws_key', 'document', 'api_key', 'credential', 'other')),
    -- Unique whatever the token's state: an access to an inactive token must still find it.
    token_value       TEXT NOT NULL UNIQUE CHECK (length(token_value) <= 512),
    label             TEXT NOT NULL CHECK (length(label) <= 255),
    description       TEXT,
    access_count      INTEGER NOT NULL DEFAULT 0 CHECK (access_count >= 0),
    last_accessed_at  TEXT CHECK (last_accessed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    metadata          TEXT CHECK (json_valid(metadata)),
    created_at        TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at        TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at        TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX bait_tokens_company_live_idx ON bait_tokens (company_id, id) WHERE deleted_at IS NULL;

-- Append-only access log: no updated_at / deleted_at.
CREATE TABLE bait_accesses (
    id                INTEGER PRIMARY KEY,
    token_id          INTEGER NOT NULL REFERENCES bait_tokens (id) ON DELETE CASCADE,
    company_id        INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    ip_address        TEXT CHECK (length(ip_address) <= 45),
    user_agent        TEXT CHECK (length(user_agent) <= 1000),
    location          TEXT CHECK (length(location) <= 255),
    raw_request       TEXT CHECK (json_valid(raw_request)),
    token_was_active  INTEGER NOT NULL CHECK (token_was_active IN (0, 1)),
    accessed_at       TEXT NOT NULL CHECK (accessed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*')
) STRICT;
CREATE INDEX bait_accesses_token_idx ON bait_accesses (token_id, id);

CREATE TABLE uploaded_files (
    id              INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    file_name       TEXT NOT NULL CHECK (length(file_name) <= 255),
    size_bytes      INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256          TEXT NOT NULL CHECK (length(sha256) <= 64),
    mime_type       TEXT CHECK (length(mime_type) <= 255),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parsed', 'failed')),
    failure_reason  TEXT,
    parsed_at       TEXT CHECK (parsed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at      TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at      TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at      TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT uploaded_files_failure_has_reason CHECK (status <> 'failed' OR failure_reason IS NOT NULL)
) STRICT;
CREATE INDEX uploaded_files_company_live_idx ON uploaded_files (company_id, id) WHERE deleted_at IS NULL;
CREATE INDEX uploaded_files_sha256_live_idx ON uploaded_files (company_id, sha256) WHERE deleted_at IS NULL;

CREATE TABLE uploaded_credentials (
    id               INTEGER PRIMARY KEY,
    file_id          INTEGER NOT NULL REFERENCES uploaded_files (id) ON DELETE CASCADE,
    company_id       INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    email            TEXT CHECK (length(email) <= 254),
    username         TEXT CHECK (length(username) <= 255),
    password_masked  TEXT CHECK (length(password_masked) <= 255),
    password_sha256  TEXT CHECK (length(password_sha256) <= 64),
    domain           TEXT CHECK (length(domain) <= 253),
    source_line      INTEGER,
    created_at       TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at       TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at       TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX uploaded_credentials_file_idx ON uploaded_credentials (file_id, id);
CREATE INDEX uploaded_credentials_email_live_idx ON uploaded_credentials (company_id, email)
    WHERE deleted_at IS NULL;
