"""A time limit for an in-process run: a timer signal that interrupts the program's main thread.

``SIGALRM`` from ``setitimer`` interrupts pure-Python code, ``time.sleep`` and ``Thread.join``
in the main thread; its handler raises :class:`RunTimeout`. A program may swallow that
(``except BaseException``), so the timer is re-armed to fire again shortly until the program
gives up. When the run ends the timer is disarmed before anything is restored, and a signal
that was already on its way is ignored, so a late alarm never hits the clean-up.

pytest-timeout's signal method uses the same timer. Its deadline is kept: the timer is armed
for whichever deadline comes first, pytest-timeout's handler is called when its own deadline
is reached, and its timer is put back, with the time left, when the run ends.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import signal
import threading
import time
from types import FrameType
from typing import Any, Final, final

__all__ = ["RunTimeout", "TimeLimit", "timeouts_supported"]

#: How soon the timer fires again when the program swallowed the previous interruption.
_REARM_SECONDS: Final = 0.05


class RunTimeout(BaseException):
    """Raised in the program's main thread when its run is past its time limit."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the run took longer than its timeout of {seconds:g} s")
        self.seconds = seconds


def timeouts_supported() -> bool:
    """Whether an in-process time limit can work here: a timer signal and the main thread."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@final
class TimeLimit:
    """Interrupts the main thread with :class:`RunTimeout` once *seconds* have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        #: Whether the limit was reached.
        self.expired = False
        self._armed = False
        self._deadline = 0.0
        self._outer_handler: Any = None
        self._outer_deadline: float | None = None
        self._outer_interval = 0.0

    def __enter__(self) -> TimeLimit:
        now = time.monotonic()
        self._deadline = now + self.seconds
        self._outer_handler = signal.getsignal(signal.SIGALRM)
        remaining, self._outer_interval = signal.getitimer(signal.ITIMER_REAL)
        self._outer_deadline = now + remaining if remaining > 0 else None
        signal.signal(signal.SIGALRM, self._on_alarm)
        self._armed = True
        self._arm(now)
        return self

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
        self.expired = True
        signal.setitimer(signal.ITIMER_REAL, _REARM_SECONDS)
        raise RunTimeout(self.seconds)

    def disarm(self) -> None:
        """Stop the timer and put pytest-timeout's (or any earlier) timer and handler back."""
        if not self._armed:
            return
        self._armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        if self._outer_handler is not None:  # None: installed from C, cannot be set back
            signal.signal(signal.SIGALRM, self._outer_handler)
        if self._outer_deadline is not None:
            left = max(self._outer_deadline - time.monotonic(), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, self._outer_interval)

    def __exit__(self, *exc_info: object) -> None:
        self.disarm()
