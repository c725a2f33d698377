# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""People in shared projects as initials in coloured circles (the sidebar, task rows, members, comments)."""

from __future__ import annotations

from typing import Any

import reflex as rx


def avatar(initials: Any, color: Any, name: Any, *, size: str = "22px") -> rx.Component:
    """A person's initials in a circle of their colour; the name is its accessible name (and tooltip)."""
    return rx.box(
        rx.text(initials, as_="span", size="1", weight="bold", line_height="1"),
        role="img",
        aria_label=name,
        title=name,
        width=size,
        height=size,
        min_width=size,
        border_radius="50%",
        display="inline-flex",
        align_items="center",
        justify_content="center",
        background=rx.color(color, 5),  # (step 12 text on step 5: AA contrast for every hue, in both themes)
        color=rx.color(color, 12),
        font_size="10px",
        class_name="tmp-avatar",
    )


def avatar_stack(avatars: Any, *, limit: int = 3) -> rx.Component:
    """The first few members' avatars, overlapping (the sidebar's shared projects)."""
    return rx.hstack(
        rx.foreach(
            avatars[:limit],
            lambda a: rx.box(avatar(a.initials, a.color, a.name, size="18px"), margin_left="-5px"),
        ),
        rx.cond(
            avatars.length() > limit,
            rx.text("+", (avatars.length() - limit).to_string(), size="1", color_scheme="gray", margin_left="2px"),
        ),
        spacing="0",
        align="center",
        padding_left="5px",
        class_name="tmp-avatars",
    )
