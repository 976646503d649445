-- OSINT: profiles of people a company watches, their social media accounts, the breaches
-- they appear in, and discovered devices. SQLite dialect: STRICT tables, value sets CHECKed to
-- the PostgreSQL ENUMs' values, JSON arrays under json_valid, timestamps CHECKed by GLOB.

CREATE TABLE profiles (
    id          INTEGER PRIMARY KEY,
    company_id  INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    full_name   TEXT NOT NULL CHECK (length(full_name) <= 255),
    email       TEXT CHECK (length(email) <= 254),
    domain      TEXT CHECK (length(domain) <= 253),
    job_title   TEXT CHECK (length(job_title) <= 255),
    location    TEXT CHECK (length(location) <= 255),
    notes       TEXT,
    risk_score  INTEGER NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    metadata    TEXT CHECK (json_valid(metadata)),
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX profiles_company_live_idx ON profiles (company_id, id) WHERE deleted_at IS NULL;
CREATE INDEX profiles_email_live_idx ON profiles (company_id, email) WHERE deleted_at IS NULL;
CREATE INDEX profiles_domain_live_idx ON profiles (company_id, domain) WHERE deleted_at IS NULL;

CREATE TABLE social_media (
    id             INTEGER PRIMARY KEY,
    profile_id     INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    platform       TEXT NOT NULL CHECK (platform IN ('twitter', 'linkedin', 'facebook', 'instagram', 'github', 'reddit', 'tiktok', 'youtube',
                                        'mastodon', 'telegram', 'other')),
    handle         TEXT NOT NULL CHECK (length(handle) <= 255),
    url            TEXT CHECK (length(url) <= 2048),
    followers      INTEGER,
    verified       INTEGER NOT NULL DEFAULT 0 CHECK (verified IN (0, 1)),
    discovered_at  TEXT NOT NULL CHECK (discovered_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
-- One live account per platform and handle for a profile.
CREATE UNIQUE INDEX social_media_handle_live_key ON social_media (profile_id, platform, handle)
    WHERE deleted_at IS NULL;

CREATE TABLE breaches (
    id            INTEGER PRIMARY KEY,
    profile_id    INTEGER NOT NULL REFERENCES profiles (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    breach_name   TEXT NOT NULL CHECK (length(breach_name) <= 255),
    breach_date   TEXT CHECK (breach_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    data_classes  TEXT NOT NULL DEFAULT '[]'
                  CHECK (json_valid(data_classes) AND json_type(data_classes) = 'array'),
    source        TEXT CHECK (length(source) <= 100),
    severity      TEXT NOT NULL DEFAULT 'medium'
                  CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    description   TEXT,
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
-- A breach is recorded once per profile (dedupe on profile + breach name).
CREATE UNIQUE INDEX breaches_profile_name_live_key ON breaches (profile_id, breach_name)
    WHERE deleted_at IS NULL;

CREATE TABLE devices (
    id                INTEGER PRIMARY KEY,
    company_id        INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    profile_id        INTEGER REFERENCES profiles (id) ON DELETE SET NULL,
    user_id           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    ip_address        TEXT NOT NULL CHECK (length(ip_address) <= 45),
    hostname          TEXT CHECK (length(hostname) <= 253),
    device_type       TEXT CHECK (length(device_type) <= 100),
    operating_system  TEXT CHECK (length(operating_system) <= 100),
    open_ports        TEXT NOT NULL DEFAULT '[]'
                      CHECK (json_valid(open_ports) AND json_type(open_ports) = 'array'),
    first_seen_at     TEXT NOT NULL CHECK (first_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    last_seen_at      TEXT NOT NULL CHECK (last_seen_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
-- Devices are upserted by company and address.
CREATE UNIQUE INDEX devices_company_ip_live_key ON devices (company_id, ip_address)
    WHERE deleted_at IS NULL;
