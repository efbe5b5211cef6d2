"""The pytest glue of console transcripts: Markdown files whose ``console`` blocks are tests.

The ``runmain_transcripts`` ini option lists the files (globs relative to the rootdir); like
doctest's text files, a listed file is collected when pytest's collection reaches it, so it
must be under a path pytest collects (``testpaths`` or the command line's arguments). Each
``console`` block becomes one :class:`TranscriptItem`, whose commands run in order through a
:class:`~pytest_runmain.Runner` configured like the fixtures' (ini and command-line options,
the ``pytest_runmain_*`` hooks), in the block's working directory (``runmain_transcript_cwd``).

With ``--runmain-update``, a command whose output differs is not a failure: the new expected
lines travel with the test report (from pytest-xdist workers too) to the controlling process,
which rewrites each file once, at the end of the session, and lists them in the summary.
The library part, without pytest, is :mod:`pytest_runmain.transcripts`.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pytest

from pytest_runmain.plugin import _config_layers_key, item_runner, release_runner
from pytest_runmain.transcripts import (
    Block,
    Command,
    TranscriptError,
    Update,
    command_update,
    output_lines,
    parse,
    rewrite,
    updated_lines,
)

if TYPE_CHECKING:
    # The run machinery is imported at the first command, not with the plugin.
    from pytest_runmain.result import RunResult
    from pytest_runmain.runner import Runner

__all__ = [
    "TranscriptFile",
    "TranscriptItem",
    "TranscriptMismatch",
    "TranscriptUpdater",
    "pytest_addoption",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_runtest_makereport",
]

TRANSCRIPTS_INI: Final = "runmain_transcripts"
CWD_INI: Final = "runmain_transcript_cwd"
UPDATE_FLAG: Final = "--runmain-update"
#: Where a block's commands run: a new temporary directory, the rootdir, the file's directory.
CWD_CHOICES: Final = ("tmp", "rootdir", "file")
#: The attribute of a test report that carries a block's updates (serialisable, for xdist).
_REPORT_UPDATES: Final = "runmain_transcript_updates"

_paths_key = pytest.StashKey[frozenset[Path]]()
_cwd_key = pytest.StashKey[str]()
_updates_key = pytest.StashKey[list[tuple[Command, Update]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("runmain")
    group.addoption(
        UPDATE_FLAG,
        action="store_true",
        default=False,
        dest="runmain_update",
        help="Rewrite the expected output of the console transcripts that differ to what the "
        "programs printed, instead of failing",
    )
    parser.addini(
        TRANSCRIPTS_INI,
        type="linelist",
        default=[],
        help="Markdown files whose console blocks run as tests: glob patterns relative to the "
        "rootdir, one per line (the files must be under a collected path)",
    )
    parser.addini(
        CWD_INI,
        default="tmp",
        help="Working directory of console transcripts: tmp (a new temporary directory per "
        "block, the default), rootdir, or file (the Markdown file's directory)",
    )


def _transcript_paths(config: pytest.Config) -> frozenset[Path]:
    """The files the ``runmain_transcripts`` globs name, resolved."""
    paths: set[Path] = set()
    for pattern in config.getini(TRANSCRIPTS_INI):
        if Path(pattern).is_absolute():
            raise pytest.UsageError(
                f"{TRANSCRIPTS_INI}: {pattern!r} is absolute; give a glob relative to the rootdir"
            )
        paths.update(p.resolve() for p in config.rootpath.glob(pattern) if p.is_file())
    return frozenset(paths)


def pytest_configure(config: pytest.Config) -> None:
    cwd = config.getini(CWD_INI).strip() or "tmp"
    if cwd not in CWD_CHOICES:
        raise pytest.UsageError(f"{CWD_INI}: expected one of {', '.join(CWD_CHOICES)}, got {cwd!r}")
    config.stash[_cwd_key] = cwd
    config.stash[_paths_key] = _transcript_paths(config)
    if config.getoption("runmain_update") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(TranscriptUpdater(), "runmain-transcript-updater")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> TranscriptFile | None:
    if file_path.resolve() in parent.config.stash[_paths_key]:
        return TranscriptFile.from_parent(parent, path=file_path)
    return None


class TranscriptFile(pytest.File):
    """A Markdown file of ``runmain_transcripts``: one item per ``console`` block."""

    def collect(self) -> Iterator[TranscriptItem]:
        try:
            blocks = parse(self.path.read_text(encoding="utf-8"), self.nodeid)
        except TranscriptError as exc:
            raise self.CollectError(str(exc)) from None
        for block in blocks:
            cwd = self._block_cwd(block)
            if block.commands:
                yield TranscriptItem.from_parent(
                    self, name=f"console[{block.line}]", block=block, cwd=cwd
                )

    def _block_cwd(self, block: Block) -> Path | None:
        """The directory a block's ``cwd=DIR`` attribute names, relative to this file."""
        value = dict(block.attributes).get("cwd")
        if value is None:
            return None
        cwd = self.path.parent / value
        if not cwd.is_dir():
            raise self.CollectError(
                f"{self.nodeid}:{block.line}: cwd={value}: {str(cwd)!r} is not a directory "
                "(the path is relative to the Markdown file's directory)"
            )
        return cwd


class TranscriptMismatch(AssertionError):
    """A command printed other output, or ended with another status, than its block says."""

    def __init__(self, command: Command, result: RunResult) -> None:
        super().__init__(f"{command.text}: output or exit status differs")
        self.command = command
        self.result = result


