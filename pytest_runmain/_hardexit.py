"""``os._exit`` and forked children: ends that would take the test process down with the run.

``os._exit(n)`` ends the process at once: no ``finally``, no ``atexit``, no flush of buffered
output. In-process it must end the *run* instead. During a run :class:`HardExits` replaces
``os._exit`` with a function that records the first call's status and how much output had
reached the streams' file level, then raises :class:`HardExit` to unwind the program. A
program may catch that (``except BaseException``) and go on; the first call still decides
the result, and nothing the program writes after it counts, as nothing would have been
written by a dead process.

A forked child (``os.fork()``, multiprocessing's fork start method) gets the real ``os._exit``,
and a child that comes back out of the run without exiting is ended by
:func:`exit_forked_child` rather than going on to run the rest of the test session.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Final, NoReturn, final

__all__ = ["HardExit", "HardExits", "exit_forked_child"]

_real_os_exit: Final = os._exit


class HardExit(BaseException):
    """Raised by ``os._exit`` during a run to unwind the program; not an exception to catch."""

    def __init__(self, status: int) -> None:
        super().__init__(f"os._exit({status}) called by the program")
        self.status = status


@final
class HardExits:
    """Replaces ``os._exit`` during a run and remembers the first call.

    *output_level* tells how much output has reached the file level; it is called when
    ``os._exit`` is, so that output still in the buffers then is dropped, as the real
    ``os._exit`` drops it.
    """

    def __init__(self, output_level: Callable[[], object]) -> None:
        self._output_level = output_level
        self._pid = os.getpid()
        #: The status of the first ``os._exit`` call, or None.
        self.status: int | None = None
        #: The output level at that call.
        self.level: object = None

    def _exit(self, status: int) -> NoReturn:
        if os.getpid() != self._pid:
            _real_os_exit(status)
        if self.status is None:
            self.status = int(status)
            self.level = self._output_level()
        raise HardExit(self.status)

    def __enter__(self) -> HardExits:
        os._exit = self._exit
        return self

    def __exit__(self, *exc_info: object) -> None:
        os._exit = _real_os_exit

    @property
    def called(self) -> bool:
        return self.status is not None


def exit_forked_child(run_pid: int, status: int) -> None:
    """In a process forked during the run started in *run_pid*, end it with *status*.

    A child that comes back out of the run's code must not go on running the test session.
    Does nothing in the process that started the run.
    """
    if os.getpid() != run_pid:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        _real_os_exit(status)
