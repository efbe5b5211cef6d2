"""Differential tests: the real ``python -m X`` / ``python PATH`` against the fixtures.

Each program is written into ``tmp_path`` and run twice, with the same arguments, working
directory, environment and input: by the real interpreter in a subprocess, and in-process by
``run_module`` / ``run_path``. Exit status, stdout and stderr must be equal, text for text. The
only normalisation is of what two processes cannot share (object addresses); the few tests
that need more say why.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import logging
import marshal
import os
import py_compile
import re
import shutil
import signal
import subprocess
import sys
import warnings
import zipapp
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from textwrap import dedent
from typing import TYPE_CHECKING, Final, final

import pytest

from pytest_runmain import TargetError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pytest_runmain import RunModule, RunPath, RunResult

#: Every module the programs define starts with this prefix, so teardown can drop exactly those.
PREFIX: Final = "eqv_"

#: The status a shell reports for a process killed by SIGINT.
SIGINT_STATUS: Final = 128 + signal.SIGINT

#: Variables of the caller's terminal that change how 3.13 prints tracebacks. Both sides run
#: without them, so that the suite does not depend on the terminal it is started from.
NEUTRAL_ENV: Final[Mapping[str, str | None]] = {
    "FORCE_COLOR": None,
    "NO_COLOR": None,
    "PYTHON_COLORS": None,
    # Neither side may load what the other compiled: a cached .pyc hides compile-time
    # warnings (SyntaxWarning) from the second run. The in-process side follows
    # sys.dont_write_bytecode, set by the cli fixture.
    "PYTHONDONTWRITEBYTECODE": "1",
}

#: Object reprs carry addresses (``<function f at 0x7f...>``), which differ between processes.
_ADDRESS: Final = re.compile(r" at 0x[0-9a-fA-F]+")

Env = Mapping[str, str | None]


# --------------------------------------------------------------------------------------
# Running a command line both ways and comparing
# --------------------------------------------------------------------------------------


def _text(data: bytes) -> str:
    # surrogateescape keeps undecodable bytes distinct, so equal text means equal bytes.
    return _ADDRESS.sub(" at 0x...", data.decode("utf-8", "surrogateescape"))


@final
@dataclass(frozen=True)
class Outcome:
    """What a shell sees of one run."""

    returncode: int
    stdout: str
    stderr: str

    @classmethod
    def of(cls, returncode: int, stdout: bytes, stderr: bytes) -> Outcome:
        return cls(returncode, _text(stdout), _text(stderr))

    def sub(self, pattern: str, repl: str) -> Outcome:
        """This outcome with *pattern* replaced in both streams (for per-test normalisation)."""
        return replace(
            self,
            stdout=re.sub(pattern, repl, self.stdout),
            stderr=re.sub(pattern, repl, self.stderr),
        )


def _diff(name: str, expected: str, got: str) -> str:
    lines = difflib.unified_diff(
        [repr(line) for line in expected.splitlines(keepends=True)],
        [repr(line) for line in got.splitlines(keepends=True)],
        f"{name} (real)",
        f"{name} (ours)",
        lineterm="",
    )
    return "\n".join(lines)


def assert_same_text(name: str, real: str, ours: str) -> None:
    """Fail with a diff when the text of the in-process run differs from the real one."""
    __tracebackhide__ = True
    if real != ours:
        pytest.fail("in-process run differs from the real one:\n" + _diff(name, real, ours))


def assert_same(real: Outcome, ours: Outcome) -> None:
    """Fail with a diff of each stream where the in-process run differs from the real one."""
    __tracebackhide__ = True
    problems = []
    if real.returncode != ours.returncode:
        problems.append(f"returncode: real {real.returncode}, ours {ours.returncode}")
    for name in ("stdout", "stderr"):
        expected, got = getattr(real, name), getattr(ours, name)
        if expected != got:
            problems.append(_diff(name, expected, got))
    if problems:
        pytest.fail("in-process run differs from the real one:\n" + "\n".join(problems))


def _environ(env: Env | None) -> dict[str, str]:
    """The environment a child gets: ours with NEUTRAL_ENV and *env* laid over it."""
    merged = dict(os.environ)
    for key, value in {**NEUTRAL_ENV, **(env or {})}.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


@final
class Cli:
    """Runs ``python COMMAND...`` in the test's directory, really and in-process.

    A command is what follows ``python`` on a command line: ``("-m", "pkg", "arg")`` or
    ``("prog.py", "arg")``. Paths are taken from the working directory, ``root`` by default.
    """

    def __init__(self, root: Path, run_module: RunModule, run_path: RunPath) -> None:
        self.root = root
        self._run_module = run_module
        self._run_path = run_path

    def _cwd(self, cwd: Path | None) -> Path:
        return self.root if cwd is None else cwd

    def _real(
        self,
        command: tuple[str, ...],
        stdin: str | bytes | None,
        env: Env | None,
        cwd: Path | None,
        *,
        combined: bool,
    ) -> subprocess.CompletedProcess[bytes]:
        data = stdin.encode() if isinstance(stdin, str) else stdin
        return subprocess.run(
            [sys.executable, *command],
            cwd=self._cwd(cwd),
            env=_environ(env),
            input=data or b"",
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if combined else subprocess.PIPE,
            timeout=60,
            check=False,
        )

    def real(
        self,
        *command: str,
        stdin: str | bytes | None = None,
        env: Env | None = None,
        cwd: Path | None = None,
    ) -> Outcome:
        """Run the command with ``sys.executable`` in a subprocess."""
        proc = self._real(command, stdin, env, cwd, combined=False)
        return Outcome.of(proc.returncode, proc.stdout, proc.stderr)

    def real_output(
        self,
        *command: str,
        stdin: str | bytes | None = None,
        env: Env | None = None,
        cwd: Path | None = None,
    ) -> str:
        """stdout and stderr of the real run through one pipe, as ``2>&1`` shows them."""
        return _text(self._real(command, stdin, env, cwd, combined=True).stdout)

    def run(
        self,
        *command: str,
        stdin: str | bytes | None = None,
        env: Env | None = None,
        cwd: Path | None = None,
    ) -> RunResult:
        """Run the command in-process with the fixture it calls for."""
        overlay = {**NEUTRAL_ENV, **(env or {})}
        where = self._cwd(cwd)
        if command[0] == "-m":
            return self._run_module(command[1], *command[2:], stdin=stdin, env=overlay, cwd=where)
        return self._run_path(command[0], *command[1:], stdin=stdin, env=overlay, cwd=where)

    def ours(
        self,
        *command: str,
        stdin: str | bytes | None = None,
        env: Env | None = None,
        cwd: Path | None = None,
    ) -> Outcome:
        result = self.run(*command, stdin=stdin, env=env, cwd=cwd)
        return Outcome.of(result.returncode, result.stdout_bytes, result.stderr_bytes)

    def both(
        self,
        *command: str,
        stdin: str | bytes | None = None,
        env: Env | None = None,
        cwd: Path | None = None,
    ) -> tuple[Outcome, Outcome]:
        real = self.real(*command, stdin=stdin, env=env, cwd=cwd)
        ours = self.ours(*command, stdin=stdin, env=env, cwd=cwd)
        return real, ours

    def check(
        self,
        *command: str,
        stdin: str | bytes | None = None,
        env: Env | None = None,
        cwd: Path | None = None,
    ) -> Outcome:
        """Run both ways, assert the same outcome, return it."""
        __tracebackhide__ = True
        real, ours = self.both(*command, stdin=stdin, env=env, cwd=cwd)
        assert_same(real, ours)
        return real


@pytest.fixture
def cli(
    tmp_path: Path, run_module: RunModule, run_path: RunPath, monkeypatch: pytest.MonkeyPatch
) -> Cli:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    return Cli(tmp_path, run_module, run_path)


@pytest.fixture(autouse=True)
def _forget_programs() -> Iterator[None]:
    """Drop the programs' modules after each test, so one failure does not leak into the next."""
    yield
    for name in [name for name in sys.modules if name.startswith(PREFIX)]:
        del sys.modules[name]
    importlib.invalidate_caches()


def write(root: Path, files: Mapping[str, str]) -> None:
    """Write *files* (relative path -> dedented source) under *root*."""
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(source), encoding="utf-8")
    importlib.invalidate_caches()


def compile_to(source: Path, cfile: Path) -> Path:
    """Compile *source* to the explicit *cfile* (whatever PYTHONDONTWRITEBYTECODE says)."""
    py_compile.compile(str(source), cfile=str(cfile), doraise=True)
    return cfile


skip_before_311 = pytest.mark.skipif(sys.version_info < (3, 11), reason="Python 3.11+ feature")


# --------------------------------------------------------------------------------------
# Known mismatches: where the in-process run still differs from the real one
# --------------------------------------------------------------------------------------

_BEFORE_311: Final = sys.version_info < (3, 11)
#: The real interpreter's stdio error handler, as this process got it at start-up: the
#: locale decides it (surrogateescape under a C, POSIX or C.UTF-8 locale or UTF-8 mode).
_REAL_STDIO_ERRORS: Final = getattr(sys.__stdout__, "errors", "strict")


@final
@dataclass(frozen=True)
class Mismatch:
    """A known difference from the real interpreter: a bug of pytest_runmain to be fixed.

    The tests whose id matches *pattern* (fnmatch) are right and expected to fail, strictly,
    so that a fix shows up as XPASS and the entry is then deleted. ``run=False`` is for
    differences that would take the test process down with them.
    """

    pattern: str
    reason: str
    applies: bool = True
    run: bool = True


KNOWN_MISMATCHES: Final[list[Mismatch]] = []


