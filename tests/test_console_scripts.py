"""``run_console_script``, held to pytest-console-scripts' behaviour and to the shell.

The scripts under test belong to a distribution written into a temporary directory that is put
on ``sys.path``: a package, ``csdemo``, and a ``csdemo-1.0.dist-info`` whose
``entry_points.txt`` declares them, which :mod:`importlib.metadata` finds as it finds an
installed one. Nothing is installed into the environment running the tests. The launchers an
installer writes are written the same way (pip's template, with a ``RECORD`` naming them).

The first part ports the behaviour tests of pytest-console-scripts (``tests/test_run_scripts.py``
of kvas-it/pytest-console-scripts: a script run by name, elsewhere on ``PATH``, arguments,
stdin, env, cwd, exit statuses, output, logging, mocking, ``check``, the output of a failed
test), each in every mode. The second compares a run in-process with the launcher run from a
shell (``subprocess.run([launcher, ...])``).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from textwrap import dedent
from typing import TYPE_CHECKING, Final, cast

import pytest

from pytest_runmain import RunFailed, Runner, Target, TargetError
from pytest_runmain._options import Mode

if TYPE_CHECKING:
    from pytest_runmain import RunConsoleScript
    from pytest_runmain.targets import RunMain

MODES: Final[tuple[Mode, ...]] = ("inprocess", "subprocess", "both")

CLI: Final = '''\
"""The console scripts of the csdemo distribution, one function each."""
import logging
import os
import sys


def hello():
    print("foo")


def args():
    print(sys.argv[1:])


def argv0():
    print(sys.argv[0])


def returns_none():
    print("Foo")
    return None


def returns_two():
    return 2


def returns_text():
    return "boom"


def exits_text():
    sys.exit("boom")


def raises():
    print("12345")
    raise TypeError("boom")


def cwd():
    print(os.getcwd())
    os.chdir(os.environ["CSDEMO_OTHER_DIR"])
    print(os.getcwd())


def env():
    print(os.environ["FOO"])
    os.environ["FOO"] = "baz"


def echo():
    for line in sys.stdin:
        sys.stdout.write("simon says " + line)
        sys.stderr.write("error says " + line)


def logs():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO)
    logging.debug("hidden")
    logging.info("shown")


def basename():
    print(os.path.basename("foo"))


def pid():
    print(os.getpid())


class Tool:
    @staticmethod
    def main():
        print("a method")
        return 4


tool = Tool()
'''

#: A module that configures logging when imported, as pytest-console-scripts' test_global_logging.
GLOBAL_LOGGING: Final = """\
import logging

logging.basicConfig(level=logging.INFO)
LOGGER = logging.getLogger(__name__)


def run():
    LOGGER.debug("DEBUG")
    LOGGER.info("INFO")
    LOGGER.warning("WARNING")
"""

#: A command line with argparse: its messages name the program after ``sys.argv[0]``.
ARGPARSE: Final = """\
import argparse
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("--shout", action="store_true")
    args = parser.parse_args()
    text = f"Hello, {args.name}!"
    print(text.upper() if args.shout else text)
    print("done", file=sys.stderr)
    return 0 if args.name else 3
