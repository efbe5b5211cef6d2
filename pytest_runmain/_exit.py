"""How a run ends: the exit status a shell sees and what the interpreter prints on the way out.

The interpreter turns ``SystemExit`` into a status with C ``long``/``int`` arithmetic and the
OS keeps the low 8 bits; any other object is printed. An uncaught exception goes through
``sys.excepthook``; the default one prints a traceback that, for ``-m``, a directory or a zip,
starts with runpy's own frames (``<frozen runpy>`` from 3.11). :func:`report_ending` writes the
same text to the run's stderr: frames of pytest-runmain are taken out, and the frames of
functions that stand for a runpy function are shown as runpy's, at runpy's line numbers.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Final, NoReturn, TextIO

from pytest_runmain._runpy_source import runpy_source

__all__ = [
    "FLUSH_FAILED_STATUS",
    "SIGINT_STATUS",
    "TupleExits",
    "exit_status",
    "flush_std_files",
    "report_ending",
    "report_ignored_at_shutdown",
    "signal_name",
    "strip_internal_frames",
    "with_line_numbers",
]

_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__))

#: The exit status of a process killed by SIGINT, as a shell reports it.
SIGINT_STATUS: Final = 128 + signal.SIGINT

_TRAILING_COMMENT: Final = re.compile(r"\s+#.*$")

_C_LONG_MIN: Final = -(2**63)
_C_LONG_MAX: Final = 2**63 - 1

#: What the interpreter prints when ``SystemExit``'s int does not fit a C long (it exits 255).
_OVERFLOW_REPORT: Final = {
    (3, 10): "",
    (3, 11): "",
    (3, 12): "OverflowError: Python int too large to convert to C long\n",
}.get(
    sys.version_info[:2],
    "Exception ignored on threading shutdown:\n"
    "OverflowError: Python int too large to convert to C long\n",
)

#: Our functions that stand for a function of runpy, by name: their frames are shown as runpy's.
RUNPY_FUNCTIONS: Final[Mapping[str, str]] = {
    "run_as_main": "_run_module_as_main",
    "find_module_code": "_get_module_details",
    "find_main_module_code": "_get_main_module_details",
}

#: Statements of those functions written differently from runpy's: ours -> runpy's (the first
#: line of it). The other statements are written as runpy writes them.
_RUNPY_STATEMENTS: Final[Mapping[str, str]] = dict(
    [
        (
            "located = find_module_code(mod_name, error)",
            "mod_name, mod_spec, code = _get_module_details(mod_name, _Error)",
        ),
        (
            "located = find_main_module_code(error)",
            "mod_name, mod_spec, code = _get_main_module_details(_Error)",
        ),
        (
            "return find_module_code(pkg_main_name, error)",
            "return _get_module_details(pkg_main_name, error)",
        ),
        ("return find_module_code(MAIN_NAME)", "return _get_module_details(main_name)"),
    ]
)


def exit_status(exc: BaseException | None, stderr: TextIO) -> int:
    """The status ``python`` exits with when its main code ended with *exc*.

    Prints to *stderr* what the interpreter prints for a ``SystemExit`` that is not an int
    or None. Uncaught exceptions give 1, ``KeyboardInterrupt`` itself (not a subclass) the
    shell's status of a death by SIGINT (130); their traceback is :func:`report_ending`'s job.
    """
    if exc is None:
        return 0
    if isinstance(exc, SystemExit):
        # A tuple given to 3.10's or 3.11's sys.exit: what the C code saw, printed whole.
        code = vars(exc).get(_TUPLE_ARGUMENT, exc.code)
        if code is None:
            return 0
        if isinstance(code, int):
            if not _C_LONG_MIN <= code <= _C_LONG_MAX:
                stderr.write(_OVERFLOW_REPORT)
                return 255
            return code & 0xFF
        try:
            text = f"{code}\n"
        except Exception as exc:  # its __str__ fails: what the interpreter then prints
            stderr.write(_STR_FAILED_NEWLINE)
            if _STR_FAILED_HEADING is not None:
                stderr.write(_STR_FAILED_HEADING + _format_ignored(exc))
            return 1
        stderr.write(text)
        return 1
    if type(exc) is KeyboardInterrupt:  # a subclass is an ordinary error to the interpreter
        return SIGINT_STATUS
    return 1


#: Where :class:`TupleExits` notes the tuple ``sys.exit`` was given.
_TUPLE_ARGUMENT: Final = "_pytest_runmain_sys_exit_argument"


class TupleExits:
    """``sys.exit(t)`` with a tuple *t*, as Python 3.10 and 3.11 end with it (a no-op later).

    There ``sys.exit`` hands *t* to the C code unwrapped: caught, it is ``SystemExit(*t)`` (so
    ``sys.exit(())`` has ``code`` None), but uncaught the interpreter prints *t* itself and
    exits 1. For the run, ``sys.exit`` is a function that raises the same exception and notes
    *t* on it, for :func:`exit_status`.
    """

    def __init__(self) -> None:
        self._original: Callable[..., object] | None = None

    def __enter__(self) -> TupleExits:
        if _EXIT_PASSES_TUPLES_UNWRAPPED:
            self._original = sys.exit
            sys.exit = _exit_with_tuple_noted
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._original is not None and sys.exit is _exit_with_tuple_noted:
            sys.exit = self._original  # type: ignore[assignment]


def _exit_with_tuple_noted(status: object = None, /) -> NoReturn:
    """``sys.exit`` as 3.10 and 3.11 raise it, with a tuple argument noted."""
    if type(status) is not tuple:
        raise SystemExit(status)
    exc = SystemExit(*status)
    vars(exc)[_TUPLE_ARGUMENT] = status
    raise exc


_EXIT_PASSES_TUPLES_UNWRAPPED: Final = sys.version_info < (3, 12)


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15; ``signal 64`` for a number the platform gives no name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _is_internal(filename: str) -> bool:
    return os.path.dirname(os.path.abspath(filename)) == _PACKAGE_DIR


def strip_internal_frames(tb: TracebackType | None) -> TracebackType | None:
    """*tb* without its leading frames of pytest-runmain: where the program's frames start."""
    while tb is not None and _is_internal(tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    return tb


def _as_runpy_frame(frame: traceback.FrameSummary) -> traceback.FrameSummary | None:
    """The runpy frame that *frame* of ours stands for, or None to leave it out."""
    runpy_name = RUNPY_FUNCTIONS.get(frame.name)
    source = runpy_source()
    if runpy_name is None or source is None:
        return None
    statement = _TRAILING_COMMENT.sub("", frame.line or "").strip()
    lineno = source.line_of(runpy_name, _RUNPY_STATEMENTS.get(statement, statement))
    if lineno is None:
        return None
    return traceback.FrameSummary(source.filename, lineno, runpy_name, lookup_line=False)


def with_line_numbers(tb: TracebackType | None) -> TracebackType | None:
    """*tb* with a line number in every entry, for tools that need one (pytest's reports).

    An exception raised by a signal handler (pytest-timeout's) can land on an instruction
    without a line, such as the jump back of ``while True: pass``; its entry then has
    ``tb_lineno`` None. Such entries get their frame's current or first line.
    """
    entries = []
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    if all(entry.tb_lineno is not None for entry in entries):
        return entries[0] if entries else None
    rebuilt: TracebackType | None = None
    for entry in reversed(entries):
        lineno = entry.tb_lineno
        if lineno is None:
            lineno = entry.tb_frame.f_lineno or entry.tb_frame.f_code.co_firstlineno
        rebuilt = TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, lineno)
    return rebuilt


