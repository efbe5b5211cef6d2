"""Interpreter state after runs: each piece a program can change is put back, recorded, checked."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import textwrap
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_runmain import (
    RunmainLeakWarning,
    Runner,
    RunResult,
    StateChangedError,
    StateLeakError,
    state_unchanged,
)


def run_program(tmp_path: Path, source: str, **options: Any) -> RunResult:
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent(source))
    result = Runner().run_path(script, **options)
    assert result.returncode == 0, result.stderr
    return result


def _logging_state() -> object:
    loggers = [logging.root, logging.getLogger("runmain.test")]
    return (
        [(lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in loggers],
        logging.root.manager.disable,
    )


def _decimal_state() -> object:
    import decimal

    context = decimal.getcontext()
    return context, context.prec, context.rounding


#: name in result.state_changes -> (program, a function reading the state in this process)
RESTORED: dict[str, tuple[str, Callable[[], object]]] = {
    "sys.argv": (
        "import sys\nsys.argv.append('x')\nsys.argv = ['other']\n",
        lambda: (id(sys.argv), list(sys.argv)),
    ),
    "sys.path": (
        "import sys\nsys.path.insert(0, '/nowhere')\nsys.path.pop()\n",
        lambda: (id(sys.path), list(sys.path)),
    ),
    "sys.meta_path, sys.path_hooks": (
        """\
        import sys
        class Finder:
            @staticmethod
            def find_spec(*args):
                return None
        sys.meta_path.insert(0, Finder)
        sys.path_hooks.append(lambda path: None)
        """,
        lambda: (list(sys.meta_path), list(sys.path_hooks)),
    ),
    "sys.modules": (
        "import sys, json\nsys.modules['json'] = 'replaced'\ndel sys.modules['textwrap']\n",
        lambda: (sys.modules.get("json"), sys.modules.get("textwrap")),
    ),
    "sys.stdin, sys.stdout, sys.stderr": (
        "import io, sys\nsys.stdout = io.StringIO()\nsys.__stderr__ = None\n",
        lambda: (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__),
    ),
    "sys hooks": (
        """\
        import sys, threading
        sys.excepthook = sys.displayhook = sys.breakpointhook = sys.unraisablehook = print
        threading.excepthook = print
        """,
        lambda: (
            sys.excepthook,
            sys.displayhook,
            sys.breakpointhook,
            sys.unraisablehook,
            threading.excepthook,
        ),
    ),
    "trace and profile functions": (
        "import sys, threading\nsys.setprofile(lambda *a: None)\nthreading.setprofile(print)\n",
        lambda: (sys.getprofile(), threading.getprofile()),
    ),
    "sys.getrecursionlimit()": (
        "import sys\nsys.setrecursionlimit(5000)\n",
        sys.getrecursionlimit,
    ),
    "os.environ": (
        "import os\nos.environ['RUNMAIN_NEW'] = '1'\nos.environ.pop('HOME', None)\n",
        lambda: dict(os.environ),
    ),
    "cwd": ("import os\nos.chdir('/')\n", os.getcwd),
    "umask": (
        "import os\nos.umask(0o077)\n",
        lambda: (os.umask(0o022), os.umask(os.umask(0o022)))[0],
    ),
    "signal handlers": (
        "import signal\nsignal.signal(signal.SIGUSR1, lambda *a: None)\n",
        lambda: signal.getsignal(signal.SIGUSR1),
    ),
    "library settings": (
        """\
        import decimal, socket, tempfile
        socket.setdefaulttimeout(3)
        tempfile.tempdir = "/nowhere"
        decimal.getcontext().prec = 5
        """,
        lambda: (
            __import__("socket").getdefaulttimeout(),
            __import__("tempfile").tempdir,
            _decimal_state(),
        ),
    ),
    "logging": (
        """\
        import logging
        logging.basicConfig(level=logging.DEBUG)
        logging.getLogger("runmain.test").setLevel(logging.ERROR)
        logging.getLogger("runmain.test").propagate = False
        logging.disable(logging.CRITICAL)
        """,
        _logging_state,
    ),
    "warnings": (
        "import warnings\nwarnings.simplefilter('error')\nwarnings.showwarning = print\n",
        lambda: (list(warnings.filters), warnings.showwarning),
    ),
}


@pytest.mark.parametrize("name", list(RESTORED))
def test_state_is_put_back_and_the_change_recorded(
    tmp_path: Path, name: str, request: pytest.FixtureRequest
) -> None:
    if name == "signal handlers":
        request.getfixturevalue("main_thread")
    import decimal  # noqa: F401 - imported so their settings are read

    program, read = RESTORED[name]
    before = read()
    result = run_program(tmp_path, program)
    assert read() == before
    change = result.state_changes[name]
    assert change.restored
    assert change.lines
    assert not result.leaks


def test_changes_are_readable_diffs(tmp_path: Path) -> None:
    result = run_program(
        tmp_path,
        """\
        import logging, os, sys
        logging.basicConfig(level=logging.INFO)
        os.environ["RUNMAIN_NEW"] = "1"
        sys.path.insert(0, "/nowhere")
        sys.setrecursionlimit(4321)
        """,
    )
    assert (
        str(result.state_changes["os.environ"]) == "os.environ (restored):\n    + RUNMAIN_NEW: '1'"
    )
    assert result.state_changes["sys.path"].lines == ("+ [0] '/nowhere'",)
    assert result.state_changes["sys.getrecursionlimit()"].lines[0].endswith("-> 4321")
    assert result.state_changes["logging"].lines == (
        "~ root logger: level WARNING, no handlers -> level INFO, StreamHandler",
    )


def test_a_quiet_program_changes_nothing(tmp_path: Path) -> None:
    result = run_program(tmp_path, "print('hello')\n")
    assert result.state_changes == {}
    assert result.leaks == ()


LIBRARY_PATCHER = """\
import email.utils, json, textwrap
json.JSONEncoder = None
email.utils.RUNMAIN_ADDED = 1
del textwrap.dedent
"""


def test_deep_isolation_puts_back_every_module_attribute(tmp_path: Path) -> None:
    import email.utils
    import json
    import textwrap

    before = (json.JSONEncoder, textwrap.dedent)
    result = run_program(tmp_path, LIBRARY_PATCHER, deep_isolation=True)

    assert (json.JSONEncoder, textwrap.dedent) == before
    assert not hasattr(email.utils, "RUNMAIN_ADDED")
    assert set(result.state_changes["module attributes"].lines) == {
        "~ json.JSONEncoder: replaced by None",
        "+ email.utils.RUNMAIN_ADDED: 1",
        "- textwrap.dedent",
    }
    assert result.state_changes["module attributes"].restored
    assert result.leaks == ()


def test_without_deep_isolation_other_module_attributes_stay_rebound(tmp_path: Path) -> None:
    import json

    encoder = json.JSONEncoder
    try:
        result = run_program(tmp_path, "import json\njson.JSONEncoder = None\n")
        assert json.JSONEncoder is None  # the documented limit
        assert "module attributes" not in result.state_changes
    finally:
        json.JSONEncoder = encoder  # type: ignore[misc]


def test_deep_isolation_sees_no_change_in_a_program_that_makes_none(tmp_path: Path) -> None:
    """The run's own set-up (wrappers, warning filters, streams) is not the program's change."""
    result = run_program(
        tmp_path,
        """\
        import argparse, logging, warnings
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("prog").info("hello")
        warnings.warn("careful")
        argparse.ArgumentParser(prog="prog").parse_args([])
        """,
        deep_isolation=True,
    )
    assert "module attributes" not in result.state_changes
    assert result.leaks == ()


def test_modules_of_the_program_are_forgotten_and_libraries_kept(tmp_path: Path) -> None:
    (tmp_path / "helper.py").write_text("VALUE = 1\n")
    sys.modules.pop("colorsys", None)
    result = run_program(tmp_path, "import helper, colorsys\n")
    assert "helper" not in sys.modules
    assert "colorsys" in sys.modules
    assert "colorsys" in result.new_modules
    assert "helper" not in result.new_modules


def test_atexit_functions_run_at_the_end_of_the_run_not_of_pytest(tmp_path: Path) -> None:
    callbacks = atexit._ncallbacks()
    result = run_program(
        tmp_path,
        """\
        import atexit
        atexit.register(print, "second")
        @atexit.register
        def first():
            print("first")
        print("main")
        """,
    )
    assert result.stdout == "main\nfirst\nsecond\n"
    assert atexit._ncallbacks() == callbacks


def test_non_daemon_thread_is_waited_for_and_not_a_leak(tmp_path: Path) -> None:
    result = run_program(
        tmp_path,
        """\
        import threading, time
        def work():
            time.sleep(0.05)
            print("thread done")
        threading.Thread(target=work).start()
        print("main done")
        """,
    )
    assert result.stdout == "main done\nthread done\n"
    assert result.leaks == ()


LEAKY_THREAD = """\
import threading
stop = threading.Event()
threading.Thread(target=stop.wait, name="lingering", daemon=True).start()
"""


def _stop(result: RunResult) -> None:
    result.globals["stop"].set()


def test_thread_left_running_fails_with_its_diff(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(LEAKY_THREAD)
    with pytest.raises(StateLeakError) as info:
        Runner().run_path(script)
    assert info.value.result is not None
    _stop(info.value.result)
    message = str(info.value)
    assert message.splitlines()[:3] == [
        f"python {script} left interpreter state behind that could not be put back:",
        "threads:",
        "    + thread 'lingering' (daemon) is still running",
    ]
    assert "isolation='warn'" in message


def test_file_left_open_is_a_leak(tmp_path: Path) -> None:
    data = tmp_path / "data.txt"
    data.write_text("x")
    result = run_program(tmp_path, f"f = open({str(data)!r})\n", isolation="off")
    try:
        (leak,) = result.leaks
        assert leak.name == "file descriptors"
        assert leak.lines[0].endswith(f"left open: {data}")
    finally:
        result.globals["f"].close()


def test_closed_file_is_not_a_leak(tmp_path: Path) -> None:
    result = run_program(tmp_path, "with open(__file__) as f:\n    f.read()\n")
    assert result.leaks == ()


def test_warn_mode_warns_and_off_mode_records(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text(LEAKY_THREAD)
    with pytest.warns(RunmainLeakWarning, match="thread 'lingering' .* is still running"):
        result = Runner().run_path(script, isolation="warn")
    _stop(result)
    result = Runner().run_path(script, isolation="off")
    _stop(result)
    assert [leak.name for leak in result.leaks] == ["threads"]


def test_state_unchanged_passes_and_fails_with_a_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    with state_unchanged():
        os.environ.get("HOME")

    def change_state() -> None:
        with state_unchanged():
            monkeypatch.setenv("RUNMAIN_BLOCK", "1")
            monkeypatch.syspath_prepend("/nowhere")

    with pytest.raises(StateChangedError) as info:
        change_state()
    assert str(info.value).splitlines() == [
        "interpreter state changed inside the block:",
        "sys.path:",
        "    + [0] '/nowhere'",
        "os.environ:",
        "    + RUNMAIN_BLOCK: '1'",
    ]


LATER_TESTS_UNAFFECTED = """
import logging, os, signal, sys
import pytest