"""

SCRIPTS: Final = {
    "cs-hello": "csdemo.cli:hello",
    "cs-args": "csdemo.cli:args",
    "cs-argv0": "csdemo.cli:argv0",
    "cs-none": "csdemo.cli:returns_none",
    "cs-two": "csdemo.cli:returns_two",
    "cs-text": "csdemo.cli:returns_text",
    "cs-exit-text": "csdemo.cli:exits_text",
    "cs-raises": "csdemo.cli:raises",
    "cs-cwd": "csdemo.cli:cwd",
    "cs-env": "csdemo.cli:env",
    "cs-echo": "csdemo.cli:echo",
    "cs-logs": "csdemo.cli:logs",
    "cs-basename": "csdemo.cli:basename",
    "cs-pid": "csdemo.cli:pid",
    "cs-method": "csdemo.cli:tool.main",
    "cs-global-logging": "csdemo.global_logging:run",
    "cs-greet": "csdemo.greet:main",
}
GUI_SCRIPTS: Final = {"cs-gui": "csdemo.cli:hello"}

#: pip's launcher (distlib's template), as ``pip install`` writes it into ``bin/``.
PIP_LAUNCHER: Final = """\
#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import {name}
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit({name}())
"""


def _entry_points_txt(groups: dict[str, dict[str, str]]) -> str:
    return "".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in scripts.items())
        for group, scripts in groups.items()
    )


def write_distribution(
    site: Path,
    name: str,
    groups: dict[str, dict[str, str]],
    *,
    launchers: Path | None = None,
) -> None:
    """A distribution's metadata in *site*; with *launchers*, pip's launchers there, recorded."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(_entry_points_txt(groups))
    if launchers is None:
        return
    launchers.mkdir(exist_ok=True)
    record = []
    for scripts in groups.values():
        for script, value in scripts.items():
            module, _, attr = value.partition(":")
            launcher = launchers / script
            launcher.write_text(
                PIP_LAUNCHER.format(python=sys.executable, module=module, name=attr)
            )
            launcher.chmod(launcher.stat().st_mode | stat.S_IXUSR)
            record.append(f"{os.path.relpath(launcher, site)},,\n")
    (info / "RECORD").write_text("".join(record))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A directory on ``sys.path`` with the csdemo package and its distribution's metadata."""
    site = tmp_path / "site"
    package = site / "csdemo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli.py").write_text(CLI)
    (package / "global_logging.py").write_text(GLOBAL_LOGGING)
    (package / "greet.py").write_text(ARGPARSE)
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [n for n in sys.modules if n == "csdemo" or n.startswith("csdemo.")]:
        del sys.modules[name]


@pytest.fixture
def installed(site: Path) -> Path:
    """The csdemo distribution, declaring :data:`SCRIPTS` (no launchers written)."""
    write_distribution(site, "csdemo", {"console_scripts": SCRIPTS, "gui_scripts": GUI_SCRIPTS})
    return site


@pytest.fixture
def launchers(site: Path) -> Path:
    """The csdemo distribution as pip installs it: its launchers in a ``bin`` directory."""
    bin_dir = site.parent / "bin"
    write_distribution(site, "csdemo", {"console_scripts": SCRIPTS}, launchers=bin_dir)
    return bin_dir


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> Mode:
    return cast("Mode", request.param)


# --- ported from pytest-console-scripts: tests/test_run_scripts.py --------------------------


@pytest.mark.usefixtures("installed")
def test_run_by_name(run_console_script: RunConsoleScript, mode: Mode) -> None:
    result = run_console_script("cs-hello", mode=mode)

    assert (result.returncode, result.stdout, result.stderr) == (0, "foo\n", "")
    assert result.kind == "console_script"
    assert result.command == "cs-hello"


@pytest.mark.usefixtures("site")
def test_not_installed(run_console_script: RunConsoleScript, mode: Mode) -> None:
    # An entry point's value runs with nothing installed, named after itself.
    result = run_console_script("csdemo.cli:argv0", mode=mode)

    assert (result.returncode, result.stdout, result.stderr) == (0, "csdemo.cli:argv0\n", "")


@pytest.mark.usefixtures("site")
def test_name_and_value(run_console_script: RunConsoleScript, mode: Mode) -> None:
    result = run_console_script("mytool = csdemo.cli:argv0", mode=mode)

    assert (result.returncode, result.stdout) == (0, "mytool\n")
    assert result.argv == ["mytool"]
    assert result.command == "mytool"


