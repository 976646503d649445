#!/usr/bin/env bash
# The `nerve import` benchmark: the same rows twice — a NERVE SQLite source (as bench-copy.sh
# makes it: a narrow table, login_attempts, and a wide one, cached_asm_scans with JSON scan
# results) and its legacy twin as NERVE's Python application would have left it (the spec's
# DDL for cached_asm_scans, DATETIME/BOOLEAN/VARCHAR types, SQLAlchemy timestamps, booleans as
# 'true'/'false', value-set members in upper case on every other row) — moved into PostgreSQL
# in the same run, each into a fresh empty database:
#   - nerve copy of the NERVE source (whole command: migrate, copy, ANALYZE, verify);
#   - nerve import of the legacy twin (whole command: plan, convert, stage, verify, copy);
# alternating for ROUNDS rounds, and nerve import into a new SQLite file. Prints seconds, rows/s,
# peak RSS (GNU time) and the ratio import / copy per round and its median (the limit: 1.5). Not a test: it asserts nothing and fails only
# when a step cannot run.
#
# PostgreSQL: NERVE_BENCH_PG_URL (an admin URL), else a container of the test image
# (scripts/pg-image.sh) on a loopback port, removed on exit.
# Environment: NARROW_ROWS (default 1000000), WIDE_ROWS (default 150000), BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

NARROW_ROWS=${NARROW_ROWS:-1000000}
WIDE_ROWS=${WIDE_ROWS:-150000}
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR"
log() { printf 'bench-import: %s\n' "$*" >&2; }

missing=()
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -x /usr/bin/time ] || missing+=(time)
# shellcheck source=scripts/packages.sh
. scripts/packages.sh
install_packages "${missing[@]}"

. scripts/bench-server.sh
trap bench_server_stop EXIT
bench_server nerve-bench -c fsync=off -c full_page_writes=off

log "building nerve (release)"
cargo build -q --release -p nerve-cli
NERVE=$PWD/target/release/nerve
SRC="$DIR/source.db"
LEGACY="$DIR/ghost.db"

db_url() { printf '%s' "${ADMIN_URL%/*}/$1"; }
empty_db() { psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" 2>/dev/null; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
elapsed() { awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss() { awk -F': ' '/Maximum resident/ { print $2 }' "$1"; }

log "generating $NARROW_ROWS narrow and $WIDE_ROWS wide rows: $SRC and its legacy twin $LEGACY"
rm -f "$SRC" "$SRC-wal" "$SRC-shm" "$LEGACY"
"$NERVE" --database-url "sqlite://$SRC" migrate >/dev/null
sqlite3 "$SRC" <<SQL
INSERT INTO companies (id, name, domain, created_at, updated_at)
  VALUES (1, 'Bench', 'bench.test', '2026-01-01 00:00:00.000000+00:00', '2026-01-01 00:00:00.000000+00:00');
INSERT INTO users (id, company_id, email, password_hash, role, password_changed_at, created_at, updated_at)
  VALUES (1, 1, 'u@bench.test', 'h', 'owner', '2026-01-01 00:00:00.000000+00:00',
          '2026-01-01 00:00:00.000000+00:00', '2026-01-01 00:00:00.000000+00:00');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $NARROW_ROWS)
INSERT INTO login_attempts (email, user_id, ip_address, user_agent, success, failure, attempted_at)
SELECT 'user' || (i % 5000) || '@bench.test', CASE WHEN i % 3 = 0 THEN NULL ELSE 1 END,
       '10.' || (i % 250) || '.' || (i % 199) || '.7', 'Mozilla/5.0 bench',
       CASE WHEN i % 4 = 0 THEN 1 ELSE 0 END, CASE WHEN i % 4 = 0 THEN NULL ELSE 'bad_password' END,
       strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || i || ' seconds') || '000+00:00'
  FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $WIDE_ROWS)
INSERT INTO cached_asm_scans (domain, scanned_at, risk_score, risk_level, total_cves, critical_cves,
                              vulnerabilities_found, open_ports_count, scan_results, user_id, updated_at)
SELECT 'host' || i || '.bench.test',
       strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || i || ' minutes') || '000+00:00',
       i % 100, 'high', i % 40, i % 7, i % 55, i % 20,
       json_object('domain', 'host' || i || '.bench.test',
                   'ports', json_array(22, 80, 443, 8080 + (i % 10)),
                   'cves', json_array(
                     json_object('id', 'CVE-2024-' || (1000 + i % 5000), 'score', (i % 100) / 10.0,
                                 'summary', 'Remote code execution in a widely used compression library'),
                     json_object('id', 'CVE-2023-' || (2000 + i % 700), 'score', 5.5,
                                 'summary', 'Information disclosure through verbose error pages')),
                   'headers', json_object('server', 'nginx/1.25.' || (i % 9), 'x-powered-by', 'PHP/8.2')),
       1,
       strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || i || ' minutes') || '000+00:00'
  FROM n;
SQL
# The legacy twin: the spec's cached_asm_scans verbatim, the Python application's types for the
# others, values in its spellings.
spec_cached=$(awk '/^CREATE TABLE cached_asm_scans/,/^\);/' tests/fixtures/legacy_spec.sql)
sqlite3 "$LEGACY" <<SQL
CREATE TABLE companies (id INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, domain VARCHAR(253),
  created_at DATETIME NOT NULL, updated_at DATETIME NOT NULL, deleted_at DATETIME,
  is_active BOOLEAN NOT NULL DEFAULT 1);
