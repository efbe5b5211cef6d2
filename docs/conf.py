"""Sphinx configuration of the pytest-runmain documentation site.

Build it with ``tox -e docs``, or with the docs extras installed::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The pages are Markdown, read by MyST (``myst-parser``). The build needs no network: intersphinx
links to the Python and pytest documentation are made only when ``RUNMAIN_DOCS_INTERSPHINX=1``
is set, since fetching their inventories needs access to docs.python.org and docs.pytest.org.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Document the checkout, even where another copy of the package is installed.
sys.path.insert(0, str(ROOT))

import pytest_runmain  # noqa: E402

# -- Project ---------------------------------------------------------------------------------

project = "pytest-runmain"
author = "pytest-runmain developers"
copyright = "pytest-runmain developers"
release = pytest_runmain.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------------------------

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# Links such as [Configuration](configuration.md#ini-options) work on GitHub and here.
myst_heading_anchors = 3

# -- autodoc ---------------------------------------------------------------------------------

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"show-inheritance": True}


def _drop_object_base(app, name, obj, options, bases):
    """No "Bases: object" line under every plain class."""
    bases[:] = [base for base in bases if base is not object]


def _readable_signature(app, what, name, obj, options, signature, return_annotation):
    """Signatures that Sphinx can parse and that say something.

    Fixture types (``RunModule``...) are protocols, whose ``(*args, **kwargs)`` says nothing.
    Defaults shown as ``<factory>`` (dataclass fields) or ``<configured>`` (the keywords of
    ``Runner.run_module``) are not Python, so Sphinx would print the whole signature as plain
    text: they are shown as ``...``, a default that is not a plain value.
    """
    if what == "class" and getattr(obj, "_is_protocol", False):
        return "", None
    if signature and re.search(r"<[a-z]+>", signature):
        return re.sub(r"<[a-z]+>", "...", signature), return_annotation
    return None


def setup(app):
    app.connect("autodoc-process-bases", _drop_object_base)
    app.connect("autodoc-process-signature", _readable_signature)


# -- intersphinx, only on request (it downloads the inventories) -----------------------------

if os.environ.get("RUNMAIN_DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "pytest": ("https://docs.pytest.org/en/stable", None),
    }

# -- HTML ------------------------------------------------------------------------------------

try:
    import furo  # noqa: F401
except ImportError:  # pragma: no cover - the docs extras install furo
    html_theme = "alabaster"
else:
    html_theme = "furo"

html_title = f"pytest-runmain {release}"
