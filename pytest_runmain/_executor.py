"""Execute located code: runpy's shared execution step and the command-line emulation.

:func:`run_code` is the step both :mod:`runpy` functions end in. :func:`run_main` runs a target
the way ``python -m MOD ARGS`` / ``python PATH ARGS`` does: in a fresh ``__main__`` module, with
the command line's ``sys.argv`` and ``sys.path[0]``, reporting the ending as the interpreter
would (traceback or message on stderr, exit status), then waiting for the run's non-daemon
threads and calling the ``atexit`` functions it registered. Unlike runpy it never loses the
globals: the namespace is returned whatever the code raised.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import importlib.machinery
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType
from typing import Any, Literal, TextIO, final

from pytest_runmain._atexit import ExitFunctions
from pytest_runmain._capture import StdioCapture
from pytest_runmain._exit import FLUSH_FAILED_STATUS, flush_std_files, report_ending
from pytest_runmain._hardexit import HardExit, HardExits, exit_forked_child
from pytest_runmain._locate import (
    MAIN_NAME,
    MainScript,
    TargetError,
    command_line_abspath,
    find_main_module_code,
    find_module_code,
    is_path_entry,
    read_main_script,
)
from pytest_runmain._logstate import Logging
from pytest_runmain._runpy_source import runpy_frames
from pytest_runmain._state import StateChange, StateLeak, StateStack
from pytest_runmain._state_items import (
    Modules,
    OwnCode,
    RunContext,
    merged_environ,
    run_items,
)
from pytest_runmain._subprocess import KILLED_STATUS
from pytest_runmain._threads import RunThreads
from pytest_runmain._timeout import RunTimeout, TimeLimit

__all__ = ["Launch", "MainOutcome", "TargetKind", "run_code", "run_main"]

TargetKind = Literal["module", "path"]


def run_code(
    code: CodeType,
    run_globals: dict[str, Any],
    init_globals: Mapping[str, Any] | None = None,
    mod_name: str | None = None,
    mod_spec: ModuleSpec | None = None,
    pkg_name: str | None = None,
    script_name: object = None,
) -> dict[str, Any]:
    """Fill *run_globals* with the special globals and execute *code* in it.

    *init_globals* go in first and the seven special names then overwrite them, in runpy's
    order (observable as dict key order). ``__builtins__`` is left to ``exec``. The same
    dict is returned; when *code* raises, the caller still holds the namespace. The code
    runs under a frame that reads as runpy's ``_run_code``.
    """
    fill_special_globals(run_globals, init_globals, mod_name, mod_spec, pkg_name, script_name)
    runpy_frames().run_code(code, run_globals)
    return run_globals


def fill_special_globals(
    run_globals: dict[str, Any],
    init_globals: Mapping[str, Any] | None,
    mod_name: str | None,
    mod_spec: ModuleSpec | None,
    pkg_name: str | None = None,
    script_name: object = None,
) -> None:
    """runpy's globals: *init_globals*, then the seven special names over them."""
    if init_globals is not None:
        run_globals.update(init_globals)
    if mod_spec is None:
        loader = None
        fname = script_name
        cached = None
    else:
        loader = mod_spec.loader
        fname = mod_spec.origin
        cached = mod_spec.cached
        if pkg_name is None:
            pkg_name = mod_spec.parent
    run_globals.update(
        __name__=mod_name,
        __file__=fname,
        __cached__=cached,
        __doc__=None,
        __loader__=loader,
        __package__=pkg_name,
        __spec__=mod_spec,
    )


@final
@dataclass(frozen=True)
class Launch:
    """A command line: ``python -m TARGET *ARGS`` (kind "module") or ``python TARGET *ARGS``."""

    #: ``"module"`` for ``-m``; ``"path"`` for a script, compiled file, directory or zip.
    kind: TargetKind
    #: The module name, or the path as typed (relative to the run's working directory).
    target: str
    #: The program's arguments, after the target.
    args: tuple[str, ...] = ()


@final
@dataclass
class MainOutcome:
    """How a run ended and what it left, before the result is assembled."""

    #: The ``__main__`` namespace the code ran in, kept whatever the code raised.
    globals: dict[str, Any]
    #: The uncaught exception (``SystemExit`` included) or None.
    exception: BaseException | None
    #: The exit status a shell would see.
    returncode: int
    #: ``sys.argv`` as the program saw it when its code started.
    argv: list[str]
    #: The run's streams, flushed.
    capture: StdioCapture
    #: What the program changed in the interpreter's state, by state name.
    state_changes: dict[str, StateChange] = field(default_factory=dict)
    #: State the run left different that could not be put back.
    leaks: list[StateLeak] = field(default_factory=list)
    #: Modules the run imported that stay imported (libraries).
    kept_modules: list[str] = field(default_factory=list)
    #: Modules of the program that the run imported and that were removed afterwards.
    forgotten_modules: list[str] = field(default_factory=list)
    #: Whether the run was stopped at its time limit.
    timed_out: bool = False


