"""``faulthandler`` as a program run in-process sees it: its own frames, its own switch.

``faulthandler.dump_traceback`` walks every frame of a thread, so in-process it would list,
below the program's frames, the frames of this plugin and of pytest, and every thread of the
test process. :func:`dump_traceback` writes the same text as the C function, in the same
format, for the frames and threads a real interpreter running the program would have: the
run's thread cut where the program's code was entered, and the threads the program started.

``faulthandler.enable`` and ``disable`` switch a process-wide handler, whose file cannot be
read back. When it was on before the run (pytest's ``faulthandler`` plugin turns it on), a run
that switched it would lose pytest's file: :class:`VirtualSwitch` gives the program its own
switch instead, which ``is_enabled`` answers and which checks its file as the real one does;
pytest's handler stays on for a crash.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Collection
from types import FrameType
from typing import Any, Final, final

__all__ = ["TracebackDumper", "VirtualSwitch"]

#: Frames in this package are the machinery below the program's code: a dump stops there.
_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep
#: The C function's limits: frames per thread, characters of a name.
_MAX_FRAMES: Final = 100
_MAX_STRING: Final = 500
#: The C function's message for a negative descriptor (spelt so before 3.12).
_NOT_A_DESCRIPTOR: Final = (
    "file is not a valid file descriptor"
    if sys.version_info >= (3, 12)
    else "file is not a valid file descripter"
)


def file_descriptor(file: Any) -> int:
    """The descriptor *file* names, as ``faulthandler`` finds it (flushing a file object)."""
    if file is None:
        file = sys.stderr
        if file is None:
            raise RuntimeError("sys.stderr is None")
    if isinstance(file, int):
        if file < 0:
            raise ValueError(_NOT_A_DESCRIPTOR)
        return file
    fd = file.fileno()
    if not isinstance(fd, int) or fd < 0:
        raise RuntimeError("file.fileno() is not a valid file descriptor")
    try:
        file.flush()
    except Exception:
        pass
    return fd


def _escaped(text: str) -> str:
    """*text* as the C function writes it: ASCII, other characters escaped, truncated."""
    out = []
    for char in text[:_MAX_STRING]:
        code = ord(char)
        if code < 128:
            out.append(char)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    if len(text) > _MAX_STRING:
        out.append("...")
    return "".join(out)


def _frame_lines(frame: FrameType | None, stop_at_package: bool) -> list[str]:
    lines: list[str] = []
    while frame is not None:
        filename = frame.f_code.co_filename
        if stop_at_package and filename.startswith(_PACKAGE_DIR):
            break
        if len(lines) >= _MAX_FRAMES:
            lines.append("  ...\n")
            break
        lineno = frame.f_lineno
        line = "???" if lineno is None or lineno < 0 else str(lineno)
        lines.append(
            f'  File "{_escaped(filename)}", line {line} in {_escaped(frame.f_code.co_name)}\n'
        )
        frame = frame.f_back
    return lines or ["  <no Python frame>\n"]


@final
class TracebackDumper:
    """``faulthandler.dump_traceback`` for the run started in this thread."""

    def __init__(self, outside_threads: Collection[int]) -> None:
        self._run_thread = threading.get_ident()
        self._outside = frozenset(outside_threads) - {self._run_thread}

    def dump_traceback(self, file: Any = None, all_threads: bool = True) -> None:
        fd = file_descriptor(file)
        caller = sys._getframe(1)
        if not all_threads:
            text = "Stack (most recent call first):\n" + "".join(self._stack(caller, None))
        else:
            text = self._all_threads(caller)
        data = text.encode("ascii", "backslashreplace")
        while data:
            data = data[os.write(fd, data) :]

    def _stack(self, frame: FrameType | None, ident: int | None) -> list[str]:
        return _frame_lines(frame, ident in (None, self._run_thread))

    def _all_threads(self, caller: FrameType) -> str:
        current = threading.get_ident()
        frames = sys._current_frames()  # newest thread first, as the interpreter lists them
        idents = [i for i in frames if i not in self._outside and i != self._run_thread]
        idents.append(self._run_thread)  # the program's main thread: the oldest
        blocks = []
        for ident in idents:
            frame = caller if ident == current else frames.get(ident)
            if frame is None:
                continue
            title = "Current thread" if ident == current else "Thread"
            head = f"{title} 0x{ident:016x} (most recent call first):\n"
            blocks.append(head + "".join(self._stack(frame, ident)))
        return "\n".join(blocks)


@final
class VirtualSwitch:
    """``faulthandler.enable``, ``disable`` and ``is_enabled`` on a switch of the program's own.

    The file given to ``enable`` is checked and flushed as the real function does.
    """

    def __init__(self) -> None:
        self.enabled = False

    def enable(self, file: Any = None, all_threads: bool = True) -> None:
        file_descriptor(file)
        self.enabled = True

    def disable(self) -> bool:
        was, self.enabled = self.enabled, False
        return was

    def is_enabled(self) -> bool:
        return self.enabled
