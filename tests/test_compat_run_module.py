"""``compat.run_module`` against ``runpy.run_module``: names, packages, errors, warnings.

Each test runs under both implementations (the ``impl`` fixture) and asserts the same
documented outcome: the namespace, ``sys`` during and after the run, the exact exception type,
message and chaining of every way a module cannot be found, and runpy's RuntimeWarning.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

import pytest
from compat_support import (
    BUMP,
    MODULE_ERRORS,
    PREFIX,
    RECORD,
    ModuleError,
    SysSnapshot,
    _compile,
    _finding,
    _syntax_details,
    _syntax_error,
    _tree,
    _warning_package,
    _write,
)

if TYPE_CHECKING:
    from compat_support import Impl

pytestmark = pytest.mark.usefixtures("isolated_sys")


def test_run_module_plain_module(impl: Impl, mods: Path) -> None:
    path = _write(mods / "rmt_plain.py", '"""Doc."""\nvalue = 42\n')
    result = impl.run_module("rmt_plain")
    assert result["value"] == 42
    assert result["__name__"] == "rmt_plain"
    assert result["__file__"] == str(path)
    assert result["__cached__"] == importlib.util.cache_from_source(str(path))
    assert result["__doc__"] == "Doc."
    assert result["__package__"] == ""
    spec = result["__spec__"]
    assert spec.name == "rmt_plain"
    assert spec.origin == str(path)
    assert result["__loader__"] is spec.loader
    assert type(spec.loader) is importlib.machinery.SourceFileLoader
    assert "rmt_plain" not in sys.modules


def test_run_module_package_runs_its_main(impl: Impl, mods: Path) -> None:
    _tree(mods, {"rmt_pkg/__init__.py": "", "rmt_pkg/__main__.py": "value = 1\n"})
    result = impl.run_module("rmt_pkg")
    assert result["value"] == 1
    assert result["__name__"] == "rmt_pkg.__main__"
    assert result["__package__"] == "rmt_pkg"
    assert result["__spec__"].name == "rmt_pkg.__main__"
    assert result["__file__"] == str(mods / "rmt_pkg" / "__main__.py")
    assert "rmt_pkg" in sys.modules
    assert "rmt_pkg.__main__" not in sys.modules


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("as_package", [False, True], ids=["module", "package"])
def test_run_module_nested(impl: Impl, mods: Path, depth: int, as_package: bool) -> None:
    parents = [f"rmt_d{level}" for level in range(depth)]
    files = {"/".join(parents[: level + 1]) + "/__init__.py": "" for level in range(depth)}
    base = "/".join(parents)
    target = ".".join([*parents, "target"])
    if as_package:
        files |= {f"{base}/target/__init__.py": "", f"{base}/target/__main__.py": "value = 1\n"}
        name, package, file = f"{target}.__main__", target, f"{base}/target/__main__.py"
    else:
        files[f"{base}/target.py"] = "value = 1\n"
        name, package, file = target, ".".join(parents), f"{base}/target.py"
    _tree(mods, files)
    result = impl.run_module(target)
    assert result["value"] == 1
    assert result["__name__"] == name
    assert result["__package__"] == package
    assert result["__spec__"].name == name
    assert result["__spec__"].parent == package
    assert result["__file__"] == str(mods / file)
    assert all(".".join(parents[: level + 1]) in sys.modules for level in range(depth))
    assert name not in sys.modules


@pytest.mark.parametrize("as_package", [False, True], ids=["module", "package"])
@pytest.mark.parametrize("alter_sys", [False, True], ids=["keep-sys", "alter-sys"])
def test_run_module_run_name(impl: Impl, mods: Path, as_package: bool, alter_sys: bool) -> None:
    if as_package:
        _tree(mods, {"rmt_rn/__init__.py": "", "rmt_rn/__main__.py": ""})
        spec_name, package = "rmt_rn.__main__", "rmt_rn"
    else:
        _tree(mods, {"rmt_rn/__init__.py": "", "rmt_rn/mod.py": ""})
        spec_name, package = "rmt_rn.mod", "rmt_rn"
    result = impl.run_module(
        spec_name.removesuffix(".__main__"), run_name="rmt_custom", alter_sys=alter_sys
    )
    assert result["__name__"] == "rmt_custom"
    assert result["__spec__"].name == spec_name
    assert result["__package__"] == package
    assert "rmt_custom" not in sys.modules


@pytest.mark.parametrize("alter_sys", [False, True], ids=["keep-sys", "alter-sys"])
@pytest.mark.parametrize("prior", [False, True], ids=["no-prior", "prior"])
def test_run_module_sys_during_and_after(
    impl: Impl, mods: Path, monkeypatch: pytest.MonkeyPatch, alter_sys: bool, prior: bool
) -> None:
    path = _write(mods / "rmt_alter.py", RECORD)
    prior_module = ModuleType("rmt_run") if prior else None
    if prior:
        monkeypatch.setitem(sys.modules, "rmt_run", prior_module)
    snapshot = SysSnapshot.take()
    argv0 = sys.argv[0]
    seen: list[dict[str, Any]] = []
    result = impl.run_module("rmt_alter", {"seen": seen}, "rmt_run", alter_sys)
    (record,) = seen
    assert record["path0"] == sys.path[0]
    if alter_sys:
        assert record["argv0"] == str(path)
        assert type(record["module"]) is ModuleType
        assert record["module"].__name__ == "rmt_run"
        assert record["module"] is not prior_module
        assert record["module_dict_is_globals"]
        assert result is not record["globals"]
        assert result == record["globals"]
    else:
        assert record["argv0"] is argv0
        assert record["module"] is prior_module
        assert result is record["globals"]
    snapshot.assert_unchanged()
    assert sys.modules.get("rmt_run") is prior_module


def test_run_module_result_is_the_namespace_without_alter_sys(impl: Impl, mods: Path) -> None:
    _write(mods / "rmt_ns.py", BUMP)
    result = impl.run_module("rmt_ns")
    assert result["bump"].__globals__ is result
    assert result["bump"]() == 1
    assert result["counter"] == 1


@pytest.mark.parametrize("as_package", [False, True], ids=["module", "package"])
def test_run_module_legacy_pyc_without_source(impl: Impl, mods: Path, as_package: bool) -> None:
    if as_package:
        _tree(mods, {"rmt_lpkg/__init__.py": "", "rmt_lpkg/__main__.py": "value = 1\n"})
        _compile(mods / "rmt_lpkg" / "__init__.py")
        pyc = _compile(mods / "rmt_lpkg" / "__main__.py")
        name = "rmt_lpkg"
    else:
        pyc = _compile(_write(mods / "rmt_legacy.py", "value = 1\n"))
        name = "rmt_legacy"
    result = impl.run_module(name)
    assert result["value"] == 1
    assert result["__file__"] == str(pyc)
    assert result["__cached__"] == str(pyc)
    assert type(result["__loader__"]) is importlib.machinery.SourcelessFileLoader


@pytest.mark.parametrize("run_name", [None, "__main__"])
@pytest.mark.parametrize("alter_sys", [False, True], ids=["keep-sys", "alter-sys"])
def test_run_module_relative_imports_in_package_main(
    impl: Impl, mods: Path, run_name: str | None, alter_sys: bool
) -> None:
    _tree(
        mods,
        {
            "rmt_rel/__init__.py": "",
            "rmt_rel/sibling.py": "value = 5\n",
            "rmt_rel/__main__.py": "from . import sibling\nfrom .sibling import value\n",
        },
    )
    main = sys.modules["__main__"]
    result = impl.run_module("rmt_rel", run_name=run_name, alter_sys=alter_sys)
    assert result["value"] == 5
    assert result["sibling"] is sys.modules["rmt_rel.sibling"]
    assert result["__package__"] == "rmt_rel"
    assert sys.modules["__main__"] is main


@pytest.fixture
def plain_meta_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the interpreter's own finders: pytest's rewriting hook fails ``find_spec("")``."""
    finders = [f for f in sys.meta_path if f.__module__.startswith("_frozen_importlib")]
    monkeypatch.setattr(sys, "meta_path", finders)


