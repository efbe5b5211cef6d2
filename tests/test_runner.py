"""The Runner behind the fixtures: argument checks, target errors, what a result holds."""

from __future__ import annotations

import os
import sys
import textwrap
import traceback
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_runmain import Runner, RunResult, TargetError
from pytest_runmain._options import OptionError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def runner() -> Runner:
    return Runner()


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    """A package ``app`` in tmp_path with a ``__main__`` and a plain module ``app.tool``."""
    write(tmp_path / "app" / "__init__.py", "VERSION = '1.0'\n")
    write(
        tmp_path / "app" / "__main__.py",
        """\
        import sys
        from app import VERSION
        print("app", VERSION, sys.argv[1:])
        """,
    )
    write(tmp_path / "app" / "tool.py", "import sys\nprint('tool', sys.argv[1:])\n")
    return tmp_path


# --- bad input: clear errors naming the target -------------------------------------------


def test_missing_module_is_a_target_error(runner: Runner, tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"^No module named no_such_module_xyz$") as info:
        runner.run_module("no_such_module_xyz", cwd=tmp_path)
    assert isinstance(info.value, ImportError)


def test_relative_module_name_is_a_target_error(runner: Runner) -> None:
    with pytest.raises(TargetError, match="Relative module names not supported"):
        runner.run_module(".relative")


def test_package_without_main_is_a_target_error(runner: Runner, tmp_path: Path) -> None:
    write(tmp_path / "nomain" / "__init__.py", "")
    with pytest.raises(
        TargetError,
        match=r"No module named nomain.__main__; 'nomain' is a package and cannot be directly",
    ):
        runner.run_module("nomain", cwd=tmp_path)
    assert "nomain" not in sys.modules, "the package imported by the lookup must be forgotten"


def test_namespace_package_without_main_is_a_target_error(runner: Runner, tmp_path: Path) -> None:
    (tmp_path / "nspkg").mkdir()
    with pytest.raises(TargetError, match=r"No module named nspkg.__main__; 'nspkg' is a package"):
        runner.run_module("nspkg", cwd=tmp_path)


def test_missing_path_is_a_target_error(runner: Runner, tmp_path: Path) -> None:
    missing = tmp_path / "missing.py"
    with pytest.raises(TargetError, match=r"can't open file .*missing\.py.*No such file"):
        runner.run_path(missing)


def test_relative_path_is_taken_from_cwd(runner: Runner, tmp_path: Path) -> None:
    write(tmp_path / "hello.py", "print('hello')\n")
    assert runner.run_path("hello.py", cwd=tmp_path).stdout == "hello\n"
    with pytest.raises(TargetError, match=r"hello\.py"):
        runner.run_path("hello.py", cwd=tmp_path / "..")


@pytest.mark.parametrize("kind", ["directory", "zip"])
def test_path_entry_without_main_is_a_target_error(
    runner: Runner, tmp_path: Path, kind: str
) -> None:
    target = tmp_path / "entry"
    if kind == "directory":
        write(target / "other.py", "")
    else:
        with zipfile.ZipFile(target, "w") as zf:
            zf.writestr("other.py", "")
    with pytest.raises(TargetError, match=r"can't find '__main__' module in '.*entry'"):
        runner.run_path(target)


def test_binary_file_is_a_target_error(runner: Runner, tmp_path: Path) -> None:
    binary = tmp_path / "image.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    with pytest.raises(TargetError, match=r"'.*image\.png': it is not a Python source file"):
        runner.run_path(binary)