#: From 3.13 the interpreter prints uncaught exceptions with the traceback module, which finds
#: source lines through the module's loader (in a zip too). Before, C code printed them: source
#: lines only from files on disk, and its own caret rules for a SyntaxError.
_PYTHON_DISPLAY: Final = sys.version_info >= (3, 13)


def _as_displayed_by_c(frame: traceback.FrameSummary) -> traceback.FrameSummary:
    """*frame* without a source line where the C traceback printer finds none (not a file)."""
    if os.path.isfile(frame.filename):
        return frame
    return traceback.FrameSummary(
        frame.filename, frame.lineno, frame.name, lookup_line=False, line=""
    )


def _c_syntax_error_lines(exc: SyntaxError) -> list[str]:
    """What the C printer of Python 3.10 to 3.12 writes for a SyntaxError, after the traceback.

    Its ``print_exception``: only a plain SyntaxError's end position counts (subclasses such as
    IndentationError get one caret), a multi-line error is underlined to the end of its first
    line, and the text is handled as UTF-8 bytes. Without a line number (the tokenizer's
    encoding errors) it falls back to the plain ``Name: message`` of other exceptions.
    """
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module != "builtins" and (module != "__main__" or _QUALIFIES_MAIN):
        name = f"{module}.{name}"
    if not isinstance(exc.lineno, int):
        message = str(exc)
        return [f"{name}: {message}\n" if message else f"{name}\n"]
    lines = [
        f'  File "{exc.filename if exc.filename is not None else "<string>"}", line {exc.lineno}\n'
    ]
    if exc.text is not None:
        offset = exc.offset if exc.offset is not None else -1
        lineno = exc.lineno or 0
        if type(exc) is SyntaxError:
            end_lineno = exc.end_lineno if exc.end_lineno is not None else lineno
            end_offset = exc.end_offset if exc.end_offset is not None else -1
        else:
            end_lineno, end_offset = lineno, -1
        text = exc.text.encode("utf-8", "surrogateescape")
        if end_lineno > lineno:
            end_offset = len(text)
        end_offset = min(end_offset, len(text) + 1)
        lines.append(_c_error_text(offset, end_offset, text))
    message = str(exc.msg)
    lines.append(f"{name}: {message}\n" if message else f"{name}\n")
    return lines


