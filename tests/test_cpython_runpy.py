"""CPython's own ``test.test_runpy`` run against ``runpy`` and against ``compat``.

The stdlib's run_module/run_path test cases are pointed at each implementation in turn and run
with unittest inside this test; every case must pass and none may be skipped.
"""

from __future__ import annotations

import importlib
import io
import runpy
import sys
import unittest

import pytest

test_runpy = pytest.importorskip(
    "test.test_runpy",
    reason="CPython's own test package is not installed (Debian-style system Python)",
)

#: The classes that exercise run_module/run_path. Left out: ExecutionLayerTestCase (tests
#: runpy's private _run_code/_run_module_code) and TestExit (subprocesses only).
CASES = ("RunModuleTestCase", "RunPathTestCase")


@pytest.mark.parametrize("impl", ["runpy", "compat"])
def test_cpython_test_runpy(impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("runpy" if impl == "runpy" else "pytest_runmain.compat")
    # test_runpy calls its module globals, bound by `from runpy import ...`;
    # test_main_recursion_error's inner call goes through `runpy.run_path`.
    monkeypatch.setattr(test_runpy, "run_module", module.run_module)
    monkeypatch.setattr(test_runpy, "run_path", module.run_path)
    monkeypatch.setattr(runpy, "run_path", module.run_path)
    # pytest's assertion rewriter claims test_runpy's `runpy_test.py` (it matches the default
    # python_files) and, having no get_code(), breaks even the stdlib; use the plain finders.
    finders = [f for f in sys.meta_path if f.__module__.startswith("_frozen_importlib")]
    monkeypatch.setattr(sys, "meta_path", finders)
    # With PYTHONDONTWRITEBYTECODE=1 the legacy-pyc subcases are silently skipped.
    monkeypatch.setattr(sys, "dont_write_bytecode", False)

    loader = unittest.TestLoader()
    suite = unittest.TestSuite(
        loader.loadTestsFromTestCase(getattr(test_runpy, name)) for name in CASES
    )
    stream = io.StringIO()
    runner = unittest.TextTestRunner(stream=stream, verbosity=2)
    runner.warnings = None  # keep pytest's filters (filterwarnings = error) in force
    result = runner.run(suite)

    report = stream.getvalue()
    assert result.wasSuccessful(), report
    assert not result.skipped, report
    assert result.testsRun == suite.countTestCases(), report
    assert result.testsRun > 25, report
