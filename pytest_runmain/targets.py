"""Targets: the forms a program ships in, and building them on first use.

A :class:`Target` names one way to start a program: ``python -m pkg``, ``python script.py``,
the script copied without its ``.py`` suffix or compiled to a ``.pyc``, the package laid out as
a directory with a ``__main__.py``, or built into a zipapp (with or without a shebang line, or
holding only ``.pyc`` files). ``run_main(target, *args, **options)`` runs any of them in-process
as ``run_module`` / ``run_path`` would run the command, so one test can check every form.

Forms that need building are built with the standard library only (:mod:`shutil`,
:mod:`py_compile`, :mod:`zipapp`), from the package the import system finds (it is never
imported) or from the source file, into the session's temporary directory, once per session:
see :class:`TargetBuilder`. Under pytest-xdist each worker builds into its own temporary
directory. What differs between forms (the source each takes, its id and repr, how it is built
and run) is one row of data per form, ``_FORM_SPECS``.

This module is the library and does not import pytest: the ``runmain_targets`` ini option, the
parametrization over the forms it declares, and the ``run_main``, ``runmain_target`` and
``runmain_targets`` fixtures are glue, in :mod:`pytest_runmain.plugin`.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
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
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Final, Literal, Protocol, final, get_args

from pytest_runmain._entry_points import is_valid_spelling
from pytest_runmain._locate import TargetError
from pytest_runmain._options import OptionError, RunOptions, Unpack
from pytest_runmain.result import RunResult
from pytest_runmain.runner import Runner, StrPath

__all__ = [
    "FORMS",
    "Form",
    "RunMain",
    "Target",
    "TargetBuilder",
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
    "console-script",
]
#: Every form, as spelled in ``str(target)`` and in the ``runmain_targets`` ini option.
FORMS: Final[tuple[Form, ...]] = get_args(Form)
# What each form is and does is its row of _FORM_SPECS, after the TargetBuilder that builds it.

#: The interpreter line of the zipapps built with a shebang.
SHEBANG_INTERPRETER: Final = "/usr/bin/env python3"

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
        spec = _SPEC_OF.get(self.form) if isinstance(self.form, str) else None
        if spec is None:
            raise ValueError(f"unknown target form {self.form!r} (forms: {', '.join(FORMS)})")
        if not isinstance(self.source, str):
            raise TypeError(
                f"the source of a {self.form} target must be a str, not "
                f"{type(self.source).__name__}: {self.source!r}"
            )
        if not self.source:
            raise ValueError(f"a {self.form} target needs a non-empty name or path")
        if not spec.source.accepts(self.source):
            raise ValueError(spec.source.error.format(form=self.form, source=self.source))

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
        return Target(_ZIPAPP_FORMS[bool(shebang), bool(compiled)], package)

    @staticmethod
    def path(path: StrPath) -> Target:
        """``python path`` for an existing script, ``.pyc``, directory or zip, run as it is."""
        return Target("path", os.fspath(path))

    @staticmethod
    def console_script(name: str) -> Target:
        """The console script *name*, as ``run_console_script`` runs it.

        *name* is the name of an installed ``console_scripts`` entry point, or an entry-point
        value (``"pkg.cli:main"``, or ``"tool = pkg.cli:main"``).
        """
        return Target("console-script", name)

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
        return f"{self.form}-{_SPEC_OF[self.form].id_name(self.source)}"

    @property
    def is_package_form(self) -> bool:
        """Whether the target is built from a package: a directory or a zipapp."""
        return _SPEC_OF[self.form].from_package

    def __str__(self) -> str:
        return f"{self.form}:{self.source}"

    def __repr__(self) -> str:
        return _SPEC_OF[self.form].call.format(source=self.source)


# --- the forms, as data ---------------------------------------------------------------------


@final
@dataclass(frozen=True, slots=True)
class _SourceRule:
    """What the source of a form must be, and the error that says so when it is not."""

    #: Whether *source* (a non-empty str) is acceptable.
    accepts: Callable[[str], bool]
    #: The ``ValueError`` message for a refused source: ``{form}`` and ``{source!r}`` filled in.
    error: str = ""


_DOTTED_NAME: Final = _SourceRule(
    lambda source: all(part.isidentifier() for part in source.split(".")),
    "{form} target {source!r} is not a dotted module name",
)
#: Directories and zipapps copy a top-level package or module found through the import system.
_TOP_LEVEL_NAME: Final = _SourceRule(
    str.isidentifier,
    "{form} target {source!r}: directory and zipapp targets are built from a top-level package "
    "or module; give its name, e.g. 'pkg'",
)
_ANY_PATH: Final = _SourceRule(lambda source: True)
_SCRIPT_NAME: Final = _SourceRule(
    is_valid_spelling,
    "{form} target {source!r} is neither a console script's name nor an entry-point value "
    "('package.module:function')",
)


def _as_given(source: str) -> str:
    return source


def _file_name(source: str) -> str:
    return os.path.basename(source.rstrip("/")) or source


def _file_name_without_py(source: str) -> str:
    return _without_py(_file_name(source))


def _pyc_name(source: str) -> str:
    return _without_py(_file_name(source)) + ".pyc"


def _without_py(name: str) -> str:
    return name[: -len(".py")] if name.endswith(".py") else name


@final
@dataclass(frozen=True, slots=True)
class _FormSpec:
    """One form, described: a row of :data:`_FORM_SPECS`.

    Everything that differs between forms is here, so that checking, naming, building and
    running a target read its row instead of comparing form names; a new form is a new row.
    """

    #: The form the row describes, one of :data:`FORMS`.
    form: Form
    #: What its source must be.
    source: _SourceRule
    #: The name its :attr:`Target.id` shows after the form, from the source.
    id_name: Callable[[str], str]
    #: Its ``repr``: the constructor call that makes it, with ``{source!r}`` for the source.
    call: str
    #: Builds it, called as ``build(builder, target)``; ``None`` for a form run by name, which
    #: has nothing to build.
    build: Callable[[TargetBuilder, Target], Path] | None
    #: How a form run by name runs: ``Runner.run_module`` or ``Runner.run_console_script``,
    #: called with the runner and the source; ``Runner.run_path`` of the built path otherwise.
    run_by_name: Callable[..., RunResult] = Runner.run_module
    #: Whether it is built from a package (or single-module program) the import system finds.
    from_package: bool = False
    #: Zipapps: whether the archive starts with a ``#!`` line (:data:`SHEBANG_INTERPRETER`).
    shebang: bool = False
    #: Zipapps: whether the archive holds ``.pyc`` files only.
    pyc_only: bool = False


class RunMain(Protocol):
    """The type of the ``run_main`` fixture, for annotating tests."""

    def __call__(
        self, target: Target, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult: ...


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
        build = _SPEC_OF[target.form].build
        if build is None:
            raise ValueError(
                f"{target}: a {target.form} target runs by name; it has no file to build"
            )
        built = self._built.get(target)
        if built is None:
            try:
                built = build(self, target)
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

    def run(
        self, runner: Runner, target: Target, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult:
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
        spec = _SPEC_OF[target.form]
        if spec.build is None:
            return spec.run_by_name(runner, target.source, *args, **options)
        path = self.build(target)
        if not spec.from_package:
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

    def _existing_path(self, target: Target) -> Path:
        """A path target: run as it is, once it exists."""
        path = self.resolve(target)
        if not path.exists():
            raise TargetError(f"{target}: {str(path)!r} does not exist{_hint(target)}", str(target))
        return path

    def _source_file(self, target: Target) -> Path:
        """A script target: run as it is, once it is a file; the source of the other scripts."""
        source = self.resolve(target)
        if not source.is_file():
            raise TargetError(f"{target}: no file {str(source)!r}{_hint(target)}", str(target))
        return source

    def _copy_without_py(self, target: Target) -> Path:
        source = self._source_file(target)
        copy = self._new_dir(target) / _without_py(source.name)
        shutil.copy2(source, copy)
        return copy

    def _compiled(self, target: Target) -> Path:
        source = self._source_file(target)
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

    def _zipapp(self, target: Target) -> Path:
        """The package's app directory archived, as its row says (shebang, ``.pyc`` only)."""
        spec = _SPEC_OF[target.form]
        app = self._app(target)
        archive = self._new_dir(target) / f"{target.source}.pyz"
        source = app
        if spec.pyc_only:
            source = archive.parent / "pyc-only"
            _compile_tree(app, source, archive)
        zipapp.create_archive(
            source,
            archive,
            interpreter=SHEBANG_INTERPRETER if spec.shebang else None,
            filter=_archived_compiled if spec.pyc_only else _archived_source,
        )
        if spec.pyc_only:
            shutil.rmtree(source)
        return archive


