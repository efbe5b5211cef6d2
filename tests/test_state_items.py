"""The registry of state items: what a run and ``state_unchanged`` build from it, in which order."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pytest

from pytest_runmain._process_state import ModuleAttributes, StdFileDescriptors
from pytest_runmain._state import StateItem
from pytest_runmain._state_items import (
    STATE_ITEMS,
    Cwd,
    Environ,
    FileDescriptors,
    RunContext,
    StateItemSpec,
    Threads,
    check_items,
    run_items,
)


def _ids(spec: StateItemSpec) -> str:
    return spec.kind.__name__


@pytest.mark.parametrize("spec", STATE_ITEMS, ids=_ids)
def test_each_row_builds_items_of_its_kind(spec: StateItemSpec) -> None:
    assert spec.name == spec.kind.name != ""
    assert isinstance(spec.for_run(RunContext()), spec.kind)
    if spec.for_check is not None:
        assert type(spec.for_check[1]()) is spec.kind


def test_names_are_unique() -> None:
    names = [spec.name for spec in STATE_ITEMS]
    assert len(set(names)) == len(names)


def test_a_run_enters_what_locating_its_target_reads_first() -> None:
    # Restored last: the threads and descriptors are checked once everything else is back.
    before = [type(item) for item in run_items(RunContext(), before_target=True)]
    after = run_items(RunContext(), before_target=False)

    assert before == [Threads, FileDescriptors, Cwd, Environ, StdFileDescriptors]
    assert len(before) + len(after) == len(STATE_ITEMS) - 1  # all but the deep check
    assert [item.name for item in after] == [
        spec.name
        for spec in STATE_ITEMS
        if not spec.before_target and spec.kind is not ModuleAttributes
    ]


def test_deep_isolation_adds_the_module_attributes_last() -> None:
    """Entered after every other item, it is the first put back (see ModuleAttributes)."""
    after = run_items(RunContext(deep=True), before_target=False)
    assert type(after[-1]) is ModuleAttributes
    assert ModuleAttributes not in {type(item) for item in after[:-1]}


def test_the_rows_entered_before_the_target_come_first() -> None:
    flags = [spec.before_target for spec in STATE_ITEMS]
    assert flags == sorted(flags, reverse=True)


def test_a_run_gets_what_its_context_holds() -> None:
    context = RunContext(cwd="/somewhere", env={"A": "1"}, argv=["prog", "x"], path_entry="/p")
    items = {
        type(item).__name__: item
        for item in [
            *run_items(context, before_target=True),
            *run_items(context, before_target=False),
        ]
    }

    assert items["Cwd"]._cwd == "/somewhere"  # type: ignore[attr-defined]
    assert items["Environ"]._overlay == {"A": "1"}  # type: ignore[attr-defined]
    assert items["SysArgv"]._run_argv == ["prog", "x"]  # type: ignore[attr-defined]
    assert items["SysPath"]._first_entry == "/p"  # type: ignore[attr-defined]


def test_state_unchanged_reads_the_checked_rows_in_report_order() -> None:
    checked = [spec for spec in STATE_ITEMS if spec.for_check is not None]
    positions = sorted(spec.for_check[0] for spec in checked if spec.for_check is not None)
    items = check_items()

    assert positions == list(range(1, len(checked) + 1))
    assert [type(item) for item in items] == [
        spec.kind for spec in sorted(checked, key=lambda s: s.for_check[0] if s.for_check else 0)
    ]
    assert all(isinstance(item, StateItem) for item in items)


def test_state_unchanged_leaves_the_machinery_out() -> None:
    unchecked = {spec.name for spec in STATE_ITEMS if spec.for_check is None}
    assert unchecked == {
        "sys.path_importer_cache",
        "thread name counter",
        "daemon flag of the running thread",
        "module attributes",  # an option of runs, too slow for every check
    }


ISOLATION_PAGE: Final = Path(__file__).resolve().parents[1] / "docs" / "isolation.md"
_TABLE_HEADER: Final = "| State | What is put back or checked | `state_unchanged` |"


def _registry_table() -> list[str]:
    rows = [_TABLE_HEADER, "| --- | --- | --- |"]
    for spec in STATE_ITEMS:
        checked = "checked" if spec.for_check is not None else "-"
        rows.append(f"| `{spec.name}` | {spec.description} | {checked} |")
    return rows


def _docs_table() -> list[str]:
    lines = ISOLATION_PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index(_TABLE_HEADER)
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


def test_the_docs_table_has_a_row_per_registry_entry() -> None:
    expected = _registry_table()
    found = _docs_table()
    # On a difference, paste the expected table (shown in full) into docs/isolation.md.
    assert found == expected, "\n" + "\n".join(expected)
