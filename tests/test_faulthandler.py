"""``faulthandler`` in a run: the program's own frames, and a switch that leaves pytest's alone."""

from __future__ import annotations

import faulthandler
import io
import textwrap
from pathlib import Path

import pytest

from pytest_runmain import Runner, RunResult
from pytest_runmain._faulthandler import TracebackDumper, VirtualSwitch


def run(tmp_path: Path, source: str) -> RunResult:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    return Runner().run_path(script)


class _NoFileno(io.StringIO):
    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


class _BadFileno(io.StringIO):
    def fileno(self) -> int:
        return -5


@pytest.mark.parametrize(
    "file", [-1, _NoFileno(), _BadFileno(), "a string"], ids=["negative", "no-fileno", "bad", "str"]
)
def test_bad_files_are_refused_as_by_the_real_functions(file: object) -> None:
    def error(call: object) -> tuple[type[BaseException], str] | None:
        try:
            call(file)  # type: ignore[operator]
        except Exception as exc:
            return type(exc), str(exc)
        return None

    real_enable = error(faulthandler.enable)  # refused before it changes anything
    assert real_enable is not None
    assert error(VirtualSwitch().enable) == real_enable
    assert error(TracebackDumper(()).dump_traceback) == error(faulthandler.dump_traceback)


def test_enabling_leaves_the_outer_handler_in_place(tmp_path: Path) -> None:
    """pytest's plugin turns ``faulthandler`` on; either way it is as before after the run."""
    was_enabled = faulthandler.is_enabled()
    result = run(
        tmp_path,
        """\
        import faulthandler, sys
        print(faulthandler.is_enabled())
        faulthandler.enable(sys.stderr)
        print(faulthandler.is_enabled())
        print(faulthandler.disable(), faulthandler.is_enabled())
        faulthandler.enable()
        """,
    )
    assert faulthandler.is_enabled() == was_enabled
    assert result.stdout == "False\nTrue\nTrue False\n"
    assert result.leaks == ()
    change = result.state_changes["faulthandler and codecs"]
    assert change.restored
    assert "~ faulthandler.is_enabled(): False -> True" in change.lines


def test_a_dump_lists_the_program_frames_only(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        import faulthandler
        def inner():
            faulthandler.dump_traceback(all_threads=False)
        inner()
        """,
    )
    script = tmp_path / "prog.py"
    assert result.stderr == (
        "Stack (most recent call first):\n"
        f'  File "{script}", line 3 in inner\n'
        f'  File "{script}", line 4 in <module>\n'
    )
