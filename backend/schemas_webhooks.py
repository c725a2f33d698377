"""API shapes of webhooks and their deliveries (issue 16), in the style of ``backend.schemas``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from backend.domain.webhooks import EVENT_TYPES, MAX_URL_CHARS, MAX_WEBHOOKS_PER_USER, EventType
from backend.schemas import StrictModel

SIGNING = (
    'Each delivery is a JSON POST `{"id", "type", "created_at", "data"}` with the headers '
    "`X-TaskManager-Event` (the type), `X-TaskManager-Event-Id` (the same on every attempt and re-send: drop "
    "duplicates by it), `X-TaskManager-Delivery` and `X-TaskManager-Signature: sha256=<hex HMAC-SHA256 of the raw "
    "body, keyed with the webhook's secret>`; compare it in constant time before trusting the body. Answer 2xx within "
    "10 s; anything else is retried after 30 s, 1, 2, 5, 15, 30 min, 1, 2, 4, 8, 12 and 12 h (~40 h), then the "
    "delivery is dead-lettered (visible in its deliveries, and it can be re-sent)."
)


class WebhookCreate(StrictModel):
    url: Annotated[str, StringConstraints(min_length=1, max_length=MAX_URL_CHARS, strip_whitespace=True)] = Field(
        description="a public https URL (no private, loopback or link-local address)"
    )
    events: list[EventType] = Field(
        min_length=1, max_length=len(EVENT_TYPES), description="the events to send: " + ", ".join(EVENT_TYPES)
    )


class WebhookCreated(BaseModel):
    id: str
    secret: str = Field(description="signs every delivery; shown this once, keep it. " + SIGNING)


class WebhookPublic(BaseModel):
    id: str
    url: str
    events: list[EventType]
    created_at: datetime


class WebhookList(BaseModel):
    items: list[WebhookPublic] = Field(description=f"at most {MAX_WEBHOOKS_PER_USER}")


class DeliveryPublic(BaseModel):
    id: str
    event_id: str = Field(description="the event's id: the same on every attempt and re-send")
    event_type: EventType
    outcome: Literal["pending", "succeeded", "failed", "dead"] = Field(
        description="pending: an attempt is due at `next_attempt_at`; dead: gave up after the retries"
    )
    attempts: int
    status_code: int | None = Field(description="the receiver's last answer; null: none (timeout, refused...)")
    error: str
    created_at: datetime
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None
    redelivery_of: str | None = Field(description="a re-send: the delivery it repeats")


class DeliveryList(BaseModel):
    items: list[DeliveryPublic] = Field(description="the last deliveries, newest first")
