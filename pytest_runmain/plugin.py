"""The pytest11 entry point of pytest-runmain."""

from __future__ import annotations
