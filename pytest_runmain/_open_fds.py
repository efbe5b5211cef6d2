"""The process's open file descriptors, read in a time that does not grow with their number.

Listing ``/proc/self/fd`` costs the kernel about 0.4 µs a descriptor: 0.4 ms a read in a
process with a thousand open files (a pytest session with a database pool, say), read at least
twice a run. Two facts of Linux make a cheaper read possible:

- since Linux 6.2, ``stat("/proc/self/fd").st_size`` is the number of open descriptors;
- ``poll(2)`` with no events asked answers ``POLLNVAL`` for a descriptor that is not open, in
  one system call for all of them, without waiting and without touching the files.

:class:`DescriptorTable` keeps one ``poll`` object registered for every descriptor number up
to a bound a little above the highest one listed. A read asks it which of them are closed;
when the open ones it finds are as many as the count ``stat`` gives, no descriptor lies above
the bound and the snapshot is complete. Otherwise (a descriptor above the bound, another
thread opening one at the same time, an older kernel, another system), the directory is
listed as before and the bound moved. Snapshots are :class:`OpenDescriptors`, compared as sets.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import os
import select
from typing import Final, final

try:
    import resource
except ImportError:  # Windows, which has neither the directory nor poll
    resource = None  # type: ignore[assignment]

__all__ = ["FD_DIR", "DescriptorTable", "OpenDescriptors"]

#: The directory listing this process's descriptors, or None where there is none.
FD_DIR: Final = next((d for d in ("/proc/self/fd", "/dev/fd") if os.path.isdir(d)), None)

#: Descriptor numbers registered above the highest one listed: new descriptors take the lowest
#: free numbers, so a run's files, pipes and sockets land below the bound and are found by poll.
_SPARE: Final = 64

#: Taken at import: a program that patches them must not fool the checks.
_listdir: Final = os.listdir
_stat: Final = os.stat
_open: Final = os.open
_close: Final = os.close
_POLLNVAL: Final = getattr(select, "POLLNVAL", 0)


@final
class OpenDescriptors:
    """The set of open descriptors: ``range(span)`` without the ``closed`` numbers.

    Two reads with the same span compare their (usually few) closed numbers only; the full
    set is built when spans differ or a diff needs it.
    """

    __slots__ = ("_closed", "_span")

    def __init__(self, span: int, closed: frozenset[int]) -> None:
        self._span = span
        self._closed = closed

    @classmethod
    def of(cls, numbers: frozenset[int] | set[int]) -> OpenDescriptors:
        """The snapshot of an explicit set of numbers."""
        span = max(numbers, default=-1) + 1
        return cls(span, frozenset(range(span)).difference(numbers))

    def numbers(self) -> frozenset[int]:
        """The open descriptors."""
        return frozenset(range(self._span)).difference(self._closed)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpenDescriptors):
            return NotImplemented
        if self._span == other._span:
            return self._closed == other._closed
        return self.numbers() == other.numbers()

    def __hash__(self) -> int:
        return hash(self.numbers())

    def __repr__(self) -> str:
        return f"OpenDescriptors({sorted(self.numbers())})"


@final
class DescriptorTable:
    """Reads :class:`OpenDescriptors`, with ``poll`` and a count where the platform allows."""

    def __init__(self, fd_dir: str | None = FD_DIR) -> None:
        self._dir = fd_dir
        self._poll: select.poll | None = None
        self._span = 0
        #: Whether ``st_size`` of the directory counts the open descriptors (Linux 6.2+);
        #: None until the first listing tells.
        self._counts: bool | None = None

    def read(self) -> OpenDescriptors:
        """The descriptors open now (an empty set where the platform lists none)."""
        if self._dir is None:
            return OpenDescriptors(0, frozenset())
        if self._poll is not None:
            try:
                answers = self._poll.poll(0)
                count = _stat(self._dir).st_size
            except (OSError, ValueError):  # RLIMIT_NOFILE lowered below the bound, say
                pass
            else:
                closed = frozenset(fd for fd, events in answers if events & _POLLNVAL)
                if self._span - len(closed) == count:
                    return OpenDescriptors(self._span, closed)
        return self._list()

    def _list(self) -> OpenDescriptors:
        assert self._dir is not None
        # The listing opens the lowest free descriptor: found first, and left out of it.
        probe = _open(self._dir, os.O_RDONLY)
        _close(probe)
        listed = {int(name) for name in _listdir(self._dir) if name.isdigit()}
        listed.discard(probe)
        if self._counts is None:
            self._counts = _POLLNVAL != 0 and _stat(self._dir).st_size == len(listed)
        if self._counts:
            self._register(max(listed, default=-1) + 1 + _SPARE)
        return OpenDescriptors.of(listed)

    def _register(self, span: int) -> None:
        if resource is not None:  # poll refuses more descriptors than the soft limit
            limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            if limit != resource.RLIM_INFINITY:
                span = min(span, limit)
        if self._poll is not None and span == self._span:
            return
        poll = select.poll()
        register = poll.register
        for fd in range(span):
            register(fd, 0)
        self._poll, self._span = poll, span
