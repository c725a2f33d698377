"""The address book of live updates (taskmanager_pro/state/tabs.py): which tabs hear which user's changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from taskmanager_pro.state import tabs


@pytest.fixture(autouse=True)
def empty_book() -> Iterator[None]:
    yield
    for user in list(tabs._tabs):
        for token in tabs.tabs_of(user):
            tabs.forget(token)


def test_a_tab_hears_the_user_it_shows() -> None:
    tabs.listen("alice", "tab-1")
    tabs.listen("alice", "tab-2")
    tabs.listen("bob", "tab-3")
    assert tabs.tabs_of("alice") == {"tab-1", "tab-2"}
    assert tabs.tabs_of("bob") == {"tab-3"}
    assert tabs.tabs_of("carol") == set()


def test_a_tab_shows_one_user_at_a_time() -> None:
    tabs.listen("alice", "tab-1")
    tabs.listen("bob", "tab-1")  # signed out and in as someone else
    assert tabs.tabs_of("alice") == set()
    assert tabs.tabs_of("bob") == {"tab-1"}


def test_a_forgotten_tab_hears_nothing_and_an_unknown_one_is_ignored() -> None:
    tabs.listen("alice", "tab-1")
    tabs.forget("tab-1")
    tabs.forget("never-seen")
    assert tabs.tabs_of("alice") == set()
    assert "alice" not in tabs._tabs  # nothing left behind for a user without tabs


def test_nothing_is_listed_without_a_user_or_a_token() -> None:
    tabs.listen("", "tab-1")
    tabs.listen("alice", "")
    assert tabs.tabs_of("") == set()
    assert tabs.tabs_of("alice") == set()


def test_only_the_newest_tabs_of_a_user_are_kept() -> None:
    for n in range(tabs.MAX_TABS_PER_USER + 5):
        tabs.listen("alice", f"tab-{n}")
    kept = tabs.tabs_of("alice")
    assert len(kept) == tabs.MAX_TABS_PER_USER
    assert "tab-0" not in kept
    assert f"tab-{tabs.MAX_TABS_PER_USER + 4}" in kept


def test_listening_again_keeps_one_entry() -> None:
    tabs.listen("alice", "tab-1")
    tabs.listen("alice", "tab-1")
    assert tabs.tabs_of("alice") == {"tab-1"}
