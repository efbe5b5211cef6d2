"""The pieces of interpreter state a run may change, as :class:`~pytest_runmain._state.StateItem`.

Each item reads a cheap snapshot (identities and shallow copies), writes one back, and, where the
run needs it, sets up what a program under the real command line sees: its own ``sys.argv``, a
``sys.path`` starting with the command line's entry, a fresh ``__main__``, the run's streams,
the interpreter's default hooks, the run's environment and working directory. Logging and the
warnings machinery are in :mod:`pytest_runmain._logstate`.

:data:`STATE_ITEMS` is the one list of them: a run builds its items from it
(:func:`run_items`), and so does :func:`~pytest_runmain.leaks.state_unchanged`
(:func:`check_items`); the table of state in ``docs/isolation.md`` has its rows (a test
compares them). Adding a piece of state is a class here, a row there and that row in the table.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]
import functools
import gc
import importlib.machinery
import itertools
import operator
import os
import signal
import site
import sys
import sysconfig
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any, Final, TextIO, final

from pytest_runmain._exit import signal_name
from pytest_runmain._locate import MAIN_NAME
from pytest_runmain._logstate import Logging, Warnings
from pytest_runmain._open_fds import FD_DIR, DescriptorTable, OpenDescriptors
from pytest_runmain._process_state import (
    Builtins,
    CEnvironment,
    ChildProcesses,
    InterpreterSettings,
    ModuleAttributes,
    ModuleFunctions,
    ProcessSettings,
    Registrations,
    SpawnedChildren,
    StdFileDescriptors,
    Timers,
    stdlib_helpers,
)
from pytest_runmain._state import Same, StateItem, StateLeak, dict_diff, sequence_diff

__all__ = [
    "STATE_ITEMS",
    "Cwd",
    "Environ",
    "FileDescriptors",
    "ImportSystem",
    "LibraryState",
    "MainThreadDaemon",
    "Modules",
    "OwnCode",
    "RecursionLimit",
    "RunContext",
    "RunEnviron",
    "SignalHandlers",
    "StateItemSpec",
    "StdStreams",
    "SysArgv",
    "SysHooks",
    "SysPath",
    "ThreadNames",
    "Threads",
    "TraceFunctions",
    "Umask",
    "check_items",
    "merged_environ",
    "run_items",
]


#: The functions the items call, taken at import: a program that patches ``os.listdir`` or
#: ``threading.enumerate`` must not fool the checks.
_enumerate: Final = threading.enumerate
_get_ident: Final = threading.get_ident
_fstat: Final = os.fstat
_readlink: Final = os.readlink
_getcwd: Final = os.getcwd
_chdir: Final = os.chdir


class _SysList(StateItem):
    """A list in ``sys`` that must come back as the same object with the same contents."""

    attribute: str = ""

    def read(self) -> tuple[Same[list[Any]], list[Any]]:
        current = getattr(sys, self.attribute)
        return Same(current), list(current)

    def write(self, snapshot: tuple[Same[list[Any]], list[Any]]) -> None:
        same, contents = snapshot
        same.obj[:] = contents
        setattr(sys, self.attribute, same.obj)

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = sequence_diff(before[1], after[1])
        if before[0] != after[0]:
            lines.insert(0, f"~ sys.{self.attribute} was replaced by another list")
        return lines


@final
class SysArgv(_SysList):
    """``sys.argv``: a new list for the run, the original list object and contents after."""

    name = "sys.argv"
    attribute = "argv"

    def __init__(self, argv: list[str] | None = None) -> None:
        self._run_argv = argv

    def setup(self) -> bool:
        if self._run_argv is None:
            return False
        sys.argv = self._run_argv
        return True


@final
class SysPath(_SysList):
    """``sys.path``, starting with the command line's ``sys.path[0]`` (if any) during the run."""

    name = "sys.path"
    attribute = "path"

    def __init__(self, first_entry: str | None = None) -> None:
        self._first_entry = first_entry

    def setup(self) -> bool:
        if self._first_entry is None:
            return False
        sys.path.insert(0, self._first_entry)
        return True


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _is_pytest_import_hook(finder: object) -> bool:
    cls = type(finder)
    return cls.__name__ == "AssertionRewritingHook" and cls.__module__.startswith("_pytest.")


@final
class ImportSystem(StateItem):
    """``sys.meta_path``, ``sys.path_hooks`` and ``sys.path_importer_cache``.

    pytest's assertion-rewriting import hook sits first on ``sys.meta_path``. It claims modules
    named like test files (``test_*.py``), cannot give their code to ``python -m``, and
    rewrites ``assert`` statements: none of that happens under the real command line, so the
    run does not see it. The finder cache fills as the run imports from new directories: that
    is the import machinery's doing, so it is restored but not listed as a change.
    """

    name = "sys.meta_path, sys.path_hooks"

    def __init__(self, *, hide_pytest_hook: bool = True) -> None:
        self._hide_pytest_hook = hide_pytest_hook

    def read(self) -> tuple[Any, ...]:
        return (
            Same(sys.meta_path),
            list(sys.meta_path),
            Same(sys.path_hooks),
            list(sys.path_hooks),
        )

    def write(self, snapshot: tuple[Any, ...]) -> None:
        meta_path, meta_path_contents, path_hooks, path_hooks_contents = snapshot
        meta_path.obj[:] = meta_path_contents
        sys.meta_path = meta_path.obj
        path_hooks.obj[:] = path_hooks_contents
        sys.path_hooks = path_hooks.obj

    def setup(self) -> bool:
        kept = [f for f in sys.meta_path if not _is_pytest_import_hook(f)]
        if not self._hide_pytest_hook or len(kept) == len(sys.meta_path):
            return False
        sys.meta_path[:] = kept
        return True

    def diff(self, before: Any, after: Any) -> list[str]:
        return sequence_diff(before[1], after[1]) + sequence_diff(before[3], after[3])


