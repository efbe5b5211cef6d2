"""Code compiled once per session: a script's, and the module ``-m`` runs as ``__main__``.

A run executes its target's code as the interpreter does, but compiling it again for every run
of the same unchanged file only costs time. The code object of a script is kept with the bytes
it was compiled from, and is used again only for the same bytes; the code a ``-m`` module's
loader gives is kept with the file's ``stat`` (size, modification time in nanoseconds, inode),
and is asked for again when any of them changes. Code whose compilation issued a warning
(a ``SyntaxWarning`` for an invalid escape, say) is never kept, so that each run shows it as
a new interpreter does. The code of the :data:`MAX_KEPT` files used last is kept. A run's
imports from source are compiled once too (:func:`imports_compiled_once`); they go through
the import system as usual otherwise.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import contextlib
import importlib.machinery
import os
import warnings
from collections.abc import Callable, Iterator
from types import CodeType
from typing import Any, Final

__all__ = [
    "MAX_KEPT",
    "cached_code",
    "clear",
    "file_key",
    "imports_compiled_once",
    "loaders_as_they_are",
]

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


#: The stand-in for ``SourceLoader.source_to_code``, compiled as importlib's own code: when
#: the source does not compile, the interpreter trims importlib's frames from the traceback
#: (``remove_importlib_frames``), and only a chunk of frames all of importlib goes.
_SOURCE_TO_CODE: Final = compile(
    "def source_to_code(self, data, path, **options):\n"
    "    code = kept(self, data, path, options)\n"
    "    return code if code is not None else original(self, data, path, **options)\n",
    "<frozen importlib._bootstrap_external>",
    "exec",
)


def clear() -> None:
    """Forget every kept code object."""
    _CODE.clear()


@contextlib.contextmanager
def imports_compiled_once() -> Iterator[None]:
    """While it lasts, a module imported from source is compiled once per session.

    The program's own modules are forgotten after each run and imported again by the next
    (as a new process would), and without a bytecode cache (``PYTHONDONTWRITEBYTECODE``, a
    read-only tree) each import compiles them again. ``SourceLoader.source_to_code``, which
    every source import calls, keeps the code for the same path and bytes, as
    :func:`cached_code` keeps a script's; the module's code still runs on every import.
    """
    loader_class: Any = importlib.machinery.SourceFileLoader
    own = "source_to_code" in vars(loader_class)  # else inherited, from SourceLoader
    original = loader_class.source_to_code

    def kept(loader: object, data: bytes, path: str, options: dict[str, Any]) -> CodeType | None:
        key = (bytes(data), tuple(sorted(options.items())))
        return cached_code(str(path), key, lambda: original(loader, data, path, **options))

    namespace: dict[str, Any] = {"kept": kept, "original": original}
    exec(_SOURCE_TO_CODE, namespace)
    stand_in = namespace["source_to_code"]
    loader_class.source_to_code = stand_in
    _STAND_INS.append((stand_in, original))
    try:
        yield
    finally:
        _STAND_INS.pop()
        if own:
            loader_class.source_to_code = original
        else:
            del loader_class.source_to_code


#: The stand-ins installed by :func:`imports_compiled_once`, innermost last, each with what
#: it stands for.
_STAND_INS: Final[list[tuple[Any, Any]]] = []


@contextlib.contextmanager
def loaders_as_they_are() -> Iterator[None]:
    """Without the stand-in of :func:`imports_compiled_once` while it lasts.

    For runpy's own calls of a loader's ``get_code``: the traceback of code that does not
    compile shows the loader's frames, and no frame of ours may be among them.
    """
    loader_class: Any = importlib.machinery.SourceFileLoader
    if not _STAND_INS or vars(loader_class).get("source_to_code") is not _STAND_INS[-1][0]:
        yield
        return
    stand_in, original = _STAND_INS[-1]
    del loader_class.source_to_code
    if loader_class.source_to_code is not original:  # it had one of its own
        loader_class.source_to_code = original
    try:
        yield
    finally:
        loader_class.source_to_code = stand_in
