"""Time a console transcript of N commands (default 100) in-process against a subprocess each.

Writes a small argparse program and a Markdown file whose one ``console`` block runs it N
times, then, in this one process run so that the ratio holds on a noisy machine:

1. pytest on the file (``pytest.main`` in-process, with this plugin): the transcript's commands
   run in the pytest process;
2. the same command lines, each run through the shell with ``subprocess.run``, as cram and prysk
   do, comparing the output as they would;
3. when ``prysk`` is importable, prysk itself on an equivalent ``.t`` file.

Prints each time and the ratio to the in-process one. Not run in CI.

    python bench/transcripts.py [--commands N]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shlex
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

PROGRAM = textwrap.dedent(
    """\
    import argparse, logging, sys
    parser = argparse.ArgumentParser(prog="tool")
    parser.add_argument("name")
    parser.add_argument("--shout", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    line = f"hello {args.name}"
    print(line.upper() if args.shout else line)
    """
)


def commands(count: int) -> list[tuple[str, str]]:
    """(command line, expected output) pairs."""
    pairs = []
    for number in range(count):
        shout = number % 2 == 1
        line = f"python -m tool n{number}" + (" --shout" if shout else "")
        output = f"hello n{number}".upper() if shout else f"hello n{number}"
        pairs.append((line, output + "\n"))
    return pairs


def write_project(root: Path, pairs: list[tuple[str, str]]) -> None:
    (root / "tool").mkdir()
    (root / "tool" / "__init__.py").write_text("")
    (root / "tool" / "__main__.py").write_text(PROGRAM)
    block = "".join(f"$ {line}\n{output}" for line, output in pairs)
    (root / "README.md").write_text(f"# Bench\n\n```console\n{block}```\n")
    (root / "pytest.ini").write_text(
        "[pytest]\nrunmain_transcripts = README.md\nrunmain_transcript_cwd = rootdir\n"
    )
    # prysk's format: two-space indented commands and output. prysk runs each file in a
    # temporary directory of its own; $TESTDIR is the file's.
    prysk = '  $ cd "$TESTDIR"\n' + "".join(f"  $ {line}\n  {output}" for line, output in pairs)
    (root / "bench.t").write_text(prysk.replace("python -m", f"{sys.executable} -m"))


def time_inprocess(root: Path) -> float:
    start = time.perf_counter()
    status = pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", str(root), "README.md"])
    elapsed = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"the transcript failed in-process (pytest exit status {status})")
    return elapsed


def time_subprocess(root: Path, pairs: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for line, expected in pairs:
        words = shlex.split(line)
        command = shlex.join([sys.executable, *words[1:]])
        done = subprocess.run(
            command, shell=True, cwd=root, capture_output=True, text=True, check=False
        )
        if done.stdout + done.stderr != expected or done.returncode != 0:
            raise SystemExit(f"{line!r} printed {done.stdout + done.stderr!r}")
    return time.perf_counter() - start


def time_prysk(root: Path) -> float | None:
    if importlib.util.find_spec("prysk") is None:
        return None
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "prysk", "-q", "bench.t"], cwd=root, check=True)
    return time.perf_counter() - start


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--commands", type=int, default=100, metavar="N")
    count = options.parse_args().commands
    pairs = commands(count)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(os.path.realpath(tmp))
        write_project(root, pairs)
        previous = os.getcwd()
        os.chdir(root)
        sys.path.insert(0, str(root))
        try:
            inprocess = time_inprocess(root)
        finally:
            sys.path.remove(str(root))
            os.chdir(previous)
        subprocesses = time_subprocess(root, pairs)
        prysk = time_prysk(root)
    print(f"{count} commands of one console block")
    print(f"in-process (pytest on the Markdown file): {inprocess:8.3f} s")
    print(
        f"a shell and a subprocess per command:     {subprocesses:8.3f} s  "
        f"({subprocesses / inprocess:.1f}x)"
    )
    if prysk is not None:
        print(
            f"prysk:                                    {prysk:8.3f} s  ({prysk / inprocess:.1f}x)"
        )
    else:
        print("prysk: not installed, not timed")


if __name__ == "__main__":
    main()