@pytest.mark.usefixtures("plain_meta_path")
@pytest.mark.parametrize("case", MODULE_ERRORS.values(), ids=MODULE_ERRORS.keys())
@pytest.mark.parametrize("alter_sys", [False, True], ids=["keep-sys", "alter-sys"])
def test_run_module_errors(impl: Impl, mods: Path, case: ModuleError, alter_sys: bool) -> None:
    _tree(mods, case.files)
    snapshot = SysSnapshot.take()
    with pytest.raises(BaseException) as excinfo:  # noqa: PT011
        impl.run_module(case.name, alter_sys=alter_sys)
    exc = excinfo.value
    assert type(exc) is case.error
    assert str(exc) == case.message
    assert type(exc.__cause__) is (type(None) if case.cause is None else case.cause)
    snapshot.assert_unchanged(case.imported)
    assert {name for name in sys.modules if name.startswith(PREFIX)} == case.imported


def test_run_module_find_spec_value_error(
    impl: Impl, mods: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "rmt_nospec", ModuleType("rmt_nospec"))
    with pytest.raises(ImportError) as excinfo:
        impl.run_module("rmt_nospec")
    assert str(excinfo.value) == _finding("rmt_nospec", "ValueError: rmt_nospec.__spec__ is None")
    assert type(excinfo.value.__cause__) is ValueError


