"""Both ways at once: a run in-process and the same run in a subprocess, compared.

With ``mode="both"`` every call runs twice, as ``sys.executable -m MOD`` / ``sys.executable
PATH`` and in-process. The exit status, stdout and stderr must be equal, and so must the files
each run left in its working directory when that is one of the test's temporary directories
(both runs start from the same files, see :mod:`pytest_runmain._workdir`); otherwise the test
fails with :class:`ModeMismatchError`. The in-process result (which has the globals) is what
the test gets. It is the proof that the in-process result is the real one.

Output that no two processes can share, object addresses (``<function f at 0x7f...>``), is
compared after normalising: each match of :data:`ADDRESSES`, and of the patterns of the
``normalize`` option, is replaced by ``...``. A :class:`ModeComparison` holds the two results,
the patterns and the files; the ``pytest_runmain_compare`` hook may judge it differently.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, final

import pytest

from pytest_runmain._workdir import Entry, Tree, tree_differences

if TYPE_CHECKING:
    from pytest_runmain.result import RunResult

__all__ = [
    "ADDRESSES",
    "PLACEHOLDER",
    "Entry",
    "ModeComparison",
    "ModeMismatchError",
    "RunmainSnapshotWarning",
    "judge",
]

#: Object addresses in reprs (``<function f at 0x7f3a...>``): the hex digits after `` at 0x``.
ADDRESSES: Final = re.compile(r"(?<= at 0x)[0-9a-fA-F]+")
#: What each match of a normalising pattern becomes.
PLACEHOLDER: Final = "..."
#: How many lines of each raw stream a mismatch shows.
_RAW_LINES: Final = 50

Patterns = Iterable["str | re.Pattern[str]"]


def _compiled(patterns: Patterns) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


@final
@dataclass(frozen=True)
class ModeComparison:
    """The two runs of a ``mode="both"`` call, to compare: what the compare hook gets."""

    #: The in-process result (the one the test gets when the runs agree).
    inprocess: RunResult
    #: The result of the same run in a subprocess.
    subprocess: RunResult
    #: The patterns whose matches are replaced by :data:`PLACEHOLDER` before comparing:
    #: :data:`ADDRESSES`, then those of the ``normalize`` option.
    normalize: tuple[re.Pattern[str], ...] = (ADDRESSES,)
    #: The files the in-process run left in its working directory: relative path (``""`` for
    #: the directory itself) to :class:`Entry` (its ``kind``, permission bits, times, a
    #: file's ``data``, a link's ``target``). None when the directory was not snapshotted (it
    #: is not one of the test's temporary directories).
    inprocess_files: Tree | None = None
    #: The files the subprocess run left, from the same starting files.
    subprocess_files: Tree | None = None

    def normalized(self, text: str, normalize: Patterns = ()) -> str:
        """*text* with the matches of :attr:`normalize`, then of *normalize*, replaced."""
        for pattern in (*self.normalize, *_compiled(normalize)):
            text = pattern.sub(PLACEHOLDER, text)
        return text

    def output_differences(self, normalize: Patterns = ()) -> list[str]:
        """How the exit statuses and the normalised stdout and stderr differ, one text each.

        *normalize* are patterns to replace on top of :attr:`normalize`.
        """
        extra = _compiled(normalize)
        differences = []
        ours, theirs = self.inprocess, self.subprocess
        if ours.returncode != theirs.returncode:
            differences.append(
                f"exit status: in-process {ours.returncode}, subprocess {theirs.returncode}"
            )
        for name in ("stdout", "stderr"):
            mine = self.normalized(getattr(ours, name), extra)
            other = self.normalized(getattr(theirs, name), extra)
            if mine != other:
                differences.append(_unified(name, mine, other))
        return differences

    def file_differences(self, normalize: Patterns = ()) -> list[str]:
        """How the files the two runs left differ (text files compared normalised), per path."""
        if self.inprocess_files is None or self.subprocess_files is None:
            return []
        extra = _compiled(normalize)
        return tree_differences(
            self.inprocess_files, self.subprocess_files, lambda text: self.normalized(text, extra)
        )

    def differences(self, normalize: Patterns = ()) -> list[str]:
        """The default comparison: output, then files; empty when the two runs agree."""
        return [*self.output_differences(normalize), *self.file_differences(normalize)]


def _unified(name: str, ours: str, theirs: str) -> str:
    diff = difflib.unified_diff(
        theirs.splitlines(keepends=True),
        ours.splitlines(keepends=True),
        fromfile=f"{name} (subprocess)",
        tofile=f"{name} (in-process)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff).rstrip("\n")


class ModeMismatchError(AssertionError):
    """An in-process run and the same run in a subprocess ended differently."""

    def __init__(self, comparison: ModeComparison, differences: Sequence[str]) -> None:
        inprocess, subprocess = comparison.inprocess, comparison.subprocess
        super().__init__(
            f"{inprocess.command} ended differently in-process and in a subprocess:\n"
            + "\n".join(differences)
            + "\n\nThe results as they are (compared after replacing the matches of "
            + ", ".join(repr(pattern.pattern) for pattern in comparison.normalize)
            + f" with {PLACEHOLDER!r}):\n"
            + f"--- in-process ---\n{inprocess.describe(tail=_RAW_LINES)}\n"
            + f"--- subprocess ---\n{subprocess.describe(tail=_RAW_LINES)}"
        )
        #: The in-process result.
        self.inprocess = inprocess
        #: The subprocess result.
        self.subprocess = subprocess
        #: What was compared: both results, the normalising patterns, the files.
        self.comparison = comparison
        #: What differs, one text (a diff, a line) each.
        self.differences = list(differences)


class RunmainSnapshotWarning(pytest.PytestWarning):
    """A ``mode="both"`` run's working directory could not be snapshotted; the message says why."""


#: A judge of a comparison: the differences, ``[]`` when the runs agree, None for no opinion.
Judge = Callable[[ModeComparison], "Sequence[str] | None"]


def judge(comparison: ModeComparison, compare: Judge | None = None) -> None:
    """Raise :class:`ModeMismatchError` unless the two runs agree.

    *compare* (the ``pytest_runmain_compare`` hook) decides when it returns a list; when it
    returns None, or is None, the default comparison (:meth:`ModeComparison.differences`) does.
    """
    __tracebackhide__ = True
    differences = compare(comparison) if compare is not None else None
    if differences is None:
        differences = comparison.differences()
    elif not isinstance(differences, (list, tuple)) or not all(
        isinstance(text, str) for text in differences
    ):
        raise TypeError(
            f"{comparison.inprocess.command}: pytest_runmain_compare must return a list of "
            f"differences (str), [] when the runs agree, or None, not {differences!r}"
        )
    if differences:
        raise ModeMismatchError(comparison, differences)
