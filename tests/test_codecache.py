"""The session's code cache: compiled once per unchanged file, never when compiling warned."""

from __future__ import annotations

import importlib.machinery
import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType

import pytest

from pytest_runmain import Runner, _codecache

WARNS = "x = 1\nprint(x is 1)\n"  # SyntaxWarning: "is" with a literal


def test_a_script_is_compiled_once_while_its_bytes_are_the_same(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text("def f():\n    pass\nprint('one')\n")
    runner = Runner()
    first = runner.run_path(script)
    again = runner.run_path(script)
    assert first.globals["f"].__code__ is again.globals["f"].__code__

    script.write_text("def f():\n    pass\nprint('two')\n")
    changed = runner.run_path(script)
    assert changed.stdout == "two\n"
    assert changed.globals["f"].__code__ is not first.globals["f"].__code__


def test_a_module_run_with_m_is_loaded_again_once_its_file_changes(tmp_path: Path) -> None:
    module = tmp_path / "cached_prog.py"
    module.write_text("print('one')\n")
    runner = Runner()
    assert runner.run_module("cached_prog", cwd=tmp_path).stdout == "one\n"
    assert runner.run_module("cached_prog", cwd=tmp_path).stdout == "one\n"
    module.write_text("print('two!')\n")
    os.utime(module, ns=(1, 1))  # a new modification time, whatever the clock's resolution
    assert runner.run_module("cached_prog", cwd=tmp_path).stdout == "two!\n"


def test_a_compile_warning_shows_at_every_run(tmp_path: Path) -> None:
    script = tmp_path / "warns_prog.py"
    script.write_text(WARNS)
    runner = Runner()
    for _ in range(3):
        assert 'SyntaxWarning: "is" with ' in runner.run_path(script).stderr


def test_only_the_files_used_last_are_kept() -> None:
    made: list[str] = []

    def make(name: str) -> Callable[[], CodeType]:
        return lambda: made.append(name) or compile("", name, "exec")  # type: ignore[func-returns-value]

    _codecache.clear()
    try:
        for i in range(_codecache.MAX_KEPT + 1):
            _codecache.cached_code(f"f{i}", b"", make(f"f{i}"))
        _codecache.cached_code("f1", b"", make("f1"))  # kept, and now the most recent
        _codecache.cached_code("f0", b"", make("f0"))  # the oldest: made again
    finally:
        _codecache.clear()
    assert made.count("f1") == 1
    assert made.count("f0") == 2


@pytest.fixture
def no_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``__pycache__``: each import compiles, whatever PYTHONDONTWRITEBYTECODE says."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


@pytest.mark.usefixtures("no_bytecode")
def test_a_module_the_program_imports_is_compiled_once_while_unchanged(tmp_path: Path) -> None:
    """Forgotten after each run and imported again, its code object is the kept one."""
    helper = tmp_path / "cached_helper.py"
    helper.write_text("def f():\n    return 'one'\n")
    (tmp_path / "prog.py").write_text("import cached_helper\nprint(cached_helper.f())\n")
    runner = Runner()
    first = runner.run_path(tmp_path / "prog.py")
    again = runner.run_path(tmp_path / "prog.py")
    assert (first.stdout, again.stdout) == ("one\n", "one\n")
    module_first, module_again = first.globals["cached_helper"], again.globals["cached_helper"]
    assert module_first is not module_again  # imported afresh: its code ran again
    assert module_first.f.__code__ is module_again.f.__code__  # but was not compiled again

    helper.write_text("def f():\n    return 'two'\n")
    changed = runner.run_path(tmp_path / "prog.py")
    assert changed.stdout == "two\n"
    assert changed.globals["cached_helper"].f.__code__ is not module_first.f.__code__


@pytest.mark.usefixtures("no_bytecode")
def test_an_imported_module_that_warns_when_compiled_warns_at_every_run(tmp_path: Path) -> None:
    (tmp_path / "warning_helper.py").write_text(WARNS)
    (tmp_path / "prog.py").write_text("import warning_helper\n")
    runner = Runner()
    for _ in range(2):
        result = runner.run_path(tmp_path / "prog.py")
        assert "SyntaxWarning" in result.stderr
        assert result.stdout == "True\n"


def test_the_loader_is_as_it_was_after_a_run(tmp_path: Path) -> None:
    loader_class = importlib.machinery.SourceFileLoader
    before = dict(vars(loader_class))
    (tmp_path / "prog.py").write_text("print('x')\n")
    Runner().run_path(tmp_path / "prog.py")
    assert dict(vars(loader_class)) == before
