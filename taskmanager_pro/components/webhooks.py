# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Settings → Developer → Webhooks (issue 16): add one (URL + events, the secret shown once), list, delete, and per
webhook its last deliveries with a Re-send button."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.client import WEBHOOK_EVENTS
from taskmanager_pro.components.forms import field, form, submit_button, text_input
from taskmanager_pro.components.tables import record_table
from taskmanager_pro.state.webhooks import PENDING_PREFIX, WebhooksState

S = WebhooksState


def _event_box(event: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=S.webhook_events.contains(event),  # type: ignore[attr-defined]
                on_change=lambda _: S.toggle_event(event),  # type: ignore[operator]
                aria_label=event,  # Radix's checkbox is a button: the wrapping <label> does not name it
            ),
            rx.text(event, size="2"),
            align="center",
            spacing="1",
        ),
    )


def _new_secret() -> rx.Component:
    return rx.callout.root(
        rx.vstack(
            rx.text(
                "Copy the signing secret now: it is not shown again. Check X-TaskManager-Signature with it.",
                size="2",
                weight="medium",
            ),
            rx.hstack(
                rx.code(S.new_secret, data_testid="new-webhook-secret", word_break="break-all"),
                rx.button("Copy", size="1", on_click=rx.set_clipboard(S.new_secret), aria_label="Copy the secret"),
                rx.button("Done", size="1", variant="soft", on_click=S.dismiss_new_secret),
                align="center",
                spacing="2",
                wrap="wrap",
            ),
            spacing="2",
        ),
        color_scheme="green",
        width="100%",
    )


def _delivery_row(delivery: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(delivery.event),
        rx.table.cell(
            rx.vstack(
                rx.text(delivery.outcome, rx.cond(delivery.resent, " (re-send)", ""), size="1"),
                rx.cond(delivery.error != "", rx.text(delivery.error, size="1", color_scheme="gray")),
                spacing="0",
            )
        ),
        rx.table.cell(delivery.status_code),
        rx.table.cell(delivery.attempts),
        rx.table.cell(delivery.next_attempt),
        rx.table.cell(
            rx.button(
                "Re-send",
                size="1",
                variant="soft",
                on_click=S.resend(delivery.id),  # type: ignore[operator]
                disabled=delivery.id.startswith(PENDING_PREFIX),  # type: ignore[attr-defined]
                aria_label="Re-send this " + delivery.event,
            )
        ),
        data_testid="delivery-row",
    )


def _deliveries() -> rx.Component:
    return rx.vstack(
        rx.text("Last deliveries", size="2", weight="medium"),
        rx.cond(
            S.deliveries_error != "",
            rx.text(S.deliveries_error, size="1", color_scheme="red", role="alert"),
        ),
        rx.cond(
            S.deliveries.length() > 0,  # type: ignore[attr-defined]
            record_table(["Event", "Outcome", "Status", "Attempts", "Next attempt", ""], S.deliveries, _delivery_row),
            rx.cond(
                S.deliveries_loading,
                rx.spinner(size="2"),
                rx.text("No deliveries yet.", size="2", color_scheme="gray"),
            ),
        ),
        spacing="2",
        width="100%",
        data_testid="deliveries",
    )


def _webhook_row(webhook: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(webhook.url, size="2", weight="medium", word_break="break-all"),
                rx.text(webhook.events, size="1", color_scheme="gray"),
                rx.text("Created " + webhook.created, size="1", color_scheme="gray"),
                spacing="0",
                flex="1",
                min_width="0",
            ),
            rx.button(
                rx.cond(S.open_webhook == webhook.id, "Hide deliveries", "Deliveries"),
                size="1",
                variant="soft",
                on_click=S.show_deliveries(webhook.id),  # type: ignore[operator]
                aria_label="Deliveries of " + webhook.url,
            ),
            rx.button(
                "Delete",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=S.delete_webhook(webhook.id),  # type: ignore[operator]
                aria_label="Delete the webhook " + webhook.url,
            ),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.cond(S.open_webhook == webhook.id, _deliveries()),
        spacing="2",
        width="100%",
        data_testid="webhook-row",
    )


def webhooks_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Webhooks", size="3", weight="medium"),
        rx.text(
            "We POST each chosen event as JSON to your https URL, signed with the webhook's secret; a failed delivery "
            "is retried for about 40 hours (see /api/docs).",
            size="2",
            color_scheme="gray",
        ),
        form(
            rx.vstack(
                field(
                    "Webhook URL",
                    text_input(
                        "webhook_url",
                        value=S.webhook_url,
                        on_change=S.set_webhook_url,
                        placeholder="https://example.com/hooks/taskmanager",
                        input_type="url",
                    ),
                    control_id="webhook_url",
                    error=S.url_error,
                ),
                rx.el.fieldset(
                    rx.el.legend("Events", font_size="var(--font-size-2)", font_weight="500"),
                    rx.hstack(*[_event_box(e) for e in WEBHOOK_EVENTS], spacing="3", wrap="wrap"),
                    rx.cond(S.events_error != "", rx.text(S.events_error, size="1", color_scheme="red", role="alert")),
                    border="none",
                    padding="0",
                    margin="0",
                ),
                submit_button("Add webhook", S.adding, wide=False),
                spacing="2",
                width="100%",
            ),
            on_submit=S.create_webhook,
        ),
        rx.cond(S.new_secret != "", _new_secret()),
        rx.cond(S.webhook_error != "", rx.text(S.webhook_error, size="1", color_scheme="red", role="alert")),
        rx.cond(
            S.webhooks.length() > 0,  # type: ignore[attr-defined]
            rx.vstack(rx.foreach(S.webhooks, _webhook_row), spacing="3", width="100%"),
            rx.text("No webhooks yet.", size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
        on_mount=S.load_webhooks,
    )
