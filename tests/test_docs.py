"""Every ```python block of README.md and docs/*.md runs here, so the documentation cannot drift.

The blocks are read from the Markdown source. An HTML comment on the line before a fenced
block (blank lines may come between) says what the block is:

- No comment: a ```python block is a complete test module. It runs under ``pytester`` as
  ``tests/test_doc.py`` of a small project holding the example greeter program of
  ``examples/greeter`` (the ``greeter`` package, importable, ``scripts/greet-report.py``, and
  the metadata of its distribution, so that its console script ``greeter`` is installed), and
  must pass: no failure or error, at least one passed test.
- ``<!-- docs-test: conftest -->`` before a ```python block: the project's ``conftest.py``
  for the test modules after it on the same page. On its own it runs with one smoke test.
- ``<!-- docs-test: ini -->`` before an ```ini block (written as ``pytest.ini``) or a
  ```toml block (``pyproject.toml``): the configuration for the test modules after it.
- ``<!-- docs-test: command -->`` before a ```sh block of one ``pytest ARGS`` line: ARGS are
  given to pytest for the test modules after it.
- ``<!-- docs-test: subprocess -->`` before a ```python block: a test module, run by pytest in
  a child process instead of in-process (for examples that need nothing else to hold on to
  their results, as ``pytester``'s hook recorder does in-process).
- ``<!-- docs-test: skip reason="..." -->`` before a ```python block: not run; reported as a
  skip with the reason.
- ``<!-- docs-test: file path="pkg/__main__.py" -->`` before a fenced block of any language:
  a file of the project, written at that path (relative to the project's root) for the test
  modules after it on the same page. So a page can show the program under test, then its
  tests. Files accumulate; a file block with the same path replaces the earlier one.
- ``<!-- docs-test: test -->`` before a ```python block: a test module, as with no comment
  (for giving it parameters).

``requires="mod ..."`` on a ``test``, ``subprocess``, ``conftest`` or ``file`` directive names
modules a block needs beyond the test extras (``typer``, say): a test module needs those of its
own directive and of the conftest and files in force, and is reported as a skip with the reason
when one of them cannot be imported.

A conftest, ini or command block replaces the earlier one of its kind on the page; each must be
followed by a test module that uses it, as must each file block. Every inner pytest run has
``--strict-markers``, ``--strict-config`` and ``-W error``, and an environment without the
variables that change how programs print (``PYTHONUNBUFFERED``, ``PYTHONIOENCODING``, ...).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import shlex
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Final, Literal, cast

import pytest

import pytest_runmain
from pytest_runmain import RunRequest, RunResult, hookspec

ROOT: Final = Path(__file__).resolve().parents[1]
EXAMPLE: Final = ROOT / "examples" / "greeter"
DOCS: Final = ROOT / "docs"
#: Every page of the documentation site, subdirectories included, but not the built site.
DOC_PAGES: Final = sorted(
    p for p in DOCS.rglob("*.md") if "_build" not in p.relative_to(DOCS).parts
)
PAGES: Final = [ROOT / "README.md", *DOC_PAGES]

#: Options of every inner run, on top of the page's command block.
INNER_ARGS: Final = ("-p", "no:cacheprovider", "--strict-markers", "--strict-config", "-W", "error")

#: Variables that change what a documented program prints; the examples assume them unset.
NEUTRAL_ENV: Final = (
    "COLUMNS",
    "FORCE_COLOR",
    "GREETER_GREETING",
    "NO_COLOR",
    "PYTHONIOENCODING",
    "PYTHONSAFEPATH",
    "PYTHONUNBUFFERED",
    "PYTHONUTF8",
    "PYTHONWARNINGS",
    "PYTHON_COLORS",
)

#: What a conftest block runs with when it is the case under test.
SMOKE_TEST: Final = """\
def test_smoke(run_module):
    assert run_module("greeter", "Ada").returncode == 0
