"""The isolation policy alone: which leaks fail, warn, wait for the test's end or only count."""

from __future__ import annotations

import pytest

from pytest_runmain import RunmainLeakWarning, StateLeak, StateLeakError
from pytest_runmain.leaks import judge_leaks

THREAD = StateLeak("threads", ("+ thread 'x' is still running",))
FILE = StateLeak("file descriptors", ("+ fd 9 left open: /tmp/f",), recheck=lambda: ())


def test_off_ignores_every_leak() -> None:
    judgement = judge_leaks([("python a.py", "off", [THREAD, FILE])])

    assert (judgement.now, judgement.deferred) == ([], [])
    judgement.enforce()  # neither warns nor raises (warnings are errors here)


def test_deferred_leaks_wait_and_the_others_count_now() -> None:
    judgement = judge_leaks([("python a.py", "fail", [THREAD, FILE])])

    assert judgement.now == [("python a.py", "fail", [THREAD])]
    assert judgement.deferred == [("python a.py", "fail", [FILE])]


def test_only_deferred_leaks_do_nothing_now() -> None:
    judgement = judge_leaks([("python a.py", "fail", [FILE])])

    assert judgement.now == []
    judgement.enforce()


def test_warn_warns_with_the_command_and_the_leaks() -> None:
    with pytest.warns(RunmainLeakWarning, match=r"python a.py left interpreter state behind"):
        judge_leaks([("python a.py", "warn", [THREAD])]).enforce()


def test_fail_raises_one_error_for_every_failing_run_after_the_warnings() -> None:
    other = StateLeak("signal handlers", ("~ SIGINT: a handler installed from C -> f",))
    judgement = judge_leaks(
        [
            ("python a.py", "fail", [THREAD]),
            ("python b.py", "warn", [THREAD]),
            ("python c.py", "fail", [other]),
        ]
    )
    result = object()

    with (
        pytest.warns(RunmainLeakWarning, match="python b.py"),
        pytest.raises(StateLeakError) as info,
    ):
        judgement.enforce(result)  # type: ignore[arg-type]

    assert str(info.value).startswith("python a.py left interpreter state behind")
    assert info.value.leaks == [THREAD, other]
    assert info.value.result is result
