"""Process-wide state a program can change for good: timers, limits, builtins, patched modules.

These items follow :mod:`pytest_runmain._state_items`: a cheap read, a write back, a diff.
Where the state cannot be read back (``faulthandler.dump_traceback_later``, ``codecs.register``,
``os.putenv``, ``random.seed``, ``resource.setrlimit``), the run replaces the module's
function with a wrapper that records what the program did (:class:`_Intercepts`), and the
write puts the original back and undoes what was recorded. Everything here calls functions
taken when this module was imported, so that a program patching ``os`` or ``signal`` fools
neither the reads nor the writes.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import _signal  # type: ignore[import-not-found]
import builtins
import codecs
import faulthandler
import gc
import os
import signal
import subprocess  # noqa: F401 - imported for its fork_exec, which runs watch
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from operator import attrgetter, is_
from types import ModuleType
from typing import Any, Final, final

from pytest_runmain._faulthandler import TracebackDumper, VirtualSwitch
from pytest_runmain._state import StateItem, StateLeak, dict_diff

try:
    import resource
except ImportError:  # Windows
    resource = None  # type: ignore[assignment]

__all__ = [
    "Builtins",
    "CEnvironment",
    "ChildProcesses",
    "InterpreterSettings",
    "ModuleAttributes",
    "ModuleFunctions",
    "ProcessSettings",
    "Registrations",
    "SpawnedChildren",
    "StdFileDescriptors",
    "StdlibHelpers",
    "Timers",
    "stdlib_helpers",
]

_fstat: Final = os.fstat
_dup: Final = os.dup
_dup2: Final = os.dup2
_close: Final = os.close
_open: Final = os.open
_read: Final = os.read
_listdir: Final = os.listdir
_putenv: Final = os.putenv
_unsetenv: Final = os.unsetenv
_tzset: Final[Callable[[], None] | None] = getattr(time, "tzset", None)
_monotonic: Final = time.monotonic
_process_time: Final = time.process_time
_current_thread: Final = threading.current_thread
_main_thread: Final = threading.main_thread
_stack_size: Final = threading.stack_size
_getitimer: Final[Callable[[int], tuple[float, float]] | None] = getattr(_signal, "getitimer", None)
_setitimer: Final[Callable[..., Any] | None] = getattr(_signal, "setitimer", None)
_sigmask: Final[Callable[[int, Any], set[int]] | None] = getattr(_signal, "pthread_sigmask", None)
_set_wakeup_fd: Final = _signal.set_wakeup_fd
_dump_later: Final = faulthandler.dump_traceback_later
_cancel_dump_later: Final = faulthandler.cancel_dump_traceback_later
_fh_enable: Final = faulthandler.enable
_fh_disable: Final = faulthandler.disable
_fh_is_enabled: Final = faulthandler.is_enabled
_fh_register: Final[Callable[..., None] | None] = getattr(faulthandler, "register", None)
_fh_unregister: Final[Callable[[int], bool] | None] = getattr(faulthandler, "unregister", None)
_codecs_register: Final = codecs.register
_siginterrupt: Final[Callable[[int, bool], None] | None] = getattr(signal, "siginterrupt", None)
_codecs_unregister: Final[Callable[[Any], None] | None] = getattr(codecs, "unregister", None)


def _name_of(obj: object) -> str:
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(name, str):
        module = getattr(obj, "__module__", None)
        return f"{module}.{name}" if isinstance(module, str) and module != "builtins" else name
    try:
        text = repr(obj)
    except Exception:
        text = f"<{type(obj).__name__} object>"
    return text if len(text) <= 80 else text[:77] + "..."


@final
class Ident:
    """An object compared by identity, shown by its qualified name (functions, hooks, policies)."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Ident) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __repr__(self) -> str:
        return _name_of(self.obj)


@final
class _Intercepts:
    """Module functions replaced by recording wrappers during a run, and put back after."""

    def __init__(self) -> None:
        self._saved: list[tuple[ModuleType, str, object]] = []

    def install(self, module: ModuleType, name: str, wrapper: Callable[..., Any]) -> None:
        self._saved.append((module, name, getattr(module, name)))
        setattr(module, name, wrapper)

    def remove(self) -> None:
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)
        self._saved.clear()


class _Recording(StateItem):
    """An item whose set-up only installs wrappers that record the program's calls.

    What the wrappers record shows in :meth:`read`: a program that ended with the state it
    started with recorded nothing, and removing the wrappers is all there is to undo.
    """

    setup_keeps_state = True

    def __init__(self) -> None:
        self._intercepts = _Intercepts()

    def undo_setup(self, outer: Any) -> bool:
        self._intercepts.remove()
        return True


# -- descriptors 0, 1, 2 ---------------------------------------------------------------------

#: Copies of the descriptors 0, 1 and 2 as a run found them, and what they are (device, inode),
#: kept from run to run (descriptors are the process's, like this cache). A copy is taken only
#: when the descriptor is something new, before the run's descriptors are listed.
_STD_COPIES: dict[int, tuple[int, tuple[int, int]]] = {}


def _identity(fd: int) -> tuple[int, int] | None:
    try:
        st = _fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@final
