"""The run's standard streams answer like pipes and keep everything written to them."""

from __future__ import annotations

import io
import locale
import os
from pathlib import Path

import pytest

from pytest_runmain import Runner
from pytest_runmain._capture import StdioCapture, stdio_encoding


def test_streams_look_like_pipes() -> None:
    capture = StdioCapture(None, {"PYTHONIOENCODING": "utf-8"})
    for stream in (capture.stdin, capture.stdout, capture.stderr):
        assert not stream.isatty()
        assert stream.encoding == "utf-8"
    assert (capture.stdout.errors, capture.stderr.errors) == ("strict", "backslashreplace")
    assert capture.stdin.read() == ""


def test_descriptors_made_on_demand_keep_the_order_of_writes() -> None:
    capture = StdioCapture(None, {"PYTHONUNBUFFERED": "1"})
    capture.start()
    try:
        capture.stdout.write("a")
        os.write(capture.stdout.fileno(), b"b")
        capture.stderr.write("c")
        capture.stdout.write("d")
        os.write(capture.stderr.fileno(), b"e")
        capture.stdout.buffer.write(b"f")
        capture.stdout.buffer.flush()
        os.write(capture.stdout.fileno(), b"g")
        fds = (capture.stdout.fileno(), capture.stderr.fileno())
    finally:
        capture.stop()
    assert (capture.stdout_bytes, capture.stderr_bytes) == (b"abdfg", b"ce")
    assert capture.output_bytes == b"abcdefg"
    for fd in fds:
        with pytest.raises(OSError, match="Bad file descriptor"):
            os.fstat(fd)
    with pytest.raises(ValueError, match="is over"):
        capture.stdout.fileno()


def test_a_descriptor_the_program_closed_is_left_alone(tmp_path: Path) -> None:
    """Its number may be another file's by the end of the run: neither read nor closed."""
    (tmp_path / "other").write_bytes(b"not output")
    capture = StdioCapture(None, {"PYTHONUNBUFFERED": "1"})
    capture.start()
    try:
        fd = capture.stdout.fileno()
        os.write(fd, b"a")
        capture.stdout.write("b")
        os.close(fd)
        other = os.open(tmp_path / "other", os.O_RDONLY)
        capture.stdout.write("c")
    finally:
        capture.stop()
    try:
        assert capture.stdout_bytes == b"abc"
        assert os.read(other, 100) == b"not output"
    finally:
        os.close(other)


def test_stdin_descriptor_shares_the_position_with_the_stream() -> None:
    capture = StdioCapture("one\ntwo\nthree\n", {})
    capture.start()
    try:
        fd = capture.stdin.fileno()
        assert os.read(fd, 4) == b"one\n"
        assert capture.stdin.readline() == "two\n"
    finally:
        capture.stop()
    with pytest.raises(OSError, match="Bad file descriptor"):
        os.fstat(fd)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PYTHONIOENCODING": "latin-1"}, ("iso8859-1", "strict")),
        ({"PYTHONIOENCODING": "utf-8:replace"}, ("utf-8", "replace")),
        ({"PYTHONIOENCODING": ":namereplace", "LANG": "C.UTF-8"}, ("utf-8", "namereplace")),
        ({"PYTHONUTF8": "1", "LANG": "en_US.ISO-8859-1"}, ("utf-8", "surrogateescape")),
        ({"LANG": "C.UTF-8"}, ("utf-8", "surrogateescape")),
        ({"LC_ALL": "C", "LANG": "en_US.UTF-8"}, ("utf-8", "surrogateescape")),
        ({"LC_ALL": "C", "PYTHONUTF8": "0"}, ("ascii", "surrogateescape")),
        ({"LC_ALL": "xx_XX.NOSUCH", "PYTHONUTF8": "0"}, ("ascii", "surrogateescape")),
        ({"LANG": "xx_XX.NOSUCH", "PYTHONUTF8": "0"}, ("utf-8", "surrogateescape")),
        (
            {"LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
            ("ascii", "surrogateescape"),
        ),
    ],
    ids=[
        "encoding-means-strict",
        "encoding-and-errors",
        "errors-only",
        "utf8-mode",
        "coercion-target-locale",
        "legacy-c-locale-is-utf8-mode",
        "c-locale-without-utf8-mode-is-ascii",
        "unknown-lc-all-is-the-c-locale",
        "unknown-lang-is-coerced-to-utf-8",
        "no-coercion",
    ],
)
def test_encoding_and_errors_as_the_interpreter_derives_them(
    env: dict[str, str], expected: tuple[str, str | None]
) -> None:
    assert stdio_encoding(env) == expected


def _installed(name: str) -> bool:
    saved = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, name)
    except locale.Error:
        return False
    locale.setlocale(locale.LC_CTYPE, saved)
    return True


