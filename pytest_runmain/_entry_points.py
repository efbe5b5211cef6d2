"""Console scripts: an entry point's name or value -> the launcher that starts it.

An installer turns each ``console_scripts`` and ``gui_scripts`` entry point of a distribution
(``[project.scripts] tool = "pkg.cli:main"``) into a launcher on ``PATH``, a small script that
imports the module normally (not as ``__main__``), calls the function and gives its return
value to ``sys.exit()``; pip's (distlib's) template is::

    import re
    import sys
    from pkg.cli import main
    if __name__ == '__main__':
        sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
        sys.exit(main())

:func:`find_console_script` finds what a run of a console script runs: the entry point by name
through :mod:`importlib.metadata` (the distributions on ``sys.path``), or a value written as in
``[project.scripts]``, which needs nothing installed; then the launcher the installer wrote,
when there is one: the file the distribution recorded, or the one ``PATH`` finds. A run with a
launcher runs that file as ``python LAUNCHER`` does (in-process) or starts it (in a
subprocess), so it is what a shell runs. Without one, it runs an equivalent launcher given to
``python -c``, with ``sys.argv[0]`` set to the script's name.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import difflib
import functools
import importlib.metadata
import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Final, final

from pytest_runmain._locate import TargetError

__all__ = [
    "GROUPS",
    "ConsoleScript",
    "find_console_script",
    "is_console_script_name",
    "is_valid_spelling",
    "launcher_return_value",
]

#: The entry-point groups an installer writes launchers for.
GROUPS: Final = ("console_scripts", "gui_scripts")
#: The filename of the code ``python -c`` runs, as its tracebacks show it.
COMMAND_FILENAME: Final = "<string>"

#: An entry point's value: ``module:attr.attr``, optionally with ``[extras]`` (ignored).
_VALUE: Final = re.compile(
    r"^\s*(?P<module>[\w.]+)\s*:\s*(?P<attr>[\w.]+)\s*(?:\[[^\]]*\]\s*)?$", re.ASCII
)
#: ``name = value``, as a line of ``entry_points.txt`` or setup.cfg's ``console_scripts``.
_LINE: Final = re.compile(r"^\s*(?P<name>[^=\s][^=]*?)\s*=\s*(?P<value>.+)$")
#: The ``python -c`` launcher: distlib's template, with ``sys.argv[0]`` set as a shell would
#: see the installed script's name (``-c`` gives ``'-c'``).
_COMMAND_LAUNCHER: Final = """\
import sys
from {module} import {import_name}
if __name__ == '__main__':
    sys.argv[0] = {argv0!r}
    sys.exit({call}())
"""


@final
@dataclass(frozen=True)
class ConsoleScript:
    """A console script located: what runs, under which ``sys.argv[0]``.

    Either :attr:`launcher` is the launcher file an installer wrote (run like ``python
    LAUNCHER``), or it is None and :attr:`command_source` is a launcher for ``python -c``.
    """

    #: The name or value as the caller gave it.
    spelling: str
    #: The entry point's name; None for a bare ``module:attr`` value.
    name: str | None
    #: The module the launcher imports.
    module: str
    #: The attribute path of the callable in :attr:`module`: ``main`` or ``cli.main``.
    attr: str
    #: Which distribution declared it, for messages (``greeter 1.0``), or None.
    distribution: str | None
    #: The launcher file to run: as ``PATH`` finds it when it is there, else its path.
    launcher: str | None

    @property
    def argv0(self) -> str:
        """``sys.argv[0]`` of the program: the launcher's path, else the name or the value."""
        return self.launcher or self.name or self.spelling

    @property
    def package(self) -> str:
        """The top-level package of the module: the program's own code."""
        return self.module.partition(".")[0]

    @property
    def command_source(self) -> str:
        """The ``python -c`` launcher: imports the module, calls the function, exits with it."""
        return _COMMAND_LAUNCHER.format(
            module=self.module,
            import_name=self.attr.partition(".")[0],
            argv0=self.argv0,
            call=self.attr,
        )

    def child_command(self, args: tuple[str, ...] | list[str]) -> list[str]:
        """The command line that starts the script in a new process."""
        if self.launcher is None:
            return [sys.executable, "-c", self.command_source, *args]
        if os.access(self.launcher, os.X_OK):
            return [self.launcher, *args]
        return [sys.executable, self.launcher, *args]


