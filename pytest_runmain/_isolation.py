"""Interpreter state a run changes, each piece saved before the run and put back after it.

Each piece of global state has its own small context manager (as runpy's ``_TempModule`` and
``_ModifiedArgv0``): it saves the state on entry, sets what the run must see, and restores on
exit whatever the run did, by identity where identity matters (``sys.argv``, ``sys.path``,
``sys.modules['__main__']``, the std streams). They are cheap: identities and shallow copies.
"""

from __future__ import annotations

import importlib.machinery
import logging
import os
import signal
import site
import sys
import sysconfig
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from types import FrameType, ModuleType, TracebackType
from typing import Any, Final, TextIO, TypeVar, final

from pytest_runmain._locate import MAIN_NAME

__all__ = [
    "Environ",
    "FreshLogging",
    "FreshWarnings",
    "ImportSystem",
    "MainModule",
    "OwnCode",
    "SignalHandlers",
    "StdStreams",
    "SysArgv",
    "SysHooks",
    "SysPath",
    "WorkingDirectory",
]

_ExcInfo = tuple[type[BaseException] | None, BaseException | None, TracebackType | None]


_G = TypeVar("_G", bound="_Guard")


class _Guard:
    """Base of the guards: a context manager whose ``__exit__`` calls :meth:`restore`."""

    def __enter__(self: _G) -> _G:
        self.apply()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.restore()

    def apply(self) -> None:
        raise NotImplementedError

    def restore(self) -> None:
        raise NotImplementedError


@final
class SysArgv(_Guard):
    """``sys.argv`` is a new list for the run; the original list object and contents come back."""

    def __init__(self, argv: list[str]) -> None:
        self._run_argv = argv
        self._saved = sys.argv
        self._saved_contents = list(sys.argv)

    def apply(self) -> None:
        sys.argv = self._run_argv

    def restore(self) -> None:
        self._saved[:] = self._saved_contents
        sys.argv = self._saved


@final
class SysPath(_Guard):
    """``sys.path`` starts with the command line's ``sys.path[0]`` (if any) during the run."""

    def __init__(self, first_entry: str | None) -> None:
        self._first_entry = first_entry
        self._saved = sys.path
        self._saved_contents = list(sys.path)

    def apply(self) -> None:
        if self._first_entry is not None:
            sys.path.insert(0, self._first_entry)

    def restore(self) -> None:
        self._saved[:] = self._saved_contents
        sys.path = self._saved


@final
class ImportSystem(_Guard):
    """``sys.meta_path`` and ``sys.path_hooks`` as a fresh interpreter has them; put back after.

    pytest's assertion-rewriting import hook sits first on ``sys.meta_path``. It claims modules
    named like test files (``test_*.py``) and cannot give their code to ``python -m``, and it
    rewrites ``assert`` statements: neither happens under the real command line, so the hook
    is taken out for the run. Both lists come back as the same objects with their contents.
    """

    def __init__(self) -> None:
        self._meta_path = sys.meta_path
        self._meta_path_contents = list(sys.meta_path)
        self._path_hooks = sys.path_hooks
        self._path_hooks_contents = list(sys.path_hooks)

    def apply(self) -> None:
        sys.meta_path[:] = [f for f in sys.meta_path if not _is_pytest_import_hook(f)]

    def restore(self) -> None:
        self._meta_path[:] = self._meta_path_contents
        sys.meta_path = self._meta_path
        self._path_hooks[:] = self._path_hooks_contents
        sys.path_hooks = self._path_hooks


def _is_pytest_import_hook(finder: object) -> bool:
    cls = type(finder)
    return cls.__name__ == "AssertionRewritingHook" and cls.__module__.startswith("_pytest.")


