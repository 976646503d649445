-- Companies (tenants) and their users. SQLite dialect: STRICT tables (a value of the wrong
-- type is an error, as on PostgreSQL), 64-bit INTEGER PRIMARY KEY rowids, timestamps as UTC
-- text with microseconds (CHECKed by GLOB to start 'YYYY-MM-DD HH:MM:SS', 'T' also accepted), the role as text held by CHECK to the PostgreSQL ENUM's values,
-- booleans as 0/1, the same partial indexes over live rows.

CREATE TABLE companies (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) <= 255),
    domain      TEXT CHECK (length(domain) <= 253),
    created_at  TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at  TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at  TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;

-- One live company per domain; a soft-deleted company frees its domain.
CREATE UNIQUE INDEX companies_domain_live_key ON companies (domain) WHERE deleted_at IS NULL;

CREATE TABLE users (
    id                   INTEGER PRIMARY KEY,
    company_id           INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    email                TEXT NOT NULL CHECK (length(email) <= 254),
    password_hash        TEXT NOT NULL CHECK (length(password_hash) <= 255),
    full_name            TEXT CHECK (length(full_name) <= 255),
    role                 TEXT NOT NULL DEFAULT 'viewer'
                         CHECK (role IN ('owner', 'admin', 'analyst', 'viewer')),
    locked_at            TEXT CHECK (locked_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    locked_until         TEXT CHECK (locked_until GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    password_changed_at  TEXT NOT NULL CHECK (password_changed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    last_login_at        TEXT CHECK (last_login_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at           TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at           TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at           TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active            INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT users_lock_has_start CHECK (locked_until IS NULL OR locked_at IS NOT NULL)
) STRICT;

-- E-mail addresses are normalized (lower-cased) in Rust before they are stored or compared
-- (SQLite's lower() folds ASCII only), and are unique among live users.
CREATE UNIQUE INDEX users_email_live_key ON users (email) WHERE deleted_at IS NULL;
-- The tenant-scoped listing: live users of one company in id order.
CREATE INDEX users_company_live_idx ON users (company_id, id) WHERE deleted_at IS NULL;
