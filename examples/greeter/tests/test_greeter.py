"""The greeter's entry points, run in-process by pytest-runmain.

``run_module("greeter", ...)`` runs like ``python -m greeter ...``, ``run_path(script, ...)``
like ``python script ...`` and ``run_console_script("greeter", ...)`` like the ``greeter``
command that installing the project puts on ``PATH`` (``[project.scripts]``). Each returns
what a shell would see (``returncode``, ``stdout``, ``stderr``) and, because the program ran
in this process, its module globals as well.
``run_main(target, ...)`` runs any form the program ships in: see the last test.
"""

from __future__ import annotations

import argparse
import json
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import greeter
import pytest

from pytest_runmain import Target

if TYPE_CHECKING:
    from pytest_runmain import RunConsoleScript, RunModule, RunPath
    from pytest_runmain.targets import RunMain

# -- python -m greeter -----------------------------------------------------------------------


def test_greets_the_name_given_on_the_command_line(run_module: RunModule) -> None:
    result = run_module("greeter", "Ada")

    assert result.returncode == 0
    assert result.stdout == "Hello, Ada!\n"
    assert result.stderr == ""


def test_shout_greets_in_capitals(run_module: RunModule) -> None:
    result = run_module("greeter", "Ada", "--shout")

    assert result.returncode == 0
    assert result.stdout == "HELLO, ADA!\n"


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
def test_argv_is_what_python_dash_m_gives(run_module: RunModule) -> None:
    result = run_module("greeter", "--shout", "Ada")

    # Like `python -m greeter`: argv[0] is the file of the module that runs.
    assert Path(result.argv[0]).name == "__main__.py"
    assert result.argv[1:] == ["--shout", "Ada"]


def test_version(run_module: RunModule) -> None:
    result = run_module("greeter", "--version")

    assert result.returncode == 0
    assert result.stdout == f"greeter {greeter.__version__}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "greeter: error: the following arguments are required: name\n"),
        (("Ada", "--whisper"), "greeter: error: unrecognized arguments: --whisper\n"),
    ],
    ids=["missing-name", "unknown-option"],
)
def test_usage_errors_exit_2(run_module: RunModule, args: tuple[str, ...], message: str) -> None:
    result = run_module("greeter", *args)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("usage: greeter [-h] [--shout] [-v] [--version] name\n")
    assert result.stderr.endswith(message)


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
def test_globals_survive_a_usage_error(run_module: RunModule) -> None:
    result = run_module("greeter", "--no-such-option")

    assert result.returncode == 2
    # argparse ended the program with SystemExit(2); the result keeps the exception...
    assert isinstance(result.exception, SystemExit)
    assert result.exception.code == 2
    # ...and the globals: the module ran up to parse_args(), so its parser is there to reuse.
    parser = result.globals["parser"]
    assert isinstance(parser, argparse.ArgumentParser)
    assert parser.prog == "greeter"
    assert parser.parse_args(["Bob", "--shout"]) == argparse.Namespace(
        name="Bob", shout=True, verbose=False
    )


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
def test_module_runs_as_main(run_module: RunModule) -> None:
    result = run_module("greeter", "Ada")

    assert result.globals["__name__"] == "__main__"
    assert result.globals["__spec__"].name == "greeter.__main__"


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
@pytest.mark.parametrize("name", ["", "   "], ids=["empty", "blank"])
def test_empty_name_exits_3(run_module: RunModule, name: str) -> None:
    result = run_module("greeter", name)

    assert result.returncode == 3
    assert result.returncode == result.globals["EXIT_EMPTY_NAME"]
    assert result.stdout == ""
    assert result.stderr == "greeter: error: name must not be empty\n"


def test_dash_reads_names_from_stdin(run_module: RunModule) -> None:
    result = run_module("greeter", "-", stdin="Ada\n\n  Grace  \n")

    assert result.returncode == 0
    assert result.stdout == "Hello, Ada!\nHello, Grace!\n"