def is_valid_spelling(text: str) -> bool:
    """Whether *text* is a console script's name, a ``module:attr`` value or ``name = value``."""
    if not text.strip() or "\0" in text:
        return False
    line = _LINE.match(text)
    if line is not None:
        return _VALUE.match(line["value"]) is not None
    return ":" not in text or _VALUE.match(text) is not None


def find_console_script(spelling: str, env: Mapping[str, str]) -> ConsoleScript:
    """Locate the console script *spelling* names; :class:`TargetError` if none or two.

    *spelling* is an entry point's name, its value (``pkg.cli:main``) or both (``tool =
    pkg.cli:main``); *env* is the run's environment, whose ``PATH`` may hold the launcher.
    """
    line = _LINE.match(spelling)
    if line is not None:
        module, attr = _parse_value(line["value"], spelling)
        return ConsoleScript(spelling, line["name"], module, attr, None, None)
    if ":" in spelling:
        module, attr = _parse_value(spelling, spelling)
        return ConsoleScript(spelling, None, module, attr, None, None)
    entry_point, dist = _entry_point(spelling)
    module, attr = _parse_value(entry_point.value, spelling)
    launcher = _launcher(spelling, module, dist, env.get("PATH"))
    label = _label(dist)
    return ConsoleScript(spelling, spelling, module, attr, label, launcher)


def is_console_script_name(name: str) -> bool:
    """Whether an installed distribution declares a console (or GUI) script *name*."""
    return any(True for _ in _declarations(name))


def _parse_value(value: str, spelling: str) -> tuple[str, str]:
    match = _VALUE.match(value)
    if match is None:
        raise TargetError(
            f"console script {spelling!r}: {value!r} is not an entry point value; write it as "
            "in [project.scripts]: 'package.module:function' (or 'module:object.method')",
            spelling,
        )
    return match["module"], match["attr"]


_Declarations = tuple[tuple[importlib.metadata.EntryPoint, importlib.metadata.Distribution], ...]


def _declarations(name: str) -> _Declarations:
    """Each (entry point, distribution) declaring *name*, first distribution on sys.path first.

    Reading every distribution's metadata costs several times a run: the answer is kept for as
    long as no ``sys.path`` entry changes (an install or uninstall adds or removes a
    ``.dist-info`` directory, which changes its parent's modification time).
    """
    return _cached_declarations(name, _path_snapshot())


def _path_snapshot() -> tuple[tuple[str, int | None], ...]:
    snapshot = []
    for entry in sys.path:
        try:
            mtime: int | None = os.stat(entry or ".").st_mtime_ns
        except (OSError, TypeError, ValueError):
            mtime = None
        snapshot.append((os.path.abspath(entry) if isinstance(entry, str) else str(entry), mtime))
    return tuple(snapshot)


@functools.lru_cache(maxsize=64)
def _cached_declarations(name: str, path: tuple[tuple[str, int | None], ...]) -> _Declarations:
    found = []
    seen: set[str] = set()
    for dist in importlib.metadata.distributions():
        dist_name = _normalized(dist)
        if dist_name in seen:  # shadowed by an earlier one on sys.path, as imports are
            continue
        seen.add(dist_name)
        for entry_point in dist.entry_points:
            if entry_point.group in GROUPS and entry_point.name == name:
                found.append((entry_point, dist))
    return tuple(found)


def _normalized(dist: importlib.metadata.Distribution) -> str:
    name = dist.metadata["Name"] or ""
    return re.sub(r"[-_.]+", "-", name).lower()


