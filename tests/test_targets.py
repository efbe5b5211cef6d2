"""Targets: their values, building each form, errors, and the fixtures under ``pytester``."""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
import textwrap
import zipfile
from collections.abc import Generator
from pathlib import Path

import pytest

from pytest_runmain import Runner, Target, TargetError
from pytest_runmain._options import OptionError
from pytest_runmain.plugin import parse_targets
from pytest_runmain.targets import _FORM_SPECS, FORMS, RunMain, TargetBuilder

#: A small program in three files: a package with a ``__main__`` and the same CLI as a script.
PROGRAM = {
    "hellocli/__init__.py": 'VERSION = "2.0"\n',
    "hellocli/__main__.py": """\
        import sys

        import hellocli
        from hellocli import VERSION


        def main(argv=None):
            args = sys.argv[1:] if argv is None else argv
            if args == ["--version"]:
                print("hellocli", VERSION)
                return 0
            if args == ["--where"]:
                print(hellocli.__file__)
                return 0
            if not args:
                print("hellocli: error: a name is needed", file=sys.stderr)
                return 2
            print(f"Hello, {args[0]}!")
            return 0


        if __name__ == "__main__":
            sys.exit(main())
        """,
    "hellocli/data/greeting.txt": "Hello\n",
    "scripts/hello-cli.py": """\
        #!/usr/bin/env python3
        import sys

        from hellocli.__main__ import main

        sys.exit(main())
        """,
}


def write_program(root: Path, files: dict[str, str] = PROGRAM) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Generator[Path, None, None]:
    """The program in ``tmp_path/src``, importable; its modules are forgotten afterwards."""
    root = write_program(tmp_path / "src")
    monkeypatch.syspath_prepend(str(root))
    yield root
    for name in [n for n in sys.modules if n == "hellocli" or n.startswith("hellocli.")]:
        del sys.modules[name]


@pytest.fixture
def builder(tmp_path: Path, program: Path) -> TargetBuilder:
    return TargetBuilder(tmp_path / "build", root=program)


# --- the values -----------------------------------------------------------------------------


def test_forms_of_a_package_and_script_in_a_stable_order() -> None:
    targets = Target.forms("hellocli", script="scripts/hello-cli.py")

    assert [str(t) for t in targets] == [
        "module:hellocli",
        "directory:hellocli",
        "zipapp:hellocli",
        "zipapp-shebang:hellocli",
        "zipapp-compiled:hellocli",
        "script:scripts/hello-cli.py",
        "script-nosuffix:scripts/hello-cli.py",
        "compiled:scripts/hello-cli.py",
    ]
    assert [t.id for t in targets] == [
        "module-hellocli",
        "directory-hellocli",
        "zipapp-hellocli",
        "zipapp-shebang-hellocli",
        "zipapp-compiled-hellocli",
        "script-hello-cli.py",
        "script-nosuffix-hello-cli",
        "compiled-hello-cli.pyc",
    ]
    assert [t.form for t in Target.forms(script="tool.py")] == [
        "script",
        "script-nosuffix",
        "compiled",
    ]


def test_constructors_str_repr_and_parse_round_trip() -> None:
    targets = [
        Target.module("pkg.sub"),
        Target.script(Path("bin/tool.py")),
        Target.script("bin/tool.py", suffix=False),
        Target.compiled("/abs/tool.py"),
        Target.directory("pkg"),
        Target.zipapp("pkg"),
        Target.zipapp("pkg", shebang=True),
        Target.zipapp("pkg", compiled=True),
        Target.zipapp("pkg", shebang=True, compiled=True),
        Target.path("dist/app.pyz"),
        Target.console_script("hello-cli"),
        Target.console_script("hellocli.__main__:main"),
    ]

    assert {t.form for t in targets} == set(FORMS)
    for target in targets:
        assert Target.parse(str(target)) == target
        assert eval(repr(target), {"Target": Target}) == target
    assert repr(targets[8]) == "Target.zipapp('pkg', shebang=True, compiled=True)"
    assert Target.script("bin/tool.py") == Target.script(Path("bin/tool.py"))
    assert len({Target.zipapp("pkg"), Target.parse(" zipapp : pkg ")}) == 1
    assert Target.path("dist/app.pyz").id == "path-app.pyz"
    assert Target.parse("console-script:hellocli.__main__:main") == targets[-1]
    assert targets[-2].id == "console-script-hello-cli"