def test_pyc_of_another_version_is_a_target_error(runner: Runner, tmp_path: Path) -> None:
    pyc = tmp_path / "old.pyc"
    pyc.write_bytes(b"\x42\x0d\x0d\x0a" + bytes(12) + b"\xe3")
    with pytest.raises(TargetError, match=r"bad magic number in \.pyc file"):
        runner.run_path(pyc)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.run_module(""), "needs a module name"),
        (lambda r: r.run_module(b"app"), "needs a module name"),
        (lambda r: r.run_path(""), "needs a path"),
        (lambda r: r.run_path(3), "needs a path"),
        (lambda r: r.run_module("app", 3), "program argument 1 must be str"),
        (lambda r: r.run_module("app", "ok", b"x"), "program argument 2 must be str"),
        (lambda r: r.run_module("app", stdin=3), "stdin must be str, bytes or None"),
        (lambda r: r.run_module("app", env={"A": 1}), "env must map str to str"),
        (lambda r: r.run_module("app", env=["A"]), "env must be a mapping"),
        (lambda r: r.run_module("app", cwd=3), "cwd must be a str or path"),
    ],
    ids=[
        "empty-module",
        "bytes-module",
        "empty-path",
        "int-path",
        "int-arg",
        "bytes-arg",
        "int-stdin",
        "int-env-value",
        "list-env",
        "int-cwd",
    ],
)
def test_bad_arguments_are_type_errors(runner: Runner, call: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call(runner)  # type: ignore[operator]


def test_env_key_with_equals_sign_is_a_value_error(runner: Runner, pkg: Path) -> None:
    with pytest.raises(OptionError, match="cannot be in an environment"):
        runner.run_module("app", env={"A=B": "1"}, cwd=pkg)


@pytest.mark.parametrize("mode", ["inprocess", "subprocess"])
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda r, s: r.run_path(s, timeout=float("inf")),
            "timeout must be at most 100000000 seconds, not inf; use None for no time limit",
        ),
        (lambda r, s: r.run_path(s, timeout=1e300), "timeout must be at most 100000000 seconds"),
        (
            lambda r, s: r.run_path(s, "ok", "a\0b"),
            "program argument 2 contains a NUL character: 'a\\x00b'; no command line can hold",
        ),
        (lambda r, s: r.run_path(f"{s}\0"), "run_path needs a path (non-empty str or PathLike"),
        (lambda r, s: r.run_module("js\0on"), "run_module needs a module name (non-empty str"),
        (
            lambda r, s: r.run_path(s, env={"PYTHONIOENCODING": "nosuch"}),
            "PYTHONIOENCODING names an encoding Python does not know: 'nosuch'",
        ),
        (
            lambda r, s: r.run_path(s, env={"PYTHONIOENCODING": "ascii"}, stdin="h\u00e9"),
            "stdin: '\u00e9' at position 1 cannot be encoded as ascii (errors='strict')",
        ),
    ],
    ids=["inf-timeout", "huge-timeout", "nul-arg", "nul-path", "nul-module", "codec", "stdin"],
)
def test_bad_input_is_an_option_error_naming_the_value(
    tmp_path: Path, mode: str, call: Callable[[Runner, Path], object], message: str
) -> None:
    script = write(tmp_path / "echo.py", "import sys\nprint(sys.stdin.read())\n")
    with pytest.raises(OptionError) as info:
        call(Runner([{"mode": mode}]), script)
    assert message in str(info.value)


def test_script_globals_keep_file_and_cached_after_the_atexit_step(
    runner: Runner, tmp_path: Path
) -> None:
    """The interpreter removes them before atexit functions run; the result still has them."""
    script = write(
        tmp_path / "prog.py",
        """\
        import atexit
        atexit.register(lambda: print("at exit:", "__file__" in globals()))
        """,
    )
    result = runner.run_path(script)
    assert result.stdout == "at exit: False\n"
    assert result.globals["__file__"] == str(script)
    assert "__cached__" in result.globals
    assert result.globals["__cached__"] is None


def test_target_error_keeps_what_the_parent_package_printed(runner: Runner, tmp_path: Path) -> None:
    write(
        tmp_path / "noisy" / "__init__.py",
        "import sys\nprint('init out')\nprint('init err', file=sys.stderr)\n",
    )
    with pytest.raises(TargetError) as info:
        runner.run_module("noisy.missing", cwd=tmp_path)
    assert (info.value.stdout, info.value.stderr) == ("init out\n", "init err\n")
    assert str(info.value) == (
        "No module named noisy.missing\n"
        "stdout before the failure:\n    init out\n"
        "stderr before the failure:\n    init err"
    )
    assert "noisy" not in sys.modules  # the program's own package, forgotten with the run


def test_missing_cwd_is_reported(runner: Runner, tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="is not an existing directory"):
        runner.run_module("app", cwd=tmp_path / "nope")


def test_target_error_leaves_interpreter_state_alone(runner: Runner, tmp_path: Path) -> None:
    argv, path, main, cwd = list(sys.argv), list(sys.path), sys.modules["__main__"], os.getcwd()
    with pytest.raises(TargetError):
        runner.run_module("no_such_module_xyz", cwd=tmp_path, env={"RUNMAIN_X": "1"})
    assert (sys.argv, sys.path, sys.modules["__main__"], os.getcwd()) == (argv, path, main, cwd)
    assert "RUNMAIN_X" not in os.environ


