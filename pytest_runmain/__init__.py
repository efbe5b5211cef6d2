"""Test the ``__main__`` entry points of Python programs in-process.

Run a module as ``python -m`` or a path as ``python PATH`` would, inside the test process, and
get its exit status, output, globals and uncaught exception: the ``run_module`` and
``run_path`` fixtures, or a :class:`Runner` outside pytest. After each run the interpreter state
is put back and checked (:mod:`pytest_runmain.leaks`). :mod:`pytest_runmain.compat` has
drop-in replacements for :func:`runpy.run_module` and :func:`runpy.run_path`.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytest_runmain._command_line import ConcurrentRunError
    from pytest_runmain._locate import TargetError
    from pytest_runmain._options import OptionError, RunRequest
    from pytest_runmain._state import StateChange, StateLeak
    from pytest_runmain.leaks import (
        RunmainLeakWarning,
        StateChangedError,
        StateLeakError,
        state_unchanged,
    )
    from pytest_runmain.modes import ModeMismatchError, RunmainSnapshotWarning
    from pytest_runmain.result import RunFailed, RunResult
    from pytest_runmain.runner import RunConsoleScript, RunModule, Runner, RunPath
    from pytest_runmain.targets import Target
    from pytest_runmain.testcase import RunmainMixin

#: Where each public name lives: imported at its first use, so that importing the plugin in a
#: session without runs does not import the machinery.
_HOMES = {
    "ConcurrentRunError": "pytest_runmain._command_line",
    "ModeMismatchError": "pytest_runmain.modes",
    "RunConsoleScript": "pytest_runmain.runner",
    "OptionError": "pytest_runmain._options",
    "RunFailed": "pytest_runmain.result",
    "RunModule": "pytest_runmain.runner",
    "RunPath": "pytest_runmain.runner",
    "RunRequest": "pytest_runmain._options",
    "RunResult": "pytest_runmain.result",
    "RunmainLeakWarning": "pytest_runmain.leaks",
    "RunmainMixin": "pytest_runmain.testcase",
    "RunmainSnapshotWarning": "pytest_runmain.modes",
    "Runner": "pytest_runmain.runner",
    "StateChange": "pytest_runmain._state",
    "StateChangedError": "pytest_runmain.leaks",
    "StateLeak": "pytest_runmain._state",
    "StateLeakError": "pytest_runmain.leaks",
    "Target": "pytest_runmain.targets",
    "TargetError": "pytest_runmain._locate",
    "state_unchanged": "pytest_runmain.leaks",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Not kept in this module's globals: a module dropped from sys.modules and imported again
    # (pytester's in-process runs drop the modules a session imported) must give its new
    # classes here too, or isinstance checks against them fail.
    return getattr(importlib.import_module(home), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))


__version__ = "0.1.0.dev0"

__all__ = [
    "ConcurrentRunError",
    "ModeMismatchError",
    "OptionError",
    "RunConsoleScript",
    "RunFailed",
    "RunModule",
    "RunPath",
    "RunRequest",
    "RunResult",
    "RunmainLeakWarning",
    "RunmainMixin",
    "RunmainSnapshotWarning",
    "Runner",
    "StateChange",
    "StateChangedError",
    "StateLeak",
    "StateLeakError",
    "Target",
    "TargetError",
    "__version__",
    "state_unchanged",
]