class StdFileDescriptors(StateItem):
    """Descriptors 0, 1 and 2: what they are open on, put back from copies taken before a run.

    Under ``pytest -s`` a program's ``os.dup2(devnull, 1)`` or ``os.close(1)`` would silence
    or break the rest of the session. A run keeps a copy of each (:meth:`for_run`, before the
    open descriptors are listed, so the copies are not the run's) and ``dup2`` puts it back.
    """

    name = "file descriptors 0, 1, 2"

    def read(self) -> tuple[tuple[int, int] | None, ...]:
        return _identity(0), _identity(1), _identity(2)

    @classmethod
    def for_run(cls) -> StdFileDescriptors:
        for fd, now in enumerate(cls().read()):
            saved = _STD_COPIES.get(fd)
            if saved is not None and saved[1] == now:
                continue
            if saved is not None:
                del _STD_COPIES[fd]
                _close(saved[0])
            if now is not None:
                _STD_COPIES[fd] = (_dup(fd), now)
        return cls()

    def write(self, snapshot: tuple[tuple[int, int] | None, ...]) -> None:
        for fd, before in enumerate(snapshot):
            saved = _STD_COPIES.get(fd)
            if before is not None and _identity(fd) != before and saved and saved[1] == before:
                _dup2(saved[0], fd)

    def diff(self, before: Any, after: Any) -> list[str]:
        return [
            f"~ fd {fd}: {_describe_fd(old)} -> {_describe_fd(new)}"
            for fd, (old, new) in enumerate(zip(before, after, strict=True))
            if old != new
        ]


def _describe_fd(identity: tuple[int, int] | None) -> str:
    return "closed" if identity is None else f"device {identity[0]}, inode {identity[1]}"


# -- process settings ------------------------------------------------------------------------


_RLIMIT_NAMES: Final[dict[int, str]] = {}
for _name in sorted(dir(resource) if resource is not None else ()):
    if _name.startswith("RLIMIT_"):  # RLIMIT_NOFILE before its alias RLIMIT_OFILE
        _RLIMIT_NAMES.setdefault(getattr(resource, _name), f"resource.{_name}")
_getpgrp: Final[Callable[[], int] | None] = getattr(os, "getpgrp", None)
_getsid: Final[Callable[[int], int] | None] = getattr(os, "getsid", None)
_nice: Final[Callable[[int], int] | None] = getattr(os, "nice", None)


def _rlimit_name(number: int) -> str:
    return _RLIMIT_NAMES.get(number, str(number))


