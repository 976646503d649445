#!/usr/bin/env bash
# The conformance suite's mutation score: does it notice a broken driver?
#
#   scripts/mutants.sh [N] [SEED]    # default: 40 mutants, seeded by the UTC day
#
# cargo-mutants (installed from crates.io when missing) lists every mutant of the files
# .cargo/mutants.toml names: both drivers, their shared layer (nerve-diesel, whose each_driver
# files it lists once per driver: counted once here) and nerve-core's transfer, baseline and
# validation code. This script draws N of them at random (the same SEED draws the same sample
# of an unchanged tree and ledger), leaving out the ones below shown equivalent and the ones
# the ledger already judged, and has cargo-mutants build each and run the conformance suite on
# SQLite and PostgreSQL against it. It prints caught / missed / timeout / unviable, the score
# (caught out of caught + missed + timeout: the viable mutants), and each missed mutant. A
# missed mutant is killed by a new case, or shown equivalent here.
#
# The ledger, mutation/ledger.tsv (committed), keeps every verdict with the commit it was
# reached on, so samples drawn on different days add up to one: each run appends its verdicts,
# also when it is interrupted (the mutants finished so far), and the script ends by printing
# the ledger's score over the mutants the tree still makes (an edit renames the mutants below
# it: their old verdicts are counted as stale, not scored). MUTANTS_REJUDGE=missed tests the
# ledger's missed mutants again instead of drawing new ones (after new cases were written).
# MUTANTS_FILES=REGEX draws only mutants whose file path matches REGEX (from its start; the
# shared each_driver files as nerve-diesel/each_driver/...): a sample away from files an
# unfinished change is about to rename the mutants of.
#
# Each mutant is one build and one suite run: about a minute on 2 cores, so the full list
# (about 2 000) is too long; the results of a run stay in target/mutation/<SEED>-<N>/.
# The mutants are built in place, in this checkout and its target/ (cargo-mutants puts each
# file back after its mutant, and on Ctrl-C): a copy elsewhere would build every crate of the
# workspace anew first, about 10 minutes on 2 cores, as cargo's fingerprints of path crates
# hold their path. Run it in a worktree of its own (git worktree add --detach ../mut HEAD),
# not one being edited.
# PostgreSQL: NERVE_TEST_PG_URL when set; otherwise containers of the suite's image
# (scripts/pg-image.sh builds it once), removed when the script exits.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-40}
seed=${2:-$(($(date -u +%s) / 86400))}
version=27.1.0

