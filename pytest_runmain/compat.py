"""Drop-in replacements for :func:`runpy.run_module` and :func:`runpy.run_path`.

Same signatures, return values, special globals, exceptions, messages, warnings and ``sys``
alterations as the standard library's :mod:`runpy` of the running Python (3.10 to 3.13),
quirks included: this module is the reference point the rest of pytest-runmain is tested
against, and a way to move code written for runpy onto the executor unchanged.

They are built on :mod:`pytest_runmain._locate` and :mod:`pytest_runmain._runpy_step`, not on
runpy. Like runpy they are not a sandbox: imports stay cached and the code may change any
process state. For isolated runs with captured output use the ``run_module`` and ``run_path``
fixtures.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
from typing import Any, Final

from pytest_runmain._locate import (
    find_main_module_code,
    find_module_code,
    is_path_entry,
    read_script_code,
)
from pytest_runmain._runpy_step import run_code

__all__ = ["run_module", "run_path"]

_RUN_PATH_NAME: Final = "<run_path>"
#: Python 3.13 (gh-99437) decodes a PathLike or bytes path to str; earlier versions keep the
#: object as given in ``__file__`` and ``sys.argv[0]``.
_FSDECODES_PATH: Final = sys.version_info >= (3, 13)


class _TempModule:
    """Put a fresh module in ``sys.modules[name]`` and put back what was there.

    The restore is runpy's: the saved module by identity, or the key deleted (a ``KeyError``
    if the code already deleted it).
    """

    def __init__(self, mod_name: str) -> None:
        self.mod_name = mod_name
        self.module = ModuleType(mod_name)
        self._saved_module: list[ModuleType] = []

    def __enter__(self) -> _TempModule:
        if self.mod_name in sys.modules:
            self._saved_module.append(sys.modules[self.mod_name])
        sys.modules[self.mod_name] = self.module
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._saved_module:
            sys.modules[self.mod_name] = self._saved_module[0]
        else:
            del sys.modules[self.mod_name]
        self._saved_module = []


class _ModifiedArgv0:
    """Set ``sys.argv[0]`` for the run; restore index 0 of whatever ``sys.argv`` is then."""

    _unset: Final = object()

    def __init__(self, value: object) -> None:
        self.value = value
        self._saved_value: object = self._unset

    def __enter__(self) -> None:
        if self._saved_value is not self._unset:
            raise RuntimeError("Already preserving saved value")
        self._saved_value = sys.argv[0]
        sys.argv[0] = self.value  # type: ignore[call-overload]

    def __exit__(self, *exc_info: object) -> None:
        self.value = self._unset
        sys.argv[0] = self._saved_value  # type: ignore[call-overload]


def _run_module_code(
    code: CodeType,
    init_globals: Mapping[str, Any] | None,
    mod_name: str,
    mod_spec: ModuleSpec | None = None,
    pkg_name: str | None = None,
    script_name: object = None,
) -> dict[str, Any]:
    """Run *code* in a temporary ``sys.modules[mod_name]`` and return a copy of its globals."""
    fname = script_name if mod_spec is None else mod_spec.origin
    with _TempModule(mod_name) as temp_module, _ModifiedArgv0(fname):
        mod_globals = temp_module.module.__dict__
        run_code(code, mod_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    # A copy: the temporary module's dict may be cleared when the module goes away.
    return mod_globals.copy()


def run_module(
    mod_name: str,
    init_globals: Mapping[str, Any] | None = None,
    run_name: str | None = None,
    alter_sys: bool = False,
) -> dict[str, Any]:
    """Execute a module's code without importing it and return its globals.

    Exactly :func:`runpy.run_module`: a package runs its ``__main__`` submodule; with
    *alter_sys* ``sys.argv[0]`` and ``sys.modules[run_name]`` change during the run and a copy
    of the globals is returned, otherwise the execution namespace itself.
    """
    located = find_module_code(mod_name)
    if run_name is None:
        run_name = located.name
    if alter_sys:
        return _run_module_code(located.code, init_globals, run_name, located.spec)
    return run_code(located.code, {}, init_globals, run_name, located.spec)


def run_path(
    path_name: str | os.PathLike[str],
    init_globals: Mapping[str, Any] | None = None,
    run_name: str | None = None,
) -> dict[str, Any]:
    """Execute the code at a filesystem location and return a copy of its globals.

    Exactly :func:`runpy.run_path`: a script (source or bytecode, any suffix) runs directly;
    a directory or zip file is put first on ``sys.path`` while its ``__main__`` module is found
    and run, and taken off again afterwards.
    """
    if run_name is None:
        run_name = _RUN_PATH_NAME
    pkg_name = run_name.rpartition(".")[0]
    path_is_entry = is_path_entry(path_name)
    if _FSDECODES_PATH:
        path_name = os.fsdecode(path_name)
    if not path_is_entry:
        code = read_script_code(path_name, path_name)
        return _run_module_code(
            code, init_globals, run_name, pkg_name=pkg_name, script_name=path_name
        )
    sys.path.insert(0, path_name)  # type: ignore[arg-type]
    try:
        located = find_main_module_code()
        with _TempModule(run_name) as temp_module, _ModifiedArgv0(path_name):
            mod_globals = temp_module.module.__dict__
            return run_code(
                located.code, mod_globals, init_globals, run_name, located.spec, pkg_name
            ).copy()
    finally:
        try:
            sys.path.remove(path_name)  # type: ignore[arg-type]
        except ValueError:
            pass
