"""Configuration of runs: ini and command-line options, ``runmain`` markers, call arguments."""

from __future__ import annotations

import pytest

#: A program that prints what a run was configured with, one setting per line.
SHOW_PROGRAM = """
import os, shutil, sys
print("args", sys.argv[1:])
print("stdin", repr(sys.stdin.read()))
print("env", {k: v for k, v in sorted(os.environ.items()) if k.startswith("RM_")})
print("cwd", os.path.basename(os.getcwd()))
print("tty", sys.stdin.isatty(), sys.stdout.isatty(), sys.stderr.isatty())
print("columns", shutil.get_terminal_size().columns)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(show=SHOW_PROGRAM)
    (pytester.path / "sub").mkdir()
    (pytester.path / "sub" / "show.py").write_text(SHOW_PROGRAM)
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def show(run_path, pytestconfig):
            def show(*args, **options):
                result = run_path("show.py", *args, **options)
                assert result.returncode == 0, result.stderr
                return dict(line.split(" ", 1) for line in result.stdout.splitlines())
            return show
        """
    )
    return pytester


def test_defaults(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_it="""
        def test_it(show, monkeypatch):
            monkeypatch.delenv("COLUMNS", raising=False)
            assert show() == {
                "args": "[]",
                "stdin": "''",
                "env": "{}",
                "cwd": "test_defaults0",
                "tty": "False False False",
                "columns": "80",
            }
        """
    )
    project.runpytest_inprocess().assert_outcomes(passed=1)


def test_precedence_of_every_level(project: pytest.Pytester) -> None:
    """ini < command line < module marker < class marker < function marker < call."""
    project.makeini(
        """
        [pytest]
        runmain_env =
            RM_INI=ini
            RM_CLI=ini
            RM_MOD=ini
            RM_CLS=ini
            RM_FUN=ini
            RM_CALL=ini
        runmain_columns = 11
        """
    )
    project.makepyfile(
        test_it="""
        import pytest

        pytestmark = pytest.mark.runmain(
            "module-arg", env={"RM_MOD": "mod", "RM_CLS": "mod", "RM_FUN": "mod", "RM_CALL": "mod"},
            columns=33,
        )

        @pytest.mark.runmain(env={"RM_CLS": "cls", "RM_FUN": "cls", "RM_CALL": "cls"}, columns=44)
        class TestLevels:
            @pytest.mark.runmain("function-arg", env={"RM_FUN": "fun", "RM_CALL": "f"}, columns=55)
            def test_function_level(self, show):
                shown = show(env={"RM_CALL": "call"})
                assert shown["env"] == str({
                    "RM_CALL": "call", "RM_CLI": "cli", "RM_CLS": "cls", "RM_FUN": "fun",
                    "RM_INI": "ini", "RM_MOD": "mod",
                })
                assert shown["columns"] == "55"
                assert shown["args"] == "['function-arg']"

            def test_class_level(self, show):
                shown = show()
                assert shown["columns"] == "44"
                assert shown["args"] == "['module-arg']"

            def test_call_args_replace_marker_args(self, show):
                assert show("call-arg", columns=66)["args"] == "['call-arg']"
                assert show("call-arg", columns=66)["columns"] == "66"

        def test_module_level(show):
            assert show()["columns"] == "33"

        def test_call_beats_all(show):
            assert show(columns=99)["columns"] == "99"
        """
    )
    result = project.runpytest_inprocess("--runmain-env", "RM_CLI=cli", "--runmain-columns", "22")
    result.assert_outcomes(passed=5)