def test_elsewhere_in_the_path(
    run_console_script: RunConsoleScript, site: Path, tmp_path: Path, mode: Mode
) -> None:
    # Declared without a record of its launcher, found on PATH as a shell finds it.
    write_distribution(site, "csdemo", {"console_scripts": SCRIPTS})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    launcher = elsewhere / "cs-argv0"
    launcher.write_text(
        PIP_LAUNCHER.format(python=sys.executable, module="csdemo.cli", name="argv0")
    )
    launcher.chmod(0o755)
    path = f"{elsewhere}{os.pathsep}{os.environ.get('PATH', '')}"

    result = run_console_script("cs-argv0", env={"PATH": path}, mode=mode)

    assert (result.returncode, result.stdout, result.stderr) == (0, f"{launcher}\n", "")
    assert result.argv == [str(launcher)]


@pytest.mark.usefixtures("installed")
def test_arguments(run_console_script: RunConsoleScript, tmp_path: Path, mode: Mode) -> None:
    result = run_console_script("cs-args", "A", tmp_path / "B", "", mode=mode)

    assert result.stdout == f"['A', '{tmp_path / 'B'}', '']\n"
    assert result.argv == ["cs-args", "A", str(tmp_path / "B"), ""]


@pytest.mark.parametrize("inner", ["inprocess", "subprocess"])
@pytest.mark.parametrize("outer", ["inprocess", "subprocess"])
def test_run_pytest(
    run_console_script: RunConsoleScript, installed: Path, tmp_path: Path, outer: Mode, inner: str
) -> None:
    """pytest, an installed console script, runs a test that runs a console script.

    The outer run checks that a script installed in the test environment runs by name; the
    inner one that ``--runmain-mode`` reaches the inner session's runs. pytest needs real file
    descriptors (faulthandler): the outer run in-process captures them (``capture="fd"``).
    """
    compare = "==" if inner == "inprocess" else "!="
    project = tmp_path / "project"
    project.mkdir()
    (project / "conftest.py").write_text(f"import sys\nsys.path.insert(0, {str(installed)!r})\n")
    # A name no other module has: in-process, the outer session's modules are shared, and the
    # modules the inner session imports stay imported (they are not the program's own).
    (project / f"test_csdemo_{outer}_{inner}.py").write_text(
        dedent(
            f"""
            import os

            def test_script(run_console_script):
                result = run_console_script("cs-pid")
                assert result.returncode == 0
                assert result.stdout {compare} f"{{os.getpid()}}\\n"
            """
        )
    )

    result = run_console_script(
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:randomly",
        f"--rootdir={project}",
        f"--runmain-mode={inner}",
        project,
        cwd=project,
        mode=outer,
        capture="fd",
    )

    assert result.returncode == 0, result.describe()
    assert "1 passed" in result.stdout


@pytest.mark.usefixtures("installed")
@pytest.mark.parametrize(
    ("script", "status", "stdout", "stderr", "return_value"),
    [
        ("cs-none", 0, "Foo\n", "", None),
        ("cs-two", 2, "", "", 2),
        ("cs-text", 1, "", "boom\n", "boom"),
        ("cs-exit-text", 1, "", "boom\n", None),
        ("cs-method", 4, "a method\n", "", 4),
    ],
)
def test_exit_statuses(
    run_console_script: RunConsoleScript,
    mode: Mode,
    script: str,
    status: int,
    stdout: str,
    stderr: str,
    return_value: object,
) -> None:
    result = run_console_script(script, mode=mode)

    assert (result.returncode, result.stdout, result.stderr) == (status, stdout, stderr)
    if result.mode == "inprocess":
        assert result.return_value == return_value
        assert isinstance(result.exception, SystemExit)
    else:
        assert result.return_value is None


@pytest.mark.usefixtures("installed")
def test_exception(run_console_script: RunConsoleScript, mode: Mode) -> None:
    result = run_console_script("cs-raises", mode=mode)

    assert result.returncode == 1
    assert result.stdout == "12345\n"
    assert result.stderr.startswith("Traceback (most recent call last):\n")
    assert result.stderr.endswith("TypeError: boom\n")
    assert result.return_value is None
    if result.mode == "inprocess":
        assert isinstance(result.exception, TypeError)


