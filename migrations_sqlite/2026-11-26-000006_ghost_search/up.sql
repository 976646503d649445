-- Ghost Search: query history, monitored e-mail addresses and what is found about them
-- (breach feeds, uploaded breach files, GitHub, Pastebin, OPSYCH). ghost_search_queries and
-- monitored_emails are the spec's DDL with their value sets as ENUMs and JSON as JSONB.
-- Findings are deduplicated by the database: the same finding from the same source, or the
-- same source URL for a monitored address, is one row.
-- SQLite dialect: STRICT tables, value sets CHECKed to the PostgreSQL ENUMs' values, JSON as
-- json_valid text (PostgreSQL's GIN indexes have no SQLite counterpart: see Capabilities).

CREATE TABLE ghost_search_queries (
    id                INTEGER PRIMARY KEY,
    user_id           INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    query_type        TEXT NOT NULL CHECK (query_type IN ('email', 'username', 'domain', 'phone', 'ip', 'name', 'password_hash')),
    query_value       TEXT NOT NULL CHECK (length(query_value) <= 255),
    results_count     INTEGER NOT NULL DEFAULT 0 CHECK (results_count >= 0),
    search_sources    TEXT CHECK (json_valid(search_sources)),
    response_time_ms  INTEGER CHECK (response_time_ms >= 0),
    searched_at       TEXT NOT NULL CHECK (searched_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at        TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at        TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at        TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX ghost_search_queries_user_live_idx ON ghost_search_queries (user_id, searched_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX ghost_search_queries_type_live_idx ON ghost_search_queries (query_type) WHERE deleted_at IS NULL;

-- A company-scoped address has a company, a user-scoped one a user (CHECKed).
CREATE TABLE monitored_emails (
    id                  INTEGER PRIMARY KEY,
    company_id          INTEGER REFERENCES companies (id) ON DELETE CASCADE,
    user_id             INTEGER REFERENCES users (id) ON DELETE CASCADE,
    created_by_user_id  INTEGER NOT NULL REFERENCES users (id),
    email_address       TEXT NOT NULL CHECK (length(email_address) <= 255),
    monitor_scope       TEXT NOT NULL CHECK (monitor_scope IN ('company', 'user')),
    last_checked        TEXT CHECK (last_checked GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    findings_count      INTEGER NOT NULL DEFAULT 0 CHECK (findings_count >= 0),
    created_at          TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at          TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at          TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT monitored_emails_scope_has_owner CHECK (
        (monitor_scope = 'company' AND company_id IS NOT NULL)
        OR (monitor_scope = 'user' AND user_id IS NOT NULL))
) STRICT;
CREATE INDEX monitored_emails_company_live_idx ON monitored_emails (company_id, email_address)
    WHERE deleted_at IS NULL;
CREATE INDEX monitored_emails_user_live_idx ON monitored_emails (user_id, email_address)
    WHERE deleted_at IS NULL;

-- One row per (address, source, finding): recording the same finding again adds nothing.
CREATE TABLE monitored_email_findings (
    id                  INTEGER PRIMARY KEY,
    monitored_email_id  INTEGER NOT NULL REFERENCES monitored_emails (id) ON DELETE CASCADE,
    user_id             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source              TEXT NOT NULL CHECK (length(source) <= 100),
    finding_key         TEXT NOT NULL CHECK (length(finding_key) <= 512),
    breach_name         TEXT CHECK (length(breach_name) <= 255),
    breach_date         TEXT CHECK (breach_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    data_classes        TEXT CHECK (json_valid(data_classes)),
    severity            TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    source_details      TEXT CHECK (json_valid(source_details)),
    found_at            TEXT NOT NULL CHECK (found_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at          TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at          TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at          TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT monitored_email_findings_once UNIQUE (monitored_email_id, source, finding_key)
) STRICT;

CREATE TABLE uploaded_breach_files (
    id              INTEGER PRIMARY KEY,
    company_id      INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    file_name       TEXT NOT NULL CHECK (length(file_name) <= 255),
    size_bytes      INTEGER NOT NULL CHECK (size_bytes >= 0),
    sha256          TEXT NOT NULL CHECK (length(sha256) <= 64),
    breach_name     TEXT CHECK (length(breach_name) <= 255),
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parsed', 'failed')),
    failure_reason  TEXT,
    records_count   INTEGER NOT NULL DEFAULT 0 CHECK (records_count >= 0),
    parsed_at       TEXT CHECK (parsed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at      TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at      TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at      TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT uploaded_breach_files_failure_has_reason CHECK (status <> 'failed' OR failure_reason IS NOT NULL)
) STRICT;
CREATE INDEX uploaded_breach_files_company_live_idx ON uploaded_breach_files (company_id, id)
    WHERE deleted_at IS NULL;

-- A parsed record of a breach file; as for uploaded credentials, never a readable password.
CREATE TABLE breach_file_results (
    id               INTEGER PRIMARY KEY,
    file_id          INTEGER NOT NULL REFERENCES uploaded_breach_files (id) ON DELETE CASCADE,
    company_id       INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    email            TEXT CHECK (length(email) <= 254),
    username         TEXT CHECK (length(username) <= 255),
    password_masked  TEXT CHECK (length(password_masked) <= 255),
    password_sha256  TEXT CHECK (length(password_sha256) <= 64),
    domain           TEXT CHECK (length(domain) <= 253),
    source_line      INTEGER,
    extra_fields     TEXT CHECK (json_valid(extra_fields)),
    created_at       TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at       TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at       TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX breach_file_results_file_idx ON breach_file_results (file_id, id);
CREATE INDEX breach_file_results_email_live_idx ON breach_file_results (company_id, email)
    WHERE deleted_at IS NULL;

-- Findings per monitored address, one per source URL.
CREATE TABLE github_findings (
    id                  INTEGER PRIMARY KEY,
    monitored_email_id  INTEGER NOT NULL REFERENCES monitored_emails (id) ON DELETE CASCADE,
    user_id             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source_url          TEXT NOT NULL CHECK (length(source_url) <= 2048),
    repository          TEXT CHECK (length(repository) <= 255),
    file_path           TEXT CHECK (length(file_path) <= 1024),
    matched_text        TEXT,
    severity            TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    committed_at        TEXT CHECK (committed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    found_at            TEXT NOT NULL CHECK (found_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at          TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at          TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at          TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT github_findings_once UNIQUE (monitored_email_id, source_url)
) STRICT;

CREATE TABLE pastebin_findings (
    id                  INTEGER PRIMARY KEY,
    monitored_email_id  INTEGER NOT NULL REFERENCES monitored_emails (id) ON DELETE CASCADE,
    user_id             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source_url          TEXT NOT NULL CHECK (length(source_url) <= 2048),
    paste_title         TEXT CHECK (length(paste_title) <= 255),
    paste_author        TEXT CHECK (length(paste_author) <= 255),
    matched_text        TEXT,
    severity            TEXT NOT NULL DEFAULT 'medium' CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    posted_at           TEXT CHECK (posted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    found_at            TEXT NOT NULL CHECK (found_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at          TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at          TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at          TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT pastebin_findings_once UNIQUE (monitored_email_id, source_url)
) STRICT;

CREATE TABLE opsych_search_results (
    id                  INTEGER PRIMARY KEY,
    monitored_email_id  INTEGER NOT NULL REFERENCES monitored_emails (id) ON DELETE CASCADE,
    user_id             INTEGER REFERENCES users (id) ON DELETE SET NULL,
    source_url          TEXT NOT NULL CHECK (length(source_url) <= 2048),
    platform            TEXT NOT NULL CHECK (platform IN ('twitter', 'linkedin', 'facebook', 'instagram', 'github', 'reddit', 'tiktok', 'youtube', 'mastodon', 'telegram', 'other')),
    username            TEXT CHECK (length(username) <= 255),
    display_name        TEXT CHECK (length(display_name) <= 255),
    details             TEXT CHECK (json_valid(details)),
    found_at            TEXT NOT NULL CHECK (found_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at          TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at          TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at          TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active           INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT opsych_search_results_once UNIQUE (monitored_email_id, source_url)
) STRICT;
