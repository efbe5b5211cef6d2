"""Differential tests: each scenario runs through ``runpy`` and ``compat``, outcomes compared.

A scenario writes its files and returns one call (or several); ``_outcome`` runs it in a fresh
copy of ``sys`` state and describes, without object identities, what it returned or raised,
the warnings and what ``sys`` looks like afterwards. The two descriptions must be equal.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import py_compile
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest
from compat_support import (
    BINARIES,
    BUMP,
    ENCODINGS,
    KINDS,
    MODULE_ERRORS,
    RECORD,
    SPECIAL,
    TEMP_KINDS,
    _compile,
    _load,
    _make_target,
    _outcome,
    _tree,
    _warning_package,
    _write,
    _zip,
    _zip_form,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from compat_support import Impl, Run

pytestmark = pytest.mark.usefixtures("isolated_sys")


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