BEFORE = {}

def snapshot():
    return {
        "root handlers": list(logging.root.handlers),
        "root level": logging.root.level,
        "stdout": sys.stdout,
        "SIGTERM": signal.getsignal(signal.SIGTERM),
        "cwd": os.getcwd(),
        "path": list(sys.path),
        "env": os.environ.get("LEAKY"),
        "recursion": sys.getrecursionlimit(),
    }

@pytest.fixture(autouse=True, scope="module")
def before():
    BEFORE.update(snapshot())

def test_leaky_program(run_path):
    result = run_path("leaky.py")
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "WARNING:root:configured\\n")

def test_later_test_sees_nothing_of_it():
    assert snapshot() == BEFORE

def test_second_run_behaves_like_the_first(run_path):
    result = run_path("leaky.py")
    assert (result.stdout, result.stderr) == ("", "WARNING:root:configured\\n")
"""

# The SIGTERM handler is only installed in the main thread, where Python allows it: the `-n 2`
# case runs its inner session under the installed pytest-xdist, and before 3.5 (the
# py310-pytestmin env) a worker runs its tests in the main thread or in another one, varying
# from run to run. The other changes are made and must be put back either way.
LEAKY_PROGRAM = """
import colorsys, logging, os, signal, sys, threading

class Wrapper:
    def __init__(self, stream):
        self.stream = stream
    def write(self, text):
        return self.stream.write(text)
    def flush(self):
        self.stream.flush()