"""

_FENCE: Final = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
_DIRECTIVE: Final = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<kind>[\w-]+)(?P<params>.*?)\s*-->\s*$")
_PARAM: Final = re.compile(r'(\w+)="([^"]*)"')
_PYTHON: Final = frozenset({"python", "py"})
_CONFIG_FILES: Final = {"ini": "pytest.ini", "toml": "pyproject.toml"}
#: The metadata of the greeter's distribution in the project, as ``pip install`` leaves it: its
#: ``[project.scripts]`` entry ``greeter`` is a console script of the examples.
GREETER_DIST_INFO: Final = "greeter-1.0.0.dist-info"
GREETER_ENTRY_POINTS: Final = "[console_scripts]\ngreeter = greeter.__main__:main\n"
#: Paths of the project that a file block may not write: other directives and the example own them.
_RESERVED: Final = (
    "conftest.py",
    "pytest.ini",
    "pyproject.toml",
    "tests",
    "greeter",
    "scripts",
    GREETER_DIST_INFO,
)
#: Directives that may carry ``requires="..."``.
_REQUIRING: Final = frozenset({"test", "subprocess", "conftest", "file"})

BlockKind = Literal["test", "conftest", "skip"]


@dataclass(frozen=True)
class DocBlock:
    """One ```python block and the page's settings in force where it stands."""

    page: str
    #: 1-based, among the page's ```python blocks.
    index: int
    #: The line of the opening fence, 1-based.
    line: int
    kind: BlockKind
    source: str
    reason: str = ""
    conftest: str | None = None
    #: (file name, text) of the configuration file.
    config: tuple[str, str] | None = None
    args: tuple[str, ...] = ()
    #: Whether pytest runs the block in a child process.
    subprocess: bool = False
    #: (path, text) of the project's files from the page's file blocks.
    files: tuple[tuple[str, str], ...] = ()
    #: Modules the block needs beyond the test extras.
    requires: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.page}:{self.index}"

    @property
    def where(self) -> str:
        return f"{self.page}, line {self.line}"


@dataclass
class _Settings:
    """The conftest, configuration and command in force on a page, and whether each was used."""

    conftest: str | None = None
    config: tuple[str, str] | None = None
    args: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)
    #: The modules required by the conftest and by each file in force.
    conftest_requires: tuple[str, ...] = ()
    file_requires: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unused: dict[str, int] = field(default_factory=dict)


def _fenced_blocks(text: str) -> tuple[list[tuple[int, str, str, str | None]], list[str]]:
    """(line, language, content, directive line) of each fenced block, and markup problems."""
    blocks: list[tuple[int, str, str, str | None]] = []
    problems: list[str] = []
    lines = text.splitlines()
    directive: tuple[int, str] | None = None
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        opening = _FENCE.match(line)
        if opening is None:
            if _DIRECTIVE.match(line) or (line.lstrip().startswith("<!--") and "docs-test" in line):
                if directive is not None:
                    problems.append(f"line {directive[0]}: directive not followed by a code block")
                directive = (number, line)
                if not _DIRECTIVE.match(line):
                    problems.append(f"line {number}: malformed docs-test comment: {line.strip()!r}")
                    directive = None
            elif line.strip() and directive is not None:
                problems.append(f"line {directive[0]}: directive not followed by a code block")
                directive = None
            continue
        indent, fence = opening["indent"], opening["fence"]
        start = number
        content = []
        while number < len(lines) and not lines[number].strip().startswith(fence):
            body = lines[number]
            content.append(body[len(indent) :] if body.startswith(indent) else body.lstrip())
            number += 1
        if number == len(lines):
            problems.append(f"line {start}: code block never closed")
        number += 1
        source = "\n".join(content) + "\n"
        blocks.append((start, opening["lang"].lower(), source, directive[1] if directive else None))
        directive = None
    if directive is not None:
        problems.append(f"line {directive[0]}: directive not followed by a code block")
    return blocks, problems


