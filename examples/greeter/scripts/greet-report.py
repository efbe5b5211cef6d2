#!/usr/bin/env python3
"""Greet everyone in a names file and report: ``python scripts/greet-report.py [FILE] [--json]``.

FILE defaults to ``names.txt`` in the current directory; blank lines and lines starting with
``#`` are skipped. Names that occur more than once are greeted once and reported as duplicates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter

import greeter

DEFAULT_FILE = "names.txt"


def load_names(path: str) -> list[str]:
    """Return the names in *path*, in order, without blank lines and comments."""
    with open(path, encoding="utf-8") as f:
        stripped = (line.strip() for line in f)
        return [line for line in stripped if line and not line.startswith("#")]


def main() -> int:
    parser = argparse.ArgumentParser(prog="greet-report", description=__doc__)
    parser.add_argument(
        "file", nargs="?", default=DEFAULT_FILE, help="names file (default: %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()

    try:
        names = load_names(args.file)
    except FileNotFoundError:
        print(f"greet-report: no names file {args.file!r}", file=sys.stderr)
        return 1
    seen = Counter(names)
    report = {
        "greeter": greeter.__version__,
        "greetings": [greeter.greet(name) for name in seen],
        "duplicates": sorted(name for name, n in seen.items() if n > 1),
    }
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    print(*report["greetings"], sep="\n")
    print(f"-- {len(seen)} people greeted, {len(report['duplicates'])} duplicates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
