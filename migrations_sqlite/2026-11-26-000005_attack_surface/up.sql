-- Attack surface: ASM scans and Lightbox findings per company and domain; the cache of the
-- latest ASM scan per domain (the spec's DDL, plus the standard columns it lacks); XASM and
-- Lightbox scan history (append, listed by domain in time order, trimmed to the last N) and
-- the individual results of each scan. JSON scan results are JSONB with a GIN index, so a
-- content query ("results mentioning CVE-2024-3094") uses containment on the index.
-- SQLite dialect: STRICT tables, value sets CHECKed to the PostgreSQL ENUMs' values, JSON as
-- json_valid text (PostgreSQL's GIN indexes have no SQLite counterpart: see Capabilities).

CREATE TABLE asm_scans (
    id            INTEGER PRIMARY KEY,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    domain        TEXT NOT NULL CHECK (length(domain) <= 253),
    status        TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    risk_score    INTEGER NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    risk_level    TEXT CHECK (risk_level IN ('info', 'low', 'medium', 'high', 'critical')),
    scan_results  TEXT CHECK (json_valid(scan_results)),
    error         TEXT,
    started_at    TEXT NOT NULL CHECK (started_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    completed_at  TEXT CHECK (completed_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at    TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at    TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at    TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX asm_scans_company_domain_live_idx ON asm_scans (company_id, domain, id) WHERE deleted_at IS NULL;

CREATE TABLE lightbox_findings (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    domain         TEXT NOT NULL CHECK (length(domain) <= 253),
    finding_type   TEXT NOT NULL CHECK (length(finding_type) <= 100),
    severity       TEXT NOT NULL CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    title          TEXT NOT NULL CHECK (length(title) <= 255),
    description    TEXT,
    url            TEXT CHECK (length(url) <= 2048),
    evidence       TEXT CHECK (json_valid(evidence)),
    discovered_at  TEXT NOT NULL CHECK (discovered_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    resolved_at    TEXT CHECK (resolved_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX lightbox_findings_company_domain_live_idx ON lightbox_findings (company_id, domain, id)
    WHERE deleted_at IS NULL;

-- The spec's DDL: a cache keyed by domain, shared by every company (no company_id, no
-- created_at); one live row per domain, so a scan upserts it.
CREATE TABLE cached_asm_scans (
    id                     INTEGER PRIMARY KEY,
    domain                 TEXT NOT NULL CHECK (length(domain) <= 255),
    scanned_at             TEXT CHECK (scanned_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    risk_score             INTEGER DEFAULT 0,
    risk_level             TEXT CHECK (risk_level IN ('info', 'low', 'medium', 'high', 'critical')),
    total_cves             INTEGER DEFAULT 0,
    critical_cves          INTEGER DEFAULT 0,
    vulnerabilities_found  INTEGER DEFAULT 0,
    open_ports_count       INTEGER DEFAULT 0,
    scan_results           TEXT CHECK (json_valid(scan_results)),
    user_id                INTEGER REFERENCES users (id),
    updated_at             TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at             TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active              INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX cached_asm_scans_domain_live_key ON cached_asm_scans (domain) WHERE deleted_at IS NULL;

-- Scan history: appended per scan, listed by domain in time order, trimmed to the last N.
CREATE TABLE xasm_scan_history (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    domain         TEXT NOT NULL CHECK (length(domain) <= 253),
    status         TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    risk_score     INTEGER CHECK (risk_score BETWEEN 0 AND 100),
    risk_level     TEXT CHECK (risk_level IN ('info', 'low', 'medium', 'high', 'critical')),
    findings_count INTEGER NOT NULL DEFAULT 0 CHECK (findings_count >= 0),
    scan_results   TEXT NOT NULL CHECK (json_valid(scan_results)),
    duration_ms    INTEGER CHECK (duration_ms >= 0),
    scanned_at     TEXT NOT NULL CHECK (scanned_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX xasm_scan_history_domain_live_idx ON xasm_scan_history (company_id, domain, scanned_at, id)
    WHERE deleted_at IS NULL;

CREATE TABLE lightbox_scan_history (
    id             INTEGER PRIMARY KEY,
    company_id     INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    domain         TEXT NOT NULL CHECK (length(domain) <= 253),
    status         TEXT NOT NULL DEFAULT 'completed' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    risk_score     INTEGER CHECK (risk_score BETWEEN 0 AND 100),
    risk_level     TEXT CHECK (risk_level IN ('info', 'low', 'medium', 'high', 'critical')),
    findings_count INTEGER NOT NULL DEFAULT 0 CHECK (findings_count >= 0),
    scan_results   TEXT NOT NULL CHECK (json_valid(scan_results)),
    duration_ms    INTEGER CHECK (duration_ms >= 0),
    scanned_at     TEXT NOT NULL CHECK (scanned_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at     TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at     TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at     TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active      INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX lightbox_scan_history_domain_live_idx ON lightbox_scan_history (company_id, domain, scanned_at, id)
    WHERE deleted_at IS NULL;

-- The individual results (one per finding) of a scan in the history.
CREATE TABLE scan_results_xasm (
    id            INTEGER PRIMARY KEY,
    scan_id       INTEGER NOT NULL REFERENCES xasm_scan_history (id) ON DELETE CASCADE,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    domain        TEXT NOT NULL CHECK (length(domain) <= 253),
    result_type   TEXT NOT NULL CHECK (length(result_type) <= 100),
    severity      TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    scan_results  TEXT NOT NULL CHECK (json_valid(scan_results)),
    created_at    TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at    TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at    TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX scan_results_xasm_scan_live_idx ON scan_results_xasm (scan_id, id) WHERE deleted_at IS NULL;

CREATE TABLE scan_results_lightbox (
    id            INTEGER PRIMARY KEY,
    scan_id       INTEGER NOT NULL REFERENCES lightbox_scan_history (id) ON DELETE CASCADE,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    domain        TEXT NOT NULL CHECK (length(domain) <= 253),
    result_type   TEXT NOT NULL CHECK (length(result_type) <= 100),
    severity      TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'low', 'medium', 'high', 'critical')),
    scan_results  TEXT NOT NULL CHECK (json_valid(scan_results)),
    created_at    TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at    TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at    TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active     INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX scan_results_lightbox_scan_live_idx ON scan_results_lightbox (scan_id, id) WHERE deleted_at IS NULL;
