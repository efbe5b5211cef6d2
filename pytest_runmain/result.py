"""The result of a run: exit status, output, globals and uncaught exception.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, final

import pytest

from pytest_runmain._options import TargetKind, command_words
from pytest_runmain._state import StateChange, StateLeak

__all__ = ["RunFailed", "RunResult", "Stream"]

Stream = Literal["stdout", "stderr", "output"]
_STREAMS: Final = ("stdout", "stderr", "output")
_REPR_OUTPUT_CHARS: Final = 60
_TAIL_LINES: Final = 20


def _short(text: str) -> str:
    if len(text) <= _REPR_OUTPUT_CHARS:
        return repr(text)
    return f"{text[:_REPR_OUTPUT_CHARS]!r}... ({len(text)} chars)"


def _tail(name: str, text: str, count: int) -> str:
    lines = text.splitlines()
    if not lines:
        return f"{name}: (empty)"
    if len(lines) <= count:
        return f"{name}:\n" + "\n".join(f"    {line}" for line in lines)
    shown = "\n".join(f"    {line}" for line in lines[-count:])
    return f"{name} (last {count} of {len(lines)} lines):\n{shown}"


def _describe_exception(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:
        text = "<exception str() failed>"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class RunFailed(AssertionError):
    """A run did not end as expected; the message shows the run.

    Raised by the assertion helpers (:meth:`RunResult.assert_returncode`) and, with the
    ``check`` option, by a run that exits with a non-zero status. An ``AssertionError``, so
    pytest reports it as a test failure. Like :class:`subprocess.CalledProcessError`, it has the
    run's ``returncode``, ``stdout`` and ``stderr``.
    """

    def __init__(self, result: RunResult, expectation: str) -> None:
        super().__init__(f"{expectation}, got {result.returncode}\n{result.describe()}")
        #: The run that failed the expectation.
        self.result = result

    @property
    def returncode(self) -> int:
        """The run's exit status."""
        return self.result.returncode

    @property
    def stdout(self) -> str:
        """The run's standard output."""
        return self.result.stdout

    @property
    def stderr(self) -> str:
        """The run's standard error."""
        return self.result.stderr


