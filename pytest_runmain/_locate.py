"""Find the code to run: a module name or a filesystem path -> a code object and its spec.

This is the lookup half of :mod:`runpy`, reproduced step by step because its observable
behaviour (which parents get imported, which errors are wrapped and with which text, when the
``RuntimeWarning`` fires, which side effects land in ``sys.path_importer_cache``) is the
contract. The error class is a parameter, as in runpy: :mod:`pytest_runmain.compat` raises
:class:`ImportError` like runpy does, the command-line emulation raises :class:`TargetError`.

Each statement that can raise into a traceback is written as runpy writes it, so that
:mod:`pytest_runmain._exit` can map the frames of a failed lookup onto runpy's own frames.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import codecs
import importlib.util
import io
import marshal
import os
import pkgutil
import re
import stat
import sys
import warnings
from dataclasses import dataclass
from importlib.machinery import ModuleSpec, SourceFileLoader, SourcelessFileLoader
from types import CodeType
from typing import Any, Final, final

from pytest_runmain._codecache import cached_code, file_key, loaders_as_they_are
from pytest_runmain._runpy_source import runpy_source

__all__ = [
    "MainScript",
    "ModuleCode",
    "TargetError",
    "command_line_abspath",
    "find_main_module_code",
    "find_module_code",
    "is_path_entry",
    "read_main_script",
    "read_script_code",
]

MAIN_NAME: Final = "__main__"
_PYC_HEADER_SIZE: Final = 16


class TargetError(ImportError):
    """The target of a run cannot be run: it does not exist or has no ``__main__``.

    Raised instead of running anything, before the program's own code starts. ``target``
    names what was asked for; ``str()`` says what was wrong and, where it can, what to do.
    """

    def __init__(self, message: str, target: str | None = None) -> None:
        super().__init__(message)
        self.target = target
        #: What the run printed before the lookup failed: a parent package's import (``-m
        #: pkg.mod`` imports ``pkg`` first, as the real command line does).
        self.stdout = ""
        self.stderr = ""

    def add_output(self, stdout: str, stderr: str) -> None:
        """Keep what the run printed, and show it after the message."""
        self.stdout, self.stderr = stdout, stderr
        shown = [
            f"{name} before the failure:\n" + "".join(f"    {line}\n" for line in text.splitlines())
            for name, text in (("stdout", stdout), ("stderr", stderr))
            if text
        ]
        if shown and self.args and isinstance(self.args[0], str):
            self.args = (f"{self.args[0]}\n{''.join(shown)}".rstrip("\n"), *self.args[1:])
            self.msg = self.args[0]


@final
@dataclass(frozen=True)
class ModuleCode:
    """A located module: the name it was found under, its spec and its code object."""

    #: The resolved module name: ``pkg.__main__`` for a package ``pkg``.
    name: str
    #: The module's spec, as ``importlib.util.find_spec`` returned it.
    spec: ModuleSpec
    #: The code object the loader gave.
    code: CodeType


def find_module_code(mod_name: str, error: type[Exception] = ImportError) -> ModuleCode:
    """Locate *mod_name* as ``python -m`` and ``runpy.run_module`` do.

    Dotted names import their parent package first (it stays imported); packages resolve to
    their ``__main__`` submodule. The target itself is never imported. Lookup failures raise
    *error* with runpy's exact text; exceptions raised by a parent's ``__init__`` propagate.
    """
    if mod_name.startswith("."):
        raise error("Relative module names not supported")
    pkg_name, _, _ = mod_name.rpartition(".")
    if pkg_name:
        try:
            __import__(pkg_name)
        except ImportError as e:
            # A missing parent or ancestor is reported by find_spec() below; any other
            # ImportError comes from the package's own code and must surface as is.
            if e.name is None or (e.name != pkg_name and not pkg_name.startswith(e.name + ".")):
                raise
        existing = sys.modules.get(mod_name)
        if existing is not None and not hasattr(existing, "__path__"):
            msg = (
                f"{mod_name!r} found in sys.modules after import of package {pkg_name!r}, "
                f"but prior to execution of {mod_name!r}; this may result in unpredictable "
                "behaviour"
            )
            _warn_as_runpy(msg)

    try:
        spec = importlib.util.find_spec(mod_name)
    except (ImportError, AttributeError, TypeError, ValueError) as ex:
        msg = "Error while finding module specification for {!r} ({}: {})"
        if mod_name.endswith(".py"):
            msg += f". Try using '{mod_name[:-3]}' instead of '{mod_name}' as the module name."
        raise error(msg.format(mod_name, type(ex).__name__, ex)) from ex
    if spec is None:
        raise error(f"No module named {mod_name}")
    if spec.submodule_search_locations is not None:
        if mod_name == MAIN_NAME or mod_name.endswith("." + MAIN_NAME):
            raise error("Cannot use package as __main__ module")
        try:
            pkg_main_name = mod_name + "." + MAIN_NAME
            return find_module_code(pkg_main_name, error)
        except error as e:
            if mod_name not in sys.modules:
                raise  # Nothing was imported: being a package is irrelevant.
            # runpy keeps the lookup error as __context__, not __cause__.
            raise error(f"{e}; {mod_name!r} is a package and cannot be directly executed")  # noqa: B904
    loader = spec.loader
    if loader is None:
        raise error(f"{mod_name!r} is a namespace package and cannot be executed")
    try:
        # runpy asks the loader itself: no stand-in of ours among the frames of its errors.
        with loaders_as_they_are():
            code = _kept_code(mod_name, spec)
            if code is None:
                code = loader.get_code(mod_name)  # type: ignore[attr-defined]
    except ImportError as e:
        raise error(format(e)) from e
    if code is None:
        raise error(f"No code object available for {mod_name}")
    return ModuleCode(mod_name, spec, code)


def _kept_code(mod_name: str, spec: ModuleSpec) -> CodeType | None:
    """The loader's code for *mod_name* if kept for the session (or kept now), else None."""
    loader: Any = spec.loader
    origin = spec.origin
    if type(loader) not in (SourceFileLoader, SourcelessFileLoader) or not origin:
        return None
    try:
        key = file_key(origin)
    except OSError:
        return None
    return cached_code(origin, key, lambda: loader.get_code(mod_name))


