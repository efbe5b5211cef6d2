"""Subprocess and "both" modes, time limits, file-descriptor capture, coverage of children."""

from __future__ import annotations

import sys
import textwrap
import threading
from pathlib import Path
from typing import Literal

import pytest

from pytest_runmain import Runner
from pytest_runmain.modes import ModeMismatchError


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


UNBUFFERED = {"PYTHONUNBUFFERED": "1"}

PROGRAM = """\
import os, sys
name = sys.stdin.read().strip() or "nobody"
print("hello", name, os.environ.get("GREETING_MODE"), sys.argv[1:])
print("to stderr", file=sys.stderr)
sys.exit(3)
"""


@pytest.mark.parametrize("mode", ["inprocess", "subprocess"])
def test_same_result_api_in_both_places(
    tmp_path: Path, mode: Literal["inprocess", "subprocess"]
) -> None:
    script = write(tmp_path, "prog.py", PROGRAM)
    result = Runner().run_path(
        script, "a b", stdin="ada\n", env={"GREETING_MODE": "loud", **UNBUFFERED}, mode=mode
    )
    assert result.mode == mode
    assert result.returncode == 3
    assert result.stdout == "hello ada loud ['a b']\n"
    assert result.stderr == "to stderr\n"
    assert result.output == "hello ada loud ['a b']\nto stderr\n"
    assert result.argv == [str(script), "a b"]


def test_globals_of_a_subprocess_run_say_why_they_are_missing(tmp_path: Path) -> None:
    result = Runner().run_path(write(tmp_path, "prog.py", "x = 1\n"), mode="subprocess")
    assert result.exception is None
    with pytest.raises(AttributeError, match=r"ran in a subprocess \(mode='subprocess'\)"):
        _ = result.globals