logging.basicConfig()
sys.stdout = Wrapper(sys.stdout)
sys.stderr = Wrapper(sys.stderr)
if threading.current_thread() is threading.main_thread():
    signal.signal(signal.SIGTERM, lambda *a: None)
os.chdir("/")
sys.path.insert(0, "/nowhere")
os.environ["LEAKY"] = "1"
sys.setrecursionlimit(4000)
logging.warning("configured")
"""


@pytest.mark.parametrize("options", [[], ["-p", "no:logging"], ["-n", "2"]])
def test_programs_changing_global_state_leave_later_tests_unaffected(
    pytester: pytest.Pytester, options: list[str]
) -> None:
    pytester.makepyfile(leaky=LEAKY_PROGRAM, test_it=LATER_TESTS_UNAFFECTED)
    result = pytester.runpytest_subprocess(*options)
    result.assert_outcomes(passed=3)


def test_programs_changing_global_state_off_the_main_thread(pytester: pytest.Pytester) -> None:
    """The same session with its tests in a thread, as a pytest-xdist before 3.5 may run them.

    Whether such a worker runs its tests in the main thread varies from run to run; here they
    always run in another one, so that path is tested every time.
    """
    pytester.makepyfile(leaky=LEAKY_PROGRAM, test_it=LATER_TESTS_UNAFFECTED)
    session = (
        "import sys, threading, pytest\n"
        "codes = []\n"
        "args = ['-p', 'no:cacheprovider', '-p', 'no:faulthandler', 'test_it.py']\n"
        "thread = threading.Thread(target=lambda: codes.append(pytest.main(args)))\n"
        "thread.start(); thread.join()\n"
        "sys.exit(int(codes[0]))\n"
    )
    result = pytester.run(sys.executable, "-c", session)
    result.assert_outcomes(passed=3)


def test_leaks_are_listed_at_the_end_of_the_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        leak=LEAKY_THREAD.replace("stop.wait", "stop.wait, args=(30,)"),
        test_it="""
        import pytest

        @pytest.mark.runmain(isolation="warn")
        @pytest.mark.parametrize("n", [1, 2])
        def test_leaks(run_path, n):
            run_path("leak.py").globals["stop"].set()

        def test_fails(run_path):
            run_path("leak.py")
        """,
    )
    result = pytester.runpytest_subprocess("-n", "2", "-W", "ignore::pytest.PytestWarning")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*StateLeakError: python leak.py left interpreter state behind that could not*",
            "*= runmain: interpreter state left behind by runs =*",
            "python leak.py:",
            "  in test_it.py::test_*",
            "    threads:",
            "        + thread 'lingering' (daemon) is still running",
        ]
    )
    assert result.stdout.str().count("  in test_it.py::test_") == 3


def test_no_false_alarms_from_pytest_and_its_plugins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        quiet="import sys\nprint('quiet', sys.argv[1:])\n",
        test_it="""
        import logging, os, sys, warnings
        import pytest

        def test_capsys_monkeypatch_mocker(run_path, capsys, monkeypatch, mocker):
            monkeypatch.setenv("BEFORE_RUN", "1")
            monkeypatch.syspath_prepend("/before")
            mocker.patch("os.getpid", return_value=1)
            result = run_path("quiet.py")
            assert result.stdout == "quiet []\\n" and result.leaks == ()

        def test_recwarn_caplog(run_path, recwarn, caplog):
            caplog.set_level(logging.DEBUG)
            warnings.warn("test's own", UserWarning)
            result = run_path("quiet.py")
            assert result.leaks == () and len(recwarn) == 1

        @pytest.mark.timeout(30, method="signal")
        def test_timeout_signal_handler(run_path):
            assert run_path("quiet.py").leaks == ()
        """,
    )
    for options in ([], ["-n", "2"], ["--cov=.", "--cov-report="]):
        result = pytester.runpytest_subprocess(*options)
        result.assert_outcomes(passed=3)


def test_files_held_by_the_program_globals_are_judged_after_the_test(
    pytester: pytest.Pytester,
) -> None:
    """A file the globals keep open closes with them; one kept elsewhere is a leak."""
    pytester.makepyfile(
        held="f = open(__file__)\nprint('held')\n",
        kept="import json\njson._runmain_kept = open(__file__)\n",
        test_it="""
        import json, pytest

        def test_held_by_globals(run_path):
            result = run_path("held.py")
            assert result.stdout == "held\\n"
            assert [leak.deferred for leak in result.leaks] == [True]

        def test_kept_by_a_library(run_path):
            run_path("kept.py")

        @pytest.mark.runmain(isolation="warn")
        def test_kept_warn(run_path):
            run_path("kept.py")

        def test_close_them():
            json._runmain_kept.close()
        """,
    )
    result = pytester.runpytest_subprocess("-W", "always")
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_kept_by_a_library*",
            "*StateLeakError: python kept.py left interpreter state behind that could not*",
            "*file descriptors:",
            "*+ fd * left open: *kept.py",
        ]
    )
    result.stdout.fnmatch_lines(["*RunmainLeakWarning: python kept.py left interpreter state*"])
    result.stdout.no_fnmatch_line("*held.py left*")
