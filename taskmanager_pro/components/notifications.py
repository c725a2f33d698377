# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The header bell (unread count) and the inbox list with mark read / all read and snooze."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro import routes
from taskmanager_pro.state import notifications

NotificationsState: Any = notifications.NotificationsState


def bell() -> rx.Component:
    """A link to the inbox with the unread count; loads the count when it mounts (every signed-in page)."""
    count = NotificationsState.unread
    return rx.link(
        rx.box(
            rx.icon("bell", size=18),
            rx.cond(
                count > 0,
                rx.badge(
                    count,
                    color_scheme="red",
                    variant="solid",
                    radius="full",
                    size="1",
                    position="absolute",
                    top="-8px",
                    right="-10px",
                    id="unread-count",
                ),
            ),
            position="relative",
            display="flex",
            align_items="center",
        ),
        href=routes.NOTIFICATIONS,
        color="inherit",
        aria_label=rx.cond(count > 0, f"Notifications, {count} unread", "Notifications"),
        title="Notifications",
        padding="var(--space-2)",
        on_mount=NotificationsState.load_count,
    )


def _snooze_menu(item: Any) -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(rx.button(rx.icon("alarm-clock", size=14), "Snooze", size="1", variant="soft")),
        rx.menu.content(
            rx.menu.item("In 10 minutes", on_click=NotificationsState.snooze(item.id, "10m")),
            rx.menu.item("In 1 hour", on_click=NotificationsState.snooze(item.id, "1h")),
            rx.menu.item("Tomorrow morning", on_click=NotificationsState.snooze(item.id, "tomorrow")),
        ),
    )


def notification_row(item: Any) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.box(
                width="8px",
                height="8px",
                border_radius="50%",
                background=rx.cond(item.read, "transparent", rx.color("accent", 9)),
                margin_top="6px",
                flex_shrink="0",
            ),
            rx.vstack(
                rx.text(item.title, weight=rx.cond(item.read, "regular", "bold"), size="3"),
                rx.text(item.body, size="2", color_scheme="gray"),
                rx.hstack(
                    rx.text(item.channels, size="1", color_scheme="gray"),
                    rx.cond(item.failed, rx.badge("delivery failed", color_scheme="red", size="1")),
                    rx.cond(item.snoozed, rx.badge("snoozed", color_scheme="amber", size="1")),
                    spacing="2",
                    wrap="wrap",
                ),
                spacing="1",
                flex="1",
                min_width="0",
            ),
            rx.hstack(
                rx.cond(item.can_snooze, _snooze_menu(item)),
                rx.cond(
                    item.read,
                    rx.fragment(),
                    rx.button("Mark read", size="1", variant="ghost", on_click=NotificationsState.mark_read(item.id)),
                ),
                spacing="2",
                wrap="wrap",
                justify="end",
            ),
            align="start",
            spacing="3",
            width="100%",
            wrap="wrap",
        ),
        width="100%",
        role="listitem",
        aria_label=item.title,
    )


def inbox() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Notifications", size="7", as_="h1"),
            rx.spacer(),
            rx.button(
                rx.icon("check-check", size=14),
                "Mark all read",
                variant="soft",
                on_click=NotificationsState.mark_all_read,
                disabled=NotificationsState.unread == 0,
            ),
            align="center",
            width="100%",
            wrap="wrap",
        ),
        rx.cond(
            NotificationsState.error != "",
            rx.callout(NotificationsState.error, icon="circle-alert", color_scheme="red", role="alert"),
        ),
        rx.cond(
            NotificationsState.items.length() > 0,
            rx.vstack(
                rx.foreach(NotificationsState.items, notification_row),
                role="list",
                aria_label="Notifications",
                spacing="2",
                width="100%",
            ),
            rx.cond(
                NotificationsState.busy,
                rx.spinner(size="3"),
                rx.text("No notifications yet. Reminders you get show up here.", color_scheme="gray"),
            ),
        ),
        rx.cond(
            NotificationsState.next_cursor != "",
            rx.button(
                "Load more", variant="soft", on_click=NotificationsState.load_more, loading=NotificationsState.busy
            ),
        ),
        spacing="4",
        width="100%",
        aria_busy=rx.cond(NotificationsState.busy, "true", "false"),
    )
