"""The fixtures as pytest users meet them, run through ``pytester``."""

from __future__ import annotations

import pytest
from helpers import write_files

CLI_PACKAGE = {
    "cli/__init__.py": "",
    "cli/__main__.py": """
import logging
import sys
import warnings

logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(message)s")
log = logging.getLogger("cli")
name = sys.argv[1] if len(sys.argv) > 1 else "world"
print(f"hello {name}")
log.info("greeted %s", name)
warnings.warn("cli warns", UserWarning)
sys.exit(0 if name != "nobody" else "no one to greet")
""",
}


@pytest.fixture
def cli_project(pytester: pytest.Pytester) -> pytest.Pytester:
    write_files(pytester.path, CLI_PACKAGE)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    return pytester


TEST_CLI = """
import pytest

def test_greets(run_module, pytestconfig):
    print("the test's own output")
    result = run_module("cli", "ada", cwd=pytestconfig.rootpath)
    assert result.returncode == 0
    assert result.stdout == "hello ada\\n"
    assert "INFO:greeted ada\\n" in result.stderr
    assert "UserWarning: cli warns" in result.stderr

def test_exit_message(run_module, pytestconfig):
    result = run_module("cli", "nobody", cwd=pytestconfig.rootpath)
    assert result.returncode == 1
    assert result.stderr.endswith("no one to greet\\n")

def test_many_calls_are_independent(run_module, pytestconfig):
    results = [run_module("cli", str(i), cwd=pytestconfig.rootpath) for i in range(3)]
    assert [r.stdout for r in results] == ["hello 0\\n", "hello 1\\n", "hello 2\\n"]
    assert all(r.stderr.startswith(f"INFO:greeted {i}\\n") for i, r in enumerate(results))
"""


@pytest.mark.parametrize(
    "options",
    [[], ["-s"], ["--capture=sys"], ["--capture=fd"], ["-o", "log_cli=true"], ["-p", "no:logging"]],
    ids=["default", "no-capture", "capture-sys", "capture-fd", "log-cli", "no-logging-plugin"],
)
def test_fixtures_under_capture_modes(cli_project: pytest.Pytester, options: list[str]) -> None:
    cli_project.makepyfile(test_cli=TEST_CLI)
    result = cli_project.runpytest_inprocess(*options)
    result.assert_outcomes(passed=3)
    # The program's output went to the results, never to the terminal.
    result.stdout.no_fnmatch_line("*hello ada*")


def test_test_output_is_still_captured_by_pytest(cli_project: pytest.Pytester) -> None:
    cli_project.makepyfile(
        test_cli="""
        def test_fails(run_module, pytestconfig):
            print("the test's own output")
            run_module("cli", "ada", cwd=pytestconfig.rootpath)
            assert False
        """
    )
    result = cli_project.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- Captured stdout call -*",
            "the test's own output",
            "*- Captured log call -*",
            "INFO     cli:__main__.py:* greeted ada",
            "*- runmain run 1 of 1: python -m cli ada -*",
            "command: python -m cli ada",
            f"cwd: {cli_project.path}",
            f"argv: ['{cli_project.path / 'cli' / '__main__.py'}', 'ada']",
            "exit status: 0",
            "stdout:",
            "    hello ada",
            "stderr:",
            "    INFO:greeted ada",
            "    *UserWarning: cli warns",
            '      warnings.warn("cli warns", UserWarning)',
        ]
    )


def test_capsys_in_the_test_is_unaffected(cli_project: pytest.Pytester) -> None:
    cli_project.makepyfile(
        test_cli="""
        import sys
        def test_capsys(run_module, capsys, pytestconfig):
            print("before")
            result = run_module("cli", "ada", cwd=pytestconfig.rootpath)
            print("after")
            sys.stderr.write("err\\n")
            assert result.stdout == "hello ada\\n"
            assert capsys.readouterr() == ("before\\nafter\\n", "err\\n")
        """
    )
    cli_project.runpytest_inprocess().assert_outcomes(passed=1)


def test_runs_in_a_subprocess_pytest_too(cli_project: pytest.Pytester) -> None:
    cli_project.makepyfile(test_cli=TEST_CLI)
    cli_project.runpytest_subprocess().assert_outcomes(passed=3)


def test_fixture_help_is_listed(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--fixtures")
    result.stdout.fnmatch_lines(
        ["run_module*", "*Run ``python -m MOD ARGS`` in-process*", "run_path*", "*python PATH*"]
    )


def test_target_error_fails_the_test_with_the_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_typo(run_module):
            run_module("no_such_cli_xyz")
        """
    )
    result = pytester.runpytest_inprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TargetError: No module named no_such_cli_xyz"])


def test_a_test_module_runs_itself_with_dash_m(pytester: pytest.Pytester) -> None:
    """pytest imported it through its assertion rewriter; ``python -m`` finds its source anew."""
    pytester.makepyfile(
        test_self="""
        import sys

        def test_runs_itself(run_module):
            result = run_module("test_self", "arg")
            assert (result.returncode, result.stderr) == (0, "")
            assert result.stdout == "main ['arg']\\n"
            assert sys.modules["test_self"].__name__ == "test_self"

        if __name__ == "__main__":
            print("main", sys.argv[1:])
        """
    )
    pytester.runpytest_inprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_test_frees_its_programs_objects_before_the_next_test(
    pytester: pytest.Pytester,
) -> None:
    """Released at the test's end, not by a later collection, they print into no later run."""
    # Collections only where a program asks: whether one comes between the tests is not luck.
    pytester.makeconftest("import gc\n\ndef pytest_configure():\n    gc.disable()\n")
    pytester.makepyfile(
        noisy="""
            class Noisy:
                def __del__(self):
                    print("freed late")
            def function():  # keeps the globals in a cycle: only a collection would free them
                pass
            noisy = Noisy()
        """,
        collects="import gc\ngc.collect()\nprint('collected')\n",
        test_order="""
            import pytest

            @pytest.mark.parametrize("failing", [False, True])
            def test_keeps_objects(run_path, failing):
                assert run_path("noisy.py").globals["noisy"] is not None
                assert not failing

            def test_next(run_path):
                assert run_path("collects.py").stdout == "collected\\n"
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")  # its own gc settings
    result.assert_outcomes(passed=2, failed=1)
