"""``compat``'s run_module and run_path against runpy, for what all target kinds share.

The signatures, then tests parametrized over both implementations (stdlib runpy, ours) and over
the kinds of target (module, package, with and without ``alter_sys``; script, pyc, directory,
zipfile): the namespace's keys and their order, ``init_globals``, and ``sys`` put back.
"""

from __future__ import annotations

import builtins
import contextlib
import inspect
import runpy
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from compat_support import (
    BUMP,
    KINDS,
    MODULE_DICT,
    RECORD,
    SPECIAL,
    TEMP_KINDS,
    SysSnapshot,
    _make_target,
)

if TYPE_CHECKING:
    from compat_support import Impl

pytestmark = pytest.mark.usefixtures("isolated_sys")


def test_signatures_match_stdlib(compat: Impl) -> None:
    for name in ("run_module", "run_path"):
        expected = inspect.signature(getattr(runpy, name)).parameters.values()
        got = inspect.signature(getattr(compat, name)).parameters.values()
        assert [(p.name, p.kind, p.default) for p in got] == [
            (p.name, p.kind, p.default) for p in expected
        ]


@pytest.mark.parametrize("kind", KINDS)
def test_code_does_not_inherit_future_flags(impl: Impl, mods: Path, kind: str) -> None:
    source = "x: int = 1\ndef f(a: int) -> None:\n    pass\n"
    result = _make_target(kind, mods, source)(impl, None, None)
    assert result["__annotations__"] == {"x": int}
    assert result["f"].__annotations__ == {"a": int, "return": None}


def _expected_keys(temp_module: bool, init: dict[str, Any] | None) -> list[str]:
    keys = list(MODULE_DICT) if temp_module else []
    for key in [*(init or {}), *SPECIAL, "__builtins__"]:
        if key not in keys:
            keys.append(key)
    return keys


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "init",
    [
        None,
        {"zz": 1, "aa": 2},
        {"zz": 1, "__file__": "init", "__builtins__": builtins.__dict__, "aa": 2},
    ],
    ids=["no-init", "init", "init-with-dunders"],
)
def test_key_order(impl: Impl, mods: Path, kind: str, init: dict[str, Any] | None) -> None:
    call = _make_target(kind, mods, "")
    result = call(impl, init, None)
    assert list(result) == _expected_keys(kind in TEMP_KINDS, init)


@pytest.mark.parametrize("kind", KINDS)
def test_init_globals_untouched_and_dunders_overridden_except_builtins(
    impl: Impl, mods: Path, kind: str
) -> None:
    call = _make_target(kind, mods, 'n = len("abc")\n')
    fake_builtins = {"len": lambda _: -1}
    init: dict[str, Any] = {name: "init" for name in SPECIAL}
    init.update(__builtins__=fake_builtins, extra="extra")
    before = list(init.items())
    result = call(impl, init, None)
    assert list(init.items()) == before
    assert result is not init
    assert result["__builtins__"] is fake_builtins
    assert result["n"] == -1
    assert result["extra"] == "extra"
    assert [name for name in SPECIAL if result[name] == "init"] == []


@pytest.mark.parametrize("kind", KINDS)
def test_builtins_dict_inserted_and_no_annotations(impl: Impl, mods: Path, kind: str) -> None:
    result = _make_target(kind, mods, "x = 1\n")(impl, None, None)
    assert result["__builtins__"] is builtins.__dict__
    assert "__annotations__" not in result


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("code", [None, 0, 3, "message"])
def test_system_exit_propagates_and_sys_is_restored(
    impl: Impl, mods: Path, kind: str, code: object
) -> None:
    call = _make_target(kind, mods, f"raise SystemExit({code!r})\n")
    snapshot = SysSnapshot.take()
    with pytest.raises(SystemExit) as excinfo:
        call(impl, None, None)
    assert excinfo.value.code == code
    snapshot.assert_unchanged()


@pytest.mark.parametrize("kind", KINDS)
def test_code_clearing_its_globals(impl: Impl, mods: Path, kind: str) -> None:
    call = _make_target(kind, mods, "globals().clear()\nleft = 1\n")
    snapshot = SysSnapshot.take()
    result = call(impl, {"init": 1}, None)
    assert result == {"left": 1}
    snapshot.assert_unchanged()