def _label(dist: importlib.metadata.Distribution) -> str:
    return f"{dist.metadata['Name']} {dist.version}"


def _entry_point(
    name: str,
) -> tuple[importlib.metadata.EntryPoint, importlib.metadata.Distribution]:
    found = _declarations(name)
    if len({_normalized(dist) for _, dist in found}) > 1:
        providers = ", ".join(
            f"{_label(dist)} ({entry_point.group}: {entry_point.value})"
            for entry_point, dist in found
        )
        raise TargetError(
            f"console script {name!r} is ambiguous: {len(found)} installed distributions "
            f"declare it: {providers}; uninstall one, or run the one you mean by its value "
            f"('{name} = package.module:function')",
            name,
        )
    if not found:
        raise TargetError(_not_found(name), name)
    return found[0]


def _not_found(name: str) -> str:
    known = sorted(
        {
            entry_point.name
            for dist in importlib.metadata.distributions()
            for entry_point in dist.entry_points
            if entry_point.group in GROUPS
        }
    )
    close = difflib.get_close_matches(name, known, n=3)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    where = [entry for entry in sys.path if entry] or ["(empty)"]
    return (
        f"no console script named {name!r}: no distribution on sys.path declares it in its "
        f"{' or '.join(GROUPS)} entry points (looked in {len(where)} sys.path entries: "
        f"{', '.join(map(repr, where))}). Install the package that provides it (pip "
        f"install -e .), or run a 'package.module:function' value, which needs no install.{hint}"
    )


def _launcher(
    name: str, module: str, dist: importlib.metadata.Distribution, path: str | None
) -> str | None:
    """The launcher file of *name*: the one *dist* recorded, or a Python launcher on *path*.

    As ``PATH`` finds it when it is the recorded one. None when there is no launcher that
    this interpreter can run as a script (a Windows ``.exe``, say).
    """
    on_path = shutil.which(name, path=path)
    recorded = _recorded_launcher(name, dist)
    if recorded is not None:
        if on_path is not None and _same_file(on_path, recorded):
            return on_path
        return recorded
    if on_path is not None and _is_python_launcher(on_path, module):
        return on_path
    return None


def _recorded_launcher(name: str, dist: importlib.metadata.Distribution) -> str | None:
    for file in dist.files or ():
        if file.name != name or file.parent.name not in ("bin", "Scripts"):
            continue
        located = os.path.normpath(str(dist.locate_file(file)))
        if _is_python_launcher(located, None):
            return located
    return None


def _same_file(one: str, other: str) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _is_python_launcher(path: str, module: str | None) -> bool:
    """Whether *path* is a Python script (of *module*, when given), not a binary."""
    try:
        with open(path, "rb") as file:
            head = file.read(65536)
    except OSError:
        return False
    if not head.startswith(b"#!") or b"\0" in head:
        return False
    return module is None or module.encode() in head


def launcher_return_value(exception: BaseException | None, main_globals: dict[str, Any]) -> Any:
    """What the script's function returned, or None when it did not return.

    The launcher hands the return value to ``sys.exit()``, a C function: the ``SystemExit``
    it raises was raised in the launcher's own module-level frame, and its ``code`` is the
    value. Raised deeper (the function called ``sys.exit()`` itself, or raised), it is not.
    """
    if not isinstance(exception, SystemExit):
        return None
    frames = []
    tb: TracebackType | None = exception.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    # The run's own stand-in for sys.exit (3.10, 3.11: see _exit.TupleExits) is not a frame of
    # the program's.
    while frames and os.path.dirname(os.path.abspath(frames[-1].f_code.co_filename)) == _HERE:
        frames.pop()
    if not frames:
        return None
    frame = frames[-1]
    if frame.f_globals is main_globals and frame.f_code.co_name == "<module>":
        return exception.code
    return None


_HERE: Final = os.path.dirname(os.path.abspath(__file__))
