"""Hooks of pytest-runmain, implemented in a ``conftest.py`` or a plugin.

Registered through ``pytest_addhooks``. Both are called for every run made by the
``run_module`` and ``run_path`` fixtures (and the ``runmain_runner`` fixture behind them).

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_runmain._options import RunRequest
    from pytest_runmain.result import RunResult


@pytest.hookspec()
def pytest_runmain_before_run(request: RunRequest, item: pytest.Item) -> None:
    """Called before a run starts; may change it.

    *request* holds everything the run is configured with, the configuration, markers and
    call arguments already merged: ``kind`` and ``target``, ``args`` (the program's
    arguments), and one field per run option: ``stdin``, ``env``, ``cwd``, ``tty``,
    ``columns``, ``isolation``, ``mode``, ``timeout``, ``capture`` and ``globals``. Assign or
    mutate its fields to change the run; it is checked again afterwards. *item* is the test
    making the run. Every implementation is called, in the usual hook order.
    """


@pytest.hookspec()
def pytest_runmain_after_run(result: RunResult, item: pytest.Item) -> None:
    """Called with the result of each run, before the test sees it.

    Use it to log, collect or check results across a session. *item* is the test that made
    the run. An exception raised here fails that test.
    """