def parse_page(text: str, page: str) -> tuple[list[DocBlock], list[str]]:
    """The ```python blocks of one Markdown page, and what is wrong with its docs-test markup."""
    fenced, problems = _fenced_blocks(text)
    settings = _Settings()
    blocks: list[DocBlock] = []
    for line, lang, source, directive in fenced:
        kind, params = "", {}
        if directive is not None:
            match = _DIRECTIVE.match(directive)
            assert match is not None
            kind = match["kind"]
            params = dict(_PARAM.findall(match["params"]))
        problem = _check_params(kind, params) or _take_setting(settings, kind, lang, source, params)
        if problem:
            problems.append(f"line {line}: {problem}")
            continue
        if kind in ("ini", "command", "file") or lang not in _PYTHON:
            if kind in ("ini", "command", "file"):
                settings.unused[_setting_name(kind, params)] = line
            continue
        block_kind: BlockKind = (
            "skip" if kind == "skip" else "conftest" if kind == "conftest" else "test"
        )
        own_requires = tuple(params.get("requires", "").split())
        if block_kind == "conftest":
            settings.conftest = source
            settings.conftest_requires = own_requires
            settings.unused["conftest"] = line
        requires = [
            *own_requires,
            *(settings.conftest_requires if settings.conftest is not None else ()),
            *(name for needs in settings.file_requires.values() for name in needs),
        ]
        block = DocBlock(
            page=page,
            index=sum(b.page == page for b in blocks) + 1,
            line=line,
            kind=block_kind,
            source=source,
            reason=params.get("reason", ""),
            conftest=settings.conftest,
            config=settings.config,
            args=settings.args,
            subprocess=kind == "subprocess",
            files=tuple(settings.files.items()),
            requires=tuple(dict.fromkeys(requires)),
        )
        if block_kind == "test":
            settings.unused.clear()
        blocks.append(block)
    problems += [
        f"line {line}: {name} block is not followed by a test module that uses it"
        for name, line in settings.unused.items()
    ]
    return blocks, problems


def _setting_name(kind: str, params: dict[str, str]) -> str:
    return f"file {params['path']!r}" if kind == "file" else kind


def _check_params(kind: str, params: dict[str, str]) -> str:
    """What is wrong with a directive's parameters, or "" when they are fine."""
    allowed = {"skip": {"reason"}, "file": {"path", "requires"}}.get(kind, set())
    if kind in _REQUIRING:
        allowed = allowed | {"requires"}
    unknown = sorted(set(params) - allowed)
    if unknown:
        return f"{kind or 'docs-test'} directive: unknown parameter {unknown[0]!r}"
    if kind == "skip" and not params.get("reason"):
        return 'a skipped block needs reason="..."'
    if "requires" in params and not all(
        part.isidentifier() for name in params["requires"].split() for part in name.split(".")
    ):
        return f"requires={params['requires']!r}: expected module names separated by spaces"
    if kind == "file":
        path = params.get("path", "")
        parts = Path(path).parts
        if not path or Path(path).is_absolute() or ".." in parts or "\\" in path:
            return f'a file block needs path="..." relative to the project root, got {path!r}'
        if parts[0] in _RESERVED:
            return f"file path {path!r}: {parts[0]!r} belongs to the project's set-up"
    return ""


def _take_setting(
    settings: _Settings, kind: str, lang: str, source: str, params: dict[str, str]
) -> str:
    """Record an ini, command or file block in *settings*; return a problem, or "" if fine."""
    if kind == "":
        return ""
    if kind in ("conftest", "skip", "subprocess", "test"):
        return "" if lang in _PYTHON else f"{kind} directive on a ```{lang} block"
    if kind == "ini":
        if lang not in _CONFIG_FILES:
            return f"ini directive on a ```{lang} block (expected ini or toml)"
        settings.config = (_CONFIG_FILES[lang], source)
    elif kind == "command":
        words = shlex.split(source)
        if source.count("\n") != 1 or not words or words[0] != "pytest":
            return "a command block must be one line: pytest ARGS"
        settings.args = tuple(words[1:])
    elif kind == "file":
        path = Path(params["path"]).as_posix()
        settings.files[path] = source
        settings.file_requires[path] = tuple(params.get("requires", "").split())
    else:
        return f"unknown docs-test directive {kind!r}"
    return ""


def _collect() -> tuple[list[DocBlock], dict[str, list[str]]]:
    blocks: list[DocBlock] = []
    problems: dict[str, list[str]] = {}
    for path in PAGES:
        page = path.relative_to(ROOT).as_posix()
        page_blocks, page_problems = parse_page(path.read_text(encoding="utf-8"), page)
        blocks += page_blocks
        if page_problems:
            problems[page] = page_problems
    return blocks, problems


BLOCKS, PROBLEMS = _collect()


def _missing(modules: Iterable[str]) -> list[str]:
    """The *modules* that cannot be imported here."""
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:  # a parent package is missing
            found = False
        if not found:
            missing.append(name)
    return missing