@final
class MainModule(_Guard):
    """``sys.modules['__main__']`` is the run's module; the test process's comes back."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._saved = sys.modules.get(MAIN_NAME)

    def apply(self) -> None:
        sys.modules[MAIN_NAME] = self._module

    def restore(self) -> None:
        if self._saved is None:
            sys.modules.pop(MAIN_NAME, None)
        else:
            sys.modules[MAIN_NAME] = self._saved


_STREAM_NAMES: Final = ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__")


@final
class StdStreams(_Guard):
    """The run's streams in ``sys.stdin/stdout/stderr`` and in ``sys.__stdin__`` and co.

    The dunder names are set too: under the real interpreter they are the same pipes, and a
    program that writes to ``sys.__stderr__`` must not write into pytest's terminal.
    """

    def __init__(self, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> None:
        self._run_streams = dict(zip(_STREAM_NAMES, (stdin, stdout, stderr) * 2, strict=True))
        self._saved = {name: getattr(sys, name) for name in _STREAM_NAMES}

    def apply(self) -> None:
        for name, stream in self._run_streams.items():
            setattr(sys, name, stream)

    def restore(self) -> None:
        for name, stream in self._saved.items():
            setattr(sys, name, stream)


#: Hooks a fresh interpreter has at their defaults, which pytest replaces during a test.
_DEFAULT_HOOKS: Final = ("excepthook", "displayhook", "unraisablehook")


@final
class SysHooks(_Guard):
    """``sys`` and ``threading`` hooks at their defaults during the run, and the recursion limit.

    pytest collects unraisable and thread exceptions through its own hooks (and turns them into
    warnings); a program on the command line prints them to its stderr. The run starts with
    the interpreter's defaults; whatever hooks it installs are taken out afterwards.
    ``sys.breakpointhook`` is left as pytest set it, so ``breakpoint()`` still debugs.
    """

    def __init__(self) -> None:
        self._saved = {name: getattr(sys, name) for name in (*_DEFAULT_HOOKS, "breakpointhook")}
        self._threading_excepthook = threading.excepthook
        self._recursion_limit = sys.getrecursionlimit()

    def apply(self) -> None:
        for name in _DEFAULT_HOOKS:
            setattr(sys, name, getattr(sys, f"__{name}__"))
        threading.excepthook = threading.__excepthook__

    def restore(self) -> None:
        for name, hook in self._saved.items():
            setattr(sys, name, hook)
        threading.excepthook = self._threading_excepthook
        sys.setrecursionlimit(self._recursion_limit)


@final
class SignalHandlers(_Guard):
    """Python-level signal handlers the run installs are taken out again.

    A program that handles SIGINT or SIGTERM would otherwise keep pytest from being stopped,
    and one that handles SIGALRM would break pytest-timeout. Handlers can only be changed
    from the main thread; a run in another thread could not have changed them.
    """

    def __init__(self) -> None:
        self._saved: dict[signal.Signals, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for signum in signal.valid_signals():
                try:
                    self._saved[signum] = signal.getsignal(signum)
                except (OSError, ValueError):
                    continue

    def apply(self) -> None:
        pass

    def restore(self) -> None:
        for signum, handler in self._saved.items():
            if handler is not None and signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)


@final
class Environ(_Guard):
    """``os.environ`` with the run's overlay (a None value unsets); put back key by key."""

    def __init__(self, overlay: Mapping[str, str | None] | None) -> None:
        self._overlay = dict(overlay or {})
        self._saved = dict(os.environ)

    @staticmethod
    def merged(overlay: Mapping[str, str | None] | None) -> dict[str, str]:
        """The environment the run will see: ``os.environ`` now, with *overlay* applied."""
        env = dict(os.environ)
        for key, value in (overlay or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def apply(self) -> None:
        for key, value in self._overlay.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def restore(self) -> None:
        for key in set(os.environ) - set(self._saved):
            del os.environ[key]
        for key, value in self._saved.items():
            if os.environ.get(key) != value:
                os.environ[key] = value


@final
class WorkingDirectory(_Guard):
    """The run's working directory; the test process's comes back even if the run moved."""

    def __init__(self, cwd: str | os.PathLike[str] | None) -> None:
        self._cwd = cwd
        self._saved = os.getcwd()

    def apply(self) -> None:
        if self._cwd is not None:
            os.chdir(self._cwd)

    def restore(self) -> None:
        os.chdir(self._saved)


_LoggerState = tuple[list[logging.Handler], int, bool, bool]


def _logger_state(logger: logging.Logger) -> _LoggerState:
    return list(logger.handlers), logger.level, logger.propagate, logger.disabled


@final
class FreshLogging(_Guard):
    """The program sees logging as a fresh interpreter has it; every logger is put back.

    Under pytest the root logger holds pytest's capture handlers, which would turn a program's
    ``logging.basicConfig()`` into a no-op. During the run the root logger has no handlers and
    level WARNING and ``logging.disable`` is off. Afterwards handlers the run added are flushed
    and closed (or the next run logs to a closed stream), loggers that existed get their
    handlers, level, ``propagate`` and ``disabled`` back, and loggers the run created are reset
    to a new logger's state.

    Records that reach the root logger are also handed to the handlers the root logger had
    before the run (pytest's ``caplog`` and report capture), though the program cannot see
    them; the run's streams are guarded around that call, since pytest's live logging rebinds
    ``sys.stdout`` and ``sys.stderr`` while it writes.
    """

    def __init__(self) -> None:
        manager = logging.Logger.manager
        self._root_state = _logger_state(logging.root)
        self._disable = manager.disable
        self._loggers = {
            name: (logger, _logger_state(logger))
            for name, logger in list(manager.loggerDict.items())
            if isinstance(logger, logging.Logger)
        }
        self._handlers = self._all_handlers()
        self._call_handlers = logging.Logger.callHandlers

    def _all_handlers(self) -> set[logging.Handler]:
        loggers: Iterable[Any] = [logging.root, *logging.Logger.manager.loggerDict.values()]
        return {h for lg in loggers if isinstance(lg, logging.Logger) for h in lg.handlers}

    def apply(self) -> None:
        logging.root.handlers = []
        logging.root.setLevel(logging.WARNING)
        logging.disable(logging.NOTSET)
        forwarding = self._forwarding_call_handlers()
        logging.Logger.callHandlers = forwarding  # type: ignore[method-assign,assignment]

    def _forwarding_call_handlers(self) -> Callable[[logging.Logger, logging.LogRecord], None]:
        call_handlers = self._call_handlers
        outside_handlers = self._root_state[0]

        def forwarding_call_handlers(logger: logging.Logger, record: logging.LogRecord) -> None:
            call_handlers(logger, record)
            node: logging.Logger | None = logger
            while node is not None and node is not logging.root:
                if not node.propagate:
                    return
                node = node.parent
            streams = sys.stdin, sys.stdout, sys.stderr
            try:
                for handler in outside_handlers:
                    if record.levelno >= handler.level:
                        handler.handle(record)
            finally:
                sys.stdin, sys.stdout, sys.stderr = streams

        return forwarding_call_handlers

    def shutdown(self) -> None:
        """Flush and close the handlers the run added, as ``logging.shutdown`` does at exit."""
        for handler in self._all_handlers() - self._handlers:
            try:
                handler.flush()
                handler.close()
            except Exception:
                pass

    def restore(self) -> None:
        logging.Logger.callHandlers = self._call_handlers  # type: ignore[method-assign]
        self.shutdown()
        manager = logging.Logger.manager
        _set_logger_state(logging.root, self._root_state)
        for name, logger in list(manager.loggerDict.items()):
            if not isinstance(logger, logging.Logger):
                continue
            saved = self._loggers.get(name)
            if saved is not None and saved[0] is logger:
                _set_logger_state(logger, saved[1])
            else:
                _set_logger_state(logger, ([], logging.NOTSET, True, False))
        manager.disable = self._disable
        manager._clear_cache()  # type: ignore[attr-defined]


def _set_logger_state(logger: logging.Logger, state: _LoggerState) -> None:
    logger.handlers, logger.level, logger.propagate, logger.disabled = (
        list(state[0]),
        state[1],
        state[2],
        state[3],
    )


def _library_dirs() -> tuple[str, ...]:
    """Directories whose modules belong to the installation, never to a program under test."""
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    dirs.update(sysconfig.get_paths().values())
    dirs.update(site.getsitepackages())
    if site.ENABLE_USER_SITE and site.USER_SITE:
        dirs.add(site.USER_SITE)
    return tuple(os.path.join(os.path.realpath(d), "") for d in dirs if d)


@final
class OwnCode:
    """Which modules and frames belong to the program under test, not to libraries.

    The program's own modules are those of the target's top-level package (``-m``) and
    those loaded from the command line's ``sys.path[0]`` entry (a script's directory, the
    directory or zip run), minus anything installed (stdlib, site-packages). The ones a run
    imports are removed after it, so the next run imports them afresh; extension modules are
    never removed. Their ``atexit`` registrations belong to the run.
    """

    def __init__(
        self, main_globals: dict[str, Any], package: str | None, path_entry: str | None
    ) -> None:
        self._main_globals = main_globals
        self._package = package
        self._entry = os.path.join(os.path.realpath(path_entry), "") if path_entry else None
        self._library_dirs = _library_dirs()
        self._modules_before = frozenset(sys.modules)

    def owns_module(self, name: str, module: object) -> bool:
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
        if frame.f_globals is self._main_globals:
            return True
        name = frame.f_globals.get("__name__")
        return isinstance(name, str) and self.owns_module(name, sys.modules.get(name))

    def forget_imported(self) -> list[str]:
        """Remove the program's modules the run imported from ``sys.modules``; return names."""
        removed = []
        for name in [n for n in sys.modules if n not in self._modules_before]:
            module = sys.modules[name]
            if self.owns_module(name, module) and not _is_extension(module):
                del sys.modules[name]
                removed.append(name)
        return removed


def _is_extension(module: object) -> bool:
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) or getattr(module, "__file__", None) or ""
    return isinstance(origin, str) and origin.endswith(
        tuple(importlib.machinery.EXTENSION_SUFFIXES)
    )