@final
class PathImporterCache(StateItem):
    """``sys.path_importer_cache``: restored, not reported (the import machinery fills it)."""

    name = "sys.path_importer_cache"
    reports_changes = False

    def read(self) -> tuple[Same[dict[str, Any]], dict[str, Any]]:
        return Same(sys.path_importer_cache), dict(sys.path_importer_cache)

    def write(self, snapshot: tuple[Same[dict[str, Any]], dict[str, Any]]) -> None:
        same, contents = snapshot
        same.obj.clear()
        same.obj.update(contents)
        sys.path_importer_cache = same.obj

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = dict_diff(before[1], after[1])
        if before[0] != after[0]:
            lines.insert(0, "~ sys.path_importer_cache was replaced by another dict")
        return lines


@functools.cache
def _library_dirs() -> tuple[str, ...]:
    """Directories whose modules belong to the installation, never to a program under test."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    dirs.update(sysconfig.get_paths().values())
    dirs.update(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.USER_SITE:
        dirs.add(site.USER_SITE)
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs if d)


def _is_extension(module: object) -> bool:
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) or getattr(module, "__file__", None) or ""
    return isinstance(origin, str) and origin.endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)
    )


@final
class OwnCode:
    """Which modules and frames belong to the program under test, not to libraries.

    The program's own modules are those of the target's top-level package (``-m``) and
    those loaded from the command line's ``sys.path[0]`` entry (a script's directory, the
    directory or zip run), minus anything installed (stdlib, site-packages). Extension modules
    are never the program's: they cannot be imported twice.
    """

    def __init__(
        self, main_globals: dict[str, Any], package: str | None, path_entry: str | None
    ) -> None:
        self._main_globals = main_globals
        self._package = package
        self._entry = os.path.join(os.path.realpath(path_entry), "") if path_entry else None
        self._library_dirs = _library_dirs()

    def owns_module(self, name: str, module: object) -> bool:
        if _is_extension(module):
            return False
        if self._package and (name == self._package or name.startswith(self._package + ".")):
            return True
        if self._entry is None:
            return False
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            return False
        path = os.path.realpath(file)
        return path.startswith(self._entry) and not path.startswith(self._library_dirs)

    def owns_frame(self, frame: FrameType) -> bool:
        """Whether code running in *frame* is the program's (for its ``atexit`` calls)."""
        if frame.f_globals is self._main_globals:
            return True
        name = frame.f_globals.get("__name__")
        return isinstance(name, str) and self.owns_module(name, sys.modules.get(name))


@final
class Modules(StateItem):
    """``sys.modules``: the run's ``__main__``; entries put back; the program's imports dropped.

    Entries the run replaced or removed are put back. Modules of the program (see
    :class:`OwnCode`) that the run imported are removed, so the next run imports them afresh,
    as a new process would, and so are the ``pkg.__main__`` entry points it imported (a
    script doing ``from pkg.__main__ import main``, as console scripts do): left imported,
    they would make the next ``python -m pkg`` warn, which a new process never does. Other
    new imports (libraries) stay, like in any test; :attr:`kept` and :attr:`forgotten` list
    them.
    """

    name = "sys.modules"

    def __init__(
        self,
        main: ModuleType | None = None,
        own: OwnCode | None = None,
        set_aside: tuple[str, ...] = (),
    ) -> None:
        self._main = main
        self._own = own
        self._set_aside = set_aside
        #: New imports that stayed in ``sys.modules``, after :meth:`write`.
        self.kept: list[str] = []
        #: The program's own new imports, removed by :meth:`write`.
        self.forgotten: list[str] = []

    def read(self) -> dict[str, Any]:
        # Modules compare by identity (ModuleType has no __eq__): a plain copy is enough.
        return sys.modules.copy()

    def setup(self) -> None:
        if self._main is not None:
            sys.modules[MAIN_NAME] = self._main
        for name in self._set_aside:
            # A module the test process imported is not imported in a new process: runpy
            # would find it there and warn. Packages stay (they hold what tests patch).
            if not hasattr(sys.modules.get(name), "__path__"):
                sys.modules.pop(name, None)

    def write(self, snapshot: dict[str, Any]) -> None:
        modules = sys.modules
        # What set-up replaced first: then, usually, only new imports differ.
        for name in (MAIN_NAME, *self._set_aside):
            if name in snapshot:
                self._put_back(name, snapshot[name])
        added = _added_names(snapshot, modules)  # C loops: no import can run in between
        if added is None:
            for name, module in snapshot.items():
                self._put_back(name, module)
            added = [n for n in modules if n not in snapshot]
        for name in added:
            module = modules[name]
            entry_point = name == MAIN_NAME or name.endswith("." + MAIN_NAME)
            if entry_point or (self._own is not None and self._own.owns_module(name, module)):
                del modules[name]
                _rebind_on_parent(name, module, _UNBOUND)
                self.forgotten.append(name)
            else:
                self.kept.append(name)

    def undo_setup(self, outer: dict[str, Any]) -> bool:
        # No import, no entry replaced or removed: only set-up's entries differ.
        for name in (MAIN_NAME, *self._set_aside):
            if name in outer:
                self._put_back(name, outer[name])
            else:
                sys.modules.pop(name, None)
        return True

    @staticmethod
    def _put_back(name: str, module: Any) -> None:
        replaced = sys.modules.get(name, None)
        if replaced is not module:
            sys.modules[name] = module
            _rebind_on_parent(name, replaced, module)

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = []
        added = _added_names(before, after)
        if added is None:
            for name, module in before.items():
                if name not in after:
                    lines.append(f"- {name}")
                elif after[name] is not module:
                    lines.append(f"~ {name}: replaced by {_short(after[name])}")
            added = [name for name in after if name not in before]
        if added:
            lines.append(f"+ {len(added)} new: {', '.join(sorted(added))}")
        return lines

    def leak_diff(self, outer: Any, now: Any) -> list[str]:
        # New imports that stay are expected (libraries); only entries of before count.
        if _added_names(outer, now) is not None:
            return []
        return [
            line
            for line in self.diff(outer, {k: v for k, v in now.items() if k in outer})
            if not line.startswith("+")
        ]