def _params() -> list[object]:
    params: list[object] = []
    for block in BLOCKS:
        marks = [pytest.mark.skip(reason=block.reason)] if block.kind == "skip" else []
        missing = _missing(block.requires)
        if missing and not marks:
            reason = f"needs {', '.join(missing)}, which is not installed"
            marks = [pytest.mark.skip(reason=reason)]
        params.append(pytest.param(block, id=block.id, marks=marks))
    return params


def make_project(pytester: pytest.Pytester, block: DocBlock) -> None:
    """The example program, the block's page settings, and the test module to run."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("greeter", "scripts"):
        shutil.copytree(EXAMPLE / name, pytester.path / name, ignore=ignore)
    # The greeter as installed (its metadata, without launchers): its console script is there.
    info = pytester.path / GREETER_DIST_INFO
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: greeter\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(GREETER_ENTRY_POINTS, encoding="utf-8")
    config_name, config_text = block.config or ("pytest.ini", "[pytest]\n")
    (pytester.path / config_name).write_text(config_text, encoding="utf-8")
    if block.conftest is not None:
        (pytester.path / "conftest.py").write_text(block.conftest, encoding="utf-8")
    for path, text in block.files:
        (pytester.path / path).parent.mkdir(parents=True, exist_ok=True)
        (pytester.path / path).write_text(text, encoding="utf-8")
    tests = pytester.path / "tests"
    tests.mkdir()
    test_source = SMOKE_TEST if block.kind == "conftest" else block.source
    (tests / "test_doc.py").write_text(test_source, encoding="utf-8")
    pytester.syspathinsert()


@pytest.mark.parametrize("block", _params())
def test_block(block: DocBlock, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in NEUTRAL_ENV:
        monkeypatch.delenv(name, raising=False)
    make_project(pytester, block)
    # Off the main thread (pytest-xdist before 3.5 may run tests there) an inner session run
    # in-process could not use signals or time limits: it gets its own process and main thread.
    in_main_thread = threading.current_thread() is threading.main_thread()
    inprocess = in_main_thread and not block.subprocess
    run = pytester.runpytest_inprocess if inprocess else pytester.runpytest_subprocess
    result = run(*INNER_ARGS, *block.args)
    output = "\n".join([*result.outlines, *result.errlines])
    assert result.ret == pytest.ExitCode.OK, f"{block.where}: pytest exited {result.ret}\n{output}"
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, f"{block.where}: no test passed\n{output}"
    failures = (outcomes.get("failed", 0), outcomes.get("errors", 0))
    assert failures == (0, 0), f"{block.where}: failed, errors: {failures}\n{output}"


# --- the docs-test markup and the links between pages ------------------------------------------


def test_markup_is_valid() -> None:
    assert PROBLEMS == {}


def test_readme_quick_example_runs() -> None:
    readme = [block for block in BLOCKS if block.page == "README.md"]
    assert readme, "README.md has no ```python block"
    assert readme[0].kind == "test", "the README's first example must run as a test module"


_LINK: Final = re.compile(r"\]\((?P<target>[^)\s]+)\)")
_TOCTREE: Final = re.compile(r"^```\{toctree\}[^\n]*\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)


_CODE: Final = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1|`[^`\n]*`", re.MULTILINE | re.DOTALL)


def _local_links(page: Path) -> list[str]:
    """The targets of the page's relative links (not in code), without their #fragment."""
    prose = _CODE.sub("", page.read_text(encoding="utf-8"))
    targets = [m["target"] for m in _LINK.finditer(prose)]
    return [t.partition("#")[0] for t in targets if not re.match(r"[a-z]+:|#", t)]


def _linked_pages(page: Path) -> list[Path]:
    return [(page.parent / t).resolve() for t in _local_links(page) if t.endswith(".md")]


def _toctree_entries(page: Path) -> list[Path]:
    """The pages listed by the page's ```{toctree} directives (``Title <page>`` entries too)."""
    entries = []
    for match in _TOCTREE.finditer(page.read_text(encoding="utf-8")):
        for line in match["body"].splitlines():
            entry = line.strip()
            if not entry or entry.startswith(":"):
                continue
            entry = re.sub(r"^.*<(?P<target>[^>]+)>$", r"\g<target>", entry)
            path = page.parent / (entry if entry.endswith(".md") else f"{entry}.md")
            entries.append(path.resolve())
    return entries


def _reachable(start: Path, children: Callable[[Path], list[Path]]) -> set[Path]:
    seen: set[Path] = set()
    todo = [start.resolve()]
    while todo:
        page = todo.pop()
        if page in seen or not page.is_file():
            continue
        seen.add(page)
        todo += children(page)
    return seen