def _c_error_text(offset: int, end_offset: int, text: bytes) -> str:
    """CPython 3.10-3.12 ``print_error_text``: the source line and its carets."""
    carets = end_offset - offset if end_offset > 0 and end_offset > offset else 1
    offset -= 1
    stripped = text.lstrip(b" \t\f")
    offset -= len(text) - len(stripped)
    text = stripped.split(b"\0", 1)[0]  # as C's string functions, which stop at a NUL
    length = len(text) - 1 if text.endswith(b"\n") else len(text)
    offset = min(offset, length)
    while (newline := text.find(b"\n")) != -1 and newline < offset:
        text, length, offset = text[newline + 1 :], length - newline - 1, offset - newline - 1
    out = b"    " + text
    if text[length : length + 1] != b"\n":
        out += b"\n"
    if offset >= 0:
        out += b"    " + b" " * offset + b"^" * carets + b"\n"
    return out.decode("utf-8", "surrogateescape")


def _render_stack(tb: TracebackType | None, as_main: bool) -> traceback.StackSummary:
    frames: list[traceback.FrameSummary] = []
    for frame in traceback.extract_tb(tb):
        if not _is_internal(frame.filename):
            frames.append(frame if _PYTHON_DISPLAY else _as_displayed_by_c(frame))
        elif as_main and (runpy_frame := _as_runpy_frame(frame)) is not None:
            frames.append(runpy_frame)
    return traceback.StackSummary.from_list(frames)


def format_uncaught(exc: BaseException, *, as_main: bool) -> str:
    """The text the default ``sys.excepthook`` prints for *exc* under the real command line.

    *as_main* is true where runpy's ``_run_module_as_main`` ran the code (``-m``, a directory,
    a zip); there our frames are replaced by runpy's, elsewhere they are left out.
    """
    te = traceback.TracebackException(type(exc), exc, exc.__traceback__, compact=True)
    _restack(te, exc, as_main)
    lines = list(te.format())
    if isinstance(exc, SyntaxError) and not _PYTHON_DISPLAY:
        own = list(te.format_exception_only())
        if lines[-len(own) :] == own:
            lines[-len(own) :] = _c_syntax_error_lines(exc)
    if _QUALIFIES_MAIN:  # after the SyntaxError lines, which are compared with the module's
        lines = _qualify_main_classes(lines, exc)
    return "".join(lines)


#: Python 3.10's C printer names an exception class of ``__main__`` ``__main__.Error``; the
#: traceback module (and the printers of later versions) leave the module out.
_QUALIFIES_MAIN: Final = sys.version_info < (3, 11)


def _qualify_main_classes(lines: list[str], exc: BaseException) -> list[str]:
    """Prefix ``__main__.`` to the final line of each exception of a ``__main__`` class."""
    names = set()
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if type(current).__module__ == "__main__":
            names.add(type(current).__qualname__)
        pending += [current.__cause__, current.__context__]
    qualified = []
    for line in lines:
        name = line.split(":", 1)[0].rstrip("\n")
        if not line.startswith(" ") and name in names:
            line = "__main__." + line
        qualified.append(line)
    return qualified


def _restack(te: traceback.TracebackException, exc: BaseException, as_main: bool) -> None:
    """Replace the stacks of *te* and its chained exceptions, walking *exc*'s chain alongside."""
    te.stack = _render_stack(exc.__traceback__, as_main)
    for chained_te, chained_exc in (
        (te.__cause__, exc.__cause__),
        (te.__context__, exc.__context__),
    ):
        if chained_te is not None and chained_exc is not None:
            _restack(chained_te, chained_exc, as_main=False)