def test_stdin_and_stdout_as_bytes(run_module: RunModule) -> None:
    result = run_module("greeter", "-", "--shout", stdin="Zoë\n".encode())

    assert result.returncode == 0
    assert result.stdout_bytes == "HELLO, ZOË!\n".encode()
    assert result.stdout == "HELLO, ZOË!\n"


def test_no_names_on_stdin_exits_3(run_module: RunModule) -> None:
    result = run_module("greeter", "-", stdin="\n\n")

    assert result.returncode == 3
    assert result.stderr == "greeter: error: no names on stdin\n"


def test_env_overlays_the_environment_for_the_run_only(
    run_module: RunModule, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(greeter.GREETING_ENV, "Hi")

    overlaid = run_module("greeter", "Ada", env={greeter.GREETING_ENV: "Howdy"})
    inherited = run_module("greeter", "Ada")

    assert overlaid.stdout == "Howdy, Ada!\n"
    assert inherited.stdout == "Hi, Ada!\n"
    assert os.environ[greeter.GREETING_ENV] == "Hi"


def test_verbose_logs_to_stderr(run_module: RunModule) -> None:
    result = run_module("greeter", "--verbose", "Ada")

    assert result.returncode == 0
    assert result.stdout == "Hello, Ada!\n"
    assert result.stderr == "DEBUG:greeter:greeting 1 name(s) with 'Hello'\nINFO:greeter:done\n"


def test_logging_setup_does_not_leak_into_the_next_run(run_module: RunModule) -> None:
    run_module("greeter", "--verbose", "Ada")

    quiet = run_module("greeter", "Ada")

    assert quiet.stderr == ""


# -- greeter, the installed console script -------------------------------------------------


def test_the_installed_command(run_console_script: RunConsoleScript) -> None:
    result = run_console_script("greeter", "Ada", "--shout")

    assert (result.returncode, result.stdout, result.stderr) == (0, "HELLO, ADA!\n", "")


def test_the_command_exits_with_what_main_returns(run_console_script: RunConsoleScript) -> None:
    result = run_console_script("greeter", " ")

    assert result.returncode == 3
    assert result.stderr == "greeter: error: name must not be empty\n"


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
def test_the_command_runs_its_launcher(run_console_script: RunConsoleScript) -> None:
    result = run_console_script("greeter", "Ada")

    # The launcher pip wrote: argv[0] is its path, and main() returned 0 to its sys.exit().
    assert Path(result.argv[0]).name == "greeter"
    assert result.return_value == 0
    assert result.globals["main"].__module__ == "greeter.__main__"


def test_the_entry_point_value_needs_no_install(run_console_script: RunConsoleScript) -> None:
    result = run_console_script("greeter = greeter.__main__:main", "--version")

    assert result.stdout == f"greeter {greeter.__version__}\n"


# -- python -m greeter.cli_tools -------------------------------------------------------------


def test_word_count_of_stdin(run_module: RunModule) -> None:
    result = run_module("greeter.cli_tools", stdin="Ada Grace\nAda\n")

    assert result.returncode == 0
    assert result.stdout == "2 lines, 3 words\n"


def test_word_count_top_words(run_module: RunModule) -> None:
    result = run_module("greeter.cli_tools", "--top", "1", stdin="Ada Grace\nAda\n")

    assert result.stdout == "2 lines, 3 words\n     2 Ada\n"


def test_word_count_reads_files_relative_to_cwd(
    run_module: RunModule, names_file: Path, tmp_path: Path
) -> None:
    before = Path.cwd()

    result = run_module("greeter.cli_tools", "names.txt", cwd=tmp_path)

    assert result.returncode == 0
    assert result.stdout == "5 lines, 5 words\n"
    assert Path.cwd() == before


def test_word_count_missing_file_exits_with_message(run_module: RunModule, tmp_path: Path) -> None:
    result = run_module("greeter.cli_tools", "missing.txt", cwd=tmp_path)

    # sys.exit("message"): the message goes to stderr and the status is 1.
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "greeter.cli_tools: cannot read 'missing.txt': No such file or directory\n"
    )


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
def test_functions_of_the_run_can_be_called_afterwards(run_module: RunModule) -> None:
    result = run_module("greeter.cli_tools", stdin="")

    count = result.globals["count"]
    assert count(["a b", "b"]) == (2, Counter({"b": 2, "a": 1}))


