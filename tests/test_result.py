"""The result API: text and bytes, line matching, assertion helpers and their messages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pytest_runmain import RunFailed, Runner, RunResult


@pytest.fixture
def failing(tmp_path: Path) -> RunResult:
    script = tmp_path / "fail.py"
    script.write_text(
        textwrap.dedent(
            """\
            import sys
            for i in range(30):
                print(f"line {i}")
            print("oops", file=sys.stderr)
            raise SystemExit(4)
            """
        )
    )
    return Runner().run_path(script, "--flag", cwd=tmp_path, env={"PYTHONUNBUFFERED": "1"})


@pytest.fixture
def crashing(tmp_path: Path) -> RunResult:
    script = tmp_path / "crash.py"
    script.write_text("print('start')\nraise KeyError('missing')\n")
    return Runner().run_path(script, cwd=tmp_path)


def test_line_matching_on_each_stream(failing: RunResult) -> None:
    failing.fnmatch_lines(["line 0", "line 2*", "line 29"])
    failing.re_match_lines([r"line \d$"])
    failing.no_fnmatch_line("oops")
    failing.fnmatch_lines(["oops"], stream="stderr")
    failing.no_re_match_line(r"^line", stream="stderr")
    failing.fnmatch_lines(["line 29", "oops"], stream="output")
    assert failing.lines("stderr").lines == ["oops"]


def test_line_matching_failure_is_pytest_s(failing: RunResult) -> None:
    with pytest.raises(pytest.fail.Exception, match="remains unmatched: 'nothing like it'"):
        failing.fnmatch_lines(["nothing like it"])


def test_unknown_stream_is_named(failing: RunResult) -> None:
    with pytest.raises(ValueError, match="stream must be one of stdout, stderr, output, not 'err'"):
        failing.lines("err")  # type: ignore[arg-type]


def test_assert_success_shows_the_run(failing: RunResult, tmp_path: Path) -> None:
    with pytest.raises(RunFailed) as info:
        failing.assert_success()
    assert info.value.result is failing
    lines = str(info.value).splitlines()
    assert lines[:5] == [
        "expected exit status 0, got 4",
        "command: python " + str(tmp_path / "fail.py") + " --flag",
        f"cwd: {tmp_path}",
        f"argv: {[str(tmp_path / 'fail.py'), '--flag']!r}",
        "exit status: 4",
    ]
    assert lines[5:7] == ["stdout (last 20 of 30 lines):", "    line 10"]
    assert lines[-3:] == ["    line 29", "stderr:", "    oops"]


def test_assert_returncode_passes_and_fails(failing: RunResult) -> None:
    failing.assert_returncode(4)
    with pytest.raises(AssertionError, match="expected exit status 3, got 4"):
        failing.assert_returncode(3)


def test_uncaught_exception_is_described(crashing: RunResult) -> None:
    text = crashing.describe()
    assert "exit status: 1\nuncaught: KeyError: 'missing'\nstdout:\n    start\nstderr:\n" in text
    assert text.endswith("    KeyError: 'missing'")


def test_empty_output_is_said(tmp_path: Path) -> None:
    script = tmp_path / "quiet.py"
    script.write_text("")
    assert Runner().run_path(script).describe().endswith("stdout: (empty)\nstderr: (empty)")
