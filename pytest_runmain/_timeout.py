"""A time limit for an in-process run: a timer signal that interrupts the program's main thread.

``SIGALRM`` from ``setitimer`` interrupts pure-Python code, ``time.sleep`` and ``Thread.join``
in the main thread; its handler raises :class:`RunTimeout`. A program may swallow that
(``except BaseException``), so the timer is re-armed to fire again shortly until the program
gives up. When the run ends the timer is disarmed before anything is restored, and a signal
that was already on its way is ignored, so a late alarm never hits the clean-up.

A loop that catches every exception goes on catching the next alarm too: from the second one
on, a trace function raises :class:`RunTimeout` on every line of the program, which its
``except`` blocks cannot catch. A program can also defeat the signal: take ``SIGALRM`` over or
ignore it, or disarm the timer. So a watchdog thread checks the deadline too: a run
still going shortly after it is interrupted from that thread (:mod:`pytest_runmain._interrupt`:
an asynchronous :class:`RunTimeout` at the next bytecode, again and again), and a run still
going :data:`GIVE_UP_AFTER` seconds later, which nothing in-process can stop (a blocking call
with the signal ignored), ends the process with a message that names the run and points to
``mode='subprocess'``, rather than hang the session.

pytest-timeout's signal method uses the same timer. Its deadline is kept: the timer is armed
for whichever deadline comes first, pytest-timeout's handler is called when its own deadline
is reached, and its timer is put back, with the time left, when the run ends.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import faulthandler
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any, Final, final

from pytest_runmain._interrupt import Interrupter

__all__ = ["GIVE_UP_AFTER", "RunTimeout", "TimeLimit", "timeouts_supported"]

#: How soon the timer fires again when the program swallowed the previous interruption.
_REARM_SECONDS: Final = 0.05
#: How long after the deadline the watchdog starts interrupting from its thread.
_WATCHDOG_SLACK: Final = 0.2
#: Seconds after the deadline when a run that nothing stopped ends the process.
GIVE_UP_AFTER: Final = 10.0

_real_os_exit: Final = os._exit


class RunTimeout(BaseException):
    """Raised in the program's main thread when its run is past its time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the run took longer than its timeout of {seconds:g} s")
        self.seconds = seconds


_PACKAGE_PREFIX: Final = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_internal(frame: FrameType) -> bool:
    """Whether *frame* runs this package's code; no Python call, for use in a trace function."""
    return frame.f_code.co_filename.startswith(_PACKAGE_PREFIX)


def _escalated_timeout(seconds: float) -> type[RunTimeout]:
    """A :class:`RunTimeout` for *seconds* that takes no arguments, as an async exception must."""

    class EscalatedTimeout(RunTimeout):
        def __init__(self) -> None:
            super().__init__(seconds)

    EscalatedTimeout.__name__ = EscalatedTimeout.__qualname__ = RunTimeout.__name__
    return EscalatedTimeout