@final
class ProcessSettings(_Recording):
    """The signal mask, resource limits, process group, session, nice value and wakeup fd.

    The mask (``signal.pthread_sigmask``) is this thread's, the wakeup fd only readable in the
    main thread. ``resource.RLIMIT_NOFILE`` is always read, other limits once the program
    changed them through ``resource.setrlimit`` or ``resource.prlimit``. A hard limit lowered,
    a new process group or session, a higher nice value: an unprivileged process cannot undo
    them, and they are leaks.
    """

    name = "process settings"

    def __init__(self) -> None:
        super().__init__()
        self._limits: dict[int, tuple[int, int]] = {}

    def read(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        if _sigmask is not None:
            state["signal.pthread_sigmask()"] = sorted(_sigmask(_signal.SIG_BLOCK, ()))
        if resource is not None:
            for number in (resource.RLIMIT_NOFILE, *self._limits):
                state[_rlimit_name(number)] = resource.getrlimit(number)
        if _getpgrp is not None and _getsid is not None and _nice is not None:
            state["os.getpgrp()"] = _getpgrp()
            state["os.getsid(0)"] = _getsid(0)
            state["os.nice(0)"] = _nice(0)
        if _current_thread() is _main_thread():
            state["signal.set_wakeup_fd()"] = _read_wakeup_fd()
        return state

    def setup(self) -> None:
        if resource is None:
            return
        limits = self._limits
        setrlimit, prlimit = resource.setrlimit, getattr(resource, "prlimit", None)

        def recording_setrlimit(number: int, limits_: tuple[int, int]) -> None:
            limits.setdefault(number, resource.getrlimit(number))
            setrlimit(number, limits_)

        self._intercepts.install(resource, "setrlimit", recording_setrlimit)
        if prlimit is not None:

            def recording_prlimit(pid: int, number: int, *limits_: Any) -> Any:
                if pid in (0, os.getpid()):
                    limits.setdefault(number, resource.getrlimit(number))
                return prlimit(pid, number, *limits_)

            self._intercepts.install(resource, "prlimit", recording_prlimit)

    def write(self, snapshot: dict[str, Any]) -> None:
        self._intercepts.remove()
        now = self.read()
        if now.get("signal.pthread_sigmask()") != snapshot.get("signal.pthread_sigmask()"):
            assert _sigmask is not None
            _sigmask(_signal.SIG_SETMASK, snapshot["signal.pthread_sigmask()"])
        for number in self._limits:
            _restore_limit(number, snapshot.get(_rlimit_name(number), self._limits[number]))
        if resource is not None:
            _restore_limit(resource.RLIMIT_NOFILE, snapshot[_rlimit_name(resource.RLIMIT_NOFILE)])
        _try_undo_process_changes(snapshot, now)
        wakeup = snapshot.get("signal.set_wakeup_fd()")
        if wakeup is not None and now.get("signal.set_wakeup_fd()") != wakeup:
            try:
                _set_wakeup_fd(wakeup)
            except (OSError, ValueError):  # the descriptor was closed: a leak
                pass

    def diff(self, before: Any, after: Any) -> list[str]:
        # Limits first read during the run were recorded before the program changed them.
        before = {**{_rlimit_name(n): v for n, v in self._limits.items()}, **before}
        return dict_diff(before, after)

    def leak_diff(self, outer: Any, now: Any) -> list[str]:
        return [f"{line} (cannot be put back)" for line in self.diff(outer, now)]


def _read_wakeup_fd() -> int:
    fd: int = _set_wakeup_fd(-1)
    if fd != -1:
        try:
            _set_wakeup_fd(fd)
        except (OSError, ValueError):  # closed by the program: reads as none, a change
            return -1
    return fd


def _restore_limit(number: int, limits: tuple[int, int]) -> None:
    current = resource.getrlimit(number)
    if current == tuple(limits):
        return
    soft, hard = limits
    try:
        resource.setrlimit(number, (soft, hard))
    except (OSError, ValueError):  # a lowered hard limit: the soft one goes as high as allowed
        ceiling = current[1]
        if ceiling != resource.RLIM_INFINITY and (soft == resource.RLIM_INFINITY or soft > ceiling):
            soft = ceiling
        try:
            resource.setrlimit(number, (soft, ceiling))
        except (OSError, ValueError):
            pass


def _try_undo_process_changes(snapshot: Mapping[str, Any], now: Mapping[str, Any]) -> None:
    """Join the old process group again, lower the nice value back: where permitted."""
    try:
        if now.get("os.getpgrp()") != snapshot.get("os.getpgrp()"):
            os.setpgid(0, snapshot["os.getpgrp()"])
    except OSError:
        pass
    try:
        if now.get("os.nice(0)") != snapshot.get("os.nice(0)"):
            os.nice(snapshot["os.nice(0)"] - now["os.nice(0)"])
    except OSError:
        pass


# -- interpreter settings --------------------------------------------------------------------

_get_int_max_str_digits: Final[Callable[[], int] | None] = getattr(
    sys, "get_int_max_str_digits", None
)


@final
class InterpreterSettings(_Recording):
    """``sys``, ``gc``, ``threading``, ``asyncio`` and ``random`` settings of the interpreter.

    ``random``'s global generator is put back when the program seeded it (``random.seed`` or
    ``random.setstate``, recorded during the run); draws alone are not a change.
    """

    name = "interpreter settings"

    def __init__(self) -> None:
        super().__init__()
        self._random_state: Any = None
        self._seeded: list[str] = []

    def read(self) -> dict[str, Any]:
        hooks = sys.get_asyncgen_hooks()
        state: dict[str, Any] = {
            "sys.getswitchinterval()": sys.getswitchinterval(),
            "sys.dont_write_bytecode": sys.dont_write_bytecode,
            "sys.get_asyncgen_hooks()": (Ident(hooks.firstiter), Ident(hooks.finalizer)),
            "sys.get_coroutine_origin_tracking_depth()": (
                sys.get_coroutine_origin_tracking_depth()
            ),
            "threading.stack_size()": _stack_size(),
            "gc.isenabled()": gc.isenabled(),
            "gc.get_threshold()": gc.get_threshold(),
            "gc.get_debug()": gc.get_debug(),
            "gc.callbacks": [Ident(c) for c in gc.callbacks],
        }
        if _get_int_max_str_digits is not None:
            state["sys.get_int_max_str_digits()"] = _get_int_max_str_digits()
        events = sys.modules.get("asyncio.events")
        if events is not None:
            policy = getattr(events, "_event_loop_policy", None)
            state["asyncio event loop policy"] = Ident(policy)
            local = getattr(policy, "_local", None)
            state["asyncio.get_event_loop()"] = (
                Ident(getattr(local, "_loop", None)),
                getattr(local, "_set_called", None),
            )
        if self._seeded:
            state["random.seed()"] = list(self._seeded)
        return state

    def setup(self) -> None:
        random = sys.modules.get("random")
        inst = getattr(random, "_inst", None)
        if random is None or inst is None:
            return
        for name in ("seed", "setstate"):
            self._intercepts.install(random, name, self._recording(inst, name))

    def _recording(self, inst: Any, name: str) -> Callable[..., Any]:
        original = getattr(inst, name)

        def recording(*args: Any, **kwargs: Any) -> Any:
            if self._random_state is None:
                self._random_state = inst.getstate()
            self._seeded.append(f"random.{name}()")
            return original(*args, **kwargs)

        return recording

    def write(self, snapshot: dict[str, Any]) -> None:
        self._intercepts.remove()
        if self._random_state is not None:
            sys.modules["random"]._inst.setstate(self._random_state)
            self._random_state, self._seeded = None, []
        now = self.read()
        changed = {key for key, value in snapshot.items() if now.get(key) != value}
        for key in changed:
            _SETTERS[key](snapshot[key])


def _set_asyncgen_hooks(hooks: tuple[Ident, Ident]) -> None:
    sys.set_asyncgen_hooks(firstiter=hooks[0].obj, finalizer=hooks[1].obj)


def _set_gc_enabled(enabled: bool) -> None:
    (gc.enable if enabled else gc.disable)()


def _set_gc_callbacks(callbacks: list[Ident]) -> None:
    gc.callbacks[:] = [c.obj for c in callbacks]


def _set_event_loop_policy(policy: Ident) -> None:
    setattr(sys.modules["asyncio.events"], "_event_loop_policy", policy.obj)  # noqa: B010


def _set_event_loop(loop: tuple[Ident, bool | None]) -> None:
    policy = getattr(sys.modules["asyncio.events"], "_event_loop_policy", None)
    local = getattr(policy, "_local", None)
    if local is not None:
        local._loop = loop[0].obj
        if loop[1] is not None:
            local._set_called = loop[1]


def _set_dont_write_bytecode(value: bool) -> None:
    sys.dont_write_bytecode = value


_SETTERS: Final[dict[str, Callable[[Any], object]]] = {
    "sys.getswitchinterval()": sys.setswitchinterval,
    "sys.dont_write_bytecode": _set_dont_write_bytecode,
    "sys.get_asyncgen_hooks()": _set_asyncgen_hooks,
    "sys.get_coroutine_origin_tracking_depth()": sys.set_coroutine_origin_tracking_depth,
    "sys.get_int_max_str_digits()": getattr(sys, "set_int_max_str_digits", lambda value: None),
    "threading.stack_size()": _stack_size,
    "gc.isenabled()": _set_gc_enabled,
    "gc.get_threshold()": lambda threshold: gc.set_threshold(*threshold),
    "gc.get_debug()": gc.set_debug,
    "gc.callbacks": _set_gc_callbacks,
    "asyncio event loop policy": _set_event_loop_policy,
    "asyncio.get_event_loop()": _set_event_loop,
    "random.seed()": lambda value: None,
}


# -- the C environment and the time zone -----------------------------------------------------


def _tz_state() -> tuple[Any, ...]:
    return time.tzname, time.timezone, time.altzone, time.daylight


@final
class CEnvironment(_Recording):
    """What ``os.putenv``/``os.unsetenv`` set apart from ``os.environ``, and ``time.tzset()``.

    The C environment cannot be listed cheaply: the run records the variables the program sets
    through ``os.putenv`` and ``os.unsetenv`` (``os.environ`` goes through them too) and, after,
    sets each back as ``os.environ`` has it. A ``time.tzset()`` is undone by calling it again
    with the ``TZ`` of before the run.
    """

    name = "C environment and time zone"

    def __init__(self) -> None:
        super().__init__()
        self._touched: dict[str, str | None] = {}

    def read(self) -> dict[str, Any]:
        state: dict[str, Any] = {"time zone": _tz_state(), "TZ": os.environ.get("TZ")}
        if self._touched:
            environ = os.environ
            state["set apart from os.environ"] = sorted(
                key for key, value in self._touched.items() if environ.get(key) != value
            )
        return state

    def setup(self) -> None:
        touched = self._touched

        def recording_putenv(key: str | bytes, value: str | bytes) -> None:
            _putenv(key, value)
            touched[os.fsdecode(key)] = os.fsdecode(value)

        def recording_unsetenv(key: str | bytes) -> None:
            _unsetenv(key)
            touched[os.fsdecode(key)] = None

        self._intercepts.install(os, "putenv", recording_putenv)
        self._intercepts.install(os, "unsetenv", recording_unsetenv)

    def write(self, snapshot: dict[str, Any]) -> None:
        self._intercepts.remove()
        environ = os.environ
        for key in self._touched:
            _set_c_variable(key, environ.get(key))
        self._touched.clear()
        if _tzset is not None and _tz_state() != snapshot["time zone"]:
            _set_c_variable("TZ", snapshot["TZ"])
            _tzset()
            _set_c_variable("TZ", environ.get("TZ"))

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = []
        if before["time zone"] != after["time zone"]:
            lines.append(f"~ time.tzset(): {before['time zone']!r} -> {after['time zone']!r}")
        lines.extend(
            f"~ {key}: set by os.putenv/os.unsetenv apart from os.environ"
            for key in after.get("set apart from os.environ", ())
        )
        return lines

    def leak_diff(self, outer: Any, now: Any) -> list[str]:
        return self.diff(outer, now)


def _set_c_variable(key: str, value: str | None) -> None:
    if value is None:
        _unsetenv(key)
    else:
        _putenv(key, value)


# -- timers ----------------------------------------------------------------------------------

_ITIMERS: Final[tuple[tuple[str, int, Callable[[], float]], ...]] = (
    tuple(
        (name, getattr(_signal, name), clock)
        for name, clock in (
            ("ITIMER_REAL", _monotonic),
            ("ITIMER_VIRTUAL", _process_time),
            ("ITIMER_PROF", _process_time),
        )
    )
    if _getitimer is not None
    else ()
)
#: How far apart two readings of a timer's deadline may be and still be the same timer.
_DEADLINE_TOLERANCE: Final = 0.05


@final
class _Timer:
    """A timer's reading: compared by deadline (with a tolerance) and interval."""

    __slots__ = ("deadline", "interval", "remaining")

    def __init__(self, remaining: float, interval: float, now: float) -> None:
        self.remaining = remaining
        self.interval = interval
        self.deadline = now + remaining if remaining > 0 else None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Timer) or abs(other.interval - self.interval) > 1e-3:
            return False
        if self.deadline is None or other.deadline is None:
            return self.deadline is other.deadline
        return abs(self.deadline - other.deadline) <= _DEADLINE_TOLERANCE

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if self.deadline is None:
            return "not armed"
        every = f", then every {self.interval:g} s" if self.interval else ""
        return f"armed, {self.remaining:.3g} s left{every}"


