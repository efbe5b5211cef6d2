"""The shared part of the ``test_compat_*`` modules: targets, helpers and fixtures.

Each test runs the same call through the stdlib's :mod:`runpy` and through
:mod:`pytest_runmain.compat` (the ``impl`` fixture) and checks what runpy documents or does.
``tests/conftest.py`` loads this module as a plugin, so its fixtures reach those modules and its
assertion helpers are rewritten; each module asks for ``isolated_sys``.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.machinery
import importlib.util
import marshal
import os
import py_compile
import sys
import warnings
import zipapp
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, cast

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


@pytest.fixture
def isolated_sys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fresh ``sys.argv``, ``sys.path`` and path importer cache; the test's modules dropped."""
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


def _syntax_error(path: Path) -> SyntaxError:
    try:
        compile(path.read_bytes(), str(path), "exec")
    except SyntaxError as exc:
        return exc
    raise AssertionError(f"{path} compiles")


def _syntax_details(exc: SyntaxError) -> tuple[object, ...]:
    return str(exc), exc.msg, exc.filename, exc.lineno, exc.offset, exc.text


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


BINARIES = {
    "binary": b"\x00\x01\x02binary\n",
    "wrong-magic-pyc": b"\x00\x00\r\n" + bytes(12) + marshal.dumps(compile("x = 1", "x", "exec")),
    "truncated-pyc": importlib.util.MAGIC_NUMBER + bytes(12),
    "bad-marshal-pyc": importlib.util.MAGIC_NUMBER + bytes(12) + b"\xff\xff",
}


ENCODINGS = {
    "latin-1-cookie": b"# -*- coding: latin-1 -*-\ntext = '\xe9'\n",
    "bom": b"\xef\xbb\xbftext = '\xc3\xa9'\n",
    "bom-with-utf-8-cookie": b"\xef\xbb\xbf# coding: utf-8\ntext = '\xc3\xa9'\n",
}


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