# Mutants shown equivalent: the name as `cargo mutants --list` prints it (each_driver paths
# under nerve-diesel/), then why no test can tell it from the original.
equivalent=(
  # `len == 8 || (hex && secret)`: a malformed key ("nrv_ZZZZZZZZ_x", "nrv_0123abcd_") then
  # reaches the lookup by prefix instead of being refused at once; every stored key has a hex
  # prefix and a non-empty secret, so no row's hash matches and the answer is UnknownToken
  # either way. Only a query is saved.
  "nerve-diesel/src/checks.rs:53:13: replace && with || in accounts::key_prefix"
  # `(!test && tries > max) || ping`: every checkout pings its connection, not only one that
  # was idle long or follows a connection failure; a dead one is still dropped and replaced,
  # so every answer is the same and only a round trip per call is spent (the benchmarks', not
  # the suite's, to notice).
  "nerve-diesel/each_driver/scope.rs:164:17: replace || with && in Scope<'a>::connection"
  # canonical_of_json's double precision and bytea arms: verify reaches canonical_of_json only
  # reading a PostgreSQL target of NERVE's schema, which has no such column (the conformance
  # case every_described_column_has_the_copy_plan_its_type_names fails when one is added), so
  # no input the product takes reaches them; nerve-core's unit test
  # canonical_forms_agree_across_sources checks them.
  "nerve-core/src/transfer.rs:435:9: delete match arm (Kind::Real, Value::Number(n)) in canonical_of_json"
  "nerve-core/src/transfer.rs:436:9: delete match arm (Kind::Real, Value::String(s)) in canonical_of_json"
  "nerve-core/src/transfer.rs:437:13: delete match arm \"NaN\" in canonical_of_json"
  "nerve-core/src/transfer.rs:438:13: delete match arm \"Infinity\" in canonical_of_json"
  "nerve-core/src/transfer.rs:439:13: delete match arm \"-Infinity\" in canonical_of_json"
  "nerve-core/src/transfer.rs:447:9: delete match arm (Kind::Blob, Value::String(s)) in canonical_of_json"
  # CopyStop's Display is read only by Diesel, which sends it to the server as the reason a
  # COPY was abandoned (PQputCopyEnd); any text, the empty one too, abandons it, and copy_in
  # returns the producer's own error, never that text.
  "nerve-postgres/src/bulk.rs:65:9: replace <impl std::fmt::Display for CopyStop>::fmt -> std::fmt::Result with Ok(Default::default())"
  # A restore gives up waiting for another restore's lock when the wait has lasted more than
  # RESTORE_LOCK_WAIT, or (mutant) at least that long: `Instant` counts nanoseconds and the
  # check runs between lock attempts, so the two differ only if a check lands on the very
  # nanosecond, which no test can arrange or observe.
  "nerve-postgres/src/backup.rs:345:34: replace > with >= in Backups::restore"
  # parse_utc is SQLite's fast path for the one timestamp text the store writes; for any text
  # it gives None, ReadTs hands the text to Diesel's own reader, which reads the same time
  # (slower: the benchmarks' to notice). Each of these only makes it give None more often:
  # always; for a text without (or with a) fraction; every digit run None; or digit runs of
  # n*10*d (always 0) or n+10+d (a month of at least 20), which no date accepts.
  # nerve-diesel's unit tests of values.rs check parse_utc's own answers.
  "nerve-diesel/src/values.rs:107:5: replace parse_utc -> Option<DateTime<Utc>> with None"
  "nerve-diesel/src/values.rs:121:9: delete match arm [] in parse_utc"
  "nerve-diesel/src/values.rs:122:27: replace match guard matches!(f.len(), 3 | 6 | 9) with false in parse_utc"
  "nerve-diesel/src/values.rs:134:5: replace digits -> Option<u32> with None"
  "nerve-diesel/src/values.rs:135:43: replace + with * in digits"
  "nerve-diesel/src/values.rs:135:38: replace * with + in digits"
  # prctl(PR_SET_PDEATHSIG, SIGKILL) fails only for an invalid signal, so it returns 0 and
  # never -1: testing `== 1` instead of `== -1` changes nothing any run can reach.
  "nerve-postgres/src/backup.rs:100:70: delete - in die_with_parent"
)

if ! cargo mutants --version 2>/dev/null | grep -q "$version"; then
  echo "mutants.sh: installing cargo-mutants $version" >&2
  cargo install cargo-mutants --locked --version "$version"
fi
if [[ -z "${NERVE_TEST_PG_URL:-}" ]]; then
  NERVE_TEST_PG_IMAGE=$(scripts/pg-image.sh)
  export NERVE_TEST_PG_IMAGE NERVE_TEST_RUN="mutants-$$" NERVE_TEST_OWNER=$$
  remove() {
    local ids
    ids=$(docker ps -aq --filter "label=nerve.test.run=$NERVE_TEST_RUN")
    # shellcheck disable=SC2086
    if [[ -n "$ids" ]]; then docker rm -f $ids >/dev/null 2>&1 || true; fi
    docker network rm "nerve-test-$NERVE_TEST_RUN" >/dev/null 2>&1 || true
  }
  # Each suite run starts its own server (and replica) and keeps them to its end; the runs
  # follow one another, so every container but the newest two belongs to a finished run.
  janitor() {
    while sleep 30; do
      docker ps -aq --filter "label=nerve.test.run=$NERVE_TEST_RUN" | tail -n +3 |
        xargs -r docker rm -f >/dev/null 2>&1 || true
    done
  }
  janitor &
  janitor_pid=$!
fi
# Run on exit (after the ledger's record, once that is set up below).
cleanup() {
  if [[ -n "${janitor_pid:-}" ]]; then
    kill "$janitor_pid" 2>/dev/null || true
    remove
  fi
}
trap cleanup EXIT

rejudge=${MUTANTS_REJUDGE:-}
[[ -z "$rejudge" || "$rejudge" == missed ]] || {
  echo "mutants.sh: MUTANTS_REJUDGE is 'missed' or unset" >&2
  exit 2
}
out="target/mutation/$seed-$n${rejudge:+-rejudge}"
ledger=mutation/ledger.tsv
mkdir -p "$out" mutation
[[ -s $ledger ]] || printf 'mutant\toutcome\tcommit\tdate\n' >"$ledger"
cargo mutants --list --colors never >"$out/all.txt"
printf '%s\n' "${equivalent[@]+"${equivalent[@]}"}" >"$out/equivalent.txt"
# One regular expression naming exactly the drawn mutants.
python3 - "$out" "$n" "$seed" "$ledger" "$rejudge" "${MUTANTS_FILES:-}" <<'EOF'
import csv, random, re, sys
out, n, seed, ledger, rejudge, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
shared = re.compile(r"^nerve-(sqlite|postgres)/src/\.\./\.\./nerve-diesel/")
equivalent = {l.strip() for l in open(f"{out}/equivalent.txt") if l.strip()}
unique = {}
for name in open(f"{out}/all.txt"):
    name = name.rstrip("\n")
    key = shared.sub("nerve-diesel/", name)
    if name:
        unique.setdefault(key, name)