@final
class Timers(_Recording):
    """``signal.alarm``/``signal.setitimer`` timers and ``faulthandler.dump_traceback_later``.

    A timer the run armed is stopped; one armed before the run (pytest-timeout's) is armed
    again for the time it has left. ``faulthandler`` cannot say whether a dump is armed: the
    run records the program's ``dump_traceback_later`` calls, and cancels its dump after.
    """

    name = "timers"

    def __init__(self) -> None:
        super().__init__()
        self._dump: str | None = None

    def read(self) -> dict[str, Any]:
        state: dict[str, Any] = {
            f"signal.{name}": _read_timer(which, clock) for name, which, clock in _ITIMERS
        }
        if self._dump is not None:
            state["faulthandler.dump_traceback_later"] = self._dump
        return state

    def setup(self) -> None:
        def recording_dump_later(timeout: float, *args: Any, **kwargs: Any) -> None:
            _dump_later(timeout, *args, **kwargs)
            self._dump = f"armed for {timeout:g} s"

        def recording_cancel() -> None:
            _cancel_dump_later()
            self._dump = "cancelled"

        self._intercepts.install(faulthandler, "dump_traceback_later", recording_dump_later)
        self._intercepts.install(faulthandler, "cancel_dump_traceback_later", recording_cancel)

    def write(self, snapshot: dict[str, Any]) -> None:
        self._intercepts.remove()
        if self._dump is not None:
            if self._dump.startswith("armed"):
                _cancel_dump_later()
            self._dump = None
        for name, which, clock in _ITIMERS:
            before = snapshot[f"signal.{name}"]
            if _read_timer(which, clock) == before:
                continue
            assert _setitimer is not None
            now = clock()
            if before.deadline is None or (before.interval == 0 and before.deadline <= now):
                # None armed before, or a one-shot timer whose time came during the run: its
                # signal went off then (pytest-timeout's handler ran); arming it again would
                # fire it twice.
                _setitimer(which, 0)
            else:
                _setitimer(which, max(before.deadline - now, 0.001), before.interval)


