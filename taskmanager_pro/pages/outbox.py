# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""/dev/outbox: the emails and SMS the local AWS "sent", so codes can be read without a mail server."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.components import auth_layout, error_message
from taskmanager_pro.state import OutboxState


def message_card(message: Any) -> rx.Component:
    """One message; ``message`` is the Var of an ``OutboxMessageView`` (untyped for mypy)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.badge(message.channel),
                rx.text(message.recipients, size="2", weight="medium", truncate=True),
                align="center",
                width="100%",
            ),
            rx.cond(message.subject, rx.text(message.subject, size="2", weight="bold")),
            rx.cond(
                message.code,
                rx.hstack(rx.text("Code:", size="2"), rx.code(message.code, size="4"), align="center"),
            ),
            rx.text(message.body, size="1", color_scheme="gray", white_space="pre-wrap", word_break="break-word"),
            rx.cond(
                message.html != "",
                rx.el.details(
                    rx.el.summary("Rendered email (HTML)", font_size="var(--font-size-1)"),
                    # sandboxed: no scripts, no same-origin access; it is only looked at
                    rx.el.iframe(
                        src_doc=message.html, sandbox="", title="Rendered email", width="100%", height="420px"
                    ),
                ),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def outbox_page() -> rx.Component:
    return auth_layout(
        "Outbox",
        rx.cond(
            OutboxState.local,
            rx.vstack(
                rx.hstack(
                    rx.text("Emails and SMS sent by the local AWS, newest first.", size="2", color_scheme="gray"),
                    rx.spacer(),
                    rx.icon_button(
                        rx.icon("refresh-cw", size=16),
                        on_click=OutboxState.load,
                        loading=OutboxState.busy,
                        variant="soft",
                        aria_label="Refresh",
                    ),
                    align="center",
                    width="100%",
                ),
                error_message(OutboxState.error),
                rx.cond(
                    OutboxState.messages,
                    rx.foreach(OutboxState.messages, message_card),
                    rx.text("Nothing sent yet.", size="2"),
                ),
                spacing="3",
                width="100%",
            ),
            rx.callout(
                "The outbox exists only in a local run (make run). Here, emails and SMS are really sent.",
                icon="info",
                role="status",
            ),
        ),
    )
