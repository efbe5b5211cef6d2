"""``atexit`` functions of a run: called at the end of the run, as the interpreter would at exit.

Python cannot list registered callbacks, so :class:`ExitFunctions` wraps ``atexit.register``
and ``atexit.unregister`` for the duration of the run. A registration made by the program's
own code (decided by the caller's ``owns`` predicate on the registering frame) is kept here
and called at the end of the run, last registered first. Registrations made by libraries that
stay imported after the run go to the real ``atexit``: they must run once, at the real exit,
not early (``logging.shutdown`` would close pytest's handlers).

``weakref.finalize`` objects are called at exit by one function that ``weakref`` registers
once per process: the finalizers the run created are called at the end of the run, after its
``atexit`` functions, as ``weakref`` would call them at the program's exit.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import sys
import traceback
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, Final, TextIO, final

__all__ = ["ExitFunctions", "finalizers_shut_down"]

_CALLBACK_ERROR_HEADER: Final = (
    "Exception ignored in atexit callback {func!r}:\n"
    if sys.version_info >= (3, 13)
    else "Exception ignored in atexit callback: {func!r}\n"
)
#: 3.13 prints an atexit callback's traceback through the unraisable hook, without carets.
_CALLBACK_ERROR_POSITIONS: Final = sys.version_info < (3, 13)


@final
class ExitFunctions:
    """Collects the run's own ``atexit`` registrations and calls them when told to."""

    def __init__(self, owns: Callable[[FrameType], bool]) -> None:
        self._owns = owns
        self._callbacks: list[tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]] = []
        self._real_register = atexit.register
        self._real_unregister = atexit.unregister
        #: The index of the last ``weakref.finalize`` created before the run.
        self._finalize_mark = -1

    def __enter__(self) -> ExitFunctions:
        atexit.register = self._register  # type: ignore[assignment]
        atexit.unregister = self._unregister
        counter = getattr(_finalize(), "_index_iter", None)
        if isinstance(counter, itertools.count):
            self._finalize_mark = next(counter)  # indices only need to increase
        return self

    def __exit__(self, *exc_info: object) -> None:
        atexit.register = self._real_register
        atexit.unregister = self._real_unregister

    def _register(
        self, func: Callable[..., object], /, *args: Any, **kwargs: Any
    ) -> Callable[..., object]:
        # pragma: no mutate block (mutmut would call it through a trampoline: a frame more)
        if self._owns(sys._getframe(1)):
            self._callbacks.append((func, args, kwargs))
            return func
        return self._real_register(func, *args, **kwargs)

    def _unregister(self, func: Callable[..., object], /) -> None:
        self._callbacks = [entry for entry in self._callbacks if entry[0] != func]
        self._real_unregister(func)

    def __len__(self) -> int:
        return len(self._callbacks)

    def run(self, stderr: TextIO) -> None:
        """Call the collected functions, last registered first, reporting errors to *stderr*.

        As at a real exit, an exception in one callback is printed and the next still runs,
        and callbacks registered while they run are not called.
        """
        callbacks, self._callbacks = self._callbacks, []
        while callbacks:
            func, args, kwargs = callbacks.pop()
            try:
                func(*args, **kwargs)
            except BaseException as exc:
                stderr.write(_CALLBACK_ERROR_HEADER.format(func=func))
                stderr.write(_format_callback_error(exc))
        self._call_finalizers()

    def _call_finalizers(self) -> None:
        """Call the run's live ``weakref.finalize`` objects marked ``atexit``, newest first.

        ``weakref``'s own exit function does it, with the registry narrowed to the run's
        finalizers: the order, the errors (through ``sys.excepthook``, with its frames in the
        traceback) and finalizers created meanwhile are as at a real exit. It marks the class
        shut down, which this process is not: that is undone.
        """
        finalize = _finalize()
        everything = getattr(finalize, "_registry", None)
        exit_function = getattr(finalize, "_exitfunc", None)
        if not isinstance(everything, dict) or not callable(exit_function):
            return
        mark = self._finalize_mark
        if not any(info.atexit and info.index > mark for info in everything.values()):
            return
        others = {f: info for f, info in everything.items() if info.index <= mark}
        finalize._registry = {f: info for f, info in everything.items() if info.index > mark}
        try:
            exit_function()
        finally:
            left = finalize._registry
            finalize._registry = everything
            finalize._shutdown = False
            everything.clear()
            everything.update(others)
            everything.update(left)


@contextlib.contextmanager
def finalizers_shut_down() -> Iterator[None]:
    """``weakref.finalize`` objects do nothing meanwhile, as after the interpreter's exit function.

    For freeing a program's objects as its exit would: the finalizers whose objects die then
    (those not marked ``atexit``, or all of them after ``os._exit``) are not called.
    """
    finalize = _finalize()
    if finalize is None:
        yield
        return
    finalize._shutdown = True
    try:
        yield
    finally:
        finalize._shutdown = False


def _finalize() -> Any:
    """``weakref.finalize``, if ``weakref`` is imported (it is, under pytest)."""
    return getattr(sys.modules.get("weakref"), "finalize", None)


def _format_callback_error(exc: BaseException) -> str:
    """What the interpreter's unraisable-exception writer prints for a failing callback.

    Its own traceback only (no chained exceptions), then ``module.Name: text`` with the
    module left out for builtins (and, from 3.11, ``__main__``) and the ``: `` written even
    when the text is empty.
    """
    # The first frame is run()'s call of the callback: the interpreter's has none.
    tb = exc.__traceback__.tb_next if exc.__traceback__ else None
    lines = []
    if tb is not None:
        stack = traceback.extract_tb(tb)
        if not _CALLBACK_ERROR_POSITIONS:
            stack = traceback.StackSummary.from_list(
                [traceback.FrameSummary(f.filename, f.lineno, f.name, line=f.line) for f in stack]
            )
        lines = ["Traceback (most recent call last):\n", *stack.format()]
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in _UNQUALIFIED_MODULES:
        name = f"{module}.{name}"
    try:
        text = str(exc)
    except Exception:
        text = "<exception str() failed>"
    return "".join([*lines, f"{name}: {text}\n"])


#: The modules whose exception classes the unraisable-exception writer names without prefix.
_UNQUALIFIED_MODULES: Final = (
    ("builtins",) if sys.version_info < (3, 11) else ("builtins", "__main__")
)