def _read_timer(which: int, clock: Callable[[], float]) -> _Timer:
    assert _getitimer is not None
    remaining, interval = _getitimer(which)
    return _Timer(remaining, interval, clock())


# -- faulthandler and codecs registrations ---------------------------------------------------


@final
class Registrations(_Recording):
    """``faulthandler.enable``/``register``, ``codecs.register`` and ``signal.siginterrupt``.

    None can be read back, so the run records the program's calls. After it a search function
    the program registered is unregistered, and so are its ``faulthandler.register`` signals;
    a signal the program made restart system calls interrupts them again, as
    ``signal.signal`` leaves it; ``faulthandler`` is
    disabled again if it was off. If it was on (pytest's ``faulthandler`` plugin enables it
    on a copy of stderr), its file could not be put back: the program gets a switch of its own
    (see :mod:`pytest_runmain._faulthandler`), off as in a new interpreter. Its
    ``faulthandler.dump_traceback`` lists its own frames and threads.
    """

    name = "faulthandler and codecs"

    def __init__(self) -> None:
        super().__init__()
        self._calls: dict[str, list[Any]] = {}
        self._switch: VirtualSwitch | None = None

    def read(self) -> dict[str, Any]:
        switch = self._switch
        enabled = _fh_is_enabled() if switch is None else switch.enabled
        state: dict[str, Any] = {"faulthandler.is_enabled()": enabled}
        for key, calls in self._calls.items():
            if calls:
                state[key] = list(calls)
        return state

    def setup(self) -> None:
        if _siginterrupt is not None:
            self._record(signal, "siginterrupt", lambda signum, flag: int(signum))
        outside = list(sys._current_frames())
        self._intercepts.install(
            faulthandler, "dump_traceback", TracebackDumper(outside).dump_traceback
        )
        if _fh_is_enabled():
            switch = self._switch = VirtualSwitch()
            self.setup_keeps_state = False  # the program's switch starts off, as in a new process
            self._intercepts.install(faulthandler, "is_enabled", switch.is_enabled)
            self._record(faulthandler, "enable", lambda *a, **k: "enable", switch.enable)
            self._record(faulthandler, "disable", lambda *a, **k: "disable", switch.disable)
        else:
            self._record(faulthandler, "enable", lambda *a, **k: "enable")
            self._record(faulthandler, "disable", lambda *a, **k: "disable")
        if _fh_register is not None:
            self._record(faulthandler, "register", lambda signum, *a, **k: int(signum))
        self._record(codecs, "register", Ident)

    def _record(
        self,
        module: ModuleType,
        name: str,
        note: Callable[..., Any],
        function: Callable[..., Any] | None = None,
    ) -> None:
        original = getattr(module, name) if function is None else function
        calls = self._calls.setdefault(f"{module.__name__}.{name}", [])

        def recording(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            calls.append(note(*args, **kwargs))
            return result

        self._intercepts.install(module, name, recording)

    def write(self, snapshot: dict[str, Any]) -> None:
        self._intercepts.remove()
        for search_function in self._calls.get("codecs.register", ()):
            if _codecs_unregister is not None:
                _codecs_unregister(search_function.obj)
        for signum in self._calls.get("faulthandler.register", ()):
            if _fh_unregister is not None:
                _fh_unregister(signum)
        for signum in self._calls.get("signal.siginterrupt", ()):
            if _siginterrupt is not None:
                _siginterrupt(signum, True)  # as signal.signal leaves it: calls interrupted
        self._switch = None
        if not snapshot["faulthandler.is_enabled()"] and _fh_is_enabled():
            _fh_disable()
        self._calls = {}

    def undo_setup(self, outer: Any) -> bool:
        self._switch = None  # the program's own switch, which it left as it found it
        return super().undo_setup(outer)

    def diff(self, before: Any, after: Any) -> list[str]:
        lines = dict_diff(
            {"faulthandler.is_enabled()": before["faulthandler.is_enabled()"]},
            {"faulthandler.is_enabled()": after["faulthandler.is_enabled()"]},
        )
        for key, calls in after.items():
            if key != "faulthandler.is_enabled()" and calls:
                lines.append(f"+ {key}: {', '.join(map(repr, calls))}")
        return lines


# -- functions of standard modules -----------------------------------------------------------

#: The functions a program is likely to patch and that pytest, its plugins and this plugin's
#: checks call: a patched ``os.listdir`` hides open files, a patched ``threading.enumerate``
#: running threads. Functions the run itself intercepts are left to their items.
_WATCHED: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("os", ("chdir", "close", "dup", "dup2", "environ", "fspath", "fstat", "get_terminal_size",
            "getcwd", "getenv", "getpid", "kill", "listdir", "lstat", "makedirs", "mkdir",
            "open", "pipe", "read", "readlink", "remove", "rename", "replace", "rmdir",
            "scandir", "stat", "system", "umask", "unlink", "urandom", "walk", "write")),
    ("os.path", ("abspath", "basename", "dirname", "exists", "expanduser", "getmtime",
                 "getsize", "isabs", "isdir", "isfile", "islink", "join", "normcase",
                 "normpath", "realpath", "relpath", "samefile", "split", "splitext")),
    ("sys", ("exc_info", "exit", "getrecursionlimit", "getswitchinterval", "gettrace",
             "getprofile", "setrecursionlimit", "setswitchinterval", "settrace", "setprofile")),
    ("threading", ("Event", "Lock", "RLock", "Thread", "Timer", "active_count",
                   "current_thread", "enumerate", "get_ident", "main_thread", "setprofile",
                   "settrace")),
    ("time", ("localtime", "monotonic", "perf_counter", "process_time", "sleep", "strftime",
              "time", "time_ns")),
    ("signal", ("alarm", "getitimer", "getsignal", "pthread_sigmask", "set_wakeup_fd",
                "setitimer", "signal")),
    ("io", ("BytesIO", "StringIO", "TextIOWrapper", "open")),
    ("json", ("dump", "dumps", "load", "loads")),
    ("gc", ("collect",)),
    ("warnings", ("catch_warnings", "filterwarnings", "simplefilter", "warn",
                  "warn_explicit")),
    ("subprocess", ("Popen", "call", "check_call", "check_output", "run")),
    ("shutil", ("copy", "copyfile", "copytree", "move", "rmtree", "which")),
    ("tempfile", ("NamedTemporaryFile", "TemporaryDirectory", "gettempdir", "mkdtemp",
                  "mkstemp")),
    ("socket", ("create_connection", "getaddrinfo", "socket")),
    ("datetime", ("date", "datetime")),
    ("random", ("choice", "randint", "random", "shuffle")),
)  # fmt: skip
_GETTERS: Final = tuple((module, names, attrgetter(*names)) for module, names in _WATCHED)
_WATCHED_NAMES: Final = dict(_WATCHED)
_MISSING: Final = Ident(None)


