# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Settings → Developer (issue 16): personal API tokens and the task email address."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.components.forms import field, form, submit_button, text_input
from taskmanager_pro.components.tables import record_table
from taskmanager_pro.components.webhooks import webhooks_panel
from taskmanager_pro.state.developer import DeveloperState


def _token_row(token: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(token.name),
        rx.table.cell(token.scopes),
        rx.table.cell(token.created),
        rx.table.cell(token.last_used),
        rx.table.cell(
            rx.button(
                "Revoke",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=DeveloperState.revoke_token(token.id),  # type: ignore[operator]
                aria_label="Revoke " + token.name,
            )
        ),
        data_testid="token-row",
    )


def _new_token() -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.text("Copy your new token now: it is not shown again.", size="2", weight="medium"),
            rx.hstack(
                rx.code(DeveloperState.new_token, data_testid="new-token", word_break="break-all"),
                rx.button(
                    "Copy", size="1", on_click=rx.set_clipboard(DeveloperState.new_token), aria_label="Copy the token"
                ),
                rx.button("Done", size="1", variant="soft", on_click=DeveloperState.dismiss_new_token),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
        ),
        color_scheme="green",
        width="100%",
    )


def developer_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Developer", size="4", as_="h2"),
            rx.text(
                "Personal API tokens work like your sign-in on the REST API (see /api/docs): send "
                "Authorization: Bearer <token>. A read token may only read.",
                size="2",
                color_scheme="gray",
            ),
            form(
                rx.hstack(
                    field(
                        "Token name",
                        text_input(
                            "token_name",
                            value=DeveloperState.token_name,
                            on_change=DeveloperState.set_token_name,
                            max_length=60,
                            placeholder="e.g. nightly backup",
                        ),
                        control_id="token_name",
                    ),
                    rx.el.label(
                        rx.hstack(
                            rx.switch(checked=DeveloperState.token_write, on_change=DeveloperState.set_token_write),
                            rx.text("May also write", size="2"),
                            align="center",
                            spacing="2",
                        ),
                    ),
                    submit_button("Create token", DeveloperState.creating, wide=False),
                    align="end",
                    spacing="3",
                    wrap="wrap",
                ),
                on_submit=DeveloperState.create_token,
            ),
            rx.cond(DeveloperState.new_token != "", _new_token()),
            rx.cond(
                DeveloperState.token_error != "",
                rx.text(DeveloperState.token_error, size="1", color_scheme="red", role="alert"),
            ),
            rx.cond(
                DeveloperState.tokens.length() > 0,  # type: ignore[attr-defined]
                record_table(["Name", "Scopes", "Created", "Last used", ""], DeveloperState.tokens, _token_row),
                rx.text("No tokens yet.", size="2", color_scheme="gray"),
            ),
            rx.divider(),
            rx.text("Email to task", size="3", weight="medium"),
            rx.text(
                "Mail to this secret address becomes a task in your Inbox: the subject is read like quick add "
                "(“Pay invoice friday p1 #Work”), the body becomes the notes, files are attached. Reply DONE, "
                "SNOOZE 1h or TOMORROW to a reminder email or SMS to act on its task.",
                size="2",
                color_scheme="gray",
            ),
            rx.hstack(
                rx.code(DeveloperState.task_email, data_testid="task-email"),
                rx.button(
                    "Copy",
                    size="1",
                    on_click=rx.set_clipboard(DeveloperState.task_email),
                    aria_label="Copy the address",
                ),
                rx.button("New address", size="1", variant="soft", on_click=DeveloperState.new_task_email),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            rx.cond(
                DeveloperState.task_email_error != "",
                rx.text(DeveloperState.task_email_error, size="1", color_scheme="red", role="alert"),
            ),
            rx.divider(),
            webhooks_panel(),
            spacing="3",
            width="100%",
            on_mount=DeveloperState.load_developer,
        ),
        width="100%",
    )
