"""The runners for tests written as :class:`unittest.TestCase` classes.

pytest runs ``unittest.TestCase`` tests, but does not pass fixtures to their methods: a class
that inherits :class:`RunmainMixin` gets the runners as attributes, set for each test by an
autouse fixture that asks for them. They are the fixtures themselves, so the test's
``runmain`` markers, the ini and command-line options and the hooks apply as for a function::

    class TestGreeter(RunmainMixin, unittest.TestCase):
        def test_greets(self):
            result = self.run_module("greeter", "Ada")
            self.assertEqual(result.stdout, "Hello, Ada!\\n")

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_runmain.runner import RunConsoleScript, RunModule, Runner, RunPath
    from pytest_runmain.targets import RunMain

__all__ = ["RunmainMixin"]


class RunmainMixin:
    """Gives each test of a ``unittest.TestCase`` the runners as attributes.

    ``self.run_module``, ``self.run_path``, ``self.run_console_script``, ``self.run_main`` and
    ``self.runmain_runner`` are the fixtures of the same names, configured for the test.
    Put it before ``unittest.TestCase`` in the bases. Only under pytest: a test run by
    ``python -m unittest`` does not get them.
    """

    run_module: RunModule
    run_path: RunPath
    run_console_script: RunConsoleScript
    run_main: RunMain
    runmain_runner: Runner

    @pytest.fixture(autouse=True)
    def _runmain_runners(
        self,
        run_module: RunModule,
        run_path: RunPath,
        run_console_script: RunConsoleScript,
        run_main: RunMain,
        runmain_runner: Runner,
    ) -> None:
        self.run_module = run_module
        self.run_path = run_path
        self.run_console_script = run_console_script
        self.run_main = run_main
        self.runmain_runner = runmain_runner
