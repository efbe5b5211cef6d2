"""Targets: the forms a program ships in, built on first use, and the fixtures that run them.

A :class:`Target` names one way to start a program: ``python -m pkg``, ``python script.py``,
the script copied without its ``.py`` suffix or compiled to a ``.pyc``, the package laid out as
a directory with a ``__main__.py``, or built into a zipapp (with or without a shebang line, or
holding only ``.pyc`` files). ``run_main(target, *args, **options)`` runs any of them in-process
as ``run_module`` / ``run_path`` would run the command, so one test can check every form.

Forms that need building are built with the standard library only (:mod:`shutil`,
:mod:`py_compile`, :mod:`zipapp`), from the package the import system finds (it is never
imported) or from the source file, into the session's temporary directory, once per session:
see :class:`TargetBuilder`, the ``runmain_targets`` fixture. Under pytest-xdist each worker
builds into its own temporary directory. The ``runmain_targets`` ini option declares the forms
once: a test that asks for the ``runmain_target`` fixture runs once per declared form.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import py_compile
import shutil
import sys
import tempfile
import zipapp
from collections.abc import Generator, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Literal, Protocol, final, get_args

import pytest

from pytest_runmain._locate import TargetError
from pytest_runmain._options import OptionError
from pytest_runmain.result import RunResult
from pytest_runmain.runner import Runner, StrPath

__all__ = [
    "FORMS",
    "Form",
    "RunMain",
    "Target",
    "TargetBuilder",
    "add_options",
    "pytest_generate_tests",
    "pytest_make_parametrize_id",
    "pytest_sessionstart",
    "run_main",
    "runmain_target",
    "runmain_targets",
]

Form = Literal[
    "module",
    "script",
    "script-nosuffix",
    "compiled",
    "directory",
    "zipapp",
    "zipapp-shebang",
    "zipapp-compiled",
    "zipapp-shebang-compiled",
    "path",
]
#: Every form, as spelled in ``str(target)`` and in the ``runmain_targets`` ini option.
FORMS: Final[tuple[Form, ...]] = get_args(Form)
#: Forms built from a package (or a single-module program) found through the import system.
_PACKAGE_FORMS: Final = frozenset(
    {"directory", "zipapp", "zipapp-shebang", "zipapp-compiled", "zipapp-shebang-compiled"}
)

#: The interpreter line of the zipapps built with a shebang.
SHEBANG_INTERPRETER: Final = "/usr/bin/env python3"
INI_OPTION: Final = "runmain_targets"
TARGET_FIXTURE: Final = "runmain_target"

#: The ``__main__.py`` of a built directory or zipapp: ``python -m NAME`` from inside it, as
#: real zipapps of packages do (``runpy`` and ``sys.argv[0]`` as ``-m`` sets them).
_LAUNCHER: Final = """\
# Written by pytest-runmain for {target}: runs {name!r} as `python -m {name}` does.
import runpy