def fresh_main_module() -> ModuleType:
    """A ``__main__`` module as the interpreter creates it at start-up."""
    module = ModuleType(MAIN_NAME)
    module.__loader__ = importlib.machinery.BuiltinImporter
    module.__annotations__ = {}
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    return module


def run_as_main(
    mod_name: str,
    alter_argv: bool,
    main_globals: dict[str, Any],
    error: type[Exception],
    started: list[list[str]],
) -> dict[str, Any]:
    """runpy's ``_run_module_as_main``: find *mod_name* (or ``__main__`` on sys.path), run it.

    Lookup failures raise *error*. *started* receives ``sys.argv`` as the code starts.
    """
    if alter_argv or mod_name != MAIN_NAME:
        located = find_module_code(mod_name, error)
    else:
        located = find_main_module_code(error)
    if alter_argv:
        sys.argv[0] = located.spec.origin  # type: ignore[assignment]
    started.append(list(sys.argv))
    fill_special_globals(main_globals, None, MAIN_NAME, located.spec)
    runpy_frames().run_module_as_main(located.code, main_globals)
    return main_globals


def run_script(script: MainScript, main_globals: dict[str, Any]) -> None:
    """Compile and execute a script in ``__main__`` as the interpreter does (no runpy frames)."""
    exec(script.load_code(), main_globals)


def _sys_path_0(plan: _Plan, env: Mapping[str, str]) -> str | None:
    """The entry the command line puts first on ``sys.path``, if any.

    ``-P`` / ``PYTHONSAFEPATH`` (3.11+) leave out the unsafe one, the script's directory or
    the working directory of ``-m``; a directory or zip run is always put there, being where
    ``__main__`` is looked up.
    """
    if plan.script is None and plan.package is None:
        return plan.path_entry
    return None if _safe_path(env) else plan.path_entry


def _safe_path(env: Mapping[str, str]) -> bool:
    """Whether the interpreter would leave out the unsafe ``sys.path[0]`` (``-P``, 3.11+)."""
    if sys.version_info < (3, 11):
        return False
    return bool(getattr(sys.flags, "safe_path", False) or env.get("PYTHONSAFEPATH"))


def run_main(
    launch: Launch,
    *,
    stdin: str | bytes | None = None,
    env: Mapping[str, str | None] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    tty: bool = False,
    fd_capture: bool = False,
    timeout: float | None = None,
    passthrough: tuple[type[BaseException], ...] = (),
) -> MainOutcome:
    """Run *launch* in-process as the real command line would; put the interpreter back after.

    Raises :class:`TargetError` (nothing of the program has run, or only its parent package's
    import) when the target cannot be run: no such module or file, no ``__main__``, not
    Python. Everything the program does, including raising, is in the outcome, except the
    exceptions of the *passthrough* types, which propagate once the state is restored (pytest
    raises its outcomes, a pytest-timeout failure say, inside the code it runs). With *tty*
    the standard streams say they are a terminal. With *fd_capture* file descriptors 1 and 2
    are captured too. Past *timeout* seconds the program is interrupted and the outcome says
    it timed out. The outcome lists what the program changed in the interpreter's state and
    what could not be put back.
    """
    run_pid = os.getpid()
    returncode = 1
    timed_out = False
    run_env = merged_environ(env)
    capture = StdioCapture(stdin, run_env, tty=tty, fd=fd_capture)
    time_limit = TimeLimit(timeout) if timeout is not None else None
    main = fresh_main_module()
    main_globals = main.__dict__
    exception: BaseException | None = None
    started: list[list[str]] = []
    state = StateStack()
    modules = Modules()
    capture.start()
    try:
        context = RunContext(cwd=cwd, env=env, run_env=run_env)
        for item in run_items(context, before_target=True):
            state.enter(item)
        plan = _plan(launch, run_env)
        own = OwnCode(main_globals, plan.package, plan.path_entry)
        context = dataclasses.replace(
            context,
            argv=plan.argv,
            path_entry=_sys_path_0(plan, run_env),
            main=main,
            own=own,
            streams=(capture.stdin, capture.stdout, capture.stderr),
        )
        for item in run_items(context, before_target=False):
            state.enter(item)
        modules = state.item(Modules)
        logs = state.item(Logging)
        with (
            ExitFunctions(own.owns_frame) as exit_functions,
            HardExits(capture.level) as hard_exits,
            time_limit if time_limit is not None else contextlib.nullcontext(),
        ):
            threads = RunThreads()
            try:
                try:
                    if plan.script is not None:
                        main_globals.update(plan.script.special_globals)
                        started.append(list(sys.argv))
                        run_script(plan.script, main_globals)
                    else:
                        run_as_main(
                            plan.main_name,
                            launch.kind == "module",
                            main_globals,
                            TargetError,
                            started,
                        )
                except BaseException as exc:
                    if isinstance(exc, (TargetError, *passthrough)) and not hard_exits.called:
                        raise
                    exception = exc
                if not hard_exits.called and not (time_limit and time_limit.expired):
                    returncode = _end(
                        exception, main_globals, plan, threads, exit_functions, logs, capture
                    )
            except (HardExit, RunTimeout):  # in an atexit function, an excepthook, a join
                pass
            finally:
                if time_limit is not None:
                    time_limit.disarm()
            if hard_exits.status is not None:
                # As the real os._exit: that status, no clean-up, buffered output lost.
                returncode = hard_exits.status & 0xFF
                capture.truncate(hard_exits.level)
                if not isinstance(exception, HardExit):
                    exception = HardExit(hard_exits.status)
            elif time_limit is not None and time_limit.expired:
                # Stopped like a child killed at its time limit, but the output is kept.
                timed_out = True
                returncode = KILLED_STATUS
                _flush_std_streams((sys.stdout, sys.stderr))
                capture.flush()
                if not isinstance(exception, RunTimeout):
                    exception = RunTimeout(time_limit.seconds)
        state.finish()
    finally:
        state.close()
        capture.stop()
        exit_forked_child(run_pid, returncode)
    return MainOutcome(
        globals=main_globals,
        exception=exception,
        returncode=returncode,
        argv=started[0] if started else list(plan.argv),
        capture=capture,
        state_changes=state.state_changes(),
        leaks=state.leaks,
        kept_modules=modules.kept,
        forgotten_modules=modules.forgotten,
        timed_out=timed_out,
    )


