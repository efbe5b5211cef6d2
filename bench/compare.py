"""Compare the cost of one run of a program under pytest-runmain with the other ways to run it.

Prints Markdown tables for the current interpreter, every figure measured in this one process
run so that the ratios hold on a noisy machine:

1. CPU time per run of five small programs, run bare with :mod:`runpy` (the cheapest unchecked
   in-process run), with :class:`pytest_runmain.Runner` by default (the code cache warm, as
   from the second run of a program on), with the code cache emptied before each run (as a
   first run), with ``isolation='off'``, ``capture='fd'``, ``deep_isolation=True`` and
   ``mode='subprocess'``, with :func:`subprocess.run`, with pytest-console-scripts in-process
   and in a subprocess, and with click's ``CliRunner`` (on the click program only); each with
   its ratio to bare runpy.
2. Scaling: the default run's CPU time with many extra modules, environment variables, idle
   threads and open file descriptors, as a ratio to the same run without them.
3. Import time: ``python -X importtime -c "import pytest_runmain.plugin"`` (the interpreter's
   own wall-clock figures), and the CPU and wall time of pytest's start with and without the
   plugin, with bytecode written, not written, and not cached at all.
4. Whole sessions: the wall time of ``python -m pytest`` on 500 tests that each run the
   one-line script with the ``run_path`` fixture, next to 500 tests calling bare runpy.

CPU time is this process's (:func:`time.process_time`) plus its waited-for children's
(``getrusage(RUSAGE_CHILDREN)``); each figure is the minimum over the repetitions of the mean
over a batch of runs sized to take about ``--target`` seconds. Nothing is asserted about time:
the script fails only when a measurement cannot be taken at all. Variables that change how
programs run (``PYTHONUNBUFFERED``, ``PYTHONDONTWRITEBYTECODE``...) are unset, the script
starting again without them, unless given with ``--env``.

    python bench/compare.py [--quick] [--repeat N] [--target SECONDS] [--env NAME=VALUE]

The programs it compares against come from the ``bench`` extra (``pip install -e '.[bench]'``,
or ``tox -e bench``).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import importlib.util
import io
import json
import os
import platform
import re
import resource
import runpy
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from pytest_runmain import Runner

#: What one run returns for the correctness check: (exit status, standard output).
Outcome = tuple[int, str]
Call = Callable[[], Outcome]

HELLO: Final = 'print("hello")\n'

ARGPARSE_CLI: Final = textwrap.dedent(
    """\
    import argparse

    parser = argparse.ArgumentParser(prog="greet")
    parser.add_argument("name")
    parser.add_argument("--shout", action="store_true")
    args = parser.parse_args()
    text = f"hello {args.name}"
    print(text.upper() if args.shout else text)
    """
)

PKG_MAIN: Final = textwrap.dedent(
    """\
    import sys

    from benchpkg.core import greet

    print(greet(sys.argv[1:]))
    """
)

PKG_CORE: Final = textwrap.dedent(
    """\
    def greet(names):
        return ", ".join(f"hello {name}" for name in names)
    """
)

CLICK_CLI: Final = textwrap.dedent(
    """\
    import click


    @click.command()
    @click.argument("name")
    @click.option("--shout", is_flag=True)
    def cli(name, shout):
        text = f"hello {name}"
        click.echo(text.upper() if shout else text)


    if __name__ == "__main__":
        cli()
    """
)


def json_document(lines: int = 3000) -> str:
    """A JSON document of about *lines* lines once indented, as ``json.tool`` prints it."""
    record_lines = 10  # "{", 8 fields, "},"
    records = [
        {
            "id": i,
            "name": f"item {i}",
            "price": round(i * 1.25, 2),
            "tags": f"tag{i % 7}",
            "in_stock": i % 3 == 0,
            "ratio": i / 7,
            "code": f"C{i:05d}",
            "note": None,
        }
        for i in range(lines // record_lines)
    ]
    return json.dumps(records, indent=4) + "\n"


@dataclass(frozen=True)
class Program:
    """One row of the table: a program and how it is started."""

    title: str
    kind: Literal["path", "module"]
    #: A file name in the work directory, or a module name.
    target: str
    args: tuple[str, ...] = ()
    stdin: str = ""
    #: The name of the click command object in the target, for ``CliRunner``.
    click_command: str | None = None


PROGRAMS: Final = (
    Program("one-line hello script", "path", "hello.py"),
    Program("small argparse CLI", "path", "greet_argparse.py", ("Ada", "--shout")),
    Program("`-m pkg` with `__main__.py`", "module", "benchpkg", ("Ada", "Grace")),
    Program("click CLI", "path", "greet_click.py", ("Ada", "--shout"), click_command="cli"),
    Program("`-m json.tool` with stdin", "module", "json.tool", stdin=json_document()),
)


def write_programs(workdir: Path) -> None:
    (workdir / "hello.py").write_text(HELLO)
    (workdir / "greet_argparse.py").write_text(ARGPARSE_CLI)
    (workdir / "greet_click.py").write_text(CLICK_CLI)
    (workdir / "benchpkg").mkdir()
    (workdir / "benchpkg" / "__init__.py").write_text('"""A package run with -m."""\n')
    (workdir / "benchpkg" / "__main__.py").write_text(PKG_MAIN)
    (workdir / "benchpkg" / "core.py").write_text(PKG_CORE)


class NotApplicable(Exception):
    """The tool of a column cannot run the program of a row; the message says why."""


# --- the columns: each makes a call that runs a program once --------------------------------


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 1


class _Output(io.StringIO):
    """A StringIO whose text outlives ``close()``: ``json.tool`` closes ``sys.stdout``."""

    text = ""

    def close(self) -> None:
        if not self.closed:
            self.text = self.getvalue()
        super().close()

    def result(self) -> str:
        return self.text if self.closed else self.getvalue()


def bare_runpy(program: Program, workdir: Path) -> Call:
    """runpy with ``run_name="__main__"``, argv set, output in StringIO: nothing checked."""

    def call() -> Outcome:
        out, err = _Output(), _Output()
        saved = sys.argv, sys.stdin, sys.path[:]
        sys.argv = [program.target, *program.args]
        sys.stdin = io.StringIO(program.stdin)
        status = 0
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                if program.kind == "module":
                    sys.path.insert(0, str(workdir))
                    runpy.run_module(program.target, run_name="__main__", alter_sys=True)
                else:
                    runpy.run_path(str(workdir / program.target), run_name="__main__")
        except SystemExit as exc:
            status = _exit_status(exc.code)
        finally:
            sys.argv, sys.stdin, sys.path[:] = saved
        return status, out.result()

    return call


def runmain(**options: Any) -> Callable[[Program, Path], Call]:
    """pytest-runmain's ``Runner`` with *options* (none: the defaults)."""

    def column(program: Program, workdir: Path) -> Call:
        runner = Runner()
        run = runner.run_module if program.kind == "module" else runner.run_path

        def call() -> Outcome:
            result = run(program.target, *program.args, stdin=program.stdin, **options)
            runner.results.clear()
            return result.returncode, result.stdout

        return call

    return column


