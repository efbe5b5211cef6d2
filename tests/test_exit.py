"""Exit statuses as a shell sees them, for every way a program can end."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_runmain import Runner
from pytest_runmain._exit import exit_status


@pytest.mark.parametrize(
    ("ending", "status", "printed"),
    [
        (None, 0, ""),
        (SystemExit(), 0, ""),
        (SystemExit(None), 0, ""),
        (SystemExit(0), 0, ""),
        (SystemExit(3), 3, ""),
        (SystemExit(255), 255, ""),
        (SystemExit(256), 0, ""),
        (SystemExit(257), 1, ""),
        (SystemExit(-1), 255, ""),
        (SystemExit(-256), 0, ""),
        (SystemExit(True), 1, ""),
        (SystemExit(False), 0, ""),
        (SystemExit(2**40 + 5), 5, ""),
        (SystemExit("bye"), 1, "bye\n"),
        (SystemExit([1]), 1, "[1]\n"),
        (SystemExit(1, 2), 1, "(1, 2)\n"),
        (SystemExit(ValueError("inner")), 1, "inner\n"),
        (ValueError("x"), 1, ""),
        (KeyboardInterrupt(), 130, ""),
        (GeneratorExit(), 1, ""),
    ],
    # No backslash in the ids: mutmut (tox -e mutation) selects tests by id on a command line.
    ids=lambda value: repr(value).replace("\\n", " newline"),
)
def test_exit_status(ending: BaseException | None, status: int, printed: str) -> None:
    stderr = io.StringIO()
    assert exit_status(ending, stderr) == status
    assert stderr.getvalue() == printed


def test_oversized_int_exits_255_with_the_interpreter_message() -> None:
    stderr = io.StringIO()
    assert exit_status(SystemExit(2**70), stderr) == 255
    message = "OverflowError: Python int too large to convert to C long\n"
    if sys.version_info < (3, 12):
        assert stderr.getvalue() == ""
    elif sys.version_info < (3, 13):
        assert stderr.getvalue() == message
    else:
        assert stderr.getvalue() == "Exception ignored on threading shutdown:\n" + message


#: Programs whose ending breaks what the interpreter reports with, and the status it gives.
BROKEN_ENDINGS = {
    "stderr-not-a-file": ("import sys\nsys.stderr = object()\nraise ValueError('x')\n", 120),
    "stderr-closed": ("import sys\nsys.stderr.close()\nraise ValueError('x')\n", 1),
    "stderr-none": ("import sys\nsys.stderr = None\nraise ValueError('x')\n", 1),
    "exit-code-str-raises": (
        "import sys\nclass Code:\n    def __str__(self):\n        raise RuntimeError('no str')\n"
        "sys.exit(Code())\n",
        1,
    ),
    "working-directory-removed": (
        "import os, tempfile\nd = tempfile.mkdtemp()\nos.chdir(d)\nos.rmdir(d)\nprint('gone')\n",
        0,
    ),
    "handler-raises-while-threads-are-joined": (
        "import os, signal, threading, time\n"
        "def handler(*args):\n    raise RuntimeError('from the handler')\n"
        "signal.signal(signal.SIGUSR1, handler)\n"
        "def work():\n    time.sleep(0.2)\n    signal.pthread_kill(threading.main_thread().ident,"
        " signal.SIGUSR1)\n    time.sleep(0.2)\n"
        "threading.Thread(target=work).start()\nprint('main done')\n",
        0,
    ),
}


@pytest.mark.usefixtures("main_thread")
@pytest.mark.parametrize(("source", "status"), BROKEN_ENDINGS.values(), ids=list(BROKEN_ENDINGS))
def test_a_broken_ending_gives_the_interpreter_status(
    tmp_path: Path, source: str, status: int
) -> None:
    """Not an internal error of the runner: the real program's status (compared here too)."""
    script = tmp_path / "prog.py"
    script.write_text(source)
    real = subprocess.run([sys.executable, str(script)], capture_output=True, check=False)
    assert real.returncode == status
    result = Runner().run_path(script)
    assert result.returncode == status, result.describe()


def test_no_stderr_means_no_traceback_anywhere(tmp_path: Path) -> None:
    script = tmp_path / "prog.py"
    script.write_text("import sys\nprint('out')\nsys.stderr = None\nraise ValueError('x')\n")
    result = Runner().run_path(script)
    assert (result.returncode, result.stdout, result.stderr) == (1, "out\n", "")
