from __future__ import annotations

import builtins
import contextlib
import importlib
import importlib.machinery
import importlib.util
import inspect
import marshal
import os
import py_compile
import runpy
import sys
import warnings
import zipapp
import zipfile
import zipimport
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol, cast

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    #: One way to call an implementation; it may patch ``sys`` through the MonkeyPatch.
    Run = Callable[["Impl", pytest.MonkeyPatch], object]

#: Every module the tests create starts with this prefix, so teardown can drop exactly those.
PREFIX = "rmt_"

#: The seven names runpy sets, in the order it sets them.
SPECIAL = [
    "__name__",
    "__file__",
    "__cached__",
    "__doc__",
    "__loader__",
    "__package__",
    "__spec__",
]

#: The key order of a fresh ``ModuleType(name).__dict__``.
MODULE_DICT = ["__name__", "__doc__", "__package__", "__loader__", "__spec__"]

#: Code that records what it sees of ``sys`` into the ``seen`` list passed in init_globals.
RECORD = """\
import sys
seen.append({
    "argv0": sys.argv[0],
    "path0": sys.path[0],
    "module": sys.modules.get(__name__),
    "main": sys.modules.get("__main__"),
    "module_dict_is_globals": getattr(sys.modules.get(__name__), "__dict__", None) is globals(),
    "globals": globals(),
})
"""

BUMP = """\
counter = 0
def bump():
    global counter
    counter += 1
    return counter
"""


class Impl(Protocol):
    def run_module(
        self,
        mod_name: str,
        init_globals: dict[str, Any] | None = ...,
        run_name: str | None = ...,
        alter_sys: bool = ...,
    ) -> dict[str, Any]: ...

    def run_path(
        self,
        path_name: Any,
        init_globals: dict[str, Any] | None = ...,
        run_name: str | None = ...,
    ) -> dict[str, Any]: ...


def _load(name: str) -> Impl:
    return cast(
        "Impl", importlib.import_module("runpy" if name == "runpy" else f"pytest_runmain.{name}")
    )


def _purge() -> None:
    for name in [name for name in sys.modules if name.startswith(PREFIX)]:
        del sys.modules[name]
    importlib.invalidate_caches()


@pytest.fixture(params=["runpy", "compat"])
def impl(request: pytest.FixtureRequest) -> Impl:
    return _load(request.param)


@pytest.fixture
def compat() -> Impl:
    return _load("compat")


@pytest.fixture(autouse=True)
def _isolate_sys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A fresh argv0 object makes "restored by identity" checks meaningful.
    monkeypatch.setattr(sys, "argv", ["".join(["pytest", "-argv0"]), "--flag"])
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setattr(sys, "path_importer_cache", dict(sys.path_importer_cache))
    yield
    _purge()


