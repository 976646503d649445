#!/usr/bin/env bash
# Runs NERVE's fuzz targets under libFuzzer (cargo fuzz, installed from crates.io when missing;
# RUSTC_BOOTSTRAP=1 lets the stable toolchain build with the sanitizer flags):
#
#   scripts/fuzz.sh [MINUTES] [TARGET...]   # default: 2 minutes each, every target
#
# Targets: url, age, copy, legacy, manifest (their properties: nerve-fuzz/src/lib.rs). Each runs
# from its corpus in fuzz/corpus/<target>/; new inputs that reach new code are kept there, and
# the corpus is then minimized (cargo fuzz cmin), ready to commit. A crash stops the script
# with the input in fuzz/artifacts/<target>/: fix it, then copy the input, named for what it
# found, into fuzz/regressions/<target>/ (never minimized away; the test command replays it with
# the corpus, nerve-fuzz/tests/replay.rs).
# Every run of a target that ends, with or without a failure (not one that is interrupted), is
# logged in fuzz/runs.tsv (committed): date, target, seconds, workers, executions, outcome and
# commit, and the CPU seconds the workers really got (user + system: less than seconds x
# workers when other work shares the cores), so the hours each target has run add up across
# days:
#   awk -F'\t' 'NR > 1 { h[$2] += ($8 != "" ? $8 : $3 * $4) / 3600 } END { for (t in h) print t, h[t] }' fuzz/runs.tsv
# FUZZ_WORKERS=N sets the number of workers (default: one per core); run the script under
# `nice -n 19` to give the fuzzers only the time other work leaves idle.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-2}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(url age copy legacy manifest)
if ! command -v cargo-fuzz >/dev/null; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
jobs=${FUZZ_WORKERS:-$(nproc)}
runs_log=$PWD/fuzz/runs.tsv
times_file=$(mktemp)
trap 'rm -f "$times_file"' EXIT
[ -s "$runs_log" ] || printf 'date\ttarget\tseconds\tworkers\texecutions\toutcome\tcommit\tcpu_seconds\n' > "$runs_log"
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!fuzz/corpus' ':!fuzz/runs.tsv' || echo +)
# read_cpu: sets cpu to the user and system time of this script's finished children (the
# workers among them), in whole seconds. Never call it in $(...): a subshell has no children.
read_cpu() {
  times > "$times_file"
  cpu=$(awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] } print int(s) }' "$times_file")
}
# log_run TARGET STARTED EXECUTIONS OUTCOME CPU_BEFORE: one line of fuzz/runs.tsv.
log_run() {
  read_cpu
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$1" \
    "$(( $(date +%s) - $2 ))" "$jobs" "$3" "$4" "$commit" "$((cpu - $5))" >> "$runs_log"
}
cd fuzz
for t in "${targets[@]}"; do
  [ -d "corpus/$t" ] || { echo "fuzz.sh: no target $t (targets: url age copy legacy manifest)" >&2; exit 2; }
  before=$(ls "corpus/$t" | wc -l)
  # Built first, so that the time logged is fuzzing time.
  cargo fuzz build --fuzz-dir . "$t" 2> "$t-build.log" || {
    echo "fuzz.sh: building $t failed (log: fuzz/$t-build.log)" >&2
    exit 1
  }
  started=$(date +%s)
  read_cpu
  cpu_before=$cpu
  # One libFuzzer process per core; each writes fuzz-<n>.log here.
  rm -f fuzz-*.log
  cargo fuzz run --fuzz-dir . "$t" "corpus/$t" -- \
    -max_total_time=$((minutes * 60)) -print_final_stats=1 -workers="$jobs" -jobs="$jobs" \
    2> "$t.log" || {
      log_run "$t" "$started" "$( (grep -ho 'stat::number_of_executed_units: *[0-9]*' fuzz-*.log || true) | awk '{s += $2} END {print s + 0}')" failed "$cpu_before"
      echo "fuzz.sh: $t FAILED: the input is in fuzz/artifacts/$t/ (logs: fuzz/$t.log, fuzz/fuzz-*.log)" >&2
      grep -hE -A1 "panicked|Test unit written" fuzz-*.log "$t.log" >&2 || true
      exit 1
    }
  runs=$( (grep -ho 'stat::number_of_executed_units: *[0-9]*' fuzz-*.log || true) | awk '{s += $2} END {print s + 0}')
  log_run "$t" "$started" "$runs" "no failure" "$cpu_before"
  cargo fuzz cmin --fuzz-dir . "$t" "corpus/$t" > "$t-cmin.log" 2>&1 || {
    echo "fuzz.sh: minimizing the corpus of $t failed (log: fuzz/$t-cmin.log)" >&2
    exit 1
  }
  echo "fuzz.sh: $t: $runs runs in $(( $(date +%s) - started )) s on $jobs workers, no failure; corpus $before -> $(ls "corpus/$t" | wc -l) inputs"
done
