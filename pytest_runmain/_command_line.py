"""The command line in-process: ``python -m MOD ARGS`` and ``python PATH ARGS`` as run for real.

:func:`run_in_process` runs a :class:`~pytest_runmain._options.RunRequest` in a fresh
``__main__`` module, with the command line's ``sys.argv`` and ``sys.path[0]``, reporting the
ending as the interpreter would (traceback or message on stderr, exit status), then waiting for
the run's non-daemon threads and calling the ``atexit`` functions it registered. Unlike runpy
it never loses the globals: the namespace is in the outcome whatever the code raised. Around
the program, the state items of :mod:`pytest_runmain._state_items` put the interpreter back.

A run goes through three steps, each a method of :class:`_InProcessRun`: set-up (streams,
state items, locating the target), execution (the program's code, with ``os._exit`` and the
time limit watched), and ending (as the interpreter ends, or as a hard exit or a timeout does).

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import linecache
import os
import sys
import threading
import traceback
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, Final, Protocol, TextIO, final

from pytest_runmain._atexit import ExitFunctions, finalizers_shut_down
from pytest_runmain._capture import StdioCapture
from pytest_runmain._codecache import imports_compiled_once
from pytest_runmain._entry_points import (
    COMMAND_FILENAME,
    ConsoleScript,
    find_console_script,
    launcher_return_value,
)
from pytest_runmain._exit import (
    FLUSH_FAILED_STATUS,
    SIGINT_STATUS,
    TupleExits,
    flush_std_files,
    report_ending,
    report_ignored_at_shutdown,
)
from pytest_runmain._hardexit import HardExit, HardExits, exit_forked_child
from pytest_runmain._locate import (
    MAIN_NAME,
    TargetError,
    command_line_abspath,
    is_path_entry,
    read_main_script,
)
from pytest_runmain._logstate import Logging
from pytest_runmain._options import RunRequest
from pytest_runmain._runpy_step import fresh_main_module, run_as_main
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

__all__ = ["ConcurrentRunError", "MainOutcome", "run_in_process"]


class ConcurrentRunError(RuntimeError):
    """An in-process run was started while another thread's in-process run was going on.

    A run takes over process-wide state (``sys.stdout``, ``sys.argv``, ``sys.modules``, the
    working directory, ``os.environ``): two at once would write into each other's results and
    leave the streams of the one that ended first behind. The second run is refused before it
    touches anything; the first is not disturbed.
    """


@final
@dataclass
class MainOutcome:
    """How a run ended and what it left, before the result is assembled."""

    #: The ``__main__`` namespace the code ran in, kept whatever the code raised; None when
    #: the request dropped it.
    globals: dict[str, Any] | None
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
    #: What a console script's function returned, or None.
    return_value: Any = None


def run_in_process(
    request: RunRequest, *, passthrough: tuple[type[BaseException], ...] = ()
) -> MainOutcome:
    """Run *request* in-process as the real command line would; put the interpreter back after.

    Raises :class:`TargetError` (nothing of the program has run, or only its parent package's
    import, whose output the error then carries) when the target cannot be run: no such
    module or file, no ``__main__``, not Python. Everything the program does, including
    raising, is in the outcome, except the exceptions of the *passthrough* types, which
    propagate once the state is restored (pytest raises its outcomes, a pytest-timeout failure
    say, inside the code it runs). The outcome lists what the program changed in the
    interpreter's state and what could not be put back.
    """
    with _one_thread_at_a_time(request):
        run = _InProcessRun(request, passthrough)
        run.capture.start()
        failure: TargetError | None = None
        try:
            run.set_up()
            run.execute()
            run.state.finish()
        except TargetError as exc:
            failure = exc
            _flush_std_streams((sys.stdout, sys.stderr))  # what the parent's import printed
        finally:
            run.capture.close_descriptors()  # before the run's open descriptors are checked
            run.state.close()
            run.capture.stop()
            exit_forked_child(run.pid, run.returncode)
        if failure is not None:
            # What a parent package printed while it was imported, before the lookup failed.
            encoding = run.capture.encoding
            failure.add_output(
                run.capture.stdout_bytes.decode(encoding, "backslashreplace"),
                run.capture.stderr_bytes.decode(encoding, "backslashreplace"),
            )
            raise failure
    return run.outcome()


#: The in-process runs going on, innermost last, and the thread running them. Runs nest in one
#: thread (a program may itself run a program: pytest in-process running its tests); another
#: thread must wait until they end.
_running: list[tuple[threading.Thread, RunRequest]] = []
_running_lock: Final = threading.Lock()


@contextlib.contextmanager
def _one_thread_at_a_time(request: RunRequest) -> Iterator[None]:
    """Refuse *request* with :class:`ConcurrentRunError` while another thread runs a program."""
    me = threading.current_thread()
    with _running_lock:
        if _running and _running[0][0] is not me:
            thread, other = _running[0]
            raise ConcurrentRunError(
                f"cannot run {request.command!r} in-process: thread {thread.name!r} is running "
                f"{other.command!r} in-process. A run takes over process-wide state (sys.stdout, "
                "sys.argv, sys.modules, the working directory, os.environ), so in-process runs go "
                "one at a time: wait for the other run to end, or use mode='subprocess' for runs "
                "that must overlap."
            )
        _running.append((me, request))
    try:
        yield
    finally:
        with _running_lock:
            _running.pop()


@final
class _InProcessRun:
    """One run's moving parts, from its set-up to its outcome."""

    def __init__(self, request: RunRequest, passthrough: tuple[type[BaseException], ...]) -> None:
        self.request = request
        self.passthrough = passthrough
        #: The process the run starts in: a forked child of the program never returns from it.
        self.pid = os.getpid()
        self.run_env = merged_environ(request.environment_overlay)
        self.capture = StdioCapture(
            request.stdin, self.run_env, tty=request.tty, fd=request.capture == "fd"
        )
        self.time_limit = (
            TimeLimit(request.timeout, request.command) if request.timeout is not None else None
        )
        self.main = fresh_main_module()
        self.main_globals = self.main.__dict__
        self.state = StateStack()
        self.exception: BaseException | None = None
        self.returncode = 1
        self.timed_out = False
        #: ``sys.argv`` as the program's code started with it.
        self.started: list[list[str]] = []
        self.plan: _Plan | None = None
        self.own: OwnCode | None = None

    def set_up(self) -> None:
        """Enter the state items, locating the target once the run's cwd and env are in place."""
        context = RunContext(
            cwd=self.request.cwd,
            env=self.request.environment_overlay,
            run_env=self.run_env,
            deep=self.request.deep_isolation,
        )
        for item in run_items(context, before_target=True):
            self.state.enter(item)
        self.plan = plan = _plan(self.request)
        self.own = own = OwnCode(self.main_globals, plan.package, plan.path_entry)
        context = dataclasses.replace(
            context,
            argv=plan.argv,
            path_entry=_sys_path_0(plan, self.run_env),
            main=self.main,
            own=own,
            streams=(self.capture.stdin, self.capture.stdout, self.capture.stderr),
            set_aside=_set_aside(self.request),
        )
        for item in run_items(context, before_target=False):
            self.state.enter(item)

    def execute(self) -> None:
        """Run the program and end it as the interpreter, ``os._exit`` or the time limit does."""
        assert self.plan is not None, "set_up() first"
        assert self.own is not None
        with (
            _command_lines(self.plan.script),
            ExitFunctions(self.own.owns_frame) as exit_functions,
            HardExits(self.capture.level) as hard_exits,
            TupleExits(),
            imports_compiled_once(),
            self.time_limit if self.time_limit is not None else contextlib.nullcontext(),
        ):
            threads = RunThreads()
            try:
                self._run_code(hard_exits)
                if not hard_exits.called and not self._expired():
                    self.returncode = _end(
                        self.exception,
                        self.main_globals,
                        self.plan,
                        threads,
                        exit_functions,
                        self.state.item(Logging),
                        self.capture,
                        self.request.globals == "drop",
                    )
            except (HardExit, RunTimeout):  # in an atexit function, an excepthook, a join
                pass
            except KeyboardInterrupt:  # os._exit from a thread: the last interruption, late
                if not hard_exits.called:
                    raise
            finally:
                if self.time_limit is not None:
                    self.time_limit.disarm()
            if hard_exits.status is not None:
                self._end_by_hard_exit(hard_exits)
            elif self._expired():
                self._end_by_timeout()
            if self.request.globals == "drop":
                self._drop_globals()

    def _run_code(self, hard_exits: HardExits) -> None:
        """The program's code; its ending goes to :attr:`exception`, a lookup failure is raised."""
        assert self.plan is not None
        try:
            if self.plan.script is not None:
                # Read here, under the time limit: the path may be a FIFO no one writes to.
                script = _script_code(self.plan.script)
                self.main_globals.update(script.special_globals)
                self.started.append(list(sys.argv))
                run_script(script, self.main_globals)
            else:
                run_as_main(
                    self.plan.main_name,
                    self.request.kind == "module",
                    self.main_globals,
                    TargetError,
                    self.started,
                )
        except BaseException as exc:
            if isinstance(exc, (TargetError, *self.passthrough)) and not hard_exits.called:
                raise
            self.exception = exc
        finally:
            hard_exits.program_ended()

    def _expired(self) -> bool:
        return self.time_limit is not None and self.time_limit.expired

    def _end_by_hard_exit(self, hard_exits: HardExits) -> None:
        """As the real ``os._exit``: that status, no clean-up, buffered output lost."""
        assert hard_exits.status is not None
        self.returncode = hard_exits.status & 0xFF
        self.capture.truncate(hard_exits.level)
        exception = self.exception
        if not isinstance(exception, HardExit) or exception.status != hard_exits.status:
            self.exception = HardExit(hard_exits.status, hard_exits.how)

    def _end_by_timeout(self) -> None:
        """Stopped like a child killed at its time limit, but the output is kept."""
        assert self.time_limit is not None
        self.timed_out = True
        self.returncode = KILLED_STATUS
        _flush_std_streams((sys.stdout, sys.stderr))
        self.capture.flush()
        if not isinstance(self.exception, RunTimeout):
            self.exception = RunTimeout(self.time_limit.seconds)

    def _drop_globals(self) -> None:
        """Free what the program left (``globals="drop"``), silently after a hard end.

        After a normal end :func:`_end` has cleared the namespace as the interpreter does, with
        the finalizers' output captured; after ``os._exit`` or the time limit the real
        program wrote nothing more, so what clearing now writes is not kept.
        """
        level = self.capture.level()
        free_at_exit(self.exception, self.main_globals)
        self.capture.truncate(level)

    def outcome(self) -> MainOutcome:
        modules = self.state.item(Modules)
        assert self.plan is not None
        return MainOutcome(
            globals=None if self.request.globals == "drop" else self.main_globals,
            exception=self.exception,
            returncode=self.returncode,
            argv=self.started[0] if self.started else list(self.plan.argv),
            capture=self.capture,
            state_changes=self.state.state_changes(),
            leaks=self.state.leaks,
            kept_modules=modules.kept,
            forgotten_modules=modules.forgotten,
            timed_out=self.timed_out,
            return_value=(
                launcher_return_value(self.exception, self.main_globals)
                if self.request.kind == "console_script" and not self.timed_out
                else None
            ),
        )