@pytest.fixture(autouse=True)
def _known_mismatch(request: pytest.FixtureRequest) -> None:
    for mismatch in KNOWN_MISMATCHES:
        if mismatch.applies and fnmatch.fnmatchcase(request.node.name, mismatch.pattern):
            mark = pytest.mark.xfail(reason=mismatch.reason, strict=True, run=mismatch.run)
            request.applymarker(mark)
            return


# --------------------------------------------------------------------------------------
# The forms of a command line: each writes SOURCE as the code that runs as __main__
# --------------------------------------------------------------------------------------

Form = Callable[[Path, str], list[str]]


def _module(root: Path, source: str) -> list[str]:
    write(root, {"eqv_mod.py": source})
    return ["-m", "eqv_mod"]


def _package(root: Path, source: str) -> list[str]:
    write(root, {"eqv_pkg/__init__.py": "", "eqv_pkg/__main__.py": source})
    return ["-m", "eqv_pkg"]


def _nested_package(root: Path, source: str) -> list[str]:
    write(
        root,
        {
            "eqv_pkg/__init__.py": "",
            "eqv_pkg/sub/__init__.py": "",
            "eqv_pkg/sub/__main__.py": source,
        },
    )
    return ["-m", "eqv_pkg.sub"]


def _submodule(root: Path, source: str) -> list[str]:
    write(root, {"eqv_pkg/__init__.py": "", "eqv_pkg/cli.py": source})
    return ["-m", "eqv_pkg.cli"]


def _script_relative(root: Path, source: str) -> list[str]:
    write(root, {"bin/prog.py": source})
    return ["bin/prog.py"]


def _script_absolute(root: Path, source: str) -> list[str]:
    write(root, {"prog.py": source})
    return [str(root / "prog.py")]


def _script_symlink(root: Path, source: str) -> list[str]:
    write(root, {"real/prog.py": source})
    (root / "prog-link.py").symlink_to(root / "real" / "prog.py")
    return ["prog-link.py"]


def _script_no_suffix(root: Path, source: str) -> list[str]:
    write(root, {"prog": source})
    return ["prog"]


def _compiled(root: Path, source: str) -> list[str]:
    write(root, {"src/prog.py": source})
    compile_to(root / "src" / "prog.py", root / "prog.pyc")
    return ["prog.pyc"]


def _compiled_no_suffix(root: Path, source: str) -> list[str]:
    """Bytecode under any name: the interpreter knows it by its magic number, not its suffix."""
    write(root, {"src/prog.py": source})
    compile_to(root / "src" / "prog.py", root / "prog.bin")
    return ["prog.bin"]


def _directory(root: Path, source: str) -> list[str]:
    write(root, {"appdir/__main__.py": source})
    return ["appdir"]


def _zipapp(root: Path, source: str, interpreter: str | None = None) -> list[str]:
    write(root, {"appsrc/__main__.py": source})
    zipapp.create_archive(root / "appsrc", root / "app.pyz", interpreter=interpreter)
    return ["app.pyz"]


def _zipapp_shebang(root: Path, source: str) -> list[str]:
    return _zipapp(root, source, interpreter="/usr/bin/env python3")


def _zip_pyc(root: Path, source: str) -> list[str]:
    write(root, {"build/__main__.py": source})
    pyc = compile_to(root / "build" / "__main__.py", root / "build" / "__main__.pyc")
    with zipfile.ZipFile(root / "app.zip", "w") as archive:
        archive.write(pyc, "__main__.pyc")
    return ["app.zip"]


FORMS: Final[dict[str, Form]] = {
    "module": _module,
    "package": _package,
    "nested-package": _nested_package,
    "submodule": _submodule,
    "script-relative": _script_relative,
    "script-absolute": _script_absolute,
    "script-symlink": _script_symlink,
    "script-no-suffix": _script_no_suffix,
    "pyc": _compiled,
    "pyc-no-suffix": _compiled_no_suffix,
    "directory": _directory,
    "zipapp": _zipapp,
    "zipapp-shebang": _zipapp_shebang,
    "zip-pyc": _zip_pyc,
}

#: The two most different ways: ``python -m`` (runpy frames) and ``python script``.
BASIC_FORMS: Final = ["module", "script-relative"]


# --------------------------------------------------------------------------------------
# Special globals, sys.argv and sys.path[0]
# --------------------------------------------------------------------------------------

PROBE = '''\
"""The probe's docstring."""
print("keys:", list(globals()))
print("sorted:", sorted(k for k in globals()))
import sys
print("argv:", sys.argv)
print("path0:", sys.path[0])
print("__name__:", __name__)
print("__file__:", globals().get("__file__"))
print("__cached__:", globals().get("__cached__"))
print("__package__:", repr(__package__))
print("__spec__:", getattr(__spec__, "name", None), getattr(__spec__, "parent", None))
print("__spec__.origin:", getattr(__spec__, "origin", None))
print("__loader__:", type(__loader__).__name__)
print("__doc__:", __doc__)
print("__builtins__:", type(__builtins__).__name__)
print("__annotations__:", __annotations__)
x: int = 1
print("__annotations__:", __annotations__)
print("main module:", sys.modules["__main__"].__dict__ is globals())
print("keys at end:", list(globals()))
'''


@pytest.mark.parametrize("form", FORMS)
def test_special_globals_argv_and_path0(cli: Cli, form: str) -> None:
    command = FORMS[form](cli.root, PROBE)
    cli.check(*command, "a b", "--flag", "\u00fc")


@pytest.mark.parametrize(
    ("cwd", "path"),
    [
        ("work", "../bin/prog.py"),
        (".", "./bin/prog.py"),
        (".", "bin/../bin/prog.py"),
        (".", "bin//prog.py"),
        ("work", "../appdir"),
        ("work", ".."),
        (".", "./appdir/"),
        ("appdir", "."),
        ("appdir", "./"),
        ("work", "../appdir/."),
    ],
    ids=[
        "parent",
        "dot",
        "dot-dot-inside",
        "double-slash",
        "dir-parent",
        "dir-dot-dot",
        "dir-dot",
        "dir-cwd",
        "dir-cwd-slash",
        "dir-trailing-dot",
    ],
)
def test_unnormalised_relative_path(cli: Cli, cwd: str, path: str) -> None:
    write(cli.root, {"bin/prog.py": PROBE, "appdir/__main__.py": PROBE, "__main__.py": PROBE})
    (cli.root / "work").mkdir()
    cli.check(path, cwd=cli.root / cwd)


def test_module_in_another_cwd(cli: Cli) -> None:
    write(cli.root, {"work/eqv_here.py": PROBE})
    cli.check("-m", "eqv_here", cwd=cli.root / "work")


MAIN_MODULE_PROGRAMS: Final = {
    "helper-imports-main": (
        {
            "eqv_pkg/__init__.py": "",
            "eqv_pkg/helper.py": "import __main__\ndef show():\n    print(__main__.VALUE)\n",
            "eqv_pkg/__main__.py": "VALUE = 42\nfrom eqv_pkg import helper\nhelper.show()\n",
        },
        ["-m", "eqv_pkg"],
    ),
    "imports-itself": (
        {"eqv_mod.py": "print('running as', __name__)\nimport eqv_mod\n"},
        ["-m", "eqv_mod"],
    ),
    "pickles-own-class": (
        {
            "prog.py": (
                "import pickle\nclass Point:\n    def __init__(self, x):\n        self.x = x\n"
                "data = pickle.dumps(Point(3))\nprint(data[:40])\nprint(pickle.loads(data).x)\n"
            )
        },
        ["prog.py"],
    ),
    "relative-import-package": (
        {
            "eqv_pkg/__init__.py": "",
            "eqv_pkg/helper.py": "WHO = 'helper'\n",
            "eqv_pkg/__main__.py": "from . import helper\nprint(helper.WHO, __package__)\n",
        },
        ["-m", "eqv_pkg"],
    ),
    "relative-import-directory": (
        {"appdir/helper.py": "", "appdir/__main__.py": "from . import helper\n"},
        ["appdir"],
    ),
    "relative-import-script": ({"prog.py": "from . import helper\n"}, ["prog.py"]),
}


@pytest.mark.parametrize(
    ("files", "command"), MAIN_MODULE_PROGRAMS.values(), ids=MAIN_MODULE_PROGRAMS.keys()
)
def test_main_module(cli: Cli, files: dict[str, str], command: list[str]) -> None:
    write(cli.root, files)
    cli.check(*command)


# --------------------------------------------------------------------------------------
# sys.exit and the exit status
# --------------------------------------------------------------------------------------

EXITS: Final = {
    "no-arg": "sys.exit()",
    "None": "sys.exit(None)",
    "0": "sys.exit(0)",
    "3": "sys.exit(3)",
    "256": "sys.exit(256)",
    "minus-1": "sys.exit(-1)",
    "True": "sys.exit(True)",
    "False": "sys.exit(False)",
    "message": "sys.exit('message: \u00e9')",
    "list": "sys.exit([1])",
    "tuple": "sys.exit((1, 2))",
    "empty-tuple": "sys.exit(())",
    "one-tuple": "sys.exit((5,))",
    "tuple-in-tuple": "sys.exit(((),))",
    "tuple-caught": "try:\n    sys.exit(())\nexcept SystemExit as e:\n    print(e.code, e.args)",
    "two-args": "raise SystemExit(1, 2)",
    "bare-raise": "raise SystemExit",
    "exception-object": "sys.exit(ValueError('as code'))",
    "oversized": "sys.exit(2**70)",
    "c-long-max": "sys.exit(2**63 - 1)",
    "c-long-max-plus-1": "sys.exit(2**63)",
    "c-long-min": "sys.exit(-(2**63))",
    "c-long-min-minus-1": "sys.exit(-(2**63) - 1)",
    "255-plus-c-long-wrap": "sys.exit(2**32 + 255)",
    "instance-with-empty-tuple": "raise SystemExit(())",
    "oversized-negative": "sys.exit(-(2**70))",
    "end-of-code": "pass",
    "in-finally": "try:\n    sys.exit(4)\nfinally:\n    print('finally')",
    "after-exception": "try:\n    1 / 0\nexcept ZeroDivisionError:\n    sys.exit('failed')",
    "builtin-exit": "exit(6)",
    "builtin-quit": "quit('quit message')",
    "os-exit": "import os\nos._exit(7)",
    "os-exit-caught": "import os\ntry:\n    os._exit(8)\nexcept BaseException:\n    print('no')",
}


