"""The result of a run: exit status, output, globals and uncaught exception."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Final, Literal, final

__all__ = ["RunResult"]

_REPR_OUTPUT_CHARS: Final = 60


def _short(text: str) -> str:
    if len(text) <= _REPR_OUTPUT_CHARS:
        return repr(text)
    return f"{text[:_REPR_OUTPUT_CHARS]!r}... ({len(text)} chars)"


@final
@dataclass(frozen=True, eq=False, repr=False)
class RunResult:
    """What one run of a program left: as a shell would see it, plus its globals.

    Text fields are the bytes decoded with the run's stdio encoding; bytes the program wrote
    that do not decode show as backslash escapes, so nothing is lost.
    """

    #: ``"module"`` for ``python -m``, ``"path"`` for ``python PATH``.
    kind: Literal["module", "path"]
    #: The module name or the path, as given.
    target: str
    #: ``sys.argv`` as the program saw it when it started (``argv[0]`` as the real one).
    argv: list[str]
    #: The exit status a shell sees: ``sys.exit(256)`` gives 0, ``sys.exit(-1)`` 255,
    #: an uncaught exception 1, an uncaught ``KeyboardInterrupt`` 130 (128 + SIGINT).
    returncode: int
    #: Everything written to ``sys.stdout`` and its buffer.
    stdout_bytes: bytes
    #: Everything written to ``sys.stderr`` and its buffer, tracebacks included.
    stderr_bytes: bytes
    #: stdout and stderr interleaved in the order they were written, as ``2>&1`` shows.
    output_bytes: bytes
    #: The encoding of the run's standard streams.
    encoding: str
    #: The program's ``__main__`` globals, kept even when the code raised.
    globals: dict[str, Any]
    #: The exception that ended the program (``SystemExit`` included), or None.
    exception: BaseException | None
    #: Wall-clock seconds the run took, set-up and clean-up included.
    duration: float

    def _decode(self, data: bytes) -> str:
        return data.decode(self.encoding, "backslashreplace")

    @property
    def stdout(self) -> str:
        """The standard output as text."""
        return self._decode(self.stdout_bytes)

    @property
    def stderr(self) -> str:
        """The standard error as text."""
        return self._decode(self.stderr_bytes)

    @property
    def output(self) -> str:
        """stdout and stderr interleaved in write order, as text."""
        return self._decode(self.output_bytes)

    @property
    def command(self) -> str:
        """The equivalent command line, for messages: ``python -m pkg --flag``."""
        target = ["-m", self.target] if self.kind == "module" else [self.target]
        return shlex.join(["python", *target, *self.argv[1:]])

    def __repr__(self) -> str:
        return (
            f"<RunResult {self.command!r} returncode={self.returncode} "
            f"stdout={_short(self.stdout)} stderr={_short(self.stderr)}>"
        )
