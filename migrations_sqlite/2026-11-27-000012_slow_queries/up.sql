-- Store operations slower than the configured threshold (StoreOptions::slow_query_threshold),
-- newest kept: past the cap (StoreOptions::slow_query_cap) the oldest rows are deleted.
-- SQLite dialect: STRICT, timestamps CHECKed as text.
CREATE TABLE slow_queries (
    id           INTEGER PRIMARY KEY,
    operation    TEXT NOT NULL CHECK (length(operation) <= 200),
    duration_us  INTEGER NOT NULL CHECK (duration_us >= 0),
    recorded_at  TEXT NOT NULL CHECK (recorded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    created_at   TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    updated_at   TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    deleted_at   TEXT CHECK (deleted_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9][ T][0-9][0-9]:[0-9][0-9]:[0-9][0-9]*'),
    is_active    INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1))
) STRICT;
CREATE INDEX slow_queries_recorded_idx ON slow_queries (recorded_at, id);