class _Script(Protocol):
    """Code the interpreter runs in ``__main__`` itself: a file (``python PATH``) or ``-c``."""

    @property
    def special_globals(self) -> dict[str, Any]: ...

    def load_code(self) -> CodeType: ...


@final
@dataclass(frozen=True)
class _CommandString:
    """The code of ``python -c CODE``: no ``__file__``, filename ``<string>``."""

    source: str

    @property
    def special_globals(self) -> dict[str, Any]:
        return {}

    def load_code(self) -> CodeType:
        return compile(self.source, COMMAND_FILENAME, "exec", dont_inherit=True)


def _script_code(script: str | _CommandString) -> _Script:
    """The code of a script's path (read now), or of a ``-c`` launcher."""
    return read_main_script(script) if isinstance(script, str) else script


#: From 3.13, ``python -c`` puts its code into :mod:`linecache`, so tracebacks show its lines.
_C_CODE_IN_LINECACHE: Final = sys.version_info >= (3, 13)


@contextlib.contextmanager
def _command_lines(script: str | _CommandString | None) -> Iterator[None]:
    """The ``-c`` code's lines in :mod:`linecache` while it runs and ends, as 3.13 has them."""
    if not isinstance(script, _CommandString) or not _C_CODE_IN_LINECACHE:
        yield
        return
    lines = [line + "\n" for line in script.source.splitlines()]
    saved = linecache.cache.get(COMMAND_FILENAME)
    linecache.cache[COMMAND_FILENAME] = (len(script.source), None, lines, COMMAND_FILENAME)
    try:
        yield
    finally:
        if saved is None:
            linecache.cache.pop(COMMAND_FILENAME, None)
        else:
            linecache.cache[COMMAND_FILENAME] = saved


