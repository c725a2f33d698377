"""Inbox rows: one per delivered reminder occurrence (or digest, or @mention), with each channel's status. Pure."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

Channel = Literal["email", "sms", "in_app"]
DeliveryStatus = Literal["pending", "sent", "failed", "skipped"]
RowStatus = Literal["pending", "sent", "partial", "failed", "skipped"]
KEEP_DAYS = 90  # rows expire (TTL) after this long


@dataclass(frozen=True)
class Delivery:
    status: DeliveryStatus
    detail: str = ""  # why it failed or was skipped
    attempts: int = 0


@dataclass(frozen=True)
class Notification:
    id: str  # deterministic per occurrence: also the idempotency key (see domain/schedules.py)
    user_id: str
    kind: Literal["reminder", "digest", "weekly", "mention", "sharing", "invitation"]
    title: str
    body: str
    fire_at: datetime
    created_at: datetime
    task_id: str | None = None
    reminder_id: str | None = None
    origin: str = ""  # the schedule of the reminder this belongs to
    due_key: str | None = None
    deliveries: dict[str, Delivery] = field(default_factory=dict)
    read: bool = False
    snoozed_until: datetime | None = None

    @property
    def status(self) -> RowStatus:
        states = {d.status for d in self.deliveries.values()}
        if not states or "pending" in states:
            return "pending"
        if states == {"skipped"}:
            return "skipped"
        if "failed" in states:
            return "partial" if "sent" in states else "failed"
        return "sent"

    def with_delivery(self, channel: Channel, delivery: Delivery) -> Notification:
        return replace(self, deliveries={**self.deliveries, channel: delivery})


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    unsubscribe_url: str | None = None  # RFC 8058 one-click: the URL answers a POST
    reply_to: str | None = None  # a reminder's: answers (DONE, SNOOZE 1h) reach the inbound mail (issue 16)


def one_line(text: str) -> str:
    """``text`` fit for a message header or an SMS line: every run of control characters (CR, LF, NUL, ESC ...),
    line separators and whitespace becomes one space. A task title with a line break must not end the Subject
    header and push the rest of it, or a smuggled header, into the message."""
    spaced = "".join(" " if unicodedata.category(ch) in {"Cc", "Zl", "Zp"} else ch for ch in text)
    return " ".join(spaced.split())


class SendFailedError(Exception):
    """A message that could not be sent (after the retries, if the failure was transient)."""

    def __init__(self, detail: str, *, attempts: int, transient: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.attempts = attempts
        self.transient = transient