def _added_names(before: dict[str, Any], after: dict[str, Any]) -> list[str] | None:
    """The names *after* adds to *before*, in order, if it keeps every entry of *before*.

    None when an entry of *before* is missing or replaced in *after*. In C loops: new imports
    are appended to ``sys.modules``, so they are usually the tail beyond ``len(before)``.
    """
    if not before.items() <= after.items():
        return None
    tail = list(itertools.islice(after, len(before), None))
    if any(map(before.__contains__, tail)):
        return list(itertools.filterfalse(before.__contains__, after))
    return tail


_UNBOUND: Final = object()


def _rebind_on_parent(name: str, old: object, new: object) -> None:
    """Keep a package's attribute for its submodule *name* in step with ``sys.modules``.

    Importing ``pkg.cli`` binds ``pkg.cli`` on the package; when the run's ``pkg.cli`` is
    dropped or replaced by the test process's, a binding to the run's module would be stale,
    and a patch by dotted name (``monkeypatch.setattr("pkg.cli.greet", ...)``) would patch it.
    The binding follows: it is removed (*new* is ``_UNBOUND``) or points to *new*.
    """
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name) if parent_name else None
    if parent is None or old is None or getattr(parent, child, None) is not old:
        return
    try:
        if new is _UNBOUND:
            delattr(parent, child)
        else:
            setattr(parent, child, new)
    except (AttributeError, TypeError):  # a read-only or odd module object: left as it is
        pass


_STREAM_NAMES: Final = ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__")
_streams: Final = operator.attrgetter(*_STREAM_NAMES)