def test_every_form_has_one_row_and_every_row_one_form() -> None:
    """The rows describing the forms are those of ``FORMS``, in its order, each once."""
    assert [spec.form for spec in _FORM_SPECS] == list(FORMS)


def test_targets_are_immutable() -> None:
    target = Target.module("pkg")
    with pytest.raises(AttributeError):
        target.source = "other"  # type: ignore[misc]
    assert not hasattr(target, "__dict__")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Target.parse("zipap:pkg"), "unknown target form 'zipap'"),
        (lambda: Target.parse("pkg"), "expected FORM:NAME or FORM:PATH"),
        (lambda: Target.parse("module:"), "needs a non-empty name or path"),
        (lambda: Target.module(".rel"), "is not a dotted module name"),
        (lambda: Target.zipapp("pkg.sub"), "built from a top-level package or module"),
        (lambda: Target.directory("my-pkg"), "built from a top-level package or module"),
        (lambda: Target.forms(), "needs a package name, a script path, or both"),
        (lambda: Target.script(3), "expected str, bytes or os.PathLike"),  # type: ignore[arg-type]
        (lambda: Target("module", 3), "must be a str, not int"),  # type: ignore[arg-type]
    ],
    ids=[
        "unknown-form",
        "no-colon",
        "empty",
        "relative-module",
        "dotted-zipapp",
        "bad-name",
        "forms-of-nothing",
        "script-not-a-path",
        "source-not-str",
    ],
)
def test_bad_values_are_refused(make: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()  # type: ignore[operator]


def test_parse_targets_reports_the_line() -> None:
    assert parse_targets(["module:a", "zipapp:a"]) == [Target.module("a"), Target.zipapp("a")]
    with pytest.raises(pytest.UsageError, match=r"^runmain_targets: line 2, 'x': expected FORM"):
        parse_targets(["module:a", "x"])
    with pytest.raises(pytest.UsageError, match=r"line 2, 'module:a': module:a is listed twice"):
        parse_targets(["module:a", "module:a"])


# --- building -------------------------------------------------------------------------------


def zip_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        return sorted(name for name in archive.namelist() if not name.endswith("/"))


def test_zipapp_holds_the_package_and_a_launcher(builder: TargetBuilder) -> None:
    archive = builder.build(Target.zipapp("hellocli"))

    assert archive.name == "hellocli.pyz"
    assert archive.read_bytes().startswith(b"PK")
    assert zip_names(archive) == [
        "__main__.py",
        "hellocli/__init__.py",
        "hellocli/__main__.py",
        "hellocli/data/greeting.txt",
    ]
    with zipfile.ZipFile(archive) as zf:
        launcher = zf.read("__main__.py").decode()
    assert 'runpy.run_module("hellocli", run_name="__main__", alter_sys=True)' in launcher.replace(
        "'", '"'
    )
    assert archive.is_relative_to(builder.directory)


def test_zipapp_with_a_shebang(builder: TargetBuilder) -> None:
    archive = builder.build(Target.zipapp("hellocli", shebang=True))

    first_line, _, rest = archive.read_bytes().partition(b"\n")
    assert first_line == b"#!/usr/bin/env python3"
    assert rest.startswith(b"PK")
    assert archive.stat().st_mode & stat.S_IXUSR
    assert "hellocli/__main__.py" in zip_names(archive)


def test_compiled_zipapp_holds_only_legacy_pyc_files(
    builder: TargetBuilder, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on machines that set PYTHONDONTWRITEBYTECODE: explicit compilation ignores it.
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    archive = builder.build(Target.zipapp("hellocli", compiled=True))

    assert zip_names(archive) == [
        "__main__.pyc",
        "hellocli/__init__.pyc",
        "hellocli/__main__.pyc",
        "hellocli/data/greeting.txt",
    ]
    with zipfile.ZipFile(archive) as zf:
        assert zf.read("hellocli/__main__.pyc")[:4] == importlib.util.MAGIC_NUMBER
    # The staging tree is gone: only the archive is left.
    assert [p.name for p in archive.parent.iterdir()] == ["hellocli.pyz"]


def test_directory_is_the_zipapp_unzipped(builder: TargetBuilder, program: Path) -> None:
    (program / "hellocli" / "__pycache__").mkdir()
    (program / "hellocli" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"stale")
    (program / "hellocli" / "old.pyc").write_bytes(b"stale")

    directory = builder.build(Target.directory("hellocli"))

    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*.*"))
    assert files == [
        "__main__.py",
        "hellocli/__init__.py",
        "hellocli/__main__.py",
        "hellocli/data/greeting.txt",
    ]
    assert zip_names(builder.build(Target.zipapp("hellocli"))) == files


def test_zipapp_of_a_single_module_program(builder: TargetBuilder, program: Path) -> None:
    (program / "solo.py").write_text("print('solo', __name__)\n", encoding="utf-8")
    runner = Runner()

    archive = builder.build(Target.zipapp("solo"))
    result = builder.run(runner, Target.zipapp("solo"))

    assert zip_names(archive) == ["__main__.py", "solo.py"]
    assert result.stdout == "solo __main__\n"


def test_script_without_suffix_is_a_copy(builder: TargetBuilder, program: Path) -> None:
    source = program / "scripts" / "hello-cli.py"
    os.chmod(source, 0o755)

    copy = builder.build(Target.script("scripts/hello-cli.py", suffix=False))

    assert copy.name == "hello-cli"
    assert copy.read_bytes() == source.read_bytes()
    assert copy.stat().st_mode & stat.S_IXUSR
    assert not copy.is_relative_to(program)


def test_compiled_script_is_bytecode_of_this_interpreter(
    builder: TargetBuilder, program: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)

    compiled = builder.build(Target.compiled("scripts/hello-cli.py"))

    assert compiled.name == "hello-cli.pyc"
    assert compiled.read_bytes()[:4] == importlib.util.MAGIC_NUMBER
    assert not (program / "scripts" / "__pycache__").exists()


def test_scripts_and_paths_are_not_copied(builder: TargetBuilder, program: Path) -> None:
    script = program / "scripts" / "hello-cli.py"

    assert builder.build(Target.script("scripts/hello-cli.py")) == script
    assert builder.build(Target.script(script)) == script
    assert builder.build(Target.path("hellocli")) == program / "hellocli"


def test_each_target_is_built_once(builder: TargetBuilder) -> None:
    first = builder.build(Target.zipapp("hellocli"))
    mtime = first.stat().st_mtime_ns

    again = builder.build(Target.parse("zipapp:hellocli"))
    builder.build(Target.directory("hellocli"))
    builder.build(Target.zipapp("hellocli", shebang=True))

    assert again == first
    assert first.stat().st_mtime_ns == mtime
    # One shared copy of the package (the directory target), one directory per archive.
    assert sorted(p.name.rsplit("-", 1)[0] for p in builder.directory.iterdir()) == [
        "directory-hellocli",
        "zipapp-hellocli",
        "zipapp-shebang-hellocli",
    ]


@pytest.mark.parametrize(
    ("target", "form"),
    [(Target.module("hellocli"), "module"), (Target.console_script("hello-cli"), "console-script")],
)
def test_targets_run_by_name_have_nothing_to_build(
    builder: TargetBuilder, target: Target, form: str
) -> None:
    with pytest.raises(ValueError, match=f"a {form} target runs by name"):
        builder.build(target)
    assert not builder.directory.exists()


@pytest.mark.parametrize("source", ["pkg.cli:", ":main", "pkg cli:main", "tool = pkg", " "])
def test_a_console_script_target_needs_a_name_or_a_value(source: str) -> None:
    with pytest.raises(ValueError, match="neither a console script's name nor an entry-point"):
        Target.console_script(source)


# --- errors ---------------------------------------------------------------------------------


def test_missing_package_is_a_target_error(builder: TargetBuilder) -> None:
    with pytest.raises(TargetError) as info:
        builder.build(Target.zipapp("no_such_pkg_xyz"))

    assert str(info.value) == (
        "cannot build zipapp:no_such_pkg_xyz: no module named 'no_such_pkg_xyz' is importable; "
        "install the package, or put its parent directory on sys.path (e.g. the pythonpath "
        "ini option)"
    )
    assert info.value.target == "zipapp:no_such_pkg_xyz"


def test_package_without_main_is_a_target_error(builder: TargetBuilder, program: Path) -> None:
    write_program(program, {"nomain/__init__.py": ""})

    with pytest.raises(TargetError, match=r"package 'nomain' has no __main__ module .*add one"):
        builder.build(Target.directory("nomain"))


def test_namespace_package_is_a_target_error(builder: TargetBuilder, program: Path) -> None:
    write_program(program, {"nspkg/__main__.py": "print('ns')\n"})

    with pytest.raises(TargetError, match=r"'nspkg' is a namespace package .*add an __init__"):
        builder.build(Target.zipapp("nspkg"))


def test_builtin_module_cannot_be_built(builder: TargetBuilder) -> None:
    with pytest.raises(TargetError, match=r"zipapp:sys: 'sys' is not Python source on disk"):
        builder.build(Target.zipapp("sys"))


@pytest.mark.parametrize("form", ["script", "script-nosuffix", "compiled", "path"])
def test_missing_file_is_a_target_error(builder: TargetBuilder, form: str) -> None:
    target = Target.parse(f"{form}:scripts/missing.py")

    with pytest.raises(
        TargetError, match=r"missing\.py.*relative paths are taken from the rootdir"
    ):
        builder.build(target)


def test_unbuildable_source_is_a_target_error(builder: TargetBuilder, program: Path) -> None:
    (program / "broken.py").write_text("def broken(:\n", encoding="utf-8")

    with pytest.raises(
        TargetError,
        match=r"^cannot build compiled:broken\.py: compiling .*broken\.py. failed: SyntaxError: ",
    ):
        builder.build(Target.compiled("broken.py"))


def test_run_needs_a_target(builder: TargetBuilder) -> None:
    with pytest.raises(OptionError, match=r"run_main needs a Target .*got str: 'hellocli'"):
        builder.run(Runner(), "hellocli")  # type: ignore[arg-type]


# --- running --------------------------------------------------------------------------------


@pytest.mark.parametrize("target", Target.forms("hellocli", script="scripts/hello-cli.py"), ids=str)
def test_every_form_runs_alike(builder: TargetBuilder, target: Target) -> None:
    runner = Runner()

    ok = builder.run(runner, target, "Ada")
    usage = builder.run(runner, target)

    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "Hello, Ada!\n", "")
    assert (usage.returncode, usage.stderr) == (2, "hellocli: error: a name is needed\n")


@pytest.mark.parametrize("target", Target.forms("hellocli", script="scripts/hello-cli.py"), ids=str)
def test_every_form_runs_as_in_a_real_interpreter(
    builder: TargetBuilder, program: Path, target: Target
) -> None:
    # mode="both" runs in-process and in a child interpreter, and fails when the two differ.
    env = {"PYTHONPATH": str(program)}

    result = builder.run(Runner(), target, "Ada", mode="both", env=env)

    assert result.stdout == "Hello, Ada!\n"


def test_a_script_importing_the_package_main_leaves_no_trace(
    builder: TargetBuilder, program: Path
) -> None:
    runner = Runner()

    builder.run(runner, Target.script("scripts/hello-cli.py"), "Ada")
    module = builder.run(runner, Target.module("hellocli"), "Ada")

    # Left imported, hellocli.__main__ would make runpy warn in the module run.
    assert "hellocli.__main__" not in sys.modules
    assert module.stderr == ""


def test_a_zipapp_runs_its_own_copy_of_an_imported_package(
    builder: TargetBuilder, program: Path
) -> None:
    import hellocli  # type: ignore[import-not-found]

    target = Target.zipapp("hellocli")
    result = builder.run(Runner(), target, "--where")

    archive = str(builder.build(target))
    assert result.stdout == os.path.join(archive, "hellocli", "__init__.py") + "\n"
    # The globals are the launcher's: the zip's __main__.py, which ran the package.
    assert result.globals["__file__"] == os.path.join(archive, "__main__.py")
    assert "runpy" in result.globals
    assert "main" not in result.globals
    # The imported package is back in place after the run, and nothing of the archive stayed.
    assert sys.modules["hellocli"] is hellocli
    assert not any(
        getattr(m, "__file__", "").startswith(archive) for m in list(sys.modules.values())
    )


def test_run_main_fixture_takes_the_run_options(run_main: RunMain, program: Path) -> None:
    script = Target.script(program / "scripts" / "hello-cli.py")

    result = run_main(script, "Ada", cwd=program, env={"UNUSED": "1"})

    assert result.returncode == 0
    assert result.stdout == "Hello, Ada!\n"
    assert result.cwd == str(program)


# --- the fixtures and the ini option, as pytest users meet them -----------------------------


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    write_program(pytester.path)
    pytester.makeini("[pytest]\npythonpath = .\nfilterwarnings = error\n")
    return pytester


TEST_FORMS = """
import pytest
from pytest_runmain import Target

FORMS = Target.forms("hellocli", script="scripts/hello-cli.py")


@pytest.mark.parametrize("target", FORMS)
def test_version(run_main, target):
    result = run_main(target, "--version")
    assert (result.returncode, result.stdout, result.stderr) == (0, "hellocli 2.0\\n", "")


@pytest.mark.parametrize("target", FORMS)
def test_usage_error(run_main, target):
    result = run_main(target)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == "hellocli: error: a name is needed\\n"
"""


def test_a_test_parametrized_over_forms(project: pytest.Pytester) -> None:
    project.makepyfile(test_forms=TEST_FORMS)

    result = project.runpytest_inprocess("-v")

    result.assert_outcomes(passed=16)
    result.stdout.fnmatch_lines(
        [
            f"*::test_version[[]{target_id}[]] PASSED*"
            for target_id in [
                "module-hellocli",
                "directory-hellocli",
                "zipapp-hellocli",
                "zipapp-shebang-hellocli",
                "zipapp-compiled-hellocli",
                "script-hello-cli.py",
                "script-nosuffix-hello-cli",
                "compiled-hello-cli.pyc",
            ]
        ]
    )


INI_TARGETS = """\
[pytest]
pythonpath = .
filterwarnings = error
runmain_targets =
    module:hellocli
    directory:hellocli
    zipapp:hellocli
    zipapp-shebang:hellocli
    zipapp-compiled:hellocli
    script:scripts/hello-cli.py
    script-nosuffix:scripts/hello-cli.py
    compiled:scripts/hello-cli.py
"""

TEST_DECLARED = """
def test_greets(run_main, runmain_target):
    result = run_main(runmain_target, "Ada")
    assert (result.returncode, result.stdout) == (0, "Hello, Ada!\\n")


def test_not_parametrized(run_module):
    assert run_module("hellocli", "--version").returncode == 0
"""


def test_targets_declared_in_the_ini_file(project: pytest.Pytester) -> None:
    project.makeini(INI_TARGETS)
    project.makepyfile(test_declared=TEST_DECLARED)

    result = project.runpytest_inprocess("-v")

    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(
        [
            "*::test_greets[[]module-hellocli[]] PASSED*",
            "*::test_greets[[]zipapp-compiled-hellocli[]] PASSED*",
            "*::test_greets[[]compiled-hello-cli.pyc[]] PASSED*",
            "*::test_not_parametrized PASSED*",
        ]
    )


def test_targets_declared_in_the_ini_file_under_xdist(project: pytest.Pytester) -> None:
    project.makeini(INI_TARGETS)
    project.makepyfile(
        test_declared=TEST_DECLARED,
        test_workers="""
        import os
        from pytest_runmain import Target

        def test_builds_in_the_workers_own_directory(runmain_targets, tmp_path_factory):
            directory = runmain_targets.directory
            assert directory.is_relative_to(tmp_path_factory.getbasetemp())
            assert os.environ["PYTEST_XDIST_WORKER"] in str(directory)
            assert runmain_targets.build(Target.zipapp("hellocli")).is_file()
        """,
    )

    result = project.runpytest_subprocess("-n", "2")

    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_a_bad_ini_line_is_a_usage_error(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\nrunmain_targets =\n    module:hellocli\n    zipap:hellocli\n")
    project.makepyfile(test_x="def test_x(): pass\n")

    result = project.runpytest_inprocess()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: runmain_targets: line 2, 'zipap:hellocli': unknown target form 'zipap' (forms: *"]
    )


def test_runmain_target_without_declared_targets_says_what_to_do(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(test_x="def test_x(run_main, runmain_target): pass\n")

    result = project.runpytest_inprocess()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_x uses the runmain_target fixture, but the runmain_targets ini option declares*"]
    )


def test_runmain_target_parametrized_by_the_test(project: pytest.Pytester) -> None:
    project.makeini(INI_TARGETS)
    project.makepyfile(
        test_own="""
        import pytest
        from pytest_runmain import Target

        @pytest.mark.parametrize(
            "runmain_target", ["zipapp:hellocli", Target.directory("hellocli")], indirect=True
        )
        def test_indirect(run_main, runmain_target):
            assert run_main(runmain_target, "Ada").stdout == "Hello, Ada!\\n"

        @pytest.mark.parametrize("runmain_target", [Target.module("hellocli")])
        def test_direct(run_main, runmain_target):
            assert run_main(runmain_target, "Ada").stdout == "Hello, Ada!\\n"
        """
    )

    result = project.runpytest_inprocess("-v")

    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*::test_indirect[[]zipapp:hellocli[]] PASSED*",
            "*::test_indirect[[]directory-hellocli[]] PASSED*",
            "*::test_direct[[]module-hellocli[]] PASSED*",
        ]
    )


