"""Helpers shared by the test modules (pytest puts this directory on sys.path)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


def write_files(root: Path, files: Mapping[str, str]) -> None:
    """Write each ``relative path: text`` of *files* under *root*, making directories."""
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