#: The ``__warningregistry__`` of the warnings issued in runpy's name.
_RUNPY_WARNING_REGISTRY: Final[dict[str | tuple[str, type[Warning], int], int]] = {}


def _warn_as_runpy(message: str) -> None:
    """Issue runpy's ``RuntimeWarning`` from where runpy issues it.

    Users silence it with ``-W ignore::RuntimeWarning:runpy``; that filter must match.
    """
    source = runpy_source()
    lineno = source.line_of("_get_module_details", "warn(RuntimeWarning(msg))") if source else None
    warnings.warn_explicit(
        RuntimeWarning(message),
        RuntimeWarning,
        source.filename if source else "runpy.py",
        lineno or 0,
        module="runpy",
        registry=_RUNPY_WARNING_REGISTRY,
    )


def find_main_module_code(error: type[Exception] = ImportError) -> ModuleCode:
    """Locate ``__main__`` on the whole ``sys.path``, as a directory or zip run does.

    ``sys.modules['__main__']`` is set aside during the lookup (a ``KeyError`` when it is
    absent, as in runpy) and always put back. An :class:`ImportError` mentioning
    ``__main__`` becomes *error* ``can't find '__main__' module in <sys.path[0]>``.
    """
    saved_main = sys.modules[MAIN_NAME]
    del sys.modules[MAIN_NAME]
    try:
        return find_module_code(MAIN_NAME)
    except ImportError as exc:
        if MAIN_NAME in str(exc):
            raise error(f"can't find {MAIN_NAME!r} module in {sys.path[0]!r}") from exc
        raise
    finally:
        sys.modules[MAIN_NAME] = saved_main


def is_path_entry(path_name: object) -> bool:
    """Whether *path_name* is a ``sys.path`` entry (a directory or zip file) or a script.

    Decided as runpy decides it, through ``pkgutil.get_importer``: that consults and fills
    ``sys.path_importer_cache`` and lets custom path hooks claim any path. Missing paths and
    everything no hook accepts are scripts.
    """
    key = _script_key(path_name)
    cache = sys.path_importer_cache
    if key is not None and _SCRIPTS.get(key[0]) == key and key[0] not in cache:
        return False  # refused before; get_importer leaves no entry in the cache for it
    importer = pkgutil.get_importer(path_name)  # type: ignore[arg-type]
    if importer is None:
        if key is not None and key[0] not in cache:
            if len(_SCRIPTS) >= _SCRIPTS_KEPT:
                _SCRIPTS.clear()
            _SCRIPTS[key[0]] = key
        return False
    # imp.NullImporter (Python < 3.12) marks a path as "not an entry"; compared by name so
    # as not to import the deprecated module.
    importer_type = type(importer)
    return not (importer_type.__module__ == "imp" and importer_type.__name__ == "NullImporter")


