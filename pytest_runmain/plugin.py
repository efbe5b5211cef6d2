"""The pytest11 entry point of pytest-runmain: options, the ``runmain`` marker, fixtures, reports.

Configuration comes in layers, lowest precedence first: ini options, command-line options,
``runmain`` markers on the module, the class and the function, and the arguments of the call
(see :mod:`pytest_runmain._options`). The ini and command-line layers are read and checked once
at configure time; markers are checked at collection time, so a typo fails the session at once.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Generator, Iterable
from contextlib import AbstractContextManager
from typing import Any, Final

import pytest

from pytest_runmain import hookspec, targets
from pytest_runmain._options import OptionError, check_args, check_option
from pytest_runmain.leaks import judge_leaks, state_unchanged
from pytest_runmain.runner import RunModule, Runner, RunPath
from pytest_runmain.targets import (
    pytest_generate_tests,
    pytest_make_parametrize_id,
    pytest_sessionstart,
    run_main,
    runmain_target,
    runmain_targets,
)

__all__ = [
    "pytest_addhooks",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_make_parametrize_id",
    "pytest_runtest_makereport",
    "pytest_sessionstart",
    "run_main",
    "run_module",
    "run_path",
    "runmain_runner",
    "runmain_target",
    "runmain_targets",
    "state_unchanged_fixture",
]

MARKER: Final = "runmain"
_MARKER_HELP: Final = (
    "runmain(*args, **options): the program arguments and run options (stdin, env, cwd, tty, "
    "columns, isolation, mode, timeout, capture) of the run_module/run_path calls of this "
    "test; the call's own arguments win"
)
#: How many of a failing test's runs its report shows, newest last.
_REPORTED_RUNS: Final = 5
_REPORTED_LINES: Final = 50

_config_layers_key = pytest.StashKey[list[dict[str, Any]]]()
_runner_key = pytest.StashKey[Runner]()
_call_failed_key = pytest.StashKey[bool]()
_deferred_leaks_key = pytest.StashKey[list[list[str]]]()
#: The attribute of a test report that carries its runs' leaks (serialisable, for xdist).
_REPORT_LEAKS: Final = "runmain_leaks"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspec)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runmain", "pytest-runmain: run __main__ entry points in-process")
    group.addoption(
        "--runmain-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Set an environment variable for every run (repeatable; NAME= sets it empty)",
    )
    group.addoption(
        "--runmain-cwd",
        metavar="DIR",
        help="Working directory of every run, relative to the invocation directory",
    )
    group.addoption(
        "--runmain-tty",
        action="store_true",
        default=None,
        help="Make the standard streams of every run say they are a terminal",
    )
    group.addoption(
        "--runmain-columns",
        type=int,
        metavar="N",
        help="Terminal width every run sees through COLUMNS and shutil.get_terminal_size",
    )
    group.addoption(
        "--runmain-isolation",
        choices=("fail", "warn", "off"),
        help="What state a run leaves behind (threads, open files) does: fail the test, warn, "
        "or only record it in the result (default: fail)",
    )
    parser.addini(
        "runmain_isolation",
        default="",
        help="What state a run leaves behind does: fail (default), warn or off",
    )
    group.addoption(
        "--runmain-mode",
        choices=("inprocess", "subprocess", "both"),
        help="Where every run happens: in this process (default), in a subprocess, or both "
        "ways compared",
    )
    parser.addini(
        "runmain_mode", default="", help="Where runs happen: inprocess (default), subprocess, both"
    )
    group.addoption(
        "--runmain-timeout",
        type=float,
        metavar="SECONDS",
        help="Stop every run after this many seconds",
    )
    parser.addini("runmain_timeout", default="", help="Stop every run after this many seconds")
    group.addoption(
        "--runmain-capture",
        choices=("sys", "fd"),
        help="Capture sys.stdout/sys.stderr (default) or also file descriptors 1 and 2 (fd)",
    )
    parser.addini(
        "runmain_capture", default="", help="What in-process runs capture: sys (default) or fd"
    )
    parser.addini(
        "runmain_env",
        type="linelist",
        default=[],
        help="Environment variables for every run, one NAME=VALUE per line",
    )
    parser.addini(
        "runmain_cwd", default="", help="Working directory of every run, relative to the rootdir"
    )
    parser.addini(
        "runmain_tty",
        type="bool",
        default=False,
        help="Make the standard streams of every run say they are a terminal",
    )
    parser.addini("runmain_columns", default="", help="Terminal width every run sees (COLUMNS)")
    targets.add_options(parser)


def _env_assignments(entries: Iterable[str], source: str) -> dict[str, str]:
    env = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name:
            raise pytest.UsageError(f"{source}: expected NAME=VALUE, got {entry!r}")
        env[name] = value
    return env


def _columns(value: str, source: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise pytest.UsageError(f"{source}: expected a positive int, got {value!r}") from None


def _config_layers(config: pytest.Config) -> list[dict[str, Any]]:
    """The ini layer and the command-line layer, each with only the options it sets."""
    ini: dict[str, Any] = {"env": _env_assignments(config.getini("runmain_env"), "runmain_env")}
    if config.getini("runmain_cwd"):
        ini["cwd"] = str(config.rootpath / config.getini("runmain_cwd"))
    if config.getini("runmain_tty"):
        ini["tty"] = True
    ini["columns"] = _columns(config.getini("runmain_columns"), "runmain_columns")
    for name in ("isolation", "mode", "capture"):
        if config.getini(f"runmain_{name}"):
            ini[name] = config.getini(f"runmain_{name}")
    ini_timeout = config.getini("runmain_timeout")
    if ini_timeout:
        try:
            ini["timeout"] = float(ini_timeout)
        except ValueError:
            raise pytest.UsageError(
                f"runmain_timeout: expected a number of seconds, got {ini_timeout!r}"
            ) from None
    option = config.option
    cli: dict[str, Any] = {"env": _env_assignments(option.runmain_env, "--runmain-env")}
    if option.runmain_cwd is not None:
        cli["cwd"] = str(config.invocation_params.dir / option.runmain_cwd)
    if option.runmain_tty:
        cli["tty"] = True
    if option.runmain_columns is not None:
        cli["columns"] = option.runmain_columns
    for name in ("isolation", "mode", "timeout", "capture"):
        value = getattr(option, f"runmain_{name}")
        if value is not None:
            cli[name] = value
    layers = []
    for source, layer in (("ini option", ini), ("command-line option", cli)):
        try:
            layers.append({k: check_option(k, v, source) for k, v in layer.items()})
        except OptionError as exc:
            raise pytest.UsageError(str(exc)) from None
    return layers


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", _MARKER_HELP)
    config.stash[_config_layers_key] = _config_layers(config)
    config.pluginmanager.register(LeakSummary(), "runmain-leak-summary")


def _marker_layers(item: pytest.Item) -> list[dict[str, Any]]:
    """The ``runmain`` markers of *item* as option layers, farthest (module) first.

    The marks of a ``pytest.param`` case come last, after the function's own markers: they
    are the most specific (pytest lists them after the function's).
    """
    callspec = getattr(item, "callspec", None)
    case_marks = [m for m in getattr(callspec, "marks", ()) if m.name == MARKER]
    markers = [m for m in item.iter_markers(MARKER) if m not in case_marks]
    layers = []
    for marker in [*reversed(markers), *case_marks]:
        where = f"@pytest.mark.{MARKER} of {item.nodeid}"
        layer = {name: check_option(name, value, where) for name, value in marker.kwargs.items()}
        layer["args"] = check_args(marker.args, where)
        layers.append(layer)
    return layers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            _marker_layers(item)
        except OptionError as exc:
            raise pytest.UsageError(str(exc)) from None


#: pytest's outcomes raised inside a run (pytest-timeout's failure, a skip): not the program's.
_PYTEST_OUTCOMES: Final = (pytest.fail.Exception, pytest.skip.Exception, pytest.exit.Exception)


@pytest.fixture
def runmain_runner(request: pytest.FixtureRequest) -> Generator[Runner, None, None]:
    """The :class:`~pytest_runmain.Runner` behind ``run_module`` and ``run_path``.

    Configured for this test: ini and command-line options, then its ``runmain`` markers.
    After the test, the file descriptors its programs left open are checked again, once the
    results (and the programs' globals with them) are released: those still open are leaks.
    """
    item = request.node
    hook = request.config.hook
    runner = Runner(
        [*request.config.stash[_config_layers_key], *_marker_layers(item)],
        before_run=lambda run: hook.pytest_runmain_before_run(request=run, item=item),
        after_run=lambda result: hook.pytest_runmain_after_run(result=result, item=item),
        passthrough=_PYTEST_OUTCOMES,
    )
    item.stash[_runner_key] = runner
    yield runner
    if item.stash.get(_call_failed_key, False):
        runner.results.clear()
        return  # the failure's traceback keeps the test's results, and their files, alive
    with warnings.catch_warnings():
        # Releasing a program's open files warns; its interpreter would have exited silently.
        warnings.simplefilter("ignore", ResourceWarning)
        runner.results.clear()
        remaining = runner.check_deferred_leaks()
    item.stash[_deferred_leaks_key] = [
        [command, str(leak)] for command, _, leaks in remaining for leak in leaks
    ]
    judge_leaks(remaining).enforce(stacklevel=1)


@pytest.fixture
def run_module(runmain_runner: Runner) -> RunModule:
    """Run ``python -m MOD ARGS`` in-process and return a :class:`~pytest_runmain.RunResult`.

    ``run_module("pkg", "--flag", stdin="text", env={"VAR": "1"}, cwd=tmp_path)``. Each call
    is an independent run; the interpreter state the program changes is put back after it.
    """
    return runmain_runner.run_module


@pytest.fixture
def run_path(runmain_runner: Runner) -> RunPath:
    """Run ``python PATH ARGS`` in-process: a script, a ``.pyc``, a directory or a zipapp.

    Returns a :class:`~pytest_runmain.RunResult`. A relative path is taken from the run's
    ``cwd``, as on the command line.
    """
    return runmain_runner.run_path


@pytest.fixture(name="state_unchanged")
def state_unchanged_fixture() -> Callable[[], AbstractContextManager[None]]:
    """``with state_unchanged(): ...`` fails when the block changes the interpreter state.

    The same checks as after each run (``sys.path``, ``os.environ``, cwd, logging, threads,
    file descriptors...), with the same diff; see :func:`pytest_runmain.state_unchanged`.
    """
    return state_unchanged


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Add the runs of a failed test to its report, as pytest adds captured output."""
    report = yield
    runner = item.stash.get(_runner_key, None)
    if runner is not None and call.when == "call":
        item.stash[_call_failed_key] = report.failed
        leaks = [[command, str(leak)] for command, leak in runner.reported_leaks]
        if leaks:
            setattr(report, _REPORT_LEAKS, leaks)
    if call.when == "teardown" and item.stash.get(_deferred_leaks_key, None):
        setattr(report, _REPORT_LEAKS, item.stash[_deferred_leaks_key])
    if runner is not None and report.failed and runner.results:
        results = runner.results
        shown = results[-_REPORTED_RUNS:]
        for number, result in enumerate(shown, start=len(results) - len(shown) + 1):
            title = f"runmain run {number} of {len(results)}: {result.command}"
            report.sections.append((title, result.describe(tail=_REPORTED_LINES)))
    return report


class LeakSummary:
    """Collects the leaks of every test (from xdist workers too) and lists them at the end."""

    def __init__(self) -> None:
        #: command -> [(test id, leak text)]
        self.leaks: dict[str, list[tuple[str, str]]] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for command, text in getattr(report, _REPORT_LEAKS, None) or ():
            self.leaks.setdefault(command, []).append((report.nodeid, text))

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.leaks:
            return
        terminalreporter.section("runmain: interpreter state left behind by runs", sep="=")
        for command, entries in sorted(self.leaks.items()):
            terminalreporter.write_line(f"{command}:")
            for nodeid, text in entries:
                terminalreporter.write_line(f"  in {nodeid}")
                for line in text.splitlines():
                    terminalreporter.write_line(f"    {line}")
