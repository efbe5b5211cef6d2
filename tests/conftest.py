"""Fixtures shared by the test modules; loads the plugin of the ``test_compat_*`` modules."""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping

import pytest

#: The targets, helpers and fixtures of the ``test_compat_*`` modules (a plugin, so that its
#: fixtures reach them and its assertions are rewritten).
pytest_plugins = ["compat_support"]


def _hide_mutmut_trampolines() -> None:
    """Under mutmut (``tox -e mutation``), make its trampolines invisible in tracebacks.

    mutmut calls every function of the package through a trampoline in its own module, and
    renames the functions themselves (``x_NAME__mutmut_orig``, ``x_NAME__mutmut_3``), so the
    tracebacks a run prints would show frames that the real interpreter's do not have, and lose
    the runpy frames that ours stand for: the differential tests would fail for every mutant.
    The trampolines' frames count as the plugin's own, and the functions are looked up by their
    real names; the original checks still run, mutated or not.
    """
    trampoline = sys.modules.get("mutmut.mutation.trampoline")
    if trampoline is None or trampoline.__file__ is None:
        return
    from pytest_runmain import _exit

    trampoline_dir = os.path.dirname(os.path.abspath(trampoline.__file__))
    is_internal = _exit._is_internal

    def is_internal_or_trampoline(filename: str) -> bool:
        if os.path.dirname(os.path.abspath(filename)) == trampoline_dir:
            return True
        return is_internal(filename)

    setattr(_exit, "_is_internal", is_internal_or_trampoline)  # noqa: B010
    setattr(_exit, "RUNPY_FUNCTIONS", _UnmangledNames(_exit.RUNPY_FUNCTIONS))  # noqa: B010


class _UnmangledNames(Mapping[str, str]):
    """*names*, looked up by a function's name or by the names mutmut gives its copies."""

    _MANGLED = re.compile(r"x_(?P<name>.+)__mutmut_(?:orig|\d+)")

    def __init__(self, names: Mapping[str, str]) -> None:
        self._names = names

    def __getitem__(self, key: str) -> str:
        mangled = self._MANGLED.fullmatch(key)
        return self._names[mangled["name"] if mangled else key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


_hide_mutmut_trampolines()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under mutmut, run the selected tests in the suite's order rather than mutmut's.

    mutmut names the tests that cover a mutant on the command line in no particular order
    (a set's), and pytest runs them in that order; the suite is only ever run, and so only
    known to pass, in the order of its files and definitions.
    """
    if "mutmut.mutation.trampoline" in sys.modules:
        items.sort(key=lambda item: (str(item.path), item.location[1] or 0, item.name))


@pytest.fixture
def main_thread() -> None:
    """Skip a test that needs the main thread (signal handlers, in-process time limits).

    pytest-xdist before 3.5 runs tests in a worker thread, where Python allows neither;
    the plugin then says so itself (see test_modes), and these tests cannot run.
    """
    if threading.current_thread() is not threading.main_thread():
        pytest.skip(reason="needs the main thread; this pytest-xdist runs tests in a worker thread")
