"""Hooks of pytest-runmain, implemented in a ``conftest.py`` or a plugin.

Registered through ``pytest_addhooks``. They are called for the runs made by the ``run_module``,
``run_path``, ``run_console_script`` and ``run_main`` fixtures (and the ``runmain_runner``
fixture behind them): the first two for every run, ``pytest_runmain_compare`` for each
``mode="both"`` run.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pytest_runmain._options import RunRequest
    from pytest_runmain.modes import ModeComparison
    from pytest_runmain.result import RunResult


@pytest.hookspec()
def pytest_runmain_before_run(request: RunRequest, item: pytest.Item) -> None:
    """Called before a run starts; may change it.

    *request* holds everything the run is configured with, the configuration, markers and
    call arguments already merged: ``kind`` (``"module"``, ``"path"`` or
    ``"console_script"``) and ``target``, ``args`` (the program's arguments), and one field
    per run option: ``stdin``, ``env``, ``cwd``, ``tty``, ``columns``, ``isolation``,
    ``mode``, ``normalize``, ``timeout``, ``capture``, ``globals``, ``deep_isolation`` and
    ``check``. Assign or mutate its fields to change the run; it is
    checked again afterwards. *item* is the test making the run. Every implementation is
    called, in the usual hook order.
    """


@pytest.hookspec()
def pytest_runmain_after_run(result: RunResult, item: pytest.Item) -> None:
    """Called with the result of each run, before the test sees it.

    Use it to log, collect or check results across a session. *item* is the test that made
    the run. An exception raised here fails that test.
    """


@pytest.hookspec(firstresult=True)
def pytest_runmain_compare(comparison: ModeComparison, item: pytest.Item) -> Sequence[str] | None:
    """Judge whether the two runs of a ``mode="both"`` call agree; the first answer decides.

    *comparison* holds the in-process and the subprocess results (``comparison.inprocess``,
    ``comparison.subprocess``, with their raw output), the normalising patterns in effect
    (``comparison.normalize``: object addresses, then the ``normalize`` option's) and the files
    each run left in its working directory when it was snapshotted. Return the differences
    found, as a list of texts (``[]`` when the runs agree), or None to leave the decision to
    the next implementation and, last, to the default comparison,
    ``comparison.differences()``. ``comparison.differences(normalize=[...])`` is the default
    comparison with more patterns. A non-empty list fails the call with
    :class:`~pytest_runmain.ModeMismatchError`, which lists the differences and shows the raw
    output of both runs. *item* is the test that made the run.
    """
