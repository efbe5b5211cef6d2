"""Snapshots of the state items read and compared at C speed: the same answers as plain copies.

The items copy the interpreter's own containers undecoded, compare them whole, and look at
single entries only where the whole comparison says something changed. These tests hold the
fast paths to the answers of the plain ones: the diff lines, what is written back, the leaks.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import types
from pathlib import Path

import pytest

from pytest_runmain._state import StateLeak
from pytest_runmain._state_items import (
    Environ,
    FileDescriptors,
    Modules,
    RunEnviron,
    SignalHandlers,
    Threads,
)


def test_environ_diff_names_changed_removed_and_added_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNMAIN_A", "1")
    monkeypatch.setenv("RUNMAIN_B", "2")
    monkeypatch.delenv("RUNMAIN_C", raising=False)
    item = Environ()
    before = item.read()
    assert item.unchanged(before, item.read())
    os.environ["RUNMAIN_A"] = "10"
    del os.environ["RUNMAIN_B"]
    os.environ["RUNMAIN_C"] = "3"
    after = item.read()

    assert not item.unchanged(before, after)
    assert item.diff(before, after) == [
        "~ RUNMAIN_A: '1' -> '10'",
        "- RUNMAIN_B: '2'",
        "+ RUNMAIN_C: '3'",
    ]
    item.write(before)
    assert (os.environ["RUNMAIN_A"], os.environ["RUNMAIN_B"]) == ("1", "2")
    assert "RUNMAIN_C" not in os.environ
    assert item.unchanged(before, item.read())


def test_run_environ_decodes_on_lookup_with_the_overlay_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNMAIN_KEPT", "kept")
    monkeypatch.setenv("RUNMAIN_UNSET", "x")
    env = RunEnviron({"RUNMAIN_UNSET": None, "RUNMAIN_NEW": "new"})
    os.environ["RUNMAIN_KEPT"] = "changed later"  # the run's environment is the one at its start

    assert env["RUNMAIN_KEPT"] == "kept"
    assert env.get("RUNMAIN_UNSET") is None
    assert env.get("RUNMAIN_UNSET", "default") == "default"
    assert env.get("RUNMAIN_MISSING", "default") == "default"
    assert env.get("RUNMAIN_KEPT", "default") == "kept"
    assert env.get("RUNMAIN_NEW") == "new"
    assert env["RUNMAIN_NEW"] == "new"
    assert "RUNMAIN_MISSING" not in env
    assert dict(env)["RUNMAIN_NEW"] == "new"
    assert len(env) == len(dict(env))


def test_descriptors_opened_are_found_and_the_listing_is_not(tmp_path: Path) -> None:
    item = FileDescriptors()
    before = item.read()
    assert item.unchanged(before, item.read())  # the listing's own descriptor is left out
    spare = os.dup(0)
    kept = os.open(tmp_path / "kept", os.O_CREAT | os.O_WRONLY)
    try:
        os.close(spare)
        (leak,) = item.leaks(before, item.read())
    finally:
        os.close(kept)

    assert leak.lines == (f"+ fd {kept} left open: {tmp_path / 'kept'}",)
    assert leak.deferred
    assert item.unchanged(before, item.read())


def test_a_descriptor_closed_by_the_run_is_a_leak() -> None:
    item = FileDescriptors()
    spare = os.dup(0)
    outer = item.read()
    os.close(spare)

    assert item.leaks(outer, item.read()) == [StateLeak(item.name, (f"- fd {spare} was closed",))]


@pytest.mark.usefixtures("main_thread")  # signal handlers change only there
def test_signal_handlers_diff_and_write_back_by_identity() -> None:
    item = SignalHandlers()
    before = item.read()

    def handler(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGUSR1, handler)
    try:
        after = item.read()
        assert not item.unchanged(before, after)
        assert item.diff(before, after) == [f"~ SIGUSR1: SIG_DFL -> {handler.__qualname__}"]
        item.write(before)
        assert signal.getsignal(signal.SIGUSR1) is previous
        assert item.unchanged(before, item.read())
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_a_thread_left_running_is_a_leak_and_the_running_one_is_not_listed() -> None:
    item = Threads()
    before = item.read()
    assert threading.current_thread() not in before
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="lingering", daemon=True)
    thread.start()
    try:
        assert item.leak_diff(before, item.read()) == [
            "+ thread 'lingering' (daemon) is still running"
        ]
    finally:
        stop.set()
        thread.join()
    assert item.unchanged(before, item.read())


def test_modules_diff_finds_replaced_removed_and_new_entries_on_either_path() -> None:
    item = Modules()
    first, second, third = (types.ModuleType(name) for name in ("m1", "m2", "m3"))
    before = {"m1": first, "m2": second}

    assert item.diff(before, {**before, "m3": third}) == ["+ 1 new: m3"]
    assert item.diff(before, {"m1": third, "m3": third}) == [
        "~ m1: replaced by <module 'm3'>",
        "- m2",
        "+ 1 new: m3",
    ]
    # An entry removed and put back again comes last: still not new.
    moved = {"m2": second, "m3": third, "m1": first}
    assert item.diff(before, moved) == ["+ 1 new: m3"]
    assert item.leak_diff(before, moved) == []
    assert item.leak_diff(before, {"m1": first}) == ["- m2"]


def test_modules_write_puts_replaced_entries_back_and_keeps_new_ones() -> None:
    item = Modules()
    outer = item.read()
    original = sys.modules["json"]
    stand_in = types.ModuleType("json")
    sys.modules["json"] = stand_in
    sys.modules["runmain_new_module"] = types.ModuleType("runmain_new_module")
    try:
        item.write(outer)
        assert sys.modules["json"] is original
        assert item.kept == ["runmain_new_module"]
    finally:
        sys.modules["json"] = original
        sys.modules.pop("runmain_new_module", None)
