"""The view switch's pure parts (taskmanager_pro/state/tasks.py): which clicks on a sidebar link set the list at once
(``plain_click``: the ones that follow the link in this tab), and when the page's own load may skip the work a click
has done (``SwitchedView.covers``: the same view, soon after)."""

from __future__ import annotations

from typing import Any

import pytest

from taskmanager_pro.state.tasks import SWITCH_SECONDS, SwitchedView, plain_click, view_of

CLICK: dict[str, Any] = {
    "button": 0,
    "buttons": 0,
    "client_x": 10,
    "client_y": 20,
    "alt_key": False,
    "ctrl_key": False,
    "meta_key": False,
    "shift_key": False,
}


def test_a_plain_left_click_follows_the_link_here() -> None:
    assert plain_click(CLICK)


@pytest.mark.parametrize("key", ["alt_key", "ctrl_key", "meta_key", "shift_key"])
def test_a_click_with_a_modifier_opens_elsewhere_and_leaves_this_list_alone(key: str) -> None:
    assert not plain_click({**CLICK, key: True})


@pytest.mark.parametrize("click", [{**CLICK, "button": 1}, {**CLICK, "button": 2}, None, "click", [0], 0])
def test_another_button_or_anything_but_a_click_is_not_a_switch(click: object) -> None:
    assert not plain_click(click)


def test_the_page_load_of_the_clicked_view_finds_it_done() -> None:
    assert view_of("/inbox") == ("inbox", "")
    assert SwitchedView("inbox", "", at=100.0).covers("inbox", "", now=100.05)
    project = SwitchedView("project", "01JABCDEFGHJKMNPQRSTVWXYZ0", at=5.0)
    assert project.covers("project", "01JABCDEFGHJKMNPQRSTVWXYZ0", now=5.0 + SWITCH_SECONDS)


@pytest.mark.parametrize(
    ("view", "context_id", "now"),
    [
        ("today", "", 100.05),  # another view loads (the click was for the Inbox)
        ("inbox", "x", 100.05),
        ("inbox", "", 100.0 + SWITCH_SECONDS + 0.01),  # too late to be that click's page
        ("inbox", "", 99.0),  # a clock that went back: not trusted
    ],
)
def test_any_other_load_does_the_work_itself(view: str, context_id: str, now: float) -> None:
    assert not SwitchedView("inbox", "", at=100.0).covers(view, context_id, now=now)
