"""Hostile programs, each in a pytest session followed by a test that the session survived.

A program that leaves a timer armed, rebinds ``print``, patches ``os.listdir`` or points
descriptor 1 at ``/dev/null`` must not harm the tests after it. Each session runs such programs,
then a test that checks the process as it was before them (``BEFORE``, read when the test
module is imported) and that the session still prints.
"""

from __future__ import annotations

import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process state")

#: Written as the sessions' conftest: what the process looks like, to compare after the runs.
CONFTEST = """
import asyncio, builtins, codecs, faulthandler, gc, os, random, resource, signal, sys
import threading, time


def snapshot():
    state = {
        "builtins": {k: id(v) for k, v in vars(builtins).items()},
        "environ": (type(os.environ).__name__,
                    {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}),
        "cwd": os.getcwd(),
        "itimers": [signal.getitimer(w)[0] > 0 for w in
                    (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)],
        "sigmask": signal.pthread_sigmask(signal.SIG_BLOCK, []),
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
        "core": resource.getrlimit(resource.RLIMIT_CORE),
        "gc": (gc.isenabled(), gc.get_threshold()),
        "switchinterval": sys.getswitchinterval(),
        "dont_write_bytecode": sys.dont_write_bytecode,
        "asyncgen_hooks": tuple(sys.get_asyncgen_hooks()),
        "stack_size": threading.stack_size(),
        "policy": type(asyncio.get_event_loop_policy()).__name__,
        "wakeup_fd": signal.set_wakeup_fd(signal.set_wakeup_fd(-1)),
        "faulthandler": faulthandler.is_enabled(),
        "tz": (time.tzname, time.timezone),
        "putenv": os.popen("echo ${HOSTILE_PUTENV-unset}").read().strip(),
        "pgrp": os.getpgrp(),
        "random": random.random.__self__.getstate()[1][:3],
        "functions": [id(f) for f in (os.listdir, os.getcwd, os.fstat, threading.enumerate)],
    }
    if hasattr(sys, "get_int_max_str_digits"):
        state["int_max_str_digits"] = sys.get_int_max_str_digits()
    try:
        codecs.lookup("hostile-codec")
    except LookupError:
        state["codec"] = None
    else:
        state["codec"] = "registered"
    return state


BEFORE = {}


def pytest_collection_finish(session):
    BEFORE.update(snapshot())
"""

#: The test that follows the hostile ones: the process is as before, and output still works.
SURVIVOR = """
import os, time

from conftest import BEFORE, snapshot


def test_zz_the_session_survived():
    time.sleep(WAIT)
    now = snapshot()
    assert {k: v for k, v in now.items() if v != BEFORE[k] and k not in IGNORED} == {}
    print("PRINT-ALIVE", flush=True)  # before the fd writes, whatever the buffering
    os.write(1, b"FD1-ALIVE\\n")
    os.write(2, b"FD2-ALIVE\\n")
"""


def run_session(
    pytester: pytest.Pytester,
    programs: dict[str, str],
    tests: str,
    *args: str,
    wait: float = 0.0,
    ignored: tuple[str, ...] = (),
) -> pytest.RunResult:
    """Run *tests* (which run *programs*) then the survivor, in a pytest subprocess."""
    pytester.makeconftest(CONFTEST)
    for name, source in programs.items():
        pytester.path.joinpath(f"{name}.py").write_text(textwrap.dedent(source))
    pytester.makepyfile(
        test_hostile=textwrap.dedent(tests),
        test_zz_survivor=SURVIVOR.replace("WAIT", repr(wait)).replace("IGNORED", repr(ignored)),
    )
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", *args, timeout=60)


def assert_survived(result: pytest.RunResult, passed: int) -> None:
    __tracebackhide__ = True
    result.assert_outcomes(passed=passed)
    result.stdout.fnmatch_lines(["*PRINT-ALIVE*", "*FD1-ALIVE*"])
    result.stderr.fnmatch_lines(["*FD2-ALIVE*"])


TIMERS = {
    "alarm": "import signal\nsignal.alarm(1)\n",
    "itimers": """
        import signal
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        signal.setitimer(signal.ITIMER_VIRTUAL, 0.2)
        signal.setitimer(signal.ITIMER_PROF, 0.2)
    """,
    "dump_later": """
        import faulthandler
        faulthandler.dump_traceback_later(0.3, exit=True, file=2)
    """,
}


def test_timers_the_program_left_armed_are_stopped(pytester: pytest.Pytester) -> None:
    tests = """
        import pytest

        @pytest.mark.parametrize("name", ["alarm", "itimers", "dump_later"])
        def test_hostile(run_path, name):
            result = run_path(f"{name}.py")
            result.assert_success()
            assert result.state_changes["timers"].restored
            assert result.leaks == ()
    """
    result = run_session(pytester, TIMERS, tests, wait=1.5)

    assert_survived(result, passed=4)