def test_module_made_importable_by_the_test_imports_in_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "lib", "greetlib/__init__.py", "WORD = 'hi'\n")
    write(tmp_path / "lib", "greetlib/__main__.py", "from greetlib import WORD\nprint(WORD)\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    cwd = tmp_path / "elsewhere"
    cwd.mkdir()
    result = Runner().run_module("greetlib", mode="subprocess", cwd=cwd)
    assert (result.returncode, result.stdout) == (0, "hi\n"), result.stderr
    sys.modules.pop("greetlib", None)


def test_signal_death_is_reported_as_a_shell_does(tmp_path: Path) -> None:
    script = write(tmp_path, "die.py", "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n")
    assert Runner().run_path(script, mode="subprocess").returncode == 128 + 15


def test_both_mode_returns_the_inprocess_result_when_they_agree(tmp_path: Path) -> None:
    script = write(tmp_path, "prog.py", PROGRAM)
    result = Runner().run_path(script, stdin="bob", env=UNBUFFERED, mode="both")
    assert result.mode == "inprocess"
    assert result.globals["name"] == "bob"


def test_both_mode_fails_with_a_diff_when_they_differ(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        "prog.py",
        "import sys\nprint('inside' if 'pytest' in sys.modules else 'outside')\nsys.exit(0)\n",
    )
    with pytest.raises(ModeMismatchError) as info:
        Runner().run_path(script, mode="both")
    lines = str(info.value).splitlines()
    assert lines[:7] == [
        f"python {script} ended differently in-process and in a subprocess:",
        "--- stdout (subprocess)",
        "+++ stdout (in-process)",
        "@@ -1 +1 @@",
        "-outside",
        "+inside",
        "",
    ]
    assert info.value.subprocess.stdout == "outside\n"
    assert info.value.differences == ["\n".join(lines[1:6])]


@pytest.mark.parametrize(
    ("program", "shown"),
    [
        (
            "import sys\nprint('same')\nprint('pytest' in sys.modules, file=sys.stderr)\n",
            ["--- stderr (subprocess)", "+++ stderr (in-process)", "-False", "+True"],
        ),
        (
            "import sys\nprint('same')\nsys.exit(3 if 'pytest' in sys.modules else 4)\n",
            ["exit status: in-process 3, subprocess 4"],
        ),
    ],
    ids=["stderr-only", "status-only"],
)
def test_both_mode_compares_stderr_and_status_too(
    tmp_path: Path, program: str, shown: list[str]
) -> None:
    script = write(tmp_path, "prog.py", program)
    with pytest.raises(ModeMismatchError) as info:
        Runner().run_path(script, mode="both")
    lines = str(info.value).splitlines()
    assert [line for line in shown if line not in lines] == []
    assert not any(line.startswith("--- stdout") for line in lines)


LOOP = """\
import sys
print("started", flush=True)
while True:
    pass
"""

SWALLOWING_LOOP = """\
import time
print("started", flush=True)
for attempt in range(3):
    try:
        while True:
            time.sleep(0.01)
    except BaseException as exc:
        print("swallowed", type(exc).__name__, flush=True)
while True:
    pass
"""


@pytest.mark.parametrize("mode", ["inprocess", "subprocess"])
@pytest.mark.parametrize("program", [LOOP, SWALLOWING_LOOP], ids=["loop", "swallowing-loop"])
def test_timeout_stops_the_run_and_keeps_its_output(
    tmp_path: Path,
    mode: Literal["inprocess", "subprocess"],
    program: str,
    request: pytest.FixtureRequest,
) -> None:
    if mode == "inprocess":
        request.getfixturevalue("main_thread")
    result = Runner().run_path(write(tmp_path, "loop.py", program), timeout=0.3, mode=mode)
    assert result.timed_out
    assert result.returncode == 137
    assert result.stdout.startswith("started\n")
    assert "timed out: stopped at its time limit" in result.describe()


@pytest.mark.usefixtures("main_thread")
def test_inprocess_timeout_leaves_no_timer_behind(tmp_path: Path) -> None:
    import signal

    handler = signal.getsignal(signal.SIGALRM)
    result = Runner().run_path(write(tmp_path, "quick.py", "print('done')\n"), timeout=5)
    assert (result.timed_out, result.stdout) == (False, "done\n")
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler


def test_inprocess_timeout_and_pytest_timeout_together(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        loop=LOOP,
        test_it="""
        import pytest

        @pytest.mark.timeout(5, method="signal")
        def test_run_limit_first(run_path):
            assert run_path("loop.py", timeout=0.2).timed_out

        @pytest.mark.timeout(0.5, method="signal")
        def test_pytest_timeout_first(run_path):
            run_path("loop.py", timeout=30)
        """,
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_pytest_timeout_first*", "*Timeout*"])


def test_pytest_timeout_is_armed_again_after_a_run_with_a_timeout(
    pytester: pytest.Pytester,
) -> None:
    """The test hangs after its run: pytest-timeout's timer, set aside during the run, stops it."""
    pytester.makepyfile(
        quick="print('quick')\n",
        test_it="""
        import pytest

        @pytest.mark.timeout(2, method="signal")
        def test_hangs_after_a_run(run_path):
            assert run_path("quick.py", timeout=30).stdout == "quick\\n"
            while True:
                pass
        """,
    )
    result = pytester.runpytest_subprocess(timeout=60)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout*>2.0s*"])


def test_fd_capture_gets_output_of_c_code_and_children(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        "fd.py",
        """\
        import os, subprocess, sys
        print("python", flush=True)
        os.write(1, b"fd level\\n")
        subprocess.run([sys.executable, "-c", "print('child')"], check=True)
        os.write(2, b"fd err\\n")
        print("fileno", sys.stdout.fileno(), flush=True)
        """,
    )
    plain = Runner().run_path(script)
    # Without fd capture, descriptors 1 and 2 stay the test process's: only the descriptor
    # sys.stdout.fileno() gives is the run's.
    assert plain.returncode == 0
    assert plain.stdout.startswith("python\nfileno ")
    assert plain.stderr == ""
    result = Runner().run_path(script, capture="fd")
    assert result.stdout == "python\nfd level\nchild\nfileno 1\n"
    assert result.stderr == "fd err\n"
    assert Runner().run_path(script, capture="fd", mode="both").returncode == 0


def test_inprocess_timeout_outside_the_main_thread_says_what_to_do(tmp_path: Path) -> None:
    from pytest_runmain import OptionError

    script = write(tmp_path, "x.py", "")
    errors = []

    def run() -> None:
        try:
            Runner().run_path(script, timeout=1)
        except OptionError as exc:
            errors.append(str(exc))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert errors == [
        f"python {script}: an in-process timeout needs a timer signal and the main thread; "
        "run it with mode='subprocess'"
    ]


def test_threads_of_a_run_started_from_a_daemon_thread_are_waited_for(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        "t.py",
        """        import threading, time
        def late():
            time.sleep(0.05)
            print("late")
        threading.Thread(target=late).start()
        """,
    )
    results = []
    thread = threading.Thread(target=lambda: results.append(Runner().run_path(script)))
    thread.daemon = True
    thread.start()
    thread.join()
    assert results[0].stdout == "late\n"
    assert results[0].leaks == ()


def test_tty_is_inprocess_only(tmp_path: Path) -> None:
    from pytest_runmain import OptionError

    with pytest.raises(OptionError, match="tty=True is only available in-process"):
        Runner().run_path(write(tmp_path, "x.py", ""), tty=True, mode="subprocess")


def test_session_mode_from_the_command_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        prog="import sys\nprint('ran', 'pytest' in sys.modules)\n",
        test_it="""
        def test_it(run_path):
            result = run_path("prog.py")
            assert result.stdout == "ran False\\n"
            assert result.mode == "subprocess"
        """,
    )
    pytester.runpytest_inprocess("--runmain-mode=subprocess").assert_outcomes(passed=1)
    result = pytester.runpytest_inprocess("--runmain-mode=both")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ModeMismatchError: python prog.py ended differently*"])


def test_subprocess_runs_are_measured_by_coverage(pytester: pytest.Pytester) -> None:
    """With coverage's ``patch = subprocess``, pytest-cov measures subprocess-mode runs."""
    pytester.makefile(".cfg", setup="[coverage:run]\npatch = subprocess\n")
    pytester.makepyfile(
        cli="import sys\nif sys.argv[1:]:\n    print('branch taken')\nelse:\n    print('no')\n",
        test_it="""
        def test_it(run_path):
            assert run_path("cli.py", "x", mode="subprocess").stdout == "branch taken\\n"
        """,
    )
    result = pytester.runpytest_subprocess("--cov=.", "--cov-report=term-missing")
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines([r"cli\.py\s+4\s+1\s+75%\s+5"])


# --- mode="both": what two processes cannot share, and the files the runs write --------------

FUNCTIONS = """\
def greet(name):
    return f"hello {name}"

class Greeter:
    pass

print(greet, Greeter())
"""


def test_addresses_are_normalised_so_dis_agrees_both_ways(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        funcs=FUNCTIONS,
        test_it="""
        def test_dis(run_module):
            result = run_module("dis", "funcs.py")
            assert result.returncode == 0, result.stderr
            assert "Disassembly of <code object greet at 0x" in result.stdout

        def test_reprs(run_path):
            assert " object at 0x" in run_path("funcs.py").stdout
        """,
    )
    pytester.runpytest_inprocess("--runmain-mode=both").assert_outcomes(passed=2)


def test_a_mismatch_shows_the_raw_outputs_and_the_normalised_diff(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        "prog.py",
        "import sys\nclass A: pass\nprint(A(), 'pytest' in sys.modules)\n",
    )
    with pytest.raises(ModeMismatchError) as info:
        Runner().run_path(script, mode="both")
    [difference] = info.value.differences
    assert difference.splitlines()[-2:] == [
        "-<__main__.A object at 0x...> False",
        "+<__main__.A object at 0x...> True",
    ]
    message = str(info.value)
    for result in (info.value.inprocess, info.value.subprocess):
        assert result.stdout.startswith("<__main__.A object at 0x")
        assert f"    {result.stdout.strip()}" in message.splitlines()
    assert "replacing the matches of '(?<= at 0x)[0-9a-fA-F]+' with '...'" in message


PID = "import os\nprint('pid', os.getpid())\n"


def test_the_normalize_option_normalises_more(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(pid=PID)
    pytester.makeini("[pytest]\nrunmain_mode = both\n")
    pytester.makepyfile(
        test_it="""
        import pytest
        from pytest_runmain import ModeMismatchError

        def test_without(run_path):
            with pytest.raises(ModeMismatchError, match="pid"):
                run_path("pid.py")

        @pytest.mark.runmain(normalize=r"(?<=pid )\\d+")
        def test_with_a_marker(run_path):
            assert run_path("pid.py").stdout.startswith("pid ")
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)
    result = pytester.runpytest_inprocess("--runmain-normalize", r"pid \d+", "-k", "with_a")
    result.assert_outcomes(passed=1)


def test_a_compare_hook_normalises_something_else(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(pid=PID)
    pytester.makeconftest(
        """
        def pytest_runmain_compare(comparison, item):
            if item.name == "test_hooked":
                return comparison.differences(normalize=[r"(?<=pid )\\d+"])
            return None
        """
    )
    pytester.makepyfile(
        test_it="""
        import pytest
        from pytest_runmain import ModeMismatchError

        def test_hooked(run_path):
            run_path("pid.py", mode="both")

        def test_default(run_path):
            with pytest.raises(ModeMismatchError):
                run_path("pid.py", mode="both")
        """
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=2)


def test_a_compare_hook_can_find_differences_of_its_own(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(same="print('same')\n")
    pytester.makeconftest(
        """
        def pytest_runmain_compare(comparison, item):
            if comparison.inprocess.duration >= 0:
                return [f"{comparison.subprocess.mode} is another mode"]
        """
    )
    pytester.makepyfile(
        test_it="""
        def test_it(run_path):
            run_path("same.py", mode="both")

        def test_other_modes_are_not_compared(run_path):
            run_path("same.py")
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*ModeMismatchError: python same.py ended differently*", "E *subprocess is another mode"]
    )


def test_a_compare_hook_must_return_a_list(tmp_path: Path) -> None:
    script = write(tmp_path, "prog.py", "")
    runner = Runner(compare=lambda comparison: True)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"must return a list of differences .* not True"):
        runner.run_path(script, mode="both")


COUNTER = """\
from pathlib import Path
counter = Path("count.txt")
value = int(counter.read_text()) + 1
counter.write_text(f"{value}\\n")
Path("generated").mkdir()
Path("generated/out.txt").write_text("generated\\n")
print("count", value)
"""


def test_a_program_that_changes_its_files_agrees_both_ways(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        counter=COUNTER,
        test_it="""
        from pathlib import Path

        def test_in_tmp_path(run_path, tmp_path):
            (tmp_path / "count.txt").write_text("1\\n")
            Path("counter.py").replace(tmp_path / "counter.py")
            result = run_path("counter.py", cwd=tmp_path)
            assert result.stdout == "count 2\\n"
            assert (tmp_path / "count.txt").read_text() == "2\\n"
            assert (tmp_path / "generated" / "out.txt").exists()
        """,
    )
    pytester.runpytest_inprocess("--runmain-mode=both").assert_outcomes(passed=1)


def test_files_that_differ_between_the_modes_are_a_mismatch(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        writer="""
        import sys
        from pathlib import Path
        where = "in" if "_pytest" in sys.modules else "out"
        Path("report.txt").write_text(f"header\\nwritten {where}side\\n")
        Path(f"{where}.marker").write_text("")
        """,
        test_it="""
        from pathlib import Path

        import pytest
        from pytest_runmain import ModeMismatchError

        def test_it(run_path, tmp_path):
            with pytest.raises(ModeMismatchError) as info:
                run_path(Path("writer.py").resolve(), mode="both", cwd=tmp_path)
            assert info.value.inprocess.stdout == info.value.subprocess.stdout == ""
            assert info.value.differences == [
                "files only the subprocess run left: out.marker",
                "files only the in-process run left: in.marker",
                "--- report.txt (subprocess)\\n+++ report.txt (in-process)\\n@@ -1,2 +1,2 @@\\n"
                " header\\n-written outside\\n+written inside",
            ]
        """,
    )
    pytester.runpytest_inprocess().assert_outcomes(passed=1)


def test_a_cwd_outside_the_temporary_directories_is_not_put_back(tmp_path: Path) -> None:
    (tmp_path / "count.txt").write_text("1\n")
    script = write(
        tmp_path, "counter.py", "\n".join([*COUNTER.splitlines()[:4], "print('count', value)\n"])
    )
    with pytest.raises(ModeMismatchError) as info:
        Runner().run_path(script, cwd=tmp_path, mode="both")
    assert (info.value.subprocess.stdout, info.value.inprocess.stdout) == ("count 2\n", "count 3\n")
    result = Runner(own_directories=lambda: [tmp_path]).run_path(script, cwd=tmp_path, mode="both")
    assert result.stdout == "count 4\n"


def test_a_directory_too_large_to_snapshot_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_runmain import runner
    from pytest_runmain._workdir import snapshot_tree
    from pytest_runmain.modes import RunmainSnapshotWarning

    monkeypatch.setattr(runner, "snapshot_tree", lambda root: snapshot_tree(root, max_bytes=10))
    (tmp_path / "big.txt").write_text("x" * 11)
    script = write(tmp_path, "prog.py", "print('ok')\n")
    own = Runner(own_directories=lambda: [tmp_path])
    message = (
        r"cannot snapshot its working directory before the runs \(.* more than 10 bytes .*\): "
        "the in-process run starts from what the subprocess run left"
    )
    with pytest.warns(RunmainSnapshotWarning, match=message):
        assert own.run_path(script, cwd=tmp_path, mode="both").stdout == "ok\n"
