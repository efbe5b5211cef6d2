#!/usr/bin/env python3
"""The greeter command line as a standalone script: ``python scripts/greet.py NAME [--shout]``.

What an installer writes for the ``greeter`` console script of ``pyproject.toml``: it imports
``greeter.__main__`` and calls its ``main``. The same program as ``python -m greeter``, in the
form of a script.
"""

from __future__ import annotations

import sys

from greeter.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