@final
@dataclass(frozen=True, eq=False, repr=False)
class RunResult:
    """What one run of a program left: as a shell would see it, plus its globals.

    Text fields are the bytes decoded with the run's stdio encoding; bytes the program wrote
    that do not decode show as backslash escapes, so nothing is lost.
    """

    #: ``"module"`` for ``python -m``, ``"path"`` for ``python PATH``, ``"console_script"``
    #: for an installed script run by name or entry-point value.
    kind: TargetKind
    #: The module name, the path, or the console script's name or value, as given.
    target: str
    #: ``sys.argv`` as the program saw it when it started (``argv[0]`` as the real one).
    argv: list[str]
    #: The exit status a shell sees: ``sys.exit(256)`` gives 0, ``sys.exit(-1)`` 255,
    #: an uncaught exception 1, an uncaught ``KeyboardInterrupt`` 130 (128 + SIGINT).
    returncode: int
    #: Everything written to ``sys.stdout`` and its buffer.
    stdout_bytes: bytes
    #: Everything written to ``sys.stderr`` and its buffer, tracebacks included.
    stderr_bytes: bytes
    #: stdout and stderr interleaved in the order they were written, as ``2>&1`` shows.
    output_bytes: bytes
    #: The encoding of the run's standard streams.
    encoding: str
    #: The program's ``__main__`` namespace (None for a run in a subprocess, or with
    #: ``globals="drop"``); see :attr:`globals`.
    namespace: dict[str, Any] | None
    #: The exception that ended the program (``SystemExit`` included), or None; always None
    #: for a run in a subprocess.
    exception: BaseException | None
    #: Wall-clock seconds the run took, set-up and clean-up included.
    duration: float
    #: The absolute working directory of the run.
    cwd: str
    #: What the program changed in the interpreter's state, by name (``"os.environ"``,
    #: ``"sys.path"``, ``"cwd"``, ``"logging"``...), each saying whether it was put back.
    state_changes: Mapping[str, StateChange] = field(default_factory=dict)
    #: State the run left different that could not be put back: threads still running,
    #: file descriptors left open, C-level signal handlers.
    leaks: tuple[StateLeak, ...] = ()
    #: Modules the run imported that stay imported (libraries). The program's own modules
    #: are removed after each run, so the next run imports them afresh.
    new_modules: tuple[str, ...] = ()
    #: ``"inprocess"`` or ``"subprocess"``: where the program ran.
    mode: Literal["inprocess", "subprocess"] = "inprocess"
    #: Whether the run was stopped at its time limit (its returncode is then 137, as for a
    #: child killed with SIGKILL; the output until then is kept).
    timed_out: bool = False
    #: What a console script's function returned (the value its launcher gave ``sys.exit()``);
    #: None when it did not return (it raised or called ``sys.exit()`` itself), for module and
    #: path runs, and for a run in a subprocess.
    return_value: Any = None

    @property
    def globals(self) -> dict[str, Any]:
        """The program's ``__main__`` globals, kept even when the code raised.

        Only an in-process run that kept them has them: for a run in a subprocess, or one
        with ``globals="drop"``, this raises an :class:`AttributeError` that says so.
        """
        if self.namespace is None:
            if self.mode == "subprocess":
                why = "ran in a subprocess (mode='subprocess'); run it with mode='inprocess'"
            else:
                why = "dropped them at its end (globals='drop'); run it with globals='keep'"
            raise AttributeError(
                f"result.globals is not available: {self.command} {why} to inspect its globals"
            )
        return self.namespace

    def _decode(self, data: bytes) -> str:
        return data.decode(self.encoding, "backslashreplace")

    @property
    def stdout(self) -> str:
        """The standard output as text."""
        return self._decode(self.stdout_bytes)

    @property
    def stderr(self) -> str:
        """The standard error as text."""
        return self._decode(self.stderr_bytes)

    @property
    def output(self) -> str:
        """stdout and stderr interleaved in write order, as text."""
        return self._decode(self.output_bytes)

    @property
    def command(self) -> str:
        """The equivalent command line, for messages: ``python -m pkg --flag``, ``tool --flag``."""
        return shlex.join([*command_words(self.kind, self.target), *self.argv[1:]])

    def _text(self, stream: Stream) -> str:
        if stream not in _STREAMS:
            raise ValueError(f"stream must be one of {', '.join(_STREAMS)}, not {stream!r}")
        return getattr(self, stream)  # type: ignore[no-any-return]

    def lines(self, stream: Stream = "stdout") -> pytest.LineMatcher:
        """pytest's :class:`~pytest.LineMatcher` over the lines of *stream*.

        *stream* is ``"stdout"``, ``"stderr"`` or ``"output"`` (both, in write order).
        """
        return pytest.LineMatcher(self._text(stream).splitlines())

    def fnmatch_lines(self, lines: Sequence[str], *, stream: Stream = "stdout") -> None:
        """Assert that *stream* has lines matching the glob patterns *lines*, in order."""
        __tracebackhide__ = True
        self.lines(stream).fnmatch_lines(lines)

    def re_match_lines(self, lines: Sequence[str], *, stream: Stream = "stdout") -> None:
        """Assert that *stream* has lines matching the regular expressions *lines*, in order."""
        __tracebackhide__ = True
        self.lines(stream).re_match_lines(lines)

    def no_fnmatch_line(self, pattern: str, *, stream: Stream = "stdout") -> None:
        """Assert that no line of *stream* matches the glob *pattern*."""
        __tracebackhide__ = True
        self.lines(stream).no_fnmatch_line(pattern)

    def no_re_match_line(self, pattern: str, *, stream: Stream = "stdout") -> None:
        """Assert that no line of *stream* matches the regular expression *pattern*."""
        __tracebackhide__ = True
        self.lines(stream).no_re_match_line(pattern)

    def assert_returncode(self, expected: int) -> None:
        """Assert the exit status; on failure show the command, the status and the output tail."""
        __tracebackhide__ = True
        if self.returncode != expected:
            raise RunFailed(self, f"expected exit status {expected}")

    def assert_success(self) -> None:
        """Assert the program exited with status 0 (see :meth:`assert_returncode`)."""
        __tracebackhide__ = True
        self.assert_returncode(0)

    def describe(self, tail: int = _TAIL_LINES) -> str:
        """A report of the run: command, directory, exit status, exception, output tails."""
        parts = [
            f"command: {self.command}",
            f"cwd: {self.cwd}",
            f"argv: {self.argv!r}",
            f"exit status: {self.returncode}",
        ]
        if self.mode != "inprocess":
            parts.insert(0, f"mode: {self.mode}")
        if self.timed_out:
            parts.append("timed out: stopped at its time limit")
        if self.exception is not None and not isinstance(self.exception, SystemExit):
            parts.append(f"uncaught: {_describe_exception(self.exception)}")
        for stream in ("stdout", "stderr"):
            parts.append(_tail(stream, self._text(stream), tail))
        return "\n".join(parts)

    def __repr__(self) -> str:
        return (
            f"<RunResult {self.command!r} returncode={self.returncode} "
            f"stdout={_short(self.stdout)} stderr={_short(self.stderr)}>"
        )