#: Paths every path hook refused (scripts), with what they were then: asking the hooks again
#: costs a zip reader's look at the file on each run.
_SCRIPTS: dict[str, tuple[str, tuple[int, ...]]] = {}
_SCRIPTS_KEPT: Final = 256


def _script_key(path_name: object) -> tuple[str, tuple[int, ...]] | None:
    """*path_name*, the file it is now and the path hooks that judge it; None if not a file."""
    if not isinstance(path_name, str):
        return None
    try:
        st = os.stat(path_name)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, *map(id, sys.path_hooks))
    return path_name, identity


def read_script_code(path_name: str | os.PathLike[str], filename: object) -> CodeType:
    """Read a script or compiled file at *path_name* as runpy does.

    A file starting with this interpreter's magic number is bytecode, whatever its suffix: the
    rest of the 16-byte header is skipped unchecked and the code unmarshalled. Anything else is
    compiled as source (encoding cookie and BOM honoured) under the name *filename*.
    """
    code_path = os.path.abspath(os.fsdecode(path_name))
    with io.open_code(code_path) as f:
        code = pkgutil.read_code(f)
    if code is None:
        with io.open_code(code_path) as f:
            code = compile(f.read(), filename, "exec", dont_inherit=True)  # type: ignore[call-overload]
    assert isinstance(code, CodeType)
    return code


@final
@dataclass(frozen=True)
class MainScript:
    """A script or compiled file as ``python PATH`` runs it in ``__main__``."""

    #: The absolute path: the script's ``__file__`` and the code's filename.
    path: str
    #: Whether the file is bytecode (by ``.pyc`` suffix or by magic number, as the C code tells).
    compiled: bool
    data: bytes

    @property
    def special_globals(self) -> dict[str, Any]:
        """What the interpreter adds to ``__main__`` before running the file."""
        loader_type = SourcelessFileLoader if self.compiled else SourceFileLoader
        return {
            "__loader__": loader_type(MAIN_NAME, self.path),
            "__file__": self.path,
            "__cached__": None,
        }

    def load_code(self) -> CodeType:
        """Compile or unmarshal the file; a ``SyntaxError`` here is the program's own error.

        Compiled once per session for the same bytes (see :mod:`pytest_runmain._codecache`).
        """
        code = cached_code(self.path, self.data, self._make_code)
        return code if code is not None else self._make_code()

    def _make_code(self) -> CodeType:
        if self.compiled:
            return _unmarshal_main_code(self.data)
        check_source_encoding(self.data, self.path)
        return compile(self.data, self.path, "exec", dont_inherit=True)


def _unmarshal_main_code(data: bytes) -> CodeType:
    """The code of a ``.pyc`` file, with the errors of the interpreter's ``run_pyc_file``.

    It reads the header's four 32-bit fields (a short one is an ``EOFError``), then one
    object: anything but a code object, unreadable data included, is a ``RuntimeError``.
    """
    if len(data) < _PYC_HEADER_SIZE:
        raise EOFError("EOF read where not expected")
    try:
        code = marshal.loads(data[_PYC_HEADER_SIZE:])
    except (EOFError, ValueError, TypeError):
        code = None
    if not isinstance(code, CodeType):
        raise RuntimeError("Bad code object in .pyc file")
    return code


#: PEP 263's encoding declaration, in one of the first two lines.
_CODING_COOKIE: Final = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.ASCII)
#: A first line that lets the declaration be on the second: blank or a comment.
_BLANK_OR_COMMENT: Final = re.compile(rb"^[ \t\f]*(?:[#\r\n]|$)", re.ASCII)
_PEP_263_URL: Final = (
    "https://python.org/dev/peps/pep-0263/"
    if sys.version_info < (3, 11)
    else "https://peps.python.org/pep-0263/"
)
#: 3.10's tokenizer names the line after the one with the undecodable byte.
_NON_UTF8_LINE_OFFSET: Final = 1 if sys.version_info < (3, 11) else 0


