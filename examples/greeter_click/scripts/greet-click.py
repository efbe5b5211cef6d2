#!/usr/bin/env python3
"""greeter-click as a standalone script, as an installer writes its console script."""

from __future__ import annotations

from greeter_click.__main__ import main

if __name__ == "__main__":
    main()