@pytest.fixture
def mods(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "mods"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def _write(path: Path, content: str | bytes = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _tree(root: Path, files: dict[str, str]) -> None:
    for relative, content in files.items():
        _write(root / relative, content)
    importlib.invalidate_caches()


def _compile(source: Path, cfile: Path | None = None, **options: Any) -> Path:
    """Compile *source* to *cfile* (default: the legacy location next to it) and delete it."""
    target = source.with_suffix(".pyc") if cfile is None else cfile
    py_compile.compile(str(source), cfile=str(target), doraise=True, **options)
    source.unlink()
    importlib.invalidate_caches()
    return target


def _zip(path: Path, members: Mapping[str, str | bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def _pyc_bytes(source: str, tmp: Path) -> bytes:
    src = _write(tmp / "_pyc_source.py", source)
    return _compile(src, tmp / "_pyc_source.pyc").read_bytes()


def _target_modules() -> frozenset[str]:
    """Names of non-package test modules plus runpy's default temp module name."""
    return frozenset(
        name
        for name, module in sys.modules.items()
        if (name.startswith(PREFIX) and not hasattr(module, "__path__")) or name.startswith("<")
    )


@dataclass(frozen=True)
class SysSnapshot:
    """What runpy promises to leave untouched (or restore by identity)."""

    argv: list[str]
    argv_items: tuple[str, ...]
    path: tuple[object, ...]
    main: object
    modules: frozenset[str]

    @classmethod
    def take(cls) -> SysSnapshot:
        return cls(
            sys.argv,
            tuple(sys.argv),
            tuple(sys.path),
            sys.modules.get("__main__"),
            _target_modules(),
        )

    def assert_unchanged(self, imported: frozenset[str] = frozenset()) -> None:
        __tracebackhide__ = True
        assert sys.argv is self.argv
        assert len(sys.argv) == len(self.argv_items)
        assert all(now is then for now, then in zip(sys.argv, self.argv_items, strict=True))
        assert tuple(sys.path) == self.path
        assert sys.modules.get("__main__") is self.main
        assert _target_modules() - imported == self.modules


# --------------------------------------------------------------------------------------
# Targets of every flavour, for tests that apply to all of them
# --------------------------------------------------------------------------------------

MODULE_KINDS = ["module", "module-alter-sys", "package", "package-alter-sys"]
PATH_KINDS = ["script", "pyc", "directory", "zipfile"]
KINDS = MODULE_KINDS + PATH_KINDS
#: Kinds that run in a temporary ``sys.modules`` entry and set ``sys.argv[0]``.
TEMP_KINDS = [kind for kind in KINDS if kind not in ("module", "package")]


def _make_target(kind: str, mods: Path, source: str) -> Callable[..., dict[str, Any]]:
    """Create a target of *kind* running *source*; return ``call(impl, init, run_name)``."""
    paths = mods.parent / "paths"
    if kind in MODULE_KINDS:
        if kind.startswith("module"):
            _write(mods / "rmt_target.py", source)
            name = "rmt_target"
        else:
            _tree(mods, {"rmt_tpkg/__init__.py": "", "rmt_tpkg/__main__.py": source})
            name = "rmt_tpkg"
        alter_sys = kind.endswith("alter-sys")

        def call_module(impl: Impl, init: dict[str, Any] | None, run_name: str | None) -> Any:
            return impl.run_module(name, init, run_name, alter_sys)

        return call_module
    if kind == "script":
        location = _write(paths / "script.py", source)
    elif kind == "pyc":
        location = _compile(_write(paths / "source.py", source), paths / "compiled.pyc")
    elif kind == "directory":
        location = _write(paths / "app" / "__main__.py", source).parent
    else:
        location = _zip(paths / "app.zip", {"__main__.py": source})

    def call_path(impl: Impl, init: dict[str, Any] | None, run_name: str | None) -> Any:
        return impl.run_path(str(location), init, run_name)

    return call_path


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


# --------------------------------------------------------------------------------------
# run_module
# --------------------------------------------------------------------------------------


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


class ModuleError(NamedTuple):
    files: dict[str, str]
    name: str
    error: type[BaseException]
    message: str
    cause: type[BaseException] | None = None
    imported: frozenset[str] = frozenset()


def _finding(name: str, inner: str, hint: bool = False) -> str:
    message = f"Error while finding module specification for {name!r} ({inner})"
    if hint:
        message += f". Try using '{name[:-3]}' instead of '{name}' as the module name."
    return message


BAD_INIT = "raise ImportError('bad init', name={!r})\n"

MODULE_ERRORS: dict[str, ModuleError] = {
    "relative": ModuleError({}, ".rmt_x", ImportError, "Relative module names not supported"),
    "relative-parent": ModuleError(
        {}, "..rmt_x", ImportError, "Relative module names not supported"
    ),
    "not-found": ModuleError({}, "rmt_missing", ImportError, "No module named rmt_missing"),
    "empty-name": ModuleError({}, "", ImportError, "No module named "),
    "missing-parent": ModuleError(
        {},
        "rmt_missing.sub",
        ImportError,
        _finding("rmt_missing.sub", "ModuleNotFoundError: No module named 'rmt_missing'"),
        ModuleNotFoundError,
    ),
    "py-suffix-missing": ModuleError(
        {},
        "rmt_missing.py",
        ImportError,
        _finding("rmt_missing.py", "ModuleNotFoundError: No module named 'rmt_missing'", True),
        ModuleNotFoundError,
    ),
    "py-suffix-of-module": ModuleError(
        {"rmt_plain.py": ""},
        "rmt_plain.py",
        ImportError,
        _finding(
            "rmt_plain.py",
            "ModuleNotFoundError: __path__ attribute not found on 'rmt_plain' "
            "while trying to find 'rmt_plain.py'",
            True,
        ),
        ModuleNotFoundError,
        frozenset({"rmt_plain"}),
    ),
    "py-suffix-of-package": ModuleError(
        {"rmt_pkg/__init__.py": ""},
        "rmt_pkg.py",
        ImportError,
        "No module named rmt_pkg.py",
        None,
        frozenset({"rmt_pkg"}),
    ),
    "submodule-of-builtin": ModuleError(
        {},
        "sys.rmt_x",
        ImportError,
        _finding(
            "sys.rmt_x",
            "ModuleNotFoundError: __path__ attribute not found on 'sys' while trying to find "
            "'sys.rmt_x'",
        ),
        ModuleNotFoundError,
    ),
    "builtin": ModuleError({}, "sys", ImportError, "No code object available for sys"),
    "parent-raises-value-error": ModuleError(
        {"rmt_bad/__init__.py": "raise ValueError('bad init')\n"},
        "rmt_bad.sub",
        ValueError,
        "bad init",
    ),
    "parent-raises-import-error-naming-parent": ModuleError(
        {"rmt_bad/__init__.py": BAD_INIT.format("rmt_bad")},
        "rmt_bad.sub",
        ImportError,
        _finding("rmt_bad.sub", "ImportError: bad init"),
        ImportError,
    ),
    "ancestor-raises-import-error-naming-itself": ModuleError(
        {"rmt_anc/__init__.py": BAD_INIT.format("rmt_anc"), "rmt_anc/mid/__init__.py": ""},
        "rmt_anc.mid.sub",
        ImportError,
        _finding("rmt_anc.mid.sub", "ImportError: bad init"),
        ImportError,
    ),
    "parent-raises-import-error-naming-other": ModuleError(
        {"rmt_bad/__init__.py": BAD_INIT.format("rmt_other")},
        "rmt_bad.sub",
        ImportError,
        "bad init",
    ),
    "parent-raises-import-error-naming-none": ModuleError(
        {"rmt_bad/__init__.py": "raise ImportError('bad init')\n"},
        "rmt_bad.sub",
        ImportError,
        "bad init",
    ),
    "parent-imports-missing-module": ModuleError(
        {"rmt_bad/__init__.py": "import rmt_missing_dependency\n"},
        "rmt_bad.sub",
        ModuleNotFoundError,
        "No module named 'rmt_missing_dependency'",
    ),
    "package-init-raising-import-error-naming-itself": ModuleError(
        {"rmt_bad/__init__.py": BAD_INIT.format("rmt_bad")},
        "rmt_bad",
        ImportError,
        _finding("rmt_bad.__main__", "ImportError: bad init"),
        ImportError,
    ),
    "package-without-main": ModuleError(
        {"rmt_nomain/__init__.py": ""},
        "rmt_nomain",
        ImportError,
        "No module named rmt_nomain.__main__; 'rmt_nomain' is a package and cannot be directly "
        "executed",
        None,
        frozenset({"rmt_nomain"}),
    ),
    "namespace-package-without-main": ModuleError(
        {"rmt_nsp/data.txt": ""},
        "rmt_nsp",
        ImportError,
        "No module named rmt_nsp.__main__; 'rmt_nsp' is a package and cannot be directly executed",
        None,
        frozenset({"rmt_nsp"}),
    ),
    "main-is-a-package": ModuleError(
        {"rmt_mp/__init__.py": "", "rmt_mp/__main__/__init__.py": ""},
        "rmt_mp",
        ImportError,
        "Cannot use package as __main__ module; 'rmt_mp' is a package and cannot be directly "
        "executed",
        None,
        frozenset({"rmt_mp"}),
    ),
    "main-is-a-package-named-directly": ModuleError(
        {"rmt_mp/__init__.py": "", "rmt_mp/__main__/__init__.py": ""},
        "rmt_mp.__main__",
        ImportError,
        "Cannot use package as __main__ module",
        None,
        frozenset({"rmt_mp"}),
    ),
}


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


def _syntax_error(path: Path) -> SyntaxError:
    try:
        compile(path.read_bytes(), str(path), "exec")
    except SyntaxError as exc:
        return exc
    raise AssertionError(f"{path} compiles")


def _syntax_details(exc: SyntaxError) -> tuple[object, ...]:
    return str(exc), exc.msg, exc.filename, exc.lineno, exc.offset, exc.text


WARNING = (
    "'rmt_w.mod' found in sys.modules after import of package 'rmt_w', but prior to execution "
    "of 'rmt_w.mod'; this may result in unpredictable behaviour"
)


def _warning_package(mods: Path) -> None:
    _tree(
        mods,
        {
            "rmt_w/__init__.py": "",
            "rmt_w/mod.py": "ran = True\nif 'seen' in globals():\n    seen.append(__name__)\n",
            "rmt_w/sub/__init__.py": "",
            "rmt_w/sub/__main__.py": "ran = True\n",
        },
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


# --------------------------------------------------------------------------------------
# run_path
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["script.py", "script"])
def test_run_path_script(impl: Impl, tmp_path: Path, name: str) -> None:
    path = _write(tmp_path / name, '"""Doc."""\n' + RECORD)
    seen: list[dict[str, Any]] = []
    snapshot = SysSnapshot.take()
    result = impl.run_path(str(path), {"seen": seen})
    assert result["__name__"] == "<run_path>"
    assert result["__file__"] == str(path)
    assert result["__doc__"] == "Doc."
    assert result["__package__"] == ""
    assert result["__cached__"] is None
    assert result["__loader__"] is None
    assert result["__spec__"] is None
    (record,) = seen
    assert record["argv0"] == str(path)
    assert record["path0"] == sys.path[0]
    assert type(record["module"]) is ModuleType
    assert record["module"].__name__ == "<run_path>"
    assert record["module_dict_is_globals"]
    assert result is not record["globals"]
    snapshot.assert_unchanged()


@pytest.mark.parametrize("name", ["compiled.pyc", "compiled"])
@pytest.mark.parametrize(
    "mode",
    [py_compile.PycInvalidationMode.TIMESTAMP, py_compile.PycInvalidationMode.CHECKED_HASH],
    ids=["timestamp", "hash"],
)
def test_run_path_pyc(
    impl: Impl, tmp_path: Path, name: str, mode: py_compile.PycInvalidationMode
) -> None:
    source = _write(tmp_path / "source.py", "value = 1\ndef f():\n    pass\n")
    pyc = _compile(source, tmp_path / name, invalidation_mode=mode)
    result = impl.run_path(str(pyc))
    assert result["value"] == 1
    assert result["__file__"] == str(pyc)
    assert result["__cached__"] is None
    assert result["__loader__"] is None
    assert result["__spec__"] is None
    assert result["f"].__code__.co_filename == str(source)


def test_run_path_directory(impl: Impl, tmp_path: Path) -> None:
    directory = tmp_path / "app"
    main = _write(directory / "__main__.py", RECORD)
    seen: list[dict[str, Any]] = []
    snapshot = SysSnapshot.take()
    result = impl.run_path(str(directory), {"seen": seen})
    assert result["__name__"] == "<run_path>"
    assert result["__file__"] == str(main)
    assert result["__cached__"] == importlib.util.cache_from_source(str(main))
    assert result["__package__"] == ""
    assert result["__spec__"].name == "__main__"
    assert result["__loader__"] is result["__spec__"].loader
    assert type(result["__loader__"]) is importlib.machinery.SourceFileLoader
    (record,) = seen
    assert record["argv0"] == str(directory)
    assert record["path0"] == str(directory)
    assert record["module"].__name__ == "<run_path>"
    snapshot.assert_unchanged()


def _zip_form(form: str, tmp_path: Path) -> tuple[Path, str]:
    """Build an archive of *form* running RECORD; return it and its main member's name."""
    if form == "zip":
        return _zip(tmp_path / "app.zip", {"__main__.py": RECORD}), "__main__.py"
    if form == "pyc-only":
        members = {"__main__.pyc": _pyc_bytes(RECORD, tmp_path)}
        return _zip(tmp_path / "app.zip", members), "__main__.pyc"
    if form == "named-py":
        return _zip(tmp_path / "x.py", {"__main__.py": RECORD}), "__main__.py"
    source = _write(tmp_path / "src" / "__main__.py", RECORD).parent
    target = tmp_path / "app.pyz"
    zipapp.create_archive(source, target, interpreter="/usr/bin/env python3")
    assert target.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    return target, "__main__.py"


@pytest.mark.parametrize("form", ["zip", "pyc-only", "named-py", "shebang-pyz"])
def test_run_path_zipfile(impl: Impl, tmp_path: Path, form: str) -> None:
    archive, member = _zip_form(form, tmp_path)
    seen: list[dict[str, Any]] = []
    snapshot = SysSnapshot.take()
    result = impl.run_path(str(archive), {"seen": seen})
    file = f"{archive}/{member}"
    assert result["__name__"] == "<run_path>"
    assert result["__file__"] == file
    assert result["__package__"] == ""
    assert result["__spec__"].name == "__main__"
    assert type(result["__loader__"]) is zipimport.zipimporter
    if member.endswith(".py"):
        assert result["__cached__"] == importlib.util.cache_from_source(file)
    (record,) = seen
    assert record["argv0"] == str(archive)
    assert record["path0"] == str(archive)
    snapshot.assert_unchanged()


def test_run_path_directory_with_only_bytecode_cache_is_an_error(
    impl: Impl, tmp_path: Path
) -> None:
    directory = tmp_path / "app"
    source = _write(directory / "__main__.py", "")
    py_compile.compile(str(source), doraise=True)
    source.unlink()
    assert list((directory / "__pycache__").iterdir())
    snapshot = SysSnapshot.take()
    with pytest.raises(ImportError) as excinfo:
        impl.run_path(str(directory))
    assert str(excinfo.value) == f"can't find '__main__' module in {str(directory)!r}"
    snapshot.assert_unchanged()


@pytest.mark.parametrize("form", ["directory", "zip", "bad-pyc-zip"])
def test_run_path_without_main(impl: Impl, tmp_path: Path, form: str) -> None:
    if form == "directory":
        target = tmp_path / "empty"
        _write(target / "other.py")
    elif form == "zip":
        target = _zip(tmp_path / "empty.zip", {"other.py": ""})
    else:
        target = _zip(tmp_path / "bad.zip", {"__main__.pyc": b"\x00\x00\x00\x00garbage"})
    snapshot = SysSnapshot.take()
    with pytest.raises(ImportError) as excinfo:
        impl.run_path(str(target))
    assert type(excinfo.value) is ImportError
    assert str(excinfo.value) == f"can't find '__main__' module in {str(target)!r}"
    assert isinstance(excinfo.value.__cause__, ImportError)
    snapshot.assert_unchanged()


def test_run_path_empty_directory_runs_a_main_found_elsewhere_on_sys_path(
    impl: Impl, mods: Path, tmp_path: Path
) -> None:
    elsewhere = _write(mods / "__main__.py", "where = 'elsewhere'\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = impl.run_path(str(empty))
    assert result["where"] == "elsewhere"
    assert result["__file__"] == str(elsewhere)


@pytest.mark.parametrize("form", ["directory", "zip"])
def test_run_path_needs_sys_modules_main(
    impl: Impl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    target = _write(tmp_path / "app" / "__main__.py").parent
    if form == "zip":
        target = _zip(tmp_path / "app.zip", {"__main__.py": ""})
    monkeypatch.delitem(sys.modules, "__main__")
    snapshot = SysSnapshot.take()
    with pytest.raises(KeyError) as excinfo:
        impl.run_path(str(target))
    assert excinfo.value.args == ("__main__",)
    snapshot.assert_unchanged()


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
def test_run_path_missing_file(
    impl: Impl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, relative: bool
) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = os.path.abspath("missing.py")
    snapshot = SysSnapshot.take()
    with pytest.raises(FileNotFoundError) as excinfo:
        impl.run_path("missing.py" if relative else absolute)
    assert str(excinfo.value) == f"[Errno 2] No such file or directory: {absolute!r}"
    assert excinfo.value.filename == absolute
    snapshot.assert_unchanged()


BINARIES = {
    "binary": b"\x00\x01\x02binary\n",
    "wrong-magic-pyc": b"\x00\x00\r\n" + bytes(12) + marshal.dumps(compile("x = 1", "x", "exec")),
    "truncated-pyc": importlib.util.MAGIC_NUMBER + bytes(12),
    "bad-marshal-pyc": importlib.util.MAGIC_NUMBER + bytes(12) + b"\xff\xff",
}


@pytest.mark.parametrize("content", BINARIES.values(), ids=BINARIES.keys())
def test_run_path_unreadable_code_matches_stdlib(
    impl: Impl, tmp_path: Path, content: bytes
) -> None:
    path = _write(tmp_path / "bad.pyc", content)
    snapshot = SysSnapshot.take()
    with pytest.raises(Exception) as expected:  # noqa: PT011
        runpy.run_path(str(path))
    with pytest.raises(Exception) as excinfo:  # noqa: PT011
        impl.run_path(str(path))
    assert type(excinfo.value) is type(expected.value)
    assert str(excinfo.value) == str(expected.value)
    snapshot.assert_unchanged()


def test_run_path_null_bytes_error_depends_on_version(impl: Impl, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad", BINARIES["binary"])
    with pytest.raises((ValueError, SyntaxError)) as excinfo:
        impl.run_path(str(path))
    assert "source code string cannot contain null bytes" in str(excinfo.value)
    if sys.version_info < (3, 11):
        assert type(excinfo.value) is ValueError


ENCODINGS = {
    "latin-1-cookie": b"# -*- coding: latin-1 -*-\ntext = '\xe9'\n",
    "bom": b"\xef\xbb\xbftext = '\xc3\xa9'\n",
    "bom-with-utf-8-cookie": b"\xef\xbb\xbf# coding: utf-8\ntext = '\xc3\xa9'\n",
}


@pytest.mark.parametrize("content", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_run_path_source_encoding(impl: Impl, tmp_path: Path, content: bytes) -> None:
    result = impl.run_path(str(_write(tmp_path / "script.py", content)))
    assert result["text"] == "\xe9"


def test_run_path_bom_with_latin_1_cookie_is_a_syntax_error(impl: Impl, tmp_path: Path) -> None:
    path = _write(tmp_path / "script.py", b"\xef\xbb\xbf# coding: latin-1\ntext = '\xe9'\n")
    snapshot = SysSnapshot.take()
    with pytest.raises(SyntaxError) as excinfo:
        impl.run_path(str(path))
    assert _syntax_details(excinfo.value) == _syntax_details(_syntax_error(path))
    assert excinfo.value.msg == "encoding problem: iso-8859-1 with BOM"
    snapshot.assert_unchanged()


def test_run_path_syntax_error(impl: Impl, tmp_path: Path) -> None:
    path = _write(tmp_path / "script.py", "x = 1\nx = (\n")
    snapshot = SysSnapshot.take()
    with pytest.raises(SyntaxError) as excinfo:
        impl.run_path(str(path))
    assert _syntax_details(excinfo.value) == _syntax_details(_syntax_error(path))
    snapshot.assert_unchanged()


def test_run_path_relative_script_keeps_relative_file(
    impl: Impl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "sub" / "rel.py", RECORD + "def f():\n    pass\n")
    monkeypatch.chdir(tmp_path)
    relative = os.path.join("sub", "rel.py")
    seen: list[dict[str, Any]] = []
    result = impl.run_path(relative, {"seen": seen})
    assert result["__file__"] == relative
    assert result["f"].__code__.co_filename == relative
    assert seen[0]["argv0"] == relative


def test_run_path_relative_directory(
    impl: Impl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = _write(tmp_path / "reldir" / "__main__.py", RECORD)
    monkeypatch.chdir(tmp_path)
    seen: list[dict[str, Any]] = []
    snapshot = SysSnapshot.take()
    result = impl.run_path("reldir", {"seen": seen})
    assert result["__file__"] == os.path.abspath(main)
    assert seen[0]["argv0"] == "reldir"
    assert seen[0]["path0"] == "reldir"
    snapshot.assert_unchanged()


def test_run_path_pathlike_script(impl: Impl, tmp_path: Path) -> None:
    path = _write(tmp_path / "script.py", RECORD)
    seen: list[dict[str, Any]] = []
    result = impl.run_path(path, {"seen": seen})
    expected: object = str(path) if sys.version_info >= (3, 13) else path
    assert result["__file__"] == expected
    assert type(result["__file__"]) is type(expected)
    assert seen[0]["argv0"] == expected
    assert type(seen[0]["argv0"]) is type(expected)


@pytest.mark.parametrize("form", ["directory", "zip", "empty-directory"])
def test_run_path_pathlike_sys_path_entry_matches_stdlib(
    impl: Impl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    if form == "zip":
        target = _zip(tmp_path / "app.zip", {"__main__.py": "value = 1\n"})
    else:
        target = tmp_path / "app"
        _write(target / ("__main__.py" if form == "directory" else "other.py"), "value = 1\n")
    run: Run = lambda impl, patch: impl.run_path(target)  # noqa: E731
    assert _outcome(run, impl) == _outcome(run, _load("runpy"))


@pytest.mark.parametrize("form", ["script", "directory", "zip"])
@pytest.mark.parametrize("run_name", [None, "rmt_a.b.c", "rmt_plain", "__main__"])
def test_run_path_run_name_sets_name_and_package(
    impl: Impl, tmp_path: Path, form: str, run_name: str | None
) -> None:
    if form == "script":
        target = _write(tmp_path / "script.py", RECORD)
    elif form == "directory":
        target = _write(tmp_path / "app" / "__main__.py", RECORD).parent
    else:
        target = _zip(tmp_path / "app.zip", {"__main__.py": RECORD})
    name = "<run_path>" if run_name is None else run_name
    seen: list[dict[str, Any]] = []
    snapshot = SysSnapshot.take()
    result = impl.run_path(str(target), {"seen": seen}, run_name)
    assert result["__name__"] == name
    assert result["__package__"] == name.rpartition(".")[0]
    if form != "script":
        assert result["__spec__"].name == "__main__"
    assert seen[0]["module"].__name__ == name
    assert seen[0]["module_dict_is_globals"]
    snapshot.assert_unchanged()


def test_run_path_relative_import_in_directory_main_fails(impl: Impl, tmp_path: Path) -> None:
    target = _write(tmp_path / "app" / "__main__.py", "from . import sibling\n").parent
    _write(target / "sibling.py")
    with pytest.raises(ImportError) as excinfo:
        impl.run_path(str(target))
    assert str(excinfo.value) == "attempted relative import with no known parent package"


SYS_PATH_ACTIONS = {
    "none": "",
    "remove": "import sys\nsys.path.remove(sys.path[0])\n",
    "duplicate": "import sys\nsys.path.insert(0, sys.path[0])\n",
    "append": "import sys\nsys.path.append(sys.path[0])\n",
    "raise": "raise RuntimeError('boom')\n",
}


@pytest.mark.parametrize("form", ["directory", "zip"])
@pytest.mark.parametrize("action", SYS_PATH_ACTIONS)
def test_run_path_sys_path_restored(impl: Impl, tmp_path: Path, form: str, action: str) -> None:
    source = SYS_PATH_ACTIONS[action]
    if form == "directory":
        target = _write(tmp_path / "app" / "__main__.py", source).parent
    else:
        target = _zip(tmp_path / "app.zip", {"__main__.py": source})
    before = list(sys.path)
    with pytest.raises(RuntimeError) if action == "raise" else contextlib.nullcontext():
        impl.run_path(str(target))
    expected = {"duplicate": [str(target), *before], "append": [*before, str(target)]}
    assert sys.path == expected.get(action, before)


@pytest.mark.parametrize("kind", PATH_KINDS)
@pytest.mark.parametrize("prior", [False, True], ids=["no-prior", "prior"])
def test_run_path_restores_argv0_and_module_by_identity(
    impl: Impl, mods: Path, monkeypatch: pytest.MonkeyPatch, kind: str, prior: bool
) -> None:
    call = _make_target(kind, mods, RECORD)
    prior_module = ModuleType("<run_path>")
    if prior:
        monkeypatch.setitem(sys.modules, "<run_path>", prior_module)
    argv0 = sys.argv[0]
    seen: list[dict[str, Any]] = []
    call(impl, {"seen": seen}, None)
    assert seen[0]["module"] is not prior_module
    assert sys.argv[0] is argv0
    assert sys.modules.get("<run_path>") is (prior_module if prior else None)


# --------------------------------------------------------------------------------------
# Direct comparison with the stdlib: same input, same observable outcome
# --------------------------------------------------------------------------------------


def _describe(value: object, depth: int = 0) -> object:
    """A comparable, identity-free description of *value*."""
    if value is builtins.__dict__:
        return "<builtins dict>"
    if isinstance(value, (str, bytes, int, float, type(None), os.PathLike)):
        return (type(value).__name__, value)
    if isinstance(value, importlib.machinery.ModuleSpec):
        locations = value.submodule_search_locations
        return (
            "spec",
            value.name,
            value.parent,
            value.origin,
            value.cached,
            value.has_location,
            None if locations is None else list(locations),
            type(value.loader).__name__,
        )
    if isinstance(value, ModuleType):
        return ("module", value.__name__)
    if isinstance(value, type):
        return ("class", value.__module__, value.__qualname__)
    if isinstance(value, FunctionType):
        return ("function", value.__module__, value.__qualname__, value.__code__.co_filename)
    if isinstance(value, BaseException):
        return _describe_error(value, depth)
    if depth < 4 and isinstance(value, (list, tuple)):
        return (type(value).__name__, [_describe(item, depth + 1) for item in value])
    if depth < 4 and isinstance(value, dict):
        return ("dict", [(key, _describe(item, depth + 1)) for key, item in value.items()])
    return ("object", type(value).__module__, type(value).__qualname__)


def _describe_error(exc: BaseException, depth: int = 0) -> object:
    details: list[object] = [type(exc).__name__, str(exc), _describe(exc.args, depth + 1)]
    if isinstance(exc, ImportError):
        details += [exc.name, exc.path]
    if isinstance(exc, OSError):
        details += [exc.errno, exc.filename]
    if isinstance(exc, SyntaxError):
        details += [_syntax_details(exc)]
    if depth < 2:
        details += [
            _describe(exc.__cause__, depth + 1),
            _describe(exc.__context__, depth + 1),
            exc.__suppress_context__,
        ]
    return ("error", details)


def _strip_globals(record: object, namespace: dict[str, Any]) -> object:
    if not isinstance(record, dict) or "globals" not in record:
        return record
    return record | {"globals": record["globals"] is namespace}


def _describe_namespace(namespace: dict[str, Any]) -> list[object]:
    description: list[object] = []
    for key, value in namespace.items():
        if key == "seen":
            value = [_strip_globals(record, namespace) for record in value]
        item = _describe(value)
        if isinstance(value, FunctionType):
            item = (item, value.__globals__ is namespace)
        description.append((key, item))
    return description


def _outcome(run: Run, impl: Impl) -> tuple[object, ...]:
    """Run *run* in a fresh copy of ``sys`` state; describe its result, warnings and ``sys``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["".join(["pytest", "-argv0"]), "--flag"])
        patch.setattr(sys, "path", list(sys.path))
        patch.setattr(sys, "path_importer_cache", dict(sys.path_importer_cache))
        if "__main__" in sys.modules:
            patch.setitem(sys.modules, "__main__", sys.modules["__main__"])
        _purge()
        argv, argv_items = sys.argv, list(sys.argv)
        main, cache = sys.modules.get("__main__"), dict(sys.path_importer_cache)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = run(impl, patch)
            except BaseException as exc:
                outcome: object = ("raised", _describe_error(exc))
            else:
                if isinstance(result, dict):
                    result = _describe_namespace(result)
                outcome = ("returned", result)
        return (
            outcome,
            [(w.category.__name__, str(w.message), w.filename, w.lineno) for w in caught],
            sys.argv is argv,
            _describe(list(sys.argv)),
            [now is then for now, then in zip(sys.argv, argv_items, strict=False)],
            _describe(list(sys.path)),
            sys.modules.get("__main__") is main,
            sorted(name for name in sys.modules if name.startswith((PREFIX, "<"))),
            sorted(
                (repr(key), type(finder).__name__)
                for key, finder in sys.path_importer_cache.items()
                if key not in cache
            ),
        )


#: ``build(root, mods)`` writes the files and returns the ``run(impl, patch)`` to compare.
SCENARIOS: dict[str, Callable[[Path, Path], Run]] = {}


def scenario(build: Callable[[Path, Path], Run]) -> Callable[[Path, Path], Run]:
    SCENARIOS[build.__name__.replace("_", "-")] = build
    return build


def _module_run(name: str, **options: Any) -> Run:
    return lambda impl, patch: impl.run_module(name, {"seen": []}, **options)


def _path_run(path: Any, **options: Any) -> Run:
    return lambda impl, patch: impl.run_path(path, {"seen": []}, **options)


def _each(runs: list[Run]) -> Run:
    return lambda impl, patch: [_outcome(run, impl) for run in runs]


def _target_runs(kinds: list[str], mods: Path, source: str, setup: Run | None = None) -> Run:
    def target_run(kind: str) -> Run:
        call = _make_target(kind, mods / kind, source)

        def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
            patch.syspath_prepend(str(mods / kind))
            if setup is not None:
                setup(impl, patch)
            return call(impl, {"seen": []}, None)

        return run

    return _each([target_run(kind) for kind in kinds])


@scenario
def module(root: Path, mods: Path) -> Run:
    _write(mods / "rmt_mod.py", '"""Doc."""\n' + RECORD + BUMP)
    return _module_run("rmt_mod")


@scenario
def module_alter_sys(root: Path, mods: Path) -> Run:
    _write(mods / "rmt_mod.py", '"""Doc."""\n' + RECORD + BUMP)
    return _module_run("rmt_mod", alter_sys=True)


@scenario
def module_run_name_main_alter_sys(root: Path, mods: Path) -> Run:
    _write(mods / "rmt_mod.py", RECORD)
    return _module_run("rmt_mod", run_name="__main__", alter_sys=True)


@scenario
def package(root: Path, mods: Path) -> Run:
    _tree(mods, {"rmt_p/__init__.py": "", "rmt_p/__main__.py": RECORD + BUMP})
    return _module_run("rmt_p", alter_sys=True)


@scenario
def nested_package_run_name(root: Path, mods: Path) -> Run:
    files = {
        "rmt_a/__init__.py": "",
        "rmt_a/b/__init__.py": "",
        "rmt_a/b/c/__init__.py": "",
        "rmt_a/b/c/__main__.py": RECORD + "from . import sibling\n",
        "rmt_a/b/c/sibling.py": "",
    }
    _tree(mods, files)
    return _module_run("rmt_a.b.c", run_name="rmt_custom.name", alter_sys=True)


@scenario
def namespace_package_main(root: Path, mods: Path) -> Run:
    _tree(mods, {"rmt_ns/sub/__main__.py": RECORD})
    return _module_run("rmt_ns.sub")


@scenario
def legacy_pyc_module(root: Path, mods: Path) -> Run:
    _compile(_write(mods / "rmt_mod.py", RECORD + BUMP))
    return _module_run("rmt_mod", alter_sys=True)


@scenario
def legacy_pyc_package(root: Path, mods: Path) -> Run:
    _tree(mods, {"rmt_p/__init__.py": "", "rmt_p/__main__.py": RECORD})
    _compile(mods / "rmt_p" / "__init__.py")
    _compile(mods / "rmt_p" / "__main__.py")
    return _module_run("rmt_p")


@scenario
def init_globals_with_dunders(root: Path, mods: Path) -> Run:
    _write(mods / "rmt_mod.py", "")
    init = {name: "init" for name in [*reversed(SPECIAL), "__builtins__", "zz", "aa"]}
    return lambda impl, patch: impl.run_module("rmt_mod", init, alter_sys=True)


@scenario
def warning(root: Path, mods: Path) -> Run:
    _warning_package(mods)

    def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        importlib.import_module("rmt_w.mod")
        return impl.run_module("rmt_w.mod", {"seen": []}, alter_sys=True)

    return run


@scenario
def warning_as_error(root: Path, mods: Path) -> Run:
    _warning_package(mods)

    def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        importlib.import_module("rmt_w.mod")
        warnings.simplefilter("error", RuntimeWarning)
        return impl.run_module("rmt_w.mod", {"seen": []}, alter_sys=True)

    return run


@scenario
def stdlib_modules(root: Path, mods: Path) -> Run:
    names = ["__hello__", "__phello__", "json.tool", "_csv", "sys", "json"]
    return _each([_module_run(name) for name in names])


@scenario
def warning_filtered_by_module(root: Path, mods: Path) -> Run:
    _warning_package(mods)

    def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        importlib.import_module("rmt_w.mod")
        warnings.filterwarnings("error", category=RuntimeWarning, module="runpy")
        return impl.run_module("rmt_w.mod", {"seen": []})

    return run


@scenario
def invalid_arguments(root: Path, mods: Path) -> Run:
    script = str(_write(root / "script.py", "x = 1\n"))
    _write(mods / "rmt_mod.py", "x = 1\n")
    runs: list[Run] = [
        lambda impl, patch: impl.run_module(None),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_module(b"rmt_mod"),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_module("rmt_mod", [("pair", 1)]),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_module("rmt_mod", {1: "non-str key"}),  # type: ignore[dict-item]
        lambda impl, patch: impl.run_module("rmt_mod", run_name=5),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_module("rmt_mod", alter_sys=""),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_module("rmt_mod", run_name=5, alter_sys=True),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_path(None),
        lambda impl, patch: impl.run_path(5),
        lambda impl, patch: impl.run_path(""),
        lambda impl, patch: impl.run_path(script, run_name=5),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_path(script, "not a mapping"),  # type: ignore[arg-type]
        lambda impl, patch: impl.run_path(script, init_globals={"__builtins__": None}),
    ]
    return _each(runs)


@scenario
def warning_default_action(root: Path, mods: Path) -> Run:
    _warning_package(mods)

    def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        importlib.import_module("rmt_w.mod")
        warnings.simplefilter("default")
        return [impl.run_module("rmt_w.mod")["ran"] for _ in range(3)]

    return run


class _Loader:
    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour

    def get_code(self, name: str) -> object:
        if self.behaviour == "raises":
            raise ImportError(f"loader for {name} cannot handle it", name=name)
        if self.behaviour == "none":
            return None
        return compile("value = __name__\n", f"<{name}>", "exec")


class _NoCodeLoader:
    pass


class _Finder:
    """A meta path finder for ``rmt_cf_<behaviour>`` names."""

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> object:
        if not name.startswith("rmt_cf_"):
            return None
        behaviour = name.removeprefix("rmt_cf_")
        if behaviour.startswith("raises_"):
            raise {"raises_type": TypeError, "raises_attribute": AttributeError}[behaviour]("bad")
        if behaviour == "no_loader":
            return importlib.machinery.ModuleSpec(name, None)
        if behaviour == "no_get_code":
            return importlib.machinery.ModuleSpec(name, _NoCodeLoader())  # type: ignore[arg-type]
        return importlib.machinery.ModuleSpec(name, _Loader(behaviour), origin=f"<{behaviour}>")  # type: ignore[arg-type]


class _PathHookFinder:
    def __init__(self, path: str) -> None:
        self.path = path

    def find_spec(self, name: str, target: object = None) -> object:
        if name != "__main__":
            return None
        return importlib.machinery.ModuleSpec(name, _Loader("code"), origin=f"{self.path}/main")  # type: ignore[arg-type]


def _custom_path_hook(path: str) -> _PathHookFinder:
    if not str(path).endswith(".custom"):
        raise ImportError("not mine")
    return _PathHookFinder(path)


@scenario
def custom_finders_and_loaders(root: Path, mods: Path) -> Run:
    names = [
        "no_loader",
        "no_get_code",
        "raises",
        "none",
        "code",
        "raises_type",
        "raises_attribute",
    ]

    def use_finder(run: Run) -> Run:
        def with_finder(impl: Impl, patch: pytest.MonkeyPatch) -> object:
            patch.setattr(sys, "meta_path", [_Finder, *sys.meta_path])
            return run(impl, patch)

        return with_finder

    def use_hook(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        patch.setattr(sys, "path_hooks", [_custom_path_hook, *sys.path_hooks])
        return impl.run_path(str(root / "missing.custom"))

    def no_hooks(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        patch.setattr(sys, "path_hooks", [])
        return impl.run_path(str(_write(root / "app" / "__main__.py").parent))

    runs = [use_finder(_module_run(f"rmt_cf_{name}", alter_sys=True)) for name in names]
    return _each([*runs, use_hook, no_hooks])


@scenario
def pytest_rewritten_module(root: Path, mods: Path) -> Run:
    # pytest's assertion rewriter claims modules matching python_files, and has no get_code().
    _write(mods / "rmt_thing_test.py", "x = 1\n")
    return _module_run("rmt_thing_test")


@scenario
def main_as_module_name(root: Path, mods: Path) -> Run:
    def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        spec = getattr(sys.modules["__main__"], "__spec__", None)
        if spec is not None and spec.name == "__main__":
            return "not compared: it would run this process's __main__ again"
        return impl.run_module("__main__")

    return run


@scenario
def odd_sys_modules_entry(root: Path, mods: Path) -> Run:
    def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        patch.setitem(sys.modules, "rmt_int", 42)
        return impl.run_module("rmt_int")

    return run


@scenario
def tuple_argv(root: Path, mods: Path) -> Run:
    def argv_tuple(impl: Impl, patch: pytest.MonkeyPatch) -> None:
        patch.setattr(sys, "argv", ("a", "b"))

    return _target_runs(TEMP_KINDS, mods, RECORD, argv_tuple)


@scenario
def find_spec_value_error(root: Path, mods: Path) -> Run:
    def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        patch.setitem(sys.modules, "rmt_nospec", ModuleType("rmt_nospec"))
        return impl.run_module("rmt_nospec")

    return run


@scenario
def module_syntax_error(root: Path, mods: Path) -> Run:
    _tree(mods, {"rmt_p/__init__.py": "", "rmt_p/__main__.py": "x = (\n"})
    return _module_run("rmt_p", alter_sys=True)


@scenario
def module_errors(root: Path, mods: Path) -> Run:
    runs = []
    for index, case in enumerate(MODULE_ERRORS.values()):
        _tree(mods / str(index), case.files)
        runs.append(_on_path(mods / str(index), _module_run(case.name, alter_sys=True)))
    return _each(runs)


def _on_path(entry: Path, run: Run) -> Run:
    def on_path(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        patch.syspath_prepend(str(entry))
        return run(impl, patch)

    return on_path


@scenario
def script(root: Path, mods: Path) -> Run:
    return _path_run(str(_write(root / "script.py", '"""Doc."""\n' + RECORD + BUMP)))


@scenario
def script_no_suffix(root: Path, mods: Path) -> Run:
    return _path_run(str(_write(root / "script", RECORD)))


@scenario
def script_run_name_dotted(root: Path, mods: Path) -> Run:
    return _path_run(str(_write(root / "script.py", RECORD)), run_name="rmt_a.b")


@scenario
def script_run_name_main(root: Path, mods: Path) -> Run:
    return _path_run(str(_write(root / "script.py", RECORD)), run_name="__main__")


@scenario
def pyc(root: Path, mods: Path) -> Run:
    return _path_run(str(_compile(_write(root / "source.py", RECORD + BUMP), root / "c.pyc")))


@scenario
def pyc_no_suffix(root: Path, mods: Path) -> Run:
    return _path_run(str(_compile(_write(root / "source.py", RECORD), root / "compiled")))


@scenario
def pyc_hash_based(root: Path, mods: Path) -> Run:
    mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
    pyc = _compile(_write(root / "source.py", RECORD), root / "c.pyc", invalidation_mode=mode)
    return _path_run(str(pyc))


@scenario
def directory(root: Path, mods: Path) -> Run:
    return _path_run(str(_write(root / "app" / "__main__.py", RECORD + BUMP).parent))


@scenario
def directory_run_name(root: Path, mods: Path) -> Run:
    return _path_run(str(_write(root / "app" / "__main__.py", RECORD).parent), run_name="rmt_x.y")


@scenario
def directory_only_bytecode_cache(root: Path, mods: Path) -> Run:
    source = _write(root / "app" / "__main__.py", RECORD)
    py_compile.compile(str(source), doraise=True)
    source.unlink()
    return _path_run(str(source.parent))


@scenario
def directory_without_main(root: Path, mods: Path) -> Run:
    return _path_run(str(_write(root / "app" / "other.py").parent))


@scenario
def directory_main_elsewhere(root: Path, mods: Path) -> Run:
    _write(mods / "__main__.py", RECORD)
    return _path_run(str(_write(root / "app" / "other.py").parent))


@scenario
def directory_relative_import(root: Path, mods: Path) -> Run:
    target = _write(root / "app" / "__main__.py", "from . import sibling\n").parent
    _write(target / "sibling.py")
    return _path_run(str(target))


@scenario
def zip_forms(root: Path, mods: Path) -> Run:
    forms = ["zip", "pyc-only", "named-py", "shebang-pyz"]
    return _each([_path_run(str(_zip_form(form, root / form)[0])) for form in forms])


@scenario
def zip_without_main(root: Path, mods: Path) -> Run:
    return _path_run(str(_zip(root / "app.zip", {"other.py": ""})))


@scenario
def zip_bad_main_pyc(root: Path, mods: Path) -> Run:
    return _path_run(str(_zip(root / "app.zip", {"__main__.pyc": b"\x00\x00\x00\x00bad"})))


@scenario
def missing_file(root: Path, mods: Path) -> Run:
    return _path_run(str(root / "missing.py"))


def _in_root(root: Path, run: Run) -> Run:
    def in_root(impl: Impl, patch: pytest.MonkeyPatch) -> object:
        patch.chdir(root)
        return run(impl, patch)

    return in_root


@scenario
def missing_relative_file(root: Path, mods: Path) -> Run:
    return _in_root(root, _path_run("missing.py"))


@scenario
def binaries(root: Path, mods: Path) -> Run:
    paths = [_write(root / name, content) for name, content in BINARIES.items()]
    return _each([_path_run(str(path)) for path in paths])


@scenario
def encodings(root: Path, mods: Path) -> Run:
    contents = [*ENCODINGS.values(), b"\xef\xbb\xbf# coding: latin-1\ntext = '\xe9'\n"]
    paths = [_write(root / f"s{index}.py", content) for index, content in enumerate(contents)]
    return _each([_path_run(str(path)) for path in paths])


@scenario
def relative_paths(root: Path, mods: Path) -> Run:
    _write(root / "sub" / "rel.py", RECORD + BUMP)
    _write(root / "reldir" / "__main__.py", RECORD)
    _zip(root / "rel.zip", {"__main__.py": RECORD})
    targets = [os.path.join("sub", "rel.py"), "reldir", "rel.zip", "."]
    return _each([_in_root(root, _path_run(target)) for target in targets])


@scenario
def pathlike_and_bytes_paths(root: Path, mods: Path) -> Run:
    script = _write(root / "script.py", RECORD)
    directory = _write(root / "app" / "__main__.py", RECORD).parent
    archive = _zip(root / "app.zip", {"__main__.py": RECORD})
    empty = _write(root / "empty" / "other.py").parent
    odd = _write(root / os.fsdecode(b"scr\xffipt.py"), RECORD)
    targets: list[Any] = [script, directory, archive, empty, root / "missing.py", odd]
    targets += [os.fsencode(target) for target in targets]
    return _each([_path_run(target) for target in targets])


CODE_EDGES = {
    "sys-path-removed": "import sys\nsys.path.remove(sys.path[0])\n",
    "sys-path-duplicated": "import sys\nsys.path.insert(0, sys.path[0])\n",
    "globals-cleared": "globals().clear()\nleft = 1\n",
    "own-module-deleted": "import sys\ndel sys.modules[__name__]\n",
    "own-module-deleted-then-exit": "import sys\ndel sys.modules[__name__]\nraise SystemExit(2)\n",
    "own-module-replaced": "import sys\nsys.modules[__name__] = sys\n",
    "argv-cleared": "import sys\nsys.argv.clear()\n",
    "argv-rebound": "import sys\nsys.argv = ['rebound']\n",
    "system-exit": "raise SystemExit('bye')\n",
    "keyboard-interrupt": "raise KeyboardInterrupt\n",
    "exception": "import sys\nsys.argv.append('x')\nraise RuntimeError('boom')\n",
    "sys-path-rebound": "import sys\nsys.path = []\n",
    "sys-modules-main-deleted": "import sys\ndel sys.modules['__main__']\n",
    "argv-cleared-and-module-deleted": "import sys\nsys.argv.clear()\ndel sys.modules[__name__]\n",
}


@scenario
def code_edge_cases(root: Path, mods: Path) -> Run:
    runs = [
        _target_runs(TEMP_KINDS, mods / name, RECORD + source)
        for name, source in CODE_EDGES.items()
    ]
    return _each(runs)


def _empty_argv(impl: Impl, patch: pytest.MonkeyPatch) -> None:
    patch.setattr(sys, "argv", [])


def _no_main_module(impl: Impl, patch: pytest.MonkeyPatch) -> None:
    patch.delitem(sys.modules, "__main__")


@scenario
def empty_argv(root: Path, mods: Path) -> Run:
    return _target_runs(TEMP_KINDS, mods, RECORD, _empty_argv)


@scenario
def main_missing_from_sys_modules(root: Path, mods: Path) -> Run:
    return _target_runs(["directory", "zipfile"], mods, RECORD, _no_main_module)


@scenario
def key_order(root: Path, mods: Path) -> Run:
    init = {"zz": 1, "__file__": "x", "aa": 2}

    def target_run(kind: str) -> Run:
        call = _make_target(kind, mods / kind, "")

        def run(impl: Impl, patch: pytest.MonkeyPatch) -> object:
            patch.syspath_prepend(str(mods / kind))
            return list(call(impl, dict(init), None))

        return run

    return _each([target_run(kind) for kind in KINDS])


@pytest.mark.parametrize("name", SCENARIOS)
def test_same_outcome_as_stdlib(compat: Impl, tmp_path: Path, mods: Path, name: str) -> None:
    run = SCENARIOS[name](tmp_path, mods)
    assert _outcome(run, compat) == _outcome(run, _load("runpy"))