# --- the result -----------------------------------------------------------------------------


def test_result_of_a_package(runner: Runner, pkg: Path) -> None:
    result = runner.run_module("app", "--flag", Path("file.txt"), cwd=pkg)
    assert isinstance(result, RunResult)
    assert result.returncode == 0
    assert result.stdout == "app 1.0 ['--flag', 'file.txt']\n"
    assert result.stderr == ""
    assert result.argv == [str(pkg / "app" / "__main__.py"), "--flag", "file.txt"]
    assert result.kind == "module"
    assert result.target == "app"
    assert result.exception is None
    assert result.globals["__name__"] == "__main__"
    assert result.globals["VERSION"] == "1.0"
    assert result.duration > 0
    assert result.command == "python -m app --flag file.txt"


def test_plain_module_of_a_package(runner: Runner, pkg: Path) -> None:
    result = runner.run_module("app.tool", "x", cwd=pkg)
    assert result.stdout == "tool ['x']\n"
    assert result.globals["__spec__"].name == "app.tool"


def test_repr_shows_command_status_and_output(runner: Runner, pkg: Path) -> None:
    text = repr(runner.run_module("app", "a b", cwd=pkg))
    assert text == (
        "<RunResult \"python -m app 'a b'\" returncode=0 stdout=\"app 1.0 ['a b']\\n\" stderr=''>"
    )


def test_globals_are_kept_when_the_program_raises(runner: Runner, tmp_path: Path) -> None:
    script = write(
        tmp_path / "crash.py",
        """\
        import sys
        data = {"loaded": True}
        print("before", flush=True)
        sys.stdout.write("buffered tail")
        raise RuntimeError("half way")
        """,
    )
    result = runner.run_path(script)
    assert result.returncode == 1
    assert result.globals["data"] == {"loaded": True}
    assert isinstance(result.exception, RuntimeError)
    assert result.stdout == "before\nbuffered tail"
    assert result.stderr.endswith("RuntimeError: half way\n")


def test_globals_are_kept_on_system_exit(runner: Runner, tmp_path: Path) -> None:
    script = write(tmp_path / "leave.py", "answer = 42\nraise SystemExit(7)\n")
    result = runner.run_path(script)
    assert (result.returncode, result.globals["answer"]) == (7, 42)
    assert isinstance(result.exception, SystemExit)


NOISY_OBJECTS = """\
import sys
class Noisy:
    def __init__(self):
        self.log = sys.argv[1]  # __del__ cannot count on the globals: they may be gone
    def __del__(self):
        with open(self.log, "a") as log:
            print("freed", file=log)
        print("freed")
def work():
    payload = [Noisy()]
    raise ValueError("payload in a frame")
noisy = Noisy()
"""


def test_dropped_globals_free_the_objects_inside_the_run(runner: Runner, tmp_path: Path) -> None:
    script = write(tmp_path / "noisy.py", NOISY_OBJECTS + "work()\n")
    result = runner.run_path(script, tmp_path / "log", globals="drop")

    assert result.returncode == 1
    assert result.stdout == "freed\nfreed\n"  # the frame's object, then the global
    with pytest.raises(AttributeError, match=r"dropped them at its end \(globals='drop'\)"):
        result.globals  # noqa: B018 (the access is what raises)
    assert isinstance(result.exception, ValueError)
    frames = [frame for frame, _ in traceback.walk_tb(result.exception.__traceback__)]
    assert [frame.f_code.co_name for frame in frames][-1] == "work"
    assert all(frame.f_locals == {} for frame in frames)
    assert (tmp_path / "log").read_text() == "freed\nfreed\n"


def test_dropped_globals_after_os_exit_write_nothing(runner: Runner, tmp_path: Path) -> None:
    script = write(tmp_path / "noisy.py", NOISY_OBJECTS + "import os\nos._exit(3)\n")
    result = runner.run_path(script, tmp_path / "log", globals="drop")

    assert (result.returncode, result.stdout) == (3, "")
    assert (tmp_path / "log").read_text() == "freed\n"  # freed all the same: not kept


