"""Both ways at once: a run in-process and the same run in a subprocess, compared.

With ``mode="both"`` every call runs twice, in-process and as ``sys.executable -m MOD`` /
``sys.executable PATH``. The exit status, stdout and stderr must be equal, or the test fails
with :class:`ModeMismatchError` showing both side by side; the in-process result (which has the
globals) is what the test gets. It is the proof that the in-process result is the real one.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_runmain.result import RunResult

__all__ = ["ModeMismatchError", "compare_modes"]


class ModeMismatchError(AssertionError):
    """An in-process run and the same run in a subprocess ended differently."""

    def __init__(self, inprocess: RunResult, subprocess: RunResult, differences: list[str]) -> None:
        super().__init__(
            f"{inprocess.command} ended differently in-process and in a subprocess:\n"
            + "\n".join(differences)
        )
        #: The in-process result.
        self.inprocess = inprocess
        #: The subprocess result.
        self.subprocess = subprocess


def _side_by_side(name: str, ours: str, theirs: str) -> str:
    diff = difflib.unified_diff(
        theirs.splitlines(keepends=True),
        ours.splitlines(keepends=True),
        fromfile=f"{name} (subprocess)",
        tofile=f"{name} (in-process)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in diff).rstrip("\n")


def compare_modes(inprocess: RunResult, subprocess: RunResult) -> None:
    """Raise :class:`ModeMismatchError` unless both runs ended the same way."""
    __tracebackhide__ = True
    differences = []
    if inprocess.returncode != subprocess.returncode:
        differences.append(
            f"exit status: in-process {inprocess.returncode}, subprocess {subprocess.returncode}"
        )
    for name in ("stdout", "stderr"):
        ours, theirs = getattr(inprocess, name), getattr(subprocess, name)
        if ours != theirs:
            differences.append(_side_by_side(name, ours, theirs))
    if differences:
        raise ModeMismatchError(inprocess, subprocess, differences)
