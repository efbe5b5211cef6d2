"""Run a program's ``__main__`` in-process and return a :class:`RunResult`.

:class:`Runner` is what the ``run_module`` and ``run_path`` fixtures are: it merges the
configured option layers with the call's arguments into a :class:`RunRequest`, lets a
``before_run`` callback change it, runs it (in-process with
:func:`pytest_runmain._command_line.run_in_process`), and hands the result to ``after_run``.
It also works outside pytest: ``Runner().run_module("pkg")``.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Protocol, final

from pytest_runmain._capture import encode_stdin, stdio_encoding
from pytest_runmain._command_line import run_in_process
from pytest_runmain._entry_points import find_console_script
from pytest_runmain._exit import with_line_numbers
from pytest_runmain._options import (
    OPTION_NAMES,
    IsolationMode,
    OptionError,
    RunOptions,
    RunRequest,
    StrPath,
    TargetKind,
    Unpack,
    check_args,
    check_option,
    merge_layers,
)
from pytest_runmain._state import StateLeak
from pytest_runmain._state_items import merged_environ
from pytest_runmain._subprocess import child_command, run_child
from pytest_runmain._timeout import timeouts_supported
from pytest_runmain._workdir import Tree, TreeTooLarge, restore_tree, snapshot_tree
from pytest_runmain.leaks import judge_leaks
from pytest_runmain.modes import ADDRESSES, Judge, ModeComparison, RunmainSnapshotWarning, judge
from pytest_runmain.result import RunFailed, RunResult

__all__ = ["RunConsoleScript", "RunModule", "RunPath", "Runner", "StrPath"]


class RunModule(Protocol):
    """The type of the ``run_module`` fixture, for annotating tests."""

    def __call__(
        self, mod_name: str, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult: ...


class RunPath(Protocol):
    """The type of the ``run_path`` fixture, for annotating tests."""

    def __call__(
        self, path: StrPath, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult: ...


class RunConsoleScript(Protocol):
    """The type of the ``run_console_script`` fixture, for annotating tests."""

    def __call__(
        self, name: str, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult: ...


def _absolute_cwd(request: RunRequest) -> str:
    return os.path.abspath(request.cwd) if request.cwd is not None else os.getcwd()


def _inside(path: str, roots: Iterable[StrPath]) -> bool:
    real = os.path.realpath(path)
    for root in roots:
        top = os.path.realpath(root)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


_BEFORE: Final = "before the runs"


def _snapshot(request: RunRequest, root: str, when: str) -> Tree | None:
    """The files under *root* (*when* says which), or None with a warning saying why not."""
    try:
        return snapshot_tree(root)
    except (TreeTooLarge, OSError) as exc:
        unrestored = "the in-process run starts from what the subprocess run left, and "
        warnings.warn(
            RunmainSnapshotWarning(
                f"{request.command}: mode='both' cannot snapshot its working directory {when} "
                f"({exc}): {unrestored if when == _BEFORE else ''}the two runs are compared "
                "without their files"
            ),
            stacklevel=6,  # the test's run_module / run_path call
        )
        return None


def _restore(request: RunRequest, root: str, tree: Tree) -> None:
    try:
        restore_tree(root, tree)
    except OSError as exc:
        raise OSError(
            f"{request.command}: mode='both' could not put its working directory {root} back as "
            f"it was before the subprocess run, for the in-process run: {exc}"
        ) from exc


def _child_command(request: RunRequest, env: Mapping[str, str]) -> tuple[list[str], str]:
    """The child's command line, and its ``sys.argv[0]`` as far as the parent knows it."""
    args = tuple(request.args)
    if request.kind == "console_script":
        script = find_console_script(request.target, env)
        return script.child_command(args), script.argv0
    argv0 = request.target if request.kind == "path" else "-m"
    return child_command(request.kind, request.target, args), argv0


