"""The state driver alone, with fake state items: ``StateStack`` and ``StateSnapshot``.

What the runs rely on without showing it: items are set up in the order entered and written
back in reverse, a restore that fails is a leak and does not stop the others, only items that
report changes list them, items that cannot be restored are only checked, closing twice is
harmless; and a snapshot tells what differs without restoring anything.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_runmain._state import StateChange, StateItem, StateLeak, StateSnapshot, StateStack


class FakeItem(StateItem):
    """One value in *world*, under its name; logs its set-ups and writes to *log*."""

    def __init__(
        self,
        name: str,
        world: dict[str, Any],
        log: list[str],
        *,
        run_value: Any = None,
        restorable: bool = True,
        reports_changes: bool = True,
        fail_write: bool = False,
        sets_up: bool = True,
        undo_is_exact: bool | None = None,
    ) -> None:
        self.name = name
        self.restorable = restorable
        self.reports_changes = reports_changes
        self._world = world
        self._log = log
        self._run_value = run_value
        self._fail_write = fail_write
        self._sets_up = sets_up
        self._undo_is_exact = undo_is_exact
        self.reads = 0

    def read(self) -> Any:
        self.reads += 1
        return self._world[self.name]

    def write(self, snapshot: Any) -> None:
        self._log.append(f"write {self.name}")
        if self._fail_write:
            raise RuntimeError(f"cannot put {self.name} back")
        self._world[self.name] = snapshot

    def setup(self) -> bool | None:
        self._log.append(f"setup {self.name}")
        if self._run_value is not None:
            self._world[self.name] = self._run_value
        return None if self._sets_up else False

    def undo_setup(self, outer: Any) -> bool:
        if self._undo_is_exact is None:
            return super().undo_setup(outer)
        self._log.append(f"undo {self.name}")
        self._world[self.name] = outer
        return self._undo_is_exact


@pytest.fixture
def world() -> dict[str, Any]:
    return {"a": 1, "b": 2, "c": 3}


@pytest.fixture
def log() -> list[str]:
    return []


def test_items_are_set_up_in_order_and_written_back_last_first(
    world: dict[str, Any], log: list[str]
) -> None:
    stack = StateStack()
    for name in "abc":
        stack.enter(FakeItem(name, world, log))
    stack.close()

    assert log == ["setup a", "setup b", "setup c", "write c", "write b", "write a"]


def test_the_outer_state_comes_back_after_the_run_and_the_program_changed_it(
    world: dict[str, Any], log: list[str]
) -> None:
    stack = StateStack()
    stack.enter(FakeItem("a", world, log, run_value=10))
    assert world["a"] == 10  # the run's set-up
    world["a"] = 11  # the program's change
    stack.finish()
    stack.close()

    assert world["a"] == 1
    assert stack.changes == {"a": ["~ 10 -> 11"]}
    assert stack.leaks == []
    assert stack.state_changes() == {"a": StateChange("a", ("~ 10 -> 11",), restored=True)}


@pytest.mark.parametrize("exact", [True, False])
def test_a_program_that_kept_its_start_state_has_only_set_up_undone(
    world: dict[str, Any], log: list[str], exact: bool
) -> None:
    item = FakeItem("a", world, log, run_value=10, undo_is_exact=exact)
    stack = StateStack()
    stack.enter(item)
    stack.finish()
    stack.close()

    assert log == ["setup a", "undo a"]
    assert world["a"] == 1
    # Outer, start, end; read again after an undo not known to be exact.
    assert item.reads == (3 if exact else 4)
    assert stack.changes == {}
    assert stack.leaks == []


def test_an_undo_not_known_to_be_exact_is_checked(world: dict[str, Any], log: list[str]) -> None:
    class Sloppy(FakeItem):
        def undo_setup(self, outer: Any) -> bool:
            return False  # forgets to put the outer value back

    stack = StateStack()
    stack.enter(Sloppy("a", world, log, run_value=10))
    stack.close()

    assert stack.leaks == [StateLeak("a", ("~ 1 -> 10",))]


def test_an_item_with_nothing_set_up_is_written_back_only_if_changed(
    world: dict[str, Any], log: list[str]
) -> None:
    stack = StateStack()
    stack.enter(FakeItem("a", world, log, sets_up=False))
    stack.enter(FakeItem("b", world, log, sets_up=False))
    world["b"] = 20
    stack.close()

    assert log == ["setup a", "setup b", "write b"]
    assert world == {"a": 1, "b": 2, "c": 3}
    assert stack.changes == {"b": ["~ 2 -> 20"]}
    assert stack.leaks == []


def test_a_failing_restore_is_a_leak_and_the_others_still_restore(
    world: dict[str, Any], log: list[str]
) -> None:
    stack = StateStack()
    stack.enter(FakeItem("a", world, log))
    stack.enter(FakeItem("b", world, log, fail_write=True))
    stack.enter(FakeItem("c", world, log))
    world.update(a=10, b=20, c=30)
    stack.close()

    assert log[-3:] == ["write c", "write b", "write a"]
    assert (world["a"], world["c"]) == (1, 3)
    assert stack.leaks == [
        StateLeak("b", ("! restoring failed: RuntimeError: cannot put b back",)),
        StateLeak("b", ("~ 2 -> 20",)),
    ]
    restored = {name: change.restored for name, change in stack.state_changes().items()}
    assert restored == {"a": True, "b": False, "c": True}


def test_only_items_that_report_changes_list_them(world: dict[str, Any], log: list[str]) -> None:
    stack = StateStack()
    stack.enter(FakeItem("a", world, log))
    stack.enter(FakeItem("b", world, log, reports_changes=False))
    world.update(a=10, b=20)
    stack.finish()

    assert stack.changes == {"a": ["~ 1 -> 10"]}
    stack.close()
    assert world == {"a": 1, "b": 2, "c": 3}  # both restored all the same


def test_an_item_that_cannot_be_restored_is_checked_not_written(
    world: dict[str, Any], log: list[str]
) -> None:
    stack = StateStack()
    stack.enter(FakeItem("a", world, log, restorable=False))
    world["a"] = 10
    stack.close()

    assert "write a" not in log
    assert world["a"] == 10
    assert stack.leaks == [StateLeak("a", ("~ 1 -> 10",))]


def test_closing_twice_restores_and_reports_once(world: dict[str, Any], log: list[str]) -> None:
    stack = StateStack()
    stack.enter(FakeItem("a", world, log, restorable=False))
    stack.enter(FakeItem("b", world, log))
    world.update(a=10, b=20)
    stack.close()
    world["b"] = 30
    stack.close()

    assert log.count("write b") == 1
    assert world["b"] == 30
    assert stack.leaks == [StateLeak("a", ("~ 1 -> 10",))]


def test_closing_without_finishing_records_the_changes_first(
    world: dict[str, Any], log: list[str]
) -> None:
    stack = StateStack()
    stack.enter(FakeItem("a", world, log))
    world["a"] = 10
    stack.close()

    assert stack.changes == {"a": ["~ 1 -> 10"]}


def test_an_entered_item_is_found_by_its_class(world: dict[str, Any], log: list[str]) -> None:
    item = FakeItem("a", world, log)
    stack = StateStack()
    stack.enter(item)

    assert stack.item(FakeItem) is item
    assert list(stack) == [item]
    with pytest.raises(LookupError, match="no StateItem item was entered"):
        StateStack().item(StateItem)


def test_a_snapshot_tells_what_differs_and_restores_nothing(
    world: dict[str, Any], log: list[str]
) -> None:
    snapshot = StateSnapshot([FakeItem(name, world, log) for name in "abc"])
    assert snapshot.differences() == []

    world.update(a=10, c=30)

    assert snapshot.differences() == [
        StateLeak("a", ("~ 1 -> 10",)),
        StateLeak("c", ("~ 3 -> 30",)),
    ]
    assert log == []  # neither set up nor written
    assert world == {"a": 10, "b": 2, "c": 30}
