"""The partition helpers of shared projects (issue 13, decision §31): a shared project's partition is ``P#<p>``,
told apart from a user's ``sub`` by its prefix alone."""

from __future__ import annotations

import pytest

from backend.domain.sharing import (
    initials,
    is_project_partition,
    project_of_partition,
    project_partition,
    user_partitions,
)


def test_a_project_partition_round_trips() -> None:
    partition = project_partition("01HZX")
    assert partition == "P#01HZX"
    assert is_project_partition(partition)
    assert project_of_partition(partition) == "01HZX"


@pytest.mark.parametrize("sub", ["3f2a9c1e-0000-4000-8000-000000000000", "user-1"])
def test_a_users_partition_is_not_a_projects(sub: str) -> None:
    assert not is_project_partition(sub)
    assert project_of_partition(sub) is None


def test_a_users_partitions_are_their_own_then_each_shared_project_in_order() -> None:
    assert user_partitions("u1", frozenset({"b", "a"})) == ["u1", "P#a", "P#b"]
    assert user_partitions("u1", frozenset()) == ["u1"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Ada Lovelace", "AL"), ("grace", "G"), ("jo.smith@example.com", "JS"), ("", "?"), ("  anna  b  c", "AB")],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected
