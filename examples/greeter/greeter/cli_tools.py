"""Count the lines and words of names files: ``python -m greeter.cli_tools [--top N] [FILE ...]``.

Reads standard input when no file is given. Prints ``<lines> lines, <words> words`` and, with
``--top N``, the N most common words with their counts. A file that cannot be read ends the
program with a message on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

PROG = "greeter.cli_tools"


def count(lines: Iterable[str]) -> tuple[int, Counter[str]]:
    """Return the number of lines and a counter of their whitespace-separated words."""
    n_lines = 0
    words: Counter[str] = Counter()
    for line in lines:
        n_lines += 1
        words.update(line.split())
    return n_lines, words


def main(argv: list[str] | None = None) -> None:
    """Run the word counter; exits through ``sys.exit`` with a message when a file is missing."""
    parser = argparse.ArgumentParser(prog=PROG, description="Count lines and words.")
    parser.add_argument("files", nargs="*", help="files to read (default: stdin)")
    parser.add_argument(
        "--top", type=int, default=0, metavar="N", help="show the N most common words"
    )
    args = parser.parse_args(argv)

    lines: list[str] = []
    if not args.files:
        lines.extend(sys.stdin)
    for path in args.files:
        try:
            with open(path, encoding="utf-8") as f:
                lines.extend(f)
        except OSError as exc:
            sys.exit(f"{PROG}: cannot read {path!r}: {exc.strerror}")

    n_lines, words = count(lines)
    print(f"{n_lines} lines, {words.total()} words")
    for word, n in words.most_common(args.top):
        print(f"{n:>6} {word}")


if __name__ == "__main__":
    main()