def runmain_uncached(program: Program, workdir: Path) -> Call:
    """The default run with the session's code cache emptied first: what the first run costs."""
    from pytest_runmain import _codecache

    call = runmain()(program, workdir)

    def uncached() -> Outcome:
        _codecache.clear()
        return call()

    return uncached


def command_line(program: Program) -> list[str]:
    if program.kind == "module":
        return [sys.executable, "-m", program.target, *program.args]
    return [sys.executable, program.target, *program.args]


def subprocess_run(program: Program, workdir: Path) -> Call:
    def call() -> Outcome:
        done = subprocess.run(
            command_line(program), input=program.stdin, capture_output=True, text=True
        )
        return done.returncode, done.stdout

    return call


def console_scripts(launch_mode: str) -> Callable[[Program, Path], Call]:
    """pytest-console-scripts' ``ScriptRunner``, built as its ``script_runner`` fixture does."""

    def column(program: Program, workdir: Path) -> Call:
        from pytest_console_scripts import ScriptRunner

        runner = ScriptRunner(launch_mode, workdir, print_result=False)
        if program.kind == "module" and launch_mode == "inprocess":
            raise NotApplicable(
                "pytest-console-scripts runs an installed console script or a script file "
                "in-process; `python -m` is neither (in a subprocess it runs any command line)"
            )
        # A Path, not a str: a str is first looked up among the installed console scripts.
        command: list[Any] = command_line(program)
        if program.kind == "path":
            command = [workdir / program.target, *program.args]

        def call() -> Outcome:
            result = runner.run(command, stdin=io.StringIO(program.stdin))
            return result.returncode, result.stdout

        return call

    return column


