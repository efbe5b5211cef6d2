"""Run options: one table of them, their checks, and how layers of configuration merge.

Every run option is one row of :data:`OPTIONS`: its name, the check its values pass, and, where
the ini file and the command line can set it, how they spell it. The plugin generates its ini
and command-line options and the marker's help from the table; :class:`RunOptions` types the
keyword arguments of the calls and :class:`RunRequest` holds a configured run (a test checks
that the three agree).

A run is configured, lowest precedence first, by ini options, command-line options, ``runmain``
markers on the module, the class and the function, and the keyword arguments of the call. Each
layer is a plain dict of the options it sets; :func:`merge_layers` folds them: the highest layer
that sets a key wins, except ``env``, which merges key by key, and ``normalize``, whose patterns
add up. The program's arguments come from the call when it gives any, else from the closest
marker that has positional arguments.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, TypedDict, final, get_args

__all__ = [
    "NOT_SET",
    "OPTIONS",
    "OPTION_NAMES",
    "Capture",
    "GlobalsMode",
    "IsolationMode",
    "Mode",
    "OptionError",
    "Patterns",
    "RunOption",
    "RunOptions",
    "RunRequest",
    "Setting",
    "StrPath",
    "TargetKind",
    "Unpack",
    "check_args",
    "check_option",
    "command_words",
    "merge_layers",
    "setting_value",
]

if sys.version_info >= (3, 11):
    from typing import Unpack
else:
    from typing_extensions import Unpack

#: What a run starts: ``python -m MOD``, ``python PATH``, or an installed console script.
TargetKind = Literal["module", "path", "console_script"]
#: What a leak (state a run left that could not be put back) does.
IsolationMode = Literal["fail", "warn", "off"]
#: Where a run happens.
Mode = Literal["inprocess", "subprocess", "both"]
#: What an in-process run captures.
Capture = Literal["sys", "fd"]
GlobalsMode = Literal["keep", "drop"]
StrPath = str | os.PathLike[str]
#: Regular expressions: one, or a sequence of them.
Patterns = str | re.Pattern[str] | Sequence[str | re.Pattern[str]]


class OptionError(TypeError):
    """A run option has a wrong name, type or value; the message says which and where."""


class RunOptions(TypedDict, total=False):
    """The keyword options of ``run_module``, ``run_path`` and ``run_main`` calls.

    Each is optional: one the call does not give takes the configured value (markers, ini and
    command-line options), or the default of :class:`RunRequest`.
    """

    stdin: str | bytes | None
    env: Mapping[str, str | None]
    cwd: StrPath | None
    tty: bool
    columns: int | None
    isolation: IsolationMode
    mode: Mode
    normalize: Patterns
    timeout: float | None
    capture: Capture
    globals: GlobalsMode
    deep_isolation: bool
    check: bool


@final
@dataclass
class RunRequest:
    """One run, fully configured: what ``pytest_runmain_before_run`` hooks see and may change.

    Hooks may assign any field; the request is checked again after the hooks ran.
    """

    #: ``"module"`` (``python -m``), ``"path"`` (``python PATH``) or ``"console_script"``
    #: (an installed script, by its name or its ``module:function`` entry-point value).
    kind: TargetKind
    #: The module name, the path, or the console script's name or value.
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
    isolation: IsolationMode = "fail"
    #: Where the program runs: ``"inprocess"``, ``"subprocess"`` (``sys.executable``), or
    #: ``"both"`` (each run both ways, compared; the in-process result is returned).
    mode: Mode = "inprocess"
    #: With ``mode="both"``, what the comparison of the two runs ignores: each match of these
    #: regular expressions is replaced by ``...`` in both outputs (object addresses always are).
    normalize: list[re.Pattern[str]] = field(default_factory=list)
    #: Seconds after which the run is stopped (None: no limit).
    timeout: float | None = None
    #: ``"sys"``: capture ``sys.stdout``/``sys.stderr``; ``"fd"``: file descriptors 1 and 2
    #: too (output of C code and child processes), for in-process runs.
    capture: Capture = "sys"
    #: ``"keep"``: the result holds the program's ``__main__`` globals (``result.globals``);
    #: ``"drop"``: they are cleared at the end of the run, as the interpreter clears modules
    #: at exit: the objects are freed (their finalizers' output is captured), not kept.
    globals: GlobalsMode = "keep"
    #: Whether the run also checks every attribute of every module imported before it (and
    #: puts back what the program rebound), not only the listed functions: slower.
    deep_isolation: bool = False
    #: Whether a non-zero exit status raises :class:`~pytest_runmain.RunFailed` at once, like
    #: ``subprocess.run(check=True)``.
    check: bool = False

    @property
    def environment_overlay(self) -> dict[str, str | None]:
        """What the run lays over ``os.environ``: :attr:`env`, plus ``COLUMNS`` for :attr:`columns`.

        A None value unsets the variable.
        """
        env = dict(self.env)
        if self.columns is not None:
            env["COLUMNS"] = str(self.columns)
        return env

    @property
    def command(self) -> str:
        """The command line this request stands for, for messages."""
        import shlex

        return shlex.join([*command_words(self.kind, self.target), *self.args])


def command_words(kind: TargetKind, target: str) -> list[str]:
    """How a command line starts a target, for messages: ``python -m MOD``, ``python PATH``."""
    if kind == "module":
        return ["python", "-m", target]
    if kind == "path":
        return ["python", target]
    name, sep, _ = target.partition("=")  # "tool = pkg.cli:main" is the script tool
    return [name.strip() if sep else target]


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


def _flag(name: str) -> Callable[[object, str], bool]:
    def check(value: object, where: str) -> bool:
        if not isinstance(value, bool):
            raise OptionError(f"{where}: {name} must be True or False, not {value!r}")
        return value

    return check


_check_tty = _flag("tty")


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


def _check_normalize(value: object, where: str) -> list[re.Pattern[str]]:
    items = [value] if isinstance(value, (str, re.Pattern)) else value
    if not isinstance(items, (list, tuple)) or not all(
        isinstance(item, (str, re.Pattern)) for item in items
    ):
        raise OptionError(
            f"{where}: normalize must be a regular expression (str or re.Pattern) or a list of "
            f"them, not {value!r}"
        )
    patterns = []
    for item in items:
        try:
            pattern = re.compile(item)
        except re.error as exc:
            raise OptionError(f"{where}: normalize pattern {item!r} is not valid: {exc}") from None
        if not isinstance(pattern.pattern, str):
            raise OptionError(f"{where}: normalize pattern {item!r} must match text, not bytes")
        patterns.append(pattern)
    return patterns


#: The longest time limit, in seconds (over three years): timers take no more.
_MAX_TIMEOUT: Final = 10**8


def _check_timeout(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise OptionError(
            f"{where}: timeout must be a positive number of seconds or None, not {value!r}"
        )
    if not value <= _MAX_TIMEOUT:  # inf and nan too
        raise OptionError(
            f"{where}: timeout must be at most {_MAX_TIMEOUT} seconds, not {value!r}; "
            "use None for no time limit"
        )
    return float(value)


#: How the ini file and the command line spell an option's value: ``"env"`` NAME=VALUE entries
#: (an ini line list, a repeatable flag), ``"dir"`` a directory relative to the layer's base
#: directory, ``"flag"`` a boolean (ini ``bool``, a flag without a value), ``"int"`` and
#: ``"float"`` numbers, ``"choice"`` one of the option's choices, ``"patterns"`` regular
#: expressions (an ini line list, a repeatable flag).
Setting = Literal["env", "dir", "flag", "int", "float", "choice", "patterns"]


@final
@dataclass(frozen=True)
class RunOption:
    """One run option: its check and, where the configuration may set it, how it is spelled."""

    #: The keyword of the calls, the marker and :class:`RunRequest`.
    name: str
    #: Checks and normalises a value; raises :class:`OptionError` with the given prefix.
    check: Callable[[object, str], Any]
    #: What it does: the help of its ini and command-line options (a phrase, no period).
    help: str
    #: How ``runmain_NAME`` and ``--runmain-NAME`` spell it; None: only calls and markers set it.
    setting: Setting | None = None
    #: The command line's placeholder for the value.
    metavar: str | None = None
    #: The values a ``"choice"`` option takes.
    choices: tuple[str, ...] = ()
    #: What an ini or command-line value must be, for their error messages.
    expected: str = ""

    @property
    def ini_name(self) -> str:
        return f"runmain_{self.name}"

    @property
    def flag(self) -> str:
        return f"--runmain-{self.name.replace('_', '-')}"

    @property
    def dest(self) -> str:
        """The attribute of ``config.option`` that holds the command-line value."""
        return f"runmain_{self.name}"


def _choice_option(name: str, kind: Any, help: str, metavar: str) -> RunOption:
    choices: tuple[str, ...] = get_args(kind)
    return RunOption(name, _choice(name, choices), help, "choice", metavar, choices)


#: Every run option, in the order help texts and messages list them.
OPTIONS: Final[tuple[RunOption, ...]] = (
    RunOption("stdin", _check_stdin, "The program's standard input (str or bytes)"),
    RunOption(
        "env",
        _check_env,
        "Environment variables for every run",
        "env",
        "NAME=VALUE",
        expected="NAME=VALUE",
    ),
    RunOption("cwd", _check_cwd, "Working directory of every run", "dir", "DIR"),
    RunOption(
        "tty",
        _flag("tty"),
        "Make the standard streams of every run say they are a terminal",
        "flag",
    ),
    RunOption(
        "columns",
        _check_columns,
        "Terminal width every run sees through COLUMNS and shutil.get_terminal_size",
        "int",
        "N",
        expected="a positive int",
    ),
    _choice_option(
        "isolation",
        IsolationMode,
        "What state a run leaves behind (threads, open files) does: fail the test, warn, or only "
        "record it in the result (default: fail)",
        "MODE",
    ),
    _choice_option(
        "mode",
        Mode,
        "Where every run happens: in this process (default), in a subprocess, or both ways "
        "compared",
        "MODE",
    ),
    RunOption(
        "normalize",
        _check_normalize,
        "Regular expressions whose matches mode=both replaces with ... in both runs' output "
        "before comparing them (object addresses always are)",
        "patterns",
        "REGEX",
    ),
    RunOption(
        "timeout",
        _check_timeout,
        "Stop every run after this many seconds",
        "float",
        "SECONDS",
        expected="a number of seconds",
    ),
    _choice_option(
        "capture",
        Capture,
        "Capture sys.stdout/sys.stderr (default) or also file descriptors 1 and 2 (fd)",
        "MODE",
    ),
    _choice_option(
        "globals",
        GlobalsMode,
        "Keep each in-process run's __main__ globals in its result (default), or drop them at "
        "the end of the run as the interpreter does at exit, freeing their memory",
        "MODE",
    ),
    RunOption(
        "deep_isolation",
        _flag("deep_isolation"),
        "Check and put back every attribute of every module imported before each run, not "
        "only the functions of standard modules that checks rely on (slower)",
        "flag",
    ),
    RunOption(
        "check",
        _flag("check"),
        "Fail a test at once when one of its runs exits with a non-zero status",
        "flag",
    ),
)
_BY_NAME: Final[Mapping[str, RunOption]] = {option.name: option for option in OPTIONS}

#: The keyword options a call, a marker or the configuration can set.
OPTION_NAMES: Final = frozenset(_BY_NAME)


def check_option(name: str, value: object, where: str) -> Any:
    """*value* checked (and normalised) as option *name*; *where* prefixes the error message."""
    option = _BY_NAME.get(name)
    if option is None:
        known = ", ".join(sorted(OPTION_NAMES))
        raise OptionError(f"{where}: unknown option {name!r} (known options: {known})")
    return option.check(value, where)


@final
class _NotSet:
    """What :func:`setting_value` gives for a value the configuration leaves unset."""

    def __repr__(self) -> str:
        return "NOT_SET"


NOT_SET: Final = _NotSet()


def setting_value(option: RunOption, raw: Any, base: StrPath, source: str) -> Any:
    """The value an ini or command-line setting gives *option*, or :data:`NOT_SET`.

    *raw* is what the configuration holds: the text of a string ini option or of a command-line
    value, the list of a line-list or repeated option, a bool, or a number argparse already
    converted; empty text and None leave the option unset. A ``"dir"`` is taken relative to
    *base*. A malformed value raises :class:`OptionError` naming *source*.
    """
    if option.setting == "env":
        return _env_assignments(raw, source)
    if option.setting == "patterns":
        return list(raw) if raw else NOT_SET
    if option.setting == "flag":
        return True if raw else NOT_SET
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return NOT_SET
    if option.setting == "dir":
        return str(Path(base) / raw)
    if option.setting in ("int", "float") and isinstance(raw, str):
        try:
            return int(raw) if option.setting == "int" else float(raw)
        except ValueError:
            raise OptionError(f"{source}: expected {option.expected}, got {raw!r}") from None
    return raw


def _env_assignments(entries: Iterable[str], source: str) -> dict[str, str]:
    env = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        if not sep or not name:
            raise OptionError(f"{source}: expected NAME=VALUE, got {entry!r}")
        env[name] = value
    return env


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
        if "\0" in value:
            raise OptionError(
                f"{where}: program argument {position} contains a NUL character: {value!r}; "
                "no command line can hold one"
            )
        checked.append(value)
    return checked


def merge_layers(kind: TargetKind, target: str, layers: Iterable[Mapping[str, Any]]) -> RunRequest:
    """Fold checked option layers, lowest precedence first, into a request.

    A layer's ``"args"`` key, when present and non-empty, replaces the arguments of the lower
    layers; ``"env"`` merges key by key; ``"normalize"`` adds its patterns to those of the lower
    layers; every other key is replaced as a whole.
    """
    request = RunRequest(kind, target)
    for layer in layers:
        for name, value in layer.items():
            if name == "env":
                request.env.update(value)
            elif name == "normalize":
                request.normalize.extend(p for p in value if p not in request.normalize)
            elif name == "args":
                if value:
                    request.args = list(value)
            else:
                setattr(request, name, value)
    return request
