#!/usr/bin/env python3
"""How much of the driver layer sits inside `macro_rules!` bodies.

Usage: scripts/macro-lines.py [DIR ...]   (default: nerve-diesel nerve-sqlite nerve-postgres)

Prints every macro with its length in lines (from `macro_rules!` to its closing brace), the
largest, and the share of all `.rs` lines of the directories that macro bodies take. Rust code
inside a macro body is not formatted by rustfmt and is seen by clippy and rust-analyzer only
through its expansions, which is why the driver layer keeps this share small.
"""

import pathlib
import re
import sys

START = re.compile(r"^\s*(?:#\[macro_export\]\s*)?macro_rules!\s*(\w+)\s*[{(\[]")


def macro_spans(lines):
    """(name, first line, line count) of every macro_rules! in `lines`."""
    spans = []
    i = 0
    while i < len(lines):
        m = START.match(lines[i])
        if not m:
            i += 1
            continue
        depth = 0
        j = i
        started = False
        while j < len(lines):
            text = re.sub(r"//.*$", "", lines[j])
            for ch in text:
                if ch in "{([":
                    depth += 1
                    started = True
                elif ch in "})]":
                    depth -= 1
            if started and depth <= 0:
                break
            j += 1
        spans.append((m.group(1), i + 1, j - i + 1))
        i = j + 1
    return spans


def main():
    dirs = sys.argv[1:] or ["nerve-diesel", "nerve-sqlite", "nerve-postgres"]
    total = 0
    inside = 0
    macros = []
    for d in dirs:
        for path in sorted(pathlib.Path(d).rglob("*.rs")):
            if "target" in path.parts:
                continue
            lines = path.read_text().splitlines()
            total += len(lines)
            for name, first, count in macro_spans(lines):
                macros.append((count, name, f"{path}:{first}"))
                inside += count
    macros.sort(reverse=True)
    for count, name, where in macros:
        print(f"{count:6}  {name:28} {where}")
    share = 100.0 * inside / total if total else 0.0
    largest = f"{macros[0][1]} ({macros[0][0]} lines)" if macros else "none"
    print(f"macros: {len(macros)}; lines inside them: {inside} of {total} ({share:.1f}%); "
          f"largest: {largest}")


if __name__ == "__main__":
    main()