@pytest.mark.parametrize("form", BASIC_FORMS)
@pytest.mark.parametrize("exit_call", EXITS.values(), ids=EXITS.keys())
def test_exit_status(cli: Cli, form: str, exit_call: str) -> None:
    source = f"import sys\nprint('out')\nprint('err', file=sys.stderr)\n{exit_call}\n"
    cli.check(*FORMS[form](cli.root, source))


@pytest.mark.parametrize("form", BASIC_FORMS)
def test_os_exit_loses_buffered_output(cli: Cli, form: str) -> None:
    source = "import os, sys\nprint('lost')\nprint('kept', file=sys.stderr)\nos._exit(3)\n"
    cli.check(*FORMS[form](cli.root, source), env={"PYTHONUNBUFFERED": None})


ARGPARSE = """\
import argparse
parser = argparse.ArgumentParser(description="A program with a long description " * 4)
parser.add_argument("name", help="the name to greet, which is a rather long help text " * 2)
parser.add_argument("--count", type=int, default=1)
args = parser.parse_args()
for _ in range(args.count):
    print("hello", args.name)
"""


@pytest.mark.parametrize("form", [*BASIC_FORMS, "package", "zipapp"])
@pytest.mark.parametrize(
    "args",
    [["Ada", "--count", "2"], ["--help"], [], ["Ada", "--count", "x"]],
    ids=["greets", "help", "missing-argument", "bad-int"],
)
def test_argparse(cli: Cli, form: str, args: list[str]) -> None:
    cli.check(*FORMS[form](cli.root, ARGPARSE), *args)


# --------------------------------------------------------------------------------------
# Uncaught exceptions: traceback text, chaining, KeyboardInterrupt
# --------------------------------------------------------------------------------------

CRASH = """\
import sys

def divide(x):
    return 1 / x

def main():
    print("dividing", file=sys.stderr)
    return divide(0)

print("started")
main()
"""


@pytest.mark.parametrize("form", FORMS)
def test_uncaught_exception_traceback(cli: Cli, form: str) -> None:
    cli.check(*FORMS[form](cli.root, CRASH))


CHAINS: Final = {
    "raise-from": """\
        def parse(text):
            try:
                return int(text)
            except ValueError as exc:
                raise RuntimeError(f"bad number {text!r}") from exc
        parse("x")
    """,
    "during-handling": """\
        try:
            {}["missing"]
        except KeyError:
            print(undefined_name)
    """,
    "from-none": """\
        try:
            [][0]
        except IndexError:
            raise LookupError("nothing there") from None
    """,
    "cause-and-context": """\
        try:
            try:
                1 / 0
            except ZeroDivisionError as exc:
                raise ValueError("inner") from exc
        except ValueError:
            raise RuntimeError("outer")
    """,
    "custom-class": """\
        class AppError(Exception):
            pass
        raise AppError("custom", 2)
    """,
    "str-fails": """\
        class Odd(Exception):
            def __str__(self):
                raise TypeError("no str")
        raise Odd()
    """,
    "multiline-expression": """\
        data = {"a": {"b": None}}
        value = (
            data["a"]["b"]["c"]
        )
    """,
    "no-message": "raise ValueError\n",
    "exception-group": pytest.param(
        """\
        def fail():
            raise ExceptionGroup("many", [ValueError(1), TypeError("two")])
        fail()
        """,
        marks=skip_before_311,
    ),
    "notes": pytest.param(
        """\
        exc = ValueError("with a note")
        exc.add_note("a hint")
        raise exc
        """,
        marks=skip_before_311,
    ),
}


@pytest.mark.parametrize("form", [*BASIC_FORMS, "zipapp"])
@pytest.mark.parametrize("source", CHAINS.values(), ids=CHAINS.keys())
def test_exception_chaining(cli: Cli, form: str, source: str) -> None:
    cli.check(*FORMS[form](cli.root, dedent(source)))


def test_exception_in_imported_module_of_a_package(cli: Cli) -> None:
    write(
        cli.root,
        {
            "eqv_pkg/__init__.py": "",
            "eqv_pkg/core.py": "def run(n):\n    return [1][n]\n",
            "eqv_pkg/__main__.py": "from eqv_pkg import core\ncore.run(5)\n",
        },
    )
    cli.check("-m", "eqv_pkg")


def test_exception_in_sibling_module_of_a_script(cli: Cli) -> None:
    write(
        cli.root,
        {
            "bin/helper.py": "def run(n):\n    return {}[n]\n",
            "bin/prog.py": "import helper\nhelper.run('key')\n",
        },
    )
    cli.check("bin/prog.py")


#: In-process the program starts ~80 frames deep under pytest and shares its recursion limit,
#: so the count of repeated lines cannot match.
REPEATED: Final = r"\[Previous line repeated \d+ more times\]"


@pytest.mark.runmain(normalize=REPEATED)  # for --runmain-mode=both
def test_recursion_error(cli: Cli) -> None:
    write(cli.root, {"prog.py": "def down(n):\n    return down(n + 1)\ndown(0)\n"})
    real, ours = cli.both("prog.py")
    repeated = REPEATED
    assert_same(real.sub(repeated, "[repeated]"), ours.sub(repeated, "[repeated]"))


@pytest.mark.parametrize("form", [*BASIC_FORMS, "directory"])
@pytest.mark.parametrize(
    "raise_it", ["raise KeyboardInterrupt", "raise KeyboardInterrupt('stop')"], ids=["bare", "arg"]
)
def test_keyboard_interrupt(cli: Cli, form: str, raise_it: str) -> None:
    source = f"print('working')\ndef work():\n    {raise_it}\nwork()\n"
    real, ours = cli.both(*FORMS[form](cli.root, source))
    # The real interpreter kills itself with SIGINT: subprocess reports -2, a shell 130.
    assert real.returncode == -signal.SIGINT
    assert ours.returncode == SIGINT_STATUS
    assert_same(replace(real, returncode=SIGINT_STATUS), ours)


@pytest.mark.parametrize("form", [*BASIC_FORMS, "directory"])
def test_keyboard_interrupt_subclass_is_an_ordinary_error(cli: Cli, form: str) -> None:
    """Only ``KeyboardInterrupt`` itself makes the interpreter die by SIGINT; a subclass is 1."""
    source = "class Stop(KeyboardInterrupt):\n    pass\nprint('working')\nraise Stop('now')\n"
    real, ours = cli.both(*FORMS[form](cli.root, source))
    assert real.returncode == 1
    assert_same(real, ours)


# --------------------------------------------------------------------------------------
# Code that does not compile; a parent package that fails to import
# --------------------------------------------------------------------------------------

SYNTAX_ERRORS: Final = {
    "unclosed": "print('never')\nx = (1,\n",
    "invalid": "print('never')\nx = 1 +\n",
    "indentation": "if True:\nprint('never')\n",
}


@pytest.mark.parametrize("form", ["module", "package", "script-relative", "directory", "zipapp"])
@pytest.mark.parametrize("source", SYNTAX_ERRORS.values(), ids=SYNTAX_ERRORS.keys())
def test_syntax_error(cli: Cli, form: str, source: str) -> None:
    cli.check(*FORMS[form](cli.root, source))


#: Syntax errors whose source line and carets are printed differently: a range of several
#: characters, indentation by spaces, tabs and form feeds, a continuation line, non-ASCII text
#: before the error (offsets count bytes in C, characters in Python).
SYNTAX_ERROR_TEXTS: Final = {
    "range": "print 'never'\n",
    "indented": "if True:\n    x = 1 +* 2\n",
    "tabs-and-form-feed": "if True:\n\t\f  x = (1 2)\n",
    "continuation-line": "x = [1,\n     2 3]\n",
    "non-ascii": "x = 'été' 'à' 1 2\n",
    "generator-argument": "f(a for a in b, c)\n",
    "end-of-line": "x = (1 +\n",
    "vertical-tab": "\x0bx = 1\n",
    "backslash-continuation": "x = 1 + \\\n    2 3\n",
    "backslash-continuations": "x = \\\n  1 + \\\n    2 + 3 + 4 + 5 + 6 7 + 8\n",
}


@pytest.mark.parametrize("form", ["module", "script-relative"])
@pytest.mark.parametrize("source", SYNTAX_ERROR_TEXTS.values(), ids=SYNTAX_ERROR_TEXTS.keys())
def test_syntax_error_source_line_and_carets(cli: Cli, form: str, source: str) -> None:
    real, ours = cli.both(*FORMS[form](cli.root, source))
    assert real.returncode == 1
    assert_same(real, ours)


