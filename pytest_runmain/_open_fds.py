"""The process's open file descriptors, read in a time that does not grow with their number.

Listing ``/proc/self/fd`` costs the kernel about 0.4 µs a descriptor: 0.4 ms a read in a
process with a thousand open files (a pytest session with a database pool, say), read at least
twice a run. Two facts of Linux make a cheaper read possible:

- since Linux 6.2, ``stat("/proc/self/fd").st_size`` is the number of open descriptors;
- ``poll(2)`` with no events asked answers ``POLLNVAL`` for a descriptor that is not open, in
  one system call for all of them, without waiting and without touching the files.

:class:`DescriptorTable` keeps one ``poll`` object watching the descriptors open at its last
listing and the lowest free numbers, which the next ones opened take. A read asks it which of
them are closed; when the open ones it finds are as many as the count ``stat`` gives, no
other descriptor is open and the snapshot is complete. Otherwise (one opened at a number not
watched, another thread opening one at that moment, an older kernel, another system), the
directory is listed as before and the watch moved. Snapshots are :class:`OpenDescriptors`,
compared as sets.

``poll`` asks each watched file's driver for its readiness without waiting, which changes
nothing for files, pipes, sockets, terminals and event descriptors; a file of a FUSE file
system that implements poll is asked by its daemon.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import itertools
import os
import select
from typing import Final, final

__all__ = ["FD_DIR", "DescriptorTable", "OpenDescriptors"]

#: The directory listing this process's descriptors, or None where there is none.
FD_DIR: Final = next((d for d in ("/proc/self/fd", "/dev/fd") if os.path.isdir(d)), None)

#: Free descriptor numbers watched beside the open ones: new descriptors take the lowest free
#: numbers, so the files, pipes and sockets a run opens take these and are found by poll.
_SPARE: Final = 16

#: Taken at import: a program that patches them must not fool the checks.
_listdir: Final = os.listdir
_stat: Final = os.stat
_open: Final = os.open
_close: Final = os.close
_POLLNVAL: Final = getattr(select, "POLLNVAL", 0)


@final
class OpenDescriptors:
    """The set of open descriptors: the ``watched`` numbers without the ``closed`` ones.

    Two reads of one table compare their (few) closed numbers only; the set is built when
    the table was listed again in between, or a diff needs it.
    """

    __slots__ = ("_closed", "_watched")

    def __init__(self, watched: frozenset[int], closed: frozenset[int] = frozenset()) -> None:
        self._watched = watched
        self._closed = closed

    def numbers(self) -> frozenset[int]:
        """The open descriptors."""
        return self._watched - self._closed if self._closed else self._watched

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OpenDescriptors):
            return NotImplemented
        if self._watched is other._watched:
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
        #: A poll object and the numbers registered with it: open at the last listing, and
        #: the lowest free ones. One attribute, replaced whole: reads may come from threads.
        self._watch: tuple[select.poll, frozenset[int]] | None = None
        #: Whether ``st_size`` of the directory counts the open descriptors (Linux 6.2+);
        #: None until the first listing tells.
        self._counts: bool | None = None

    def read(self) -> OpenDescriptors:
        """The descriptors open now (an empty set where the platform lists none)."""
        if self._dir is None:
            return OpenDescriptors(frozenset())
        watch = self._watch
        if watch is not None:
            poll, watched = watch
            try:
                answers = poll.poll(0)
                count = _stat(self._dir).st_size
            except (OSError, ValueError):  # RLIMIT_NOFILE lowered below their number, say
                pass
            else:
                closed = frozenset(fd for fd, events in answers if events & _POLLNVAL)
                # Every open descriptor is a watched one: none was opened elsewhere.
                if len(watched) - len(closed) == count:
                    return OpenDescriptors(watched, closed)
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
        if not self._counts:
            return OpenDescriptors(frozenset(listed))
        free = (fd for fd in itertools.count() if fd not in listed)
        watched = frozenset(listed).union(itertools.islice(free, _SPARE))
        poll = select.poll()
        for fd in watched:
            poll.register(fd, 0)
        self._watch = (poll, watched)
        return OpenDescriptors(watched, watched - listed)
