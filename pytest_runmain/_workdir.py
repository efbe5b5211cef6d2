"""Snapshots of a run's working directory: so that both runs of ``mode="both"`` start alike.

A program that writes into its working directory (a generator, an in-place editor) would see,
in the second run of ``mode="both"``, what the first one left. So when the working directory is
one of the test's own (under pytest's base temporary directory), it is snapshotted before the
first run, what the first run left is recorded and the directory put back to its start, and
after the second run the two directories are compared (:func:`tree_differences`).

A snapshot holds the tree below the directory: each directory, each regular file (its bytes,
permission bits and times) and each symbolic link (its target, never followed). Other files
(sockets, FIFOs, devices) are recorded by kind only. A tree over :data:`MAX_ENTRIES` entries or
:data:`MAX_BYTES` bytes of file contents is not snapshotted (:class:`TreeTooLarge`): the
snapshot lives in memory.

PYTEST_DONT_REWRITE: no assertion here is for users (pytest need not rewrite them).
"""

from __future__ import annotations

import difflib
import os
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final, Literal, final

__all__ = [
    "MAX_BYTES",
    "MAX_ENTRIES",
    "Entry",
    "Tree",
    "TreeTooLarge",
    "restore_tree",
    "snapshot_tree",
    "tree_differences",
]

#: The most file contents, in bytes, a snapshot keeps.
MAX_BYTES: Final = 64 * 1024 * 1024
#: The most files, directories and links a snapshot holds.
MAX_ENTRIES: Final = 10_000
#: Text files up to this size are shown as a diff when they differ.
_DIFF_BYTES: Final = 64 * 1024
#: Directories whose contents are not compared (the bytecode cache of what the runs import).
_NOT_COMPARED: Final = frozenset({"__pycache__"})

Kind = Literal["dir", "file", "link", "other"]


@final
@dataclass(frozen=True)
class Entry:
    """One path of a snapshot."""

    #: ``"dir"``, ``"file"`` (a regular file), ``"link"`` (a symbolic link) or ``"other"``.
    kind: Kind
    #: The permission bits (``stat.S_IMODE``).
    mode: int
    #: The last access time, in nanoseconds.
    atime_ns: int
    #: The last modification time, in nanoseconds.
    mtime_ns: int
    #: A regular file's bytes.
    data: bytes = b""
    #: A symbolic link's target.
    target: str = ""


#: A snapshot: relative path (``os.sep``-separated, ``""`` is the root) to entry.
Tree = Mapping[str, Entry]


class TreeTooLarge(Exception):
    """The directory holds more than a snapshot keeps; the message says how much."""


def _walk(root: str) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """Every entry below *root*, parents first, without following links."""
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(os.path.join(root, relative)) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                path = os.path.join(relative, entry.name)
                yield path, entry
                if entry.is_dir(follow_symlinks=False):
                    pending.append(path)


def _entry(path: str, info: os.stat_result) -> Entry:
    mode, times = stat.S_IMODE(info.st_mode), (info.st_atime_ns, info.st_mtime_ns)
    if stat.S_ISLNK(info.st_mode):
        return Entry("link", mode, *times, target=os.readlink(path))
    if stat.S_ISDIR(info.st_mode):
        return Entry("dir", mode, *times)
    if stat.S_ISREG(info.st_mode):
        with open(path, "rb") as file:
            return Entry("file", mode, *times, data=file.read())
    return Entry("other", mode, *times)


def snapshot_tree(
    root: str, *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES
) -> dict[str, Entry]:
    """The tree below *root*; :class:`TreeTooLarge` when it is over either limit.

    An entry that cannot be read (no permission) raises :class:`OSError`.
    """
    tree = {"": _entry(root, os.stat(root))}
    total = 0
    for relative, dir_entry in _walk(root):
        if len(tree) > max_entries:
            raise TreeTooLarge(f"{root} holds more than {max_entries} files and directories")
        info = dir_entry.stat(follow_symlinks=False)
        if stat.S_ISREG(info.st_mode):
            total += info.st_size  # checked before reading the file
            if total > max_bytes:
                raise TreeTooLarge(f"{root} holds more than {max_bytes} bytes of files")
        tree[relative] = _entry(dir_entry.path, info)
    return tree


def _kind(entry: os.DirEntry[str]) -> Kind:
    if entry.is_symlink():
        return "link"
    if entry.is_dir(follow_symlinks=False):
        return "dir"
    return "file" if entry.is_file(follow_symlinks=False) else "other"


