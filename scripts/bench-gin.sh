#!/usr/bin/env bash
# What a GIN index on a JSONB column costs the writes, in one run on one server: ROWS rows of
# scan results (nested objects, a list of findings with CVE ids, ports, banners: the shape of
# cached_asm_scans.scan_results) inserted into a table shaped like cached_asm_scans (its
# columns, no other index) with
#   - no GIN index (what migration 14 leaves on the seven tables no content query reads),
#   - GIN jsonb_ops (what migrations 5 and 8 put on eight tables),
#   - GIN jsonb_path_ops (what migration 14 puts on cached_asm_scans),
# ROUNDS rounds each, alternating, in a transaction rolled back; then the time to build each
# index over the loaded rows (what `nerve copy` pays per index: it builds secondary indexes
# after loading) and its size; and that containment (`@>`, the one content query,
# cached_scans_containing) uses the jsonb_path_ops index. Prints milliseconds and ratios to
# the no-index run. Not a test: it asserts nothing and fails only when a step cannot run.
#
# PostgreSQL: NERVE_BENCH_PG_URL (an admin URL), else a container of the test image
# (scripts/pg-image.sh) on a loopback port, removed on exit.
# Environment: ROWS (default 20000), ROUNDS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."

ROWS=${ROWS:-20000}
ROUNDS=${ROUNDS:-5}
log() { printf 'bench-gin: %s\n' "$*" >&2; }

missing=()
command -v psql >/dev/null || missing+=(postgresql-client)
# shellcheck source=scripts/packages.sh
. scripts/packages.sh
install_packages "${missing[@]}"

. scripts/bench-server.sh
trap bench_server_stop EXIT
bench_server nerve-bench-gin

DB="nerve_bench_gin_$$"
PGOPTIONS="-c client_min_messages=warning" psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
trap 'psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true; bench_server_stop' EXIT
URL="${ADMIN_URL%/*}/$DB"

log "$ROWS rows, $ROUNDS rounds"
psql "$URL" -qX -v ON_ERROR_STOP=1 -v rows="$ROWS" -v rounds="$ROUNDS" <<'SQL'
\set QUIET on
SET client_min_messages = warning;
-- The rows: a scan result per domain, 6 findings with CVE ids and 4 open ports each.
CREATE TABLE source AS
SELECT i AS id,
       jsonb_build_object(
         'domain', 'host' || i || '.example',
         'score', i % 100,
         'ports', (SELECT jsonb_agg(jsonb_build_object('port', p, 'service', 'svc' || (p % 7),
                     'banner', 'Server ' || md5((i * p)::text)))
                     FROM unnest(ARRAY[22, 80, 443, 8000 + i % 50]) AS p),
         'findings', (SELECT jsonb_agg(jsonb_build_object(
                        'id', 'CVE-20' || (10 + (i + f) % 15) || '-' || (1000 + (i * 7 + f) % 9000),
                        'severity', (ARRAY['low', 'medium', 'high', 'critical'])[1 + (i + f) % 4],
                        'title', 'Finding ' || f || ' of ' || md5(i::text)))
                        FROM generate_series(1, 6) AS f)) AS doc
  FROM generate_series(1, :rows) AS i;
CREATE TABLE target (
    id BIGINT PRIMARY KEY, company_id BIGINT NOT NULL, domain TEXT NOT NULL,
    scan_results JSONB NOT NULL, risk_score BIGINT, created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL, deleted_at TIMESTAMPTZ, is_active BOOLEAN NOT NULL);

CREATE FUNCTION insert_ms() RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE started timestamptz := clock_timestamp();
BEGIN
  INSERT INTO target SELECT id, 1, doc->>'domain', doc, (doc->>'score')::bigint, now(), now(),
                            NULL, true FROM source;
  RETURN extract(epoch FROM clock_timestamp() - started) * 1000;
END $$;
CREATE FUNCTION set_index(kind text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  DROP INDEX IF EXISTS target_gin;
  IF kind = 'jsonb_ops' THEN
    CREATE INDEX target_gin ON target USING gin (scan_results);
  ELSIF kind = 'jsonb_path_ops' THEN
    CREATE INDEX target_gin ON target USING gin (scan_results jsonb_path_ops);
  END IF;
END $$;
CREATE TABLE timing (kind text, round int, ms double precision);
CREATE FUNCTION measure(rounds int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE k text;
BEGIN
  FOR r IN 1..rounds LOOP
    FOREACH k IN ARRAY ARRAY['none', 'jsonb_ops', 'jsonb_path_ops'] LOOP
      TRUNCATE target;
      PERFORM set_index(k);
      INSERT INTO timing VALUES (k, r, insert_ms());
    END LOOP;
  END LOOP;
END $$;
\o /dev/null
SELECT measure(:rounds);
\o

\echo
\echo 'Insert of the rows in one statement (median ms over the rounds; ratio to no GIN index):'
WITH m AS (SELECT kind, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM timing GROUP BY kind)
SELECT m.kind AS index, round(m.ms::numeric, 1) AS ms,
       round((m.ms / n.ms)::numeric, 2) AS ratio
  FROM m, m n WHERE n.kind = 'none'
 ORDER BY m.ms;

-- Building each index over the loaded rows (what a copy pays per index) and its size.
TRUNCATE target;
\o /dev/null
SELECT set_index('none');
SELECT insert_ms();
CREATE TABLE builds (kind text, ms double precision, bytes bigint);
CREATE FUNCTION build_ms(kind text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE started timestamptz := clock_timestamp(); took double precision;
BEGIN
  PERFORM set_index(kind);
  took := extract(epoch FROM clock_timestamp() - started) * 1000;
  INSERT INTO builds VALUES (kind, took, pg_relation_size('target_gin'));
END $$;
SELECT build_ms('jsonb_ops');
SELECT build_ms('jsonb_path_ops');
\o
\echo
\echo 'Index build over the loaded rows, and its size:'
SELECT kind AS index, round(ms::numeric, 1) AS build_ms, pg_size_pretty(bytes) AS size,
       pg_size_pretty(pg_relation_size('target')) AS table_size
  FROM builds ORDER BY kind;

\echo
\echo 'The content query on the jsonb_path_ops index (cached_scans_containing):'
ANALYZE target;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM target WHERE scan_results @> '{"findings": [{"id": "CVE-2024-3094"}]}';
SQL