def report_ending(
    exc: BaseException | None,
    stderr: TextIO,
    *,
    as_main: bool,
    excepthook: Callable[[type[BaseException], BaseException, TracebackType | None], object],
) -> int:
    """Print what the interpreter prints when its main code ends with *exc*; return the status.

    *excepthook* is ``sys.excepthook`` as the program left it: when the program installed its
    own, it is called as the interpreter would call it (with pytest-runmain's frames taken out
    of the traceback); otherwise the default hook's text is written to *stderr*.
    """
    if exc is None or isinstance(exc, SystemExit):
        return exit_status(exc, stderr)
    if excepthook is sys.__excepthook__:
        stderr.write(format_uncaught(exc, as_main=as_main))
    else:
        try:
            excepthook(type(exc), exc, strip_internal_frames(exc.__traceback__))
        except SystemExit as hook_exit:
            # The interpreter exits at once with a hook's SystemExit, as with the program's.
            return exit_status(hook_exit, stderr)
        except BaseException as hook_exc:
            stderr.write("Error in sys.excepthook:\n")
            stderr.write(format_uncaught(hook_exc, as_main=False))
            stderr.write("\nOriginal exception was:\n")
            stderr.write(format_uncaught(exc, as_main=as_main))
    return exit_status(exc, stderr)


#: The status the interpreter exits with when flushing ``sys.stdout`` or ``sys.stderr`` at exit
#: fails, whatever status the program gave.
FLUSH_FAILED_STATUS: Final = 120

#: How the interpreter introduces the error of flushing ``sys.stdout`` at exit.
_FLUSH_REPORT: Final = (
    "Exception ignored on flushing sys.stdout:\n" if sys.version_info >= (3, 13) else None
)


def _is_closed(stream: object) -> bool:
    """The C ``file_is_closed``: a ``closed`` attribute that is true; errors count as open."""
    try:
        return bool(stream.closed)  # type: ignore[attr-defined]
    except Exception:
        return False


def flush_std_files() -> bool:
    """Flush ``sys.stdout`` and ``sys.stderr`` as the interpreter does at exit; False if it failed.

    A failing ``sys.stdout`` is reported on ``sys.stderr`` as an exception ignored (an
    unraisable exception, printed by the default hook); a failing ``sys.stderr`` is silent. A
    stream that is None or closed is passed over. Either failure makes the interpreter exit
    with :data:`FLUSH_FAILED_STATUS`.
    """
    ok = True
    stdout, stderr = sys.stdout, sys.stderr
    if stdout is not None and not _is_closed(stdout):
        try:
            stdout.flush()
        except Exception as exc:
            ok = False
            _report_ignored(exc, stdout, stderr)
    if stderr is not None and not _is_closed(stderr):
        try:
            stderr.flush()
        except Exception:
            ok = False
    return ok


def _report_ignored(exc: BaseException, obj: object, stderr: TextIO | None) -> None:
    if stderr is None:
        return
    heading = _FLUSH_REPORT
    if heading is None:
        try:
            heading = f"Exception ignored in: {obj!r}\n"
        except Exception:
            heading = "Exception ignored in: <object repr() failed>\n"
    try:
        stderr.write(heading + _format_ignored(exc))
        stderr.flush()
    except Exception:
        pass


#: What the interpreter prints when ``str()`` of a ``SystemExit`` code fails, by version: an
#: empty line (not on 3.11), then the error's traceback (3.12), introduced on 3.13 as ignored.
_STR_FAILED_NEWLINE: Final = "" if sys.version_info[:2] == (3, 11) else "\n"
_STR_FAILED_HEADING: Final = {(3, 10): None, (3, 11): None, (3, 12): ""}.get(
    sys.version_info[:2], "Exception ignored on threading shutdown:\n"
)


def _format_ignored(exc: BaseException) -> str:
    return "".join(
        traceback.format_exception(
            type(exc), exc, strip_internal_frames(exc.__traceback__), chain=False
        )
    )


def report_ignored_at_shutdown(exc: BaseException, stderr: TextIO) -> None:
    """Report *exc*, raised while the interpreter waited for threads at exit, as it does."""
    import threading

    if sys.version_info >= (3, 13):
        heading = ""
    else:
        heading = f"Exception ignored in: {threading!r}\n"
    stderr.write(heading + _format_ignored(exc))
