"""``os._exit`` and forked children: ends that would take the test process down with the run.

``os._exit(n)`` ends the process at once: no ``finally``, no ``atexit``, no flush of buffered
output. In-process it must end the *run* instead. During a run :class:`HardExits` replaces
``os._exit`` with a function that records the first call's status and how much output had
reached the streams' file level, then raises :class:`HardExit` to unwind the program. A
program may catch that (``except BaseException``) and go on; the first call still decides
the result, and nothing the program writes after it counts, as nothing would have been
written by a dead process.

A signal the program sends itself (``os.kill(os.getpid(), SIGTERM)``, ``signal.raise_signal``,
``os.killpg`` of its own group, ``signal.pthread_kill``, ``os.abort()``) that would end the
process, because no Python handler takes it, ends the run the same way, with the status a shell
shows for a death by that signal (128 + N).

``os._exit`` from a thread the program started (a watchdog timer) ends the run too: the status
is recorded, that thread ends, and the run's main thread is interrupted (SIGINT, raised as
``KeyboardInterrupt`` while the program keeps Python's default handler), again and again until
the program's code has unwound. ``os._exit`` from a thread that was running before the run
(pytest-timeout's ``thread`` method ending a hung session) is the real one.

A forked child (``os.fork()``, multiprocessing's fork start method) gets the real ``os._exit``,
and a child that comes back out of the run without exiting is ended by
:func:`exit_forked_child` rather than going on to run the rest of the test session.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, Final, NoReturn, final

from pytest_runmain._exit import signal_name
from pytest_runmain._interrupt import Interrupter

__all__ = ["HardExit", "HardExits", "exit_forked_child"]

_real_os_exit: Final = os._exit
_real_kill: Final = os.kill
_real_killpg: Final = os.killpg
_real_abort: Final = os.abort
_real_raise_signal: Final = signal.raise_signal
_real_pthread_kill: Final = signal.pthread_kill

#: Signals whose default action does not end the process: ignore, stop, continue.
_NOT_FATAL_NAMES: Final = (
    *("SIGCHLD", "SIGURG", "SIGWINCH", "SIGCONT"),
    *("SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU"),
)
_NOT_FATAL_BY_DEFAULT: Final = frozenset(
    getattr(signal, name) for name in _NOT_FATAL_NAMES if hasattr(signal, name)
)


class HardExit(BaseException):
    """Raised by ``os._exit`` during a run to unwind the program; not an exception to catch."""

    def __init__(self, status: int, how: str | None = None) -> None:
        super().__init__(how or f"os._exit({status}) called by the program")
        self.status = status


class _Unwind(HardExit):
    """Raised in the run's thread by another thread's ``os._exit``, to unwind the program.

    Unlike the ``KeyboardInterrupt`` that wakes the thread, ``except KeyboardInterrupt`` does
    not stop it.
    """

    def __init__(self) -> None:
        super().__init__(0, "os._exit called by another thread of the program")


def _kills(signum: int) -> bool:
    """Whether *signum*, delivered to this process now, would end it."""
    if signum == signal.SIGKILL:
        return True
    if signum in _NOT_FATAL_BY_DEFAULT or signum not in signal.valid_signals():
        return False
    try:
        return signal.getsignal(signum) == signal.SIG_DFL
    except (OSError, ValueError):
        return False


@final
class HardExits:
    """Replaces ``os._exit`` (and a program's fatal signals to itself) during a run.

    Remembers the first ending. *output_level* tells how much output has reached the file
    level; it is called when the program ends so, and output still in the buffers then is
    dropped, as a process that dies drops it.
    """

    def __init__(self, output_level: Callable[[], object]) -> None:
        self._output_level = output_level
        self._pid = os.getpid()
        self._run_thread = threading.get_ident()
        self._outside_threads: frozenset[int] = frozenset()
        self._interrupter = Interrupter(
            self._run_thread,
            _Unwind,
            wake_signal=signal.SIGINT,
            wakes=lambda handler: handler is signal.default_int_handler,
            name="pytest-runmain os._exit",
        )
        #: The status of the first ``os._exit`` call or fatal signal, or None.
        self.status: int | None = None
        #: The output level at that call.
        self.level: object = None
        #: How the program ended itself, for the exception in the result.
        self.how: str | None = None

    def _end(self, status: int, how: str | None = None) -> NoReturn:
        if self.status is None:
            self.status = int(status)
            self.level = self._output_level()
            self.how = how
        if threading.get_ident() != self._run_thread:
            self._interrupt_run_thread()
            raise SystemExit  # ends this thread quietly, as the whole process would have ended
        raise HardExit(self.status, self.how)

    def _exit(self, status: int) -> NoReturn:
        ident = threading.get_ident()
        if os.getpid() != self._pid or (
            ident != self._run_thread and ident in self._outside_threads
        ):
            _real_os_exit(status)  # a forked child, or not the program's thread (pytest-timeout)
        self._end(status)

    def _signal_self(self, signum: int, via: str) -> None:
        self._end(128 + signum, f"the program killed itself with {signal_name(signum)} ({via})")

    def _kill(self, pid: int, signum: int) -> None:
        if os.getpid() == self._pid and pid in (self._pid, 0, -os.getpgrp()) and _kills(signum):
            self._signal_self(signum, "os.kill")
        _real_kill(pid, signum)

    def _killpg(self, pgid: int, signum: int) -> None:
        if os.getpid() == self._pid and pgid in (0, os.getpgrp()) and _kills(signum):
            self._signal_self(signum, "os.killpg")
        _real_killpg(pgid, signum)

    def _raise_signal(self, signum: int) -> None:
        if os.getpid() == self._pid and _kills(signum):
            self._signal_self(signum, "signal.raise_signal")
        _real_raise_signal(signum)

    def _pthread_kill(self, thread_id: int, signum: int) -> None:
        if os.getpid() == self._pid and _kills(signum):
            self._signal_self(signum, "signal.pthread_kill")
        _real_pthread_kill(thread_id, signum)

    def _abort(self) -> NoReturn:
        if os.getpid() != self._pid:
            _real_abort()
        self._signal_self(signal.SIGABRT, "os.abort")
        raise AssertionError("unreachable")  # pragma: no cover

    def _interrupt_run_thread(self) -> None:
        """Interrupt the run's thread until the program's code is over (see the module doc)."""
        if self._run_thread == threading.main_thread().ident:
            self._interrupter.start()

    def program_ended(self) -> None:
        """The program's code is over: no more interruptions of the run's thread.

        One sent just before may still be on its way: it is taken here (as ``_Unwind`` or,
        from the waking SIGINT, ``KeyboardInterrupt``), so that none reaches the run's clean-up.
        """
        self._interrupter.stop(taking=(KeyboardInterrupt,))

    def __enter__(self) -> HardExits:
        self._outside_threads = frozenset(threading._active)  # type: ignore[attr-defined]
        for module, name, method in _REPLACED:
            setattr(module, name, getattr(self, method))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.program_ended()
        for (module, name), original in _ORIGINALS.items():
            setattr(module, name, original)

    @property
    def called(self) -> bool:
        return self.status is not None


#: The functions a run replaces, each with the method of :class:`HardExits` standing in for it.
_REPLACED: Final = (
    (os, "_exit", "_exit"),
    (os, "kill", "_kill"),
    (os, "killpg", "_killpg"),
    (os, "abort", "_abort"),
    (signal, "raise_signal", "_raise_signal"),
    (signal, "pthread_kill", "_pthread_kill"),
)
#: The real functions, put back after a run.
_ORIGINALS: Final[dict[tuple[Any, str], Any]] = {
    (module, name): getattr(module, name) for module, name, _ in _REPLACED
}


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