@final
class Runner:
    """Runs targets in-process with the semantics of ``python -m`` and ``python PATH``.

    *layers* are the configured options, lowest precedence first (see
    :func:`pytest_runmain._options.merge_layers`); the call's arguments come on top.
    *before_run* may change each request; *after_run* sees each result. Exceptions of the types
    in *passthrough* (pytest's outcomes, such as a pytest-timeout failure) are not the
    program's ending: they propagate out of the run once the interpreter state is restored.

    For ``mode="both"``: *compare* (the ``pytest_runmain_compare`` hook) may judge the two
    runs instead of the default comparison; a run whose working directory is one of
    *own_directories* (given when needed: the test's temporary directories), or inside one, is
    made twice from the same files, and the files each run left are compared.
    """

    def __init__(
        self,
        layers: Sequence[Mapping[str, Any]] = (),
        *,
        before_run: Callable[[RunRequest], object] | None = None,
        after_run: Callable[[RunResult], object] | None = None,
        passthrough: tuple[type[BaseException], ...] = (),
        compare: Judge | None = None,
        own_directories: Callable[[], Iterable[StrPath]] | None = None,
    ) -> None:
        self._layers = list(layers)
        self._compare = compare
        self._own_directories = own_directories
        self._before_run = before_run
        self._after_run = after_run
        self._passthrough = passthrough
        #: Every result this runner returned, oldest first.
        self.results: list[RunResult] = []
        self._deferred_leaks: list[tuple[str, IsolationMode, list[StateLeak]]] = []
        #: The leaks found right after runs checked with isolation "fail" or "warn".
        self.reported_leaks: list[tuple[str, StateLeak]] = []

    def run_module(
        self, mod_name: str, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult:
        """Run ``python -m mod_name *args`` in-process.

        *stdin* is the program's input (empty when None, like ``</dev/null``); *env* overlays
        ``os.environ`` for the run (a None value unsets a variable); *cwd* is the working
        directory of the run, which is also ``sys.path[0]``; *tty* makes the standard streams
        say they are a terminal; *columns* pins the terminal width; *isolation* says what
        state the run could not put back does: ``"fail"`` raises :class:`StateLeakError`,
        ``"warn"`` warns, ``"off"`` only records it in ``result.leaks``; *mode* runs the
        program ``"inprocess"``, in a ``"subprocess"``, or ``"both"`` (compared, the
        in-process result returned); *normalize* are regular expressions whose matches
        ``"both"`` ignores when comparing (object addresses always are); *timeout* stops a
        run after that many seconds (``result.timed_out``); ``capture="fd"`` also captures
        file descriptors 1 and 2.
        Keywords not given take the configured values (markers, ini and command-line options).
        """
        __tracebackhide__ = True
        if not isinstance(mod_name, str) or not mod_name or "\0" in mod_name:
            raise OptionError(
                f"run_module needs a module name (non-empty str without NUL), got {mod_name!r}"
            )
        return self._run("module", mod_name, args, options)

    def run_path(
        self, path: StrPath, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult:
        """Run ``python path *args`` in-process: a script, compiled file, directory or zip.

        A relative *path* is taken from the run's working directory, as on the command line.
        Keywords as for :meth:`run_module`.
        """
        __tracebackhide__ = True
        target = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
        if not isinstance(target, str) or not target or "\0" in target:
            raise OptionError(
                f"run_path needs a path (non-empty str or PathLike without NUL), got {path!r}"
            )
        return self._run("path", target, args, options)

    def run_console_script(
        self, name: str, /, *args: StrPath, **options: Unpack[RunOptions]
    ) -> RunResult:
        """Run the console script *name* as its installed launcher does, in-process.

        *name* is the name of a ``console_scripts`` or ``gui_scripts`` entry point of an
        installed distribution (found with :mod:`importlib.metadata`), an entry-point value as
        written in ``[project.scripts]`` (``"pkg.cli:main"``, nothing installed needed), or
        both (``"tool = pkg.cli:main"``). The module is imported normally, the function called
        and its return value given to ``sys.exit()``: None is status 0, an int the status, a
        string goes to stderr with status 1; ``result.return_value`` holds it. ``sys.argv[0]``
        is the installed launcher's path (as ``PATH`` finds it, if there), else the name.
        Keywords as for :meth:`run_module`.
        """
        __tracebackhide__ = True
        if not isinstance(name, str) or not name.strip() or "\0" in name:
            raise OptionError(
                "run_console_script needs a console script's name or entry-point value "
                f"(non-empty str without NUL), got {name!r}"
            )
        return self._run("console_script", name, args, options)

    def _run(
        self, kind: TargetKind, target: str, args: tuple[object, ...], call: Mapping[str, object]
    ) -> RunResult:
        __tracebackhide__ = True
        where = f"run_{kind}({target!r})"
        layer = {name: check_option(name, value, where) for name, value in call.items()}
        layer["args"] = check_args(args, where)
        request = merge_layers(kind, target, [*self._layers, layer])
        return self.run(request)

    def run(self, request: RunRequest) -> RunResult:
        """Run a fully configured request (after the ``before_run`` callback changed it)."""
        __tracebackhide__ = True
        if self._before_run is not None:
            self._before_run(request)
        where = f"run_{request.kind}({request.target!r}) after pytest_runmain_before_run"
        target_ok = (
            isinstance(request.target, str) and request.target and "\0" not in request.target
        )
        if request.kind not in ("module", "path", "console_script") or not target_ok:
            raise OptionError(
                f"{where}: kind must be 'module', 'path' or 'console_script' and target a "
                f"non-empty str without NUL, got {request.kind!r} and {request.target!r}"
            )
        for name in OPTION_NAMES:
            setattr(request, name, check_option(name, getattr(request, name), where))
        request.args = check_args(request.args, where)
        if request.cwd is not None and not os.path.isdir(request.cwd):
            raise NotADirectoryError(
                f"{request.command}: cwd {request.cwd!r} is not an existing directory"
            )
        if request.mode == "inprocess":
            result = self._run_inprocess(request)
        elif request.mode == "subprocess":
            result = self._run_subprocess(request)
        else:
            result = self._run_both(request)
        self.results.append(result)
        if self._after_run is not None:
            self._after_run(result)
        judgement = judge_leaks([(result.command, request.isolation, result.leaks)])
        self._deferred_leaks.extend(judgement.deferred)
        self.reported_leaks.extend(
            (command, leak) for command, _, leaks in judgement.now for leak in leaks
        )
        judgement.enforce(result, stacklevel=3)
        if request.check and result.returncode != 0:
            raise RunFailed(result, "check=True: expected exit status 0")
        return result

    def _run_both(self, request: RunRequest) -> RunResult:
        """The subprocess run, the same files put back, the in-process run; compared."""
        __tracebackhide__ = True
        root = _absolute_cwd(request)
        own = self._own_directories is not None and _inside(root, self._own_directories())
        start = _snapshot(request, root, _BEFORE) if own else None
        child = self._run_subprocess(request)
        child_files = None
        if start is not None:
            child_files = _snapshot(request, root, "after the subprocess run")
            _restore(request, root, start)
        result = self._run_inprocess(request)
        files = None
        if child_files is not None:
            files = _snapshot(request, root, "after the in-process run")
        comparison = ModeComparison(
            result,
            child,
            (ADDRESSES, *request.normalize),
            inprocess_files=files,
            subprocess_files=child_files if files is not None else None,
        )
        judge(comparison, self._compare)
        return result

    def _run_inprocess(self, request: RunRequest) -> RunResult:
        __tracebackhide__ = True
        if request.timeout is not None and not timeouts_supported():
            raise OptionError(
                f"{request.command}: an in-process timeout needs a timer signal and the main "
                "thread; run it with mode='subprocess'"
            )
        start = time.perf_counter()
        try:
            outcome = run_in_process(request, passthrough=self._passthrough)
        except self._passthrough as exc:
            # A signal handler's exception (pytest-timeout's) can carry entries without a
            # line number, which pytest's report cannot show.
            raise exc.with_traceback(with_line_numbers(exc.__traceback__)) from None
        capture = outcome.capture
        return RunResult(
            kind=request.kind,
            target=request.target,
            argv=outcome.argv,
            returncode=outcome.returncode,
            stdout_bytes=capture.stdout_bytes,
            stderr_bytes=capture.stderr_bytes,
            output_bytes=capture.output_bytes,
            encoding=capture.encoding,
            namespace=outcome.globals,
            exception=outcome.exception,
            duration=time.perf_counter() - start,
            cwd=_absolute_cwd(request),
            state_changes=outcome.state_changes,
            leaks=tuple(outcome.leaks),
            new_modules=tuple(outcome.kept_modules),
            timed_out=outcome.timed_out,
            return_value=outcome.return_value,
        )

    def _run_subprocess(self, request: RunRequest) -> RunResult:
        __tracebackhide__ = True
        if request.tty:
            raise OptionError(
                f"{request.command}: tty=True is only available in-process; a child's streams "
                "are pipes"
            )
        env = merged_environ(request.environment_overlay)
        encoding, errors = stdio_encoding(env)
        stdin = encode_stdin(request.stdin, encoding, errors)
        start = time.perf_counter()
        command, argv0 = _child_command(request, env)
        outcome = run_child(
            command,
            stdin=stdin or b"",
            env=env,
            cwd=request.cwd,
            timeout=request.timeout,
        )
        return RunResult(
            kind=request.kind,
            target=request.target,
            argv=[argv0, *request.args],
            returncode=outcome.returncode,
            stdout_bytes=outcome.joined("stdout"),
            stderr_bytes=outcome.joined("stderr"),
            output_bytes=outcome.joined(None),
            encoding=encoding,
            namespace=None,
            exception=None,
            duration=time.perf_counter() - start,
            cwd=_absolute_cwd(request),
            mode="subprocess",
            timed_out=outcome.timed_out,
        )

    def release(self) -> None:
        """Forget :attr:`results`, freeing the programs' objects as their exit would have.

        Each kept ``__main__`` namespace is cleared, as the interpreter frees it at exit, so
        that the objects go now (their ``__del__`` methods run, ``weakref.finalize``
        callbacks not marked ``atexit`` do not), not at some later garbage collection, where
        what they print could land in another run's output. A result held elsewhere keeps its
        other fields; its ``globals`` are empty. The globals of a run that left a thread
        running are not cleared: the thread may still use them.
        """
        from pytest_runmain._atexit import finalizers_shut_down
        from pytest_runmain._state_items import Threads

        results, self.results = self.results, []
        with finalizers_shut_down():
            for result in results:
                # A thread the program left running may still use its globals: they stay.
                if result.namespace is not None and not any(
                    leak.name == Threads.name for leak in result.leaks
                ):
                    result.namespace.clear()

    def check_deferred_leaks(self) -> list[tuple[str, IsolationMode, list[StateLeak]]]:
        """Check again the leaks that the programs' objects may have been holding.

        Call it once the results are released (:meth:`release`): a file descriptor a
        program's globals kept open is closed by then, unless something else still holds it.
        Returns, per run, the leaks that remain.
        """
        remaining = []
        pending, self._deferred_leaks = self._deferred_leaks, []
        for command, mode, leaks in pending:
            still = []
            for leak in leaks:
                assert leak.recheck is not None
                lines = leak.recheck()
                if lines:
                    still.append(StateLeak(leak.name, lines))
            if still:
                remaining.append((command, mode, still))
        return remaining
