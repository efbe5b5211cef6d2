"""Test the ``__main__`` entry points of Python programs in-process.

Run a module as ``python -m`` or a path as ``python PATH`` would, inside the test process, and
get its exit status, output, globals and uncaught exception: the ``run_module`` and
``run_path`` fixtures, or a :class:`Runner` outside pytest. After each run the interpreter state
is put back and checked (:mod:`pytest_runmain.leaks`). :mod:`pytest_runmain.compat` has
drop-in replacements for :func:`runpy.run_module` and :func:`runpy.run_path`.
"""

from __future__ import annotations

from pytest_runmain._locate import TargetError
from pytest_runmain._options import OptionError, RunRequest
from pytest_runmain._state import StateChange, StateLeak
from pytest_runmain.leaks import (
    RunmainLeakWarning,
    StateChangedError,
    StateLeakError,
    state_unchanged,
)
from pytest_runmain.modes import ModeMismatchError
from pytest_runmain.result import RunFailed, RunResult
from pytest_runmain.runner import RunModule, Runner, RunPath
from pytest_runmain.targets import Target

__version__ = "0.1.0.dev0"

__all__ = [
    "ModeMismatchError",
    "OptionError",
    "RunFailed",
    "RunModule",
    "RunPath",
    "RunRequest",
    "RunResult",
    "RunmainLeakWarning",
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
