-- Security roadmap: company security profiles and user tasks (the spec's DDL, value sets as
-- ENUMs, JSON as JSONB), the versioned master task library, achievements (awarded once per
-- profile) and progress snapshots.
-- SQLite dialect: STRICT tables, value sets CHECKed to the PostgreSQL ENUMs' values, JSON as
-- json_valid text (PostgreSQL's GIN indexes have no SQLite counterpart: see Capabilities).

CREATE TABLE roadmap_profiles (
    id                       INTEGER PRIMARY KEY,
    user_id                  INTEGER REFERENCES users (id),
    company_id               INTEGER REFERENCES companies (id),
    company_name             TEXT NOT NULL CHECK (length(company_name) <= 255),
    company_size             TEXT CHECK (length(company_size) <= 50),
    industry                 TEXT CHECK (length(industry) <= 100),
    employee_count           INTEGER CHECK (employee_count >= 0),
    current_security_score   INTEGER DEFAULT 0 CHECK (current_security_score BETWEEN 0 AND 100),
    target_security_score    INTEGER DEFAULT 75 CHECK (target_security_score BETWEEN 0 AND 100),
    handles_pii              INTEGER DEFAULT 0 CHECK (handles_pii IN (0, 1)),
    handles_payment_data     INTEGER DEFAULT 0 CHECK (handles_payment_data IN (0, 1)),
    handles_health_data      INTEGER DEFAULT 0 CHECK (handles_health_data IN (0, 1)),
    handles_financial_data   INTEGER DEFAULT 0 CHECK (handles_financial_data IN (0, 1)),
    current_measures         TEXT CHECK (json_valid(current_measures)),
    compliance_requirements  TEXT CHECK (json_valid(compliance_requirements)),
    assessment_responses     TEXT CHECK (json_valid(assessment_responses)),
    created_at               TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at               TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    last_recalculated        TEXT CHECK (last_recalculated GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at               TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active                INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX roadmap_profiles_company_live_idx ON roadmap_profiles (company_id, id) WHERE deleted_at IS NULL;

-- The master task library: one live row per task key; loading a new library version updates
-- rows in place (recorded in roadmap_task_library_meta), so users' tasks keep their keys.
CREATE TABLE roadmap_tasks (
    id                INTEGER PRIMARY KEY,
    task_id           TEXT NOT NULL CHECK (length(task_id) <= 100),
    library_version   TEXT NOT NULL CHECK (length(library_version) <= 20),
    title             TEXT NOT NULL CHECK (length(title) <= 255),
    description       TEXT,
    category          TEXT CHECK (length(category) <= 100),
    phase             INTEGER NOT NULL DEFAULT 1 CHECK (phase >= 1),
    priority          TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('info', 'low', 'medium', 'high', 'critical')),
    points            INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    estimated_effort  TEXT CHECK (length(estimated_effort) <= 50),
    applies_to        TEXT CHECK (json_valid(applies_to)),
    user_id           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at        TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at        TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active         INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX roadmap_tasks_task_live_key ON roadmap_tasks (task_id) WHERE deleted_at IS NULL;

CREATE TABLE roadmap_user_tasks (
    id                    INTEGER PRIMARY KEY,
    profile_id            INTEGER NOT NULL REFERENCES roadmap_profiles (id) ON DELETE CASCADE,
    task_id               TEXT NOT NULL CHECK (length(task_id) <= 100),
    status                TEXT NOT NULL DEFAULT 'not_started' CHECK (status IN ('not_started', 'in_progress', 'completed', 'verified')),
    phase                 INTEGER DEFAULT 1,
    priority_order        INTEGER,
    source                TEXT CHECK (source IN ('library', 'scan', 'threat_actor', 'manual')),
    source_reference_id   INTEGER,
    source_details        TEXT CHECK (json_valid(source_details)),
    finding_type          TEXT CHECK (length(finding_type) <= 100),
    finding_severity      TEXT CHECK (finding_severity IN ('info', 'low', 'medium', 'high', 'critical')),
    scan_domain           TEXT CHECK (length(scan_domain) <= 255),
    scan_date             TEXT CHECK (scan_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    matched_threat_actor  TEXT CHECK (length(matched_threat_actor) <= 255),
    threat_actor_ttp      TEXT CHECK (json_valid(threat_actor_ttp)),
    assigned_to_user_id   INTEGER REFERENCES users (id),
    started_at            TEXT CHECK (started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    completed_at          TEXT CHECK (completed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    verified_at           TEXT CHECK (verified_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    last_reminded         TEXT CHECK (last_reminded GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    user_notes            TEXT,
    admin_notes           TEXT,
    created_at            TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at            TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at            TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active             INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    user_id               INTEGER REFERENCES users (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX roadmap_user_tasks_profile_live_idx ON roadmap_user_tasks (profile_id, status, id)
    WHERE deleted_at IS NULL;
CREATE INDEX roadmap_user_tasks_task_live_idx ON roadmap_user_tasks (profile_id, task_id) WHERE deleted_at IS NULL;

-- One award per profile and achievement.
CREATE TABLE roadmap_achievements (
    id               INTEGER PRIMARY KEY,
    profile_id       INTEGER NOT NULL REFERENCES roadmap_profiles (id) ON DELETE CASCADE,
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    achievement_key  TEXT NOT NULL CHECK (length(achievement_key) <= 100),
    name             TEXT NOT NULL CHECK (length(name) <= 255),
    description      TEXT,
    points           INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
    awarded_at       TEXT NOT NULL CHECK (awarded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at       TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at       TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at       TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT roadmap_achievements_once UNIQUE (profile_id, achievement_key)
) STRICT;

-- Progress snapshots, a time series per profile.
CREATE TABLE roadmap_progress_history (
    id                 INTEGER PRIMARY KEY,
    profile_id         INTEGER NOT NULL REFERENCES roadmap_profiles (id) ON DELETE CASCADE,
    user_id            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    security_score     INTEGER NOT NULL CHECK (security_score BETWEEN 0 AND 100),
    tasks_total        INTEGER NOT NULL DEFAULT 0 CHECK (tasks_total >= 0),
    tasks_not_started  INTEGER NOT NULL DEFAULT 0 CHECK (tasks_not_started >= 0),
    tasks_in_progress  INTEGER NOT NULL DEFAULT 0 CHECK (tasks_in_progress >= 0),
    tasks_completed    INTEGER NOT NULL DEFAULT 0 CHECK (tasks_completed >= 0),
    tasks_verified     INTEGER NOT NULL DEFAULT 0 CHECK (tasks_verified >= 0),
    details            TEXT CHECK (json_valid(details)),
    recorded_at        TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at         TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at         TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at         TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active          INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX roadmap_progress_history_profile_live_idx ON roadmap_progress_history (profile_id, recorded_at, id)
    WHERE deleted_at IS NULL;

-- One row per library version loaded.
CREATE TABLE roadmap_task_library_meta (
    id           INTEGER PRIMARY KEY,
    version      TEXT NOT NULL UNIQUE CHECK (length(version) <= 20),
    task_count   INTEGER NOT NULL CHECK (task_count >= 0),
    checksum     TEXT CHECK (length(checksum) <= 64),
    notes        TEXT,
    loaded_at    TEXT NOT NULL CHECK (loaded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at   TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at   TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active    INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
