"""Where runpy's own code is: what tracebacks and warnings name when runpy raised or warned.

The real ``python -m`` shows runpy's frames above the program's (``<frozen runpy>`` from
3.11, the ``runpy.py`` path with source lines on 3.10), and runpy's ``RuntimeWarning`` comes
from runpy's module. To say the same, pytest-runmain needs runpy's filename as shown, and the
line of a given statement in a given runpy function. It reads runpy's source text for that
(never imports or calls runpy), once per process.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import os
import sysconfig
from dataclasses import dataclass
from typing import final

__all__ = ["RunpySource", "runpy_source"]


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
