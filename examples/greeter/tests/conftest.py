"""Fixtures for the greeter's tests: where the example lives, and a names file to read."""

from __future__ import annotations

from pathlib import Path

import pytest
from greeter import GREETING_ENV


@pytest.fixture
def example_root() -> Path:
    """The greeter project's root directory, the one holding ``scripts/``."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def report_script(example_root: Path) -> Path:
    """The standalone script, as an absolute path."""
    return example_root / "scripts" / "greet-report.py"


@pytest.fixture
def names_file(tmp_path: Path) -> Path:
    """A ``names.txt`` in a fresh directory: a comment, a blank line and a duplicate name."""
    path = tmp_path / "names.txt"
    path.write_text("# guests\nAda\nGrace\n\nAda\n", encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _default_greeting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start every test with the default greeting, whatever the developer's shell has set."""
    monkeypatch.delenv(GREETING_ENV, raising=False)