CREATE TABLE users (id INTEGER PRIMARY KEY, company_id INTEGER NOT NULL REFERENCES companies(id),
  email VARCHAR(254) NOT NULL, password_hash VARCHAR(255) NOT NULL, full_name VARCHAR(255),
  role VARCHAR(20) NOT NULL, password_changed_at DATETIME NOT NULL, created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL, deleted_at DATETIME, is_active BOOLEAN NOT NULL DEFAULT 1);
CREATE TABLE login_attempts (id INTEGER PRIMARY KEY, email VARCHAR(254) NOT NULL,
  user_id INTEGER REFERENCES users(id), ip_address VARCHAR(45), user_agent TEXT,
  success BOOLEAN NOT NULL, failure VARCHAR(20), attempted_at DATETIME NOT NULL);
$spec_cached
ATTACH '$SRC' AS src;
INSERT INTO companies SELECT id, name, upper(domain), substr(created_at, 1, 26), substr(updated_at, 1, 19),
  NULL, 'true' FROM src.companies;
INSERT INTO users SELECT id, company_id, upper(email), '\$2b\$04\$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz012', NULL,
  'OWNER', substr(password_changed_at, 1, 26), substr(created_at, 1, 26), substr(updated_at, 1, 26), NULL, 1
  FROM src.users;
INSERT INTO login_attempts SELECT id, email, user_id, ip_address, user_agent,
  CASE success WHEN 1 THEN 'true' ELSE 'false' END,
  CASE WHEN id % 2 = 0 THEN upper(failure) ELSE failure END, substr(attempted_at, 1, 26)
  FROM src.login_attempts;
INSERT INTO cached_asm_scans (id, domain, scanned_at, risk_score, risk_level, total_cves, critical_cves,
  vulnerabilities_found, open_ports_count, scan_results, user_id, updated_at, deleted_at, is_active)
  SELECT id, domain, replace(substr(scanned_at, 1, 26), ' ', 'T') || 'Z', risk_score,
  CASE WHEN id % 2 = 0 THEN upper(risk_level) ELSE risk_level END, total_cves, critical_cves,
  vulnerabilities_found, open_ports_count, scan_results, user_id, substr(updated_at, 1, 26), NULL, 't'
  FROM src.cached_asm_scans;
SQL
log "source: $(du -h "$SRC" | cut -f1), legacy: $(du -h "$LEGACY" | cut -f1)"
ROWS=$((NARROW_ROWS + WIDE_ROWS + 2))

# Copy and import alternate, ROUNDS times (default 3), each into a fresh empty database: the
# ratio is taken per round and the median reported (runs on this machine differ by +-20%).
ROUNDS=${ROUNDS:-3}
RATIOS=()
for round in $(seq 1 "$ROUNDS"); do
  log "round $round: nerve copy"
  empty_db bench_copy
  /usr/bin/time -v "$NERVE" copy --from "sqlite://$SRC" --to "$(db_url bench_copy)" --json \
    > "$DIR/copy.json" 2> "$DIR/copy.time"
  grep -q '"equal": true' "$DIR/copy.json" || { log "nerve copy did not verify"; exit 1; }
  log "round $round: nerve import into PostgreSQL"
  empty_db bench_import
  /usr/bin/time -v "$NERVE" import --from "sqlite://$LEGACY" --to "$(db_url bench_import)" --json \
    > "$DIR/import.json" 2> "$DIR/import.time" || { cat "$DIR/import.time" >&2; exit 1; }
  c=$(elapsed "$DIR/copy.time") i=$(elapsed "$DIR/import.time")
  RATIOS+=("$(ratio "$i" "$c")")
  printf 'round %s: copy %.2f s, import %.2f s, import / copy %sx\n' "$round" "$c" "$i" "$(ratio "$i" "$c")"
done

log "nerve import into a new SQLite file"
rm -f "$DIR/imported.db"
/usr/bin/time -v "$NERVE" import --from "sqlite://$LEGACY" --to "sqlite://$DIR/imported.db" --json \
  > "$DIR/import-sqlite.json" 2> "$DIR/import-sqlite.time" || { cat "$DIR/import-sqlite.time" >&2; exit 1; }

# The two PostgreSQL databases hold the same rows.
for t in login_attempts cached_asm_scans; do
  a=$(psql "$(db_url bench_copy)" -qAtc "SELECT md5(string_agg(x::text, ',' ORDER BY id)) FROM $t x")
  b=$(psql "$(db_url bench_import)" -qAtc "SELECT md5(string_agg(x::text, ',' ORDER BY id)) FROM $t x")
  [ "$a" = "$b" ] || { log "$t differs between the copy and the import"; exit 1; }
done

copy_s=$(elapsed "$DIR/copy.time") import_s=$(elapsed "$DIR/import.time") sqlite_s=$(elapsed "$DIR/import-sqlite.time")
printf '\nlast round:\n%-46s %10s %12s %12s\n' what seconds rows/s "peak RSS KiB"
printf '%-46s %10.2f %12s %12s\n' "nerve copy (NERVE source -> PostgreSQL)" "$copy_s" "$(rate $ROWS "$copy_s")" "$(rss "$DIR/copy.time")"
printf '%-46s %10.2f %12s %12s\n' "nerve import (legacy twin -> PostgreSQL)" "$import_s" "$(rate $ROWS "$import_s")" "$(rss "$DIR/import.time")"
printf '%-46s %10.2f %12s %12s\n' "nerve import (legacy twin -> new SQLite)" "$sqlite_s" "$(rate $ROWS "$sqlite_s")" "$(rss "$DIR/import-sqlite.time")"
median=$(printf '%s\n' "${RATIOS[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
printf '\nimport / copy time, same rows, same run: median %sx of %s rounds (%s) (limit 1.5x); rows identical in both targets\n' \
  "$median" "$ROUNDS" "${RATIOS[*]}"