@pytest.mark.usefixtures("installed")
def test_cwd(run_console_script: RunConsoleScript, tmp_path: Path, mode: Mode) -> None:
    """The script starts in the directory given by cwd; its chdir is contained."""
    dir1, dir2 = tmp_path / "dir1", tmp_path / "dir2"
    dir1.mkdir()
    dir2.mkdir()
    before = os.getcwd()

    result = run_console_script("cs-cwd", cwd=dir1, env={"CSDEMO_OTHER_DIR": str(dir2)}, mode=mode)

    assert (result.returncode, result.stdout) == (0, f"{dir1}\n{dir2}\n")
    assert os.getcwd() == before


@pytest.mark.usefixtures("installed")
def test_env(
    run_console_script: RunConsoleScript, monkeypatch: pytest.MonkeyPatch, mode: Mode
) -> None:
    """The script gets the environment; its changes do not escape to the test."""
    monkeypatch.delenv("FOO", raising=False)

    result = run_console_script("cs-env", env={"FOO": "bar"}, mode=mode)

    assert (result.returncode, result.stdout) == (0, "bar\n")
    assert "FOO" not in os.environ


@pytest.mark.usefixtures("installed")
def test_stdin(run_console_script: RunConsoleScript, mode: Mode) -> None:
    result = run_console_script("cs-echo", stdin="foo\nbar", mode=mode)

    assert result.returncode == 0
    assert result.stdout == "simon says foo\nsimon says bar"
    assert result.stderr == "error says foo\nerror says bar"


@pytest.mark.usefixtures("installed")
def test_logging(run_console_script: RunConsoleScript, mode: Mode) -> None:
    """The script can set logging up (and does so again in the next run)."""
    first = run_console_script("cs-logs", mode=mode)
    second = run_console_script("cs-logs", mode=mode)

    assert first.stderr == second.stderr == "INFO:root:shown\n"


@pytest.mark.usefixtures("installed")
def test_global_logging(run_console_script: RunConsoleScript, mode: Mode) -> None:
    """A module that configures logging when imported is imported afresh by each run."""
    for _ in range(2):
        result = run_console_script("cs-global-logging", mode=mode)

        assert result.returncode == 0
        assert result.stderr == (
            "INFO:csdemo.global_logging:INFO\nWARNING:csdemo.global_logging:WARNING\n"
        )


# A patch made by the test reaches only a run in its process: not one in a child, which
# --runmain-mode=both would start too.
@pytest.mark.runmain(mode="inprocess")
@pytest.mark.usefixtures("installed")
def test_mocking(run_console_script: RunConsoleScript, monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process, the modules the script imports can be patched (and the script's own)."""
    monkeypatch.setattr(os.path, "basename", lambda path: "bar")

    result = run_console_script("cs-basename")

    assert result.stdout == "bar\n"


@pytest.mark.usefixtures("installed")
def test_check(run_console_script: RunConsoleScript, mode: Mode) -> None:
    assert run_console_script("cs-hello", check=True, mode=mode).returncode == 0

    with pytest.raises(RunFailed, match="check=True: expected exit status 0, got 2") as info:
        run_console_script("cs-two", check=True, mode=mode)

    assert info.value.returncode == 2
    assert info.value.result.command == "cs-two"


@pytest.mark.parametrize("fail", [True, False])
@pytest.mark.parametrize("check", [True, False])
def test_print_stdio_on_error(
    pytester: pytest.Pytester, installed: Path, fail: bool, check: bool, mode: Mode
) -> None:
    """A failed test's report shows the script's command, status and output; a passing one not."""
    script = "cs-raises" if fail else "cs-hello"
    pytester.makepyfile(
        f"""
        def test_it(run_console_script):
            result = run_console_script({script!r}, "arg", check={check}, mode={mode!r})
            assert result.returncode == 0
        """
    )
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(installed)!r})\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(failed=int(fail), passed=int(not fail))
    text = result.stdout.str()
    if fail:
        result.stdout.fnmatch_lines(
            [
                f"*runmain run 1 of 1: {script} arg*",
                "command: cs-raises arg",
                "exit status: 1",
                "stdout:",
                "    12345",
                "stderr:",
                "    Traceback (most recent call last):",
            ]
        )
        assert "TypeError: boom" in text
        if check:
            assert "RunFailed: check=True: expected exit status 0, got 1" in text
    else:
        assert "runmain run" not in text
        assert "12345" not in text