@pytest.mark.parametrize("kind", TEMP_KINDS)
@pytest.mark.parametrize("prior", [False, True], ids=["no-prior", "prior"])
@pytest.mark.parametrize("then_exit", [False, True], ids=["return", "exit"])
def test_code_deleting_its_sys_modules_entry(
    impl: Impl,
    mods: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    prior: bool,
    then_exit: bool,
) -> None:
    source = "import sys\ndel sys.modules[__name__]\n" + (
        "raise SystemExit(1)\n" if then_exit else ""
    )
    call = _make_target(kind, mods, source)
    prior_module = ModuleType("rmt_run")
    if prior:
        monkeypatch.setitem(sys.modules, "rmt_run", prior_module)
    snapshot = SysSnapshot.take()
    if prior:
        with pytest.raises(SystemExit) if then_exit else contextlib.nullcontext():
            call(impl, None, "rmt_run")
        assert sys.modules["rmt_run"] is prior_module
    else:
        with pytest.raises(KeyError) as excinfo:
            call(impl, None, "rmt_run")
        assert excinfo.value.args == ("rmt_run",)
        assert type(excinfo.value.__context__) is (SystemExit if then_exit else type(None))
    snapshot.assert_unchanged()


@pytest.mark.parametrize("kind", TEMP_KINDS)
def test_empty_argv_raises_index_error_before_running(
    impl: Impl, mods: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    call = _make_target(kind, mods, RECORD)
    monkeypatch.setattr(sys, "argv", [])
    seen: list[dict[str, Any]] = []
    snapshot = SysSnapshot.take()
    with pytest.raises(IndexError) as excinfo:
        call(impl, {"seen": seen}, "rmt_run")
    assert str(excinfo.value) == "list index out of range"
    assert seen == []
    assert "rmt_run" not in sys.modules
    snapshot.assert_unchanged()


@pytest.mark.parametrize("kind", TEMP_KINDS)
def test_code_emptying_argv_raises_index_error_on_restore(
    impl: Impl, mods: Path, kind: str
) -> None:
    call = _make_target(kind, mods, "import sys\nsys.argv.clear()\n")
    argv = sys.argv
    with pytest.raises(IndexError) as excinfo:
        call(impl, None, "rmt_run")
    assert str(excinfo.value) == "list assignment index out of range"
    assert sys.argv is argv
    assert argv == []
    assert "rmt_run" not in sys.modules


@pytest.mark.parametrize("kind", TEMP_KINDS)
def test_code_rebinding_argv_gets_argv0_restored_into_the_new_list(
    impl: Impl, mods: Path, kind: str
) -> None:
    call = _make_target(kind, mods, RECORD + "sys.argv = ['rebound', 'args']\n")
    original = sys.argv
    argv0 = sys.argv[0]
    seen: list[dict[str, Any]] = []
    call(impl, {"seen": seen}, None)
    assert sys.argv is not original
    assert sys.argv[0] is argv0
    assert sys.argv[1:] == ["args"]
    assert original == [seen[0]["argv0"], "--flag"]


@pytest.mark.parametrize("kind", TEMP_KINDS)
def test_run_name_main_restores_pytest_main_by_identity(impl: Impl, mods: Path, kind: str) -> None:
    call = _make_target(kind, mods, RECORD)
    main = sys.modules["__main__"]
    seen: list[dict[str, Any]] = []
    result = call(impl, {"seen": seen}, "__main__")
    assert result["__name__"] == "__main__"
    (record,) = seen
    assert record["main"] is record["module"]
    assert record["main"] is not main
    assert record["module_dict_is_globals"]
    assert sys.modules["__main__"] is main


@pytest.mark.parametrize("kind", TEMP_KINDS)
def test_temp_module_result_is_a_copy(impl: Impl, mods: Path, kind: str) -> None:
    result = _make_target(kind, mods, BUMP)(impl, None, None)
    bump = result["bump"]
    assert bump.__globals__ is not result
    assert bump() == 1
    assert bump() == 2
    assert result["counter"] == 0
    assert bump.__globals__["counter"] == 2
