"""The pytest11 entry point of pytest-runmain: the ``run_module`` and ``run_path`` fixtures."""

from __future__ import annotations

import pytest

from pytest_runmain.runner import RunModule, Runner, RunPath

__all__ = ["run_module", "run_path", "runmain_runner"]


@pytest.fixture
def runmain_runner() -> Runner:
    """The :class:`~pytest_runmain.Runner` behind ``run_module`` and ``run_path``."""
    return Runner()


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
