#!/usr/bin/env bash
# The `nerve copy` benchmark: a generated NERVE SQLite source (a narrow table, login_attempts,
# and a wide one, cached_asm_scans with JSON scan results), copied into PostgreSQL three ways
# in the same run, each into a freshly migrated database:
#   - nerve copy (release build), per table: copy phase (from its JSON report) and the whole
#     command (migration, copy, ANALYZE, verification), peak RSS;
#   - pgloader (Debian's package; data only into the schema our migrations made, with
#     prefetch rows = 10000, batch rows = 5000), its rows counted afterwards;
#   - psql's \copy of the same rows exported to CSV beforehand, into the migrated schema (what
#     COPY costs there) and into a bare table of the same columns (the ingest limit);
#   - the floor of the staged design: the rows' two halves as binary COPY loaded at once into
#     an index-less twin in a fresh database, then its indexes built over two sessions (what
#     nerve copy's staging does, without SQLite, row checks or the swap).
# A third source holds every table of the schema, ALL_MIN_ROWS to ALL_MAX_ROWS rows each
# (benchmarks/examples/copy_source.rs); it is copied whole by nerve copy, by pgloader (whose
# rows are counted table by table: only those that arrived count) and by psql's \copy of the
# same rows, exported beforehand as COPY text, into the migrated schema in one transaction.
# Prints rows/s for each and the ratios. Not a test: it asserts nothing and fails only when a
# step cannot run.
#
# Environment: NERVE_BENCH_PG_URL (an admin URL; default postgres://postgres@127.0.0.1:5432/postgres),
# NARROW_ROWS (default 2000000), WIDE_ROWS (default 300000), ALL_MIN_ROWS (default 10000),
# ALL_MAX_ROWS (default 20000), CASES (default "narrow wide all"), BENCH_DIR (default a
# temporary one), KEEP_SOURCES=1 (reuse the sources an earlier run left in BENCH_DIR),
# NERVE_BIN (a nerve binary to measure instead of building this checkout's: an earlier build
# at the same schema version, for a before and after in one sitting).
set -euo pipefail
cd "$(dirname "$0")/.."