def _identical(before: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
    """Whether two tuples hold the same objects, compared by identity in a C loop."""
    return len(before) == len(after) and all(map(operator.is_, before, after))


class _Objects(StateItem):
    """Objects read as one tuple, in the order of :attr:`keys`, compared by identity."""

    #: The names of the objects in reports, in the order of the snapshot.
    keys: tuple[str, ...] = ()

    def unchanged(self, before: Any, after: Any) -> bool:
        return _identical(before, after)

    def diff(self, before: Any, after: Any) -> list[str]:
        return dict_diff(
            dict(zip(self.keys, map(Same, before), strict=True)),
            dict(zip(self.keys, map(Same, after), strict=True)),
        )


@final
class StdStreams(_Objects):
    """The run's streams in ``sys.stdin/stdout/stderr`` and in ``sys.__stdin__`` and co.

    The dunder names are set too: under the real interpreter they are the same pipes, and a
    program that writes to ``sys.__stderr__`` must not write into pytest's terminal.
    """

    name = "sys.stdin, sys.stdout, sys.stderr"
    keys = _STREAM_NAMES

    def __init__(self, streams: tuple[TextIO, TextIO, TextIO] | None = None) -> None:
        self._run_streams = dict(zip(_STREAM_NAMES, streams * 2, strict=True)) if streams else {}

    def read(self) -> tuple[Any, ...]:
        return _streams(sys)

    def write(self, snapshot: tuple[Any, ...]) -> None:
        for name, stream in zip(_STREAM_NAMES, snapshot, strict=True):
            setattr(sys, name, stream)

    def setup(self) -> None:
        for name, stream in self._run_streams.items():
            setattr(sys, name, stream)

    def diff(self, before: Any, after: Any) -> list[str]:
        return [
            f"~ sys.{name}: replaced by {Same(new)!r}"
            for name, old, new in zip(_STREAM_NAMES, before, after, strict=True)
            if new is not old
        ]


#: Hooks a fresh interpreter has at their defaults, which pytest replaces during a test.
_DEFAULT_HOOKS: Final = ("excepthook", "displayhook", "unraisablehook")
_HOOK_NAMES: Final = (*_DEFAULT_HOOKS, "breakpointhook")
_hooks: Final = operator.attrgetter(*_HOOK_NAMES)


@final
class SysHooks(_Objects):
    """``sys`` and ``threading`` hooks, at the interpreter's defaults during a run.

    pytest collects unraisable and thread exceptions through its own hooks (and turns them into
    warnings); a program on the command line prints them to its stderr. ``sys.breakpointhook``
    is left as pytest set it, so ``breakpoint()`` in a program still debugs.
    """

    name = "sys hooks"
    keys = (*(f"sys.{name}" for name in _HOOK_NAMES), "threading.excepthook")

    def __init__(self, *, defaults: bool = False) -> None:
        self._defaults = defaults

    def read(self) -> tuple[Any, ...]:
        return (*_hooks(sys), threading.excepthook)

    def write(self, snapshot: tuple[Any, ...]) -> None:
        for name, hook in zip(_HOOK_NAMES, snapshot, strict=False):
            setattr(sys, name, hook)
        threading.excepthook = snapshot[-1]

    def setup(self) -> None:
        if self._defaults:
            for name in _DEFAULT_HOOKS:
                setattr(sys, name, getattr(sys, f"__{name}__"))
            threading.excepthook = threading.__excepthook__


@final
class ThreadNames(StateItem):
    """The counter behind default thread names: a new process's first thread is ``Thread-1``."""

    name = "thread name counter"
    reports_changes = False

    def read(self) -> Same[Any]:
        return Same(getattr(threading, "_counter", None))

    def write(self, snapshot: Same[Any]) -> None:
        if snapshot.obj is not None:
            threading._counter = snapshot.obj  # type: ignore[attr-defined]

    def setup(self) -> None:
        if getattr(threading, "_counter", None) is not None:
            threading._counter = itertools.count(1).__next__  # type: ignore[attr-defined]


@final
class MainThreadDaemon(StateItem):
    """The running thread counts as a non-daemon thread during the run, as a main thread does.

    A new thread inherits its creator's daemon flag. Where a test runs in a daemon thread
    (old pytest-xdist workers run tests in one), the program's threads would all be daemons
    and the interpreter would not wait for them; under ``python`` they are not.
    """

    name = "daemon flag of the running thread"
    reports_changes = False

    def read(self) -> bool:
        return bool(getattr(threading.current_thread(), "_daemonic", False))

    def write(self, snapshot: bool) -> None:
        thread = threading.current_thread()
        if hasattr(thread, "_daemonic"):
            thread._daemonic = snapshot

    def setup(self) -> None:
        self.write(False)


@final
class TraceFunctions(_Objects):
    """Trace and profile functions (coverage measures through ``sys.settrace``)."""

    name = "trace and profile functions"
    keys = ("sys.gettrace()", "sys.getprofile()", "threading.gettrace()", "threading.getprofile()")

    def read(self) -> tuple[Any, ...]:
        return sys.gettrace(), sys.getprofile(), threading.gettrace(), threading.getprofile()

    def write(self, snapshot: tuple[Any, ...]) -> None:
        now = self.read()
        setters = (sys.settrace, sys.setprofile, threading.settrace, threading.setprofile)
        for setter, function, current in zip(setters, snapshot, now, strict=True):
            if current is not function:
                setter(function)


@final
class RecursionLimit(StateItem):
    """``sys.getrecursionlimit()``."""

    name = "sys.getrecursionlimit()"

    def read(self) -> int:
        return sys.getrecursionlimit()

    def write(self, snapshot: int) -> None:
        sys.setrecursionlimit(snapshot)


def _raw_environ() -> dict[Any, Any]:
    """A copy of ``os.environ`` as the interpreter stores it (bytes on POSIX), at C speed.

    Copying the mapping itself decodes every variable: this copies the store undecoded.
    """
    data = getattr(os.environ, "_data", None)
    return data.copy() if isinstance(data, dict) else dict(os.environ)


def _decode_key(key: Any) -> str:
    decode = getattr(os.environ, "decodekey", None)
    return decode(key) if decode is not None and not isinstance(key, str) else key  # type: ignore[no-any-return]


def _decode_value(value: Any) -> str:
    decode = getattr(os.environ, "decodevalue", None)
    return decode(value) if decode is not None and not isinstance(value, str) else value  # type: ignore[no-any-return]


def _encode_key(key: str) -> Any:
    encode = getattr(os.environ, "encodekey", None)
    return encode(key) if encode is not None else key


def _changed_keys(before: dict[Any, Any], after: dict[Any, Any]) -> list[Any]:
    """Keys of *before* whose value differs in *after* or that it lacks, in C loops."""
    keys = list(before)
    return list(itertools.compress(keys, map(operator.ne, map(after.get, keys), before.values())))


@final
class RunEnviron(Mapping[str, str]):
    """The environment a run sees: ``os.environ`` when made, with an overlay applied.

    Variables are decoded when looked up, so that making it does not cost a decode of each.
    """

    def __init__(self, overlay: Mapping[str, str | None] | None = None) -> None:
        self._raw = _raw_environ()
        self._overlay = dict(overlay or {})

    def __getitem__(self, key: str) -> str:
        if key in self._overlay:
            value = self._overlay[key]
            if value is None:
                raise KeyError(key)
            return value
        return _decode_value(self._raw[_encode_key(key)])

    def get(self, key: str, default: Any = None) -> Any:
        # Mapping.get goes through a KeyError for each missing variable: most of those asked.
        if key in self._overlay:
            value = self._overlay[key]
            return default if value is None else value
        raw = self._raw.get(_encode_key(key))
        return default if raw is None else _decode_value(raw)

    def _merged(self) -> dict[str, str]:
        env = {_decode_key(k): _decode_value(v) for k, v in self._raw.items()}
        for key, value in self._overlay.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        size = len(self._raw)
        for key, value in self._overlay.items():
            size += (value is not None) - (_encode_key(key) in self._raw)
        return size


def merged_environ(overlay: Mapping[str, str | None] | None) -> Mapping[str, str]:
    """The environment a run sees: ``os.environ`` now, with *overlay* applied."""
    return RunEnviron(overlay)


@final
class Environ(StateItem):
    """``os.environ`` with the run's overlay (a None value unsets); put back key by key.

    Snapshots are copies of the interpreter's undecoded store, compared in C; only the
    variables that differ are decoded, for a diff, or written back.
    """

    name = "os.environ"

    def __init__(self, overlay: Mapping[str, str | None] | None = None) -> None:
        self._overlay = dict(overlay or {})

    def read(self) -> dict[Any, Any]:
        return _raw_environ()

    def write(self, snapshot: dict[Any, Any]) -> None:
        now = _raw_environ()
        if now == snapshot:
            return
        for key in itertools.filterfalse(snapshot.__contains__, now):
            del os.environ[_decode_key(key)]
        for key in _changed_keys(snapshot, now):
            os.environ[_decode_key(key)] = _decode_value(snapshot[key])

    def setup(self) -> bool:
        for key, value in self._overlay.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        return bool(self._overlay)

    def diff(self, before: Any, after: Any) -> list[str]:
        changed = _changed_keys(before, after)
        added = list(itertools.filterfalse(before.__contains__, after))
        old = {_decode_key(k): _decode_value(before[k]) for k in changed}
        new = {_decode_key(k): _decode_value(after[k]) for k in changed if k in after}
        new.update((_decode_key(k), _decode_value(after[k])) for k in added)
        return dict_diff(old, new)


#: What the working directory reads as once the program removed it (``os.getcwd()`` fails).
_DELETED_CWD: Final = "<a directory the program removed>"


@final
class Cwd(StateItem):
    """The working directory; the test process's comes back even if the run moved."""

    name = "cwd"

    def __init__(self, cwd: str | os.PathLike[str] | None = None) -> None:
        self._cwd = cwd

    def read(self) -> str:
        try:
            return _getcwd()
        except FileNotFoundError:  # the program removed the directory it was in
            return _DELETED_CWD

    def write(self, snapshot: str) -> None:
        _chdir(snapshot)

    def setup(self) -> bool:
        if self._cwd is None:
            return False
        _chdir(self._cwd)
        return True


@final
class Umask(StateItem):
    """The file mode creation mask."""

    name = "umask"

    def read(self) -> str:
        mask = os.umask(0)
        os.umask(mask)
        return oct(mask)

    def write(self, snapshot: str) -> None:
        os.umask(int(snapshot, 8))


@final
class SignalHandlers(StateItem):
    """Python-level signal handlers: a program's SIGINT or SIGALRM handler must not stay.

    Handlers installed from C (``signal.getsignal()`` gives None) cannot be put back: a change
    to one is a leak. Handlers can only change in the main thread; elsewhere nothing is read.
    """

    name = "signal handlers"

    def read(self) -> tuple[Any, ...]:
        # One handler per signal of _SIGNALS, in order, read in a C loop.
        if threading.get_ident() != threading.main_thread().ident:
            return ()
        return tuple(map(_getsignal, _SIGNALS))

    def unchanged(self, before: Any, after: Any) -> bool:
        return len(before) == len(after) and all(map(operator.is_, before, after))

    def write(self, snapshot: tuple[Any, ...]) -> None:
        if not snapshot:
            return
        now = self.read()
        for signum, handler, current in zip(_SIGNALS, snapshot, now, strict=True):
            if handler is not None and current is not handler:
                signal.signal(signum, handler)

    def diff(self, before: Any, after: Any) -> list[str]:
        if len(before) != len(after):
            return []
        return [
            f"~ {signal_name(signum)}: {_handler_name(old)} -> {_handler_name(new)}"
            for signum, old, new in zip(_SIGNALS, before, after, strict=True)
            if old is not new
        ]


def _readable_signals() -> tuple[int, ...]:
    readable = []
    for signum in signal.valid_signals():
        try:
            signal.getsignal(signum)
        except (OSError, ValueError):
            continue
        readable.append(int(signum))
    return tuple(readable)


_SIGNALS: Final = _readable_signals()
#: ``signal.getsignal`` without its conversion of results to enums (costly, read often).
_getsignal: Final[Callable[[int], object]] = getattr(_signal, "getsignal", signal.getsignal)


def _handler_name(handler: object) -> str:
    if handler is None:
        return "a handler installed from C"
    if isinstance(handler, int):
        return signal.Handlers(handler).name
    return getattr(handler, "__qualname__", None) or repr(handler)


@final
class Threads(StateItem):
    """Threads alive: a thread the run started and left running cannot be stopped from outside."""

    name = "threads"
    restorable = False
    reports_changes = False

    def read(self) -> tuple[threading.Thread, ...]:
        # The running thread is left out: where a test runs in a thread not started by
        # threading (old pytest-xdist workers), asking for it creates a "Dummy" entry.
        threads = _enumerate()
        me = getattr(threading, "_active", {}).get(_get_ident())
        if me is not None and me in threads:
            threads.remove(me)
        return tuple(threads)

    def unchanged(self, before: Any, after: Any) -> bool:
        return len(before) == len(after) and all(map(operator.is_, before, after))

    def leak_diff(self, outer: Any, now: Any) -> list[str]:
        known = set(outer)
        return [
            f"+ thread {thread.name!r}{' (daemon)' if thread.daemon else ''} is still running"
            for thread in now
            if thread not in known and thread.is_alive()
        ]


#: One table for the process: its poll object is kept from read to read.
_DESCRIPTORS: Final = DescriptorTable()


@final
class FileDescriptors(StateItem):
    """Open file descriptors (where the platform lists them): the run's must be closed.

    A descriptor the run closed that was open before is a leak at once. One the run opened and
    left open may belong to an object of the program that the result still holds (a file or a
    database connection in its globals, a pool's pipes): that leak is *deferred*, checked again
    once the program's objects are released (after the test), and is a leak only if it is
    still open then.
    """

    name = "file descriptors"
    restorable = False
    reports_changes = False

    def read(self) -> OpenDescriptors:
        _settle_finished_popens()
        return _DESCRIPTORS.read()

    def leaks(self, outer: Any, now: Any) -> list[StateLeak]:
        found = []
        before, after = outer.numbers(), now.numbers()
        closed = [f"- fd {fd} was closed" for fd in sorted(before - after) if not _is_open(fd)]
        if closed:
            found.append(StateLeak(self.name, tuple(closed)))
        helpers = stdlib_helpers()
        new = sorted(after - before - helpers.fds)
        targets = {fd: _fd_target(fd) for fd in new}
        opened = {fd: target for fd, target in targets.items() if target is not None}
        if opened:

            def still_open() -> tuple[str, ...]:
                with warnings.catch_warnings():
                    # Collecting a program's open file warns; its interpreter would have
                    # exited silently. A file object in an unreachable cycle still holds
                    # its descriptor until collected.
                    warnings.simplefilter("ignore", ResourceWarning)
                    gc.collect()
                return tuple(
                    f"+ fd {fd} left open: {target}"
                    for fd, target in opened.items()
                    if _fd_target(fd) == target
                )

            lines = tuple(f"+ fd {fd} left open: {target}" for fd, target in opened.items())
            found.append(StateLeak(self.name, lines, recheck=still_open))
        return found


def _settle_finished_popens() -> None:
    """Reap the ``subprocess.Popen`` objects dropped before they ended, and close their pipes.

    Such an object is kept in ``subprocess._active``, with its pipes open, until the next
    ``Popen`` reaps it: a program starting a process would then close descriptors that were
    open before its run, and be blamed for it. Settling them first, as that next ``Popen``
    would, keeps them out of the snapshot.
    """
    subprocess = sys.modules.get("subprocess")
    if getattr(subprocess, "_active", None):
        cleanup = getattr(subprocess, "_cleanup", None)
        if callable(cleanup):
            cleanup()


def _is_open(fd: int) -> bool:
    try:
        _fstat(fd)
    except OSError:
        return False
    return True


def _fd_target(fd: int) -> str | None:
    """What descriptor *fd* refers to, or None if it is not open."""
    try:
        return _readlink(f"{FD_DIR}/{fd}")
    except OSError:
        return None


_DECIMAL_SETTINGS: Final = ("prec", "rounding", "Emin", "Emax", "capitals", "clamp")
_decimal_settings: Final = operator.attrgetter(*_DECIMAL_SETTINGS)
_DECIMAL_KEY: Final = "decimal.getcontext()"


def _decimal_snapshot(module: Any) -> tuple[Any, ...]:
    """This thread's context, its settings, and its traps and flags as they are, read once."""
    context = module.getcontext()
    return (
        context,
        _decimal_settings(context),
        context.traps.copy(),  # a dict, copied in C (iterating the mapping is Python code)
        context.flags.copy(),
    )


def _readable(state: dict[str, Any]) -> dict[str, Any]:
    """A library snapshot with its ``decimal`` entry spelled out setting by setting."""
    if _DECIMAL_KEY not in state:
        return state
    readable = {k: v for k, v in state.items() if k != _DECIMAL_KEY}
    context, settings, traps, flags = state[_DECIMAL_KEY]
    readable[_DECIMAL_KEY] = Same(context)
    for name, value in zip(_DECIMAL_SETTINGS, settings, strict=True):
        readable[f"{_DECIMAL_KEY}.{name}"] = value
    for name, signals in (("traps", traps), ("flags", flags)):
        readable[f"{_DECIMAL_KEY}.{name}"] = sorted(k.__name__ for k, on in signals.items() if on)
    return readable


@final
class LibraryState(StateItem):
    """Module-level settings of standard modules, read only where the module is imported.

    ``socket.getdefaulttimeout()``, ``tempfile.tempdir``, the ``locale`` settings, and this
    thread's ``decimal`` context (the object and its settings, traps and flags).
    """

    name = "library settings"

    def read(self) -> dict[str, Any]:
        modules: dict[str, Any] = sys.modules
        state: dict[str, Any] = {}
        if "socket" in modules:
            state["socket.getdefaulttimeout()"] = modules["socket"].getdefaulttimeout()
        if "tempfile" in modules:
            state["tempfile.tempdir"] = modules["tempfile"].tempdir
        if "locale" in modules:
            state["locale.setlocale()"] = modules["locale"].setlocale(modules["locale"].LC_ALL)
        if "decimal" in modules:
            state[_DECIMAL_KEY] = _decimal_snapshot(modules["decimal"])
        return state

    def diff(self, before: Any, after: Any) -> list[str]:
        return dict_diff(_readable(before), _readable(after))

    def write(self, snapshot: dict[str, Any]) -> None:
        now = self.read()
        if now == snapshot:
            return
        modules: dict[str, Any] = sys.modules
        changed = {k for k, v in snapshot.items() if now.get(k) != v}
        if "socket.getdefaulttimeout()" in changed:
            modules["socket"].setdefaulttimeout(snapshot["socket.getdefaulttimeout()"])
        if "tempfile.tempdir" in changed:
            modules["tempfile"].tempdir = snapshot["tempfile.tempdir"]
        if "locale.setlocale()" in changed:
            locale = modules["locale"]
            locale.setlocale(locale.LC_ALL, snapshot["locale.setlocale()"])
        if _DECIMAL_KEY in changed:
            context, settings, traps, flags = snapshot[_DECIMAL_KEY]
            for name, value in zip(_DECIMAL_SETTINGS, settings, strict=True):
                setattr(context, name, value)
            for name, signals in (("traps", traps), ("flags", flags)):
                getattr(context, name).update(signals)
            modules["decimal"].setcontext(context)


@final
@dataclass(frozen=True)
class RunContext:
    """What the items of a run need to set it up, as :func:`run_items` hands it to each row.

    A run fills it in two steps: the working directory and environment first, the rest once
    the target is located (see :attr:`StateItemSpec.before_target`).
    """

    #: The run's working directory; None keeps the test process's.
    cwd: str | os.PathLike[str] | None = None
    #: The run's overlay of ``os.environ`` (a None value unsets a variable).
    env: Mapping[str, str | None] | None = None
    #: The whole environment the run sees (:func:`merged_environ` of :attr:`env`).
    run_env: Mapping[str, str] | None = None
    #: ``sys.argv`` as the command line sets it.
    argv: list[str] | None = None
    #: The command line's ``sys.path[0]``, if it puts one there.
    path_entry: str | None = None
    #: The fresh ``__main__`` module the program runs in.
    main: ModuleType | None = None
    #: Which modules are the program's own.
    own: OwnCode | None = None
    #: The run's ``stdin``, ``stdout`` and ``stderr``.
    streams: tuple[TextIO, TextIO, TextIO] | None = None
    #: Modules of the test process the run must not see, as a new process would not.
    set_aside: tuple[str, ...] = ()
    #: Whether the run checks every module's attributes (``deep_isolation``).
    deep: bool = False


@final
@dataclass(frozen=True)
class StateItemSpec:
    """One row of :data:`STATE_ITEMS`: a piece of state, and how a run and a check build it."""

    #: The item's class; its ``name`` is the name in reports and in the docs' table.
    kind: type[StateItem]
    #: What is put back or checked: the row of the docs' table (Markdown, one line).
    description: str
    #: The item for a run.
    for_run: Callable[[RunContext], StateItem]
    #: For :func:`~pytest_runmain.leaks.state_unchanged`: where its differences come in the
    #: report (1 first) and the item; None for the machinery's state, which it does not read.
    for_check: tuple[int, Callable[[], StateItem]] | None = None
    #: Whether a run enters it before locating its target, which reads the run's working
    #: directory and environment.
    before_target: bool = False
    #: Whether a run wants it at all (by default every run does).
    wanted: Callable[[RunContext], bool] = lambda run: True

    @property
    def name(self) -> str:
        """The state's name in reports, ``result.state_changes`` and the docs' table."""
        return self.kind.name


#: Every piece of state a run saves, in the order a run enters it (and restores it, reversed:
#: the run's streams and logging go first, the working directory and environment last).
STATE_ITEMS: Final[tuple[StateItemSpec, ...]] = (
    StateItemSpec(
        Threads,
        "threads alive; one the run started and left running is a leak (it cannot be stopped)",
        for_run=lambda run: Threads(),
        for_check=(13, Threads),
        before_target=True,
    ),
    StateItemSpec(
        FileDescriptors,
        "open file descriptors, where `/proc/self/fd` or `/dev/fd` lists them; one the run "
        "closed, or opened and left open, is a leak",
        for_run=lambda run: FileDescriptors(),
        for_check=(14, FileDescriptors),
        before_target=True,
    ),
    StateItemSpec(
        Cwd,
        "the working directory",
        for_run=lambda run: Cwd(run.cwd),
        for_check=(9, Cwd),
        before_target=True,
    ),
    StateItemSpec(
        Environ,
        "`os.environ`, key by key",
        for_run=lambda run: Environ(run.env),
        for_check=(8, Environ),
        before_target=True,
    ),
    StateItemSpec(
        StdFileDescriptors,
        "what descriptors 0, 1 and 2 are open on (`os.dup2`, `os.close`): put back from "
        "copies taken before the run",
        for_run=lambda run: StdFileDescriptors.for_run(),
        for_check=(18, StdFileDescriptors),
        before_target=True,
    ),
    StateItemSpec(
        ChildProcesses,
        "child processes the run started (`subprocess`, `multiprocessing`, `os.fork`, "
        "`os.posix_spawn`); one left running is a leak once the test has ended "
        "(multiprocessing's resource tracker and fork server are not); `state_unchanged` "
        "lists them where Linux does",
        for_run=lambda run: SpawnedChildren(),
        for_check=(26, ChildProcesses),
    ),
    StateItemSpec(
        ImportSystem,
        "`sys.meta_path` and `sys.path_hooks` (a run does not see pytest's import hook)",
        for_run=lambda run: ImportSystem(),
        for_check=(3, functools.partial(ImportSystem, hide_pytest_hook=False)),
    ),
    StateItemSpec(
        PathImporterCache,
        "`sys.path_importer_cache` (the import machinery's: not listed in `state_changes`)",
        for_run=lambda run: PathImporterCache(),
    ),
    StateItemSpec(
        SysPath,
        "`sys.path`: the same list object with the same entries",
        for_run=lambda run: SysPath(run.path_entry),
        for_check=(2, SysPath),
    ),
    StateItemSpec(
        SysArgv,
        "`sys.argv`: the same list object with the same items",
        for_run=lambda run: SysArgv(run.argv),
        for_check=(1, SysArgv),
    ),
    StateItemSpec(
        Modules,
        "`sys.modules`: `__main__` and the entries the program replaced or removed; "
        "the program's own new imports are removed, other new imports stay",
        for_run=lambda run: Modules(run.main, run.own, run.set_aside),
        for_check=(15, Modules),
    ),
    StateItemSpec(
        SysHooks,
        "`sys.excepthook`, `sys.displayhook`, `sys.unraisablehook`, `sys.breakpointhook` "
        "and `threading.excepthook`",
        for_run=lambda run: SysHooks(defaults=True),
        for_check=(5, SysHooks),
    ),
    StateItemSpec(
        ThreadNames,
        "the counter behind default thread names (each run starts at `Thread-1`)",
        for_run=lambda run: ThreadNames(),
    ),
    StateItemSpec(
        MainThreadDaemon,
        "the daemon flag of the thread the test runs in (not a daemon during a run)",
        for_run=lambda run: MainThreadDaemon(),
    ),
    StateItemSpec(
        TraceFunctions,
        "the trace and profile functions of `sys` and `threading`",
        for_run=lambda run: TraceFunctions(),
        for_check=(6, TraceFunctions),
    ),
    StateItemSpec(
        RecursionLimit,
        "the recursion limit",
        for_run=lambda run: RecursionLimit(),
        for_check=(7, RecursionLimit),
    ),
    StateItemSpec(
        Umask,
        "the umask",
        for_run=lambda run: Umask(),
        for_check=(10, Umask),
    ),
    StateItemSpec(
        SignalHandlers,
        "Python-level signal handlers; a change to one installed from C is a leak",
        for_run=lambda run: SignalHandlers(),
        for_check=(11, SignalHandlers),
    ),
    StateItemSpec(
        LibraryState,
        "`socket.getdefaulttimeout()`, `tempfile.tempdir`, the locale and the `decimal` "
        "context, where those modules are imported",
        for_run=lambda run: LibraryState(),
        for_check=(12, LibraryState),
    ),
    StateItemSpec(
        StdStreams,
        "`sys.stdin`, `sys.stdout`, `sys.stderr` and `sys.__stdin__`, `sys.__stdout__`, "
        "`sys.__stderr__`",
        for_run=lambda run: StdStreams(run.streams),
        for_check=(4, StdStreams),
    ),
    StateItemSpec(
        Logging,
        "every logger's handlers, level, `propagate` and `disabled`, and `logging.disable`",
        for_run=lambda run: Logging(fresh=True),
        for_check=(16, Logging),
    ),
    StateItemSpec(
        Warnings,
        "`warnings.filters`, `warnings.showwarning` and the `once` registry",
        for_run=lambda run: Warnings(run.run_env),
        for_check=(17, Warnings),
    ),
    StateItemSpec(
        ProcessSettings,
        "the signal mask, `RLIMIT_NOFILE` and the limits the program set, the process group, "
        "session and nice value, `signal.set_wakeup_fd`; what cannot be undone is a leak",
        for_run=lambda run: ProcessSettings(),
        for_check=(19, ProcessSettings),
    ),
    StateItemSpec(
        InterpreterSettings,
        "`sys` switch interval, `dont_write_bytecode`, int digits limit, async generator "
        "hooks and coroutine tracking; `gc` on/off, thresholds, debug, callbacks; "
        "`threading.stack_size`; the asyncio policy and loop; `random` after `random.seed`",
        for_run=lambda run: InterpreterSettings(),
        for_check=(20, InterpreterSettings),
    ),
    StateItemSpec(
        CEnvironment,
        "variables set by `os.putenv`/`os.unsetenv` apart from `os.environ`, and `time.tzset()`",
        for_run=lambda run: CEnvironment(),
        for_check=(21, CEnvironment),
    ),
    StateItemSpec(
        Timers,
        "`signal.alarm`/`signal.setitimer` timers (one armed before, pytest-timeout's, is "
        "armed again for its time left) and `faulthandler.dump_traceback_later`",
        for_run=lambda run: Timers(),
        for_check=(22, Timers),
    ),
    StateItemSpec(
        Registrations,
        "`faulthandler.enable`/`register`, `codecs.register` and `signal.siginterrupt`; with "
        "`faulthandler` on before the run, the program's `enable`/`disable` work on a switch "
        "of its own",
        for_run=lambda run: Registrations(),
        for_check=(23, Registrations),
    ),
    StateItemSpec(
        ModuleFunctions,
        "functions of standard modules that checks rely on and programs patch "
        "(`os.listdir`, `threading.enumerate`, `json.dumps`...) and `os.environ` itself",
        for_run=lambda run: ModuleFunctions(),
        for_check=(24, ModuleFunctions),
    ),
    StateItemSpec(
        Builtins,
        "the `builtins` namespace: names rebound (`print`, `open`), added or removed",
        for_run=lambda run: Builtins(),
        for_check=(25, Builtins),
    ),
    StateItemSpec(
        ModuleAttributes,
        "with `deep_isolation=True` only: every attribute of every module imported before the "
        "run (but `sys`, `builtins` and `__main__`), put back if rebound, added or removed",
        for_run=lambda run: ModuleAttributes(),
        wanted=lambda run: run.deep,
    ),
)


def run_items(context: RunContext, *, before_target: bool) -> list[StateItem]:
    """The items a run enters, in order: those entered before or after locating its target.

    All are built before the first is entered, so that each reads the state before any is
    set up.
    """
    return [
        spec.for_run(context)
        for spec in STATE_ITEMS
        if spec.before_target == before_target and spec.wanted(context)
    ]


def check_items() -> list[StateItem]:
    """The items :func:`~pytest_runmain.leaks.state_unchanged` reads: not the machinery's."""
    checked = [spec.for_check for spec in STATE_ITEMS if spec.for_check is not None]
    checked.sort(key=lambda check: check[0])
    return [build() for _, build in checked]