def click_runner(program: Program, workdir: Path) -> Call:
    """click's ``CliRunner.invoke`` on the command object, imported once from the program."""
    if program.click_command is None:
        raise NotApplicable("click's CliRunner runs a click command object: the click CLI only")
    from click.testing import CliRunner

    spec = importlib.util.spec_from_file_location("bench_click_cli", workdir / program.target)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    command = getattr(module, program.click_command)
    runner = CliRunner()

    def call() -> Outcome:
        result = runner.invoke(command, list(program.args), input=program.stdin)
        return result.exit_code, result.stdout

    return call


#: (heading, column, whether the column must run every program: pytest-runmain's own columns
#: and the references; a failure there fails the script, elsewhere it is a note).
COLUMNS: Final[tuple[tuple[str, Callable[[Program, Path], Call], bool], ...]] = (
    ("bare runpy", bare_runpy, True),
    ("run (default)", runmain(), True),
    ("run, code cache emptied", runmain_uncached, True),
    ("`isolation='off'`", runmain(isolation="off"), True),
    ("`capture='fd'`", runmain(capture="fd"), True),
    ("`deep_isolation=True`", runmain(deep_isolation=True), True),
    ("`mode='subprocess'`", runmain(mode="subprocess"), True),
    ("`subprocess.run`", subprocess_run, True),
    ("console-scripts in-process", console_scripts("inprocess"), False),
    ("console-scripts subprocess", console_scripts("subprocess"), False),
    ("click `CliRunner`", click_runner, False),
)


# --- measuring ---------------------------------------------------------------------------------


def children_cpu() -> float:
    """CPU time of this process's children that were waited for."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def cpu_seconds() -> float:
    """CPU time of this process and of its children that were waited for."""
    return time.process_time() + children_cpu()


@dataclass(frozen=True)
class Settings:
    repeat: int
    #: Seconds of CPU time one batch of runs should take.
    target: float
    max_runs: int = 2000


def batch_size(call: Call, settings: Settings) -> int:
    start = cpu_seconds()
    call()
    once = max(cpu_seconds() - start, 1e-6)
    return max(1, min(settings.max_runs, round(settings.target / once)))


def per_run(call: Call, runs: int) -> float:
    """CPU seconds per run, the mean over a batch of *runs*."""
    gc.collect()
    start = cpu_seconds()
    for _ in range(runs):
        call()
    return (cpu_seconds() - start) / runs


@dataclass
class Cell:
    seconds: float | None = None
    #: Why there is no figure: "n/a" or "fails", with a note.
    mark: str = ""
    note: str = ""


def check(call: Call, expected: Outcome) -> str:
    """Run once; a note when the outcome is not the real interpreter's, else ''."""
    try:
        outcome = call()
    except Exception as exc:
        return f"raised {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    if outcome != expected:
        status, out = outcome
        return f"exit status {status} and {len(out)} characters of output, expected {expected[0]}"
    return ""


@contextlib.contextmanager
def programs_forgotten(workdir: Path) -> Iterator[None]:
    """Afterwards, drop from ``sys.modules`` the modules of the work directory.

    Bare runpy leaves the modules it imports (``benchpkg``) in ``sys.modules``, where the next
    column would find them already imported: each column starts without them.
    """
    try:
        yield
    finally:
        for name, module in list(sys.modules.items()):
            origin = getattr(module, "__file__", None)
            if isinstance(origin, str) and Path(origin).is_relative_to(workdir):
                del sys.modules[name]