runpy.run_module({name!r}, run_name="__main__", alter_sys=True)
"""
_NOT_COPIED: Final = ("__pycache__", "*.pyc", "*.pyo")


@final
@dataclass(frozen=True, slots=True, repr=False)
class Target:
    """One form of a program to run: ``Target.module("pkg")``, ``Target.zipapp("pkg")``...

    Immutable and hashable, so the same target is built once per session whatever test
    names it. ``str(target)`` is its ``FORM:SOURCE`` spelling, as in the ``runmain_targets``
    ini option (:meth:`parse` reads it back); :attr:`id` is the short form used in test ids
    (``zipapp-shebang-greeter``, ``script-report.py``).

    Relative paths are taken from the rootdir of the session, not from the working directory.
    Directory and zipapp targets run through a generated ``__main__.py`` that runs the package
    as ``python -m`` does, like a real zipapp of a package: ``result.globals`` of such a run
    are that launcher's globals, not those of the package's ``__main__`` (use a module target
    to inspect those).
    """

    #: How the program is started; one of :data:`FORMS`.
    form: Form
    #: The module or package name, or the path as given.
    source: str

    def __post_init__(self) -> None:
        if self.form not in FORMS:
            raise ValueError(f"unknown target form {self.form!r} (forms: {', '.join(FORMS)})")
        if not isinstance(self.source, str):
            raise TypeError(
                f"the source of a {self.form} target must be a str, not "
                f"{type(self.source).__name__}: {self.source!r}"
            )
        if not self.source:
            raise ValueError(f"a {self.form} target needs a non-empty name or path")
        if self.form == "module" and not all(p.isidentifier() for p in self.source.split(".")):
            raise ValueError(f"module target {self.source!r} is not a dotted module name")
        if self.form in _PACKAGE_FORMS and not self.source.isidentifier():
            raise ValueError(
                f"{self.form} target {self.source!r}: directory and zipapp targets are built "
                "from a top-level package or module; give its name, e.g. 'pkg'"
            )

    # --- constructors -------------------------------------------------------------------------

    @staticmethod
    def module(name: str) -> Target:
        """``python -m name``: a module, or a package with a ``__main__`` submodule."""
        return Target("module", name)

    @staticmethod
    def script(path: StrPath, *, suffix: bool = True) -> Target:
        """``python path``; with ``suffix=False``, a copy of the script without ``.py``.

        The copy is in a temporary directory: that directory is the run's ``sys.path[0]``,
        so modules next to the original script are not importable from it (as for a script
        installed into a ``bin`` directory).
        """
        return Target("script" if suffix else "script-nosuffix", os.fspath(path))

    @staticmethod
    def compiled(path: StrPath) -> Target:
        """``python file.pyc``: the source file *path* compiled by this interpreter."""
        return Target("compiled", os.fspath(path))

    @staticmethod
    def directory(package: str) -> Target:
        """``python dir``: a directory holding a copy of *package* and a ``__main__.py``.

        The directory is what a zipapp is built from: the archive's content, unzipped.
        """
        return Target("directory", package)

    @staticmethod
    def zipapp(package: str, *, shebang: bool = False, compiled: bool = False) -> Target:
        """``python package.pyz``: *package* built into a zipapp with :mod:`zipapp`.

        With *shebang*, the archive starts with ``#!/usr/bin/env python3``; with *compiled*,
        it holds only ``.pyc`` files, compiled by this interpreter, in the legacy layout
        that :mod:`zipimport` reads (``mod.pyc`` where ``mod.py`` would be).
        """
        form = "zipapp" + ("-shebang" if shebang else "") + ("-compiled" if compiled else "")
        return Target(form, package)  # type: ignore[arg-type]

    @staticmethod
    def path(path: StrPath) -> Target:
        """``python path`` for an existing script, ``.pyc``, directory or zip, run as it is."""
        return Target("path", os.fspath(path))

    @staticmethod
    def forms(package: str | None = None, *, script: StrPath | None = None) -> list[Target]:
        """Every form of a program, in a stable order, for ``@pytest.mark.parametrize``.

        For *package*: the module, the directory, the zipapp, the zipapp with a shebang and
        the compiled zipapp. For *script* (the same program as a standalone script): the
        script, its copy without ``.py`` and its compiled ``.pyc``.
        """
        if package is None and script is None:
            raise TypeError("Target.forms() needs a package name, a script path, or both")
        targets = []
        if package is not None:
            targets += [
                Target.module(package),
                Target.directory(package),
                Target.zipapp(package),
                Target.zipapp(package, shebang=True),
                Target.zipapp(package, compiled=True),
            ]
        if script is not None:
            targets += [
                Target.script(script),
                Target.script(script, suffix=False),
                Target.compiled(script),
            ]
        return targets

    @staticmethod
    def parse(text: str) -> Target:
        """The target spelled ``FORM:SOURCE``, as ``str()`` writes it: ``"zipapp:greeter"``."""
        form, sep, source = text.strip().partition(":")
        if not sep:
            raise ValueError(
                f"expected FORM:NAME or FORM:PATH (e.g. module:pkg, script:scripts/tool.py), "
                f"got {text!r}"
            )
        return Target(form.strip(), source.strip())  # type: ignore[arg-type]

    # --- how it reads -------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """A short name for test ids: the form and the package or file name."""
        name = self.source if self.form == "module" or self.is_package_form else _basename(self)
        if self.form == "script-nosuffix":
            name = _without_py(name)
        elif self.form == "compiled":
            name = _without_py(name) + ".pyc"
        return f"{self.form}-{name}"

    @property
    def is_package_form(self) -> bool:
        """Whether the target is built from a package: a directory or a zipapp."""
        return self.form in _PACKAGE_FORMS

    def __str__(self) -> str:
        return f"{self.form}:{self.source}"

    def __repr__(self) -> str:
        form = self.form
        if form.startswith("zipapp"):
            flags = [f"{flag}=True" for flag in ("shebang", "compiled") if f"-{flag}" in form]
            return f"Target.zipapp({', '.join([repr(self.source), *flags])})"
        if form == "script-nosuffix":
            return f"Target.script({self.source!r}, suffix=False)"
        return f"Target.{form}({self.source!r})"


def _basename(target: Target) -> str:
    return os.path.basename(target.source.rstrip("/")) or target.source


def _without_py(name: str) -> str:
    return name[: -len(".py")] if name.endswith(".py") else name


class RunMain(Protocol):
    """The type of the ``run_main`` fixture, for annotating tests."""

    def __call__(self, target: Target, /, *args: StrPath, **options: Any) -> RunResult: ...


@final
class TargetBuilder:
    """Builds targets into *directory*, each once, and runs them with a :class:`Runner`.

    Relative target paths are taken from *root*. Directory and zipapp targets copy the
    package that :func:`importlib.util.find_spec` finds, without importing it (caches and
    ``.pyc`` files left out); compiled targets are compiled explicitly to named files, so
    ``PYTHONDONTWRITEBYTECODE`` does not matter. Nothing is written outside *directory*.
    """

    def __init__(self, directory: StrPath, *, root: StrPath) -> None:
        #: Where the built targets go, each in its own subdirectory.
        self.directory = Path(directory)
        #: The directory relative target paths start from (the rootdir under pytest).
        self.root = Path(root)
        self._built: dict[Target, Path] = {}
        self._apps: dict[str, Path] = {}

    def build(self, target: Target) -> Path:
        """The file or directory to run for *target*, built on the first call.

        Scripts and existing paths are only checked. Raises :class:`TargetError` when the
        target does not exist, has no ``__main__`` or cannot be built.
        """
        if not isinstance(target, Target):
            raise TypeError(f"expected a Target, got {type(target).__name__}: {target!r}")
        if target.form == "module":
            raise ValueError(f"{target}: a module target runs by name; it has no file to build")
        built = self._built.get(target)
        if built is None:
            try:
                built = self._build(target)
            except py_compile.PyCompileError as exc:
                raise TargetError(
                    f"cannot build {target}: compiling {exc.file!r} failed: "
                    f"{exc.exc_type_name}: {exc.exc_value}",
                    str(target),
                ) from exc
            except (OSError, zipapp.ZipAppError) as exc:
                raise TargetError(f"cannot build {target}: {exc}", str(target)) from exc
            self._built[target] = built
        return built

    def run(self, runner: Runner, target: Target, /, *args: StrPath, **options: Any) -> RunResult:
        """Run *target* with *runner*: ``run_module`` for a module, ``run_path`` for the rest.

        *args* and *options* are those of ``run_module`` / ``run_path``. While a directory or
        zipapp runs, the package's modules already imported in this process are set aside,
        so that the run imports the copy inside the target, as a new process would.
        """
        __tracebackhide__ = True
        if not isinstance(target, Target):
            raise OptionError(
                f"run_main needs a Target (Target.module('pkg'), Target.parse('zipapp:pkg'), "
                f"...), got {type(target).__name__}: {target!r}"
            )
        if target.form == "module":
            return runner.run_module(target.source, *args, **options)
        path = self.build(target)
        if not target.is_package_form:
            return runner.run_path(path, *args, **options)
        with _modules_set_aside(target.source):
            return runner.run_path(path, *args, **options)

    def resolve(self, target: Target) -> Path:
        """The path of a script or path target, relative ones taken from :attr:`root`."""
        path = Path(target.source)
        return path if path.is_absolute() else self.root / path

    # --- building -----------------------------------------------------------------------------

    def _new_dir(self, target: Target) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f"{target.id}-", dir=self.directory))

    def _build(self, target: Target) -> Path:
        if target.is_package_form:
            app = self._app(target)
            if target.form == "directory":
                return app
            return self._zipapp(target, app)
        source = self.resolve(target)
        if target.form == "path":
            if not source.exists():
                raise TargetError(
                    f"{target}: {str(source)!r} does not exist{_hint(target)}", str(target)
                )
            return source
        if not source.is_file():
            raise TargetError(f"{target}: no file {str(source)!r}{_hint(target)}", str(target))
        if target.form == "script":
            return source
        if target.form == "script-nosuffix":
            copy = self._new_dir(target) / _without_py(source.name)
            shutil.copy2(source, copy)
            return copy
        compiled = self._new_dir(target) / (_without_py(source.name) + ".pyc")
        _compile(source, compiled, str(source))
        return compiled

    def _app(self, target: Target) -> Path:
        """The directory a package's zipapps are made of: the package and ``__main__.py``."""
        name = target.source
        app = self._apps.get(name)
        if app is not None:
            return app
        program, is_package = _find_program(name, target)
        app = self._new_dir(Target.directory(name)) / name
        if is_package:
            shutil.copytree(program, app / name, ignore=shutil.ignore_patterns(*_NOT_COPIED))
        else:
            app.mkdir()
            shutil.copy2(program, app / f"{name}.py")
        launcher = _LAUNCHER.format(target=Target.directory(name), name=name)
        (app / "__main__.py").write_text(launcher, encoding="utf-8")
        self._apps[name] = app
        return app

    def _zipapp(self, target: Target, app: Path) -> Path:
        archive = self._new_dir(target) / f"{target.source}.pyz"
        compiled = target.form.endswith("-compiled")
        source = app
        if compiled:
            source = archive.parent / "pyc-only"
            _compile_tree(app, source, archive)
        zipapp.create_archive(
            source,
            archive,
            interpreter=SHEBANG_INTERPRETER if "-shebang" in target.form else None,
            filter=_archived_compiled if compiled else _archived_source,
        )
        if compiled:
            shutil.rmtree(source)
        return archive


