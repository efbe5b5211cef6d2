"""Where runpy's own code is: what tracebacks and warnings name when runpy raised or warned.

The real ``python -m`` shows runpy's frames above the program's (``<frozen runpy>`` from
3.11, the ``runpy.py`` path with source lines on 3.10), and runpy's ``RuntimeWarning`` comes
from runpy's module. To say the same, pytest-runmain needs runpy's filename as shown, and the
line of a given statement in a given runpy function. It reads runpy's source text for that
(never imports or calls runpy), once per process.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import ast
import builtins
import functools
import importlib.util
import os
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from types import CodeType
from typing import Any, final

__all__ = ["RunpyFrames", "RunpySource", "runpy_frames", "runpy_source"]


@final
@dataclass(frozen=True)
class RunpySource:
    """runpy's source as the running interpreter's tracebacks and warnings refer to it."""

    #: The filename tracebacks show: ``<frozen runpy>`` or the path of ``runpy.py``.
    filename: str
    lines: tuple[str, ...]
    #: Each function's first and last line.
    functions: dict[str, tuple[int, int]]

    def line_of(self, function: str, statement: str) -> int | None:
        """The line where *function* has *statement* (compared stripped), or None."""
        first, last = self.functions.get(function, (1, 0))
        for lineno in range(first, last + 1):
            if self.lines[lineno - 1].strip() == statement:
                return lineno
        return None


@functools.cache
def runpy_source() -> RunpySource | None:
    """runpy's source, or None where it cannot be read (then runpy's frames are left out)."""
    spec = importlib.util.find_spec("runpy")
    if spec is None or spec.origin is None:
        return None
    # A frozen module's loader is the FrozenImporter class itself; its source still ships.
    frozen = spec.origin == "frozen" or isinstance(spec.loader, type)
    path = os.path.join(sysconfig.get_path("stdlib"), "runpy.py") if frozen else spec.origin
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    functions = {
        node.name: (node.lineno, node.end_lineno or node.lineno)
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef)
    }
    return RunpySource("<frozen runpy>" if frozen else path, tuple(text.splitlines()), functions)


_Exec = Callable[[CodeType, dict[str, Any]], None]


@final
@dataclass(frozen=True)
class RunpyFrames:
    """Functions that execute code under frames named, placed and filed as runpy's own."""

    #: ``python -m``'s call chain: frames ``_run_module_as_main``, then ``_run_code``.
    run_module_as_main: _Exec
    #: The ``_run_code`` frame alone, as ``runpy.run_module`` and ``runpy.run_path`` have it.
    run_code: _Exec


def _plain_exec(code: CodeType, run_globals: dict[str, Any]) -> None:
    exec(code, run_globals)


@functools.cache
def runpy_frames() -> RunpyFrames:
    """Executors whose frames look like runpy's in any traceback of the program's code.

    The real ``python -m`` runs the program's code from runpy's ``_run_module_as_main`` and
    ``_run_code``; their frames head every traceback, including the one a program's own
    ``sys.excepthook`` receives. These two functions are compiled under runpy's filename,
    with their calls on the lines where runpy has them, so those frames are real frames that
    read the same (``<frozen runpy>`` from 3.11; the ``runpy.py`` path, with its source lines,
    on 3.10). Where runpy's source cannot be read, plain functions stand in.
    """
    source = runpy_source()
    main_line = code_line = None
    if source is not None:
        main_line = source.line_of(
            "_run_module_as_main", "return _run_code(code, main_globals, None,"
        )
        code_line = source.line_of("_run_code", "exec(code, run_globals)")
    if source is None or main_line is None or code_line is None or min(main_line, code_line) < 2:
        return RunpyFrames(_plain_exec, _plain_exec)
    if abs(main_line - code_line) < 2:
        return RunpyFrames(_plain_exec, _plain_exec)
    lines = [""] * max(main_line, code_line)
    lines[code_line - 2] = "def _run_code(code, run_globals):"
    lines[code_line - 1] = "    exec(code, run_globals)"
    lines[main_line - 2] = "def _run_module_as_main(code, main_globals):"
    lines[main_line - 1] = "    _run_code(code, main_globals)"
    namespace: dict[str, Any] = {"__name__": "runpy", "__builtins__": builtins}
    exec(compile("\n".join(lines) + "\n", source.filename, "exec", dont_inherit=True), namespace)
    return RunpyFrames(namespace["_run_module_as_main"], namespace["_run_code"])