class CommandError(Exception):
    """A command could not run as configured (an option, a leak, the modes disagreeing)."""

    def __init__(self, command: Command, error: Exception) -> None:
        super().__init__(str(error))
        self.command = command
        self.error = error


class TranscriptItem(pytest.Item):
    """One ``console`` block: its commands run in order, in one working directory."""

    def __init__(self, *, block: Block, cwd: Path | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.block = block
        self.block_cwd = cwd
        self.stash[_updates_key] = []

    def runtest(self) -> None:
        with self._directory() as cwd:
            # Only the block's own temporary directory has files that mode="both" may put back.
            temporary = self.block_cwd is None and self.config.stash[_cwd_key] == "tmp"
            runner = self._runner(cwd, temporary)
            for command in self.block.commands:
                self._run(runner, command)
            release_runner(self, runner)

    @contextmanager
    def _directory(self) -> Generator[str, None, None]:
        if self.block_cwd is not None:
            yield str(self.block_cwd)
            return
        choice = self.config.stash[_cwd_key]
        if choice == "rootdir":
            yield str(self.config.rootpath)
        elif choice == "file":
            yield str(self.path.parent)
        else:
            with tempfile.TemporaryDirectory(prefix="runmain-transcript-") as tmp:
                yield os.path.realpath(tmp)

    def _runner(self, cwd: str, temporary: bool) -> Runner:
        """A runner configured as the fixtures' (without markers), running in *cwd*."""
        layers = [*self.config.stash[_config_layers_key], {"cwd": cwd}]
        return item_runner(self, layers, (lambda: [cwd]) if temporary else None)

    def _run(self, runner: Runner, command: Command) -> None:
        from pytest_runmain import ModeMismatchError, OptionError, StateLeakError, TargetError

        request = command.request
        env: dict[str, str | None] = dict(request.env)
        run = {
            "module": runner.run_module,
            "path": runner.run_path,
            "console_script": runner.run_console_script,
        }[request.kind]
        try:
            result = run(request.target, *request.args, env=env)
        except (OptionError, TargetError, OSError, StateLeakError, ModeMismatchError) as exc:
            raise CommandError(command, exc) from exc
        update = command_update(command, self.block.indent, result.output, result.returncode)
        if update is None:
            return
        if not self.config.getoption("runmain_update"):
            raise TranscriptMismatch(command, result)
        self.stash[_updates_key].append((command, update))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        if isinstance(excinfo.value, TranscriptMismatch):
            return describe_mismatch(self.nodeid, excinfo.value.command, excinfo.value.result)
        if isinstance(excinfo.value, CommandError):
            command = excinfo.value.command
            where = f"{self.path_id}:{command.line}"
            return f"{where}: $ {command.text}\n{excinfo.value.error}"
        return super().repr_failure(excinfo, style=style)

    @property
    def path_id(self) -> str:
        """The file's part of the node id: its path relative to the rootdir."""
        return self.nodeid.split("::", 1)[0]

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.block.line - 1, self.name


def describe_mismatch(nodeid: str, command: Command, result: RunResult) -> str:
    """The failure report of a command: where, the command, the status, a diff of the output."""
    path = nodeid.split("::", 1)[0]
    lines = [f"{path}:{command.line}: $ {command.text}"]
    if result.returncode != command.status:
        lines.append(f"expected exit status {command.status}, got {result.returncode}")
    actual = updated_lines(command.expected, output_lines(result.output))
    diff = list(
        difflib.unified_diff(list(command.expected), actual, "expected", "actual", lineterm="", n=3)
    )
    if diff:
        lines.append("output differs (- expected, + actual):")
        lines += diff
    lines.append(f"Run pytest with {UPDATE_FLAG} to write the actual output into {path}.")
    return "\n".join(lines)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach the updates of a block to its report, for the process that writes the files."""
    report = yield
    updates = item.stash.get(_updates_key, None)
    if updates and call.when == "call" and report.passed:
        rows = [
            [str(item.path), command.line, command.text, u.start, u.end, u.old, u.new, u.indent]
            for command, u in updates
        ]
        setattr(report, _REPORT_UPDATES, rows)
    return report


class TranscriptUpdater:
    """Gathers the updates of the session's reports, writes each file once, and lists them."""

    def __init__(self) -> None:
        #: path -> [(command line, command text, update)]
        self.updates: dict[str, list[tuple[int, str, Update]]] = {}
        self.written: list[str] = []
        self.errors: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for row in getattr(report, _REPORT_UPDATES, None) or ():
            path, line, text, start, end, old, new, indent = row
            update = Update(start, end, tuple(old), tuple(new), indent)
            self.updates.setdefault(path, []).append((line, text, update))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for path, entries in sorted(self.updates.items()):
            try:
                write_updates(Path(path), [update for _, _, update in entries])
            except (OSError, TranscriptError) as exc:
                self.errors.append(f"{path}: not updated: {exc}")
            else:
                self.written.append(path)
        if self.errors:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.updates:
            return
        terminalreporter.section("runmain: updated transcripts", sep="=")
        root = terminalreporter.config.rootpath
        for path in self.written:
            shown = os.path.relpath(path, root)
            for line, text, _ in sorted(self.updates[path]):
                terminalreporter.write_line(f"{shown}:{line}: $ {text}")
        for error in self.errors:
            terminalreporter.write_line(error, red=True)


def write_updates(path: Path, updates: list[Update]) -> None:
    """Apply *updates* to the file at *path*, atomically: other bytes stay as they were."""
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    data = rewrite(text, updates).encode("utf-8", "surrogateescape")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
