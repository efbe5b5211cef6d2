"""Logging and warnings as state items: fresh for a run, as a new interpreter has them.

Under pytest the root logger holds pytest's capture handlers and the warnings machinery
records instead of printing. A program under the real command line has neither: its
``logging.basicConfig()`` configures the root logger, its warnings go to its stderr.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any, Final, final

from pytest_runmain._state import Same, StateItem, dict_diff, sequence_diff

__all__ = ["Logging", "Warnings"]

_LoggerState = tuple[tuple[Same[logging.Handler], ...], int, bool, bool]
_NEW_LOGGER: Final[_LoggerState] = ((), logging.NOTSET, True, False)


def _logger_state(logger: logging.Logger) -> _LoggerState:
    return tuple(Same(h) for h in logger.handlers), logger.level, logger.propagate, logger.disabled


def _describe_logger_state(state: _LoggerState) -> str:
    handlers, level, propagate, disabled = state
    names = ", ".join(type(h.obj).__name__ for h in handlers) or "no handlers"
    text = f"level {logging.getLevelName(level)}, {names}"
    if not propagate:
        text += ", propagate=False"
    if disabled:
        text += ", disabled"
    return text


@final
class Logging(StateItem):
    """Every logger's handlers, level, ``propagate`` and ``disabled``, and ``logging.disable``.

    For a run (*fresh*): the root logger has no handlers and level WARNING, and
    ``logging.disable`` is off. Records that reach the root logger are still handed to the
    handlers it had before (pytest's ``caplog`` and report capture) without the program seeing
    them; the run's streams are guarded around that call, since pytest's live logging rebinds
    ``sys.stdout`` and ``sys.stderr`` while it writes. Afterwards handlers the run added are
    flushed and closed (:meth:`shutdown`), loggers get their state back, and loggers the run
    created are reset to a new logger's state.
    """

    name = "logging"

    def __init__(self, *, fresh: bool = False) -> None:
        self._fresh = fresh
        self._call_handlers = logging.Logger.callHandlers
        self._outside_handlers = list(logging.root.handlers)
        self._handlers_before = self._all_handlers()

    def read(self) -> dict[str, Any]:
        manager = logging.Logger.manager
        state: dict[str, Any] = {"<root>": _logger_state(logging.root)}
        for name, logger in list(manager.loggerDict.items()):
            if isinstance(logger, logging.Logger):
                state[name] = (Same(logger), _logger_state(logger))
        state["logging.disable"] = manager.disable
        return state

    def write(self, snapshot: dict[str, Any]) -> None:
        logging.Logger.callHandlers = self._call_handlers  # type: ignore[method-assign]
        self.shutdown()
        manager = logging.Logger.manager
        _set_logger_state(logging.root, snapshot["<root>"])
        for name, logger in list(manager.loggerDict.items()):
            if not isinstance(logger, logging.Logger):
                continue
            saved = snapshot.get(name)
            if saved is not None and saved[0].obj is logger:
                _set_logger_state(logger, saved[1])
            else:
                _set_logger_state(logger, _NEW_LOGGER)
        manager.disable = snapshot["logging.disable"]
        manager._clear_cache()  # type: ignore[attr-defined]

    def setup(self) -> None:
        if not self._fresh:
            return
        logging.root.handlers = []
        logging.root.setLevel(logging.WARNING)
        logging.disable(logging.NOTSET)
        forwarding = self._forwarding_call_handlers()
        logging.Logger.callHandlers = forwarding  # type: ignore[method-assign,assignment]

    def _all_handlers(self) -> set[logging.Handler]:
        loggers = [logging.root, *logging.Logger.manager.loggerDict.values()]
        return {h for lg in loggers if isinstance(lg, logging.Logger) for h in lg.handlers}

    def _forwarding_call_handlers(self) -> Callable[[logging.Logger, logging.LogRecord], None]:
        call_handlers = self._call_handlers
        outside_handlers = self._outside_handlers

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
        for handler in self._all_handlers() - self._handlers_before:
            try:
                handler.flush()
                handler.close()
            except Exception:
                pass

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = []
        for name in [*before, *(n for n in after if n not in before)]:
            old, new = before.get(name), after.get(name)
            if name == "logging.disable":
                if old != new:
                    lines.append(f"~ logging.disable: {old} -> {new}")
                continue
            old_state = old if name == "<root>" else (old[1] if old else None)
            new_state = new if name == "<root>" else (new[1] if new else None)
            label = "root logger" if name == "<root>" else f"logger {name!r}"
            if old_state is None and new_state is not None and new_state != _NEW_LOGGER:
                lines.append(f"+ {label}: {_describe_logger_state(new_state)}")
            elif old_state is not None and new_state is not None and old_state != new_state:
                lines.append(
                    f"~ {label}: {_describe_logger_state(old_state)} -> "
                    f"{_describe_logger_state(new_state)}"
                )
        return lines

    def leak_diff(self, outer: Any, now: Any) -> list[str]:
        # Loggers created by the run stay in the manager, reset: only the others count.
        return self.diff(outer, {k: v for k, v in now.items() if k in outer})


def _set_logger_state(logger: logging.Logger, state: _LoggerState) -> None:
    handlers, level, propagate, disabled = state
    logger.handlers = [h.obj for h in handlers]
    logger.level, logger.propagate, logger.disabled = level, propagate, disabled


#: A fresh interpreter's warning filters (non-debug build), before ``-W``/``PYTHONWARNINGS``.
_DEFAULT_FILTERS: Final[tuple[Any, ...]] = (
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
class Warnings(StateItem):
    """``warnings.filters``, ``showwarning`` and the ``once`` registry.

    For a run (*env* given): a fresh interpreter's machinery, the default filters plus the
    run's ``PYTHONWARNINGS``, warnings printed to ``sys.stderr``; not pytest's recorder. Each
    change of the filters invalidates every module's ``__warningregistry__`` (the interpreter
    keeps one version counter), so registries start afresh after a run, as after any test.
    """

    name = "warnings"

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self._fresh = env is not None
        self._options = [o for o in (env or {}).get("PYTHONWARNINGS", "").split(",") if o]

    def read(self) -> dict[str, Any]:
        return {
            "warnings.filters": (Same(warnings.filters), list(warnings.filters)),
            "warnings.showwarning": Same(warnings.showwarning),
            "warnings._showwarnmsg_impl": Same(warnings._showwarnmsg_impl),  # type: ignore[attr-defined]
            "warnings.onceregistry": dict(warnings.onceregistry),  # type: ignore[attr-defined]
        }

    def write(self, snapshot: dict[str, Any]) -> None:
        filters, contents = snapshot["warnings.filters"]
        filters.obj[:] = contents
        warnings.filters = filters.obj
        warnings.showwarning = snapshot["warnings.showwarning"].obj
        warnings._showwarnmsg_impl = snapshot["warnings._showwarnmsg_impl"].obj  # type: ignore[attr-defined]
        warnings.onceregistry.clear()  # type: ignore[attr-defined]
        warnings.onceregistry.update(snapshot["warnings.onceregistry"])  # type: ignore[attr-defined]
        warnings._filters_mutated()  # type: ignore[attr-defined]

    def setup(self) -> None:
        if not self._fresh:
            return
        warnings.filters = list(_DEFAULT_FILTERS)
        warnings.showwarning = warnings._showwarning_orig  # type: ignore[attr-defined]
        warnings._showwarnmsg_impl = _show_warning_message  # type: ignore[attr-defined]
        warnings.onceregistry.clear()  # type: ignore[attr-defined]
        warnings._processoptions(self._options)  # type: ignore[attr-defined]
        warnings._filters_mutated()  # type: ignore[attr-defined]

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = sequence_diff(before["warnings.filters"][1], after["warnings.filters"][1])
        rest = {k: v for k, v in before.items() if k != "warnings.filters"}
        return lines + dict_diff(rest, {k: after[k] for k in rest})