def run_script(script: _Script, main_globals: dict[str, Any]) -> None:
    """Compile and execute a script in ``__main__`` as the interpreter does (no runpy frames)."""
    exec(script.load_code(), main_globals)


def _set_aside(request: RunRequest) -> tuple[str, ...]:
    """What ``-m`` runs as ``__main__``, kept out of ``sys.modules`` if the test imported it."""
    if request.kind != "module":
        return ()
    return (request.target, f"{request.target}.{MAIN_NAME}")


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
    #: The path of the script or compiled file (or console script launcher), as given, when
    #: the target is one; it is read when the run starts, under its time limit. A console
    #: script without a launcher file has the code of its ``python -c`` launcher instead.
    script: str | _CommandString | None
    #: Whether runpy's frames head the traceback of an uncaught exception.
    as_main: bool


def _plan(request: RunRequest) -> _Plan:
    """Locate the target as the command line does, in the run's working directory."""
    if request.kind == "module":
        return _Plan(
            argv=["-m", *request.args],
            path_entry=os.getcwd(),
            package=request.target.lstrip(".").partition(".")[0] or None,
            main_name=request.target,
            script=None,
            as_main=True,
        )
    if request.kind == "console_script":
        return _console_script_plan(request)
    argv = [request.target, *request.args]
    path = command_line_abspath(request.target)
    if is_path_entry(request.target):
        return _Plan(argv, path, None, MAIN_NAME, None, as_main=True)
    path_entry = os.path.dirname(os.path.realpath(path))
    return _Plan(argv, path_entry, None, MAIN_NAME, request.target, as_main=False)


