"""Fixtures shared by the test modules; loads the plugin of the ``test_compat_*`` modules."""

from __future__ import annotations

import threading

import pytest

#: The targets, helpers and fixtures of the ``test_compat_*`` modules (a plugin, so that its
#: fixtures reach them and its assertions are rewritten).
pytest_plugins = ["compat_support"]


@pytest.fixture
def main_thread() -> None:
    """Skip a test that needs the main thread (signal handlers, in-process time limits).

    pytest-xdist before 3.5 runs tests in a worker thread, where Python allows neither;
    the plugin then says so itself (see test_modes), and these tests cannot run.
    """
    if threading.current_thread() is not threading.main_thread():
        pytest.skip(reason="needs the main thread; this pytest-xdist runs tests in a worker thread")