@pytest.mark.parametrize(
    ("name", "expected"),
    [("en_US.ISO-8859-1", ("iso8859-1", "strict")), ("en_US.UTF-8", ("utf-8", "strict"))],
)
def test_an_installed_locale_gives_its_codeset(name: str, expected: tuple[str, str]) -> None:
    if not _installed(name):
        pytest.skip(reason=f"the C library has no {name} locale here (see `locale -a`)")
    assert stdio_encoding({"LANG": name}) == expected


def test_an_uninstalled_locale_is_the_c_locale_coerced_to_utf_8() -> None:
    """As under the interpreter: the C library refuses it, so the C locale applies."""
    assert not _installed("xx_XX.ISO-8859-1")
    assert stdio_encoding({"LANG": "xx_XX.ISO-8859-1"}) == ("utf-8", "surrogateescape")


def test_buffered_stdout_reaches_the_output_at_flush() -> None:
    """Without PYTHONUNBUFFERED stdout is block-buffered and stderr line-buffered, as on a pipe.

    The text layer holds its own pending text, so bytes written to ``.buffer`` overtake it:
    ``env -u PYTHONUNBUFFERED python3 prog.py 2>&1 | cat`` prints the same order.
    """
    capture = StdioCapture(None, {})
    capture.stdout.write("out1\n")
    capture.stderr.write("err1\n")
    capture.stdout.buffer.write(b"raw\n")
    capture.flush()
    assert capture.output_bytes == b"err1\nraw\nout1\n"
    assert capture.stdout_bytes == b"raw\nout1\n"


def test_unbuffered_streams_interleave_in_write_order() -> None:
    capture = StdioCapture(None, {"PYTHONUNBUFFERED": "1"})
    capture.stdout.write("out1\n")
    capture.stderr.write("err1\n")
    capture.stdout.buffer.write(b"raw\n")
    capture.flush()
    assert capture.output_bytes == b"out1\nerr1\nraw\n"


def test_closed_stream_keeps_what_was_written() -> None:
    capture = StdioCapture(None, {})
    capture.stdout.write("kept")
    capture.stdout.close()
    capture.flush()
    assert capture.stdout_bytes == b"kept"


def test_stdin_text_is_encoded_with_the_run_encoding() -> None:
    capture = StdioCapture("é\n", {"PYTHONIOENCODING": "latin-1"})
    assert capture.stdin.buffer.read() == b"\xe9\n"


def test_adjacent_writes_to_one_stream_share_a_journal_entry_in_order() -> None:
    capture = StdioCapture(None, {"PYTHONUNBUFFERED": "1"})
    for i in range(3):
        capture.stdout.write(f"o{i} ")
    capture.stderr.write("e0 ")
    capture.stderr.write("e1 ")
    capture.stdout.write("o3")
    capture.flush()
    assert capture.output_bytes == b"o0 o1 o2 e0 e1 o3"
    assert (capture.stdout_bytes, capture.stderr_bytes) == (b"o0 o1 o2 o3", b"e0 e1 ")
    assert [stream for stream, _, _ in capture._output.journal] == ["stdout", "stderr", "stdout"]


def test_truncating_keeps_what_was_written_up_to_the_level() -> None:
    capture = StdioCapture(None, {"PYTHONUNBUFFERED": "1"})
    capture.stdout.write("out1\n")
    capture.stderr.write("err1\n")
    capture.stdout.write("out2\n")
    level = capture.level()
    capture.stdout.write("lost\n")
    capture.stderr.write("lost\n")
    capture.truncate(level)
    assert capture.output_bytes == b"out1\nerr1\nout2\n"
    assert capture.stdout_bytes == b"out1\nout2\n"
    assert capture.stderr_bytes == b"err1\n"


@pytest.mark.parametrize("env", [{}, {"PYTHONUNBUFFERED": "1"}])
def test_the_raw_stdout_is_a_write_only_pipe(env: dict[str, str]) -> None:
    capture = StdioCapture(None, env)
    buffer = capture.stdout.buffer
    raw = getattr(buffer, "raw", buffer)
    assert (raw.name, raw.writable(), raw.readable(), raw.seekable()) == (
        "<stdout>",
        True,
        False,
        False,
    )
    with pytest.raises(io.UnsupportedOperation):
        raw.read()


def test_a_run_that_never_asks_makes_no_descriptor(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(name: str) -> int:
        raise AssertionError(f"a descriptor was made: {name}")

    monkeypatch.setattr("pytest_runmain._capture._temporary_descriptor", refuse)
    script = tmp_path / "prog.py"
    script.write_text("import sys\nprint('out')\nprint('err', file=sys.stderr)\n")
    result = Runner().run_path(script)
    assert (result.returncode, result.stdout, result.stderr) == (0, "out\n", "err\n")
    script.write_text("import sys\nsys.stdout.fileno()\n")
    asked = Runner().run_path(script)
    assert "a descriptor was made: runmain-stdout" in asked.stderr