# --- finding the script ---------------------------------------------------------------------


@pytest.mark.usefixtures("installed")
def test_gui_scripts_run_too(run_console_script: RunConsoleScript) -> None:
    assert run_console_script("cs-gui").stdout == "foo\n"


@pytest.mark.usefixtures("installed")
def test_argv0_is_the_name_without_a_launcher(run_console_script: RunConsoleScript) -> None:
    result = run_console_script("cs-argv0", env={"PATH": ""})

    assert result.stdout == "cs-argv0\n"
    assert result.argv == ["cs-argv0"]


def test_argv0_is_the_recorded_launcher(
    run_console_script: RunConsoleScript, launchers: Path, mode: Mode
) -> None:
    result = run_console_script("cs-argv0", env={"PATH": ""}, mode=mode)

    assert result.stdout == f"{launchers / 'cs-argv0'}\n"


def test_argv0_is_the_launcher_as_path_finds_it(
    run_console_script: RunConsoleScript, launchers: Path, tmp_path: Path, mode: Mode
) -> None:
    linked = tmp_path / "linked"
    linked.symlink_to(launchers)

    result = run_console_script("cs-argv0", env={"PATH": str(linked)}, mode=mode)

    assert result.stdout == f"{linked / 'cs-argv0'}\n"


@pytest.mark.usefixtures("launchers")
@pytest.mark.runmain(mode="inprocess")
def test_the_launcher_runs_as_main_and_imports_the_module(
    run_console_script: RunConsoleScript,
) -> None:
    result = run_console_script("cs-hello")

    # The launcher is the __main__ script; the function's module is imported normally.
    assert result.globals["__name__"] == "__main__"
    assert result.globals["hello"].__module__ == "csdemo.cli"
    assert "csdemo.cli" not in sys.modules  # the program's own modules are dropped afterwards


@pytest.mark.usefixtures("site")
def test_no_such_script_names_what_was_looked_for_and_where(
    run_console_script: RunConsoleScript,
) -> None:
    with pytest.raises(TargetError) as info:
        run_console_script("cs-helo")

    message = str(info.value)
    assert message.startswith("no console script named 'cs-helo': no distribution on sys.path")
    assert "console_scripts or gui_scripts entry points" in message
    assert info.value.target == "cs-helo"


@pytest.mark.usefixtures("installed")
def test_a_close_name_is_suggested(run_console_script: RunConsoleScript) -> None:
    with pytest.raises(TargetError, match="Did you mean 'cs-hello'"):
        run_console_script("cs-helo")


def test_two_distributions_providing_it_are_ambiguous(
    run_console_script: RunConsoleScript, installed: Path
) -> None:
    write_distribution(installed, "other", {"console_scripts": {"cs-hello": "other.cli:main"}})

    with pytest.raises(TargetError) as info:
        run_console_script("cs-hello")

    assert str(info.value).startswith(
        "console script 'cs-hello' is ambiguous: 2 installed distributions declare it: "
    )
    assert "csdemo 1.0 (console_scripts: csdemo.cli:hello)" in str(info.value)
    assert "other 1.0 (console_scripts: other.cli:main)" in str(info.value)


@pytest.mark.parametrize("bad", ["", "  ", "a\0b", 3])
def test_a_bad_name_is_an_option_error(bad: object) -> None:
    from pytest_runmain import OptionError

    with pytest.raises(OptionError, match="run_console_script needs a console script's name"):
        Runner().run_console_script(bad)  # type: ignore[arg-type]


