# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The signed-in home: the app shell around a welcome, until the task views arrive."""

from __future__ import annotations

import reflex as rx

from taskmanager_pro import routes
from taskmanager_pro.components import app_shell
from taskmanager_pro.guards import require_login
from taskmanager_pro.state import AppState


@require_login
def home_page() -> rx.Component:
    return app_shell(
        rx.vstack(
            rx.heading("Welcome, ", AppState.display_name, size="7", as_="h1"),
            rx.text(
                "Your tasks will live here: Today, Upcoming, Inbox and Projects are on their way.",
                color_scheme="gray",
            ),
            rx.card(
                rx.hstack(
                    rx.icon("settings", size=20),
                    rx.vstack(
                        rx.text("Set up your account", weight="medium"),
                        rx.text(
                            "Choose your name and time zone, and turn on two-step verification.",
                            size="2",
                            color_scheme="gray",
                        ),
                        spacing="1",
                    ),
                    rx.spacer(),
                    rx.link(rx.button("Open settings", variant="soft"), href=routes.SETTINGS),
                    align="center",
                    spacing="3",
                    wrap="wrap",
                ),
                width="100%",
            ),
            spacing="4",
            width="100%",
        )
    )
