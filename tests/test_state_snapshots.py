"""Snapshots of the state items read and compared at C speed: the same answers as plain copies.

The items copy the interpreter's own containers undecoded, compare them whole, and look at
single entries only where the whole comparison says something changed. These tests hold the
fast paths to the answers of the plain ones: the diff lines, what is written back, the leaks.
"""

from __future__ import annotations

import os

import pytest

from pytest_runmain._state_items import Environ, RunEnviron


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
    assert env["RUNMAIN_NEW"] == "new"
    assert "RUNMAIN_MISSING" not in env
    assert dict(env)["RUNMAIN_NEW"] == "new"
    assert len(env) == len(dict(env))
