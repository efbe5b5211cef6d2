"""Run a target in a child interpreter: ``python -m MOD ARGS`` or ``python PATH ARGS``.

The child gets the run's environment, working directory and standard input, and the entries
of this process's ``sys.path`` that a fresh interpreter would not have (a test's
``monkeypatch.syspath_prepend``, pytest's rootdir insertion) through ``PYTHONPATH``, so that what
imports in-process imports in the child. Both pipes are read as the child writes, each chunk
journalled, which gives the combined output in arrival order. A child past its time limit is
killed; what it wrote until then is kept.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import functools
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, final

from pytest_runmain._capture import StreamName

__all__ = ["ChildOutcome", "child_command", "run_child"]

_READ_SIZE: Final = 65536
#: The exit status a shell reports for a child killed at its time limit (SIGKILL).
KILLED_STATUS: Final = 128 + signal.SIGKILL


@final
@dataclass
class ChildOutcome:
    """How a child interpreter ended and what it wrote."""

    returncode: int
    journal: list[tuple[StreamName, bytes]] = field(default_factory=list)
    timed_out: bool = False

    def joined(self, name: StreamName | None) -> bytes:
        return b"".join(chunk for stream, chunk in self.journal if name in (None, stream))


def child_command(kind: str, target: str, args: tuple[str, ...]) -> list[str]:
    """The child's command line."""
    if kind == "module":
        return [sys.executable, "-m", target, *args]
    return [sys.executable, target, *args]


#: The variables that decide a new interpreter's ``sys.path`` (past its first entry).
_PATH_VARIABLES: Final = (
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONPLATLIBDIR",
    "PYTHONNOUSERSITE",
    "PYTHONUSERBASE",
    "PYTHONSAFEPATH",
    "HOME",
)


@functools.cache
def _fresh_sys_path(path_variables: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """``sys.path`` of a new interpreter whose path variables are *path_variables*.

    Cached by those variables only: runs whose environments differ otherwise share one probe.
    """
    env = {k: v for k, v in os.environ.items() if k not in _PATH_VARIABLES}
    env.update(path_variables)
    probe = subprocess.run(
        [sys.executable, "-c", "import json, sys; print(json.dumps(sys.path[1:]))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return tuple(json.loads(probe.stdout))


def child_environ(env: Mapping[str, str]) -> dict[str, str]:
    """*env* with ``PYTHONPATH`` extended by what this process's ``sys.path`` adds."""
    path_variables = tuple((name, env[name]) for name in _PATH_VARIABLES if name in env)
    fresh = set(_fresh_sys_path(path_variables))
    extra = [p for p in sys.path if p and p not in fresh and os.path.exists(p)]
    if not extra:
        return dict(env)
    child = dict(env)
    existing = [p for p in child.get("PYTHONPATH", "").split(os.pathsep) if p]
    child["PYTHONPATH"] = os.pathsep.join(dict.fromkeys([*existing, *extra]))
    return child


def shell_status(returncode: int) -> int:
    """A child's status as a shell reports it: a death by signal N is 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def run_child(
    command: list[str],
    *,
    stdin: bytes,
    env: Mapping[str, str],
    cwd: str | None,
    timeout: float | None,
) -> ChildOutcome:
    """Run *command*, feed it *stdin*, read both pipes until it ends or *timeout* passes."""
    outcome = ChildOutcome(returncode=0)
    process = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_environ(env),
        cwd=cwd,
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        _register_pipes(selector, process)
        _exchange(selector, process, memoryview(stdin), deadline, outcome)
        if outcome.timed_out:
            process.wait()
            for key in list(selector.get_map().values()):
                if key.data != "stdin":
                    outcome.journal.extend((key.data, c) for c in _read_available(key.fd))
    returncode = process.wait()
    outcome.returncode = KILLED_STATUS if outcome.timed_out else shell_status(returncode)
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            try:
                pipe.close()
            except OSError:  # stdin's descriptor was closed by _exchange
                pass
    return outcome


def _register_pipes(selector: selectors.BaseSelector, process: subprocess.Popen[bytes]) -> None:
    assert process.stdout is not None
    assert process.stderr is not None
    selector.register(process.stdout, selectors.EVENT_READ, "stdout")
    selector.register(process.stderr, selectors.EVENT_READ, "stderr")
    if process.stdin is not None:
        os.set_blocking(process.stdin.fileno(), False)
        selector.register(process.stdin, selectors.EVENT_WRITE, "stdin")


def _exchange(
    selector: selectors.BaseSelector,
    process: subprocess.Popen[bytes],
    pending_input: memoryview,
    deadline: float | None,
    outcome: ChildOutcome,
) -> None:
    """Write the child's input and journal its output until both pipes close or time is up."""
    while selector.get_map():
        wait = None if deadline is None else deadline - time.monotonic()
        if wait is not None and wait <= 0:
            process.kill()
            outcome.timed_out = True
            return
        for key, _ in selector.select(wait):
            fd = key.fd
            if key.data == "stdin":
                try:
                    written = os.write(fd, pending_input[:_READ_SIZE])
                except BrokenPipeError:  # the child does not read (all of) its input
                    written = len(pending_input)
                pending_input = pending_input[written:]
                if not pending_input:
                    selector.unregister(key.fileobj)
                    os.close(fd)
                continue
            chunk = os.read(fd, _READ_SIZE)
            if chunk:
                outcome.journal.append((key.data, chunk))
            else:
                selector.unregister(key.fileobj)


def _read_available(fd: int) -> list[bytes]:
    """What *fd* holds now, without waiting (a grandchild may keep the pipe open)."""
    os.set_blocking(fd, False)
    chunks = []
    while True:
        try:
            chunk = os.read(fd, _READ_SIZE)
        except (BlockingIOError, OSError):
            break
        if not chunk:
            break
        chunks.append(chunk)
    return chunks
