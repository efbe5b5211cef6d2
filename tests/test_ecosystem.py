"""pytest-runmain with hooks and the plugins users combine it with, through ``pytester``."""

from __future__ import annotations

import pytest
from helpers import write_files

APP = {
    "app/__init__.py": "",
    "app/core.py": "def greet():\n    return 'real'\n",
    "app/__main__.py": """
import logging, os, sys
from app.core import greet
logging.basicConfig(level=logging.INFO)
logging.getLogger("app").info("about to greet")
print(greet(), os.environ.get("APP_MODE", "-"), sys.argv[1:])
""",
    "app/spin.py": "import time\nwhile True:\n    time.sleep(0.01)\n",
}


@pytest.fixture
def app(pytester: pytest.Pytester) -> pytest.Pytester:
    write_files(pytester.path, APP)
    pytester.makeini("[pytest]\nfilterwarnings = error\npythonpath = .\n")
    return pytester


def test_before_run_hook_changes_the_run_and_after_run_sees_results(app: pytest.Pytester) -> None:
    app.makeconftest(
        """
        import pytest
        RESULTS = []

        def pytest_runmain_before_run(request, item):
            request.args.append("--from-hook")
            request.env["APP_MODE"] = item.name

        def pytest_runmain_after_run(result, item):
            RESULTS.append((item.name, result.returncode, result.stdout))

        @pytest.fixture
        def results():
            return RESULTS
        """
    )
    app.makepyfile(
        test_it="""
        def test_one(run_module, results):
            result = run_module("app", "x")
            assert result.stdout == "real test_one ['x', '--from-hook']\\n"
            assert results == [("test_one", 0, result.stdout)]
        """
    )
    app.runpytest_inprocess().assert_outcomes(passed=1)


def test_hook_that_breaks_the_request_is_reported(app: pytest.Pytester) -> None:
    app.makeconftest(
        """
        def pytest_runmain_before_run(request, item):
            request.env = {"A": 1}
        """
    )
    app.makepyfile(test_it="def test_it(run_module):\n    run_module('app')\n")
    result = app.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*OptionError: run_module('app') after pytest_runmain_before_run: env must map*"]
    )


def test_pytest_mock_patches_are_seen_by_the_program(app: pytest.Pytester) -> None:
    app.makepyfile(
        test_it="""
        import os

        def test_patch(run_module, mocker):
            mocker.patch("app.core.greet", return_value="mocked")
            assert run_module("app").stdout == "mocked - []\\n"

        def test_patch_dict_environ(run_module, mocker):
            mocker.patch.dict(os.environ, {"APP_MODE": "patched"})
            assert run_module("app").stdout == "real patched []\\n"

        def test_unpatched_afterwards(run_module):
            assert run_module("app").stdout == "real - []\\n"
        """
    )
    app.runpytest_inprocess().assert_outcomes(passed=3)


def test_monkeypatch_chdir_and_tmp_path(app: pytest.Pytester) -> None:
    app.makepyfile(
        test_it="""
        def test_chdir(run_path, monkeypatch, tmp_path):
            (tmp_path / "where.py").write_text("import os\\nprint(os.getcwd())\\n")
            monkeypatch.chdir(tmp_path)
            assert run_path("where.py").stdout == f"{tmp_path}\\n"
        """
    )
    app.runpytest_inprocess().assert_outcomes(passed=1)


def test_caplog_sees_the_program_records(app: pytest.Pytester) -> None:
    app.makepyfile(
        test_it="""
        def test_caplog(run_module, caplog):
            result = run_module("app")
            assert "INFO:app:about to greet" in result.stderr
            assert [r.getMessage() for r in caplog.records] == ["about to greet"]
        """
    )
    app.runpytest_inprocess().assert_outcomes(passed=1)


def test_pytest_timeout_stops_a_looping_program(app: pytest.Pytester) -> None:
    """pytest-timeout's signal method needs the main thread: the inner session gets its own.

    In-process, the inner session would run in the thread running this test, which a
    pytest-xdist before 3.5 may make a worker thread; the timer would then never fire.
    """
    app.makepyfile(
        test_it="""
        import pytest, signal

        @pytest.mark.timeout(1, method="signal")
        def test_spins(run_module):
            run_module("app.spin")

        def test_next_one_runs(run_module):
            assert run_module("app").returncode == 0
        """
    )
    result = app.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout*>1.0s*"])


def test_xdist_runs_the_fixtures_distributed(app: pytest.Pytester) -> None:
    app.makepyfile(
        test_it="""
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_many(run_module, n):
            assert run_module("app", str(n)).stdout == f"real - ['{n}']\\n"
        """
    )
    result = app.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*2 workers*"])
