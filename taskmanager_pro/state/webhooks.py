"""Settings → Developer → Webhooks (issue 16): subscribe a URL to events, see its last deliveries, re-send one."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import reflex as rx

from backend.client import WEBHOOK_EVENTS, ApiError
from backend.client.api import DeliveryPublic, WebhookPublic
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call

PENDING_PREFIX = "pending-"  # a re-send shown before the API answered


@dataclasses.dataclass(frozen=True)
class WebhookRow:
    id: str
    url: str
    events: str
    created: str


@dataclasses.dataclass(frozen=True)
class DeliveryRow:
    id: str
    event: str
    outcome: str
    status_code: str
    attempts: int
    next_attempt: str
    error: str
    resent: bool  # a re-send of an earlier delivery


def _when(at: datetime | None, none: str = "—") -> str:
    return f"{at:%Y-%m-%d %H:%M} UTC" if at else none


def webhook_row(webhook: WebhookPublic) -> WebhookRow:
    return WebhookRow(
        id=webhook.id, url=webhook.url, events=", ".join(webhook.events), created=f"{webhook.created_at:%Y-%m-%d}"
    )


def delivery_row(delivery: DeliveryPublic) -> DeliveryRow:
    return DeliveryRow(
        id=delivery.id,
        event=delivery.event_type,
        outcome=delivery.outcome,
        status_code=str(delivery.status_code) if delivery.status_code is not None else "no answer",
        attempts=delivery.attempts,
        next_attempt=_when(delivery.next_attempt_at),
        error=delivery.error,
        resent=delivery.redelivery_of is not None,
    )


def sending_row(original: DeliveryRow) -> DeliveryRow:
    """What a re-send looks like until the API answers (the instant step)."""
    return DeliveryRow(
        id=PENDING_PREFIX + original.id,
        event=original.event,
        outcome="sending",
        status_code="—",
        attempts=0,
        next_attempt="now",
        error="",
        resent=True,
    )


def toggled(chosen: list[str], event: str) -> list[str]:
    """The chosen events with ``event`` switched, in the API's order (an unknown name changes nothing)."""
    if event not in WEBHOOK_EVENTS:
        return chosen
    picked = set(chosen) ^ {event}
    return [e for e in WEBHOOK_EVENTS if e in picked]


def form_errors(error: ApiError) -> tuple[str, str, str]:
    """(url, events, general): each problem beside its input; what names neither goes under the form."""
    url = error.fields.get("url", "")
    events = next((text for name, text in error.fields.items() if name.startswith("events")), "")
    return url, events, "" if url or events else error.message


class WebhooksState(AppState):
    webhooks: list[WebhookRow] = []
    webhook_url: str = ""
    webhook_events: list[str] = []
    new_secret: str = ""  # shown once, right after the webhook was made
    url_error: str = ""
    events_error: str = ""
    webhook_error: str = ""
    adding: bool = False
    open_webhook: str = ""  # whose deliveries are shown
    deliveries: list[DeliveryRow] = []
    deliveries_loading: bool = False
    deliveries_error: str = ""

    @rx.event
    def set_webhook_url(self, value: str) -> None:
        self.webhook_url, self.url_error = value, ""

    @rx.event
    def toggle_event(self, event: str) -> None:
        self.webhook_events, self.events_error = toggled(self.webhook_events, event), ""

    @rx.event
    @signed_in
    async def load_webhooks(self) -> AsyncGenerator[Any, None]:
        try:
            found = await call(self._api().list_webhooks)
        except ApiError as error:
            self.webhook_error = error.message
            return
        self.webhook_error, self.webhooks = "", [webhook_row(w) for w in found]
        yield

    @rx.event
    @signed_in
    async def create_webhook(self, _: dict[str, Any] | None = None) -> AsyncGenerator[Any, None]:
        url = self.webhook_url.strip()
        self.url_error = "" if url else "Enter the https URL that should receive the events."
        self.events_error = "" if self.webhook_events else "Choose at least one event."
        if self.url_error or self.events_error:
            return
        self.adding, self.webhook_error, self.new_secret = True, "", ""
        yield
        try:
            made = await call(self._api().create_webhook, url, list(self.webhook_events))
        except ApiError as error:
            self.url_error, self.events_error, self.webhook_error = form_errors(error)
            self.adding = False
            return
        row = WebhookRow(id=made.id, url=url, events=", ".join(self.webhook_events), created="today")
        self.adding, self.new_secret, self.webhook_url, self.webhook_events = False, made.secret, "", []
        self.webhooks = [*self.webhooks, row]  # the API lists oldest first

    @rx.event
    def dismiss_new_secret(self) -> None:
        self.new_secret = ""

    @rx.event
    @signed_in
    async def delete_webhook(self, webhook_id: str) -> AsyncGenerator[Any, None]:
        before, was_open = list(self.webhooks), self.open_webhook
        self.webhooks = [w for w in self.webhooks if w.id != webhook_id]  # the row goes first
        if self.open_webhook == webhook_id:
            self.open_webhook = ""
        yield
        try:
            await call(self._api().delete_webhook, webhook_id)
        except ApiError as error:
            if error.status != 404:  # already gone is what we wanted
                self.webhooks, self.open_webhook = before, was_open
                self.webhook_error = f"The webhook could not be deleted: {error.message}"

    @rx.event
    @signed_in
    async def show_deliveries(self, webhook_id: str) -> AsyncGenerator[Any, None]:
        if self.open_webhook == webhook_id:  # the same button closes them
            self.open_webhook = ""
            return
        self.open_webhook, self.deliveries, self.deliveries_error, self.deliveries_loading = webhook_id, [], "", True
        yield
        try:
            found = await call(self._api().list_deliveries, webhook_id)
        except ApiError as error:
            self.deliveries_error = error.message
        else:
            if self.open_webhook == webhook_id:
                self.deliveries = [delivery_row(d) for d in found]
        self.deliveries_loading = False

    @rx.event
    @signed_in
    async def resend(self, delivery_id: str) -> AsyncGenerator[Any, None]:
        webhook_id = self.open_webhook
        original = next((d for d in self.deliveries if d.id == delivery_id), None)
        if not webhook_id or original is None:
            return
        placeholder = sending_row(original)
        self.deliveries, self.deliveries_error = [placeholder, *self.deliveries], ""  # newest first, at once
        yield
        try:
            again = await call(self._api().redeliver, webhook_id, delivery_id)
        except ApiError as error:
            self.deliveries = [d for d in self.deliveries if d.id != placeholder.id]
            self.deliveries_error = f"Could not re-send: {error.message}"
            return
        self.deliveries = [delivery_row(again) if d.id == placeholder.id else d for d in self.deliveries]
