"""Greet people by name: the greeter example again, with a command line written with click.

The command line lives in ``greeter_click.__main__`` (``python -m greeter_click``).
"""

from __future__ import annotations

import os

__version__ = "1.0.0"

#: The environment variable that replaces the default greeting ("Hello").
GREETING_ENV = "GREETER_GREETING"


def default_greeting() -> str:
    """Return the greeting to use: ``$GREETER_GREETING`` if set and not blank, else "Hello"."""
    return os.environ.get(GREETING_ENV, "").strip() or "Hello"


def greet(name: str, *, greeting: str | None = None, shout: bool = False) -> str:
    """Return the greeting line for *name*, e.g. ``"Hello, Ada!"``; *name* must not be blank."""
    name = name.strip()
    if not name:
        raise ValueError("name must not be empty")
    line = f"{greeting or default_greeting()}, {name}!"
    return line.upper() if shout else line
