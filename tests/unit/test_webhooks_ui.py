"""Settings -> Developer -> Webhooks, its pure rules: the rows shown for webhooks and deliveries, the placeholder of a
re-send, choosing events, and which API error goes beside which input."""

from __future__ import annotations

from datetime import UTC, datetime

from backend.client import WEBHOOK_EVENTS, ApiError
from backend.client.api import DeliveryPublic, WebhookPublic
from taskmanager_pro.state.webhooks import (
    PENDING_PREFIX,
    DeliveryRow,
    WebhookRow,
    delivery_row,
    form_errors,
    sending_row,
    toggled,
    webhook_row,
)

T0 = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def delivery(**changes: object) -> DeliveryPublic:
    fields: dict[str, object] = {
        "id": "D1",
        "event_id": "E1",
        "event_type": "task.completed",
        "outcome": "pending",
        "attempts": 2,
        "status_code": 503,
        "error": "HTTP 503",
        "created_at": T0,
        "last_attempt_at": T0,
        "next_attempt_at": datetime(2026, 12, 5, 9, 31, tzinfo=UTC),
        "redelivery_of": None,
    }
    return DeliveryPublic.model_validate({**fields, **changes})


def test_rows_say_what_happened_readably() -> None:
    hook = WebhookPublic(id="W1", url="https://x.example/h", events=["task.created", "task.deleted"], created_at=T0)
    assert webhook_row(hook) == WebhookRow("W1", "https://x.example/h", "task.created, task.deleted", "2026-12-05")
    assert delivery_row(delivery()) == DeliveryRow(
        "D1", "task.completed", "pending", "503", 2, "2026-12-05 09:31 UTC", "HTTP 503", resent=False
    )
    timed_out = delivery_row(delivery(outcome="dead", status_code=None, next_attempt_at=None, redelivery_of="D0"))
    assert (timed_out.status_code, timed_out.next_attempt, timed_out.resent) == ("no answer", "—", True)


def test_a_resend_shows_at_once_as_sending() -> None:
    original = delivery_row(delivery())
    shown = sending_row(original)
    assert shown.id == PENDING_PREFIX + original.id != original.id
    assert (shown.event, shown.outcome, shown.resent) == (original.event, "sending", True)


def test_events_toggle_in_the_apis_order_and_unknown_names_change_nothing() -> None:
    chosen = toggled(toggled([], "task.deleted"), "task.created")
    assert chosen == ["task.created", "task.deleted"]
    assert toggled(chosen, "task.created") == ["task.deleted"]
    assert toggled(chosen, "task.exploded") == chosen
    assert toggled([], WEBHOOK_EVENTS[-1]) == [WEBHOOK_EVENTS[-1]]


def test_an_api_error_goes_beside_the_input_it_names() -> None:
    private = ApiError(400, "validation_error", "Check the URL.", {"url": "must be a public https address"})
    assert form_errors(private) == ("must be a public https address", "", "")
    events = ApiError(422, "validation_error", "Invalid.", {"events.0": "not an event"})
    assert form_errors(events) == ("", "not an event", "")
    quota = ApiError(409, "quota_exceeded", "At most 10 webhooks.")
    assert form_errors(quota) == ("", "", "At most 10 webhooks.")