def test_every_page_is_linked_from_the_index() -> None:
    # By Markdown links, from the index or from a page linked from it: what GitHub shows.
    linked = _reachable(DOCS / "index.md", _linked_pages)
    assert [p.relative_to(DOCS).as_posix() for p in DOC_PAGES if p.resolve() not in linked] == []


def test_every_page_is_in_the_toctree() -> None:
    # The site's navigation: Sphinx warns about (so -W fails on) a page in no toctree.
    in_tree = _reachable(DOCS / "index.md", _toctree_entries)
    assert [p.relative_to(DOCS).as_posix() for p in DOC_PAGES if p.resolve() not in in_tree] == []
    entries = [entry for page in DOC_PAGES for entry in _toctree_entries(page)]
    assert [str(entry) for entry in entries if not entry.is_file()] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    local = _local_links(page)
    assert [t for t in local if not (page.parent / t).exists()] == []
    if page.is_relative_to(DOCS):
        # Sphinx links pages of docs/ and files, not directories nor Markdown files elsewhere.
        outside = [
            t
            for t in local
            if (page.parent / t).is_dir()
            or (t.endswith(".md") and not (page.parent / t).resolve().is_relative_to(DOCS))
        ]
        assert outside == []


# --- the reference pages name everything the code offers -------------------------------------