# -- python scripts/greet-report.py ----------------------------------------------------------


def test_report_reads_names_txt_in_cwd(
    run_path: RunPath, report_script: Path, names_file: Path
) -> None:
    result = run_path(report_script, cwd=names_file.parent)

    assert result.returncode == 0
    assert result.stdout == "Hello, Ada!\nHello, Grace!\n-- 2 people greeted, 1 duplicates\n"
    assert result.stderr == ""


def test_report_as_json(run_path: RunPath, report_script: Path, names_file: Path) -> None:
    result = run_path(report_script, str(names_file), "--json")

    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "greeter": greeter.__version__,
        "greetings": ["Hello, Ada!", "Hello, Grace!"],
        "duplicates": ["Ada"],
    }


def test_report_uses_the_greeting_from_env(
    run_path: RunPath, report_script: Path, names_file: Path
) -> None:
    result = run_path(report_script, str(names_file), env={greeter.GREETING_ENV: "Welcome"})

    assert result.stdout.splitlines()[:2] == ["Welcome, Ada!", "Welcome, Grace!"]


def test_report_without_names_file_exits_1(
    run_path: RunPath, report_script: Path, tmp_path: Path
) -> None:
    result = run_path(report_script, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "greet-report: no names file 'names.txt'\n"


def test_report_usage_error_exits_2(run_path: RunPath, report_script: Path) -> None:
    result = run_path(report_script, "--csv")

    assert result.returncode == 2
    assert result.stderr.startswith("usage: greet-report")
    assert result.stderr.endswith("greet-report: error: unrecognized arguments: --csv\n")


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
def test_script_path_as_typed_in_the_shell(
    run_path: RunPath, example_root: Path, report_script: Path, names_file: Path
) -> None:
    # cd examples/greeter && python scripts/greet-report.py /tmp/.../names.txt
    result = run_path("scripts/greet-report.py", str(names_file), cwd=example_root)

    assert result.returncode == 0
    assert result.argv == ["scripts/greet-report.py", str(names_file)]
    # Like python 3.9+: argv[0] stays as typed, __file__ is absolute.
    assert result.globals["__file__"] == str(report_script)
    assert result.globals["__name__"] == "__main__"


@pytest.mark.runmain(mode="inprocess")  # inspects what only an in-process run has
def test_report_helpers_from_globals(
    run_path: RunPath, report_script: Path, names_file: Path
) -> None:
    result = run_path(report_script, str(names_file))

    assert result.globals["DEFAULT_FILE"] == "names.txt"
    assert result.globals["load_names"](str(names_file)) == ["Ada", "Grace", "Ada"]


# -- every form the greeter ships in -----------------------------------------------------------

#: The greeter's command line as a standalone script, what an installer writes for it.
GREET_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "greet.py"


@pytest.mark.parametrize(
    "target",
    [*Target.forms("greeter", script=GREET_SCRIPT), Target.console_script("greeter")],
)
def test_every_form_behaves_alike(run_main: RunMain, target: Target) -> None:
    # python -m greeter, the package as a directory and as zipapps (plain, with a shebang,
    # only .pyc files), scripts/greet.py (as it is, without .py, compiled), and the installed
    # greeter command: one test each.
    shout = run_main(target, "Ada", "--shout")
    version = run_main(target, "--version")
    usage = run_main(target)

    assert (shout.returncode, shout.stdout, shout.stderr) == (0, "HELLO, ADA!\n", "")
    assert (version.returncode, version.stdout) == (0, f"greeter {greeter.__version__}\n")
    assert usage.returncode == 2
    assert usage.stderr.endswith("greeter: error: the following arguments are required: name\n")