def test_an_outer_timer_is_armed_again_for_its_time_left(pytester: pytest.Pytester) -> None:
    tests = """
        import signal

        def test_hostile(run_path):
            before = signal.getitimer(signal.ITIMER_REAL)[0]
            result = run_path("alarm.py")
            left = signal.getitimer(signal.ITIMER_REAL)[0]
            assert 50 < left <= before
            assert result.state_changes["timers"].lines == (
                f"~ signal.ITIMER_REAL: armed, {before:.3g} s left -> armed, 1 s left",
            ) or result.state_changes["timers"].restored
    """
    result = run_session(
        pytester,
        TIMERS,
        tests,
        "--timeout=60",
        "--timeout-method=signal",
        wait=1.5,
        ignored=("itimers",),  # pytest-timeout's, armed for each test
    )

    assert_survived(result, passed=2)


def test_descriptors_0_1_2_are_put_back(pytester: pytest.Pytester) -> None:
    programs = {
        "silence": """
            import os
            null = os.open(os.devnull, os.O_RDWR)
            os.dup2(null, 1)
            os.dup2(null, 2)
            os.close(null)
            os.close(0)
        """,
        "close_stdout": "import os\nos.close(1)\n",
    }
    tests = """
        import pytest

        @pytest.mark.parametrize("name", ["silence", "close_stdout"])
        def test_hostile(run_path, name):
            result = run_path(f"{name}.py")
            assert result.state_changes["file descriptors 0, 1, 2"].restored
            assert result.leaks == ()
    """
    result = run_session(pytester, programs, tests)

    assert_survived(result, passed=3)


def test_builtins_and_patched_functions_are_put_back(pytester: pytest.Pytester) -> None:
    programs = {
        "builtins": """
            import builtins
            builtins.print = lambda *args, **kwargs: None
            builtins.open = None
            builtins.hostile_name = 1
            del builtins.zip
        """,
        "patches": """
            import json, os, threading
            os.listdir = lambda path=".": []
            os.fstat = lambda fd: None
            os.getcwd = lambda: "/"
            threading.enumerate = lambda: []
            json.dumps = lambda *args, **kwargs: "hostile"
            os.environ = {"PATH": "/nowhere"}
        """,
    }
    tests = """
        import pytest

        def test_builtins(run_path):
            result = run_path("builtins.py")
            assert set(result.state_changes["builtins"].lines) == {
                "- zip", "~ open: replaced by None", "~ print: replaced by __main__.<lambda>",
                "+ hostile_name: 1",
            }
            assert result.leaks == ()

        def test_patches(run_path):
            result = run_path("patches.py")
            lines = result.state_changes["functions of standard modules"].lines
            assert "~ threading.enumerate: replaced by __main__.<lambda>" in lines
            assert "~ os.environ: replaced by {'PATH': '/nowhere'}" in lines
            assert result.leaks == ()
    """
    result = run_session(pytester, programs, tests)

    assert_survived(result, passed=3)


def test_patched_functions_hide_no_leak(pytester: pytest.Pytester) -> None:
    programs = {
        "hiding": """
            import os, threading
            stop = threading.Event()
            threading.Thread(target=stop.wait, name="hidden", daemon=True).start()
            held = open(__file__)
            threading.enumerate = lambda: [threading.main_thread()]
            os.listdir = lambda path=".": []
            os.readlink = lambda path: "/dev/null"
            os.chdir("/")
            os.getcwd = lambda: "/elsewhere"
        """,
    }
    tests = """
        import pytest

        @pytest.mark.runmain(isolation="off")
        @pytest.mark.filterwarnings("ignore::ResourceWarning")
        def test_hostile(run_path, tmp_path):
            result = run_path("hiding.py")
            result.globals["stop"].set()
            assert [leak.name for leak in result.leaks] == ["threads", "file descriptors"]
            assert str(result.leaks[0]).splitlines()[1] == (
                "    + thread 'hidden' (daemon) is still running"
            )
            assert result.state_changes["cwd"].restored
    """
    result = run_session(pytester, programs, tests)

    assert_survived(result, passed=2)


