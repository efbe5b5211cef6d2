"""The standard streams of an in-process run, built to answer like a pipe does.

A program run as ``python -m X | cat`` gets text streams over binary buffers over file
descriptors, with its locale's (or ``PYTHONIOENCODING``'s) encoding, ``"\\n"`` newlines, a
block-buffered stdout, a line-buffered stderr, or both unbuffered under ``PYTHONUNBUFFERED``.
:class:`StdioCapture` builds the same layers over in-memory sinks, so ``sys.stdout.buffer``,
``.encoding``, ``.isatty()``, ``flush()`` and the interleaving of stdout and stderr behave as
they would on a pipe. Every chunk that reaches a sink is journalled, which gives the combined
output in the order a shell's ``2>&1`` would show it.
"""

from __future__ import annotations

import io
import locale
import sys
from collections.abc import Mapping
from typing import Final, Literal, final

__all__ = ["StdioCapture", "StreamName", "stdio_encoding"]

StreamName = Literal["stdout", "stderr"]

_NO_FD_HINT: Final = (
    "{name} of a run captured in-process is not a file descriptor; "
    "code that needs a real descriptor must run with mode='subprocess'"
)


@final
class _Sink(io.RawIOBase):
    """A write-only raw stream that journals what reaches it."""

    def __init__(
        self, name: StreamName, journal: list[tuple[StreamName, bytes]], *, tty: bool
    ) -> None:
        super().__init__()
        self.name = name
        self._journal = journal
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]
        if chunk:
            self._journal.append((self.name, chunk))
        return len(chunk)

    def fileno(self) -> int:
        raise io.UnsupportedOperation(_NO_FD_HINT.format(name=f"sys.{self.name}"))

    def close(self) -> None:
        # Like a pipe's end: closing it only stops further writes; what was written stays.
        super().close()


@final
class _Input(io.BytesIO):
    """The bytes of the run's standard input, answering ``isatty()`` as configured."""

    def __init__(self, data: bytes, *, tty: bool) -> None:
        super().__init__(data)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def fileno(self) -> int:
        raise io.UnsupportedOperation(_NO_FD_HINT.format(name="sys.stdin"))


def _truthy_env(env: Mapping[str, str], name: str) -> bool:
    return bool(env.get(name))


def stdio_encoding(env: Mapping[str, str]) -> tuple[str, str | None]:
    """The encoding and error handler the interpreter would give a pipe in *env*.

    ``PYTHONIOENCODING`` (``encoding[:errors]``) wins, then UTF-8 mode, then the locale's
    preferred encoding. The error handler is None where the stream's own default applies.
    """
    io_encoding = env.get("PYTHONIOENCODING", "")
    encoding, _, errors = io_encoding.partition(":")
    if not encoding:
        if sys.flags.utf8_mode or env.get("PYTHONUTF8") == "1":
            encoding = "utf-8"
        else:
            encoding = locale.getpreferredencoding(False)
    return encoding, errors or None


@final
class StdioCapture:
    """stdin, stdout and stderr for one run, and the bytes written to them.

    The text streams are ordinary :class:`io.TextIOWrapper` objects, so a program may write
    to them, to their ``.buffer``, reconfigure or wrap them. After :meth:`flush`, the bytes
    are in :attr:`stdout_bytes`, :attr:`stderr_bytes` and :attr:`output_bytes`.
    """

    def __init__(
        self, stdin: str | bytes | None, env: Mapping[str, str], *, tty: bool = False
    ) -> None:
        self.encoding, io_errors = stdio_encoding(env)
        unbuffered = _truthy_env(env, "PYTHONUNBUFFERED")
        self.journal: list[tuple[StreamName, bytes]] = []
        self._tty = tty
        if isinstance(stdin, str):
            stdin = stdin.encode(self.encoding, io_errors or "strict")
        self.stdin = io.TextIOWrapper(
            io.BufferedReader(_Input(stdin or b"", tty=tty)),
            encoding=self.encoding,
            errors=io_errors or "strict",
            newline="\n",
        )
        # An interactive stdout is line-buffered; a pipe's is block-buffered.
        self.stdout = self._writer("stdout", io_errors or "strict", unbuffered, line=tty)
        self.stderr = self._writer("stderr", "backslashreplace", unbuffered, line=True)

    def _writer(
        self, name: StreamName, errors: str, unbuffered: bool, *, line: bool
    ) -> io.TextIOWrapper:
        sink = _Sink(name, self.journal, tty=self._tty)
        buffer: io.RawIOBase | io.BufferedWriter = sink if unbuffered else io.BufferedWriter(sink)
        return io.TextIOWrapper(
            buffer,  # type: ignore[arg-type]
            encoding=self.encoding,
            errors=errors,
            newline="\n",
            line_buffering=line and not unbuffered,
            write_through=unbuffered,
        )

    def flush(self) -> None:
        """Push what the streams still buffer into the sinks, as the interpreter does at exit."""
        for stream in (self.stdout, self.stderr):
            try:
                stream.flush()
            except ValueError:  # closed by the program: what it wrote before is kept
                pass

    def _joined(self, name: StreamName | None) -> bytes:
        return b"".join(chunk for stream, chunk in self.journal if name in (None, stream))

    @property
    def stdout_bytes(self) -> bytes:
        return self._joined("stdout")

    @property
    def stderr_bytes(self) -> bytes:
        return self._joined("stderr")

    @property
    def output_bytes(self) -> bytes:
        """stdout and stderr interleaved in the order the bytes reached them."""
        return self._joined(None)
