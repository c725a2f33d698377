# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Markdown written by users (task notes, comments), rendered safely."""

from __future__ import annotations

from typing import Any

import reflex as rx


def safe_markdown(source: Any, *, class_name: str) -> rx.Component:
    """Markdown without raw HTML (``use_raw=False``: tags show as text, never as elements; a comment by another
    member cannot run a script here), no math plugins, and images are not loaded (a link to a tracker would report
    every view)."""
    return rx.markdown(
        source,
        use_raw=False,
        use_math=False,
        use_katex=False,
        component_map={
            "img": lambda *_: rx.el.span("[image]", class_name="tmp-md-img"),
        },
        class_name=class_name,
    )
