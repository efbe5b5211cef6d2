"""Threads a run starts: the interpreter waits for the non-daemon ones before it exits.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import threading
import weakref
from typing import Final, final

__all__ = ["RunThreads"]

#: Taken at import: a program that patches ``threading.enumerate`` still has its threads joined.
_enumerate: Final = threading.enumerate


@final
class RunThreads:
    """Remembers the threads alive before a run, to find and join the ones the run started."""

    def __init__(self) -> None:
        self._before = frozenset(_enumerate())

    def started(self) -> list[threading.Thread]:
        """Threads started since this object was made that are still alive."""
        return [t for t in _enumerate() if t not in self._before and t.is_alive()]

    def join_non_daemon(self) -> None:
        """Wait, as ``threading._shutdown`` does at exit, for the run's non-daemon threads.

        Threads started by the threads being joined are waited for too. Like the real
        interpreter this waits as long as they run.
        """
        while pending := [t for t in self.started() if not t.daemon]:
            for thread in pending:
                _shut_down_owning_executor(thread)
            for thread in pending:
                thread.join()


def _shut_down_owning_executor(thread: threading.Thread) -> None:
    """Tell the run's ``concurrent.futures`` executor that owns *thread* to wind down.

    At a real exit ``threading._shutdown`` first calls ``concurrent.futures``' exit hook, which
    stops every executor's idle workers (so a never shut down executor does not hang the
    exit). That hook sets a process-wide flag, so it must not run here; the executor that
    started *thread* gets ``shutdown(wait=False)`` instead, which lets its workers finish their
    queued work and end.
    """
    reference = getattr(thread, "executor_reference", None)  # a process pool's manager
    if reference is None:
        args = getattr(thread, "_args", ())  # a thread pool's worker: (executor_ref, queue, ...)
        reference = args[0] if args and isinstance(args[0], weakref.ReferenceType) else None
    executor = reference() if reference is not None else None
    shutdown = getattr(executor, "shutdown", None)
    if callable(shutdown):
        shutdown(wait=False)