def test_targets_are_built_once_per_session(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_once="""
        from pytest_runmain import Target

        BUILT = []

        def test_first(run_main, runmain_targets):
            assert run_main(Target.zipapp("hellocli"), "Ada").returncode == 0
            BUILT.append(runmain_targets.build(Target.zipapp("hellocli")))

        def test_second(run_main, runmain_targets):
            assert run_main(Target.parse("zipapp:hellocli"), "Bob").returncode == 0
            BUILT.append(runmain_targets.build(Target.zipapp("hellocli")))

        def test_one_archive(runmain_targets):
            assert len(set(BUILT)) == 1
            assert len(list(runmain_targets.directory.glob("*/*.pyz"))) == 1
        """
    )

    project.runpytest_inprocess().assert_outcomes(passed=3)


def test_run_main_follows_the_runmain_marker(project: pytest.Pytester) -> None:
    project.makepyfile(
        test_marker="""
        import pytest
        from pytest_runmain import Target

        @pytest.mark.runmain("Ada")
        @pytest.mark.parametrize("target", Target.forms("hellocli"))
        def test_args_from_the_marker(run_main, target):
            assert run_main(target).stdout == "Hello, Ada!\\n"

        def test_a_failure_shows_the_run(run_main):
            assert run_main(Target.zipapp("hellocli")).returncode == 0
        """
    )

    result = project.runpytest_inprocess()

    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(
        ["*runmain run 1 of 1: python */hellocli.pyz*", "*a name is needed"]
    )


def test_ini_option_in_help(project: pytest.Pytester) -> None:
    result = project.runpytest_inprocess("--help")

    result.stdout.fnmatch_lines(["*runmain_targets (linelist):*"])