@final
@dataclass(frozen=True)
class _Plan:
    """What the command line sets up before the program's code runs."""

    argv: list[str]
    #: ``sys.path[0]`` under the real command line.
    path_entry: str
    #: The target's top-level package, for ``-m``.
    package: str | None
    #: The module runpy's ``_run_module_as_main`` looks up (``-m``, directory, zip).
    main_name: str
    #: The script's code and special globals, when the target is a script or compiled file.
    script: MainScript | None
    #: Whether runpy's frames head the traceback of an uncaught exception.
    as_main: bool


def _plan(launch: Launch, env: Mapping[str, str]) -> _Plan:
    if launch.kind == "module":
        return _Plan(
            argv=["-m", *launch.args],
            path_entry=os.getcwd(),
            package=launch.target.lstrip(".").partition(".")[0] or None,
            main_name=launch.target,
            script=None,
            as_main=True,
        )
    argv = [launch.target, *launch.args]
    path = command_line_abspath(launch.target)
    if is_path_entry(launch.target):
        return _Plan(argv, path, None, MAIN_NAME, None, as_main=True)
    script = read_main_script(launch.target)
    return _Plan(argv, os.path.dirname(os.path.realpath(path)), None, MAIN_NAME, script, False)


def _end(
    exception: BaseException | None,
    main_globals: dict[str, Any],
    plan: _Plan,
    threads: RunThreads,
    exit_functions: ExitFunctions,
    logs: Logging,
    capture: StdioCapture,
) -> int:
    """Finish the run as the interpreter finishes: report, join threads, atexit, flush."""
    if plan.script is not None:
        # The C code that runs a script flushes stderr, then stdout, before printing its error.
        _flush_std_streams((sys.stderr, sys.stdout))
    returncode = report_ending(
        exception, _current_stderr(capture), as_main=plan.as_main, excepthook=sys.excepthook
    )
    # The interpreter deletes a script's __file__ and __cached__ before exiting; atexit
    # functions must not see them, the result still shows them.
    removed: dict[str, Any] = {}
    if plan.script is not None:
        removed = {k: main_globals.pop(k) for k in ("__file__", "__cached__") if k in main_globals}
    threads.join_non_daemon()
    exit_functions.run(_current_stderr(capture))
    logs.shutdown()
    main_globals.update(removed)
    if not flush_std_files():
        returncode = FLUSH_FAILED_STATUS
    capture.flush()
    return returncode


def _flush_std_streams(streams: tuple[TextIO | None, ...]) -> None:
    """Flush the streams as the interpreter does: a broken or missing one is passed over."""
    for stream in streams:
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


def _current_stderr(capture: StdioCapture) -> TextIO:
    """``sys.stderr`` as the program left it, where the interpreter writes its last words."""
    stderr = sys.stderr
    return stderr if stderr is not None else capture.stderr