def _page(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def _undocumented(names: Iterable[str], text: str) -> list[str]:
    """The *names* that *text* never shows in code: `name`, `x.name`, `--name VALUE`..."""
    return sorted(n for n in set(names) if not re.search(rf"[`.]{re.escape(n)}(?!\w)", text))


def _options(pytester: pytest.Pytester) -> tuple[list[str], list[str]]:
    """The plugin's command-line options and ini options, as ``pytest --help`` lists them."""
    help_text = pytester.runpytest_inprocess("--help").stdout.str()
    options = re.findall(r"--runmain-[a-z-]+", help_text)
    ini_options = re.findall(r"^\s+(runmain_\w+)\b", help_text, flags=re.MULTILINE)
    assert options
    assert ini_options
    return options, ini_options


def _fixtures() -> list[str]:
    """The fixtures the plugin defines: the ``@pytest.fixture`` functions of the package."""
    names: list[str] = []
    for path in sorted((ROOT / "pytest_runmain").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                call = decorator if isinstance(decorator, ast.Call) else None
                if ast.unparse(call.func if call else decorator) != "pytest.fixture":
                    continue
                keywords = {k.arg: k.value for k in call.keywords} if call else {}
                name = keywords.get("name")
                names.append(
                    cast("str", name.value) if isinstance(name, ast.Constant) else node.name
                )
    return names


def test_every_ini_and_command_line_option_is_documented(pytester: pytest.Pytester) -> None:
    options, ini_options = _options(pytester)
    assert _undocumented([*options, *ini_options], _page("configuration.md")) == []


def test_the_reference_lists_everything(pytester: pytest.Pytester) -> None:
    options, ini_options = _options(pytester)
    settings = [f.name for f in fields(RunRequest) if f.name not in ("kind", "target", "args")]
    hooks = [name for name in vars(hookspec) if name.startswith("pytest_runmain_")]
    fixtures = _fixtures()
    assert hooks
    assert {"run_module", "run_path", "state_unchanged"} <= set(fixtures)
    everything = [*options, *ini_options, "runmain", *settings, *hooks, *fixtures]
    assert _undocumented(everything, _page("reference.md")) == []


def test_every_run_setting_is_documented() -> None:
    settings = [f.name for f in fields(RunRequest) if f.name not in ("kind", "target", "args")]
    assert _undocumented(settings, _page("configuration.md")) == []
    assert _undocumented([f.name for f in fields(RunRequest)], _page("hooks.md")) == []


def test_every_result_attribute_is_documented() -> None:
    public = [name for name in vars(RunResult) if not name.startswith("_")]
    assert _undocumented([*public, *(f.name for f in fields(RunResult))], _page("results.md")) == []


def test_every_public_name_is_documented() -> None:
    text = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
    names = [name for name in pytest_runmain.__all__ if not name.startswith("__")]
    assert [name for name in names if not re.search(rf"\b{name}\b", text)] == []


# --- the parser itself ---------------------------------------------------------------------------


def test_parser_reads_kinds_settings_and_indices() -> None:
    text = """\
Some prose.

<!-- docs-test: ini -->
```ini
[pytest]
runmain_tty = true
```

<!-- docs-test: command -->
```sh
pytest --runmain-columns 99
```

<!-- docs-test: conftest -->

```python
HOOKED = True
```

```python
def test_one(): pass
```

<!-- docs-test: skip reason="shows a failure" -->
```python
def test_fails(): assert False
```

<!-- docs-test: subprocess -->
```python
def test_two(): pass
```

```sh
echo "not python: ignored"
```
"""
    blocks, problems = parse_page(text, "page.md")
    assert problems == []
    assert [(b.index, b.kind, b.line, b.subprocess) for b in blocks] == [
        (1, "conftest", 16, False),
        (2, "test", 20, False),
        (3, "skip", 25, False),
        (4, "test", 30, True),
    ]
    test = blocks[1]
    assert test.config == ("pytest.ini", "[pytest]\nrunmain_tty = true\n")
    assert test.args == ("--runmain-columns", "99")
    assert test.conftest == "HOOKED = True\n"
    assert test.source == "def test_one(): pass\n"
    assert blocks[2].reason == "shows a failure"


def test_parser_reads_files_and_requirements() -> None:
    text = """\
<!-- docs-test: file path="app/__main__.py" requires="click" -->
```python
import click
```

<!-- docs-test: file path="data/names.txt" -->
```text
Ada
```

<!-- docs-test: test requires="typer rich.console" -->
```python
def test_one(): pass
```

<!-- docs-test: file path="app/__main__.py" -->
```python
print("replaced")
```

```python
def test_two(): pass
```
"""
    blocks, problems = parse_page(text, "page.md")
    assert problems == []
    first, second = blocks
    assert first.files == (
        ("app/__main__.py", "import click\n"),
        ("data/names.txt", "Ada\n"),
    )
    assert first.requires == ("typer", "rich.console", "click")
    assert second.files == (("app/__main__.py", 'print("replaced")\n'), ("data/names.txt", "Ada\n"))
    assert second.requires == ()
    assert _missing(["pytest", "no_such_module_here", "no_such_package.sub"]) == [
        "no_such_module_here",
        "no_such_package.sub",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<!-- docs-test: conftst -->\n```python\nx = 1\n```\n", "unknown docs-test directive"),
        ("<!-- docs-test: skip -->\n```python\nx = 1\n```\n", "needs reason"),
        ("<!-- docs-test skip -->\n```python\nx = 1\n```\n", "malformed"),
        ("<!-- docs-test: ini -->\nprose\n```ini\n[pytest]\n```\n", "not followed by a code"),
        ("<!-- docs-test: ini -->\n```python\nx = 1\n```\n", "expected ini or toml"),
        ("<!-- docs-test: command -->\n```sh\ntox -e py\n```\n", "one line: pytest ARGS"),
        ("<!-- docs-test: conftest -->\n```python\nx = 1\n```\n", "not followed by a test"),
        ("```python\nx = 1\n", "never closed"),
        ("<!-- docs-test: file -->\n```python\nx = 1\n```\n", 'needs path="..."'),
        ('<!-- docs-test: file path="../x.py" -->\n```python\nx = 1\n```\n', "relative"),
        ('<!-- docs-test: file path="conftest.py" -->\n```python\nx = 1\n```\n', "set-up"),
        ('<!-- docs-test: file path="x.py" -->\n```python\nx = 1\n```\n', "not followed"),
        ('<!-- docs-test: skip requires="x" -->\n```python\nx = 1\n```\n', "unknown param"),
        ('<!-- docs-test: test requires="a-b" -->\n```python\nx = 1\n```\n', "module names"),
    ],
    ids=[
        "unknown",
        "skip-without-reason",
        "no-colon",
        "prose-between",
        "ini-on-python",
        "command-not-pytest",
        "unused-conftest",
        "unclosed",
        "file-without-path",
        "file-outside",
        "file-reserved",
        "unused-file",
        "skip-with-requires",
        "bad-requires",
    ],
)
def test_parser_reports_bad_markup(text: str, problem: str) -> None:
    _, problems = parse_page(text, "page.md")
    assert any(problem in p for p in problems), problems