SETTINGS = """
    import asyncio, codecs, faulthandler, gc, os, random, resource, signal, sys, threading, time
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGUSR1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, 64), hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    gc.disable()
    gc.set_threshold(1, 1, 1)
    sys.setswitchinterval(0.5)
    sys.dont_write_bytecode = not sys.dont_write_bytecode
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(5000)
    sys.set_asyncgen_hooks(firstiter=lambda agen: None, finalizer=lambda agen: None)
    threading.stack_size(1 << 20)
    class Policy(asyncio.DefaultEventLoopPolicy):
        pass
    asyncio.set_event_loop_policy(Policy())
    reader, writer = os.pipe()
    os.set_blocking(writer, False)
    signal.set_wakeup_fd(writer)
    codecs.register(lambda name: codecs.lookup("utf-8") if name == "hostile_codec" else None)
    faulthandler.register(signal.SIGUSR2, file=2)
    signal.siginterrupt(signal.SIGINT, False)  # system calls restarted: Ctrl-C waits for them
    random.seed(0)
    os.putenv("HOSTILE_PUTENV", "1")
    os.environ["TZ"] = "Asia/Kolkata"
    time.tzset()
    os.setpgrp()
    os.nice(1)
"""


def test_process_and_interpreter_settings_are_put_back(pytester: pytest.Pytester) -> None:
    tests = """
        import os
        import pytest

        @pytest.mark.runmain(isolation="off")
        def test_hostile(run_path):
            result = run_path("settings.py")
            result.assert_success()
            os.close(result.globals["writer"])
            os.close(result.globals["reader"])
            changed = result.state_changes
            for name in ("interpreter settings", "C environment and time zone",
                         "faulthandler and codecs"):
                assert changed[name].restored, changed[name]
            lines = "\\n".join(changed["process settings"].lines)
            assert "resource.RLIMIT_NOFILE" in lines and "os.getpgrp()" in lines
            # Lowering the nice value back needs privileges: a leak where they lack.
            leaks = {leak.name: leak.lines for leak in result.leaks if not leak.deferred}
            assert set(leaks) <= {"process settings"}
            for line in leaks.get("process settings", ()):
                assert line.startswith(("~ os.nice(0)", "~ resource.RLIMIT_CORE")), line
            assert "+ signal.siginterrupt: 2" in changed["faulthandler and codecs"].lines

        def test_ctrl_c_interrupts_a_blocking_read_again():
            # With the program's SA_RESTART left on SIGINT, Ctrl-C would wait for the read.
            import signal, threading, time
            reader, writer = os.pipe()
            threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
            threading.Timer(2, os.write, (writer, b"x")).start()
            start = time.monotonic()
            with pytest.raises(KeyboardInterrupt):
                os.read(reader, 1)
            assert time.monotonic() - start < 1.5
            time.sleep(2.1)  # the late write, before the descriptors go
            os.close(reader)
            os.close(writer)
    """
    result = run_session(pytester, {"settings": SETTINGS}, tests)

    result.assert_outcomes(passed=3)


def test_a_new_session_is_a_leak(pytester: pytest.Pytester) -> None:
    tests = """
        import pytest

        @pytest.mark.runmain(isolation="off")
        def test_hostile(run_path):
            result = run_path("session.py")
            (leak,) = result.leaks
            assert leak.name == "process settings"
            assert any(line.startswith("~ os.getsid(0)") for line in leak.lines)
            assert all(line.endswith("(cannot be put back)") for line in leak.lines)
    """
    result = run_session(pytester, {"session": "import os\nos.setsid()\n"}, tests)

    result.assert_outcomes(passed=1, failed=1)  # the survivor: another process group
    result.stdout.fnmatch_lines(["*'pgrp'*"])


def test_a_run_from_a_second_thread_is_refused(pytester: pytest.Pytester) -> None:
    programs = {
        # Holds its run open until the test lets it go, so that another thread tries a run.
        "slow": """
            import os, sys, time
            print("slow starts")
            open("started", "w").close()
            deadline = time.monotonic() + 30
            while not os.path.exists("release") and time.monotonic() < deadline:
                time.sleep(0.01)
            print("slow ends")
        """,
        "quick": "print('quick')\n",
    }
    tests = """
        import os, sys, threading, time

        import pytest
        from pytest_runmain import ConcurrentRunError

        def test_hostile(run_path):
            streams = (sys.stdout, sys.stderr)
            results, errors = [], []

            def second():
                while not os.path.exists("started"):
                    time.sleep(0.01)
                try:
                    run_path("quick.py")
                except ConcurrentRunError as exc:
                    errors.append(str(exc))
                finally:
                    open("release", "w").close()

            thread = threading.Thread(target=second, name="second-runner")
            thread.start()
            results.append(run_path("slow.py"))
            thread.join()
            (error,) = errors
            assert "thread 'MainThread' is running 'python slow.py'" in error
            assert "cannot run 'python quick.py' in-process" in error
            assert "'python slow.py'" in error
            assert "mode='subprocess'" in error
            assert results[0].stdout == "slow starts\\nslow ends\\n"
            assert (sys.stdout, sys.stderr) == streams
            assert run_path("quick.py").stdout == "quick\\n"
    """
    result = run_session(pytester, programs, tests)

    assert_survived(result, passed=2)


