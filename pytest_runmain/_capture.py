"""The standard streams of an in-process run, built to answer like a pipe does.

A program run as ``python -m X | cat`` gets text streams over binary buffers over file
descriptors, named ``<stdin>``, ``<stdout>`` and ``<stderr>``, with the encoding and error
handler the interpreter derives from ``PYTHONIOENCODING``, UTF-8 mode and the locale, ``"\\n"``
newlines, a block-buffered stdout and a line-buffered stderr, or all unbuffered under
``PYTHONUNBUFFERED``. :class:`StdioCapture` builds the same layers over in-memory sinks, so
``sys.stdout.buffer``, ``.encoding``, ``.errors``, ``.isatty()``, ``flush()`` and the
interleaving of stdout and stderr behave as on a pipe. What reaches the sinks is journalled,
adjacent writes to one stream as one entry, which gives the combined output in the order a
shell's ``2>&1`` would show it; stdout's sink takes writes at C speed, so that an unbuffered
stdout costs no more than a buffered one.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import codecs
import fcntl
import functools
import io
import locale
import os
import sys
import tempfile
import threading
from collections.abc import Mapping
from typing import Any, Final, Literal, final

from pytest_runmain._options import OptionError

__all__ = ["StdioCapture", "StreamName", "encode_stdin", "stdio_encoding"]

#: Taken at import: a program (or a test's mock) may patch the ``os`` functions during a run.
_fstat: Final = os.fstat
_pread: Final = os.pread
_write: Final = os.write
_read: Final = os.read
_readv: Final = os.readv
_lseek: Final = os.lseek
_memfd_create: Final = getattr(os, "memfd_create", None)

StreamName = Literal["stdout", "stderr"]

_RUN_OVER: Final = (
    "{name} belongs to an in-process run that is over: its descriptor is closed; a program "
    "object kept after the run cannot write to it"
)

#: Locales in which the interpreter turns on UTF-8 mode (PEP 540) or that are the targets of
#: its C locale coercion (PEP 538): there stdin and stdout use the surrogateescape handler.
_LEGACY_LOCALES: Final = ("C", "POSIX")
_COERCION_TARGETS: Final = ("C.UTF-8", "C.utf8", "UTF-8")


@final
class _Output:
    """The bytes that reached stdout and stderr, and the order they came in (a shell's ``2>&1``).

    The journal is a list of ``[stream, start, end]`` ranges of each stream's bytes, adjacent
    writes to one stream sharing a range. stdout may be a :class:`_FastSink`, written at C
    speed without telling: its new bytes are journalled when anything else is.
    """

    def __init__(self) -> None:
        self.data: dict[StreamName, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
        self.fast: _FastSink | None = None
        self.journal: list[list[Any]] = []
        self._synced = 0
        #: The descriptors the program asked for, by stream, created on demand.
        self.descriptors: dict[StreamName, _Descriptor] = {}
        #: Set in a process forked during the run: writes go to the descriptors instead.
        self.forked = False
        #: Set once the run is over: no descriptor is made any more.
        self.closed = False
        self._lock: Any = None  # made with the first descriptor

    def _add(self, stream: StreamName, start: int, end: int) -> None:
        journal = self.journal
        if journal and journal[-1][0] == stream and journal[-1][2] == start:
            journal[-1][2] = end
        else:
            journal.append([stream, start, end])

    def sync(self) -> None:
        """Journal what reached the fast stdout since the last time, then the descriptors."""
        if self.fast is not None:
            size = self.fast.size()
            if size > self._synced:
                self._add("stdout", self._synced, size)
                self._synced = size
        if self.descriptors and not self.forked and self.pending():
            self._drain()

    def pending(self) -> bool:
        """Whether anything reached the descriptors since they were last read."""
        # A loop, not any() over a generator: this runs before each write to stdout.
        for descriptor in self.descriptors.values():  # noqa: SIM110
            if descriptor.grew():
                return True
        return False

    def _drain(self) -> None:
        with self._lock:  # threads writing to stdout and to stderr must not both read
            for stream, descriptor in self.descriptors.items():
                chunk = descriptor.take()
                if chunk:
                    self._record(stream, chunk)

    def _record(self, stream: StreamName, chunk: bytes) -> None:
        """Add *chunk* to *stream* and the journal; what came before is journalled already."""
        if stream == "stdout" and self.fast is not None:
            self.fast.store(chunk)
            size = self.fast.size()
            self._add("stdout", self._synced, size)
            self._synced = size
            return
        data = self.data[stream]
        start = len(data)
        data += chunk
        self._add(stream, start, len(data))

    def append(self, stream: StreamName, chunk: bytes) -> None:
        if self.forked:
            self.descriptors[stream].write(chunk)
            return
        self.sync()
        self._record(stream, chunk)

    def fileno(self, stream: StreamName) -> int:
        """The descriptor of *stream*, made the first time it is asked for."""
        descriptor = self.descriptors.get(stream)
        if descriptor is None:
            if self.closed:
                raise ValueError(_RUN_OVER.format(name=f"sys.{stream}"))
            self.sync()  # what was written before it exists comes first
            if self._lock is None:
                self._lock = threading.RLock()
            descriptor = self.descriptors[stream] = _Descriptor(stream)
            if self.fast is not None:
                self.fast.journal_each_write(self)
        return descriptor.fd

    def before_fork(self) -> None:
        """Give both streams a descriptor before a child is forked, for it to write to."""
        for stream in ("stdout", "stderr"):
            self.fileno(stream)

    def in_forked_child(self) -> None:
        """From now on, in this forked child, every write goes to the descriptors."""
        self.forked = True

    def close(self) -> None:
        """Journal what reached the descriptors, then close them: the run is over."""
        if self.closed:
            return
        self.closed = True
        if not self.descriptors:
            return
        self.sync()
        descriptors, self.descriptors = self.descriptors, {}
        for descriptor in descriptors.values():
            descriptor.close()
        if self.fast is not None:
            self.fast.journal_each_write(None)

    def stream_bytes(self, stream: StreamName) -> bytes:
        if stream == "stdout" and self.fast is not None:
            return self.fast.value()
        return bytes(self.data[stream])

    def size(self) -> int:
        """How many bytes reached the streams so far."""
        self.sync()
        return sum(end - start for _, start, end in self.journal)

    def joined(self, name: StreamName | None, limit: int | None) -> bytes:
        """The bytes of *name* (None: both, in order), of the first *limit* bytes written."""
        self.sync()
        if name is not None and limit is None:
            return self.stream_bytes(name)
        streams = {stream: self.stream_bytes(stream) for stream in ("stdout", "stderr")}
        chunks = []
        remaining = limit
        for stream, start, end in self.journal:
            if remaining is not None:
                if remaining <= 0:
                    break
                end = min(end, start + remaining)
                remaining -= end - start
            if name in (None, stream):
                chunks.append(streams[stream][start:end])
        return b"".join(chunks)


@final
class _Descriptor:
    """A real descriptor for one of the run's streams: a temporary file read as it grows.

    A temporary file rather than a pipe: nothing written to it ever blocks, whether the run
    reads it or not, and a child process that keeps it open cannot hold the run's end up.
    In memory where the system allows (``memfd_create``: one system call), else on disk.
    A raw descriptor: no file object that would close a reused number when collected.
    """

    def __init__(self, name: str) -> None:
        self.fd: Final = _temporary_descriptor(f"runmain-{name}")
        # Appending, as a pipe does: writers sharing it (a child, the program) never overwrite.
        fcntl.fcntl(self.fd, fcntl.F_SETFL, fcntl.fcntl(self.fd, fcntl.F_GETFL) | os.O_APPEND)
        status = _fstat(self.fd)
        self._identity = (status.st_dev, status.st_ino)
        self._read = 0
        #: False once the program closed the descriptor (its number may be another file's).
        self.alive = True

    def grew(self) -> bool:
        """Whether anything was written since the last :meth:`take`, told cheaply.

        Writes append (``O_APPEND``), so the position is the file's size: one ``lseek``, not
        an ``fstat``. :meth:`take` checks that the descriptor is still this file.
        """
        if not self.alive:
            return False
        try:
            return _lseek(self.fd, 0, os.SEEK_CUR) > self._read
        except OSError:
            self.alive = False
            return False

    def _check(self) -> int | None:
        """The file's size, or None when the descriptor is no longer this file."""
        try:
            status = _fstat(self.fd)
        except OSError:
            status = None
        if status is None or (status.st_dev, status.st_ino) != self._identity:
            self.alive = False
            return None
        return status.st_size

    def is_ours(self) -> bool:
        """Whether the descriptor is still this file (the program may have closed it)."""
        return self.alive and self._check() is not None

    def take(self) -> bytes:
        """The bytes written since the last call."""
        size = self._check() if self.alive else None
        if size is None or size <= self._read:
            return b""
        chunk = _pread(self.fd, size - self._read, self._read)
        self._read += len(chunk)
        return chunk

    def write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            view = view[_write(self.fd, view) :]

    def close(self) -> None:
        """Close the descriptor, unless the program did (its number is then not ours)."""
        if self.is_ours():
            os.close(self.fd)
        self.alive = False


def _temporary_descriptor(name: str) -> int:
    if _memfd_create is not None:
        try:
            fd: int = _memfd_create(name, os.MFD_CLOEXEC)
            return fd
        except OSError:  # not supported by this kernel
            pass
    fd, path = tempfile.mkstemp(prefix=f"{name}-")
    os.unlink(path)
    return fd


class _SinkInfo:
    """What a sink answers like a pipe of the interpreter does: its name, ``isatty()``, fd."""

    stream: StreamName
    _tty: bool
    _output: _Output
    _fd: int | None = None

    @property
    def name(self) -> str:
        return f"<{self.stream}>"

    def isatty(self) -> bool:
        return self._tty

    def fileno(self) -> int:
        if self._fd is not None:
            return self._fd
        return self._output.fileno(self.stream)


@final
class _Sink(_SinkInfo, io.RawIOBase):
    """A write-only raw stream that journals what reaches it (or writes it to a descriptor)."""

    def __init__(
        self, stream: StreamName, output: _Output, *, tty: bool, fd: int | None = None
    ) -> None:
        super().__init__()
        self.stream = stream
        self._output = output
        self._tty = tty
        self._fd = fd

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(data)  # type: ignore[call-overload]
        if self._fd is not None:
            view = memoryview(chunk)
            while view:
                view = view[os.write(self._fd, view) :]
        elif chunk:
            self._output.append(self.stream, chunk)
        return len(chunk)


@final
class _FastSink(_SinkInfo, io.BytesIO):
    """stdout's raw stream, written at C speed (its ``write`` is :class:`io.BytesIO`'s).

    Write-only and not seekable, as a pipe; what it holds stays readable for the result once
    the program closes it.
    """

    def __init__(self, output: _Output, *, tty: bool) -> None:
        super().__init__()
        self.stream = "stdout"
        self._output = output
        self._tty = tty
        self._closed_value: bytearray | None = None

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False

    def _unsupported(self, *args: object) -> Any:
        raise io.UnsupportedOperation("not readable or seekable: a pipe")

    read = read1 = readinto = readline = readlines = seek = tell = truncate = _unsupported
    getvalue = getbuffer = _unsupported

    def size(self) -> int:
        if self._closed_value is not None:
            return len(self._closed_value)
        return io.BytesIO.tell(self)

    def value(self) -> bytes:
        if self._closed_value is not None:
            return bytes(self._closed_value)
        return io.BytesIO.getvalue(self)

    def store(self, chunk: bytes) -> None:
        """Add *chunk*, written elsewhere (a descriptor), even once the program closed this."""
        if self._closed_value is not None:
            self._closed_value += chunk
        else:
            io.BytesIO.write(self, chunk)

    def journal_each_write(self, output: _Output | None) -> None:
        """Have each write go through *output* (None: back to C speed).

        Once a descriptor exists, its bytes must be journalled before each write here to keep
        their order; in a forked child, writes go to the descriptor. An instance attribute
        stands in for the class's ``write``, as the buffered layer looks it up on the instance.
        """
        if output is None:
            self.__dict__.pop("write", None)
            return

        bytes_io_write = io.BytesIO.write

        def write(data: Any) -> int:
            if output.forked:
                chunk = bytes(data)
                output.append("stdout", chunk)
                return len(chunk)
            if output.pending():  # what reached the descriptors before this write comes first
                output.sync()
            return bytes_io_write(self, data)

        self.write = write  # type: ignore[method-assign]

    def close(self) -> None:
        if not self.closed:
            self._closed_value = bytearray(io.BytesIO.getvalue(self))
        super().close()


@final
class _Input(io.BytesIO):
    """The bytes of the run's standard input, answering ``isatty()`` as configured."""

    name: Final = "<stdin>"

    def __init__(self, data: bytes, *, tty: bool) -> None:
        super().__init__(data)
        self._tty = tty
        self._descriptor: _Descriptor | None = None
        self._over = False

    def isatty(self) -> bool:
        return self._tty

    def fileno(self) -> int:
        """A descriptor reading what is left of the input, made the first time it is asked for.

        From then on the stream reads through it too, so that the program, a child process
        and ``select`` share one position, as on a pipe.
        """
        if self._descriptor is None:
            if self._over:
                raise ValueError(_RUN_OVER.format(name="sys.stdin"))
            descriptor = self._descriptor = _Descriptor("stdin")
            descriptor.write(io.BytesIO.getvalue(self))
            _lseek(descriptor.fd, io.BytesIO.tell(self), os.SEEK_SET)
            self.readinto = self._readinto  # type: ignore[method-assign]
            self.read = self._read  # type: ignore[method-assign]
        return self._descriptor.fd

    def _readinto(self, buffer: Any) -> int:
        assert self._descriptor is not None
        return _readv(self._descriptor.fd, [buffer])

    def _read(self, size: int | None = -1) -> bytes:
        assert self._descriptor is not None
        if size is not None and size >= 0:
            return _read(self._descriptor.fd, size)
        chunks = []
        while chunk := _read(self._descriptor.fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)

    def close_descriptor(self) -> None:
        """The run is over: close the descriptor; reading goes on where it had got to."""
        self._over = True
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            del self.readinto, self.read
            if descriptor.is_ours():
                io.BytesIO.seek(self, _lseek(descriptor.fd, 0, os.SEEK_CUR))
            descriptor.close()


def _requested_locale(env: Mapping[str, str]) -> str:
    """The LC_CTYPE locale *env* asks for: what ``setlocale(LC_CTYPE, "")`` would look up."""
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        if env.get(name):
            return env[name]
    return "C"


@functools.lru_cache(maxsize=64)
def _c_library_locale(name: str) -> tuple[str, str] | None:
    """The C library's name and codeset for LC_CTYPE locale *name*; None where it has none.

    Asked by switching this process's LC_CTYPE to *name* and straight back, once per name.
    """
    saved = locale.setlocale(locale.LC_CTYPE)
    try:
        actual = locale.setlocale(locale.LC_CTYPE, name)
    except locale.Error:
        return None
    try:
        return actual, locale.nl_langinfo(locale.CODESET)
    finally:
        locale.setlocale(locale.LC_CTYPE, saved)


def _interpreter_locale(env: Mapping[str, str]) -> tuple[str, str]:
    """The LC_CTYPE locale (name, codeset) a new interpreter started with *env* runs in.

    A locale the C library does not have leaves the C locale. In the C or POSIX locale the
    interpreter coerces LC_CTYPE to the first UTF-8 target the C library has (PEP 538), unless
    ``LC_ALL`` is set or ``PYTHONCOERCECLOCALE=0``.
    """
    found = _c_library_locale(_requested_locale(env)) or _c_library_locale("C")
    assert found is not None  # every C library has the C locale
    coercible = not env.get("LC_ALL") and env.get("PYTHONCOERCECLOCALE") != "0"
    if found[0] in _LEGACY_LOCALES and coercible:
        for target in _COERCION_TARGETS:
            coerced = _c_library_locale(target)
            if coerced is not None:
                return coerced
    return found


def _codec_name(encoding: str, variable: str | None = None) -> str:
    """The canonical name of *encoding*; one named by *variable* must be a known codec."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        if variable is None:
            return encoding
        raise OptionError(
            f"{variable} names an encoding Python does not know: {encoding!r} (the real "
            "interpreter would not start); set it to a codec name such as 'utf-8'"
        ) from None


def encode_stdin(stdin: str | bytes | None, encoding: str, errors: str) -> bytes | None:
    """*stdin* as the bytes the program reads: text is encoded as the run's stdin decodes it."""
    if not isinstance(stdin, str):
        return stdin
    try:
        return stdin.encode(encoding, errors)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise OptionError(
            f"stdin: {bad!r} at position {exc.start} cannot be encoded as {encoding} "
            f"(errors={errors!r}), the run's stdin encoding from its locale variables and "
            "PYTHONIOENCODING; pass bytes, or set PYTHONIOENCODING in env"
        ) from None


def stdio_encoding(env: Mapping[str, str]) -> tuple[str, str]:
    """The encoding and the stdin/stdout error handler a new interpreter gets in *env*.

    ``PYTHONIOENCODING`` (``encoding[:errors]``) wins for what it sets, and an encoding without
    an error handler there means ``strict``. Otherwise UTF-8 mode (``PYTHONUTF8=1``, or the
    C/POSIX locale unless ``PYTHONUTF8=0``) gives UTF-8 with ``surrogateescape``; else the
    codeset the C library gives the interpreter's locale (see :func:`_interpreter_locale`),
    with ``surrogateescape`` in the C/POSIX locale and the UTF-8 coercion targets and
    ``strict`` in any other. Names are the codec's canonical name, as the interpreter reports
    them (``utf-8``, ``iso8859-1``, ``ascii``).
    """
    return _stdio_encoding(tuple(env.get(name) for name in _ENCODING_VARIABLES))


#: The variables :func:`stdio_encoding` reads.
_ENCODING_VARIABLES: Final = (
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONCOERCECLOCALE",
    "LC_ALL",
    "LC_CTYPE",
    "LANG",
)


@functools.lru_cache(maxsize=64)
def _stdio_encoding(values: tuple[str | None, ...]) -> tuple[str, str]:
    """:func:`stdio_encoding` of the values of :data:`_ENCODING_VARIABLES`, once per values."""
    env = {
        name: value
        for name, value in zip(_ENCODING_VARIABLES, values, strict=True)
        if value is not None
    }
    io_encoding, _, io_errors = env.get("PYTHONIOENCODING", "").partition(":")
    name, codeset = _interpreter_locale(env)
    legacy = name in _LEGACY_LOCALES
    utf8_mode = env.get("PYTHONUTF8") == "1" or (env.get("PYTHONUTF8") != "0" and legacy)
    if utf8_mode:
        encoding, errors = "utf-8", "surrogateescape"
    else:
        encoding = codeset
        errors = "surrogateescape" if legacy or name in _COERCION_TARGETS else "strict"
    if io_encoding:
        # PYTHONIOENCODING=latin-1 means latin-1:strict.
        return _codec_name(io_encoding, "PYTHONIOENCODING"), io_errors or "strict"
    return _codec_name(encoding), io_errors or errors


_FDS: Final[dict[StreamName, int]] = {"stdout": 1, "stderr": 2}

#: The output of the in-process runs going on (one, or more for runs nested in a program).
_RUNNING: Final[list[_Output]] = []


def _before_fork() -> None:
    for output in _RUNNING:
        output.before_fork()


def _after_fork_in_child() -> None:
    for output in _RUNNING:
        output.in_forked_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


@final
class FdCapture:
    """File descriptors 1 and 2 pointed at temporary files for the duration of a run.

    Output that bypasses ``sys.stdout`` (C code, ``os.write(1, ...)``, child processes that
    inherit the descriptors) lands there, as with pytest's ``capfd``. Python-level output is
    written to the same descriptors, so each stream keeps its own order; the two streams are
    not interleaved.
    """

    def __init__(self) -> None:
        self._files = {name: tempfile.TemporaryFile(buffering=0) for name in _FDS}  # noqa: SIM115
        self._saved: dict[int, int] = {}
        self._limits: tuple[int, int] | None = None

    def start(self) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()  # what the test process still buffers stays out of the run's
            except Exception:
                pass
        for name, fd in _FDS.items():
            self._saved[fd] = os.dup(fd)
            os.dup2(self._files[name].fileno(), fd)

    def stop(self) -> list[tuple[StreamName, bytes]]:
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)
            os.close(saved)
        self._saved.clear()
        captured: list[tuple[StreamName, bytes]] = []
        for index, (name, file) in enumerate(self._files.items()):
            file.seek(0)
            data = file.read()
            if self._limits is not None:
                data = data[: self._limits[index]]
            file.close()
            if data:
                captured.append((name, data))
        return captured

    def sizes(self) -> tuple[int, int]:
        stdout, stderr = (os.fstat(file.fileno()).st_size for file in self._files.values())
        return stdout, stderr

    def truncate(self, sizes: tuple[int, int]) -> None:
        self._limits = sizes


