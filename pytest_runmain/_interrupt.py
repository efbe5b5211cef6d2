"""Interrupting the run's thread from another thread, until the program's code has unwound.

Two things must stop a program from outside its thread: ``os._exit`` called by one of its
threads (:mod:`pytest_runmain._hardexit`) and a time limit the program does not let its signal
enforce (:mod:`pytest_runmain._timeout`). A program may catch the exception that unwinds it
(``except BaseException``), sit in a blocking call, or have taken the signal over, so a single
interruption is not enough. :class:`Interrupter` raises an exception in the run's thread from a
helper thread, again and again, as an asynchronous exception (seen at the next bytecode, even
in a loop that never calls anything) and, where the program left a Python handler for the
waking signal, with that signal too (which ends a ``time.sleep``, a ``join``, a ``select``).
:meth:`Interrupter.stop` ends it and takes an interruption still on its way, so that none
reaches the code after the program's.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from typing import Final, final

__all__ = ["Interrupter", "set_async_exception"]

_real_pthread_kill: Final = signal.pthread_kill

#: How often the run's thread is interrupted again.
INTERRUPT_INTERVAL: Final = 0.05


def set_async_exception(thread_id: int, exc_type: type[BaseException]) -> None:
    """Have *thread_id* raise *exc_type* (a class taking no arguments) at its next bytecode."""
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type)
    )


@final
class Interrupter:
    """Raises *exc_type* in the thread *thread_id* every :data:`INTERRUPT_INTERVAL` seconds.

    *wake_signal* is sent too while the thread's handler for it is *wakes* (a check taking the
    handler): a signal whose handler is the program's own, ignored or the default (which may
    end the process) is never sent. Started at most once; :meth:`stop` may be called anyway.
    """

    def __init__(
        self,
        thread_id: int,
        exc_type: type[BaseException],
        *,
        wake_signal: int,
        wakes: Callable[[object], bool],
        name: str,
    ) -> None:
        self._thread_id = thread_id
        self._exc_type = exc_type
        self._wake_signal = wake_signal
        self._wakes = wakes
        self._name = name
        self._active = True
        self._lock = threading.Lock()
        #: Made with the thread: most interrupters are never started (every run has one).
        self._stopping: threading.Event | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin interrupting, unless already begun or stopped."""
        with self._lock:
            if self._thread is not None or not self._active:
                return
            self._stopping = stopping = threading.Event()
            thread = threading.Thread(
                target=self._interrupt, args=(stopping,), name=self._name, daemon=True
            )
            thread.start()
            self._thread = thread  # only once started: stop() joins it

    def _interrupt(self, stopping: threading.Event) -> None:
        while self._active:
            set_async_exception(self._thread_id, self._exc_type)
            if stopping.wait(INTERRUPT_INTERVAL):
                break
            if self._wakes(signal.getsignal(self._wake_signal)):
                _real_pthread_kill(self._thread_id, self._wake_signal)

    def stop(self, *, taking: tuple[type[BaseException], ...] = ()) -> None:
        """Stop interrupting; an interruption on its way is taken here (with *taking* too).

        Call it from the interrupted thread, once the program's code is over. An interruption
        that lands while stopping is taken and the stopping goes on, so that none reaches the
        caller, and the helper thread is gone when this returns.
        """
        while True:
            try:
                self._stop()
                return
            except (self._exc_type, *taking):
                continue

    def _stop(self) -> None:
        with self._lock:  # one being started is then in self._thread
            self._active = False
            thread, stopping = self._thread, self._stopping
        if thread is None or stopping is None:
            return
        stopping.set()
        thread.join()
        # Taken rather than cancelled: cancelling a pending exception (SetAsyncExc with NULL)
        # leaves the interpreter checking for one at every instruction from then on.
        time.sleep(0.001)  # a pending signal's handler runs here at the latest
        for _ in range(3):
            pass  # a pending exception is raised at the loop's jump back
        self._thread = None
