"""The pytest11 entry point of pytest-runmain: options, the ``runmain`` marker, fixtures, reports.

Configuration comes in layers, lowest precedence first: ini options, command-line options,
``runmain`` markers on the module, the class and the function, and the arguments of the call
(see :mod:`pytest_runmain._options`). The ini and command-line layers are read and checked once
at configure time; markers are checked at collection time, so a typo fails the session at once.

The targets glue (last section) wires :mod:`pytest_runmain.targets` in: the ``runmain_targets``
ini option, read and checked at session start, parametrizes the tests that use the
``runmain_target`` fixture over the forms it declares; ``run_main`` runs a target.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_runmain import hookspec
from pytest_runmain._options import (
    NOT_SET,
    OPTIONS,
    OptionError,
    RunOption,
    RunOptions,
    Setting,
    Unpack,
    check_args,
    check_option,
    setting_value,
)

if TYPE_CHECKING:
    # The machinery is imported at the first run, not with the plugin: a session without runs
    # (or pytest's start) does not pay for it.
    from pytest_runmain.result import RunResult
    from pytest_runmain.runner import RunConsoleScript, RunModule, Runner, RunPath, StrPath
    from pytest_runmain.targets import RunMain, Target, TargetBuilder

__all__ = [
    "pytest_addhooks",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_generate_tests",
    "pytest_make_parametrize_id",
    "pytest_runtest_makereport",
    "pytest_sessionstart",
    "run_console_script",
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
    "runmain(*args, **options): the program arguments and run options "
    f"({', '.join(option.name for option in OPTIONS)}) of the run_module, run_path, "
    "run_console_script and run_main calls of this test; the call's own arguments win"
)
#: How many of a failing test's runs its report shows, newest last.
_REPORTED_RUNS: Final = 5
_REPORTED_LINES: Final = 50

_config_layers_key = pytest.StashKey[list[dict[str, Any]]]()
_runner_key: pytest.StashKey[Runner] = pytest.StashKey()
_call_failed_key = pytest.StashKey[bool]()
_deferred_leaks_key = pytest.StashKey[list[list[str]]]()
#: The attribute of a test report that carries its runs' leaks (serialisable, for xdist).
_REPORT_LEAKS: Final = "runmain_leaks"


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspec)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runmain", "pytest-runmain: run __main__ entry points in-process")
    for option in OPTIONS:
        if option.setting is not None:
            group.addoption(
                option.flag, help=_flag_help(option), **_FLAG_ARGUMENTS[option.setting](option)
            )
            parser.addini(option.ini_name, help=_ini_help(option), **_INI_ARGUMENTS[option.setting])
    _add_targets_ini(parser)


#: How each kind of setting is declared on the command line and in the ini file.
_FLAG_ARGUMENTS: Final[Mapping[Setting, Callable[[RunOption], dict[str, Any]]]] = {
    "env": lambda o: {"action": "append", "default": [], "metavar": o.metavar},
    "dir": lambda o: {"metavar": o.metavar},
    "flag": lambda o: {"action": "store_true", "default": None},
    "int": lambda o: {"type": int, "metavar": o.metavar},
    "float": lambda o: {"type": float, "metavar": o.metavar},
    "choice": lambda o: {"choices": o.choices},
    "patterns": lambda o: {"action": "append", "default": [], "metavar": o.metavar},
}
_INI_ARGUMENTS: Final[Mapping[Setting, dict[str, Any]]] = {
    "env": {"type": "linelist", "default": []},
    "dir": {"default": ""},
    "flag": {"type": "bool", "default": False},
    "int": {"default": ""},
    "float": {"default": ""},
    "choice": {"default": ""},
    "patterns": {"type": "linelist", "default": []},
}


def _flag_help(option: RunOption) -> str:
    if option.setting == "env":
        return f"{option.help}, one NAME=VALUE each time (repeatable; NAME= sets it empty)"
    if option.setting == "patterns":
        return f"{option.help} (repeatable)"
    if option.setting == "dir":
        return f"{option.help}, relative to the invocation directory"
    return option.help


def _ini_help(option: RunOption) -> str:
    if option.setting == "env":
        return f"{option.help}, one NAME=VALUE per line"
    if option.setting == "patterns":
        return f"{option.help}, one per line"
    if option.setting == "dir":
        return f"{option.help}, relative to the rootdir"
    return option.help


def _config_layers(config: pytest.Config) -> list[dict[str, Any]]:
    """The ini layer and the command-line layer, each with only the options it sets."""
    ini: dict[str, Any] = {}
    cli: dict[str, Any] = {}
    try:
        for option in OPTIONS:
            if option.setting is None:
                continue
            raw = config.getini(option.ini_name)
            value = setting_value(option, raw, config.rootpath, option.ini_name)
            if value is not NOT_SET:
                ini[option.name] = check_option(option.name, value, "ini option")
            raw = getattr(config.option, option.dest)
            value = setting_value(option, raw, config.invocation_params.dir, option.flag)
            if value is not NOT_SET:
                cli[option.name] = check_option(option.name, value, "command-line option")
    except OptionError as exc:
        raise pytest.UsageError(str(exc)) from None
    return [ini, cli]


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
def runmain_runner(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Generator[Runner, None, None]:
    """The :class:`~pytest_runmain.Runner` behind ``run_module`` and ``run_path``.

    Configured for this test: ini and command-line options, then its ``runmain`` markers. The
    session's temporary directories (``tmp_path`` and its siblings) are the test's own: there,
    ``mode="both"`` runs both ways from the same files. After the test, its results are
    released, the programs' globals cleared (:meth:`~pytest_runmain.Runner.release`), and the
    file descriptors its programs left open are checked again: those still open are leaks.
    """
    item = request.node
    layers = [*request.config.stash[_config_layers_key], *_marker_layers(item)]
    runner = item_runner(item, layers, lambda: [tmp_path_factory.getbasetemp()])
    yield runner
    if item.stash.get(_call_failed_key, False):
        runner.release()
        return  # the failure's traceback may keep objects of the programs, and their files, alive
    release_runner(item, runner)


def item_runner(
    item: pytest.Item,
    layers: list[dict[str, Any]],
    own_directories: Callable[[], Iterable[StrPath]] | None = None,
) -> Runner:
    """A :class:`Runner` for *item*'s runs: the hooks see *item*, its report shows the runs.

    *own_directories* gives the directories that are *item*'s own (temporary): a ``mode="both"``
    run there is made twice from the same files.
    """
    from pytest_runmain.runner import Runner

    hook = item.config.hook
    runner = Runner(
        layers,
        before_run=lambda run: hook.pytest_runmain_before_run(request=run, item=item),
        after_run=lambda result: hook.pytest_runmain_after_run(result=result, item=item),
        passthrough=_PYTEST_OUTCOMES,
        compare=lambda comparison: hook.pytest_runmain_compare(comparison=comparison, item=item),
        own_directories=own_directories,
    )
    item.stash[_runner_key] = runner
    return runner


def release_runner(item: pytest.Item, runner: Runner) -> None:
    """Release *item*'s results, then judge the leaks they were holding (open files).

    Once the results, and the programs' globals with them, are released, a file descriptor a
    program's objects kept open is closed, unless something else still holds it: those still
    open are leaks, listed in the item's report and judged by the isolation policy.
    """
    from pytest_runmain.leaks import judge_leaks

    with warnings.catch_warnings():
        # Releasing a program's open files warns; its interpreter would have exited silently.
        warnings.simplefilter("ignore", ResourceWarning)
        runner.release()
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


@pytest.fixture
def run_console_script(runmain_runner: Runner) -> RunConsoleScript:
    """Run an installed console script as its launcher does, in-process.

    ``run_console_script("tool", "--flag")`` for the ``console_scripts`` (or ``gui_scripts``)
    entry point ``tool`` of an installed distribution, or ``run_console_script("pkg.cli:main",
    ...)`` for an entry-point value, which needs nothing installed. Returns a
    :class:`~pytest_runmain.RunResult`, with the function's ``return_value``.
    """
    return runmain_runner.run_console_script


@pytest.fixture(name="state_unchanged")
def state_unchanged_fixture() -> Callable[[], AbstractContextManager[None]]:
    """``with state_unchanged(): ...`` fails when the block changes the interpreter state.

    The same checks as after each run (``sys.path``, ``os.environ``, cwd, logging, threads,
    file descriptors...), with the same diff; see :func:`pytest_runmain.state_unchanged`.
    """
    from pytest_runmain.leaks import state_unchanged

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


# --- targets: ini option, parametrization, fixtures -----------------------------------------------

INI_OPTION: Final = "runmain_targets"
TARGET_FIXTURE: Final = "runmain_target"
_declared_key: pytest.StashKey[list[Target]] = pytest.StashKey()


def _add_targets_ini(parser: pytest.Parser) -> None:
    """Register the ``runmain_targets`` ini option (called by :func:`pytest_addoption`)."""
    parser.addini(
        INI_OPTION,
        type="linelist",
        default=[],
        help="Forms the tests using the runmain_target fixture run over, one FORM:NAME per "
        "line (module:pkg, zipapp:pkg, script:PATH, console-script:NAME, ...; paths relative to "
        "the rootdir)",
    )


def parse_targets(lines: Iterable[str], where: str = INI_OPTION) -> list[Target]:
    """The targets spelled in *lines*; a bad or repeated line is a :class:`pytest.UsageError`."""
    targets: list[Target] = []
    for number, line in enumerate(lines, start=1):
        from pytest_runmain.targets import Target  # only where targets are declared

        try:
            target = Target.parse(line)
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"{where}: line {number}, {line!r}: {exc}") from None
        if target in targets:
            raise pytest.UsageError(f"{where}: line {number}, {line!r}: {target} is listed twice")
        targets.append(target)
    return targets


def declared_targets(config: pytest.Config) -> list[Target]:
    """The targets of the ``runmain_targets`` ini option, read once per session."""
    targets = config.stash.get(_declared_key, None)
    if targets is None:
        targets = parse_targets(config.getini(INI_OPTION))
        config.stash[_declared_key] = targets
    return targets


def pytest_sessionstart(session: pytest.Session) -> None:
    """Check the ``runmain_targets`` ini option before collecting: a bad line stops pytest."""
    declared_targets(session.config)


def _parametrizes(mark: pytest.Mark, name: str) -> bool:
    argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
    if isinstance(argnames, str):
        argnames = [part.strip() for part in argnames.split(",")]
    return name in argnames


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses ``runmain_target`` once per target of ``runmain_targets``.

    A test that parametrizes ``runmain_target`` itself keeps its own parameters.
    """
    if TARGET_FIXTURE not in metafunc.fixturenames:
        return
    marks = metafunc.definition.iter_markers("parametrize")
    if any(_parametrizes(mark, TARGET_FIXTURE) for mark in marks):
        return
    targets = declared_targets(metafunc.config)
    if targets:
        ids = [target.id for target in targets]
        metafunc.parametrize(TARGET_FIXTURE, targets, indirect=True, ids=ids)


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Test ids of parameters that are targets: ``test_version[zipapp-greeter]``."""
    targets = sys.modules.get("pytest_runmain.targets")  # no Target exists before it is imported
    return val.id if targets is not None and isinstance(val, targets.Target) else None


@pytest.fixture(scope="session")
def runmain_targets(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> TargetBuilder:
    """The session's :class:`~pytest_runmain.targets.TargetBuilder`: builds each target once.

    Builds go to a directory of the session's temporary directory (one per pytest-xdist
    worker); relative target paths are taken from the rootdir.
    """
    from pytest_runmain.targets import TargetBuilder

    return TargetBuilder(tmp_path_factory.mktemp("runmain-targets"), root=pytestconfig.rootpath)


@pytest.fixture
def run_main(runmain_runner: Runner, runmain_targets: TargetBuilder) -> RunMain:
    """Run a :class:`~pytest_runmain.Target` in-process and return its ``RunResult``.

    ``run_main(Target.zipapp("pkg"), "--flag", env={...})``: the program's arguments and the
    keyword options of ``run_module`` / ``run_path``, configured the same way (markers, ini
    and command-line options). Built targets are built at their first use in the session.
    """

    def run(target: Target, /, *args: StrPath, **options: Unpack[RunOptions]) -> RunResult:
        __tracebackhide__ = True
        return runmain_targets.run(runmain_runner, target, *args, **options)

    return run


@pytest.fixture
def runmain_target(request: pytest.FixtureRequest) -> Target:
    """One target of the ``runmain_targets`` ini option: the test runs once per target.

    Also accepts ``@pytest.mark.parametrize("runmain_target", [...], indirect=True)`` with
    targets or their ``FORM:SOURCE`` spellings.
    """
    from pytest_runmain.targets import Target

    param: object = getattr(request, "param", None)
    if isinstance(param, Target):
        return param
    if isinstance(param, str):
        try:
            return Target.parse(param)
        except ValueError as exc:
            pytest.fail(f"{request.node.nodeid}: runmain_target {param!r}: {exc}", pytrace=False)
    if param is None:
        pytest.fail(
            f"{request.node.nodeid} uses the {TARGET_FIXTURE} fixture, but the {INI_OPTION} ini "
            "option declares no target: list the forms to run there, one per line "
            "(module:pkg, zipapp:pkg, script:scripts/tool.py, ...)",
            pytrace=False,
        )
    pytest.fail(
        f"{request.node.nodeid}: runmain_target must be a Target or a FORM:SOURCE string, "
        f"not {type(param).__name__}: {param!r}",
        pytrace=False,
    )


# --- transcripts ---------------------------------------------------------------------------------

#: The console transcripts of Markdown files (``runmain_transcripts``, ``--runmain-update``) are
#: a plugin of their own, registered with this one.
pytest_plugins = ["pytest_runmain.transcript_plugin"]
