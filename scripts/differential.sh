#!/usr/bin/env bash
# A long batch of the differential random test (tests/tests/differential.rs): N random call
# sequences (default 500) on a SQLite and a PostgreSQL store, answers compared after every call.
#   scripts/differential.sh [N] [SEED]
# PostgreSQL: NERVE_TEST_PG_URL when set; otherwise a container of the suite's image
# (scripts/pg-image.sh builds it once), removed when the script exits.
set -euo pipefail
cd "$(dirname "$0")/.."
export NERVE_DIFF_CASES="${1:-500}"
if [[ -n "${2:-}" ]]; then export NERVE_DIFF_SEED="$2"; fi
if [[ -z "${NERVE_TEST_PG_URL:-}" ]]; then
  NERVE_TEST_PG_IMAGE=$(scripts/pg-image.sh)
  export NERVE_TEST_PG_IMAGE NERVE_TEST_RUN="differential-$$" NERVE_TEST_OWNER=$$
  remove() {
    local ids
    ids=$(docker ps -aq --filter "label=nerve.test.run=$NERVE_TEST_RUN")
    # shellcheck disable=SC2086
    if [[ -n "$ids" ]]; then docker rm -f $ids >/dev/null 2>&1 || true; fi
  }
  trap remove EXIT
fi
cargo test -p nerve-conformance --test differential -- --nocapture
