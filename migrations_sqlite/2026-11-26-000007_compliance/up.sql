-- Compliance: assessments per company and framework, their controls (the spec's DDL, with
-- the scan auto-flagging columns), evidence attached to controls, the finding-type -> control
-- mapping that drives auto-flagging (data, not code), and AI-generated vulnerability reports.
-- SQLite dialect: STRICT tables, value sets CHECKed to the PostgreSQL ENUMs' values, JSON as
-- json_valid text (PostgreSQL's GIN indexes have no SQLite counterpart: see Capabilities).

CREATE TABLE compliance_assessments (
    id                        INTEGER PRIMARY KEY,
    company_id                INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    created_by_user_id        INTEGER NOT NULL REFERENCES users (id),
    framework                 TEXT NOT NULL CHECK (framework IN ('soc2', 'iso27001', 'gdpr', 'nis2', 'pipeda')),
    framework_version         TEXT CHECK (length(framework_version) <= 20),
    status                    TEXT NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'completed', 'expired')),
    overall_compliance_score  INTEGER CHECK (overall_compliance_score BETWEEN 0 AND 100),
    assessment_date           TEXT NOT NULL CHECK (assessment_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    completion_date           TEXT CHECK (completion_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    expiry_date               TEXT CHECK (expiry_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at                TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at                TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at                TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active                 INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    user_id                   INTEGER REFERENCES users (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX compliance_assessments_company_live_idx ON compliance_assessments (company_id, id)
    WHERE deleted_at IS NULL;

-- A control appears once per assessment.
CREATE TABLE compliance_controls (
    id                   INTEGER PRIMARY KEY,
    assessment_id        INTEGER NOT NULL REFERENCES compliance_assessments (id) ON DELETE CASCADE,
    control_id           TEXT NOT NULL CHECK (length(control_id) <= 50),
    control_name         TEXT NOT NULL CHECK (length(control_name) <= 255),
    control_category     TEXT CHECK (length(control_category) <= 100),
    status               TEXT NOT NULL DEFAULT 'not_tested' CHECK (status IN ('not_tested', 'passing', 'failing', 'needs_review', 'not_applicable')),
    compliance_score     INTEGER CHECK (compliance_score BETWEEN 0 AND 100),
    scan_source          TEXT CHECK (scan_source IN ('xasm', 'lightbox')),
    scan_finding_type    TEXT CHECK (length(scan_finding_type) <= 100),
    scan_finding_id      TEXT CHECK (length(scan_finding_id) <= 100),
    scan_flagged_at      TEXT CHECK (scan_flagged_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    scan_verified_at     TEXT CHECK (scan_verified_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    scan_domain          TEXT CHECK (length(scan_domain) <= 255),
    evidence_summary     TEXT,
    remediation_notes    TEXT,
    assigned_to_user_id  INTEGER REFERENCES users (id),
    last_reviewed        TEXT CHECK (last_reviewed GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    next_review_date     TEXT CHECK (next_review_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at           TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at           TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at           TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active            INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    user_id              INTEGER REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT compliance_controls_once UNIQUE (assessment_id, control_id)
) STRICT;
CREATE INDEX compliance_controls_flagged_live_idx ON compliance_controls (scan_source, scan_finding_id)
    WHERE deleted_at IS NULL;

CREATE TABLE compliance_evidence (
    id                   INTEGER PRIMARY KEY,
    control_id           INTEGER NOT NULL REFERENCES compliance_controls (id) ON DELETE CASCADE,
    company_id           INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id              INTEGER REFERENCES users (id) ON DELETE SET NULL,
    uploaded_by_user_id  INTEGER NOT NULL REFERENCES users (id),
    file_reference       TEXT NOT NULL CHECK (length(file_reference) <= 1024),
    file_name            TEXT CHECK (length(file_name) <= 255),
    sha256               TEXT NOT NULL CHECK (length(sha256) <= 64),
    description          TEXT,
    uploaded_at          TEXT NOT NULL CHECK (uploaded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at           TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at           TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at           TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active            INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX compliance_evidence_control_live_idx ON compliance_evidence (control_id, id) WHERE deleted_at IS NULL;

-- Which controls of which framework a scan finding type flags, and to what status.
CREATE TABLE compliance_control_mappings (
    id            INTEGER PRIMARY KEY,
    scan_source   TEXT NOT NULL CHECK (scan_source IN ('xasm', 'lightbox')),
    finding_type  TEXT NOT NULL CHECK (length(finding_type) <= 100),
    framework     TEXT NOT NULL CHECK (framework IN ('soc2', 'iso27001', 'gdpr', 'nis2', 'pipeda')),
    control_id    TEXT NOT NULL CHECK (length(control_id) <= 50),
    flag_status   TEXT NOT NULL DEFAULT 'failing' CHECK (flag_status IN ('not_tested', 'passing', 'failing', 'needs_review', 'not_applicable')),
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at    TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at    TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    CONSTRAINT compliance_control_mappings_once UNIQUE (scan_source, finding_type, framework, control_id)
) STRICT;

CREATE TABLE vulnerability_reports (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    scan_source   TEXT CHECK (scan_source IN ('xasm', 'lightbox')),
    scan_id       INTEGER,
    domain        TEXT CHECK (length(domain) <= 253),
    title         TEXT NOT NULL CHECK (length(title) <= 255),
    report_text   TEXT NOT NULL,
    metadata      TEXT CHECK (json_valid(metadata)),
    model         TEXT CHECK (length(model) <= 100),
    generated_at  TEXT NOT NULL CHECK (generated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at    TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at    TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at    TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX vulnerability_reports_company_live_idx ON vulnerability_reports (company_id, id)
    WHERE deleted_at IS NULL;