def _hint(target: Target) -> str:
    if os.path.isabs(target.source):
        return ""
    return " (relative paths are taken from the rootdir); check the path"


def _find_program(name: str, target: Target) -> tuple[Path, bool]:
    """The package directory (True) or module file (False) *name* is imported from."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as exc:
        raise TargetError(
            f"cannot build {target}: finding {name!r} failed: {exc}", str(target)
        ) from exc
    if spec is None:
        raise TargetError(
            f"cannot build {target}: no module named {name!r} is importable; install the "
            "package, or put its parent directory on sys.path (e.g. the pythonpath ini option)",
            str(target),
        )
    locations = spec.submodule_search_locations
    if locations is not None:
        paths = list(locations)
        if spec.origin is None or len(paths) != 1:
            raise TargetError(
                f"cannot build {target}: {name!r} is a namespace package (no __init__.py, in "
                f"{', '.join(map(repr, paths))}); add an __init__.py to build it",
                str(target),
            )
        package = Path(paths[0])
        if not package.is_dir():
            raise TargetError(
                f"cannot build {target}: package {name!r} is not a directory on disk "
                f"({str(package)!r}); install it unpacked to build it",
                str(target),
            )
        if not (package / "__main__.py").is_file():
            raise TargetError(
                f"cannot build {target}: package {name!r} has no __main__ module (no "
                f"{str(package / '__main__.py')!r}); add one, so that python -m {name} runs",
                str(target),
            )
        return package, True
    origin = spec.origin
    if not origin or not origin.endswith(".py") or not os.path.isfile(origin):
        raise TargetError(
            f"cannot build {target}: {name!r} is not Python source on disk (origin: "
            f"{origin!r}); only a package or a .py module can be built",
            str(target),
        )
    return Path(origin), False


def _compile(source: Path, cfile: Path, dfile: str) -> None:
    """Compile *source* to *cfile* for this interpreter; *dfile* is the name tracebacks show."""
    py_compile.compile(
        str(source),
        cfile=str(cfile),
        dfile=dfile,
        doraise=True,
        invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
    )


def _compile_tree(source: Path, dest: Path, archive: Path) -> None:
    """*source* copied to *dest* with each ``.py`` compiled to a ``.pyc`` beside it.

    The code objects are named after the file's place in *archive*, as a source zipapp's are.
    ``__main__.py`` is kept, for :func:`zipapp.create_archive`, and left out of the archive.
    """
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if "__pycache__" in relative.parts or path.is_dir():
            continue
        out = dest / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            _compile(path, out.with_suffix(".pyc"), os.path.join(archive, relative))
        if path.suffix not in (".pyc", ".pyo"):
            shutil.copy2(path, out)


def _archived_source(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo")


def _archived_compiled(path: Path) -> bool:
    return "__pycache__" not in path.parts and path.suffix not in (".py", ".pyo")


@contextlib.contextmanager
def _modules_set_aside(name: str) -> Generator[None, None, None]:
    """Take *name* and its submodules out of ``sys.modules``; put them back afterwards."""
    ours = [n for n in sys.modules if n == name or n.startswith(name + ".")]
    saved: dict[str, ModuleType] = {n: sys.modules.pop(n) for n in ours}
    try:
        yield
    finally:
        for n in [n for n in sys.modules if n == name or n.startswith(name + ".")]:
            del sys.modules[n]
        sys.modules.update(saved)


# --- pytest: options, hooks, fixtures -------------------------------------------------------

_declared_key = pytest.StashKey[list[Target]]()


def add_options(parser: pytest.Parser) -> None:
    """Register the ``runmain_targets`` ini option (called by the plugin's pytest_addoption)."""
    parser.addini(
        INI_OPTION,
        type="linelist",
        default=[],
        help="Forms the tests using the runmain_target fixture run over, one FORM:NAME per "
        "line (module:pkg, zipapp:pkg, script:PATH, ...; paths relative to the rootdir)",
    )


def parse_targets(lines: Iterable[str], where: str = INI_OPTION) -> list[Target]:
    """The targets spelled in *lines*; a bad or repeated line is a :class:`pytest.UsageError`."""
    targets: list[Target] = []
    for number, line in enumerate(lines, start=1):
        try:
            target = Target.parse(line)
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(f"{where}: line {number}, {line!r}: {exc}") from None
        if target in targets:
            raise pytest.UsageError(f"{where}: line {number}, {line!r}: {target} is listed twice")
        targets.append(target)
    return targets


def declared_targets(config: pytest.Config) -> list[Target]:
    """The targets of the ``runmain_targets`` ini option, read once per session."""
    targets = config.stash.get(_declared_key, None)
    if targets is None:
        targets = parse_targets(config.getini(INI_OPTION))
        config.stash[_declared_key] = targets
    return targets


def pytest_sessionstart(session: pytest.Session) -> None:
    """Check the ``runmain_targets`` ini option before collecting: a bad line stops pytest."""
    declared_targets(session.config)


def _parametrizes(mark: pytest.Mark, name: str) -> bool:
    argnames = mark.args[0] if mark.args else mark.kwargs.get("argnames", ())
    if isinstance(argnames, str):
        argnames = [part.strip() for part in argnames.split(",")]
    return name in argnames


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that uses ``runmain_target`` once per target of ``runmain_targets``.

    A test that parametrizes ``runmain_target`` itself keeps its own parameters.
    """
    if TARGET_FIXTURE not in metafunc.fixturenames:
        return
    marks = metafunc.definition.iter_markers("parametrize")
    if any(_parametrizes(mark, TARGET_FIXTURE) for mark in marks):
        return
    targets = declared_targets(metafunc.config)
    if targets:
        ids = [target.id for target in targets]
        metafunc.parametrize(TARGET_FIXTURE, targets, indirect=True, ids=ids)


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Test ids of parameters that are targets: ``test_version[zipapp-greeter]``."""
    return val.id if isinstance(val, Target) else None


@pytest.fixture(scope="session")
def runmain_targets(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> TargetBuilder:
    """The session's :class:`~pytest_runmain.targets.TargetBuilder`: builds each target once.

    Builds go to a directory of the session's temporary directory (one per pytest-xdist
    worker); relative target paths are taken from the rootdir.
    """
    return TargetBuilder(tmp_path_factory.mktemp("runmain-targets"), root=pytestconfig.rootpath)


@pytest.fixture
def run_main(runmain_runner: Runner, runmain_targets: TargetBuilder) -> RunMain:
    """Run a :class:`~pytest_runmain.Target` in-process and return its ``RunResult``.

    ``run_main(Target.zipapp("pkg"), "--flag", env={...})``: the program's arguments and the
    keyword options of ``run_module`` / ``run_path``, configured the same way (markers, ini
    and command-line options). Built targets are built at their first use in the session.
    """

    def run(target: Target, /, *args: StrPath, **options: Any) -> RunResult:
        __tracebackhide__ = True
        return runmain_targets.run(runmain_runner, target, *args, **options)

    return run


@pytest.fixture
def runmain_target(request: pytest.FixtureRequest) -> Target:
    """One target of the ``runmain_targets`` ini option: the test runs once per target.

    Also accepts ``@pytest.mark.parametrize("runmain_target", [...], indirect=True)`` with
    targets or their ``FORM:SOURCE`` spellings.
    """
    param: object = getattr(request, "param", None)
    if isinstance(param, Target):
        return param
    if isinstance(param, str):
        try:
            return Target.parse(param)
        except ValueError as exc:
            pytest.fail(f"{request.node.nodeid}: runmain_target {param!r}: {exc}", pytrace=False)
    if param is None:
        pytest.fail(
            f"{request.node.nodeid} uses the {TARGET_FIXTURE} fixture, but the {INI_OPTION} ini "
            "option declares no target: list the forms to run there, one per line "
            "(module:pkg, zipapp:pkg, script:scripts/tool.py, ...)",
            pytrace=False,
        )
    pytest.fail(
        f"{request.node.nodeid}: runmain_target must be a Target or a FORM:SOURCE string, "
        f"not {type(param).__name__}: {param!r}",
        pytrace=False,
    )