@pytest.mark.usefixtures("site")
def test_a_value_that_does_not_import_is_the_programs_error(
    run_console_script: RunConsoleScript, mode: Mode
) -> None:
    # As for a launcher: the import fails inside the program, with its traceback.
    result = run_console_script("csdemo.nosuch:main", mode=mode)

    assert result.returncode == 1
    assert result.stderr.endswith("ModuleNotFoundError: No module named 'csdemo.nosuch'\n")


# --- targets, check and unittest through pytest ---------------------------------------------


@pytest.mark.usefixtures("installed")
def test_run_main_runs_a_console_script_target(run_main: RunMain, mode: Mode) -> None:
    result = run_main(Target.console_script("cs-args"), "x", mode=mode)

    assert (result.returncode, result.stdout) == (0, "['x']\n")
    assert result.kind == "console_script"


def test_runmain_targets_lists_console_scripts(pytester: pytest.Pytester, installed: Path) -> None:
    pytester.makeini(
        """
        [pytest]
        runmain_targets =
            console-script:cs-args
            console-script:csdemo.cli:args
        """
    )
    pytester.makepyfile(
        """
        def test_args(run_main, runmain_target):
            assert run_main(runmain_target, "x").stdout == "['x']\\n"
        """
    )
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(installed)!r})\n")

    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*test_args?console-script-cs-args? PASSED*", "*console-script-csdemo.cli:args? PASSED*"]
    )