def _read_functions(module: ModuleType, names: tuple[str, ...], get: Any) -> tuple[Any, ...]:
    try:
        values = get(module)
    except AttributeError:  # the program deleted one, or replaced the module
        return tuple(getattr(module, name, _MISSING) for name in names)
    return values if isinstance(values, tuple) else (values,)


def _same(left: Iterable[Any], right: Iterable[Any]) -> bool:
    """Whether two sequences of the same length hold the same objects (``is``, at C speed)."""
    return all(map(is_, left, right))


@final
class _Functions:
    """The watched functions of the imported modules, compared by identity."""

    __slots__ = ("entries",)

    def __init__(self, entries: list[tuple[str, ModuleType, tuple[Any, ...]]]) -> None:
        self.entries = entries

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Functions) or len(other.entries) != len(self.entries):
            return False
        # Tuples compare at C speed, by identity first: a function's ``==`` is identity.
        return self.entries == other.entries

    __hash__ = None  # type: ignore[assignment]

    def changed(self, other: _Functions) -> Iterator[tuple[ModuleType, str, str, Any, Any]]:
        """``(module, its name, function name, here, there)`` for each function that differs."""
        theirs = {name: (module, values) for name, module, values in other.entries}
        for name, module, values in self.entries:
            other_module, other_values = theirs.get(name, (None, ()))
            if other_module is not module or _same(values, other_values):
                continue
            for i, function in enumerate(_WATCHED_NAMES[name]):
                if values[i] is not other_values[i]:
                    yield module, name, function, values[i], other_values[i]


@final
class ModuleFunctions(StateItem):
    """Functions of standard modules a program replaced (``os.listdir = ...``), put back.

    A fixed list of the functions that checks and test tools rely on and that programs patch,
    of the modules already imported: reading every module's namespace would cost too much.
    ``os.environ`` is among them, so the original mapping comes back if the program rebound it.
    """

    name = "functions of standard modules"

    def read(self) -> _Functions:
        modules = sys.modules
        return _Functions(
            [
                (name, module, _read_functions(module, names, get))
                for name, names, get in _GETTERS
                if (module := modules.get(name)) is not None
            ]
        )

    def write(self, snapshot: _Functions) -> None:
        now = self.read()
        if now == snapshot:
            return
        for module, _, name, value, _ in snapshot.changed(now):
            if value is _MISSING:
                delattr(module, name)
            else:
                setattr(module, name, value)

    def diff(self, before: _Functions, after: _Functions) -> list[str]:
        return [
            f"~ {module}.{name}: replaced by {_name_of(new)}"
            if new is not _MISSING
            else f"- {module}.{name}"
            for _, module, name, _, new in before.changed(after)
        ]


# -- builtins --------------------------------------------------------------------------------


@final
class _Namespace:
    """A copy of a namespace, compared by names and values at C speed (identity first)."""

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Namespace):
            return False
        return self.values == other.values

    __hash__ = None  # type: ignore[assignment]


