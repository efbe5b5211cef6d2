"""Run options: their names, checks, and how layers of configuration merge into one request.

A run is configured, lowest precedence first, by ini options, command-line options, ``runmain``
markers on the module, the class and the function, and the keyword arguments of the call. Each
layer is a plain dict of the options it sets; :func:`merge_layers` folds them: the highest layer
that sets a key wins, except ``env``, which merges key by key. The program's arguments come
from the call when it gives any, else from the closest marker that has positional arguments.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, final

__all__ = [
    "OPTION_NAMES",
    "OptionError",
    "RunRequest",
    "check_args",
    "check_option",
    "merge_layers",
]

TargetKind = Literal["module", "path"]


class OptionError(TypeError):
    """A run option has a wrong name, type or value; the message says which and where."""


@final
@dataclass
class RunRequest:
    """One run, fully configured: what ``pytest_runmain_before_run`` hooks see and may change.

    Hooks may assign any field; the request is checked again after the hooks ran.
    """

    #: ``"module"`` (``python -m``) or ``"path"`` (``python PATH``).
    kind: TargetKind
    #: The module name or the path.
    target: str
    #: The program's arguments (``sys.argv[1:]``).
    args: list[str] = field(default_factory=list)
    #: The program's standard input; None is an empty input, like ``</dev/null``.
    stdin: str | bytes | None = None
    #: Overlay of ``os.environ`` for the run; a None value unsets the variable.
    env: dict[str, str | None] = field(default_factory=dict)
    #: The run's working directory; None keeps the current one.
    cwd: str | None = None
    #: Whether the run's standard streams say they are a terminal (``isatty()``).
    tty: bool = False
    #: The terminal width the program sees through ``COLUMNS`` / ``shutil.get_terminal_size``.
    columns: int | None = None
    #: What a leak (state the run left that could not be put back) does: ``"fail"`` the
    #: test, ``"warn"``, or ``"off"`` (only recorded in the result).
    isolation: Literal["fail", "warn", "off"] = "fail"
    #: Where the program runs: ``"inprocess"``, ``"subprocess"`` (``sys.executable``), or
    #: ``"both"`` (each run both ways, compared; the in-process result is returned).
    mode: Literal["inprocess", "subprocess", "both"] = "inprocess"
    #: Seconds after which the run is stopped (None: no limit).
    timeout: float | None = None
    #: ``"sys"``: capture ``sys.stdout``/``sys.stderr``; ``"fd"``: file descriptors 1 and 2
    #: too (output of C code and child processes), for in-process runs.
    capture: Literal["sys", "fd"] = "sys"

    @property
    def command(self) -> str:
        """The command line this request stands for, for messages."""
        import shlex

        target = ["-m", self.target] if self.kind == "module" else [self.target]
        return shlex.join(["python", *target, *self.args])


def _check_stdin(value: object, where: str) -> str | bytes | None:
    if value is None or isinstance(value, (str, bytes)):
        return value
    if isinstance(value, bytearray):
        return bytes(value)
    raise OptionError(f"{where}: stdin must be str, bytes or None, not {type(value).__name__}")


def _check_env(value: object, where: str) -> dict[str, str | None]:
    if not isinstance(value, Mapping):
        raise OptionError(
            f"{where}: env must be a mapping of str to str or None, not {type(value).__name__}"
        )
    env: dict[str, str | None] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not (item is None or isinstance(item, str)):
            raise OptionError(
                f"{where}: env must map str to str (or None to unset), got {key!r}: {item!r}"
            )
        if not key or "=" in key or "\0" in key or (item is not None and "\0" in item):
            raise OptionError(f"{where}: env entry {key!r}: {item!r} cannot be in an environment")
        env[key] = item
    return env


def _check_cwd(value: object, where: str) -> str | None:
    if value is None:
        return None
    path = os.fspath(value) if isinstance(value, (str, os.PathLike)) else None
    if not isinstance(path, str):
        raise OptionError(f"{where}: cwd must be a str or path, not {type(value).__name__}")
    return path


def _check_tty(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise OptionError(f"{where}: tty must be True or False, not {value!r}")
    return value


def _check_columns(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise OptionError(f"{where}: columns must be a positive int or None, not {value!r}")
    return value


def _choice(name: str, choices: tuple[str, ...]) -> Callable[[object, str], str]:
    def check(value: object, where: str) -> str:
        if value not in choices:
            raise OptionError(
                f"{where}: {name} must be one of {', '.join(map(repr, choices))}, not {value!r}"
            )
        return str(value)

    return check


def _check_timeout(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise OptionError(
            f"{where}: timeout must be a positive number of seconds or None, not {value!r}"
        )
    return float(value)


_CHECKS: Final[Mapping[str, Callable[[object, str], Any]]] = {
    "stdin": _check_stdin,
    "env": _check_env,
    "cwd": _check_cwd,
    "tty": _check_tty,
    "columns": _check_columns,
    "isolation": _choice("isolation", ("fail", "warn", "off")),
    "mode": _choice("mode", ("inprocess", "subprocess", "both")),
    "timeout": _check_timeout,
    "capture": _choice("capture", ("sys", "fd")),
}

#: The keyword options a call, a marker or the configuration can set.
OPTION_NAMES: Final = frozenset(_CHECKS)


def check_option(name: str, value: object, where: str) -> Any:
    """*value* checked (and normalised) as option *name*; *where* prefixes the error message."""
    check = _CHECKS.get(name)
    if check is None:
        known = ", ".join(sorted(OPTION_NAMES))
        raise OptionError(f"{where}: unknown option {name!r} (known options: {known})")
    return check(value, where)


def check_args(args: Iterable[object], where: str) -> list[str]:
    """The program's arguments as strings; paths are accepted, anything else is an error."""
    checked = []
    for position, arg in enumerate(args, start=1):
        value = os.fspath(arg) if isinstance(arg, os.PathLike) else arg
        if not isinstance(value, str):
            raise OptionError(
                f"{where}: program argument {position} must be str or a str path, not "
                f"{type(arg).__name__}: {arg!r} (convert it with str())"
            )
        checked.append(value)
    return checked


def merge_layers(kind: TargetKind, target: str, layers: Iterable[Mapping[str, Any]]) -> RunRequest:
    """Fold checked option layers, lowest precedence first, into a request.

    A layer's ``"args"`` key, when present and non-empty, replaces the arguments of the lower
    layers; ``"env"`` merges key by key; every other key is replaced as a whole.
    """
    request = RunRequest(kind, target)
    for layer in layers:
        for name, value in layer.items():
            if name == "env":
                request.env.update(value)
            elif name == "args":
                if value:
                    request.args = list(value)
            else:
                setattr(request, name, value)
    return request
