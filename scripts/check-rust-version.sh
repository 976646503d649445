#!/usr/bin/env bash
# Checks that the workspace's `rust-version` is at least every locked dependency's declared
# rust-version (the toolchain the README's build needs), and prints the dependencies that set
# it. Run by .ci/run; fails when a dependency update raises the minimum without the workspace
# saying so.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
def ver(s): return tuple(int(x) for x in s.split("."))[:2]
ours = {ver(p["rust_version"]) for p in meta["packages"] if p["source"] is None and p.get("rust_version")}
deps = [(ver(p["rust_version"]), p["name"] + " " + p["version"]) for p in meta["packages"]
        if p["source"] is not None and p.get("rust_version")]
need = max(v for v, _ in deps)
declared = min(ours)
names = ", ".join(sorted(n for v, n in deps if v == need)[:5])
print(f"rust-version: declared {declared[0]}.{declared[1]}, locked dependencies need {need[0]}.{need[1]} ({names})")
sys.exit(0 if declared >= need else 1)
'