# Names carry line and column: an edit above a mutant renames it, so say which are stale.
for stale in sorted(equivalent - unique.keys()):
    print(f"mutants.sh: allow-list entry no longer generated (update it): {stale}", file=sys.stderr)
for key in equivalent:
    unique.pop(key, None)
# The ledger's latest verdict of each mutant.
judged = {r["mutant"]: r["outcome"] for r in csv.DictReader(open(ledger), delimiter="\t")}
if rejudge:
    keys = sorted(k for k in unique if judged.get(k) == "missed")
    drawn = keys[:n]
    print(f"mutants.sh: testing again {len(drawn)} of the ledger's {len(keys)} missed mutants "
          "the tree still makes", file=sys.stderr)
else:
    keys = sorted(k for k in unique if k not in judged and re.match(files, k.split(":")[0]))
    drawn = sorted(random.Random(seed).sample(keys, min(n, len(keys))))
    print(f"mutants.sh: {len(unique)} distinct mutants ({len(equivalent)} shown equivalent left "
          f"out, {len(unique) - len(keys)} in the ledger); drawing {len(drawn)} with seed {seed}",
          file=sys.stderr)
if not drawn:
    sys.exit("mutants.sh: nothing to test")
with open(f"{out}/drawn.txt", "w") as f:
    f.write("".join(unique[k] + "\n" for k in drawn))
with open(f"{out}/regex.txt", "w") as f:
    f.write("^(" + "|".join(re.escape(unique[k]) for k in drawn) + ")$")
