# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Storage used by attachments (a card of the settings page)."""

from __future__ import annotations

import reflex as rx

from taskmanager_pro.state.storage import StorageState


def storage_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Storage", size="4", as_="h2"),
            rx.text("Files attached to your tasks.", size="2", color_scheme="gray"),
            rx.progress(value=StorageState.storage_percent, max=100, width="100%", aria_label="Storage used"),
            rx.text(
                StorageState.storage_used,
                " of ",
                StorageState.storage_quota,
                " used",
                size="2",
                data_testid="storage-used",
            ),
            rx.text(StorageState.storage_limits, size="1", color_scheme="gray"),
            rx.cond(
                StorageState.storage_error != "", rx.text(StorageState.storage_error, size="1", color_scheme="red")
            ),
            spacing="2",
            width="100%",
            on_mount=StorageState.load_storage,
        ),
        width="100%",
    )