def test_children_left_running_are_reported_and_helpers_are_not(pytester: pytest.Pytester) -> None:
    programs = {
        "lingering_child": """
            import subprocess, sys
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(4)"])
        """,
        "quick_child": """
            import subprocess
            child = subprocess.Popen(["true"])  # ends at once; never waited for
        """,
        "spawn_pool": """
            import multiprocessing

            def square(x):
                return x * x

            if __name__ == "__main__":
                with multiprocessing.get_context("spawn").Pool(2) as pool:
                    print(pool.map(square, range(4)))
                pool.join()
        """,
    }
    tests = """
        import pytest

        @pytest.mark.parametrize("name", ["quick_child", "spawn_pool", "lingering_child"])
        def test_hostile(run_path, name):
            result = run_path(f"{name}.py")
            result.assert_success()
    """
    result = run_session(pytester, programs, tests, wait=4.5)

    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_hostile?lingering_child?*",
            "*child processes:*",
            "*+ child process * is still running: *python* -c import time; time.sleep(4)*",
        ]
    )
    assert "quick_child" not in result.stdout.str().partition("ERROR at teardown")[2]
    result.stdout.fnmatch_lines(["*PRINT-ALIVE*", "*FD1-ALIVE*"])


#: Programs that defeat a time limit's first interruption, each ended at its limit all the same.
TIMEOUT_DEFEATERS = {
    "takes_over_sigalrm": """
        import signal, time
        signal.signal(signal.SIGALRM, lambda *args: print("mine"))
        while True:
            time.sleep(0.1)
    """,
    "ignores_sigalrm": """
        import signal, time
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            time.sleep(0.1)
    """,
    "disarms_the_timer": """
        import signal, time
        while True:
            signal.setitimer(signal.ITIMER_REAL, 0)
            time.sleep(0.05)
    """,
    "retries_everything": """
        import time
        while True:
            try:
                time.sleep(1)
            except BaseException:
                pass
    """,
    "busy_and_swallowing": """
        while True:
            try:
                while True:
                    pass
            except BaseException:
                pass
    """,
}


def test_a_time_limit_stops_programs_that_defeat_its_signal(pytester: pytest.Pytester) -> None:
    tests = f"""
        import time
        import pytest

        @pytest.mark.parametrize("name", {sorted(TIMEOUT_DEFEATERS)!r})
        def test_hostile(run_path, name):
            start = time.monotonic()
            result = run_path(f"{{name}}.py", timeout=0.3)
            assert (result.returncode, result.timed_out) == (137, True)
            assert time.monotonic() - start < 5
    """
    result = run_session(pytester, TIMEOUT_DEFEATERS, tests)

    assert_survived(result, passed=len(TIMEOUT_DEFEATERS) + 1)


def test_a_time_limit_covers_reading_a_fifo_target(pytester: pytest.Pytester) -> None:
    tests = """
        import os

        def test_hostile(run_path):
            os.mkfifo("nobody_writes.py")
            result = run_path("nobody_writes.py", timeout=0.3)
            assert (result.returncode, result.timed_out) == (137, True)
    """
    result = run_session(pytester, {}, tests)

    assert_survived(result, passed=2)


def test_a_thread_outliving_a_timed_out_run_is_reported(pytester: pytest.Pytester) -> None:
    programs = {
        "worker_left": """
            import threading, time
            stop = threading.Event()
            threading.Thread(target=stop.wait, name="worker").start()
            time.sleep(30)
        """
    }
    tests = """
        import pytest

        @pytest.mark.runmain(isolation="off")
        def test_hostile(run_path):
            result = run_path("worker_left.py", timeout=0.3)
            assert result.timed_out
            assert [str(leak) for leak in result.leaks] == [
                "threads:\\n    + thread 'worker' is still running"
            ]
            result.globals["stop"].set()  # or the session would wait for it at its end
    """
    result = run_session(pytester, programs, tests)

    assert_survived(result, passed=2)


def test_a_run_nothing_can_stop_ends_the_session_loudly(pytester: pytest.Pytester) -> None:
    """Waiting in a call with the signals ignored: the process ends rather than hang."""
    programs = {
        "deaf": """
            import os, signal
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            read_end, _ = os.pipe()
            os.read(read_end, 1)
        """
    }
    tests = """
        def test_hostile(run_path):
            run_path("deaf.py", timeout=0.2)
    """
    result = run_session(pytester, programs, tests)

    assert result.ret == 1
    result.stderr.fnmatch_lines(
        [
            "pytest-runmain: python deaf.py is still running 10 s after its timeout of 0.2 s*",
            "*deaf.py*line 6*",
        ]
    )
    assert "PRINT-ALIVE" not in result.stdout.str()
