# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The "…" button that opens a menu of actions: a task row's, a project's in the sidebar."""

from __future__ import annotations

from typing import Any

import reflex as rx


def more_actions(label: Any, *, class_name: str, icon_size: int = 14) -> rx.Component:
    """The menu's trigger; ``label`` names whose actions they are (the button has no text). No ``on_click`` of its
    own: Reflex would wrap the button in a div that gets ``aria-expanded``."""
    return rx.menu.trigger(
        rx.icon_button(
            rx.icon("ellipsis", size=icon_size),
            variant="ghost",
            color_scheme="gray",
            size="1",
            aria_label=label,
            class_name=class_name,
        ),
    )
