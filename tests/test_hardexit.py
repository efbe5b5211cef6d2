"""``os._exit`` and ``os.fork`` in a run: the run ends, the test process does not."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from pytest_runmain import Runner, RunResult


def run(tmp_path: Path, source: str, **options: object) -> RunResult:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    return Runner().run_path(script, env={"PYTHONUNBUFFERED": None}, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(("status", "returncode"), [(0, 0), (7, 7), (256, 0), (-1, 255)])
def test_os_exit_ends_the_run_with_its_status(tmp_path: Path, status: int, returncode: int) -> None:
    pid = os.getpid()
    result = run(tmp_path, f"import os\nos._exit({status})\nprint('never')\n")
    assert os.getpid() == pid
    assert (result.returncode, result.stdout) == (returncode, "")
    assert type(result.exception).__name__ == "HardExit"


def test_buffered_output_is_lost_flushed_output_kept(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        import os, sys
        print("flushed", flush=True)
        sys.stderr.write("err line\\n")
        print("buffered")
        os._exit(3)
        """,
    )
    assert (result.returncode, result.stdout, result.stderr) == (3, "flushed\n", "err line\n")


def test_a_swallowed_os_exit_still_decides(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        import atexit, os
        atexit.register(print, "atexit never runs")
        try:
            os._exit(5)
        except BaseException:
            print("the program goes on, but nobody sees it", flush=True)
        raise SystemExit(0)
        """,
    )
    assert (result.returncode, result.stdout, result.stderr) == (5, "", "")


def test_os_exit_in_a_thread_and_in_atexit(tmp_path: Path) -> None:
    in_thread = run(
        tmp_path,
        """\
        import os, threading
        t = threading.Thread(target=os._exit, args=(4,))
        t.start(); t.join()
        """,
    )
    assert (in_thread.returncode, in_thread.stderr) == (4, "")
    in_atexit = run(
        tmp_path, "import atexit, os\natexit.register(os._exit, 6)\nprint('main', flush=True)\n"
    )
    assert (in_atexit.returncode, in_atexit.stdout) == (6, "main\n")


def test_forked_child_exits_without_running_the_session(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        import os, sys
        pid = os.fork()
        if pid == 0:
            sys.exit(3)  # the child leaves the run through SystemExit, not os._exit
        _, status = os.waitpid(pid, 0)
        print("child", os.waitstatus_to_exitcode(status))
        """,
    )
    assert (result.returncode, result.stdout) == (0, "child 3\n")


def test_multiprocessing_fork_pool(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        import multiprocessing
        if __name__ == "__main__":
            with multiprocessing.get_context("fork").Pool(2) as pool:
                print(sum(pool.map(abs, [-1, -2, -3])))
        """,
    )
    assert (result.returncode, result.stdout) == (0, "6\n"), result.stderr
