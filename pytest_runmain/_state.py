"""Snapshots of interpreter state: put a run's state in place, record its changes, restore, check.

Every piece of global state a program can change is a :class:`StateItem`: it can *read* a cheap
snapshot (identities and shallow copies), *write* one back, *set up* what a run must see, and
*describe* the difference between two snapshots as readable lines. :class:`StateStack` drives
a list of items around a run, like :class:`contextlib.ExitStack` drives context managers:

1. ``enter(item)``: read the outer state, set up the run's, read the state the program starts
   with (the outer state itself when the set-up changed nothing);
2. ``finish()``: read the state the program ended with: the program's changes (only for the
   items that report them);
3. ``close()``: write the outer state back, last item first, then read again: what differs
   from the outer state now could not be restored and is a leak.

Snapshots are compared with the item's cheap :meth:`StateItem.unchanged` first; a diff is only
made where it says something changed.

:class:`StateSnapshot` reads the same items without set-up, to check a block of the user's own
code. Which items there are, in which order, is in :mod:`pytest_runmain._state_items`.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Generic, TypeVar, final

__all__ = [
    "Same",
    "StateChange",
    "StateItem",
    "StateLeak",
    "StateSnapshot",
    "StateStack",
    "dict_diff",
    "sequence_diff",
]

_T = TypeVar("_T")
_I = TypeVar("_I", bound="StateItem")


@final
class Same(Generic[_T]):
    """Wraps an object so that snapshots compare it by identity, not by value."""

    __slots__ = ("obj",)

    def __init__(self, obj: _T) -> None:
        self.obj = obj

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Same) and other.obj is self.obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __repr__(self) -> str:
        return f"<{type(self.obj).__name__} object at {id(self.obj):#x}>"


_MISSING: Final = object()


def _short_repr(value: object, limit: int = 120) -> str:
    if isinstance(value, Same):
        return repr(value)
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object with a failing repr>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def dict_diff(before: Mapping[Any, Any], after: Mapping[Any, Any]) -> list[str]:
    """``+ key: value`` for added keys, ``- key: value`` removed, ``~ key: old -> new`` changed."""
    lines = []
    for key in before:
        if key not in after:
            lines.append(f"- {key!s}: {_short_repr(before[key])}")
        elif after[key] != before[key]:
            lines.append(f"~ {key!s}: {_short_repr(before[key])} -> {_short_repr(after[key])}")
    lines.extend(f"+ {key!s}: {_short_repr(after[key])}" for key in after if key not in before)
    return lines


def sequence_diff(before: Sequence[Any], after: Sequence[Any]) -> list[str]:
    """``+ [i] item`` for items inserted at index i of *after*, ``- [i] item`` for removed ones."""
    old, new = [_short_repr(x) for x in before], [_short_repr(x) for x in after]
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            lines.extend(f"- [{i}] {old[i]}" for i in range(i1, i2))
        if tag in ("replace", "insert"):
            lines.extend(f"+ [{j}] {new[j]}" for j in range(j1, j2))
    return lines


class StateItem:
    """One piece of interpreter state. Subclasses define :meth:`read` and :meth:`write`.

    ``restorable`` items can be put back; the others (threads, file descriptors) can only be
    checked. ``reports_changes`` is false for items whose changes are the machinery's, not the
    program's (the import caches), so that ``result.state_changes`` lists what the program did.
    """

    #: The name used in reports and in ``result.state_changes``: what a user would type.
    name: str = ""
    restorable: bool = True
    reports_changes: bool = True

    def read(self) -> Any:
        """A snapshot of the state: cheap, comparable with ``==``."""
        raise NotImplementedError

    def write(self, snapshot: Any) -> None:
        """Put the state of *snapshot* back."""
        raise NotImplementedError

    #: Whether :meth:`setup` leaves what :meth:`read` sees as it was: it only installs
    #: recording wrappers, which :meth:`write` removes. The state the program starts with is
    #: then the outer one, not read again.
    setup_keeps_state: bool = False

    def setup(self) -> bool | None:
        """Set what the run must see (nothing by default).

        Returning False says nothing was set: the state the program starts with is then the
        outer state, which is not read again, and an item the program did not change either
        is neither written back nor checked.
        """
        return False

    def undo_setup(self, outer: Any) -> bool:
        """Put the outer state back after a program that ended with the state it started with.

        Called instead of :meth:`write` then: only what :meth:`setup` did needs undoing, which
        may be much cheaper than writing a whole snapshot. Returns whether the state is then
        known to be *outer*, so that it is not read again to check. By default :meth:`write`
        (and False).
        """
        self.write(outer)
        return False

    def unchanged(self, before: Any, after: Any) -> bool:
        """Whether two snapshots are the same state, told cheaply: ``before == after``.

        Diffs are only made, and :meth:`leaks` only asked, when it is false. An item may
        answer False for equal snapshots (the diff then finds nothing), never True for
        different ones.
        """
        return bool(before == after)

    def diff(self, before: Any, after: Any) -> list[str]:
        """Readable lines saying how *after* differs from *before*."""
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            return dict_diff(before, after)
        return [f"~ {_short_repr(before)} -> {_short_repr(after)}"]

    def leak_diff(self, outer: Any, now: Any) -> list[str]:
        """What remains different after restoring: by default the plain diff."""
        return self.diff(outer, now) if outer != now else []

    def leaks(self, outer: Any, now: Any) -> list[StateLeak]:
        """The leaks :meth:`leak_diff` finds, as one :class:`StateLeak` (or none)."""
        lines = self.leak_diff(outer, now)
        return [StateLeak(self.name, tuple(lines))] if lines else []


@final
@dataclass(frozen=True)
class StateChange:
    """How a run changed one piece of interpreter state, and whether it was put back."""

    #: The state's name: ``"os.environ"``, ``"sys.path"``, ``"cwd"``, ``"logging"``...
    name: str
    #: ``+``/``-``/``~`` lines: what the program changed, from its start to its end.
    lines: tuple[str, ...]
    #: Whether the state is as before the run again.
    restored: bool

    def __str__(self) -> str:
        status = "restored" if self.restored else "NOT restored"
        body = "\n".join(f"    {line}" for line in self.lines)
        return f"{self.name} ({status}):\n{body}"


@final
@dataclass(frozen=True)
class StateLeak:
    """State a run left different from before it, that could not be put back."""

    #: The state's name.
    name: str
    #: ``+``/``-``/``~`` lines from the state before the run to the state after restoring.
    lines: tuple[str, ...]
    #: For a leak that objects of the program may still hold (a file its globals keep open):
    #: the check to make again once they are released, giving the lines that remain.
    recheck: Callable[[], tuple[str, ...]] | None = field(default=None, compare=False, repr=False)

    @property
    def deferred(self) -> bool:
        """Whether this leak is judged later, when the program's objects are released."""
        return self.recheck is not None

    def __str__(self) -> str:
        body = "\n".join(f"    {line}" for line in self.lines)
        return f"{self.name}:\n{body}"