ADMIN_URL=${NERVE_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
NARROW_ROWS=${NARROW_ROWS:-2000000}
WIDE_ROWS=${WIDE_ROWS:-300000}
ALL_MIN_ROWS=${ALL_MIN_ROWS:-10000}
ALL_MAX_ROWS=${ALL_MAX_ROWS:-20000}
CASES=${CASES:-narrow wide all}
wants() { case " $CASES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
DIR=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$DIR"
log() { printf 'bench-copy: %s\n' "$*" >&2; }

missing=()
command -v sqlite3 >/dev/null || missing+=(sqlite3)
command -v pgloader >/dev/null || missing+=(pgloader)
command -v psql >/dev/null || missing+=(postgresql-client)
[ -x /usr/bin/time ] || missing+=(time)
command -v pgrep >/dev/null || missing+=(procps)
command -v python3 >/dev/null || missing+=(python3)
# shellcheck source=scripts/packages.sh
. scripts/packages.sh
install_packages "${missing[@]}"
psql "$ADMIN_URL" -qAtc 'SELECT 1' >/dev/null || { log "no PostgreSQL at $ADMIN_URL"; exit 1; }

if [ -n "${NERVE_BIN:-}" ]; then
  NERVE=$(realpath "$NERVE_BIN")
  log "nerve: $NERVE"
else
  log "building nerve and the all-tables generator (release)"
  cargo build -q --release -p nerve-cli
  NERVE=$PWD/target/release/nerve
fi
if wants all; then
  cargo build -q --release -p nerve-benchmarks --example copy_source
fi
SRC="$DIR/source.db"
SRC_URL="sqlite://$SRC"

db_url() { # the admin URL with another database name
  printf '%s' "${ADMIN_URL%/*}/$1"
}
fresh_db() { # NAME: an empty, migrated database
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" 2>/dev/null
  "$NERVE" --database-url "$(db_url "$1")" migrate >/dev/null
}
json_field() { # FILE KEY: the first number after "KEY":
  grep -m1 "\"$2\":" "$1" | sed -E 's/.*: *([0-9.e+-]+).*/\1/'
}
# CPU seconds PostgreSQL's processes have used so far: every live one's, plus the exited
# children's the postmaster reaped (each connection's backend exits with it). Works when the
# server runs on this machine (as a process or in a container); 0 when none is seen.
server_cpu() {
  local postmaster ticks
  postmaster=$(pgrep -o -x postgres) || { echo 0; return; }
  ticks=$(getconf CLK_TCK)
  { for pid in $(pgrep -x postgres); do cat "/proc/$pid/stat" 2>/dev/null; done
    printf 'children '; cat "/proc/$postmaster/stat"; } |
    awk -v t="$ticks" '$1 == "children" { c = $17 + $18; next } { s += $14 + $15 } END { printf "%.2f", (s + c) / t }'
}
busy() { awk -v a="$1" -v b="$2" -v w="$3" 'BEGIN { printf "%.2f", (w > 0 ? (a + b) / w : 0) }'; } # CPU s, CPU s, wall s
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

NARROW_COLS="id, email, user_id, ip_address, user_agent, success, failure, attempted_at"
WIDE_COLS="id, domain, scanned_at, risk_score, risk_level, total_cves, critical_cves, vulnerabilities_found, open_ports_count, scan_results, user_id, updated_at, deleted_at, is_active"
if { wants narrow || wants wide; } && [ "${KEEP_SOURCES:-0}" = 1 ] && [ -s "$SRC" ] &&
   [ -s "$DIR/narrow.csv" ] && [ -s "$DIR/wide.csv" ]; then
  log "KEEP_SOURCES=1: reusing $SRC and its CSV files"
elif wants narrow || wants wide; then
log "generating $NARROW_ROWS narrow and $WIDE_ROWS wide rows in $SRC"
rm -f "$SRC" "$SRC-wal" "$SRC-shm"
"$NERVE" --database-url "$SRC_URL" migrate >/dev/null
sqlite3 "$SRC" <<SQL
PRAGMA journal_mode = WAL;
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
                              vulnerabilities_found, open_ports_count, scan_results, updated_at)
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
       strftime('%Y-%m-%d %H:%M:%f', '2026-01-01', '+' || i || ' minutes') || '000+00:00'
  FROM n;
SQL
log "source: $(du -h "$SRC" | cut -f1)"

# The same rows as CSV, for psql's \copy (booleans as t/f; NULL as an empty unquoted field).
sqlite3 -csv "$SRC" "SELECT id, email, user_id, ip_address, user_agent,
    CASE success WHEN 1 THEN 't' ELSE 'f' END, failure, attempted_at FROM login_attempts" > "$DIR/narrow.csv"
sqlite3 -csv "$SRC" "SELECT id, domain, scanned_at, risk_score, risk_level, total_cves, critical_cves,
    vulnerabilities_found, open_ports_count, scan_results, user_id, updated_at, deleted_at,
    CASE is_active WHEN 1 THEN 't' ELSE 'f' END FROM cached_asm_scans" > "$DIR/wide.csv"
fi

declare -A RESULT
# timed_copy KIND SOURCE_URL [ARGS...]: nerve copy from SOURCE_URL into bench_nerve under
# /usr/bin/time, the server's CPU counted around it; fails unless every table verified.
# Sets RESULT[KIND.nerve_copy|nerve_total|nerve_rss|nerve_cpu|server_cpu].
timed_copy() {
  local kind=$1 from=$2 cpu_before
  shift 2
  cpu_before=$(server_cpu)
  /usr/bin/time -v "$NERVE" copy --from "$from" --to "$(db_url bench_nerve)" --json "$@" \
      > "$DIR/$kind.json" 2> "$DIR/$kind.time"
  RESULT[$kind.server_cpu]=$(awk -v a="$cpu_before" -v b="$(server_cpu)" 'BEGIN { printf "%.2f", b - a }')
  if ! grep -q '"equal": true' "$DIR/$kind.json" || grep -q '"equal": false' "$DIR/$kind.json"; then
    log "$kind: nerve copy did not verify"
    exit 1
  fi
  RESULT[$kind.nerve_copy]=$(json_field "$DIR/$kind.json" copy_seconds)
  RESULT[$kind.nerve_total]=$(awk -F': ' '/Elapsed/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$DIR/$kind.time")
  RESULT[$kind.nerve_rss]=$(awk -F': ' '/Maximum resident/ { print $2 }' "$DIR/$kind.time")
  RESULT[$kind.nerve_cpu]=$(awk -F': ' '/User time/ { u = $2 } /System time/ { s = $2 } END { print u + s }' "$DIR/$kind.time")
}
bench_table() { # KIND TABLE ROWS COLUMNS CSV
  local kind=$1 table=$2 rows=$3 cols=$4 csv=$5 start end
  log "$kind: nerve copy"
  fresh_db bench_nerve
  "$NERVE" copy --from "$SRC_URL" --to "$(db_url bench_nerve)" --tables companies,users >/dev/null 2>&1
  timed_copy "$kind" "$SRC_URL" --tables "$table"

  log "$kind: pgloader"
  fresh_db bench_pgloader
  "$NERVE" copy --from "$SRC_URL" --to "$(db_url bench_pgloader)" --tables companies,users --no-verify >/dev/null 2>&1
  cat > "$DIR/$kind.load" <<LOAD
LOAD DATABASE
  FROM sqlite://$SRC
  INTO $(db_url bench_pgloader)
  WITH data only, prefetch rows = 10000, batch rows = 5000
  INCLUDING ONLY TABLE NAMES LIKE '$table';
LOAD
  start=$(date +%s.%N)
  if pgloader "$DIR/$kind.load" > "$DIR/$kind.pgloader.log" 2>&1; then
    end=$(date +%s.%N)
    RESULT[$kind.pgloader]=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
    RESULT[$kind.pgloader_rows]=$(psql "$(db_url bench_pgloader)" -qAtc "SELECT count(*) FROM $table")
  else
    RESULT[$kind.pgloader]=failed
    RESULT[$kind.pgloader_rows]=0
  fi

  log "$kind: psql \\copy of the CSV"
  fresh_db bench_raw
  "$NERVE" copy --from "$SRC_URL" --to "$(db_url bench_raw)" --tables companies,users --no-verify >/dev/null 2>&1
  psql "$(db_url bench_raw)" -qc "CREATE TABLE bare (LIKE $table)"
  start=$(date +%s.%N)
  psql "$(db_url bench_raw)" -qc "\\copy $table ($cols) FROM '$csv' CSV"
  end=$(date +%s.%N)
  RESULT[$kind.raw_schema]=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  start=$(date +%s.%N)
  psql "$(db_url bench_raw)" -qc "\\copy bare ($cols) FROM '$csv' CSV"
  end=$(date +%s.%N)
  RESULT[$kind.raw_bare]=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')

  # The floor of nerve copy's own design on this server: the rows in two halves of binary COPY
  # (exported beforehand from the table just loaded), loaded at once by two psql sessions
  # into an index-less twin in a fresh database, then the table's indexes built by two
  # sessions taking them in turn, GIN first (what the staged copy does, without reading SQLite,
  # checking a row, or the swap's keys and foreign keys).
  log "$kind: the floor (two binary \\copy streams, then the indexes over two sessions)"
  local part defs failed=0 pids=()
  psql "$(db_url bench_raw)" -qc "\\copy (SELECT $cols FROM $table WHERE id % 2 = 0) TO '$DIR/$kind.half.0' (FORMAT binary)" \
    -c "\\copy (SELECT $cols FROM $table WHERE id % 2 = 1) TO '$DIR/$kind.half.1' (FORMAT binary)"
  defs=$(psql "$(db_url bench_raw)" -qAtc \
    "SELECT replace(indexdef, ' ON public.$table USING ', ' ON floor.$table USING ') FROM pg_indexes
      WHERE schemaname = 'public' AND tablename = '$table' ORDER BY indexdef NOT LIKE '% USING gin %', indexname")
  [ -n "$defs" ] || { log "$kind: no index definitions for the floor"; exit 1; }
  psql "$ADMIN_URL" -qc "DROP DATABASE bench_raw WITH (FORCE)"
  fresh_db bench_floor
  psql "$(db_url bench_floor)" -qc "CREATE SCHEMA floor" \
    -c "CREATE TABLE floor.$table (LIKE $table INCLUDING ALL EXCLUDING INDEXES)" -c "CHECKPOINT"
  start=$(date +%s.%N)
  for part in "$DIR/$kind.half.0" "$DIR/$kind.half.1"; do
    psql "$(db_url bench_floor)" -qc "\\copy floor.$table ($cols) FROM '$part' (FORMAT binary)" &
    pids+=($!)
  done
  for part in "${pids[@]}"; do wait "$part" || failed=1; done
  [ "$failed" = 0 ] || { log "$kind: the floor's load failed"; exit 1; }
  # xargs -P 2: two sessions, each taking the next index when it is done with its last.
  printf '%s\n' "$defs" | xargs -d '\n' -P 2 -I '{}' \
    psql "$(db_url bench_floor)" -q -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '256MB'" -c '{}'
  end=$(date +%s.%N)
  RESULT[$kind.floor]=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  rm -f "$DIR/$kind.half."*
  RESULT[$kind.rows]=$rows
}

wants narrow && bench_table narrow login_attempts "$NARROW_ROWS" "$NARROW_COLS" "$DIR/narrow.csv"
wants wide && bench_table wide cached_asm_scans "$WIDE_ROWS" "$WIDE_COLS" "$DIR/wide.csv"

bench_all() {
  local all="$DIR/all.db" url="sqlite://$DIR/all.db" start end order t
  if [ "${KEEP_SOURCES:-0}" = 1 ] && [ -s "$all" ]; then
    log "KEEP_SOURCES=1: reusing $all"
  else
    log "all: generating every table with $ALL_MIN_ROWS to $ALL_MAX_ROWS rows"
    rm -f "$all" "$all-wal" "$all-shm"
    target/release/examples/copy_source "$all" "$ALL_MIN_ROWS" "$ALL_MAX_ROWS" >&2
  fi
  log "all: nerve copy"
  fresh_db bench_nerve
  timed_copy all "$url"
  # The tables parents first, as the copy reported them.
  order=$(python3 -c 'import json, sys; print(" ".join(t["table"] for t in json.load(open(sys.argv[1]))["tables"]))' "$DIR/all.json")
  RESULT[all.tables]=$(wc -w <<< "$order")
  RESULT[all.rows]=$(python3 -c 'import json, sys; print(sum(t["copied"] for t in json.load(open(sys.argv[1]))["tables"]))' "$DIR/all.json")

  # The fixed cost of a table: every table holding one row.
  rm -f "$DIR/one.db" "$DIR/one.db-wal" "$DIR/one.db-shm"
  target/release/examples/copy_source "$DIR/one.db" 1 1 >&2
  fresh_db bench_one
  "$NERVE" copy --from "sqlite://$DIR/one.db" --to "$(db_url bench_one)" --json --no-verify > "$DIR/one.json" 2>/dev/null
  RESULT[all.per_table_ms]=$(awk -v s="$(json_field "$DIR/one.json" copy_seconds)" -v n="${RESULT[all.tables]}" 'BEGIN { printf "%.1f", s * 1000 / n }')

  log "all: pgloader"
  fresh_db bench_pgloader
  cat > "$DIR/all.load" <<LOAD
LOAD DATABASE
  FROM $url
  INTO $(db_url bench_pgloader)
  WITH data only, prefetch rows = 10000, batch rows = 5000;
LOAD
  start=$(date +%s.%N)
  if pgloader "$DIR/all.load" > "$DIR/all.pgloader.log" 2>&1; then RESULT[all.pgloader_exit]=0; else RESULT[all.pgloader_exit]=$?; fi
  end=$(date +%s.%N)
  RESULT[all.pgloader]=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
  RESULT[all.pgloader_rows]=0
  RESULT[all.pgloader_empty]=0
  for t in $order; do
    n=$(psql "$(db_url bench_pgloader)" -qAtc "SELECT count(*) FROM $t")
    RESULT[all.pgloader_rows]=$(( RESULT[all.pgloader_rows] + n ))
    [ "$n" = 0 ] && RESULT[all.pgloader_empty]=$(( RESULT[all.pgloader_empty] + 1 ))
  done

  log "all: psql \\copy of the same rows, exported as COPY text"
  mkdir -p "$DIR/all-text"
  : > "$DIR/all.psql"
  for t in $order; do
    psql "$(db_url bench_nerve)" -qc "\\copy $t TO '$DIR/all-text/$t.txt'"
    printf '\\copy %s FROM %s\n' "$t" "'$DIR/all-text/$t.txt'" >> "$DIR/all.psql"
  done
  fresh_db bench_raw
  start=$(date +%s.%N)
  psql "$(db_url bench_raw)" -q -1 -v ON_ERROR_STOP=1 -f "$DIR/all.psql"
  end=$(date +%s.%N)
  RESULT[all.raw_schema]=$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')
}
wants all && bench_all

printf '\n%-8s %-44s %10s %12s\n' table what seconds rows/s
for kind in narrow wide; do
  wants "$kind" || continue
  n=${RESULT[$kind.rows]}
  line() { printf '%-8s %-44s %10.2f %12s\n' "$kind" "$1" "$2" "$(rate "$n" "$2")"; }
  line "nerve copy: copy phase" "${RESULT[$kind.nerve_copy]}"
  line "nerve copy: whole command (incl. verify)" "${RESULT[$kind.nerve_total]}"
  if [ "${RESULT[$kind.pgloader]}" = failed ]; then
    printf '%-8s %-44s %10s\n' "$kind" "pgloader" failed
  else
    line "pgloader (${RESULT[$kind.pgloader_rows]} rows arrived)" "${RESULT[$kind.pgloader]}"
  fi
  line "psql \\copy CSV into the migrated schema" "${RESULT[$kind.raw_schema]}"
  line "psql \\copy CSV into a bare table" "${RESULT[$kind.raw_bare]}"
  line "floor: 2 binary \\copy streams, then indexes" "${RESULT[$kind.floor]}"
done
if wants all; then
  n=${RESULT[all.rows]}
  line() { printf '%-8s %-44s %10.2f %12s\n' all "$1" "$2" "$(rate "$3" "$2")"; }
  line "nerve copy: copy phase (${RESULT[all.tables]} tables)" "${RESULT[all.nerve_copy]}" "$n"
  line "nerve copy: whole command (incl. verify)" "${RESULT[all.nerve_total]}" "$n"
  line "pgloader (${RESULT[all.pgloader_rows]} of $n rows arrived)" "${RESULT[all.pgloader]}" "${RESULT[all.pgloader_rows]}"
  line "psql \\copy text into the migrated schema" "${RESULT[all.raw_schema]}" "$n"
fi
printf '\nratios (throughput, higher is better for nerve):\n'
for kind in narrow wide; do
  wants "$kind" || continue
  copy=${RESULT[$kind.nerve_copy]} total=${RESULT[$kind.nerve_total]}
  if [ "${RESULT[$kind.pgloader]}" != failed ]; then
    printf '%-8s nerve copy phase / pgloader:            %sx (whole command: %sx)\n' "$kind" \
      "$(ratio "${RESULT[$kind.pgloader]}" "$copy")" "$(ratio "${RESULT[$kind.pgloader]}" "$total")"
  fi
  printf '%-8s nerve copy phase / \\copy into schema:   %sx\n' "$kind" "$(ratio "${RESULT[$kind.raw_schema]}" "$copy")"
  printf '%-8s nerve copy phase / \\copy into bare:     %sx\n' "$kind" "$(ratio "${RESULT[$kind.raw_bare]}" "$copy")"
  printf '%-8s nerve copy phase / the floor:           %sx\n' "$kind" "$(ratio "${RESULT[$kind.floor]}" "$copy")"
  printf '%-8s nerve copy peak RSS:                    %s KiB\n' "$kind" "${RESULT[$kind.nerve_rss]}"
  printf '%-8s nerve copy: %s s of CPU, PostgreSQL %s s, over %s s: %s cores busy on average\n' "$kind" \
    "${RESULT[$kind.nerve_cpu]}" "${RESULT[$kind.server_cpu]}" "$total" \
    "$(busy "${RESULT[$kind.nerve_cpu]}" "${RESULT[$kind.server_cpu]}" "$total")"
done
if wants all; then
  n=${RESULT[all.rows]} copy=${RESULT[all.nerve_copy]} total=${RESULT[all.nerve_total]}
  loaded=${RESULT[all.pgloader_rows]}
  per_s() { awk -v n="$1" -v s="$2" 'BEGIN { print (s > 0 ? n / s : 0) }'; }
  printf '%-8s nerve copy phase / pgloader (rows/s):   %sx (whole command: %sx)\n' all \
    "$(ratio "$(per_s "$n" "$copy")" "$(per_s "$loaded" "${RESULT[all.pgloader]}")")" \
    "$(ratio "$(per_s "$n" "$total")" "$(per_s "$loaded" "${RESULT[all.pgloader]}")")"
  printf '%-8s nerve copy phase / \\copy into schema:   %sx\n' all "$(ratio "${RESULT[all.raw_schema]}" "$copy")"
  printf '%-8s pgloader lost %s of %s rows (%s of %s tables empty), exit status %s\n' all \
    "$(( n - loaded ))" "$n" "${RESULT[all.pgloader_empty]}" "${RESULT[all.tables]}" "${RESULT[all.pgloader_exit]}"
  printf '%-8s nerve copy phase per table of one row:   %s ms\n' all "${RESULT[all.per_table_ms]}"
  printf '%-8s nerve copy: %s s of CPU, PostgreSQL %s s, over %s s: %s cores busy on average; peak RSS %s KiB\n' all \
    "${RESULT[all.nerve_cpu]}" "${RESULT[all.server_cpu]}" "$total" \
    "$(busy "${RESULT[all.nerve_cpu]}" "${RESULT[all.server_cpu]}" "$total")" \
    "${RESULT[all.nerve_rss]}"
fi
