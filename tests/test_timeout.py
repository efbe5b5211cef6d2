"""``TimeLimit`` directly: the run's timer signal, and handing the timer back to an outer one.

An outer timer stands for pytest-timeout's signal method: ``setitimer(ITIMER_REAL)`` with its
own ``SIGALRM`` handler, armed before the run. The tests need the main thread (``main_thread``)
and real time; their margins are wide and they check order and ranges, never speed.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from types import FrameType

import pytest

from pytest_runmain._timeout import RunTimeout, TimeLimit

pytestmark = pytest.mark.usefixtures("main_thread")

#: Longer than any test here waits for: a timer meant to be cut short or handed back.
LONG = 30.0


class OuterTimeout(Exception):
    """What the outer handler raises, as pytest-timeout's fails the test."""


class OuterTimer:
    """An outer timer's handler: records each call, raises :class:`OuterTimeout` on the first."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        self.calls.append(time.monotonic())
        if len(self.calls) == 1:
            raise OuterTimeout

    def arm(self, seconds: float, interval: float = 0.0) -> float:
        """Install this handler and arm the timer; return when, by the monotonic clock."""
        signal.signal(signal.SIGALRM, self)
        signal.setitimer(signal.ITIMER_REAL, seconds, interval)
        return time.monotonic()


@pytest.fixture
def outer() -> Iterator[OuterTimer]:
    """An outer timer to arm; this test's timer and ``SIGALRM`` handler are put back after."""
    handler = signal.getsignal(signal.SIGALRM)
    remaining, interval = signal.getitimer(signal.ITIMER_REAL)
    yield OuterTimer()
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, handler)
    if remaining:
        signal.setitimer(signal.ITIMER_REAL, remaining, interval)


def test_limit_interrupts_the_run_and_leaves_no_timer(outer: OuterTimer) -> None:
    handler = signal.getsignal(signal.SIGALRM)
    with pytest.raises(RunTimeout) as excinfo, TimeLimit(0.2) as limit:
        time.sleep(LONG)
    assert limit.expired
    assert excinfo.value.seconds == 0.2
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler


def test_a_swallowed_timeout_comes_again_and_raises_in_the_handler(outer: OuterTimer) -> None:
    caught: list[RunTimeout] = []
    handled: list[str] = []

    def program() -> None:
        while True:
            try:
                time.sleep(LONG)
            except BaseException as exc:  # a retry loop that swallows everything
                caught.append(exc)  # type: ignore[arg-type]
                handled.append("handled")

    tracer = sys.gettrace()  # coverage's, under pytest-cov
    with pytest.raises(RunTimeout), TimeLimit(0.2):
        program()
    # The first is swallowed; the next is raised in the handler too, at its first line.
    assert (len(caught), handled) == (1, ["handled"])
    assert sys.gettrace() is tracer


def test_a_run_within_its_limit_is_not_interrupted(outer: OuterTimer) -> None:
    with TimeLimit(LONG) as limit:
        time.sleep(0.05)
    assert not limit.expired
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("limit", "runs_for"), [(1.0, LONG), (LONG, 1.0)], ids=["at-its-limit", "on-its-own"]
)
def test_outer_timer_is_handed_back_with_the_time_it_had_left(
    outer: OuterTimer, limit: float, runs_for: float
) -> None:
    armed = outer.arm(LONG, interval=7.0)
    ends_at_limit = pytest.raises(RunTimeout) if limit < runs_for else contextlib.nullcontext()
    with ends_at_limit, TimeLimit(limit):
        time.sleep(runs_for)
    elapsed = time.monotonic() - armed
    remaining, interval = signal.getitimer(signal.ITIMER_REAL)
    assert outer.calls == []
    assert signal.getsignal(signal.SIGALRM) is outer
    assert interval == pytest.approx(7.0)
    # What the outer timer had left: the run's second (or more) is gone from it, and no more.
    assert LONG - elapsed - 1.0 < remaining <= LONG - elapsed + 0.05


def test_outer_deadline_first_calls_the_outer_handler(outer: OuterTimer) -> None:
    armed = outer.arm(0.3)
    with pytest.raises(OuterTimeout), TimeLimit(LONG) as limit:
        time.sleep(LONG)
    # At the outer deadline, far ahead of the run's own (a margin for slow machines).
    assert outer.calls
    assert outer.calls[0] - armed < LONG / 2
    assert not limit.expired
    assert signal.getsignal(signal.SIGALRM) is outer


def test_outer_deadline_first_calls_the_outer_handler_once(outer: OuterTimer) -> None:
    outer.arm(0.3)
    with pytest.raises(OuterTimeout), TimeLimit(LONG):
        time.sleep(LONG)
    time.sleep(0.3)
    assert len(outer.calls) == 1
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
