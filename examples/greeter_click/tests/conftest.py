"""Start every test with the default greeting, whatever the developer's shell has set."""

from __future__ import annotations

import pytest
from greeter_click import GREETING_ENV


@pytest.fixture(autouse=True)
def _default_greeting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(GREETING_ENV, raising=False)