def _console_script_plan(request: RunRequest) -> _Plan:
    """A console script as its launcher runs: the installed file, or an equivalent ``-c``.

    The launcher imports the script's package as the program's own code (each run imports it
    afresh); ``sys.path[0]`` is the launcher's directory, or the working directory for ``-c``.
    """
    script: ConsoleScript = find_console_script(request.target, os.environ)
    argv = [script.argv0, *request.args]
    if script.launcher is None:
        code = _CommandString(script.command_source)
        return _Plan(argv, "", script.package, MAIN_NAME, code, as_main=False)
    path_entry = os.path.dirname(os.path.realpath(command_line_abspath(script.launcher)))
    return _Plan(argv, path_entry, script.package, MAIN_NAME, script.launcher, as_main=False)


def _end(
    exception: BaseException | None,
    main_globals: dict[str, Any],
    plan: _Plan,
    threads: RunThreads,
    exit_functions: ExitFunctions,
    logs: Logging,
    capture: StdioCapture,
    drop_globals: bool,
) -> int:
    """Finish the run as the interpreter finishes: report, join threads, atexit, flush.

    With *drop_globals*, the namespace is then cleared as the interpreter frees ``__main__``
    at exit, so that the objects' finalizers run, and write, inside the run.
    """
    if plan.script is not None:
        # The C code that runs a script flushes stderr, then stdout, before printing its error.
        _flush_std_streams((sys.stderr, sys.stdout))
    stderr = _LastWords(capture)
    returncode = report_ending(
        exception,
        stderr,  # type: ignore[arg-type]
        as_main=plan.as_main,
        excepthook=sys.excepthook,
    )
    # The interpreter deletes a script's __file__ and __cached__ before exiting; atexit
    # functions must not see them, the result still shows them.
    removed: dict[str, Any] = {}
    if plan.script is not None:
        removed = {k: main_globals.pop(k) for k in ("__file__", "__cached__") if k in main_globals}
    while True:
        try:
            threads.join_non_daemon()
        except KeyboardInterrupt:  # Ctrl-C while waiting for the program's threads
            returncode = SIGINT_STATUS
        except Exception as exc:  # a signal handler of the program, run while waiting
            report_ignored_at_shutdown(exc, stderr)  # type: ignore[arg-type]
            continue  # the interpreter's exit would stop them; in-process they are waited for
        break
    try:
        exit_functions.run(stderr)  # type: ignore[arg-type]
    except KeyboardInterrupt:  # Ctrl-C between the atexit functions
        returncode = SIGINT_STATUS
    logs.shutdown()
    if not drop_globals:
        main_globals.update(removed)
    if not flush_std_files():
        returncode = FLUSH_FAILED_STATUS
    if drop_globals:
        free_at_exit(exception, main_globals)
        _flush_std_streams((sys.stdout, sys.stderr))
    capture.flush()
    return returncode


