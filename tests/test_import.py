"""What importing the plugin costs: a session without runs does not import the machinery."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import pytest_runmain

PACKAGE = Path(pytest_runmain.__file__).parent


def test_the_plugin_imports_only_its_options_and_hooks() -> None:
    code = (
        "import sys, pytest; import pytest_runmain.plugin; "
        "print(sorted(m for m in sys.modules if m.startswith('pytest_runmain')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ast.literal_eval(done.stdout) == [
        "pytest_runmain",
        "pytest_runmain._options",
        "pytest_runmain.hookspec",
        "pytest_runmain.plugin",
    ]


def test_every_public_name_is_found_at_its_first_use() -> None:
    for name in pytest_runmain.__all__:
        assert getattr(pytest_runmain, name) is not None
    assert set(pytest_runmain.__all__) <= set(dir(pytest_runmain))


def test_no_module_asks_pytest_to_rewrite_its_assertions() -> None:
    for path in sorted(PACKAGE.glob("*.py")):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert "PYTEST_DONT_REWRITE" in docstring, path.name


def test_a_session_without_runs_does_not_import_the_machinery(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_nothing_imported():
            assert "pytest_runmain.runner" not in sys.modules
            assert "pytest_runmain._state_items" not in sys.modules
        """
    )
    pytester.runpytest_subprocess("-p", "runmain").assert_outcomes(passed=1)


def test_a_public_name_follows_its_module_imported_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """pytester's in-process runs drop the modules a session imported; the names follow."""
    import importlib

    first = pytest_runmain.Target
    monkeypatch.delitem(sys.modules, "pytest_runmain.targets")
    again = importlib.import_module("pytest_runmain.targets")
    assert again.Target is not first
    assert pytest_runmain.Target is again.Target