@pytest.mark.parametrize(
    ("config", "args"),
    [("", ("--runmain-check",)), ("runmain_check = true", ()), ("", ("-m", "marker"))],
    ids=["command-line", "ini", "marker"],
)
def test_check_from_the_configuration(
    pytester: pytest.Pytester, installed: Path, config: str, args: tuple[str, ...]
) -> None:
    pytester.makeini(f"[pytest]\n{config}\nmarkers = marker\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.marker
        @pytest.mark.runmain(check=True)
        def test_marked(run_console_script):
            run_console_script("cs-two")

        def test_unmarked(run_console_script):
            run_console_script("cs-two")
        """
    )
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(installed)!r})\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)

    if args[:1] == ("-m",):
        result.assert_outcomes(failed=1, deselected=1)
    else:
        result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*RunFailed: check=True: expected exit status 0, got 2"])


def test_unittest_testcases_get_the_runners(pytester: pytest.Pytester, installed: Path) -> None:
    pytester.makeconftest(
        f"""
        import sys

        sys.path.insert(0, {str(installed)!r})

        def pytest_runmain_before_run(request):
            request.env["FOO"] = "from the hook"
        """
    )
    pytester.makeini("[pytest]\nrunmain_check = true\n")
    pytester.makepyfile(
        """
        import unittest

        import pytest

        from pytest_runmain import RunFailed, RunmainMixin


        @pytest.mark.runmain("from", "the", "marker")
        class TestScripts(RunmainMixin, unittest.TestCase):
            def test_console_script(self):
                result = self.run_console_script("cs-args")
                self.assertEqual(result.stdout, "['from', 'the', 'marker']\\n")

            def test_hook_applies(self):
                self.assertEqual(self.run_console_script("cs-env").stdout, "from the hook\\n")

            def test_ini_applies(self):
                with self.assertRaises(RunFailed):
                    self.run_console_script("cs-two")

            @pytest.mark.runmain(mode="both")
            def test_module_in_both_modes(self):
                result = self.run_module("json.tool", "--compact", stdin='{"a": 1}')
                self.assertEqual(result.stdout, '{"a":1}\\n')
                self.assertEqual(len(self.runmain_runner.results), 1)
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    result.assert_outcomes(passed=4)


# --- the same as from a shell ---------------------------------------------------------------


def _shell(
    launcher: Path, args: tuple[str, ...], env: dict[str, str], stdin: str
) -> tuple[int, str, str]:
    completed = subprocess.run(
        [str(launcher), *args], input=stdin.encode(), capture_output=True, env=env, check=False
    )
    return completed.returncode, completed.stdout.decode(), completed.stderr.decode()


@pytest.mark.parametrize(
    ("script", "args", "stdin"),
    [
        ("cs-hello", (), ""),
        ("cs-args", ("a", "b c"), ""),
        ("cs-argv0", (), ""),
        ("cs-none", (), ""),
        ("cs-two", (), ""),
        ("cs-text", (), ""),
        ("cs-exit-text", (), ""),
        ("cs-raises", (), ""),
        ("cs-echo", (), "one\ntwo\n"),
        ("cs-logs", (), ""),
        ("cs-method", (), ""),
        ("cs-global-logging", (), ""),
        ("cs-greet", ("Ada", "--shout"), ""),
        ("cs-greet", ("--help",), ""),
        ("cs-greet", (), ""),
        ("cs-greet", ("",), ""),
    ],
)
def test_same_as_from_a_shell(
    run_console_script: RunConsoleScript,
    launchers: Path,
    script: str,
    args: tuple[str, ...],
    stdin: str,
) -> None:
    env = {
        **os.environ,
        "PATH": f"{launchers}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(launchers.parent / "site"),
        "COLUMNS": "80",
    }
    for name in ("PYTHONUNBUFFERED", "FORCE_COLOR", "NO_COLOR", "PYTHON_COLORS"):
        env.pop(name, None)
    overlay: dict[str, str | None] = {**env, "PYTHONUNBUFFERED": None}

    ours = run_console_script(script, *args, stdin=stdin, env=overlay, mode="inprocess")

    assert (ours.returncode, ours.stdout, ours.stderr) == _shell(
        launchers / script, args, env, stdin
    )
    assert ours.argv[0] == str(launchers / script)


def test_an_installed_launcher_is_the_same_as_from_a_shell(
    run_console_script: RunConsoleScript,
) -> None:
    # A launcher pip wrote into this environment (pygments comes with the test extras' tools).
    import shutil
    import sysconfig

    launcher = Path(sysconfig.get_path("scripts")) / "pygmentize"
    if not launcher.is_file() or shutil.which("pygmentize", path=str(launcher.parent)) is None:
        pytest.skip("pygmentize is not installed in this environment")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}

    ours = run_console_script("pygmentize", "-V", "-l", "python", env={"PYTHONUNBUFFERED": None})

    assert (ours.returncode, ours.stdout, ours.stderr) == _shell(
        launcher, ("-V", "-l", "python"), env, ""
    )
    assert ours.argv[0] in (str(launcher), shutil.which("pygmentize"))
    assert ours.stdout.startswith("Pygments version ")


# --- console transcripts --------------------------------------------------------------------


@pytest.mark.usefixtures("installed")
def test_a_transcript_command_may_be_an_installed_console_script() -> None:
    from pytest_runmain.transcripts import CommandRequest, TranscriptError, command_request

    assert command_request("FOO=1 cs-args a 'b c'") == CommandRequest(
        "console_script", "cs-args", ("a", "b c"), (("FOO", "1"),)
    )
    with pytest.raises(TranscriptError, match="'cs-nosuch' is not a command"):
        command_request("cs-nosuch a")


def test_transcripts_run_console_scripts(pytester: pytest.Pytester, installed: Path) -> None:
    pytester.makeconftest(f"import sys\nsys.path.insert(0, {str(installed)!r})\n")
    pytester.makeini("[pytest]\nrunmain_transcripts = *.md\n")
    pytester.makefile(
        ".md",
        README="""\
            ```console
            $ cs-args a 'b c'
            ['a', 'b c']
            $ cs-argv0
            cs-argv0
            $ FOO=bar cs-env
            bar
            $ cs-text
            boom
            [1]
            ```
            """.replace("            ", ""),
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--runmain-env", "PATH=")

    result.assert_outcomes(passed=1)
