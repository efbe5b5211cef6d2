"""runpy's execution step: the special globals, and code run under frames that read as runpy's.

:func:`run_code` is the step both :mod:`runpy` functions end in (runpy's ``_run_code``), used
by :mod:`pytest_runmain.compat`; :func:`run_as_main` is runpy's ``_run_module_as_main``, which
``python -m``, a directory and a zip file go through. Their frames are filed as runpy's (see
:mod:`pytest_runmain._runpy_source`), so tracebacks read as under the real command line; the
statements of :func:`run_as_main` are matched to runpy's by :mod:`pytest_runmain._exit`.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import builtins
import importlib.machinery
import sys
from collections.abc import Mapping
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
from typing import Any

from pytest_runmain._locate import MAIN_NAME, find_main_module_code, find_module_code
from pytest_runmain._runpy_source import runpy_frames

__all__ = ["fill_special_globals", "fresh_main_module", "run_as_main", "run_code"]


def run_code(
    code: CodeType,
    run_globals: dict[str, Any],
    init_globals: Mapping[str, Any] | None = None,
    mod_name: str | None = None,
    mod_spec: ModuleSpec | None = None,
    pkg_name: str | None = None,
    script_name: object = None,
) -> dict[str, Any]:
    """Fill *run_globals* with the special globals and execute *code* in it.

    *init_globals* go in first and the seven special names then overwrite them, in runpy's
    order (observable as dict key order). ``__builtins__`` is left to ``exec``. The same
    dict is returned; when *code* raises, the caller still holds the namespace. The code
    runs under a frame that reads as runpy's ``_run_code``.
    """
    fill_special_globals(run_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    runpy_frames().run_code(code, run_globals)
    return run_globals


def fill_special_globals(
    run_globals: dict[str, Any],
    init_globals: Mapping[str, Any] | None,
    mod_name: str | None,
    mod_spec: ModuleSpec | None,
    pkg_name: str | None = None,
    script_name: object = None,
) -> None:
    """runpy's globals: *init_globals*, then the seven special names over them."""
    if init_globals is not None:
        run_globals.update(init_globals)
    if mod_spec is None:
        loader = None
        fname = script_name
        cached = None
    else:
        loader = mod_spec.loader
        fname = mod_spec.origin
        cached = mod_spec.cached
        if pkg_name is None:
            pkg_name = mod_spec.parent
    run_globals.update(
        __name__=mod_name,
        __file__=fname,
        __cached__=cached,
        __doc__=None,
        __loader__=loader,
        __package__=pkg_name,
        __spec__=mod_spec,
    )


def fresh_main_module() -> ModuleType:
    """A ``__main__`` module as the interpreter creates it at start-up."""
    module = ModuleType(MAIN_NAME)
    module.__loader__ = importlib.machinery.BuiltinImporter
    module.__annotations__ = {}
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    return module


def run_as_main(
    mod_name: str,
    alter_argv: bool,
    main_globals: dict[str, Any],
    error: type[Exception],
    started: list[list[str]],
) -> dict[str, Any]:
    """runpy's ``_run_module_as_main``: find *mod_name* (or ``__main__`` on sys.path), run it.

    Lookup failures raise *error*. *started* receives ``sys.argv`` as the code starts.
    """
    if alter_argv or mod_name != MAIN_NAME:
        located = find_module_code(mod_name, error)
    else:
        located = find_main_module_code(error)
    if alter_argv:
        sys.argv[0] = located.spec.origin  # type: ignore[assignment]
    started.append(list(sys.argv))
    fill_special_globals(main_globals, None, MAIN_NAME, located.spec)
    runpy_frames().run_module_as_main(located.code, main_globals)
    return main_globals