def timeouts_supported() -> bool:
    """Whether an in-process time limit can work here: a timer signal and the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@final
class TimeLimit:
    """Interrupts the main thread with :class:`RunTimeout` once *seconds* have passed."""

    def __init__(self, seconds: float, command: str = "the run") -> None:
        self.seconds = seconds
        #: What is run, for the message when the process must end.
        self.command = command
        #: Whether the limit was reached.
        self.expired = False
        self._armed = False
        self._deadline = 0.0
        self._outer_handler: Any = None
        self._outer_deadline: float | None = None
        self._outer_interval = 0.0
        self._traced = False
        self._outer_trace: Any = None
        self._done = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._interrupter = Interrupter(
            threading.main_thread().ident or 0,
            _escalated_timeout(seconds),
            wake_signal=signal.SIGALRM,
            wakes=lambda handler: self._armed and callable(handler),
            name="pytest-runmain timeout",
        )

    def __enter__(self) -> TimeLimit:
        now = time.monotonic()
        self._deadline = now + self.seconds
        self._outer_handler = signal.getsignal(signal.SIGALRM)
        remaining, self._outer_interval = signal.getitimer(signal.ITIMER_REAL)
        self._outer_deadline = now + remaining if remaining > 0 else None
        signal.signal(signal.SIGALRM, self._on_alarm)
        self._armed = True
        self._arm(now)
        self._watchdog = threading.Thread(
            target=self._watch, name="pytest-runmain timeout watchdog", daemon=True
        )
        self._watchdog.start()
        return self

    def _watch(self) -> None:
        """Stop a run that its signal did not stop; end the process if nothing can."""
        if self._done.wait(self._deadline - time.monotonic() + _WATCHDOG_SLACK):
            return
        self.expired = True
        self._interrupter.start()
        if self._done.wait(GIVE_UP_AFTER - _WATCHDOG_SLACK):
            return
        self._give_up()

    def _give_up(self) -> None:
        message = (
            f"\npytest-runmain: {self.command} is still running {GIVE_UP_AFTER:g} s after its "
            f"timeout of {self.seconds:g} s, and nothing in-process can stop it (it catches "
            "every interruption, or waits in a call with SIGALRM ignored). Ending the whole "
            "process rather than hang. Run it with mode='subprocess': a child process can "
            "always be killed. Where it was:\n"
        )
        try:
            os.write(2, message.encode("utf-8", "backslashreplace"))
            faulthandler.dump_traceback(2, all_threads=True)
        finally:
            _real_os_exit(1)

    def _arm(self, now: float) -> None:
        deadline = self._deadline
        if self._outer_deadline is not None:
            deadline = min(deadline, self._outer_deadline)
        signal.setitimer(signal.ITIMER_REAL, max(deadline - now, 0.001))

    def _on_alarm(self, signum: int, frame: FrameType | None) -> None:
        if not self._armed:
            return
        now = time.monotonic()
        if self._outer_deadline is not None and now >= self._outer_deadline:
            # The outer timer fires now: a one-shot one is spent, a periodic one comes again.
            interval = self._outer_interval
            self._outer_deadline = now + interval if interval > 0 else None
            self.disarm()
            handler = self._outer_handler
            if callable(handler):
                handler(signum, frame)
            return
        if now < self._deadline:
            self._arm(now)
            return
        if self.expired:  # the program swallowed the last one: its handlers must raise too
            self._trace_raising(frame)
        self.expired = True
        signal.setitimer(signal.ITIMER_REAL, _REARM_SECONDS)
        raise RunTimeout(self.seconds)

    def _trace_raising(self, frame: FrameType | None) -> None:
        """Make every line of the program raise :class:`RunTimeout`, its ``except`` blocks too.

        A loop that catches every exception cannot catch one raised in its own handler: the
        trace function raises on each line event of the program's frames (never of this
        package's), until :meth:`disarm` puts the previous trace function back.
        """
        if self._traced:
            return
        self._traced = True
        self._outer_trace = sys.gettrace()
        # The program's frames: from the interrupted one out to the run's own code (not the
        # test's frames beyond it, which would lose an outer tracer's line events).
        while frame is not None and not _is_internal(frame):
            frame.f_trace = self._raise_on_line
            frame.f_trace_lines = True
            frame = frame.f_back
        sys.settrace(self._raise_on_line)  # last: what runs after it is traced

    def _raise_on_line(self, frame: FrameType, event: str, arg: object) -> Any:
        if not self._armed or _is_internal(frame):
            return None
        if event == "line":
            raise RunTimeout(self.seconds)
        return self._raise_on_line

    def disarm(self) -> None:
        """Stop the timer and put pytest-timeout's (or any earlier) timer and handler back.

        Called in the run's thread once the program's code is over; an interruption from the
        watchdog still on its way is taken here.
        """
        if not self._armed:
            return
        self._armed = False
        if self._traced:
            sys.settrace(self._outer_trace)
        self._done.set()
        self._interrupter.stop(taking=(RunTimeout,))
        if self._watchdog is not None:
            self._watchdog.join()
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self._outer_handler is not None:  # None: installed from C, cannot be set back
            signal.signal(signal.SIGALRM, self._outer_handler)
        if self._outer_deadline is not None:
            left = max(self._outer_deadline - time.monotonic(), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, self._outer_interval)

    def __exit__(self, *exc_info: object) -> None:
        self.disarm()