EOF
# The unmutated suite must pass, or every mutant would count as caught. cargo-mutants' own
# baseline is skipped: version 27.1 runs it on the mutated packages' tests, not the conformance
# suite the mutants are judged by (.cargo/mutants.toml), so the timeouts are set here.
# A mutant is caught by its first failing case: libtest's --fail-fast starts no case after
# it, where the suite's other cases took up to 2 minutes more. The option is unstable, so the
# test binary (only it) runs with RUSTC_BOOTSTRAP=1, through a cargo runner: in the
# environment of the builds, it would change the fingerprints of crates whose build scripts
# watch it and rebuild most of the workspace. A verdict is the same either way; the unmutated
# run below takes the same options, so a toolchain that refused them fails there.
host=$(rustc -vV | sed -n 's/^host: //p')
runner="CARGO_TARGET_$(tr 'a-z.-' 'A-Z__' <<<"$host")_RUNNER"
fail_fast=(-Zunstable-options --fail-fast)
echo "mutants.sh: the conformance suite on the unmutated tree" >&2
# (In the mutants' own profile, .cargo/mutants.toml's: their builds then start from its.)
env "$runner=env RUSTC_BOOTSTRAP=1" cargo test --workspace --test conformance \
  --profile mutants -- "${fail_fast[@]}" >"$out/baseline.log" 2>&1 || {
  echo "mutants.sh: the conformance suite fails without mutants; see $out/baseline.log" >&2
  exit 1
}
started=$(date +%s)
# The tree the verdicts are reached on: its commit, + when it has changes beside the ledger.
tree=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!mutation' || echo +)
# Appends the verdicts cargo-mutants has written so far to the ledger (once, also on an
# interrupted run), then prints the ledger's score over the mutants this tree makes.
recorded=
record() {
  [[ -z $recorded ]] || return 0
  recorded=1
  python3 - "$out" "$ledger" "$tree" <<'EOF'
import csv, datetime, json, os, re, sys
out, ledger, commit = sys.argv[1:4]
shared = re.compile(r"^nerve-(sqlite|postgres)/src/\.\./\.\./nerve-diesel/")
today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
new = []
# A mutant is caught only when the suite failed as a test run fails (libtest exits 101); any
# other failure of `cargo test` (a refused option, say) judged nothing, so it is not recorded.
not_run = set()
outcomes_path = f"{out}/mutants.out/outcomes.json"
if os.path.exists(outcomes_path):
    for o in json.load(open(outcomes_path)).get("outcomes", []):
        mutant = o.get("scenario", {}).get("Mutant") if isinstance(o.get("scenario"), dict) else None
        tests = [p for p in o.get("phase_results", []) if p.get("phase") == "Test"]
        if mutant and o.get("summary") == "CaughtMutant" and (
                not tests or tests[-1].get("process_status") != {"Failure": 101}):
            not_run.add(mutant["name"])
for name in sorted(not_run):
    print(f"mutants.sh: NOT RECORDED, the suite did not run as a test run: {name}", file=sys.stderr)
for outcome in ("caught", "missed", "timeout", "unviable"):
    path = f"{out}/mutants.out/{outcome}.txt"
    if os.path.exists(path):
        new += [(shared.sub("nerve-diesel/", l.rstrip("\n")), outcome) for l in open(path)
                if l.strip() and l.rstrip("\n") not in not_run]
with open(ledger, "a") as f:
    for mutant, outcome in new:
        f.write(f"{mutant}\t{outcome}\t{commit}\t{today}\n")
made = {shared.sub("nerve-diesel/", l.rstrip("\n")) for l in open(f"{out}/all.txt") if l.strip()}
equivalent = {l.strip() for l in open(f"{out}/equivalent.txt") if l.strip()}
latest = {r["mutant"]: r["outcome"] for r in csv.DictReader(open(ledger), delimiter="\t")}
count = {k: 0 for k in ("caught", "missed", "timeout", "unviable")}
stale = 0
for mutant, outcome in latest.items():
    if mutant in made and mutant not in equivalent:
        count[outcome] += 1
    else:
        stale += 1
viable = count["caught"] + count["missed"] + count["timeout"]
score = 100.0 * count["caught"] / viable if viable else 0.0
print(f"mutants.sh: this run added {len(new)} verdicts to {ledger}; the ledger holds "
      f"{sum(count.values())} mutants this tree makes ({stale} stale or shown equivalent): "
      f"caught {count['caught']}, missed {count['missed']}, timeout {count['timeout']}, "
      f"unviable {count['unviable']}; score {score:.1f}% of {viable} viable")
for mutant, outcome in sorted(latest.items()):
    if outcome == "missed" and mutant in made and mutant not in equivalent:
        print("  missed (ledger):", mutant)
EOF
}
trap 'record || echo "mutants.sh: the ledger was not updated" >&2; cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
status=0
# (One argument holds every drawn name: about 200 bytes each, well under Linux's 128 KiB for
# the samples this script is for.)
# An earlier run's verdicts in this directory must not reach the ledger again.
rm -rf "$out/mutants.out" "$out/mutants.out.old"
env "$runner=env RUSTC_BOOTSTRAP=1" \
  cargo mutants --re "$(cat "$out/regex.txt")" --output "$out" --colors never --in-place \
  --baseline skip --timeout 600 --build-timeout 1200 -- -- "${fail_fast[@]}" ||
  status=$?
# cargo-mutants exits 2 when a mutant was missed, 3 on a timeout: the counts below say so.
if [[ $status -ne 0 && $status -ne 2 && $status -ne 3 ]]; then
  echo "mutants.sh: cargo mutants failed (exit $status); see $out/mutants.out/" >&2
  exit "$status"
fi
python3 - "$out" "$started" <<'EOF'
import json, sys, time
out, started = sys.argv[1], int(sys.argv[2])
outcomes = json.load(open(f"{out}/mutants.out/outcomes.json"))
drawn = sum(1 for l in open(f"{out}/drawn.txt") if l.strip())
if outcomes.get("total_mutants") != drawn:
    sys.exit(f"mutants.sh: drew {drawn} mutants but cargo-mutants tested "
             f"{outcomes.get('total_mutants')}: the names did not match")
count = {k: outcomes.get(k, 0) for k in ("caught", "missed", "timeout", "unviable")}
viable = count["caught"] + count["missed"] + count["timeout"]
score = 100.0 * count["caught"] / viable if viable else 0.0
print(f"mutants.sh: {sum(count.values())} mutants in {(time.time() - started) / 60:.0f} min: "
      f"caught {count['caught']}, missed {count['missed']}, timeout {count['timeout']}, "
      f"unviable {count['unviable']}; score {score:.1f}% of {viable} viable")
for line in open(f"{out}/mutants.out/missed.txt"):
    print("  missed:", line.rstrip())
EOF