@dataclass
class _Entry:
    item: StateItem
    outer: Any
    start: Any = _MISSING
    end: Any = _MISSING
    #: Whether the item set something up that its write undoes (``setup()`` not False).
    set_up: bool = True
    #: Whether the program starts with the outer state (nothing set up that reads differently).
    starts_outer: bool = False
    #: The program ended with the state it started with: undoing set-up restores it.
    kept_start: bool = False
    #: Known to be the outer state after restoring: nothing to check.
    untouched: bool = False


@final
@dataclass
class StateStack:
    """Drives state items around a run; see the module docstring for the three steps."""

    _entries: list[_Entry] = field(default_factory=list)
    #: What the program changed, by item name (after :meth:`finish`).
    changes: dict[str, list[str]] = field(default_factory=dict)
    #: What could not be restored, after :meth:`close`.
    leaks: list[StateLeak] = field(default_factory=list)
    _finished: bool = False
    _closed: bool = False

    def enter(self, item: StateItem) -> None:
        """Save *item*'s outer state, set up the run's, and note what the program starts with."""
        entry = _Entry(item, item.read())
        self._entries.append(entry)
        entry.set_up = item.setup() is not False
        entry.starts_outer = not entry.set_up or item.setup_keeps_state
        entry.start = entry.outer if entry.starts_outer else item.read()

    def finish(self) -> None:
        """Note the state the program ended with; its changes go to :attr:`changes`.

        Only items that report changes are read: the others' end state is never compared.
        """
        self._finished = True
        for entry in self._entries:
            item = entry.item
            if not item.reports_changes:
                continue
            entry.end = item.read()
            if not item.unchanged(entry.start, entry.end):
                lines = item.diff(entry.start, entry.end)
                if lines:
                    self.changes[item.name] = lines
            else:
                entry.kept_start = True
                # The program started with the outer state and left it: once what was set up
                # is undone, there is nothing to check (most items, most runs).
                entry.untouched = entry.starts_outer

    def close(self) -> None:
        """Put every item back, last entered first, then check what is still different."""
        if self._closed:
            return
        self._closed = True
        if not self._finished:
            self.finish()
        failures: dict[str, str] = {}
        for entry in reversed(self._entries):
            item = entry.item
            if not item.restorable or (entry.untouched and not entry.set_up):
                continue
            try:
                if not entry.kept_start:
                    item.write(entry.outer)
                elif item.undo_setup(entry.outer):
                    entry.untouched = True
            except Exception as exc:  # reported as a leak below; the others still restore
                failures[item.name] = f"! restoring failed: {type(exc).__name__}: {exc}"
        for entry in self._entries:
            item = entry.item
            if item.name in failures:
                self.leaks.append(StateLeak(item.name, (failures[item.name],)))
            elif entry.untouched:
                continue
            now = item.read()
            if not item.unchanged(entry.outer, now):
                self.leaks.extend(item.leaks(entry.outer, now))

    def state_changes(self) -> dict[str, StateChange]:
        """The program's changes, each with whether it was put back."""
        leaked = {leak.name for leak in self.leaks}
        return {
            name: StateChange(name, tuple(lines), restored=name not in leaked)
            for name, lines in self.changes.items()
        }

    def __iter__(self) -> Iterator[StateItem]:
        return (entry.item for entry in self._entries)

    def item(self, kind: type[_I]) -> _I:
        """The entered item of class *kind*, for what it keeps beyond its snapshots."""
        for entry in self._entries:
            if isinstance(entry.item, kind):
                return entry.item
        raise LookupError(f"no {kind.__name__} item was entered")


@final
class StateSnapshot:
    """The state of some items now, to tell later what differs (nothing is restored)."""

    def __init__(self, items: Sequence[StateItem]) -> None:
        self._items = list(items)
        self._before = [item.read() for item in self._items]

    def differences(self) -> list[StateLeak]:
        """What differs from the snapshot now, item by item."""
        found = []
        for item, before in zip(self._items, self._before, strict=True):
            now = item.read()
            if not item.unchanged(before, now):
                found.extend(item.leaks(before, now))
        return found
