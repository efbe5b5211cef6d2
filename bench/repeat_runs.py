"""Run one program many times in-process and show that interpreter state stays bounded.

Prints sys.modules size, open file descriptors, live threads and RSS before and after N runs
(default 10,000) of a small argparse + logging CLI, and the time per run in-process next to
the time per run of the same program in a subprocess, measured in the same process run so the
ratio holds on a noisy machine.

    python bench/repeat_runs.py [--runs N] [--subprocess-runs M]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from pytest_runmain import Runner

PROGRAM = textwrap.dedent(
    """\
    import argparse, logging, sys
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("name")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    logging.getLogger("bench").debug("greeting %s", args.name)
    print(f"hello {args.name}")
    """
)


def rss_kib() -> int:
    """The resident set size now (Linux: /proc; elsewhere the peak from getrusage)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


def figures() -> dict[str, int]:
    gc.collect()
    return {
        "sys.modules": len(sys.modules),
        "open fds": open_fds(),
        "threads": threading.active_count(),
        "RSS KiB": rss_kib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--subprocess-runs", type=int, default=50)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench_cli.py"
        script.write_text(PROGRAM)
        runner = Runner()
        runner.run_path(script, "warm-up", "--verbose")  # first imports, caches
        runner.results.clear()
        before = figures()
        start = time.perf_counter()
        for i in range(options.runs):
            result = runner.run_path(script, f"n{i}", "--verbose")
            if result.returncode != 0 or result.stdout != f"hello n{i}\n":
                raise SystemExit(f"run {i} went wrong: {result!r}")
            runner.results.clear()
        in_process = (time.perf_counter() - start) / options.runs
        after = figures()

        start = time.perf_counter()
        for i in range(options.subprocess_runs):
            subprocess.run(
                [sys.executable, str(script), f"n{i}", "--verbose"], capture_output=True, check=True
            )
        in_subprocess = (time.perf_counter() - start) / options.subprocess_runs

    print(f"{options.runs} in-process runs of {script.name}")
    print(f"{'':14}{'before':>10}{'after':>10}{'growth':>10}")
    for key in before:
        print(f"{key:14}{before[key]:>10}{after[key]:>10}{after[key] - before[key]:>10}")
    print(
        f"per run: in-process {in_process * 1000:.2f} ms, subprocess {in_subprocess * 1000:.2f} ms"
    )
    print(f"subprocess / in-process: {in_subprocess / in_process:.1f}x")


if __name__ == "__main__":
    main()