def check_source_encoding(data: bytes, path: str) -> None:
    """Raise the ``SyntaxError`` the interpreter's tokenizer gives a script it cannot decode.

    ``python PATH`` reads the file with the C tokenizer, whose errors differ from
    :func:`compile`'s: an undecodable byte without a declaration is "Non-UTF-8 code starting
    with ...", a declared encoding that is unknown or does not fit the bytes an "encoding
    problem". Neither has a location. A declared or BOM-marked UTF-8 is left to
    :func:`compile`, whose "(unicode error)" is the interpreter's too.
    """
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    first, _, rest = body.partition(b"\n")
    match = _CODING_COOKIE.match(first)
    if match is None and _BLANK_OR_COMMENT.match(first):
        match = _CODING_COOKIE.match(rest.partition(b"\n")[0])
    if match is not None:
        name = _normal_encoding_name(match.group(1).decode("ascii"))
        if name == "utf-8":
            return
        if bom:
            raise SyntaxError(f"encoding problem: {name} with BOM")
        try:
            body.decode(name)
        except (LookupError, UnicodeDecodeError):
            raise SyntaxError(f"encoding problem: {name}") from None
        return
    if bom:
        return
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body.count(b"\n", 0, exc.start) + 1 + _NON_UTF8_LINE_OFFSET
        raise SyntaxError(
            f"Non-UTF-8 code starting with '\\x{body[exc.start]:02x}' in file {path} on line "
            f"{line}, but no encoding declared; see {_PEP_263_URL} for details"
        ) from None


def _normal_encoding_name(name: str) -> str:
    """The tokenizer's ``get_normal_name``: UTF-8 and Latin-1 spellings made canonical."""
    spelling = name[:12].lower().replace("_", "-")
    if spelling == "utf-8" or spelling.startswith("utf-8-"):
        return "utf-8"
    if spelling in ("latin-1", "iso-8859-1", "iso-latin-1") or spelling.startswith(
        ("latin-1-", "iso-8859-1-", "iso-latin-1-")
    ):
        return "iso-8859-1"
    return name


def command_line_abspath(path: str) -> str:
    """*path* made absolute as the interpreter makes a command line's path: joined, not normalised.

    ``python ../bin/prog.py`` in ``/work`` gets ``__file__ == '/work/../bin/prog.py'``. From
    3.11 the interpreter's ``_Py_abspath`` answers a path of exactly ``.`` with the working
    directory itself, so ``python .`` gets ``sys.path[0] == '/work'``, not ``'/work/.'``.
    """
    if path == "." and _CWD_FOR_DOT:
        return os.getcwd()
    return path if os.path.isabs(path) else os.path.join(os.getcwd(), path)


#: Whether ``.`` alone is made absolute as the working directory (``_Py_abspath``, 3.11+).
_CWD_FOR_DOT: Final = sys.version_info >= (3, 11)


def read_main_script(path_name: str) -> MainScript:
    """Read the file *path_name* for ``python PATH``; raise :class:`TargetError` if it can't run.

    Missing or unreadable files, bytecode of another Python version and binary files (NUL
    bytes) are target errors: the real interpreter refuses them too, before any code runs.
    """
    path = command_line_abspath(path_name)
    try:
        with io.open_code(path) as f:
            data = f.read()
    except OSError as exc:
        raise TargetError(
            f"cannot run {path_name!r}: can't open file {path!r}: "
            f"[Errno {exc.errno}] {exc.strerror}",
            path_name,
        ) from exc
    magic = importlib.util.MAGIC_NUMBER
    compiled = path.endswith(".pyc") or data[:2] == magic[:2]
    if compiled and data[:4] != magic:
        raise TargetError(
            f"cannot run {path_name!r}: bad magic number in .pyc file; it was compiled by "
            f"another Python version (this is {sys.version.split()[0]}): compile it again "
            "with this interpreter or run its source",
            path_name,
        )
    if not compiled and b"\0" in data:
        raise TargetError(
            f"cannot run {path_name!r}: it is not a Python source file (it contains NUL "
            "bytes) nor bytecode of this Python version",
            path_name,
        )
    return MainScript(path, compiled, data)
