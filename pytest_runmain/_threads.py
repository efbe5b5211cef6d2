"""Threads a run starts: the interpreter waits for the non-daemon ones before it exits."""

from __future__ import annotations

import threading
from typing import final

__all__ = ["RunThreads"]


@final
class RunThreads:
    """Remembers the threads alive before a run, to find and join the ones the run started."""

    def __init__(self) -> None:
        self._before = frozenset(threading.enumerate())

    def started(self) -> list[threading.Thread]:
        """Threads started since this object was made that are still alive."""
        return [t for t in threading.enumerate() if t not in self._before and t.is_alive()]

    def join_non_daemon(self) -> None:
        """Wait, as ``threading._shutdown`` does at exit, for the run's non-daemon threads.

        Threads started by the threads being joined are waited for too. Like the real
        interpreter this waits as long as they run.
        """
        while pending := [t for t in self.started() if not t.daemon]:
            for thread in pending:
                thread.join()