@final
class Builtins(StateItem):
    """The ``builtins`` namespace: a program's ``builtins.print = ...`` or new names are undone."""

    name = "builtins"

    def read(self) -> _Namespace:
        return _Namespace(dict(builtins.__dict__))

    def write(self, snapshot: _Namespace) -> None:
        namespace = builtins.__dict__
        if _Namespace(namespace) == snapshot:
            return
        for key in [k for k in namespace if k not in snapshot.values]:
            del namespace[key]
        for key, value in snapshot.values.items():
            if namespace.get(key, _MISSING) is not value:
                namespace[key] = value

    def diff(self, before: _Namespace, after: _Namespace) -> list[str]:
        old, new = before.values, after.values
        lines = [f"- {key}" for key in old if key not in new]
        lines.extend(
            f"~ {key}: replaced by {_name_of(new[key])}"
            for key in old
            if key in new and new[key] is not old[key]
        )
        lines.extend(f"+ {key}: {_name_of(new[key])}" for key in new if key not in old)
        return lines


# -- every module (deep isolation) ------------------------------------------------------------


#: Modules whose namespace other items own, or the machinery changes during a run.
_NOT_DEEP_CHECKED: Final = ("__main__", "sys", "builtins")
_PACKAGE: Final = __name__.partition(".")[0]


@final
class _Modules:
    """The namespaces of the modules imported at a point, compared by identity at C speed."""

    __slots__ = ("entries",)

    def __init__(self, entries: dict[str, tuple[ModuleType, list[str], list[Any]]]) -> None:
        self.entries = entries

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Modules):
            return False
        theirs = other.entries
        for name, (module, keys, values) in self.entries.items():
            entry = theirs.get(name)
            if entry is None or entry[0] is not module:
                continue  # gone or replaced: the sys.modules item's business
            if entry[1] != keys or not _same(values, entry[2]):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def changed(self, other: _Modules) -> Iterator[tuple[str, ModuleType, str, Any, Any]]:
        """``(module name, module, attribute, here, there)`` for each attribute that differs."""
        theirs = other.entries
        for name, (module, keys, values) in self.entries.items():
            entry = theirs.get(name)
            if entry is None or entry[0] is not module:
                continue
            if entry[1] == keys and _same(values, entry[2]):
                continue
            here = dict(zip(keys, values, strict=True))
            there = dict(zip(entry[1], entry[2], strict=True))
            watched = _WATCHED_NAMES.get(name, ())  # ModuleFunctions' own
            for key in [*here, *(k for k in there if k not in here)]:
                old, new = here.get(key, _MISSING), there.get(key, _MISSING)
                if old is not new and key not in watched:
                    yield name, module, key, old, new


@final
class ModuleAttributes(StateItem):
    """Every attribute of every module imported before the run (``deep_isolation=True``).

    What :class:`ModuleFunctions` does for a list of functions, for every name of every module
    but ``__main__``, ``sys`` and ``builtins`` (which other items own) and this package's: a
    program that rebinds ``json.dumps``, a library's setting or a module-level cache has it put
    back. New modules are the ``sys.modules`` item's. Costs a copy of every namespace four
    times a run, hence an option.

    The other items set up functions of their own in modules (recording wrappers, warning
    filters): those are not the program's changes. So this item reads the test's state when
    it is built, before any item sets up, and is entered after all of them: the program's
    changes are from the state it started with, and what is written back, and checked, is
    the test's state.
    """

    name = "module attributes"

    def __init__(self) -> None:
        #: The test's own state, read when the run's items are built, before any sets up.
        self._outer = self.read()

    def read(self) -> _Modules:
        entries = {}
        for name, module in list(sys.modules.items()):
            if (
                isinstance(module, ModuleType)
                and name not in _NOT_DEEP_CHECKED
                and name.partition(".")[0] != _PACKAGE
            ):
                namespace = module.__dict__
                entries[name] = (module, list(namespace), list(namespace.values()))
        return _Modules(entries)

    def write(self, snapshot: _Modules) -> None:
        # Entered last, it is written back first, and writes the test's own state: the other
        # items then write theirs, the same (see the class docstring).
        for _, module, key, old, _ in self._outer.changed(self.read()):
            namespace = module.__dict__
            if old is _MISSING:
                namespace.pop(key, None)
            else:
                namespace[key] = old

    def leaks(self, outer: Any, now: Any) -> list[StateLeak]:
        lines = self.diff(self._outer, now)
        return [StateLeak(self.name, tuple(lines))] if lines else []

    def diff(self, before: _Modules, after: _Modules) -> list[str]:
        lines = []
        for name, _, key, old, new in before.changed(after):
            if old is _MISSING:
                lines.append(f"+ {name}.{key}: {_name_of(new)}")
            elif new is _MISSING:
                lines.append(f"- {name}.{key}")
            else:
                lines.append(f"~ {name}.{key}: replaced by {_name_of(new)}")
        return lines


@final
@dataclass(frozen=True)
class StdlibHelpers:
    """The standard library's helper processes of this process and the descriptors to them."""

    fds: frozenset[int] = frozenset()
    pids: frozenset[int] = frozenset()


def stdlib_helpers() -> StdlibHelpers:
    """multiprocessing's resource tracker and fork server, if this process has started them.

    Each is started once per process, at first need (a spawn or forkserver pool, shared memory,
    a semaphore), and kept, with a pipe to it, until the process exits; later runs reuse it. A
    run that started one has not leaked it: the real interpreter would have started it too.
    Read from the modules only if something imported them.
    """
    fds: set[int] = set()
    pids: set[int] = set()
    tracker = getattr(
        sys.modules.get("multiprocessing.resource_tracker"), "_resource_tracker", None
    )
    server = getattr(sys.modules.get("multiprocessing.forkserver"), "_forkserver", None)
    for helper, fd_name, pid_name in (
        (tracker, "_fd", "_pid"),
        (server, "_forkserver_alive_fd", "_forkserver_pid"),
    ):
        fd, pid = getattr(helper, fd_name, None), getattr(helper, pid_name, None)
        if isinstance(fd, int):
            fds.add(fd)
        if isinstance(pid, int):
            pids.add(pid)
    return StdlibHelpers(frozenset(fds), frozenset(pids))


