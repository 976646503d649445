#!/usr/bin/env bash
# Cost as the data grows: benchmarks/examples/scale.rs on SQLite and PostgreSQL for each size
# in SIZES (rows in each table the operations touch: companies, users, cached_asm_scans,
# login_attempts), CALLS calls per operation (fewer, at least 5, for one that takes over 10 s);
# prints a table of median µs per call (and each size's ratio to the smallest), and draws
# the chart OUT (PNG, both axes logarithmic). Not a test: it asserts nothing and fails only
# when a step cannot run.
#
# PostgreSQL: NERVE_BENCH_PG_URL (an admin URL), else a container of the test image
# (scripts/pg-image.sh) on a loopback port, removed on exit.
# Environment: SIZES (default "10000 1000000 10000000"), CALLS (default 200),
# OUT (default docs/scale.png), TSV (default target/nerve-scale.tsv).
# About 12 minutes with the default sizes on a 2-core machine; 10 M rows need ~8 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-10000 1000000 10000000}
CALLS=${CALLS:-200}
OUT=${OUT:-docs/scale.png}
TSV=${TSV:-target/nerve-scale.tsv}
log() { printf 'bench-scale: %s\n' "$*" >&2; }

missing=()
command -v psql >/dev/null || missing+=(postgresql-client)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
# shellcheck source=scripts/packages.sh
. scripts/packages.sh
install_packages "${missing[@]}"

# shellcheck source=scripts/bench-server.sh
. scripts/bench-server.sh
trap bench_server_stop EXIT
bench_server nerve-bench-scale
export NERVE_BENCH_PG_URL=$ADMIN_URL

log "building the example (release)"
cargo build -q --release -p nerve-benchmarks --example scale
BIN=target/release/examples/scale

mkdir -p "$(dirname "$TSV")"
: >"$TSV"
for backend in sqlite postgres; do
  for rows in $SIZES; do
    log "$backend, $rows rows per table"
    "$BIN" run "$backend" "$rows" "$CALLS" >>"$TSV"
  done
done

smallest=$(printf '%s\n' $SIZES | sort -n | head -1)
printf '\n| backend | operation |'
for rows in $SIZES; do printf ' %s rows |' "$rows"; done
printf '\n|---|---|'
for _ in $SIZES; do printf -- '---|'; done
printf '\n'
awk -F'\t' -v sizes="$SIZES" -v smallest="$smallest" '
  { t[$1 "\t" $3 "\t" $2] = $4; if (!(($1 "\t" $3) in seen)) { seen[$1 "\t" $3] = 1; keys[++n] = $1 "\t" $3 } }
  END {
    split(sizes, s, " ")
    for (k = 1; k <= n; k++) {
      split(keys[k], bo, "\t"); line = "| " bo[1] " | " bo[2] " |"
      base = t[keys[k] "\t" smallest]
      for (i = 1; i in s; i++) {
        v = t[keys[k] "\t" s[i]]
        cell = (v < 1000) ? sprintf("%.1f µs", v) : sprintf("%.1f ms", v / 1000)
        if (s[i] != smallest && base > 0) cell = cell sprintf(" (%.2f×)", v / base)
        line = line " " cell " |"
      }
      print line
    }
  }' "$TSV"
"$BIN" chart "$TSV" "$OUT"
log "chart: $OUT; measurements: $TSV"