@final
class StdioCapture:
    """stdin, stdout and stderr for one run, and the bytes written to them.

    The text streams are ordinary :class:`io.TextIOWrapper` objects, so a program may write
    to them, to their ``.buffer``, reconfigure or wrap them. After :meth:`flush`, the bytes
    are in :attr:`stdout_bytes`, :attr:`stderr_bytes` and :attr:`output_bytes`.
    """

    def __init__(
        self,
        stdin: str | bytes | None,
        env: Mapping[str, str],
        *,
        tty: bool = False,
        fd: bool = False,
    ) -> None:
        self.encoding, errors = stdio_encoding(env)
        unbuffered = bool(env.get("PYTHONUNBUFFERED"))
        self._output = _Output()
        self._limit: int | None = None
        self._tty = tty
        self._fd_capture = FdCapture() if fd else None
        stdin = encode_stdin(stdin, self.encoding, errors)
        self._input = _Input(stdin or b"", tty=tty)
        self.stdin = io.TextIOWrapper(
            io.BufferedReader(self._input),
            encoding=self.encoding,
            errors=errors,
            newline="\n",
            write_through=unbuffered,
        )
        self.stdin.mode = "r"  # type: ignore[misc]
        # An interactive stdout is line-buffered; a pipe's is block-buffered.
        self.stdout = self._writer("stdout", errors, unbuffered, line=tty)
        self.stderr = self._writer("stderr", "backslashreplace", unbuffered, line=True)

    def _writer(
        self, name: StreamName, errors: str, unbuffered: bool, *, line: bool
    ) -> io.TextIOWrapper:
        sink: Any
        if self._fd_capture is not None:
            sink = _Sink(name, self._output, tty=self._tty, fd=_FDS[name])
        elif name == "stdout":
            sink = self._output.fast = _FastSink(self._output, tty=self._tty)
        else:
            sink = _Sink(name, self._output, tty=self._tty)
        # Unbuffered, the text layer writes straight to the raw stream, as the interpreter's does.
        buffer: Any = sink if unbuffered else io.BufferedWriter(sink)
        stream = io.TextIOWrapper(
            buffer,
            encoding=self.encoding,
            errors=errors,
            newline="\n",
            line_buffering=line and not unbuffered,
            write_through=unbuffered,
        )
        stream.mode = "w"  # type: ignore[misc]
        return stream

    def write_stderr_bytes(self, data: bytes) -> None:
        """Write *data* to the run's stderr below its text layer, as C code writes to fd 2.

        For the interpreter's own last words when the program closed or replaced
        ``sys.stderr``.
        """
        if self._fd_capture is not None:
            os.write(_FDS["stderr"], data)
        else:
            self._output.append("stderr", data)

    def flush(self) -> None:
        """Push what the streams still buffer into the sinks, as the interpreter does at exit."""
        for stream in (self.stdout, self.stderr):
            try:
                stream.flush()
            except ValueError:  # closed by the program: what it wrote before is kept
                pass

    def start(self) -> None:
        """Begin capturing at the file-descriptor level too, when asked for.

        Otherwise the streams are ready to make descriptors on demand, and a process forked
        from now on gets them.
        """
        if self._fd_capture is not None:
            self._fd_capture.start()
        else:
            _RUNNING.append(self._output)

    def close_descriptors(self) -> None:
        """The run is over: what reached the descriptors made on demand joins the output, and
        they are closed, before the run's open descriptors are checked. Any number of times."""
        if self._output in _RUNNING:
            _RUNNING.remove(self._output)
        self._input.close_descriptor()
        self._output.close()

    def stop(self) -> None:
        """End the file-descriptor capture: what reached fd 1 and 2 joins the output."""
        self.close_descriptors()
        if self._fd_capture is not None:
            for name, data in self._fd_capture.stop():
                self._output.append(name, data)

    def level(self) -> object:
        """A mark of how much output has been written so far, for :meth:`truncate`."""
        if self._fd_capture is not None:
            return self._fd_capture.sizes()
        return self._output.size()

    def truncate(self, level: object) -> None:
        """Keep only the output written up to *level*, and no more from now on.

        What a process that died at that point would have left: ``os._exit`` drops what the
        streams still buffer and nothing is written after it.
        """
        if self._fd_capture is not None:
            self._fd_capture.truncate(level)  # type: ignore[arg-type]
        else:
            self._limit = level  # type: ignore[assignment]

    def _joined(self, name: StreamName | None) -> bytes:
        return self._output.joined(name, self._limit)

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