def test_run_module_package_without_main_chains_the_inner_error(impl: Impl, mods: Path) -> None:
    _tree(mods, {"rmt_nomain/__init__.py": ""})
    with pytest.raises(ImportError) as excinfo:
        impl.run_module("rmt_nomain")
    context = excinfo.value.__context__
    assert type(context) is ImportError
    assert str(context) == "No module named rmt_nomain.__main__"


@pytest.mark.parametrize("as_package", [False, True], ids=["module", "package"])
@pytest.mark.parametrize("alter_sys", [False, True], ids=["keep-sys", "alter-sys"])
def test_run_module_syntax_error_is_raised_raw(
    impl: Impl, mods: Path, as_package: bool, alter_sys: bool
) -> None:
    if as_package:
        _tree(mods, {"rmt_syn/__init__.py": "", "rmt_syn/__main__.py": "x = 1\nx = (\n"})
        path, name = mods / "rmt_syn" / "__main__.py", "rmt_syn"
    else:
        path, name = _write(mods / "rmt_syn.py", "x = 1\nx = (\n"), "rmt_syn"
    expected = _syntax_error(path)
    snapshot = SysSnapshot.take()
    with pytest.raises(SyntaxError) as excinfo:
        impl.run_module(name, alter_sys=alter_sys)
    assert type(excinfo.value) is SyntaxError
    assert _syntax_details(excinfo.value) == _syntax_details(expected)
    assert excinfo.value.__cause__ is None
    snapshot.assert_unchanged()


WARNING = (
    "'rmt_w.mod' found in sys.modules after import of package 'rmt_w', but prior to execution "
    "of 'rmt_w.mod'; this may result in unpredictable behaviour"
)


@pytest.mark.parametrize("alter_sys", [False, True], ids=["keep-sys", "alter-sys"])
def test_run_module_warns_for_already_imported_submodule(
    impl: Impl, mods: Path, alter_sys: bool
) -> None:
    _warning_package(mods)
    importlib.import_module("rmt_w.mod")
    with pytest.warns(RuntimeWarning) as record:
        result = impl.run_module("rmt_w.mod", {"seen": []}, alter_sys=alter_sys)
    assert [(w.category, str(w.message)) for w in record] == [(RuntimeWarning, WARNING)]
    assert result["ran"] is True


def test_run_module_warning_as_error_raises_before_running(impl: Impl, mods: Path) -> None:
    _warning_package(mods)
    importlib.import_module("rmt_w.mod")
    seen: list[dict[str, Any]] = []
    snapshot = SysSnapshot.take()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(RuntimeWarning) as excinfo:
            impl.run_module("rmt_w.mod", {"seen": seen}, alter_sys=True)
    assert str(excinfo.value) == WARNING
    assert seen == []
    snapshot.assert_unchanged()


def test_run_module_warning_default_action_shows_once_per_location(impl: Impl, mods: Path) -> None:
    _warning_package(mods)
    importlib.import_module("rmt_w.mod")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        impl.run_module("rmt_w.mod")
        impl.run_module("rmt_w.mod")
    assert [str(w.message) for w in caught] == [WARNING]


@pytest.mark.parametrize("action", ["error", "ignore"])
def test_run_module_warning_is_filterable_by_the_stdlib_module_name(
    impl: Impl, mods: Path, action: Literal["error", "ignore"]
) -> None:
    # `-W ignore::RuntimeWarning:runpy` is the usual way to silence this warning.
    _warning_package(mods)
    importlib.import_module("rmt_w.mod")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings(action, category=RuntimeWarning, module="runpy")
        if action == "error":
            with pytest.raises(RuntimeWarning, match=r"found in sys\.modules"):
                impl.run_module("rmt_w.mod")
        else:
            impl.run_module("rmt_w.mod")
    assert caught == []


@pytest.mark.parametrize(
    ("imported", "target"),
    [
        ("rmt_w.sub", "rmt_w.sub"),
        ("rmt_w", "rmt_w.mod"),
        (None, "rmt_w.mod"),
        ("rmt_top", "rmt_top"),
    ],
    ids=["imported-package", "parent-imported", "nothing-imported", "imported-top-level"],
)
def test_run_module_does_not_warn(
    impl: Impl, mods: Path, imported: str | None, target: str
) -> None:
    _warning_package(mods)
    _write(mods / "rmt_top.py", "ran = True\n")
    if imported:
        importlib.import_module(imported)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = impl.run_module(target, {"seen": []})
    assert result["ran"] is True
