"""``os._exit`` and ``os.fork`` in a run: the run ends, the test process does not."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Final

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


# --- ends the program gives itself from elsewhere: other threads, signals ---------------------

SURVIVAL_CHECK = """
import signal, sys, threading

def test_the_session_goes_on():
    print("still printing")
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert [t.name for t in threading.enumerate() if "runmain" in t.name] == []
"""

#: Programs that end themselves as a process dies, and the status a shell shows for them.
SELF_ENDINGS = {
    # The main thread would go on for 2 s and leave a file behind: a dead process does not.
    "watchdog-os-exit": (
        "import os, threading, time\nprint('started', flush=True)\n"
        "threading.Timer(0.2, os._exit, (3,)).start()\nfor _ in range(40):\n"
        "    time.sleep(0.05)\nopen('main-went-on', 'w').close()\n",
        3,
    ),
    "watchdog-while-swallowing": (
        "import os, threading, time\nthreading.Timer(0.2, os._exit, (4,)).start()\n"
        "deadline = time.monotonic() + 2\nwhile time.monotonic() < deadline:\n    try:\n"
        "        while time.monotonic() < deadline:\n            pass\n"
        "    except KeyboardInterrupt:\n        pass\nopen('main-went-on', 'w').close()\n",
        4,
    ),
    "kill-self": (
        "import os, signal\nprint('started', flush=True)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\nprint('never')\n",
        128 + 15,
    ),
    "raise-signal": ("import signal\nsignal.raise_signal(signal.SIGUSR1)\n", 128 + 10),
    "killpg-own-group": ("import os, signal\nos.killpg(os.getpgrp(), signal.SIGHUP)\n", 128 + 1),
    "pthread-kill": (
        "import signal, threading\nsignal.pthread_kill(threading.get_ident(), signal.SIGTERM)\n",
        128 + 15,
    ),
    "abort": ("import os\nprint('started', flush=True)\nos.abort()\n", 128 + 6),
}


#: Runs a command in a new session (``setsid -w`` waits for it and gives its status).
SETSID: Final = ("setsid", "-w")


@pytest.mark.skipif(shutil.which("setsid") is None, reason="needs setsid(1) from util-linux")
@pytest.mark.parametrize(("source", "status"), SELF_ENDINGS.values(), ids=list(SELF_ENDINGS))
def test_a_program_that_ends_itself_ends_only_its_run(
    pytester: pytest.Pytester, source: str, status: int
) -> None:
    """The status is the real program's; the session goes on; the real one agrees."""
    pytester.makepyfile(prog=source)
    real = subprocess.run(  # in a session of its own: killpg must not reach this one
        [sys.executable, "prog.py"], cwd=pytester.path, capture_output=True, start_new_session=True
    )
    # subprocess reports a death by signal N as -N, a shell as 128 + N.
    assert real.returncode == (status if status < 128 else 128 - status)
    pytester.makepyfile(
        test_it=textwrap.dedent(
            f"""\
            import os

            def test_run(run_path):
                result = run_path("prog.py", timeout=30)
                assert result.returncode == {status}, result.describe()
                assert not result.timed_out
                assert not os.path.exists("main-went-on")
            """
        )
        + SURVIVAL_CHECK
    )
    # The session runs in a session of its own: a regression must not signal this one.
    command = [sys.executable, "-m", "pytest", "-s", "-p", "no:cacheprovider", "test_it.py"]
    result = pytester.run(*SETSID, *command, timeout=60)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*still printing*"])


@pytest.mark.usefixtures("main_thread")  # the program installs signal handlers
def test_a_handled_signal_is_delivered_to_the_program(tmp_path: Path) -> None:
    result = run(
        tmp_path,
        """\
        import os, signal
        signal.signal(signal.SIGUSR1, lambda *a: print("handled"))
        os.kill(os.getpid(), signal.SIGUSR1)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        os.kill(os.getpid(), signal.SIGTERM)
        print("alive")
        """,
    )
    assert (result.returncode, result.stdout) == (0, "handled\nalive\n")


def test_pytest_timeout_thread_method_still_ends_a_hung_session(pytester: pytest.Pytester) -> None:
    """Its thread, running before the run, calls the real ``os._exit``."""
    pytester.makepyfile(
        spin="while True:\n    pass\n",
        test_it="""
        def test_hangs(run_path):
            run_path("spin.py")
        """,
    )
    # Within the 60 s pytester allows: before, the timeout thread's os._exit only ended a run.
    result = pytester.runpytest_subprocess("--timeout=1", "--timeout-method=thread", timeout=60)
    assert result.ret == 1  # pytest-timeout's os._exit(1): no summary, the session just ends
    # pytest-timeout writes its banner to stderr, or stdout from 2.2 on.
    pytest.LineMatcher(result.outlines + result.errlines).fnmatch_lines(["*+ Timeout +*"])
    result.stdout.no_fnmatch_line("*= 1 failed*")


def test_nothing_is_left_pending_after_os_exit_from_a_thread(tmp_path: Path) -> None:
    """The interruption is taken, not cancelled: cancelling one left the interpreter spinning
    in the next profiled call. Checked in a child process, so a regression cannot hang here."""
    script = tmp_path / "prog.py"
    script.write_text(
        "import os, threading\nthreading.Thread(target=os._exit, args=(4,)).start()\n"
    )
    code = textwrap.dedent(
        f"""\
        import sys
        from pytest_runmain import Runner
        print(Runner().run_path({str(script)!r}).returncode)
        sys.setprofile(lambda *args: None)
        def called():
            return "called"
        print(called())
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (child.returncode, child.stdout) == (0, "4\ncalled\n"), child.stderr