#: SyntaxErrors a program raises itself, with details the compiler always fills left out or
#: odd: the interpreter's printer has a default or a rule for each.
RAISED_SYNTAX_ERRORS: Final = {
    "no-filename": "(None, 3, 2, 'abc def\\n')",
    "no-lineno": "('f.py', None, 2, 'abc def\\n')",
    "no-offset": "('f.py', 1, None, 'abc def\\n')",
    "no-text": "('f.py', 1, 2, None)",
    "range": "('f.py', 1, 2, 'abc def\\n', 1, 6)",
    "no-end": "('f.py', 1, 2, 'abc def\\n', None, None)",
    "no-end-offset": "('f.py', 1, 2, 'abc def\\n', 1, None)",
    "multi-line": "('f.py', 1, 2, 'abc def\\n', 2, 3)",
    "end-past-text": "('f.py', 1, 2, 'abc\\n', 1, 40)",
    "non-ascii": "('f.py', 1, 6, 'x = \"été\" + 1\\n', 1, 11)",
    "text-of-lines": "('f.py', 1, 12, 'abc\\ndef ghi\\n', 1, 14)",
    "text-of-three-lines": "('f.py', 1, 9, 'ab\\ncd\\nef gh\\n')",
    "nul-in-text": "('f.py', 1, 2, 'ab\\x00cd\\n')",
    "no-final-newline": "('f.py', 1, 2, 'abc def')",
    "text-starting-with-x": "('f.py', 1, 3, 'XXabc\\n')",
    "end-at-first-column": "('f.py', 1, 0, 'abc\\n', 1, 1)",
    "offset-past-text": "('f.py', 1, 30, 'abc\\n')",
    "negative-offset": "('f.py', 1, -3, 'abc\\n')",
    "line-zero": "('f.py', 0, 2, 'abc def\\n', 1, 6)",
    "two-nuls-in-text": "('f.py', 1, 2, 'ab\\x00cd\\x00ef\\n')",
    "no-final-newline-offset-past-text": "('f.py', 1, 30, 'abc')",
}


@pytest.mark.parametrize(
    "error",
    [
        "SyntaxError('bad', {})",
        "IndentationError('bad', {})",
        "Mine('bad', {})",
        "Theirs('bad', {})",
    ],
)
@pytest.mark.parametrize("details", RAISED_SYNTAX_ERRORS.values(), ids=RAISED_SYNTAX_ERRORS.keys())
def test_raised_syntax_error(cli: Cli, error: str, details: str) -> None:
    source = (
        "class Mine(SyntaxError):\n    pass\n"
        "class Theirs(SyntaxError):\n    __module__ = 'library.errors'\n"
        f"raise {error.format(details)}\n"
    )
    real, ours = cli.both(*FORMS["module"](cli.root, source))
    assert real.returncode == 1
    assert_same(real, ours)


def test_raised_syntax_error_without_message(cli: Cli) -> None:
    source = "raise SyntaxError('', ('f.py', 1, 2, 'abc\\n'))\n"
    real, ours = cli.both(*FORMS["module"](cli.root, source))
    assert real.returncode == 1
    assert_same(real, ours)


def test_syntax_error_in_imported_module(cli: Cli) -> None:
    write(cli.root, {"bin/helper.py": "def f(:\n    pass\n", "bin/prog.py": "import helper\n"})
    cli.check("bin/prog.py")


#: Scripts the interpreter's tokenizer cannot decode, each with its own message and no location.
UNDECODABLE_SOURCES: Final = {
    "no-declaration": b'print("caf\xe9")\n',
    "no-declaration-line-3": b'x = 1\n\n# comment \xe9\nprint("never")\n',
    "unknown-codec": b"# -*- coding: eqv-no-such-codec -*-\nprint(1)\n",
    "declared-ascii": b'# coding: ascii\nprint("\xc3\xa9")\n',
    "declared-on-line-2": b'#!/usr/bin/env python\n# coding: cp1252\nprint("\x81")\n',
    "bom-and-latin-1": b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nprint(1)\n",
    "bom-then-bad-utf8": b'\xef\xbb\xbfprint("\xe9")\n',
    "declared-utf-8": b'# coding: utf-8\nprint("\xe9")\n',
    "declared-latin-1-fine": b'# coding: latin-1\nprint("caf\xe9")\n',
}


@pytest.mark.parametrize("source", UNDECODABLE_SOURCES.values(), ids=UNDECODABLE_SOURCES.keys())
def test_source_the_tokenizer_cannot_decode(cli: Cli, source: bytes) -> None:
    (cli.root / "prog.py").write_bytes(source)
    cli.check("prog.py")


#: Bytecode files cut short or holding something else than code, by what is left of them.
BROKEN_BYTECODE: Final = {
    "magic-only": lambda pyc: pyc[:4],
    "short-header": lambda pyc: pyc[:10],
    "header-only": lambda pyc: pyc[:16],
    "cut-in-code": lambda pyc: pyc[:20],
    "not-code": lambda pyc: pyc[:16] + marshal.dumps(42),
}


@pytest.mark.parametrize("suffix", [".pyc", ".bin"])
@pytest.mark.parametrize("cut", BROKEN_BYTECODE.values(), ids=BROKEN_BYTECODE.keys())
def test_broken_bytecode(cli: Cli, cut: Callable[[bytes], bytes], suffix: str) -> None:
    write(cli.root, {"prog.py": "print('never')\n"})
    pyc = compile_to(cli.root / "prog.py", cli.root / "full.pyc").read_bytes()
    (cli.root / f"prog{suffix}").write_bytes(cut(pyc))
    cli.check(f"prog{suffix}")


BROKEN_INITS: Final = {
    "value-error": "raise ValueError('broken init')\n",
    "missing-dependency": "import eqv_no_such_dependency\n",
    "sys-exit": "print('init runs')\nimport sys\nsys.exit(4)\n",
}


@pytest.mark.parametrize(
    "target", ["eqv_pkg.cli", "eqv_pkg", "eqv_pkg.sub.cli"], ids=["submodule", "package", "nested"]
)
@pytest.mark.parametrize("init", BROKEN_INITS.values(), ids=BROKEN_INITS.keys())
def test_parent_package_init_raises(cli: Cli, target: str, init: str) -> None:
    write(
        cli.root,
        {
            "eqv_pkg/__init__.py": init,
            "eqv_pkg/__main__.py": "print('main')\n",
            "eqv_pkg/cli.py": "print('cli')\n",
            "eqv_pkg/sub/__init__.py": "",
            "eqv_pkg/sub/cli.py": "print('sub.cli')\n",
        },
    )
    cli.check("-m", target)


def test_nested_package_init_raises(cli: Cli) -> None:
    write(
        cli.root,
        {
            "eqv_pkg/__init__.py": "print('top init')\n",
            "eqv_pkg/sub/__init__.py": "raise RuntimeError('sub init')\n",
            "eqv_pkg/sub/cli.py": "print('never')\n",
        },
    )
    cli.check("-m", "eqv_pkg.sub.cli")


# --------------------------------------------------------------------------------------
# Standard input
# --------------------------------------------------------------------------------------

STDIN_PROGRAMS: Final = {
    "input-prompt": ("name = input('name? ')\nprint('hello', name)\n", "Ada\nGrace\n"),
    "input-eof": ("print('asking')\ninput()\n", None),
    "read-all": ("import sys\nprint(repr(sys.stdin.read()))\n", "a\nb\r\nc \u00e9"),
    "iterate": ("import sys\nfor line in sys.stdin:\n    print(line.upper(), end='')\n", "x\ny\n"),
    "buffer": ("import sys\nprint(sys.stdin.buffer.read())\n", b"\xff\x00raw\n"),
    "mixed": (
        "import sys\nprint(repr(sys.stdin.readline()))\nprint(sys.stdin.buffer.read())\n",
        "first\nsecond\n",
    ),
    "undecodable-text": ("import sys\nprint(ascii(sys.stdin.read()))\n", b"ok \xff\xfe\n"),
    "empty": ("import sys\nprint(repr(sys.stdin.read()), sys.stdin.isatty())\n", None),
}


@pytest.mark.parametrize(("source", "stdin"), STDIN_PROGRAMS.values(), ids=STDIN_PROGRAMS.keys())
def test_stdin(cli: Cli, source: str, stdin: str | bytes | None) -> None:
    write(cli.root, {"prog.py": source})
    cli.check("prog.py", stdin=stdin)


# --------------------------------------------------------------------------------------
# Standard output and error: bytes and text, buffering, encodings, __stderr__
# --------------------------------------------------------------------------------------

INTERLEAVED = """\
import sys
print("text 1")
sys.stdout.buffer.write(b"bytes 2\\n")
print("err 3", file=sys.stderr)
sys.stdout.write("text 4 \\u00e9\\n")
sys.stdout.buffer.write("bytes 5 \\u00e9\\n".encode())
sys.stderr.buffer.write(b"err bytes 6\\n")
print("text 7", end="")
sys.stdout.buffer.write(b" bytes 8")
print(" text 9")
print("err 10", file=sys.stderr)
"""

BUFFERING: Final[dict[str, Env]] = {
    "unbuffered": {"PYTHONUNBUFFERED": "1"},
    "buffered": {"PYTHONUNBUFFERED": None},
}


@pytest.mark.parametrize("env", BUFFERING.values(), ids=BUFFERING.keys())
def test_buffer_writes_interleaved_with_text(cli: Cli, env: Env) -> None:
    write(cli.root, {"prog.py": INTERLEAVED})
    cli.check("prog.py", env=env)


COMBINED_PROGRAMS: Final = {
    "interleaved": INTERLEAVED,
    "crash-after-output": CRASH,
    "flushes": "import sys\nprint('a', flush=True)\nprint('b', file=sys.stderr)\nprint('c')\n",
    "exit-message": "import sys\nprint('out')\nsys.exit('message')\n",
    "excepthook": (
        "import sys\nsys.excepthook = lambda *a: print('hook', file=sys.stderr)\n"
        "print('out')\n1 / 0\n"
    ),
}


