"""Run a program's ``__main__`` in-process and return a :class:`RunResult`.

:class:`Runner` is what the ``run_module`` and ``run_path`` fixtures call: it checks the
arguments (a bad one is a :class:`TypeError` or :class:`ValueError` naming it), runs the
target with :func:`pytest_runmain._executor.run_main` and assembles the result.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Final, Protocol, final

from pytest_runmain._executor import Launch, TargetKind, run_main
from pytest_runmain.result import RunResult

__all__ = ["RunModule", "RunPath", "Runner", "StrPath"]

StrPath = str | os.PathLike[str]


class RunModule(Protocol):
    """The type of the ``run_module`` fixture, for annotating tests."""

    def __call__(
        self,
        mod_name: str,
        /,
        *args: StrPath,
        stdin: str | bytes | None = ...,
        env: Mapping[str, str | None] | None = ...,
        cwd: StrPath | None = ...,
    ) -> RunResult: ...


class RunPath(Protocol):
    """The type of the ``run_path`` fixture, for annotating tests."""

    def __call__(
        self,
        path: StrPath,
        /,
        *args: StrPath,
        stdin: str | bytes | None = ...,
        env: Mapping[str, str | None] | None = ...,
        cwd: StrPath | None = ...,
    ) -> RunResult: ...


_STDIN_TYPES: Final = (str, bytes, bytearray)


def _arg(value: object, position: int) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str):
            return path
    raise TypeError(
        f"program argument {position} must be str or a str path, not "
        f"{type(value).__name__}: {value!r} (convert it with str())"
    )


def _check_env(env: Mapping[str, str | None] | None) -> Mapping[str, str | None] | None:
    if env is None:
        return None
    if not isinstance(env, Mapping):
        raise TypeError(f"env must be a mapping of str to str or None, not {type(env).__name__}")
    for key, value in env.items():
        if not isinstance(key, str) or not (value is None or isinstance(value, str)):
            raise TypeError(f"env must map str to str (or None to unset), got {key!r}: {value!r}")
        if not key or "=" in key or "\0" in key or (value is not None and "\0" in value):
            raise ValueError(f"env entry {key!r}: {value!r} cannot be set in an environment")
    return env


def _check_cwd(cwd: StrPath | None) -> str | None:
    if cwd is None:
        return None
    if not isinstance(cwd, (str, os.PathLike)):
        raise TypeError(f"cwd must be a str or path, not {type(cwd).__name__}: {cwd!r}")
    path = os.fspath(cwd)
    if not isinstance(path, str):
        raise TypeError(f"cwd must be a str path, not {path!r}")
    if not os.path.isdir(path):
        raise NotADirectoryError(f"cwd {path!r} is not an existing directory")
    return path


@final
class Runner:
    """Runs targets in-process with the semantics of ``python -m`` and ``python PATH``."""

    def run_module(
        self,
        mod_name: str,
        /,
        *args: StrPath,
        stdin: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        cwd: StrPath | None = None,
    ) -> RunResult:
        """Run ``python -m mod_name *args`` in-process.

        *stdin* is the program's input (empty when None, like ``</dev/null``); *env* overlays
        ``os.environ`` for the run (a None value unsets the variable); *cwd* is the working
        directory for the run, which is also ``sys.path[0]``.
        """
        __tracebackhide__ = True
        if not isinstance(mod_name, str) or not mod_name:
            raise TypeError(f"run_module needs a module name (non-empty str), got {mod_name!r}")
        return self._run("module", mod_name, args, stdin, env, cwd)

    def run_path(
        self,
        path: StrPath,
        /,
        *args: StrPath,
        stdin: str | bytes | None = None,
        env: Mapping[str, str | None] | None = None,
        cwd: StrPath | None = None,
    ) -> RunResult:
        """Run ``python path *args`` in-process: a script, compiled file, directory or zip.

        A relative *path* is taken from *cwd* (the run's working directory), as on the
        command line. Other arguments as for :meth:`run_module`.
        """
        __tracebackhide__ = True
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise TypeError(f"run_path needs a path (non-empty str or PathLike), got {path!r}")
        return self._run("path", _arg(path, 0), args, stdin, env, cwd)

    def _run(
        self,
        kind: TargetKind,
        target: str,
        args: tuple[StrPath, ...],
        stdin: str | bytes | None,
        env: Mapping[str, str | None] | None,
        cwd: StrPath | None,
    ) -> RunResult:
        __tracebackhide__ = True
        argv = tuple(_arg(a, i) for i, a in enumerate(args, start=1))
        if stdin is not None and not isinstance(stdin, _STDIN_TYPES):
            raise TypeError(f"stdin must be str, bytes or None, not {type(stdin).__name__}")
        start = time.perf_counter()
        outcome = run_main(
            Launch(kind, target, argv),
            stdin=bytes(stdin) if isinstance(stdin, bytearray) else stdin,
            env=_check_env(env),
            cwd=_check_cwd(cwd),
        )
        capture = outcome.capture
        return RunResult(
            kind=kind,
            target=target,
            argv=outcome.argv,
            returncode=outcome.returncode,
            stdout_bytes=capture.stdout_bytes,
            stderr_bytes=capture.stderr_bytes,
            output_bytes=capture.output_bytes,
            encoding=capture.encoding,
            globals=outcome.globals,
            exception=outcome.exception,
            duration=time.perf_counter() - start,
        )