def measure_row(program: Program, workdir: Path, settings: Settings) -> list[Cell]:
    expected = subprocess_run(program, workdir)()
    if expected[0] != 0:
        raise SystemExit(f"{program.title}: the program itself fails: {expected!r}")
    calls: list[Call | None] = []
    cells: list[Cell] = []
    for _name, column, _required in COLUMNS:
        try:
            call = column(program, workdir)
        except NotApplicable as exc:
            calls.append(None)
            cells.append(Cell(mark="n/a", note=str(exc)))
            continue
        with programs_forgotten(workdir):
            problem = check(call, expected)
        calls.append(None if problem else call)
        cells.append(Cell(mark="fails", note=problem) if problem else Cell())
    sizes = []
    for timed in calls:
        with programs_forgotten(workdir):
            sizes.append(batch_size(timed, settings) if timed else 0)
    # Repetitions go round the columns, so that a noisy moment hits them alike.
    for _ in range(settings.repeat):
        for timed, runs, cell in zip(calls, sizes, cells, strict=True):
            if timed is not None:
                with programs_forgotten(workdir):
                    seconds = per_run(timed, runs)
                cell.seconds = seconds if cell.seconds is None else min(cell.seconds, seconds)
    return cells


# --- scaling: the default run with more state around it ----------------------------------------


@contextlib.contextmanager
def extra_modules(count: int) -> Iterator[None]:
    names = [f"_bench_extra_module_{i}" for i in range(count)]
    sys.modules.update((name, types.ModuleType(name)) for name in names)
    try:
        yield
    finally:
        for name in names:
            del sys.modules[name]


@contextlib.contextmanager
def extra_environ(count: int) -> Iterator[None]:
    names = [f"BENCH_EXTRA_VARIABLE_{i}" for i in range(count)]
    for name in names:
        os.environ[name] = "x" * 20
    try:
        yield
    finally:
        for name in names:
            del os.environ[name]


@contextlib.contextmanager
def extra_threads(count: int) -> Iterator[None]:
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join()