@pytest.mark.parametrize("form", BASIC_FORMS)
@pytest.mark.parametrize("env", BUFFERING.values(), ids=BUFFERING.keys())
@pytest.mark.parametrize("source", COMBINED_PROGRAMS.values(), ids=COMBINED_PROGRAMS.keys())
def test_combined_output_order(cli: Cli, source: str, env: Env, form: str) -> None:
    command = FORMS[form](cli.root, source)
    real = cli.real_output(*command, env=env)
    ours = cli.run(*command, env=env)
    assert_same_text("stdout+stderr", real, _text(ours.output_bytes))


ENCODINGS: Final = {
    "default": {},
    "latin-1": {"PYTHONIOENCODING": "latin-1"},
    "utf-8-replace": {"PYTHONIOENCODING": "utf-8:replace"},
    "ascii-backslashreplace": {"PYTHONIOENCODING": "ascii:backslashreplace"},
    "errors-only": {"PYTHONIOENCODING": ":namereplace"},
    "upper-case": {"PYTHONIOENCODING": "UTF8"},
    "utf8-mode": {"PYTHONUTF8": "1"},
    # The locale as the C library has it: the C locale without UTF-8 mode is ASCII; a locale
    # it does not have is the C locale, coerced to UTF-8 unless LC_ALL is set.
    "c-locale-no-utf8-mode": {"LC_ALL": "C", "PYTHONUTF8": "0"},
    "unknown-lc-all": {"LC_ALL": "xx_XX.NOSUCH", "PYTHONUTF8": "0"},
    "unknown-lang": {"LANG": "xx_XX.ISO-8859-1", "PYTHONUTF8": "0"},
    "no-coercion": {"LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
}

ENCODED_IO = """\
import sys
print(ascii(sys.stdin.read()))
print("stderr \\u00e9 \\u20ac", file=sys.stderr)
print("stdout \\u00e9")
print("stdout \\u20ac")
"""


@pytest.mark.parametrize("env", ENCODINGS.values(), ids=ENCODINGS.keys())
def test_encoded_io(cli: Cli, env: Env) -> None:
    write(cli.root, {"prog.py": ENCODED_IO})
    cli.check("prog.py", env=env, stdin="in \u00e9\n".encode())


STREAM_ATTRIBUTE_CASES: Final = [
    *[
        pytest.param(expression, env, id=f"{expression}-{name}")
        for expression in ("encoding", "errors")
        for name, env in ENCODINGS.items()
    ],
    *[
        pytest.param(expression, env, id=f"{expression}-{name}")
        for expression in ("isatty()", "line_buffering", "write_through")
        for name, env in BUFFERING.items()
    ],
    pytest.param("name", {}, id="name"),
]


# Not compared: the type of sys.stdout.buffer, a FileIO under PYTHONUNBUFFERED in the real
# interpreter; in-process there is no file descriptor to open one on.
@pytest.mark.parametrize(("expression", "env"), STREAM_ATTRIBUTE_CASES)
def test_stream_attribute(cli: Cli, expression: str, env: Env) -> None:
    source = f"""\
import sys
for stream in sys.stdin, sys.stdout, sys.stderr:
    print(repr(stream.{expression}))
"""
    write(cli.root, {"prog.py": source})
    cli.check("prog.py", env=env)


DUNDER_STREAMS = """\
import io, sys
print("to stdout")
sys.__stderr__.write("to __stderr__\\n")
print("to __stdout__", file=sys.__stdout__)
print("same objects:", sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__)
sys.stdout = io.StringIO()
print("swallowed")
kept = sys.stdout.getvalue()
sys.stdout = sys.__stdout__
print("got back:", repr(kept))
"""


def test_dunder_streams_and_replaced_stdout(cli: Cli) -> None:
    write(cli.root, {"prog.py": DUNDER_STREAMS})
    cli.check("prog.py")


OTHER_STREAM_PROGRAMS: Final = {
    "closed-stdout": "import sys\nprint('before close')\nsys.stdout.close()\n",
    "reconfigure": (
        "import sys\nsys.stdout.reconfigure(encoding='ascii', errors='replace')\n"
        "print('caf\\u00e9', sys.stdout.encoding, sys.stdout.errors)\n"
        "sys.stderr.reconfigure(line_buffering=True)\nprint('err', file=sys.stderr)\n"
    ),
    "large-output": "for i in range(20000):\n    print(i, 'x' * (i % 50))\n",
    "print-exc": (
        "import traceback\ndef f():\n    raise KeyError('k')\n"
        "try:\n    f()\nexcept KeyError:\n    traceback.print_exc()\nprint('handled')\n"
    ),
    # Flushing sys.stdout fails at exit: reported as ignored, status 120 whatever the program's.
    "stdout-flush-raises": (
        "import sys\nclass Bad:\n    def __repr__(self):\n        return '<Bad>'\n"
        "    def write(self, s):\n        return len(s)\n"
        "    def flush(self):\n        raise OSError('flush failed')\n"
        "sys.stdout = Bad()\nprint('x')\nsys.exit(3)\n"
    ),
    # ... by an object whose repr() fails, with an error raised while handling another: the
    # report names no object and leaves the chained error out.
    "stdout-flush-raises-chained-no-repr": (
        "import sys\nclass Bad:\n    def __repr__(self):\n        raise RuntimeError('no repr')\n"
        "    def write(self, s):\n        return len(s)\n"
        "    def flush(self):\n        try:\n            raise KeyError('first')\n"
        "        except KeyError:\n            raise OSError('flush failed')\n"
        "sys.stdout = Bad()\nprint('x')\n"
    ),
    "stdout-not-a-file": "import sys\nsys.stdout = ['not a file']\n",
    "stdout-detached": "import sys\nprint('buffered')\nsys.stdout.detach()\n",
    "stderr-flush-raises": (
        "import sys\nclass Bad:\n    def write(self, s):\n        return len(s)\n"
        "    def flush(self):\n        raise OSError('flush failed')\n"
        "print('out')\nsys.stderr = Bad()\n"
    ),
    "stdout-none": "import sys\nsys.stdout = None\n",
}


@pytest.mark.parametrize("form", BASIC_FORMS)
@pytest.mark.parametrize("source", OTHER_STREAM_PROGRAMS.values(), ids=OTHER_STREAM_PROGRAMS.keys())
def test_other_stream_uses(cli: Cli, form: str, source: str) -> None:
    cli.check(*FORMS[form](cli.root, source))


# --------------------------------------------------------------------------------------
# Programs that need real file descriptors (the streams' fileno(), children, fork)
# --------------------------------------------------------------------------------------

DESCRIPTOR_PROGRAMS: Final = {
    "os-write": (
        "import os, sys\nprint('print 1')\nos.write(sys.stdout.fileno(), b'fd 1\\n')\n"
        "print('err 1', file=sys.stderr)\nos.write(sys.__stderr__.fileno(), b'fd err\\n')\n"
        "print('print 2')\nos.write(sys.stdout.fileno(), b'fd 2\\n')\n"
    ),
    "subprocess-to-the-streams": (
        "import subprocess, sys\nprint('before')\n"
        "subprocess.run([sys.executable, '-c', 'print(1)'], stdout=sys.stdout, check=True)\n"
        "print('between', file=sys.stderr)\n"
        "code = 'import sys; print(2, file=sys.stderr)'\n"
        "subprocess.run([sys.executable, '-c', code], stderr=sys.stderr, check=True)\n"
        "print('after')\n"
    ),
    "fork-child-exits": (
        "import os, sys\nprint('parent starts')\npid = os.fork()\nif pid == 0:\n"
        "    print('child out')\n    print('child err', file=sys.stderr)\n    sys.exit(3)\n"
        "_, status = os.waitpid(pid, 0)\nprint('child status', os.waitstatus_to_exitcode(status))\n"
    ),
    "fork-child-ends": (
        "import atexit, os\npid = os.fork()\nif pid == 0:\n"
        "    atexit.register(print, 'child atexit')\n    print('child')\n"
        "else:\n    os.waitpid(pid, 0)\n    print('parent')\n"
    ),
    "fork-child-os-exit": (
        "import os\npid = os.fork()\nif pid == 0:\n"
        "    print('child, lost when buffered')\n    os._exit(4)\n"
        "_, status = os.waitpid(pid, 0)\nprint('child status', os.waitstatus_to_exitcode(status))\n"
    ),
    "faulthandler": (
        "import faulthandler, sys\nprint('enabled', faulthandler.is_enabled(), flush=True)\n"
        "faulthandler.enable()\nprint('enabled', faulthandler.is_enabled(), flush=True)\n"
        "def dump():\n    faulthandler.dump_traceback()\ndump()\n"
        "faulthandler.dump_traceback(file=sys.stdout, all_threads=False)\n"
        "print('disabled', faulthandler.disable(), faulthandler.is_enabled())\n"
    ),
    "faulthandler-threads": (
        "import faulthandler, threading\nstop = threading.Event()\n"
        "worker = threading.Thread(target=stop.wait)\nworker.start()\n"
        "faulthandler.dump_traceback()\nstop.set()\nworker.join()\n"
    ),
}

#: The thread identifiers ``faulthandler`` prints differ between processes.
_THREAD_ID: Final = r"(?i)(thread) 0x[0-9a-f]+"
#: The same for ``--runmain-mode=both``: the identifier's digits.
_THREAD_ID_DIGITS: Final = r"(?<=hread 0x)[0-9a-f]+"
#: pytest's duration in its summary line.
_DURATION: Final = r"(?<= in )\d+\.\d+(?=s )"


@pytest.mark.runmain(normalize=_THREAD_ID_DIGITS)
@pytest.mark.parametrize("form", BASIC_FORMS)
@pytest.mark.parametrize("env", BUFFERING.values(), ids=BUFFERING.keys())
@pytest.mark.parametrize("source", DESCRIPTOR_PROGRAMS.values(), ids=DESCRIPTOR_PROGRAMS.keys())
def test_programs_using_descriptors(cli: Cli, source: str, env: Env, form: str) -> None:
    # os.fork() warns (3.12+) in a process with threads: pytest's process may have some
    # (pytest-xdist's), a new interpreter has none. The warning is not what is compared here.
    env = {**env, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    real, ours = cli.both(*FORMS[form](cli.root, source), env=env)
    assert_same(real.sub(_THREAD_ID, r"\1 0x..."), ours.sub(_THREAD_ID, r"\1 0x..."))


def test_descriptor_writes_in_order_with_stderr(cli: Cli) -> None:
    # Unbuffered: each print reaches its stream between the descriptor writes, which tells
    # their order. (Buffered, two writes to different descriptors with no print between them
    # come in no knowable order: docs/semantics.md.)
    write(cli.root, {"prog.py": DESCRIPTOR_PROGRAMS["os-write"]})
    env = BUFFERING["unbuffered"]
    real = cli.real_output("prog.py", env=env)
    ours = cli.run("prog.py", env=env)
    assert_same_text("stdout+stderr", real, _text(ours.output_bytes))


SELECT_STDIN = """\
import os, select, sys
ready, _, _ = select.select([sys.stdin], [], [], 10)
print(ready == [sys.stdin])
print(repr(sys.stdin.readline()))
print(repr(os.read(sys.stdin.fileno(), 100)))
print(repr(sys.stdin.read()))
"""


@pytest.mark.parametrize("stdin", ["first\nsecond\n", ""], ids=["data", "empty"])
def test_select_on_stdin(cli: Cli, stdin: str) -> None:
    write(cli.root, {"prog.py": SELECT_STDIN})
    cli.check("prog.py", stdin=stdin)


SELF_TESTS: Final = {
    "eqv_pass_test.py": "def test_ok():\n    assert sum([1, 2]) == 3\n",
    "eqv_fail_test.py": (
        "import sys\ndef test_bad():\n    print('captured', file=sys.stderr)\n"
        "    assert sum([1, 2]) == 4\n"
    ),
}


@pytest.mark.runmain(normalize=_DURATION)
@pytest.mark.parametrize("test_file", SELF_TESTS)
def test_python_dash_m_pytest(cli: Cli, test_file: str) -> None:
    """pytest enables faulthandler on ``sys.stderr.fileno()`` and captures at fd level."""
    write(cli.root, {test_file: SELF_TESTS[test_file]})
    command = ("-m", "pytest", "-p", "no:cacheprovider", test_file)
    real, ours = cli.both(*command)
    assert_same(real.sub(_DURATION, "N"), ours.sub(_DURATION, "N"))
    assert real.returncode == (0 if "pass" in test_file else 1)


# --------------------------------------------------------------------------------------
# Warnings
# --------------------------------------------------------------------------------------

WARNING_PROGRAMS: Final = {
    "user-warning": "import warnings\nwarnings.warn('careful')\n",
    "deprecation-in-main": "import warnings\nwarnings.warn('old', DeprecationWarning)\n",
    "once-per-location": "import warnings\nfor i in range(3):\n    warnings.warn('looped')\n",
    "always": (
        "import warnings\nwarnings.simplefilter('always')\n"
        "for i in range(2):\n    warnings.warn('looped')\n"
    ),
    "pending-deprecation-hidden": (
        "import warnings\nwarnings.warn('soon', PendingDeprecationWarning)\nprint('done')\n"
    ),
    "runtime-warning-in-function": (
        "import warnings\ndef f():\n    warnings.warn('in f', RuntimeWarning, stacklevel=2)\nf()\n"
    ),
    "showwarning-replaced": (
        "import warnings\n"
        "warnings.showwarning = lambda m, c, f, l, file=None, line=None: print('shown:', m)\n"
        "warnings.warn('custom')\n"
    ),
    "invalid-escape": "print('\\d')\n",
}


@pytest.mark.parametrize("form", [*BASIC_FORMS, "directory"])
@pytest.mark.parametrize("source", WARNING_PROGRAMS.values(), ids=WARNING_PROGRAMS.keys())
def test_warnings(cli: Cli, form: str, source: str) -> None:
    cli.check(*FORMS[form](cli.root, source))


def test_deprecation_from_library_module(cli: Cli) -> None:
    write(
        cli.root,
        {
            "bin/lib.py": (
                "import warnings\n"
                "def hidden():\n    warnings.warn('in lib', DeprecationWarning)\n"
                "def shown():\n    warnings.warn('blames main', DeprecationWarning, stacklevel=2)\n"
            ),
            "bin/prog.py": "import lib\nlib.hidden()\nlib.shown()\nprint('done')\n",
        },
    )
    cli.check("bin/prog.py")


PYTHONWARNINGS_CASES: Final = {"error": "error", "ignore": "ignore", "always": "always"}


@pytest.mark.parametrize("option", PYTHONWARNINGS_CASES.values(), ids=PYTHONWARNINGS_CASES.keys())
def test_pythonwarnings(cli: Cli, option: str) -> None:
    write(cli.root, {"prog.py": WARNING_PROGRAMS["once-per-location"] + "print('end')\n"})
    cli.check("prog.py", env={"PYTHONWARNINGS": option})


# --------------------------------------------------------------------------------------
# Logging
# --------------------------------------------------------------------------------------

LOGGING_PROGRAMS: Final = {
    "basic-config": (
        "import logging\nlogging.basicConfig(level=logging.INFO)\n"
        "logging.info('info line')\nlogging.warning('warning line')\n"
        "logging.getLogger('eqv.app').debug('hidden')\n"
    ),
    "basic-config-stdout": (
        "import logging, sys\n"
        "logging.basicConfig(stream=sys.stdout, format='%(levelname)s %(name)s %(message)s')\n"
        "logging.getLogger('eqv.app').warning('to stdout')\nprint('after')\n"
    ),
    "unconfigured-root": (
        "import logging\nlogging.info('not shown')\nlogging.warning('auto basicConfig')\n"
        "logging.error('error too')\n"
    ),
    "last-resort": (
        "import logging\nlog = logging.getLogger('eqv.app')\n"
        "log.info('not shown')\nlog.warning('last resort')\nlog.error('also %s', 'this')\n"
    ),
    "exception": (
        "import logging\ntry:\n    1 / 0\nexcept ZeroDivisionError:\n"
        "    logging.exception('failed')\n"
    ),
    "root-state": (
        "import logging\nroot = logging.getLogger()\n"
        "print(root.handlers, logging.getLevelName(root.level), root.manager.disable)\n"
    ),
}


@pytest.mark.parametrize("source", LOGGING_PROGRAMS.values(), ids=LOGGING_PROGRAMS.keys())
def test_logging(cli: Cli, source: str) -> None:
    write(cli.root, {"prog.py": source})
    cli.check("prog.py")


# --------------------------------------------------------------------------------------
# The end of the program: atexit, threads, sys.excepthook
# --------------------------------------------------------------------------------------

ATEXIT_PROGRAMS: Final = {
    "order-and-args": """\
        import atexit
        def bye(who, punct="!"):
            print("bye", who + punct)
        atexit.register(bye, "first")
        atexit.register(bye, "second", punct="?")
        print("main done")
    """,
    "sees-globals": """\
        import atexit
        @atexit.register
        def report():
            print("__file__ in globals:", "__file__" in globals())
            print("__cached__ in globals:", "__cached__" in globals())
            print("__name__:", __name__)
    """,
    "unregister": """\
        import atexit
        def never():
            print("never")
        atexit.register(never)
        atexit.unregister(never)
        atexit.register(print, "registered print")
    """,
    "raising": """\
        import atexit
        def bad():
            raise ValueError("atexit failed")
        atexit.register(print, "still runs")
        atexit.register(bad)
        print("main done")
    """,
    "after-sys-exit": """\
        import atexit, sys
        atexit.register(print, "after exit")
        sys.exit(5)
    """,
    "after-crash": """\
        import atexit
        atexit.register(print, "after crash")
        raise RuntimeError("crash")
    """,
    "registers-during-exit": """\
        import atexit
        def outer():
            print("outer")
            atexit.register(print, "registered late")
        atexit.register(outer)
    """,
    "errors-without-text": """\
        import atexit
        class Error(Exception):
            pass
        def empty():
            raise ValueError()
        def own_class():
            raise Error
        def interrupted():
            raise KeyboardInterrupt
        for function in (empty, own_class, interrupted):
            atexit.register(function)
    """,
    "chained-error": """\
        import atexit
        class Error(Exception):
            pass
        def chained():
            try:
                1 / 0
            except ZeroDivisionError:
                raise Error("while handling")
        atexit.register(chained)
    """,
}


@pytest.mark.parametrize("form", BASIC_FORMS)
@pytest.mark.parametrize("source", ATEXIT_PROGRAMS.values(), ids=ATEXIT_PROGRAMS.keys())
def test_atexit(cli: Cli, form: str, source: str) -> None:
    cli.check(*FORMS[form](cli.root, dedent(source)))


FINALIZE_PROGRAMS: Final = {
    "order-errors-and-atexit": """\
        import atexit, weakref
        class Holder:
            pass
        held = Holder()
        weakref.finalize(held, print, "first finalizer")
        weakref.finalize(held, print, "second finalizer")
        weakref.finalize(held, print, "not at exit").atexit = False
        def bad():
            raise ValueError("finalizer failed")
        weakref.finalize(held, bad)
        atexit.register(print, "atexit")
        print("main done")
    """,
    "detached-and-called": """\
        import weakref
        class Holder:
            pass
        a, b = Holder(), Holder()
        weakref.finalize(a, print, "detached").detach()
        f = weakref.finalize(b, print, "called early")
        f()
        weakref.finalize(b, print, "at exit")
    """,
    "creates-during-exit": """\
        import weakref
        class Holder:
            pass
        a, b = Holder(), Holder()
        def later():
            print("first")
            weakref.finalize(b, print, "created during exit")
        weakref.finalize(a, later)
    """,
}


@pytest.mark.parametrize("form", BASIC_FORMS)
@pytest.mark.parametrize("source", FINALIZE_PROGRAMS.values(), ids=FINALIZE_PROGRAMS.keys())
def test_weakref_finalizers_at_exit(cli: Cli, form: str, source: str) -> None:
    cli.check(*FORMS[form](cli.root, dedent(source)))


DROPPED_GLOBALS = """\
import weakref
class Noisy:
    def __init__(self, name):
        self.name = name
    def __del__(self):
        print("freed", self.name)
class Holder:
    pass
b = Noisy("b")
_a = Noisy("_a")
c = Noisy("c")
held = Holder()
weakref.finalize(held, print, "finalizer")
weakref.finalize(held, print, "not at exit, never").atexit = False
print("main done")
"""


@pytest.mark.runmain(globals="drop")
@pytest.mark.parametrize("form", BASIC_FORMS)
@pytest.mark.parametrize(
    "ending",
    ["", "raise SystemExit(3)\n", "def work():\n    local = Noisy('local')\n    1 / 0\nwork()\n"],
    ids=["end", "sys-exit", "crash"],
)
def test_objects_freed_at_exit_with_dropped_globals(cli: Cli, form: str, ending: str) -> None:
    cli.check(*FORMS[form](cli.root, DROPPED_GLOBALS + ending))


THREAD_PROGRAMS: Final = {
    "prints-after-main": """\
        import threading, time
        main_done = threading.Event()
        def work():
            main_done.wait()
            time.sleep(0.05)
            print("thread done")
        threading.Thread(target=work, name="worker").start()
        print("main done")
        main_done.set()
    """,
    "joined-before-atexit": """\
        import atexit, threading, time
        atexit.register(print, "atexit")
        def work():
            time.sleep(0.05)
            print("thread done")
        threading.Thread(target=work, name="worker").start()
        raise SystemExit("main exits")
    """,
    "raises": """\
        import threading
        def work():
            raise ValueError("in thread")
        t = threading.Thread(target=work, name="worker")
        t.start()
        t.join()
        print("main done")
    """,
}


@pytest.mark.parametrize("source", THREAD_PROGRAMS.values(), ids=THREAD_PROGRAMS.keys())
def test_threads(cli: Cli, source: str) -> None:
    write(cli.root, {"prog.py": dedent(source)})
    cli.check("prog.py")


THREAD_NAMES = """\
import threading
t = threading.Thread(target=lambda: print(threading.current_thread().name))
t.start()
t.join()
print(threading.current_thread().name, threading.active_count())
"""


@pytest.mark.usefixtures("main_thread")  # the program's main thread is the test's thread
def test_thread_default_names_after_another_run(cli: Cli) -> None:
    write(cli.root, {"prog.py": THREAD_NAMES})
    cli.run("prog.py")
    cli.check("prog.py")


EXCEPTHOOKS: Final = {
    "prints": """\
        import sys
        sys.excepthook = lambda t, v, tb: print("hook:", t.__name__, v)
        raise ValueError("x")
    """,
    "prints-traceback": """\
        import sys, traceback
        def hook(t, v, tb):
            print("hook sees:")
            traceback.print_exception(t, v, tb, file=sys.stdout)
        sys.excepthook = hook
        def fail():
            raise ValueError("x")
        fail()
    """,
    "raises": """\
        import sys
        def hook(t, v, tb):
            raise RuntimeError("hook broke")
        sys.excepthook = hook
        raise ValueError("original")
    """,
    "reset-to-default": """\
        import sys
        sys.excepthook = print
        sys.excepthook = sys.__excepthook__
        raise ValueError("default again")
    """,
    "exits": """\
        import sys
        sys.excepthook = lambda *a: sys.exit(9)
        raise ValueError("handled by exiting")
    """,
    "exits-with-message": """\
        import sys
        def hook(*args):
            print("hook ran")
            sys.exit("hook says bye")
        sys.excepthook = hook
        raise ValueError("handled by exiting")
    """,
    "not-for-sys-exit": """\
        import sys
        sys.excepthook = lambda *a: print("not called")
        sys.exit("bye")
    """,
}


@pytest.mark.parametrize("form", [*BASIC_FORMS, "zipapp"])
@pytest.mark.parametrize("source", EXCEPTHOOKS.values(), ids=EXCEPTHOOKS.keys())
def test_excepthook(cli: Cli, form: str, source: str) -> None:
    cli.check(*FORMS[form](cli.root, dedent(source)))


# --------------------------------------------------------------------------------------
# Environment and working directory
# --------------------------------------------------------------------------------------

ENV_PROBE = """\
import os, subprocess, sys
print("environ:", os.environ.get("EQV_GREETING"), os.getenv("EQV_GREETING"))
print("environb:", os.environb.get(b"EQV_GREETING"))
print("unset:", "EQV_UNSET" in os.environ, os.getenv("EQV_UNSET"))
code = "import os; print(os.environ.get('EQV_GREETING'), 'EQV_UNSET' in os.environ)"
child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
print("child:", child.stdout, end="")
os.environ["EQV_GREETING"] = "changed by program"
"""


def test_env_overlay(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EQV_UNSET", "set in the test process")
    write(cli.root, {"prog.py": ENV_PROBE})
    env = {"EQV_GREETING": "hello \u00e9", "EQV_UNSET": None}
    cli.check("prog.py", env=env)
    assert os.environ["EQV_UNSET"] == "set in the test process"
    assert "EQV_GREETING" not in os.environ


CWD_PROBE = """\
import os, sys
print("cwd:", os.getcwd())
print("__file__:", __file__)
print("path0:", sys.path[0])
print("abspath:", os.path.abspath("."))
with open("data.txt") as f:
    print("data:", f.read().strip())
print("argv0:", sys.argv[0])
os.chdir("..")
raise RuntimeError("traceback source lines after chdir")
"""


@pytest.mark.parametrize(
    "command",
    [["../bin/prog.py"], ["-m", "eqv_here"], [".."]],
    ids=["relative-script", "module-in-cwd", "relative-directory"],
)
def test_cwd(cli: Cli, command: list[str]) -> None:
    write(
        cli.root,
        {
            "bin/prog.py": CWD_PROBE,
            "work/eqv_here.py": CWD_PROBE,
            "work/data.txt": "work data\n",
            "__main__.py": CWD_PROBE,
        },
    )
    cli.check(*command, cwd=cli.root / "work")


#: An in-place editor: each run changes the file it reads, and makes a directory it needs absent.
EDITOR = """\
import os, sys
path = sys.argv[1]
with open(path) as f:
    lines = f.read().splitlines()
with open(path, "w") as f:
    f.write("".join(f"{n}: {line}\\n" for n, line in enumerate(lines, start=1)))
os.mkdir("backup")
os.replace(path, os.path.join("backup", path))
print("numbered", len(lines), "lines of", path)
"""


def _tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): path.read_text() if path.is_file() else "<dir>"
        for path in sorted(root.rglob("*"))
    }


def test_a_program_that_changes_its_files(cli: Cli) -> None:
    """Each side starts from the same files (and, under --runmain-mode=both, each mode too)."""
    write(cli.root, {"work/notes.txt": "alpha\nbeta\n", "edit.py": EDITOR})
    real = cli.real("../edit.py", "notes.txt", cwd=cli.root / "work")
    real_files = _tree(cli.root / "work")
    assert real_files == {"backup": "<dir>", "backup/notes.txt": "1: alpha\n2: beta\n"}
    shutil.rmtree(cli.root / "work" / "backup")
    write(cli.root, {"work/notes.txt": "alpha\nbeta\n"})
    assert_same(real, cli.ours("../edit.py", "notes.txt", cwd=cli.root / "work"))
    assert _tree(cli.root / "work") == real_files


def test_disassembly_of_a_file(cli: Cli) -> None:
    """``python -m dis`` prints code objects with their addresses, normalised."""
    source = "def greet(name):\n    return f'hi {name}'\n\nprint(greet)\n"
    write(cli.root, {"prog.py": source})
    assert " at 0x..." in cli.check("-m", "dis", "prog.py").stdout


def test_safe_path(cli: Cli) -> None:
    write(
        cli.root,
        {"bin/prog.py": "import os, sys\nprint(os.path.dirname(__file__) in sys.path)\n"},
    )
    cli.check("bin/prog.py", env={"PYTHONSAFEPATH": "1"})


# --------------------------------------------------------------------------------------
# Targets the interpreter refuses: it exits with a message, the fixtures raise TargetError
# --------------------------------------------------------------------------------------


def _missing_module(root: Path) -> list[str]:
    return ["-m", "eqv_missing"]


def _missing_file(root: Path) -> list[str]:
    return ["missing.py"]


def _package_without_main(root: Path) -> list[str]:
    write(root, {"eqv_pkg/__init__.py": ""})
    return ["-m", "eqv_pkg"]


def _directory_without_main(root: Path) -> list[str]:
    write(root, {"emptydir/other.py": ""})
    return ["emptydir"]


def _foreign_pyc(root: Path) -> list[str]:
    write(root, {"src/prog.py": "print('never')\n"})
    data = bytearray(compile_to(root / "src" / "prog.py", root / "old.pyc").read_bytes())
    data[:2] = (int.from_bytes(data[:2], "little") - 1).to_bytes(2, "little")
    (root / "old.pyc").write_bytes(data)
    return ["old.pyc"]


def _binary_file(root: Path) -> list[str]:
    (root / "data.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00")
    return ["data.bin"]


BAD_TARGETS: Final[dict[str, Callable[[Path], list[str]]]] = {
    "missing-module": _missing_module,
    "missing-file": _missing_file,
    "package-without-main": _package_without_main,
    "directory-without-main": _directory_without_main,
    "foreign-pyc": _foreign_pyc,
    "binary-file": _binary_file,
}


@pytest.mark.parametrize("make", BAD_TARGETS.values(), ids=BAD_TARGETS.keys())
def test_bad_target(cli: Cli, make: Callable[[Path], list[str]]) -> None:
    command = make(cli.root)
    real = cli.real(*command)
    assert real.returncode in (1, 2)
    assert real.stdout == ""
    with pytest.raises(TargetError):
        cli.run(*command)


# --------------------------------------------------------------------------------------
# Runs in a row: each must look like a fresh interpreter
# --------------------------------------------------------------------------------------


def test_same_module_twice_reimports_its_submodules(cli: Cli) -> None:
    write(
        cli.root,
        {
            "eqv_pkg/__init__.py": "print('init eqv_pkg')\n",
            "eqv_pkg/helper.py": "print('import helper')\ncalls = []\n",
            "eqv_pkg/__main__.py": (
                "from eqv_pkg import helper\nhelper.calls.append(1)\nprint('calls', helper.calls)\n"
            ),
        },
    )
    real = cli.real("-m", "eqv_pkg")
    assert real.stdout == "init eqv_pkg\nimport helper\ncalls [1]\n"
    for _ in range(2):
        assert_same(real, cli.ours("-m", "eqv_pkg"))


def test_same_script_twice_reimports_its_sibling(cli: Cli) -> None:
    write(
        cli.root,
        {
            "bin/eqv_helper.py": "print('import helper')\ncalls = []\n",
            "bin/prog.py": (
                "import eqv_helper\neqv_helper.calls.append(1)\nprint(eqv_helper.calls)\n"
            ),
        },
    )
    real = cli.real("bin/prog.py")
    for _ in range(2):
        assert_same(real, cli.ours("bin/prog.py"))


SHARED_PACKAGE: Final = {
    "eqv_pkg/__init__.py": "",
    "eqv_pkg/cli.py": "def greet():\n    return 'real'\n",
    "eqv_pkg/mod.py": "from eqv_pkg import cli\nprint('mod says', cli.greet(), __name__)\n",
    "eqv_pkg/__main__.py": "from eqv_pkg import cli\nprint('main says', cli.greet())\n",
}


@pytest.mark.parametrize("target", ["eqv_pkg.mod", "eqv_pkg"])
def test_a_module_the_test_process_imported_runs_as_in_a_new_process(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    """No runpy warning about a module found in sys.modules: a new process has not imported it."""
    write(cli.root, SHARED_PACKAGE)
    monkeypatch.syspath_prepend(str(cli.root))
    imported = {name: importlib.import_module(name) for name in ("eqv_pkg.mod", "eqv_pkg.__main__")}
    cli.check("-m", target)
    assert {name: sys.modules[name] for name in imported} == imported
    assert vars(sys.modules["eqv_pkg"])["mod"] is imported["eqv_pkg.mod"]


@pytest.mark.runmain(mode="inprocess")  # a child cannot see the test's patch
def test_a_patch_by_dotted_name_reaches_every_run(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A submodule a run imported is forgotten with its binding on the package the test keeps."""
    write(cli.root, SHARED_PACKAGE)
    monkeypatch.syspath_prepend(str(cli.root))
    package = importlib.import_module("eqv_pkg")
    assert cli.ours("-m", "eqv_pkg").stdout == "main says real\n"
    assert "eqv_pkg.cli" not in sys.modules
    assert not hasattr(package, "cli")
    monkeypatch.setattr("eqv_pkg.cli.greet", lambda: "patched")
    assert cli.ours("-m", "eqv_pkg").stdout == "main says patched\n"
    assert cli.ours("-m", "eqv_pkg.mod").stdout == "mod says patched __main__\n"


def test_submodule_changed_between_runs(cli: Cli) -> None:
    write(cli.root, {"eqv_pkg/__init__.py": "", "eqv_pkg/__main__.py": "import eqv_pkg.value\n"})
    for value in ("first", "second"):
        write(cli.root, {"eqv_pkg/value.py": f"print({value!r})\n"})
        cli.check("-m", "eqv_pkg")


#: Programs that each change some global state; run in a row, each must see a fresh one.
SEQUENCE: Final[dict[str, tuple[dict[str, str], list[str]]]] = {
    "logging": ({"log.py": LOGGING_PROGRAMS["basic-config"]}, ["log.py"]),
    "last-resort": ({"resort.py": LOGGING_PROGRAMS["last-resort"]}, ["resort.py"]),
    "warnings": ({"warn.py": WARNING_PROGRAMS["once-per-location"]}, ["warn.py"]),
    "atexit": ({"bye.py": dedent(ATEXIT_PROGRAMS["raising"])}, ["bye.py"]),
    "excepthook": ({"hook.py": dedent(EXCEPTHOOKS["prints"])}, ["hook.py"]),
    "interleaved": ({"mix.py": INTERLEAVED}, ["mix.py"]),
    "crash-module": ({"eqv_crash.py": CRASH}, ["-m", "eqv_crash"]),
    "probe-package": (
        {"eqv_pkg/__init__.py": "print('init')\n", "eqv_pkg/__main__.py": PROBE},
        ["-m", "eqv_pkg", "x"],
    ),
    "chdir-and-environ": (
        {
            "moves.py": (
                "import os, sys\nprint(os.getcwd(), os.environ.get('EQV_SET'))\n"
                "os.chdir('/')\nos.environ['EQV_SET'] = '1'\nsys.path.insert(0, '/nowhere')\n"
                "sys.argv.append('more')\n"
            )
        },
        ["moves.py", "arg"],
    ),
}


def test_runs_in_a_row_are_independent(cli: Cli) -> None:
    for files, _ in SEQUENCE.values():
        write(cli.root, files)
    expected = {name: cli.real(*command) for name, (_, command) in SEQUENCE.items()}
    for _ in range(2):
        for name, (_, command) in SEQUENCE.items():
            assert_same(expected[name], cli.ours(*command))


# --------------------------------------------------------------------------------------
# The test process after runs (not differential)
# --------------------------------------------------------------------------------------

MESSY = """\
import io, logging, os, sys, warnings
logging.basicConfig(level=logging.DEBUG)
logging.getLogger("eqv.messy").setLevel(logging.ERROR)
logging.disable(logging.CRITICAL)
warnings.simplefilter("error")
warnings.filterwarnings("ignore", category=UserWarning)
os.environ["EQV_LEAK"] = "1"
os.environ.pop("EQV_KEEP", None)
os.chdir("/")
sys.path.insert(0, "/eqv/nowhere")
sys.argv.append("--more")
sys.excepthook = lambda *exc_info: None
sys.displayhook = print
sys.setrecursionlimit(500)
sys.stdout = io.StringIO()
sys.stderr = io.StringIO()
REBIND
raise ENDING
"""


@final
@dataclass(frozen=True)
class ProcessState:
    """The parts of the test process a program may change, by identity and by value."""

    identities: dict[str, object]
    values: dict[str, object]

    @classmethod
    def take(cls) -> ProcessState:
        identities = {
            "sys.argv": sys.argv,
            "sys.path": sys.path,
            "sys.modules['__main__']": sys.modules["__main__"],
            "warnings.filters": warnings.filters,
            "warnings.showwarning": warnings.showwarning,
            "sys.excepthook": sys.excepthook,
            "sys.displayhook": sys.displayhook,
            **{f"sys.{name}": getattr(sys, name) for name in ("stdin", "stdout", "stderr")},
            **{f"sys.__{n}__": getattr(sys, f"__{n}__") for n in ("stdin", "stdout", "stderr")},
        }
        values = {
            "sys.argv": list(sys.argv),
            "sys.path": list(sys.path),
            "os.environ": dict(os.environ),
            "os.getcwd()": os.getcwd(),
            "root handlers": list(logging.root.handlers),
            "root level": logging.root.level,
            "logging.disable": logging.root.manager.disable,
            "warnings.filters": list(warnings.filters),
            "recursion limit": sys.getrecursionlimit(),
            "program modules": sorted(n for n in sys.modules if n.startswith(PREFIX)),
        }
        return cls(identities, values)


@pytest.mark.parametrize("rebind", [False, True], ids=["mutates", "rebinds"])
def test_process_state_is_restored(cli: Cli, monkeypatch: pytest.MonkeyPatch, rebind: bool) -> None:
    monkeypatch.setenv("EQV_KEEP", "kept")
    rebinding = "sys.argv = ['rebound']\nsys.path = ['/eqv/rebound']" if rebind else ""
    endings = {"exit": "SystemExit(3)", "crash": "ValueError('messy')"}
    for name, ending in endings.items():
        source = MESSY.replace("REBIND", rebinding).replace("ENDING", ending)
        write(cli.root, {f"messy_{name}.py": source, f"eqv_messy_{name}.py": source})
    before = ProcessState.take()
    results = [cli.run(f"messy_{name}.py") for name in endings]
    results += [cli.run("-m", f"eqv_messy_{name}") for name in endings]
    after = ProcessState.take()
    assert [r.returncode for r in results] == [3, 1, 3, 1]
    changed = [k for k, v in before.identities.items() if after.identities[k] is not v]
    assert changed == [], "replaced by the runs"
    assert after.values == before.values