def free_at_exit(exception: BaseException | None, main_globals: dict[str, Any]) -> None:
    """Free the program's objects as the interpreter's finalization does, after its last flush.

    The uncaught exception's frames go first (``sys.last_traceback`` is deleted), then
    ``__main__``'s namespace: emptied, then each object released in the order the names were
    bound, then the garbage collected. ``weakref.finalize`` callbacks are over by then; those
    whose objects die now are not called.
    """
    with finalizers_shut_down():
        if exception is not None:
            traceback.clear_frames(exception.__traceback__)
        main_globals.clear()
        # The interpreter collects garbage there too: the objects in reference cycles.
        gc.collect()


def _flush_std_streams(streams: tuple[TextIO | None, ...]) -> None:
    """Flush the streams as the interpreter does: a broken or missing one is passed over."""
    for stream in streams:
        try:
            if stream is not None:
                stream.flush()
        except Exception:
            pass


@final
class _LastWords:
    """Where the interpreter writes its last words: ``sys.stderr`` as the program left it.

    None writes nothing; a stream that fails (closed, not a file) loses what is written to it,
    which from Python 3.12 the interpreter notes as ``lost sys.stderr`` on the real stderr.
    """

    def __init__(self, capture: StdioCapture) -> None:
        self._capture = capture
        self._lost = False

    def write(self, text: str) -> int:
        stream = sys.stderr
        if stream is None:
            return 0
        try:
            stream.write(text)
        except Exception:
            self._note_lost()
        return len(text)

    def flush(self) -> None:
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
        except Exception:
            self._note_lost()

    def _note_lost(self) -> None:
        if not self._lost and _NOTES_LOST_STDERR:
            self._capture.write_stderr_bytes(b"lost sys.stderr\n")
        self._lost = True


#: From 3.12 the interpreter says so on its real stderr when ``sys.stderr`` cannot be written.
_NOTES_LOST_STDERR: Final = sys.version_info >= (3, 12)