_TASK_DIR: Final = "/proc/self/task"
_HAS_CHILDREN_LISTS: Final = os.path.exists(f"{_TASK_DIR}/{threading.get_native_id()}/children")


def _child_pids() -> frozenset[int]:
    """This process's child processes, from each thread's ``children`` list (Linux)."""
    pids: set[int] = set()
    for task in _listdir(_TASK_DIR):
        try:
            fd = _open(f"{_TASK_DIR}/{task}/children", os.O_RDONLY)
        except OSError:  # the thread has ended
            continue
        try:
            pids.update(map(int, _read(fd, 65536).split()))
        finally:
            _close(fd)
    return frozenset(pids)


def _running_child(pid: int) -> str | None:
    """What child *pid* runs (its command line), or None if it has ended (a zombie too)."""
    if not _HAS_PROC:
        return _running_child_by_wait(pid)
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
    except OSError:
        return None
    if stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] in (b"Z", b"X"):
        return None
    return cmdline.replace(b"\0", b" ").decode(errors="backslashreplace").strip() or "?"


def _running_child_by_wait(pid: int) -> str | None:
    """Without ``/proc``: ``waitid`` tells whether the child ended, without reaping it."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return None
    try:
        ended = waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # reaped already
        return None
    return None if ended is not None else "?"


_HAS_PROC: Final = os.path.isdir("/proc/self")


class ChildProcesses(StateItem):
    """Child processes: one the run started and left running outlives the run, unwatched.

    Under the real command line such a child outlives its parent too, but then nothing else runs
    in the parent; here it goes on writing into the session (or, under ``capture='fd'``, into
    the run's deleted capture file) while later tests run. The leak is deferred: a child still
    running once the test ended is reported; one that ended by then is not. multiprocessing's
    resource tracker and fork server, kept for the life of the process, are not leaks. Read
    where Linux lists each thread's children (``/proc/self/task/*/children``).
    """

    name = "child processes"
    restorable = False
    reports_changes = False

    def read(self) -> frozenset[int]:
        return _child_pids() if _HAS_CHILDREN_LISTS else frozenset()

    def leaks(self, outer: Any, now: Any) -> list[StateLeak]:
        new = sorted(now - outer - stdlib_helpers().pids)
        running = {pid: command for pid in new if (command := _running_child(pid)) is not None}
        if not running:
            return []

        def still_running() -> tuple[str, ...]:
            # A child on its way out (it was just told to stop, or had just begun) is given a
            # moment: only one that is still running after it is a leak.
            deadline = _monotonic() + _CHILD_GRACE
            while True:
                left = {p: c for p, c in running.items() if _running_child(p) == c}
                if not left or _monotonic() >= deadline:
                    return tuple(_child_line(pid, command) for pid, command in left.items())
                time.sleep(0.01)

        lines = tuple(_child_line(pid, command) for pid, command in running.items())
        return [StateLeak(self.name, lines, recheck=still_running)]


#: Seconds a child the run left running has, after the test, to end before it is a leak.
_CHILD_GRACE: Final = 1.0


def _child_line(pid: int, command: str) -> str:
    return f"+ child process {pid} is still running: {command}"


#: The functions that start a child process, by module name: what a run watches for its
#: children. ``subprocess`` binds ``fork_exec`` under its own name from 3.11.
_SPAWNERS: Final[tuple[tuple[str, str], ...]] = (
    ("os", "fork"),
    ("os", "forkpty"),
    ("os", "posix_spawn"),
    ("os", "posix_spawnp"),
    ("_posixsubprocess", "fork_exec"),
    ("subprocess", "_fork_exec"),
)


@final
class SpawnedChildren(ChildProcesses):
    """:class:`ChildProcesses` for a run: the children it starts, seen as it starts them.

    Listing a process's children costs two reads of ``/proc`` per thread and run; instead the
    run replaces the functions that start children (``os.fork``, ``os.posix_spawn``,
    ``_posixsubprocess.fork_exec`` behind ``subprocess`` and ``multiprocessing``) with
    wrappers that note the new pid. A child started from C code (``ctypes``, an extension)
    goes unseen.
    """

    restorable = True
    setup_keeps_state = True

    def __init__(self) -> None:
        self._intercepts = _Intercepts()
        self._pid = os.getpid()
        self._spawned: list[int] = []

    def read(self) -> frozenset[int]:
        return frozenset(self._spawned)

    def setup(self) -> None:
        for module_name, name in _SPAWNERS:
            module = sys.modules.get(module_name)
            original = getattr(module, name, None)
            if module is not None and callable(original):
                self._intercepts.install(module, name, self._noting(original))

    def _noting(self, spawn: Callable[..., Any]) -> Callable[..., Any]:
        spawned = self._spawned
        run_pid = self._pid

        def noting(*args: Any, **kwargs: Any) -> Any:
            result = spawn(*args, **kwargs)
            pid = result[0] if isinstance(result, tuple) else result  # forkpty: (pid, fd)
            if isinstance(pid, int) and pid > 0 and os.getpid() == run_pid:
                spawned.append(pid)
            return result

        return noting

    def write(self, snapshot: frozenset[int]) -> None:
        self._intercepts.remove()