def _zipapp_spec(form: Form, *, shebang: bool = False, pyc_only: bool = False) -> _FormSpec:
    """A zipapp's row: its repr's keywords are its flags, as ``Target.zipapp`` takes them."""
    flags = [
        f"{name}=True" for name, value in (("shebang", shebang), ("compiled", pyc_only)) if value
    ]
    return _FormSpec(
        form=form,
        source=_TOP_LEVEL_NAME,
        id_name=_as_given,
        call="Target.zipapp(" + ", ".join(["{source!r}", *flags]) + ")",
        build=TargetBuilder._zipapp,
        from_package=True,
        shebang=shebang,
        pyc_only=pyc_only,
    )


#: Every form's row, in the order of :data:`FORMS` (a test checks that they agree).
_FORM_SPECS: Final[tuple[_FormSpec, ...]] = (
    _FormSpec(
        form="module",
        source=_DOTTED_NAME,
        id_name=_as_given,
        call="Target.module({source!r})",
        build=None,
    ),
    _FormSpec(
        form="script",
        source=_ANY_PATH,
        id_name=_file_name,
        call="Target.script({source!r})",
        build=TargetBuilder._source_file,
    ),
    _FormSpec(
        form="script-nosuffix",
        source=_ANY_PATH,
        id_name=_file_name_without_py,
        call="Target.script({source!r}, suffix=False)",
        build=TargetBuilder._copy_without_py,
    ),
    _FormSpec(
        form="compiled",
        source=_ANY_PATH,
        id_name=_pyc_name,
        call="Target.compiled({source!r})",
        build=TargetBuilder._compiled,
    ),
    _FormSpec(
        form="directory",
        source=_TOP_LEVEL_NAME,
        id_name=_as_given,
        call="Target.directory({source!r})",
        build=TargetBuilder._app,
        from_package=True,
    ),
    _zipapp_spec("zipapp"),
    _zipapp_spec("zipapp-shebang", shebang=True),
    _zipapp_spec("zipapp-compiled", pyc_only=True),
    _zipapp_spec("zipapp-shebang-compiled", shebang=True, pyc_only=True),
    _FormSpec(
        form="path",
        source=_ANY_PATH,
        id_name=_file_name,
        call="Target.path({source!r})",
        build=TargetBuilder._existing_path,
    ),
    _FormSpec(
        form="console-script",
        source=_SCRIPT_NAME,
        id_name=_as_given,
        call="Target.console_script({source!r})",
        build=None,
        run_by_name=Runner.run_console_script,
    ),
)
_SPEC_OF: Final[dict[str, _FormSpec]] = {spec.form: spec for spec in _FORM_SPECS}
#: The zipapp form of each ``Target.zipapp(shebang=..., compiled=...)``.
_ZIPAPP_FORMS: Final[dict[tuple[bool, bool], Form]] = {
    (spec.shebang, spec.pyc_only): spec.form
    for spec in _FORM_SPECS
    if spec.build is TargetBuilder._zipapp
}


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
