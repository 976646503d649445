#!/usr/bin/env bash
# Where an operation's time goes, counted by callgrind (instructions, which do not depend on
# what else the machine is doing): runs benchmarks/examples/profile.rs under
# `valgrind --tool=callgrind` for the store and for the hand-written baseline, N calls each
# after a warm-up, counting only the calls; prints instructions per call on each side, their
# ratio, and the store's most costly functions (inclusive). Client-side work only: on
# PostgreSQL the server's is not counted.
#
# scripts/profile.sh [OP] [BACKEND] [N]   (defaults: point_read sqlite 2000)
# OP: point_read tenant_list_page insert update soft_delete session_validation api_key_verification
# login_attempt_recording batch_insert (1000 rows a call: give it a small N, such as 20).
# PostgreSQL: NERVE_BENCH_PG_URL (an admin URL), as for the benchmarks.
# Environment: TOP (default 25), OUT (where the callgrind files go; default a temporary folder).
set -euo pipefail
cd "$(dirname "$0")/.."

OP=${1:-point_read}
BACKEND=${2:-sqlite}
N=${3:-2000}
TOP=${TOP:-25}
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"
log() { printf 'profile: %s\n' "$*" >&2; }

missing=()
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null || missing+=(valgrind)
# shellcheck source=scripts/packages.sh
. scripts/packages.sh
install_packages "${missing[@]}"

log "building the example (release)"
cargo build -q --release -p nerve-benchmarks --example profile
BIN=target/release/examples/profile

declare -A per_call
for side in nerve baseline; do
  file="$OUT/callgrind.$OP.$BACKEND.$side"
  log "$side: $N calls of $OP on $BACKEND under callgrind"
  valgrind --tool=callgrind --callgrind-out-file="$file" --toggle-collect='*profile::measured*' \
    "$BIN" "$BACKEND" "$OP" "$side" "$N" 2>"$file.log" \
    || { log "valgrind failed: see $file.log"; exit 1; }
  total=$(callgrind_annotate "$file" 2>/dev/null | awk '/PROGRAM TOTALS/ && !seen { gsub(",", "", $1); print $1; seen = 1 }')
  [ -n "$total" ] || { log "no instruction count in $file"; exit 1; }
  per_call[$side]=$((total / N))
done

printf '\n%s on %s, %s calls: instructions per call\n' "$OP" "$BACKEND" "$N"
printf '  nerve     %12s\n  baseline  %12s\n' "${per_call[nerve]}" "${per_call[baseline]}"
awk -v a="${per_call[nerve]}" -v b="${per_call[baseline]}" 'BEGIN { printf "  ratio     %12.2fx\n", a / b }'
printf '\nThe store'"'"'s %s most costly functions (inclusive instructions, all calls):\n' "$TOP"
callgrind_annotate --inclusive=yes "$OUT/callgrind.$OP.$BACKEND.nerve" 2>/dev/null \
  | awk '/file:function/ { go = 1; next } go && NF && shown < top { print; shown++ }' top="$TOP" | cut -c1-160
log "callgrind files: $OUT (callgrind_annotate or kcachegrind reads them)"
