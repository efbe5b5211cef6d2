"""greeter-click in every form it ships in, run in-process by pytest-runmain.

``pyproject.toml`` declares the forms once (the ``runmain_targets`` ini option): the package
with ``python -m``, as a directory and as zipapps (plain, with a shebang, only ``.pyc`` files),
the standalone script (as it is, without ``.py``, compiled), and the ``greeter-click`` command
that installing the project writes (``[project.scripts]``). Each test that asks for the
``runmain_target`` fixture runs once per form, and ``run_main`` runs the form it is given, so the
same assertions hold for every way users start the program.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import greeter_click
import pytest

from pytest_runmain import Target

if TYPE_CHECKING:
    from pytest_runmain.targets import RunMain

USAGE = "Usage: greeter-click [OPTIONS] NAMES...\nTry 'greeter-click --help' for help.\n\n"


def test_greets_every_name(run_main: RunMain, runmain_target: Target) -> None:
    result = run_main(runmain_target, "Ada", "Grace")

    assert result.returncode == 0
    assert result.stdout == "Hello, Ada!\nHello, Grace!\n"
    assert result.stderr == ""


def test_shout(run_main: RunMain, runmain_target: Target) -> None:
    result = run_main(runmain_target, "--shout", "Ada")

    assert result.stdout == "HELLO, ADA!\n"


def test_version(run_main: RunMain, runmain_target: Target) -> None:
    result = run_main(runmain_target, "--version")

    assert result.returncode == 0
    assert result.stdout == f"greeter-click, version {greeter_click.__version__}\n"


def test_missing_name_is_a_usage_error(run_main: RunMain, runmain_target: Target) -> None:
    result = run_main(runmain_target)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == USAGE + "Error: Missing argument 'NAMES...'.\n"


def test_empty_name_is_a_usage_error(run_main: RunMain, runmain_target: Target) -> None:
    result = run_main(runmain_target, "Ada", " ")

    assert result.returncode == 2
    assert result.stdout == "Hello, Ada!\n"
    assert result.stderr == USAGE + "Error: Invalid value for NAME: must not be empty\n"


def test_names_from_stdin_and_greeting_from_env(run_main: RunMain, runmain_target: Target) -> None:
    result = run_main(
        runmain_target, "-", stdin="Ada\n\nGrace\n", env={greeter_click.GREETING_ENV: "Hi"}
    )

    assert result.returncode == 0
    assert result.stdout == "Hi, Ada!\nHi, Grace!\n"


# -- the forms named in the test itself, for a test that needs its own list -------------------

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "greet-click.py"


@pytest.mark.parametrize("target", Target.forms("greeter_click", script=SCRIPT))
def test_help_is_the_same_in_every_form(run_main: RunMain, target: Target) -> None:
    result = run_main(target, "--help", columns=100)

    assert result.returncode == 0
    assert result.stdout.startswith("Usage: greeter-click [OPTIONS] NAMES...\n\n  Greet people")
    assert "--shout    Greet in capital letters." in result.stdout


@pytest.mark.runmain(mode="inprocess")  # inspects the globals
def test_the_module_form_keeps_its_globals(run_main: RunMain) -> None:
    # Only the module form runs the package's __main__ as the program's own __main__: a
    # directory or zipapp runs it through its launcher, whose globals the result holds.
    result = run_main(Target.module("greeter_click"), "Ada")

    assert result.globals["PROG"] == "greeter-click"
    assert result.globals["cli"].name == "cli"
