"""Exit statuses as a shell sees them, for every way a program can end."""

from __future__ import annotations

import io
import sys

import pytest

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
    ids=repr,
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
