"""``compat.run_path`` against ``runpy.run_path``: scripts, pyc files, directories, zip files.

Each test runs under both implementations (the ``impl`` fixture): what the namespace holds,
``sys.argv[0]`` and ``sys.path[0]`` during the run, encodings and unreadable code, relative and
path-like arguments, and ``sys`` restored by identity afterwards.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import py_compile
import runpy
import sys
import zipimport
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from compat_support import (
    BINARIES,
    ENCODINGS,
    PATH_KINDS,
    RECORD,
    SysSnapshot,
    _compile,
    _load,
    _make_target,
    _outcome,
    _syntax_details,
    _syntax_error,
    _write,
    _zip,
    _zip_form,
)

if TYPE_CHECKING:
    from compat_support import Impl, Run

pytestmark = pytest.mark.usefixtures("isolated_sys")


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