def test_kept_globals_are_freed_when_the_runner_releases_them(
    runner: Runner, tmp_path: Path
) -> None:
    script = write(tmp_path / "noisy.py", NOISY_OBJECTS)
    result = runner.run_path(script, tmp_path / "log")
    assert result.stdout == ""
    assert isinstance(result.globals["noisy"], object)
    assert not (tmp_path / "log").exists()

    runner.release()

    assert (runner.results, result.globals) == ([], {})
    assert (tmp_path / "log").read_text() == "freed\n"


def test_globals_a_running_thread_uses_are_not_released(runner: Runner, tmp_path: Path) -> None:
    script = write(
        tmp_path / "worker.py",
        """\
        import threading
        stop = threading.Event()
        def work():
            while not stop.wait(0.01):
                pass
        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        """,
    )
    result = runner.run_path(script, isolation="off")
    assert [leak.name for leak in result.leaks] == ["threads"]

    runner.release()

    assert result.globals["worker"].is_alive()
    result.globals["stop"].set()
    result.globals["worker"].join(5)
    assert not result.globals["worker"].is_alive()


def test_the_path_hooks_judge_a_script_once(
    runner: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A zip reader's look at the file on every run is what the remembered refusal saves."""
    target = write(tmp_path / "app.py", "print('script')\n")
    asked: list[str] = []

    def refusing_hook(path: str) -> object:
        asked.append(path)
        raise ImportError(path)

    monkeypatch.setattr(sys, "path_hooks", [refusing_hook, *sys.path_hooks])
    for _ in range(3):
        assert runner.run_path(target).stdout == "script\n"

    assert asked.count(str(target)) == 1
    assert str(target) not in sys.path_importer_cache  # as pkgutil.get_importer leaves it


def test_a_script_that_becomes_a_zip_file_runs_as_one(runner: Runner, tmp_path: Path) -> None:
    """Whether a path is a script is remembered only while the file stays the same."""
    target = write(tmp_path / "app.pyz", "print('script')\n")
    assert runner.run_path(target).stdout == "script\n"
    with zipfile.ZipFile(tmp_path / "built.zip", "w") as archive:
        archive.writestr("__main__.py", "print('zip app')\n")
    os.replace(tmp_path / "built.zip", target)

    assert runner.run_path(target).stdout == "zip app\n"
    assert runner.run_path(target).stdout == "zip app\n"


def test_bytes_and_text_stdin(runner: Runner, tmp_path: Path) -> None:
    reverse = write(
        tmp_path / "reverse.py",
        "import sys\ndata = sys.stdin.buffer.read()\nsys.stdout.buffer.write(data[::-1])\n",
    )
    upper = write(tmp_path / "upper.py", "print(input().upper(), repr(input()))\n")
    assert runner.run_path(reverse, stdin=b"\x00\xffab").stdout_bytes == b"ba\xff\x00"
    assert runner.run_path(reverse).stdout_bytes == b""
    env = {"PYTHONIOENCODING": "utf-8"}
    assert runner.run_path(upper, stdin="héllo\r\nnext\n", env=env).stdout == "HÉLLO\r 'next'\n"
    result = runner.run_path(upper, stdin="only one line\n")
    assert result.returncode == 1
    assert result.stderr.endswith("EOFError: EOF when reading a line\n")


def test_undecodable_output_is_kept_as_escapes(runner: Runner, tmp_path: Path) -> None:
    script = write(tmp_path / "raw.py", "import sys\nsys.stdout.buffer.write(b'ok\\xff')\n")
    result = runner.run_path(script, env={"PYTHONIOENCODING": "utf-8"})
    assert result.stdout_bytes == b"ok\xff"
    assert result.stdout == "ok\\xff"


def test_env_overlay_and_unset(
    runner: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNMAIN_KEEP", "kept")
    monkeypatch.setenv("RUNMAIN_DROP", "dropped")
    script = write(
        tmp_path / "env.py",
        """\
        import os
        print(os.environ.get("RUNMAIN_NEW"), os.getenv("RUNMAIN_KEEP"), os.getenv("RUNMAIN_DROP"))
        os.environ["RUNMAIN_LEAK"] = "x"
        """,
    )
    result = runner.run_path(script, env={"RUNMAIN_NEW": "new", "RUNMAIN_DROP": None})
    assert result.stdout == "new kept None\n"
    assert os.environ["RUNMAIN_DROP"] == "dropped"
    assert "RUNMAIN_NEW" not in os.environ
    assert "RUNMAIN_LEAK" not in os.environ


def test_cwd_is_the_run_working_directory_and_sys_path_0_for_m(runner: Runner, pkg: Path) -> None:
    write(
        pkg / "app" / "where.py", "import os, sys\nprint(os.getcwd(), sys.path[0])\nos.chdir('/')\n"
    )
    before = os.getcwd()
    result = runner.run_module("app.where", cwd=pkg)
    assert result.stdout == f"{pkg} {pkg}\n"
    assert os.getcwd() == before


def test_each_run_imports_the_program_afresh(runner: Runner, tmp_path: Path) -> None:
    write(tmp_path / "counter" / "__init__.py", "")
    write(tmp_path / "counter" / "state.py", "runs = []\n")
    write(
        tmp_path / "counter" / "__main__.py",
        "from counter import state\nstate.runs.append(1)\nprint(len(state.runs))\n",
    )
    outputs = [runner.run_module("counter", cwd=tmp_path).stdout for _ in range(3)]
    assert outputs == ["1\n", "1\n", "1\n"]
    assert "counter" not in sys.modules
    assert "counter.state" not in sys.modules


def test_script_sibling_modules_are_imported_afresh(runner: Runner, tmp_path: Path) -> None:
    write(tmp_path / "helper.py", "import os\nVALUE = os.environ['RUNMAIN_VALUE']\n")
    script = write(tmp_path / "main.py", "import helper\nprint(helper.VALUE)\n")
    first = runner.run_path(script, env={"RUNMAIN_VALUE": "one"})
    second = runner.run_path(script, env={"RUNMAIN_VALUE": "two"})
    assert (first.stdout, second.stdout) == ("one\n", "two\n")


def test_package_imported_by_the_test_is_shared_with_the_run(
    runner: Runner, pkg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module the test imported stays the same object, so patches made on it are seen."""
    monkeypatch.syspath_prepend(str(pkg))
    import app  # type: ignore[import-not-found]

    monkeypatch.setattr(app, "VERSION", "patched")
    try:
        assert runner.run_module("app", cwd=pkg).stdout == "app patched []\n"
        assert sys.modules["app"] is app
    finally:
        # Not monkeypatch.delitem: its undo would put the modules back for later tests.
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]


def test_module_named_like_a_test_file_runs(runner: Runner, tmp_path: Path) -> None:
    """pytest's assertion-rewriting hook claims ``test_*`` modules: not under the real -m."""
    write(tmp_path / "test_tool.py", "x = 1\nassert x == 2, 'plain assert'\n")
    result = runner.run_module("test_tool", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.endswith("AssertionError: plain assert\n")
    assert any(type(f).__name__ == "AssertionRewritingHook" for f in sys.meta_path)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="PYTHONSAFEPATH is new in Python 3.11")
def test_safe_path_leaves_out_the_script_dir_but_not_a_directory_run(
    runner: Runner, tmp_path: Path
) -> None:
    show = "import sys\nprint(sys.path[0])\n"
    write(tmp_path / "script.py", show)
    write(tmp_path / "app" / "__main__.py", show)
    env = {"PYTHONSAFEPATH": "1"}
    assert runner.run_path(tmp_path / "script.py", env=env).stdout != f"{tmp_path}\n"
    assert runner.run_path(tmp_path / "script.py").stdout == f"{tmp_path}\n"
    assert runner.run_path(tmp_path / "app", env=env).stdout == f"{tmp_path / 'app'}\n"


def test_entry_point_imported_by_a_script_is_forgotten(
    runner: Runner, pkg: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A console-script-like script imports ``app.__main__``; the next ``-m app`` must not warn."""
    monkeypatch.syspath_prepend(str(pkg))
    import app

    write(pkg / "bin" / "app-script.py", "import app.__main__\n")
    try:
        assert runner.run_path(pkg / "bin" / "app-script.py", cwd=pkg).returncode == 0
        assert "app.__main__" not in sys.modules
        assert runner.run_module("app.__main__", cwd=pkg).stdout == "app 1.0 []\n"
        assert sys.modules["app"] is app
    finally:
        # Not monkeypatch.delitem: its undo would put the modules back for later tests.
        for name in [n for n in sys.modules if n == "app" or n.startswith("app.")]:
            del sys.modules[name]