def _remove(path: str, entry: os.DirEntry[str]) -> None:
    if entry.is_dir(follow_symlinks=False):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _same_file(path: str, entry: Entry) -> bool:
    with open(path, "rb") as file:
        return file.read() == entry.data


def restore_tree(root: str, tree: Tree) -> None:
    """Put the directory *root* back to *tree*: contents, links, permission bits and times.

    What is not in *tree* is removed; an entry of another kind is replaced. Files of kind
    ``"other"`` are left as they are.
    """
    os.makedirs(root, exist_ok=True)
    stale = []
    for relative, current in _walk(root):
        wanted = tree.get(relative)
        if wanted is None or _kind(current) != wanted.kind:
            stale.append((current.path, current))
    for path, current in reversed(stale):  # children before their parents
        if os.path.lexists(path):
            _remove(path, current)
    for relative, entry in sorted(tree.items()):
        path = os.path.join(root, relative)
        if entry.kind == "dir":
            os.makedirs(path, exist_ok=True)
        elif entry.kind == "link":
            if not os.path.islink(path) or os.readlink(path) != entry.target:
                if os.path.islink(path):
                    os.unlink(path)
                os.symlink(entry.target, path)
        elif entry.kind == "file" and not (os.path.isfile(path) and _same_file(path, entry)):
            with open(path, "wb") as file:
                file.write(entry.data)
    # Modes and times last, deepest first: writing a file changes its directory's times.
    for relative, entry in sorted(tree.items(), reverse=True):
        path = os.path.join(root, relative)
        if entry.kind in ("dir", "file"):
            os.chmod(path, entry.mode)
        times = (entry.atime_ns, entry.mtime_ns)
        if entry.kind != "link":
            os.utime(path, ns=times)
        elif os.utime in os.supports_follow_symlinks:
            os.utime(path, ns=times, follow_symlinks=False)


def _compared(tree: Tree) -> dict[str, Entry]:
    return {
        path: entry
        for path, entry in tree.items()
        if path and not _NOT_COMPARED.intersection(path.split(os.sep))
    }


def _text(data: bytes) -> str | None:
    if len(data) > _DIFF_BYTES:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _file_difference(
    path: str, ours: Entry, theirs: Entry, normalize: Callable[[str], str]
) -> str | None:
    """How the file *path* differs (subprocess run: *theirs*, in-process: *ours*), or None."""
    if ours.kind != theirs.kind:
        return f"{path}: a {theirs.kind} in the subprocess run, a {ours.kind} in-process"
    if ours.kind == "link" and ours.target != theirs.target:
        return (
            f"{path}: a link to {theirs.target!r} in the subprocess run, to {ours.target!r} "
            "in-process"
        )
    problems = []
    if ours.kind == "file" and ours.data != theirs.data:
        texts = _text(theirs.data), _text(ours.data)
        if texts[0] is None or texts[1] is None:
            problems.append(
                f"{path}: {len(theirs.data)} bytes in the subprocess run, {len(ours.data)} "
                "in-process (not shown: binary or large)"
            )
        elif normalize(texts[0]) != normalize(texts[1]):
            diff = difflib.unified_diff(
                normalize(texts[0]).splitlines(keepends=True),
                normalize(texts[1]).splitlines(keepends=True),
                fromfile=f"{path} (subprocess)",
                tofile=f"{path} (in-process)",
            )
            problems.append("".join(line if line.endswith("\n") else line + "\n" for line in diff))
    if ours.kind in ("file", "dir") and ours.mode != theirs.mode:
        problems.append(
            f"{path}: mode {theirs.mode:#o} in the subprocess run, {ours.mode:#o} in-process"
        )
    return "\n".join(problem.rstrip("\n") for problem in problems) or None


def tree_differences(
    inprocess: Tree, subprocess: Tree, normalize: Callable[[str], str]
) -> list[str]:
    """What differs between the trees the two runs left, one text per path.

    Times are not compared, nor ``__pycache__`` directories; text files are compared after
    *normalize*.
    """
    ours, theirs = _compared(inprocess), _compared(subprocess)
    differences = []
    only_theirs = sorted(theirs.keys() - ours.keys())
    only_ours = sorted(ours.keys() - theirs.keys())
    if only_theirs:
        differences.append(f"files only the subprocess run left: {', '.join(only_theirs)}")
    if only_ours:
        differences.append(f"files only the in-process run left: {', '.join(only_ours)}")
    for path in sorted(ours.keys() & theirs.keys()):
        difference = _file_difference(path, ours[path], theirs[path], normalize)
        if difference is not None:
            differences.append(difference)
    return differences
