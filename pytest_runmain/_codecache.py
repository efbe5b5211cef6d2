"""Code compiled once per session: a script's, and the module ``-m`` runs as ``__main__``.

A run executes its target's code as the interpreter does, but compiling it again for every run
of the same unchanged file only costs time. The code object of a script is kept with the bytes
it was compiled from, and is used again only for the same bytes; the code a ``-m`` module's
loader gives is kept with the file's ``stat`` (size, modification time in nanoseconds, inode),
and is asked for again when any of them changes. Code whose compilation issued a warning
(a ``SyntaxWarning`` for an invalid escape, say) is never kept, so that each run shows it as
a new interpreter does. The code of the :data:`MAX_KEPT` files used last is kept. Programs'
other modules go through the import system as usual.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Callable, Iterator
from types import CodeType
from typing import Any, Final

__all__ = ["MAX_KEPT", "cached_code", "clear", "file_key"]

#: path -> (what the code was made from, the code or None when making it warned), the most
#: recently used last.
_CODE: Final[dict[str, tuple[object, CodeType | None]]] = {}
#: How many files' code is kept: a suite that runs many scripts of its own (one per temporary
#: directory, say) does not keep them all.
MAX_KEPT: Final = 256


def file_key(path: str) -> object:
    """What says a file is unchanged: its size, modification time and inode."""
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns, info.st_ino, info.st_dev


def cached_code(path: str, key: object, make: Callable[[], CodeType]) -> CodeType | None:
    """The code for *path* as it is now (*key*), made by *make* once while it is unchanged.

    The first time, *make* runs with every warning recorded: if none was issued, its code is
    kept and returned. None means the caller must make the code itself, under the run's own
    warning filters: making it warned or raised, now or the first time, and does so each time.
    """
    kept = _CODE.pop(path, None)
    if kept is not None and kept[0] == key:
        _CODE[path] = kept
        return kept[1]
    while len(_CODE) >= MAX_KEPT:
        del _CODE[next(iter(_CODE))]
    try:
        with _warnings_recorded() as caught:
            code = make()
    except Exception:
        _CODE[path] = (key, None)
        return None
    _CODE[path] = (key, None if caught else code)
    return None if caught else code


@contextlib.contextmanager
def _warnings_recorded() -> Iterator[list[object]]:
    """Every warning issued, recorded instead of shown, whatever the filters.

    Unlike :class:`warnings.catch_warnings` this does not tell the interpreter that the filters
    changed (the filter list is swapped and put back), which would reset every module's
    registry of warnings already shown once.
    """
    module: Any = warnings
    saved = module.filters, module.showwarning, module._showwarnmsg_impl
    caught: list[object] = []
    module.filters = [("always", None, Warning, None, 0)]
    module.showwarning = module._showwarning_orig
    module._showwarnmsg_impl = caught.append
    try:
        yield caught
    finally:
        module.filters, module.showwarning, module._showwarnmsg_impl = saved


def clear() -> None:
    """Forget every kept code object."""
    _CODE.clear()