def test_command_line_beats_ini(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nrunmain_columns = 11\nrunmain_env = RM_A=ini\n")
    # Two test files, not one rewritten: a rewrite within the same second can be served from
    # the bytecode cache of the first (same size, same mtime) when bytecode is written.
    project.makepyfile(
        test_cli="""
        def test_it(show):
            assert show()["columns"] == "22"
            assert show()["env"] == str({"RM_A": "cli"})
        """
    )
    result = project.runpytest_inprocess(
        "--runmain-columns=22", "--runmain-env=RM_A=cli", "test_cli.py"
    )
    result.assert_outcomes(passed=1)
    project.makepyfile(
        test_ini="""
        def test_it(show):
            assert show()["columns"] == "11"
            assert show()["env"] == str({"RM_A": "ini"})
        """
    )
    project.runpytest_inprocess("test_ini.py").assert_outcomes(passed=1)


def test_cwd_from_ini_is_relative_to_rootdir(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nrunmain_cwd = sub\n")
    project.makepyfile(test_it="def test_it(show):\n    assert show()['cwd'] == 'sub'\n")
    project.runpytest_inprocess().assert_outcomes(passed=1)


def test_cwd_from_command_line_is_relative_to_invocation_dir(project: pytest.Pytester) -> None:
    project.makepyfile(test_it="def test_it(show):\n    assert show()['cwd'] == 'sub'\n")
    project.runpytest_inprocess("--runmain-cwd=sub").assert_outcomes(passed=1)


def test_tty_and_stdin_from_markers(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nrunmain_tty = true\n")
    project.makepyfile(
        test_it="""
        import pytest

        def test_ini_tty(show):
            assert show()["tty"] == "True True True"

        @pytest.mark.runmain(tty=False, stdin="typed\\n")
        def test_marker_overrides(show):
            shown = show()
            assert shown["tty"] == "False False False"
            assert shown["stdin"] == repr("typed\\n")
        """
    )
    project.runpytest_inprocess().assert_outcomes(passed=2)


def test_parametrized_argv_sets(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_it="""
        import pytest

        @pytest.mark.parametrize(
            "expected",
            [
                pytest.param("['--help']", marks=pytest.mark.runmain("--help"), id="help"),
                pytest.param("['-v', 'x']", marks=pytest.mark.runmain("-v", "x"), id="verbose"),
            ],
        )
        def test_it(show, expected):
            assert show()["args"] == expected
        """
    )
    result = project.runpytest_inprocess("--strict-markers", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_it[[]help[]] PASSED*", "*test_it[[]verbose[]] PASSED*"])


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (
            "runmain(timout=3)",
            "unknown option 'timout' (known options: capture, check, columns, cwd",
        ),
        ("runmain(3)", "program argument 1 must be str or a str path, not int: 3"),
        ("runmain(env='A=1')", "env must be a mapping of str to str or None, not str"),
        ("runmain(columns=0)", "columns must be a positive int or None, not 0"),
        ("runmain(tty='yes')", "tty must be True or False, not 'yes'"),
    ],
)
def test_bad_marker_is_a_usage_error_at_collection(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(
        test_it=f"""
        import pytest

        @pytest.mark.{marker}
        def test_it():
            pass
        """
    )
    result = pytester.runpytest_inprocess()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: @pytest.mark.runmain of test_it.py::test_it: {message}*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runmain-env", "NOVALUE"], "--runmain-env: expected NAME=VALUE, got 'NOVALUE'"),
        (["--runmain-columns", "-3"], "command-line option: columns must be a positive int"),
        (["-o", "runmain_columns=wide"], "runmain_columns: expected a positive int, got 'wide'"),
        (["-o", "runmain_env==1"], "runmain_env: expected NAME=VALUE, got '=1'"),
    ],
)
def test_bad_option_is_a_usage_error(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    result = pytester.runpytest_inprocess(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}*"])


def test_options_are_in_their_own_help_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(
        [
            "pytest-runmain: run __main__ entry points in-process:",
            "  --runmain-env=NAME=VALUE*",
            "  --runmain-cwd=DIR*",
            "  --runmain-tty*",
            "  --runmain-columns=N*",
        ]
    )
    result.stdout.fnmatch_lines(["  runmain_env (linelist):*", "  runmain_tty (bool):*"])


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.runmain(*args, **options):*"])


def test_case_marks_beat_the_function_marker(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_it="""
        import pytest

        @pytest.mark.runmain("--from-function", columns=40)
        @pytest.mark.parametrize(
            "expected",
            [
                pytest.param(("['--case']", "40"), marks=pytest.mark.runmain("--case"), id="args"),
                pytest.param(("['--from-function']", "50"), marks=pytest.mark.runmain(columns=50)),
                pytest.param(("['--from-function']", "40"), id="plain"),
            ],
        )
        def test_it(show, expected):
            shown = show()
            assert (shown["args"], shown["columns"]) == expected
        """
    )
    project.runpytest_inprocess().assert_outcomes(passed=3)
