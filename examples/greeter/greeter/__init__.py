"""Greet people by name.

The command line lives in ``greeter.__main__`` (``python -m greeter``); a small word counter
for the names files lives in ``greeter.cli_tools`` (``python -m greeter.cli_tools``).
"""

from __future__ import annotations

import os

__version__ = "1.0.0"

#: The environment variable that replaces the default greeting ("Hello").
GREETING_ENV = "GREETER_GREETING"


class EmptyNameError(ValueError):
    """A name was empty, or only whitespace."""


def default_greeting() -> str:
    """Return the greeting to use: ``$GREETER_GREETING`` if set and not blank, else "Hello"."""
    return os.environ.get(GREETING_ENV, "").strip() or "Hello"


def greet(name: str, *, greeting: str | None = None, shout: bool = False) -> str:
    """Return the greeting line for *name*, e.g. ``"Hello, Ada!"``."""
    name = name.strip()
    if not name:
        raise EmptyNameError("name must not be empty")
    line = f"{greeting or default_greeting()}, {name}!"
    return line.upper() if shout else line
