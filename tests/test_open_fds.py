"""The descriptor table: poll and a count where Linux allows, the listing otherwise."""

from __future__ import annotations

import os
import resource

import pytest

from pytest_runmain._open_fds import FD_DIR, DescriptorTable, OpenDescriptors

pytestmark = pytest.mark.skipif(FD_DIR is None, reason="no directory lists the descriptors")


def listed() -> frozenset[int]:
    """The descriptors open now, by the plain listing (the listing's own left out)."""
    assert FD_DIR is not None
    probe = os.open(FD_DIR, os.O_RDONLY)
    os.close(probe)
    return frozenset(int(name) for name in os.listdir(FD_DIR)) - {probe}


def assert_finds_a_new_descriptor(table: DescriptorTable) -> None:
    """*table* sees a descriptor opened after a read, and no longer once it is closed."""
    before = table.read()
    fd = os.dup(0)
    try:
        assert table.read().numbers() - before.numbers() == {fd}
    finally:
        os.close(fd)
    assert table.read() == before


@pytest.fixture
def table() -> DescriptorTable:
    table = DescriptorTable()
    table.read()  # the first read lists, and sets up poll where it can
    return table


def test_reads_agree_with_the_listing(table: DescriptorTable) -> None:
    assert table.read().numbers() == listed()
    assert table.read() == OpenDescriptors(listed())


def test_a_descriptor_opened_below_the_bound_is_found(table: DescriptorTable) -> None:
    before = table.read()
    fd = os.dup(0)
    try:
        after = table.read()
    finally:
        os.close(fd)

    assert after.numbers() - before.numbers() == {fd}
    assert after != before
    assert table.read() == before


def test_a_closed_descriptor_is_found(table: DescriptorTable) -> None:
    fd = os.dup(0)
    before = table.read()
    os.close(fd)

    assert before.numbers() - table.read().numbers() == {fd}


def test_a_descriptor_far_above_every_other_is_found() -> None:
    """One dup2'ed above the poll bound is not seen by poll: the count tells, and it is listed."""
    table = DescriptorTable()
    before = table.read()
    high = min(max(before.numbers()) + 500, resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 1)
    os.dup2(0, high)
    try:
        after = table.read()
        again = table.read()  # the bound moved above it
    finally:
        os.close(high)

    assert after.numbers() - before.numbers() == {high}
    assert again == after
    assert table.read() == before


def test_a_closed_and_an_opened_descriptor_in_one_step(table: DescriptorTable) -> None:
    """Same count, other numbers: the poll answers, not the count, make the snapshot."""
    low, spare = os.dup(0), os.dup(0)
    before = table.read()
    os.close(low)
    os.dup2(0, max(before.numbers()) + 3)
    try:
        after = table.read()
    finally:
        os.close(max(before.numbers()) + 3)
        os.close(spare)

    assert after.numbers() == (before.numbers() - {low}) | {max(before.numbers()) + 3}


def test_without_a_count_every_read_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before Linux 6.2 the directory's size is 0: the table never trusts poll alone."""
    real_stat = os.stat

    def stat_without_size(path: str) -> os.stat_result:
        fields = list(real_stat(path))
        fields[6] = 0  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr("pytest_runmain._open_fds._stat", stat_without_size)
    assert_finds_a_new_descriptor(DescriptorTable())


def test_a_platform_without_the_directory_reads_nothing() -> None:
    assert DescriptorTable(None).read().numbers() == frozenset()


def test_snapshots_of_different_watches_compare_as_sets() -> None:
    watched = frozenset(range(8))
    assert OpenDescriptors(watched, frozenset({5, 6, 7})) == OpenDescriptors(frozenset(range(5)))
    assert OpenDescriptors(watched, frozenset({6, 7})) != OpenDescriptors(frozenset(range(5)))
    assert OpenDescriptors(watched, frozenset({6, 7})) != OpenDescriptors(watched, frozenset({7}))
    same = OpenDescriptors(frozenset({0, 1, 2, 3, 4}))
    assert hash(OpenDescriptors(watched, frozenset({5, 6, 7}))) == hash(same)
    assert repr(OpenDescriptors(frozenset({2, 0}))) == "OpenDescriptors([0, 2])"


def test_more_new_descriptors_than_watched_are_all_found(table: DescriptorTable) -> None:
    before = table.read()
    new = [os.dup(0) for _ in range(40)]
    try:
        after = table.read()
    finally:
        for fd in new:
            os.close(fd)

    assert after.numbers() - before.numbers() == set(new)
    assert table.read() == before


def counts_descriptors() -> bool:
    """Whether the directory's size is the number of open descriptors (Linux 6.2 and later)."""
    assert FD_DIR is not None
    return os.stat(FD_DIR).st_size == len(listed())


@pytest.mark.skipif(FD_DIR is None or not counts_descriptors(), reason="no count: always lists")
def test_with_a_count_reads_do_not_list(
    table: DescriptorTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_listing(path: str) -> list[str]:
        raise AssertionError("listed again")

    monkeypatch.setattr("pytest_runmain._open_fds._listdir", no_listing)
    assert_finds_a_new_descriptor(table)