#: A fresh interpreter's warning filters (non-debug build), before ``-W``/``PYTHONWARNINGS``.
_DEFAULT_FILTERS: Final = (
    ("default", None, DeprecationWarning, "__main__", 0),
    ("ignore", None, DeprecationWarning, None, 0),
    ("ignore", None, PendingDeprecationWarning, None, 0),
    ("ignore", None, ImportWarning, None, 0),
    ("ignore", None, ResourceWarning, None, 0),
)


def _show_warning_message(msg: warnings.WarningMessage) -> None:
    """The standard library's way to show a warning: formatted, to ``sys.stderr``."""
    file = msg.file if msg.file is not None else sys.stderr
    if file is None:
        return
    try:
        file.write(warnings._formatwarnmsg(msg))  # type: ignore[attr-defined]
    except OSError:
        pass


@final
class FreshWarnings(_Guard):
    """The warnings machinery of a fresh interpreter, not pytest's recorder.

    pytest records warnings during a test (and may turn them into errors); a program run from
    the command line prints them to its stderr under the default filters and the run's
    ``PYTHONWARNINGS``. Filters, ``showwarning`` and the ``once`` registry come back after.
    """

    def __init__(self, env: Mapping[str, str]) -> None:
        self._options = [o for o in env.get("PYTHONWARNINGS", "").split(",") if o]
        self._catcher = warnings.catch_warnings()
        self._onceregistry = dict(warnings.onceregistry)  # type: ignore[attr-defined]

    def apply(self) -> None:
        self._catcher.__enter__()
        warnings.filters[:] = list(_DEFAULT_FILTERS)  # type: ignore[index]
        warnings.showwarning = warnings._showwarning_orig  # type: ignore[attr-defined]
        warnings._showwarnmsg_impl = _show_warning_message  # type: ignore[attr-defined]
        warnings.onceregistry.clear()  # type: ignore[attr-defined]
        warnings._processoptions(self._options)  # type: ignore[attr-defined]
        warnings._filters_mutated()  # type: ignore[attr-defined]

    def restore(self) -> None:
        self._catcher.__exit__(None, None, None)
        warnings.onceregistry.clear()  # type: ignore[attr-defined]
        warnings.onceregistry.update(self._onceregistry)  # type: ignore[attr-defined]
        warnings._filters_mutated()  # type: ignore[attr-defined]
