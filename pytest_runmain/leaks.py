"""Leaks: interpreter state a run left behind, what they do, and the same check for any block.

After a run pytest-runmain puts every piece of state it watches back and compares it with the
state before the run. What it could not put back (a thread still running, a file descriptor
left open, a handler installed from C) is a *leak*: by default it fails the test with a
:class:`StateLeakError`; with ``isolation="warn"`` it is a :class:`RunmainLeakWarning`; with
``isolation="off"`` it is only recorded in the result. :func:`judge_leaks` is that policy,
right after a run and after the test alike.

:func:`state_unchanged` checks the same state around a block of the user's own code.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, final

import pytest

from pytest_runmain._options import IsolationMode
from pytest_runmain._state import StateLeak, StateSnapshot
from pytest_runmain._state_items import check_items

if TYPE_CHECKING:
    from pytest_runmain.result import RunResult

__all__ = [
    "IsolationMode",
    "LeakJudgement",
    "RunmainLeakWarning",
    "StateChangedError",
    "StateLeakError",
    "describe_leaks",
    "judge_leaks",
    "leak_warning",
    "state_unchanged",
]

_LEAK_HINT = (
    "Join the threads and close the files the program opens before it ends, or choose "
    "isolation='warn' (or 'off') in the runmain marker, the call or the runmain_isolation "
    "option to accept it."
)


def describe_leaks(leaks: Sequence[StateLeak]) -> str:
    return "\n".join(str(leak) for leak in leaks)


def leak_warning(command: str, leaks: Sequence[StateLeak]) -> RunmainLeakWarning:
    return RunmainLeakWarning(f"{command} left interpreter state behind:\n{describe_leaks(leaks)}")


class StateLeakError(AssertionError):
    """A run left interpreter state behind that could not be put back."""

    def __init__(
        self, command: str, leaks: Sequence[StateLeak], result: RunResult | None = None
    ) -> None:
        super().__init__(
            f"{command} left interpreter state behind that could not be put back:\n"
            f"{describe_leaks(leaks)}\n{_LEAK_HINT}"
        )
        #: What leaked.
        self.leaks = list(leaks)
        #: The run that leaked, when the leak was found right after it (not after the test).
        self.result = result


class RunmainLeakWarning(pytest.PytestWarning):
    """A run left interpreter state behind, with ``isolation="warn"``."""


class StateChangedError(AssertionError):
    """The interpreter state differs after a block checked by :func:`state_unchanged`."""

    def __init__(self, differences: Sequence[StateLeak]) -> None:
        super().__init__(
            "interpreter state changed inside the block:\n" + describe_leaks(differences)
        )
        #: What differs, state by state.
        self.differences = list(differences)


#: One run's leaks for the policy: its command, its ``isolation`` setting, what leaked.
RunLeaks = tuple[str, IsolationMode, Sequence[StateLeak]]


@final
@dataclass(frozen=True)
class LeakJudgement:
    """What the ``isolation`` policy makes of runs' leaks: which count now, which wait.

    :func:`judge_leaks` decides and :meth:`enforce` acts, apart so that a caller can record
    both lists before a failure is raised: the runner keeps the deferred leaks for after the
    test and the others for the test's report, whatever the run raises.
    """

    #: The leaks that count now, by run: they fail ("fail") or warn ("warn").
    now: list[tuple[str, IsolationMode, list[StateLeak]]]
    #: The deferred leaks, by run: to check again once the programs' objects are released.
    deferred: list[tuple[str, IsolationMode, list[StateLeak]]]

    def enforce(self, result: RunResult | None = None, *, stacklevel: int = 1) -> None:
        """Warn for each run with "warn", then fail for those with "fail" in one error.

        The error names the first failing run and lists the leaks of all; its ``result`` is
        *result*, the run when one run is judged right after it. *stacklevel* is that of the
        warnings, counted from the caller.
        """
        __tracebackhide__ = True
        for command, isolation, leaks in self.now:
            if isolation == "warn":
                warnings.warn(leak_warning(command, leaks), stacklevel=stacklevel + 1)
        failing = [
            (command, leaks) for command, isolation, leaks in self.now if isolation == "fail"
        ]
        if failing:
            command, _ = failing[0]
            raise StateLeakError(command, [leak for _, leaks in failing for leak in leaks], result)


def judge_leaks(runs: Iterable[RunLeaks]) -> LeakJudgement:
    """The ``isolation`` policy, for leaks found right after a run or after the test.

    With "off" a run's leaks are only recorded (in its result). Otherwise a deferred leak (a
    file descriptor the program's objects may still hold) waits for the test's end; the others
    count now: with "fail" they fail, with "warn" they warn.
    """
    now: list[tuple[str, IsolationMode, list[StateLeak]]] = []
    deferred: list[tuple[str, IsolationMode, list[StateLeak]]] = []
    for command, isolation, leaks in runs:
        if isolation == "off":
            continue
        immediate = [leak for leak in leaks if not leak.deferred]
        later = [leak for leak in leaks if leak.deferred]
        if immediate:
            now.append((command, isolation, immediate))
        if later:
            deferred.append((command, isolation, later))
    return LeakJudgement(now, deferred)


@contextlib.contextmanager
def state_unchanged() -> Iterator[None]:
    """Assert that the block leaves the interpreter state as it found it.

    The state the runs are checked for, but the import machinery's: the rows of the table
    of state in :doc:`/isolation` that say "checked" for ``state_unchanged``. In
    ``sys.modules`` only entries replaced or removed count; new imports are allowed. Nothing
    is restored: on a difference the block's changes stay and :class:`StateChangedError` says
    what they are.
    """
    __tracebackhide__ = True
    snapshot = StateSnapshot(check_items())
    yield
    differences = snapshot.differences()
    if differences:
        raise StateChangedError(differences)