@contextlib.contextmanager
def extra_fds(count: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = (
        count + 256 + len(os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else [])
    )
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            raise NotApplicable(f"RLIMIT_NOFILE's hard limit {hard} is below {wanted}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    fds: list[int] = []
    try:
        fds.extend(os.open(os.devnull, os.O_RDONLY) for _ in range(count))
        yield
    finally:
        for fd in fds:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@dataclass(frozen=True)
class Load:
    what: str
    count: int
    quick_count: int
    context: Callable[[int], contextlib.AbstractContextManager[None]]


LOADS: Final = (
    Load("modules in `sys.modules`", 5000, 500, extra_modules),
    Load("environment variables", 1000, 100, extra_environ),
    Load("live threads (idle, waiting on an Event)", 100, 10, extra_threads),
    Load("open file descriptors", 1000, 100, extra_fds),
)


@dataclass
class Scaling:
    label: str
    without: float = float("inf")
    with_: float = float("inf")
    note: str = ""


def measure_scaling(workdir: Path, settings: Settings, quick: bool) -> list[Scaling]:
    program = PROGRAMS[0]
    call = runmain()(program, workdir)
    rows = []
    for load in LOADS:
        count = load.quick_count if quick else load.count
        row = Scaling(f"{count:,} extra {load.what}")
        runs = batch_size(call, settings)
        try:
            for _ in range(settings.repeat):
                row.without = min(row.without, per_run(call, runs))
                with load.context(count):
                    row.with_ = min(row.with_, per_run(call, runs))
        except NotApplicable as exc:
            row.note = str(exc)
        rows.append(row)
    return rows


# --- import time and pytest's start ---------------------------------------------------------

_IMPORTTIME: Final = re.compile(
    r"^import time:\s+(?P<self>\d+) \|\s+(?P<cumulative>\d+) \|(?P<depth> +)(?P<name>\S+)$"
)


def plugin_import(settings: Settings) -> tuple[float, float, int]:
    """(ms in pytest_runmain's own modules, ms of the whole import, number of those modules).

    From ``-X importtime``: the self times of the modules named ``pytest_runmain*`` summed, and
    the cumulative time of those the command imports itself; each the minimum over repetitions.
    """
    command = [sys.executable, "-X", "importtime", "-c", "import pytest_runmain.plugin"]
    subprocess.run(command, capture_output=True, check=True)  # bytecode caches written
    own, whole, modules = float("inf"), float("inf"), 0
    for _ in range(settings.repeat):
        report = subprocess.run(command, capture_output=True, text=True, check=True).stderr
        matches = [m for m in map(_IMPORTTIME.match, report.splitlines()) if m]
        ours = [m for m in matches if m["name"].startswith("pytest_runmain")]
        own = min(own, sum(int(m["self"]) for m in ours) / 1000)
        whole = min(whole, sum(int(m["cumulative"]) for m in ours if m["depth"] == " ") / 1000)
        modules = len(ours)
    return own, whole, modules


#: How pytest's start finds bytecode: (label, environment variables set, with a cache prefix).
START_CASES: Final[tuple[tuple[str, dict[str, str], bool], ...]] = (
    ("bytecode written", {}, False),
    (
        "`PYTHONDONTWRITEBYTECODE=1`, caches of earlier runs read",
        {"PYTHONDONTWRITEBYTECODE": "1"},
        False,
    ),
    (
        "`PYTHONDONTWRITEBYTECODE=1` and no cache (an empty `PYTHONPYCACHEPREFIX`)",
        {"PYTHONDONTWRITEBYTECODE": "1"},
        True,
    ),
)


def pytest_start(settings: Settings) -> dict[tuple[bool, str], tuple[float, float]]:
    """(CPU, wall) seconds of ``python -m pytest --co -q`` in an empty directory.

    By (plugin loaded, label of a :data:`START_CASES` case), the minimum over the repetitions.
    With an empty ``PYTHONPYCACHEPREFIX`` directory no module, of the standard library, pytest or
    the plugin, has bytecode: everything is compiled (and pytest's assertion rewriting of the
    plugin done) at each start, as in a fresh checkout where bytecode is never written.
    """
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")
    }
    best: dict[tuple[bool, str], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as prefix:
        for rep in range(settings.repeat + 1):  # the first round writes bytecode caches
            for label, variables, no_cache in START_CASES:
                env = dict(base, **variables)
                if no_cache:
                    env["PYTHONPYCACHEPREFIX"] = prefix
                for plugin in (False, True):
                    command = [
                        sys.executable,
                        "-m",
                        "pytest",
                        "--co",
                        "-q",
                        "-p",
                        "no:cacheprovider",
                    ]
                    if not plugin:
                        command += ["-p", "no:runmain"]
                    cpu, wall = children_cpu(), time.perf_counter()
                    done = subprocess.run(command, cwd=empty, env=env, capture_output=True)
                    cpu, wall = children_cpu() - cpu, time.perf_counter() - wall
                    if done.returncode not in (0, 5):  # 5: no tests collected
                        raise SystemExit(f"{command} failed: {done.stderr.decode()}")
                    if rep:
                        old_cpu, old_wall = best.get((plugin, label), (cpu, wall))
                        best[plugin, label] = (min(old_cpu, cpu), min(old_wall, wall))
        if os.listdir(prefix):
            raise SystemExit(f"bytecode was written to {prefix} despite PYTHONDONTWRITEBYTECODE")
    return best


#: The test files of the session comparison: one test per run, the same program and check.
SESSION_TESTS: Final = {
    "bare runpy": (
        "import contextlib, io, runpy\n\n",
        "def test_{n}():\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        runpy.run_path('hello.py', run_name='__main__')\n"
        "    assert out.getvalue() == 'hello\\n'\n\n",
    ),
    "run_path fixture": (
        "",
        "def test_{n}(run_path):\n    assert run_path('hello.py').stdout == 'hello\\n'\n\n",
    ),
}


def pytest_session(settings: Settings, tests: int) -> dict[str, float]:
    """Wall seconds of a whole pytest session of *tests* tests, each running the hello script.

    By :data:`SESSION_TESTS` label, the minimum over the repetitions; the bare runpy session
    runs with ``-p no:runmain``, so the plugin's start counts against it.
    """
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "hello.py").write_text(HELLO)
        for label, (head, test) in SESSION_TESTS.items():
            body = "".join(test.format(n=n) for n in range(tests))
            Path(tmp, f"test_{label.split()[0]}.py").write_text(head + body)
        for _ in range(settings.repeat):
            for label in SESSION_TESTS:
                command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
                if label == "bare runpy":
                    command += ["-p", "no:runmain"]
                command.append(f"test_{label.split()[0]}.py")
                wall = time.perf_counter()
                done = subprocess.run(command, cwd=tmp, capture_output=True, text=True)
                wall = time.perf_counter() - wall
                if done.returncode != 0 or f"{tests} passed" not in done.stdout:
                    raise SystemExit(f"{command} failed:\n{done.stdout}{done.stderr}")
                best[label] = min(best.get(label, wall), wall)
    return best


def session_report(tests: int, wall: dict[str, float]) -> str:
    bare = wall["bare runpy"]
    rows = [["session", "wall ms", "ratio"]]
    rows += [
        [label, f"{seconds * 1000:,.0f}", f"{seconds / bare:.2f}x"]
        for label, seconds in wall.items()
    ]
    return (
        f"A pytest session of {tests} tests, each running the one-line script and checking its "
        "output (`python -m pytest -q`, wall-clock time, the plugin's start included):\n\n"
        + table(rows)
    )


# --- the tables ---------------------------------------------------------------------------------


def version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def micros(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def table(rows: list[list[str]]) -> str:
    head, *body = rows
    lines = [head, ["---"] * len(head), *body]
    return "\n".join("| " + " | ".join(row) + " |" for row in lines)


def cost_report(results: list[tuple[Program, list[Cell]]]) -> str:
    notes: list[str] = []
    rows = [["program", *(name for name, _, _ in COLUMNS)]]
    for program, cells in results:
        bare = cells[0].seconds
        row = [program.title]
        for cell in cells:
            if cell.seconds is None:
                if cell.note not in notes:
                    notes.append(cell.note)
                row.append(f"{cell.mark} ({notes.index(cell.note) + 1})")
            elif cell is cells[0] or bare is None:
                row.append(micros(cell.seconds))
            else:
                row.append(f"{micros(cell.seconds)} ({cell.seconds / bare:.1f}x)")
        rows.append(row)
    numbered = [f"{number}. {text}" for number, text in enumerate(notes, 1)]
    return "\n\n".join(
        [
            "CPU µs per run (this process and its children); in brackets, the ratio to bare runpy.",
            table(rows),
            "\n".join(numbered),
        ]
    )


def scaling_report(scaling: list[Scaling]) -> str:
    rows = [["extra state", "without", "with", "ratio"]]
    for row in scaling:
        if row.note:
            rows.append([row.label, "n/a", "n/a", row.note])
        else:
            ratio = f"{row.with_ / row.without:.2f}x"
            rows.append([row.label, micros(row.without), micros(row.with_), ratio])
    title = f"Scaling: the default run of the {PROGRAMS[0].title}, CPU µs per run."
    return f"{title}\n\n{table(rows)}"


def import_report(
    plugin: tuple[float, float, int], start: dict[tuple[bool, str], tuple[float, float]]
) -> str:
    own_ms, whole_ms, modules = plugin
    rows = [["", "CPU `-p no:runmain`", "CPU with the plugin", "ratio", "wall `-p no:runmain`"]]
    rows[0] += ["wall with the plugin", "ratio"]
    for label, _, _ in START_CASES:
        row = [label]
        for measure in (0, 1):
            off, on = start[False, label][measure], start[True, label][measure]
            row += [f"{off * 1000:.0f}", f"{on * 1000:.0f}", f"{on / off:.2f}x"]
        rows.append(row)
    return "\n\n".join(
        [
            f'`python -X importtime -c "import pytest_runmain.plugin"`: {own_ms:.1f} ms in '
            f"pytest_runmain's {modules} modules themselves, {whole_ms:.1f} ms for the whole "
            "import (pytest included).",
            "pytest's start, `python -m pytest --co -q` in an empty directory: ms of CPU (the "
            "child's) and of wall-clock time.",
            table(rows),
        ]
    )


#: Variables that change how the programs, the interpreter or pytest run: unset for the
#: measurements unless given with ``--env`` (PYTHONUNBUFFERED=1 makes each write a system call).
NEUTRAL_ENV: Final = (
    "PYTHONDEVMODE",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONIOENCODING",
    "PYTHONMALLOC",
    "PYTHONPROFILEIMPORTTIME",
    "PYTHONPYCACHEPREFIX",
    "PYTHONSAFEPATH",
    "PYTHONTRACEMALLOC",
    "PYTHONUNBUFFERED",
    "PYTHONUTF8",
    "PYTHONWARNINGS",
    "PYTEST_ADDOPTS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "PYTEST_PLUGINS",
)


def measured_environ(assignments: list[str]) -> dict[str, str]:
    """``os.environ`` without :data:`NEUTRAL_ENV`, with the ``--env NAME=VALUE`` assignments."""
    env = {k: v for k, v in os.environ.items() if k not in NEUTRAL_ENV}
    for assignment in assignments:
        name, equals, value = assignment.partition("=")
        if not name or not equals:
            raise SystemExit(f"--env takes NAME=VALUE, got {assignment!r}")
        env[name] = value
    return env


def header(settings: Settings, quick: bool) -> str:
    python = f"Python {platform.python_version()} ({platform.python_implementation()})"
    versions = ", ".join(
        f"{name} {version(name)}"
        for name in ("pytest-runmain", "pytest", "pytest-console-scripts", "click")
    )
    mode = "quick mode, " if quick else ""
    set_here = [f"{name}={os.environ[name]}" for name in NEUTRAL_ENV if name in os.environ]
    variables = ", ".join(set_here) if set_here else "none"
    return (
        f"{python} on {platform.platform()}\n\n{versions}; {mode}min of {settings.repeat}; "
        f"variables that change a run (PYTHONUNBUFFERED...): {variables}."
    )


def measure_programs(settings: Settings, quick: bool) -> tuple[str, str, list[str]]:
    """The cost and scaling reports, and the failures of required columns.

    The programs are written to a temporary work directory.
    """
    outer_cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp).resolve()
        write_programs(workdir)
        # Every program runs from the work directory, the -m ones found there as by `python -m`.
        os.chdir(workdir)
        try:
            results = []
            for program in PROGRAMS:
                print(f"measuring: {program.title}", file=sys.stderr, flush=True)
                results.append((program, measure_row(program, workdir, settings)))
            print("measuring: scaling", file=sys.stderr, flush=True)
            scaling = measure_scaling(workdir, settings, quick)
        finally:
            os.chdir(outer_cwd)
    failures = [
        f"{program.title}, {name}: {cell.note}"
        for program, cells in results
        for (name, _, required), cell in zip(COLUMNS, cells, strict=True)
        if required and cell.mark == "fails"
    ]
    return cost_report(results), scaling_report(scaling), failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="One repetition of short batches, small loads (CI)"
    )
    parser.add_argument("--repeat", type=int, help="Repetitions, the minimum is kept (default 5)")
    parser.add_argument(
        "--target", type=float, help="CPU seconds of one batch of runs (default 0.2)"
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Set a variable for every measurement (PYTHONUNBUFFERED and the like are unset)",
    )
    options = parser.parse_args()
    env = measured_environ(options.env)
    if env != os.environ:
        # Again in that environment, so that this interpreter's own flags match it too.
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)
    settings = Settings(
        repeat=options.repeat or (1 if options.quick else 5),
        target=options.target or (0.005 if options.quick else 0.2),
        max_runs=20 if options.quick else 2000,
    )
    started = time.perf_counter()
    costs, scaling, failures = measure_programs(settings, options.quick)
    print("measuring: import time", file=sys.stderr, flush=True)
    imports = import_report(plugin_import(settings), pytest_start(settings))
    print("measuring: pytest sessions", file=sys.stderr, flush=True)
    tests = 50 if options.quick else 500
    sessions = session_report(tests, pytest_session(settings, tests))
    print("\n\n".join([header(settings, options.quick), costs, scaling, imports, sessions]))
    print(f"(measured in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
    if failures:
        raise SystemExit(
            "programs that did not run as in the real interpreter:\n" + "\n".join(failures)
        )


if __name__ == "__main__":
    main()
