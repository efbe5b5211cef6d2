"""``run_child`` directly: a real child interpreter, its pipes, its time limit and its status.

Each test starts ``python -c CODE`` through ``run_child`` and checks one promise of
``_subprocess.py``: the input reaches the child, the output is kept in arrival order, a child
past its time limit is killed with what it wrote kept, the environment and working directory
are the ones given. Time limits are wide and only order is checked, never speed.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path

import pytest

from pytest_runmain._subprocess import KILLED_STATUS, ChildOutcome, run_child

#: A time limit no child here should reach unless run_child is broken (then the test fails).
GENEROUS = 60.0


def run_python(
    code: str,
    *,
    stdin: bytes = b"",
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    timeout: float | None = GENEROUS,
) -> ChildOutcome:
    """Run *code* (dedented) in a child interpreter through ``run_child``."""
    command = [sys.executable, "-c", textwrap.dedent(code)]
    environ = os.environ if env is None else env
    return run_child(command, stdin=stdin, env=environ, cwd=cwd, timeout=timeout)


def test_a_child_past_its_time_limit_is_killed_and_its_output_kept() -> None:
    outcome = run_python(
        """\
        import sys, time
        print("before", flush=True)
        print("on stderr", file=sys.stderr, flush=True)
        time.sleep(60)
        print("after", flush=True)
        """,
        timeout=1.0,
    )
    assert outcome.timed_out
    assert outcome.returncode == KILLED_STATUS == 137
    assert outcome.joined("stdout") == b"before\n"
    assert outcome.joined("stderr") == b"on stderr\n"


def test_a_grandchild_holding_the_pipes_does_not_keep_a_timed_out_run_waiting(
    tmp_path: Path,
) -> None:
    woke = tmp_path / "grandchild-woke"
    grandchild = f"import pathlib, time; time.sleep(20); pathlib.Path({str(woke)!r}).touch()"
    outcome = run_python(
        f"""\
        import subprocess, sys, time
        grandchild = subprocess.Popen([sys.executable, "-c", {grandchild!r}])
        print(grandchild.pid, flush=True)
        time.sleep(60)
        """,
        timeout=2.0,
    )
    pid = int(outcome.joined("stdout"))
    returned_before_the_grandchild_woke = not woke.exists()
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    assert returned_before_the_grandchild_woke
    assert outcome.timed_out
    assert outcome.returncode == KILLED_STATUS


def test_a_child_within_its_time_limit_is_not_timed_out() -> None:
    outcome = run_python("print('done')", timeout=GENEROUS)
    assert not outcome.timed_out
    assert outcome.returncode == 0
    assert outcome.joined("stdout") == b"done\n"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("raise SystemExit(3)", 3),
        ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", 128 + signal.SIGTERM),
    ],
    ids=["exit-3", "sigterm"],
)
def test_status_is_the_one_a_shell_reports(code: str, status: int) -> None:
    outcome = run_python(code)
    assert outcome.returncode == status
    assert not outcome.timed_out


def test_stdin_bytes_reach_the_child_even_past_a_pipe_buffer() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB: the child echoes as it reads, both pipes fill
    outcome = run_python(
        """\
        import sys
        while chunk := sys.stdin.buffer.read1(65536):
            sys.stdout.buffer.write(chunk)
            sys.stdout.buffer.flush()
        """,
        stdin=data,
    )
    assert not outcome.timed_out
    assert outcome.joined("stdout") == data


def test_without_stdin_the_child_reads_end_of_file() -> None:
    outcome = run_python("import sys; print(repr(sys.stdin.buffer.read()))")
    assert not outcome.timed_out
    assert outcome.joined("stdout") == b"b''\n"


def test_a_child_that_does_not_read_its_input_ends_normally() -> None:
    outcome = run_python("print('ignored my input')", stdin=b"x" * (1 << 20))
    assert outcome.returncode == 0
    assert outcome.joined("stdout") == b"ignored my input\n"


def test_output_of_both_pipes_is_journalled_in_arrival_order() -> None:
    outcome = run_python(
        """\
        import sys, time
        for n in range(2):
            print("out", n, flush=True)
            time.sleep(0.5)
            print("err", n, file=sys.stderr, flush=True)
            time.sleep(0.5)
        """,
    )
    assert outcome.joined(None) == b"out 0\nerr 0\nout 1\nerr 1\n"
    assert outcome.joined("stdout") == b"out 0\nout 1\n"
    assert outcome.joined("stderr") == b"err 0\nerr 1\n"


def test_the_child_gets_the_given_environment_and_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNMAIN_TEST_NOT_GIVEN", "from the test process")
    env = {k: v for k, v in os.environ.items() if k != "RUNMAIN_TEST_NOT_GIVEN"}
    env["RUNMAIN_TEST_GIVEN"] = "given"
    outcome = run_python(
        """\
        import os
        print(os.environ.get("RUNMAIN_TEST_GIVEN"))
        print(os.environ.get("RUNMAIN_TEST_NOT_GIVEN"))
        print(os.getcwd())
        """,
        env=env,
        cwd=str(tmp_path),
    )
    given, not_given, cwd = outcome.joined("stdout").decode().splitlines()
    assert (given, not_given) == ("given", "None")
    assert os.path.samefile(cwd, tmp_path)


def test_sys_path_entries_of_this_process_reach_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rmt_only_here.py").write_text("WHERE = 'on a test-added sys.path entry'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    outcome = run_python("import rmt_only_here; print(rmt_only_here.WHERE)")
    assert outcome.joined("stdout") == b"on a test-added sys.path entry\n"
