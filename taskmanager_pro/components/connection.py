# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The connection bar: "offline — reconnecting" while the websocket to the backend is down.

It replaces Reflex's default overlay (a pulsing dot and a technical toast naming the websocket URL). While the
socket is down the browser keeps the events it could not send and sends them, once, when it is back (each
quick add carries its own idempotency key), which is what the bar says.
"""

from __future__ import annotations

import reflex as rx
from reflex_components_core.core.banner import has_connection_errors

OFFLINE_TEXT = "You are offline — reconnecting…"
OFFLINE_HINT = "What you do now is sent once the connection is back."


def offline_bar() -> rx.Component:
    return rx.cond(
        has_connection_errors,
        rx.el.div(
            rx.icon("wifi-off", size=16, aria_hidden="true"),
            rx.el.strong(OFFLINE_TEXT),
            rx.el.span(OFFLINE_HINT),
            role="status",
            aria_live="polite",
            id="offline-bar",
            class_name="tmp-offline-bar",
        ),
    )
