"""The greeter command line: ``python -m greeter NAME [--shout] [--verbose] [--version]``.

``NAME`` may be ``-`` to read names from standard input, one per line (blank lines are
skipped). Exit status: 0 on success, 2 on a usage error (from argparse), 3 when a name is
empty.
"""

from __future__ import annotations

import argparse
import logging
import sys

from greeter import EmptyNameError, __version__, default_greeting, greet

#: Exit status for an empty name (argparse already uses 2 for usage errors).
EXIT_EMPTY_NAME = 3

log = logging.getLogger("greeter")

parser = argparse.ArgumentParser(
    prog="greeter",
    description="Greet people by name. The greeting comes from $GREETER_GREETING (default: Hello).",
)
parser.add_argument("name", help="the name to greet, or '-' to read names from stdin, one per line")
parser.add_argument("--shout", action="store_true", help="greet in capital letters")
parser.add_argument("-v", "--verbose", action="store_true", help="log what happens to stderr")
parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")


def read_names(name: str) -> list[str]:
    """Return the names to greet: *name* itself, or the non-blank lines of stdin for ``-``."""
    if name != "-":
        return [name]
    return [line.strip() for line in sys.stdin if line.strip()]


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    args = parser.parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s:%(name)s:%(message)s")
    names = read_names(args.name)
    if not names:
        print(f"{parser.prog}: error: no names on stdin", file=sys.stderr)
        return EXIT_EMPTY_NAME
    greeting = default_greeting()
    log.debug("greeting %d name(s) with %r", len(names), greeting)
    for name in names:
        try:
            print(greet(name, greeting=greeting, shout=args.shout))
        except EmptyNameError as exc:
            print(f"{parser.prog}: error: {exc}", file=sys.stderr)
            return EXIT_EMPTY_NAME
    log.info("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
