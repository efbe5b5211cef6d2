"""Snapshots of a working directory: taken, put back, compared, and their limits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_runmain._workdir import TreeTooLarge, restore_tree, snapshot_tree, tree_differences


def _populate(root: Path) -> None:
    (root / "sub" / "deep").mkdir(parents=True)
    (root / "a.txt").write_text("alpha\n")
    (root / "sub" / "b.bin").write_bytes(bytes(range(256)))
    (root / "sub" / "deep" / "c.txt").write_text("gamma\n")
    (root / "tool.sh").write_text("#!/bin/sh\n")
    (root / "tool.sh").chmod(0o755)
    (root / "link").symlink_to("a.txt")
    (root / "dangling").symlink_to("nowhere")
    os.utime(root / "a.txt", ns=(1_000_000_000, 2_000_000_000))


def _state(root: Path) -> dict[str, tuple[object, ...]]:
    """What a snapshot must preserve, read independently of it."""
    state: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            state[str(path.relative_to(root))] = ("link", os.readlink(path))
        elif path.is_dir():
            state[str(path.relative_to(root))] = ("dir", info.st_mode)
        else:
            content = path.read_bytes()
            state[str(path.relative_to(root))] = ("file", info.st_mode, info.st_mtime_ns, content)
    return state


def test_restore_undoes_writes_removals_additions_and_kind_changes(tmp_path: Path) -> None:
    _populate(tmp_path)
    before = _state(tmp_path)
    tree = snapshot_tree(str(tmp_path))

    (tmp_path / "a.txt").write_text("changed\n")
    (tmp_path / "sub" / "b.bin").unlink()
    (tmp_path / "sub" / "deep" / "c.txt").unlink()
    (tmp_path / "sub" / "deep").rmdir()
    (tmp_path / "sub" / "deep").write_text("now a file\n")
    (tmp_path / "new" / "nested").mkdir(parents=True)
    (tmp_path / "new" / "nested" / "x").write_text("x")
    (tmp_path / "tool.sh").chmod(0o600)
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to("sub")
    (tmp_path / "dangling").unlink()
    (tmp_path / "dangling").mkdir()
    assert _state(tmp_path) != before

    restore_tree(str(tmp_path), tree)

    assert _state(tmp_path) == before


def test_restore_recreates_a_removed_root(tmp_path: Path) -> None:
    root = tmp_path / "work"
    root.mkdir()
    (root / "f").write_text("f")
    tree = snapshot_tree(str(root))
    (root / "f").unlink()
    root.rmdir()
    restore_tree(str(root), tree)
    assert (root / "f").read_text() == "f"


def test_links_are_recorded_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big").write_bytes(b"x" * 100)
    root = tmp_path / "work"
    root.mkdir()
    (root / "out").symlink_to(outside)
    tree = snapshot_tree(str(root), max_bytes=10)
    assert set(tree) == {"", "out"}
    assert tree["out"].kind == "link"
    assert tree["out"].target == str(outside)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"max_bytes": 200}, "holds more than 200 bytes of files"),
        ({"max_entries": 3}, "holds more than 3 files and directories"),
    ],
)
def test_a_tree_over_a_limit_is_not_snapshotted(
    tmp_path: Path, limits: dict[str, int], message: str
) -> None:
    _populate(tmp_path)
    with pytest.raises(TreeTooLarge, match=message):
        snapshot_tree(str(tmp_path), **limits)


def test_tree_differences_name_each_path(tmp_path: Path) -> None:
    _populate(tmp_path)
    theirs = snapshot_tree(str(tmp_path))
    (tmp_path / "a.txt").write_text("alpha\nbeta\n")
    (tmp_path / "sub" / "b.bin").write_bytes(b"\0\1")
    (tmp_path / "tool.sh").chmod(0o644)
    (tmp_path / "link").unlink()
    (tmp_path / "link").symlink_to("sub")
    (tmp_path / "only-ours.txt").write_text("")
    (tmp_path / "sub" / "deep" / "c.txt").unlink()
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "m.pyc").write_bytes(b"ignored")
    ours = snapshot_tree(str(tmp_path))

    assert tree_differences(ours, theirs, lambda text: text) == [
        f"files only the subprocess run left: {os.path.join('sub', 'deep', 'c.txt')}",
        "files only the in-process run left: only-ours.txt",
        "--- a.txt (subprocess)\n+++ a.txt (in-process)\n@@ -1 +1,2 @@\n alpha\n+beta",
        "link: a link to 'a.txt' in the subprocess run, to 'sub' in-process",
        f"{os.path.join('sub', 'b.bin')}: 256 bytes in the subprocess run, 2 in-process "
        "(not shown: binary or large)",
        "tool.sh: mode 0o755 in the subprocess run, 0o644 in-process",
    ]


def test_text_files_are_compared_normalised(tmp_path: Path) -> None:
    (tmp_path / "log").write_text("object at 0x1234\n")
    theirs = snapshot_tree(str(tmp_path))
    (tmp_path / "log").write_text("object at 0x5678\n")
    ours = snapshot_tree(str(tmp_path))
    assert tree_differences(ours, theirs, lambda text: text[:10]) == []
    assert len(tree_differences(ours, theirs, lambda text: text)) == 1
