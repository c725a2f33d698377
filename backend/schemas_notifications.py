"""API shapes of reminders and notifications (issue 5): JSON, snake_case, requests reject unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator

from backend.domain.reminders import MAX_REMINDERS_PER_TASK
from backend.schemas import CalendarInstant, ClockTime, PhoneNumber, Preferences, StrictModel


class ReminderIn(StrictModel):
    """Exactly one of: ``at`` (an instant with its offset), ``minutes_before`` (a task with a due time), or
    ``days_before`` with ``time`` (local "HH:MM", e.g. 1 day before at 09:00)."""

    at: CalendarInstant | None = None
    minutes_before: Annotated[int, Field(ge=0, le=7 * 24 * 60)] | None = None
    days_before: Annotated[int, Field(ge=0, le=30)] | None = None
    time: ClockTime | None = None

    @model_validator(mode="after")
    def one_kind(self) -> ReminderIn:
        kinds = [self.at is not None, self.minutes_before is not None, self.days_before is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of at, minutes_before, days_before")
        if (self.days_before is None) != (self.time is None):
            raise ValueError("days_before and time go together")
        return self


class RemindersPut(StrictModel):
    reminders: list[ReminderIn] = Field(max_length=MAX_REMINDERS_PER_TASK)


class ReminderPublic(BaseModel):
    id: str
    at: datetime | None
    minutes_before: int | None
    days_before: int | None
    time: str | None
    text: str  # "30 min before", "1 day before at 09:00"
    next_at: datetime | None  # when it fires next; null when past or the task is done
    is_default: bool  # the profile's default reminder (the task has no list of its own)


class ReminderList(BaseModel):
    task_id: str
    reminders: list[ReminderPublic]


class DeliveryPublic(BaseModel):
    channel: Literal["email", "sms", "in_app"]
    status: Literal["pending", "sent", "failed", "skipped"]
    detail: str
    attempts: int


class NotificationPublic(BaseModel):
    id: str
    kind: Literal["reminder", "digest", "weekly", "mention", "sharing", "invitation"]
    title: str
    body: str
    task_id: str | None
    fire_at: datetime
    created_at: datetime
    status: Literal["pending", "sent", "partial", "failed", "skipped"]
    deliveries: list[DeliveryPublic]
    read: bool
    snoozed_until: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None
    unread_count: int


class UnreadCount(BaseModel):
    unread_count: int


class ReadAllResult(BaseModel):
    marked: int
    unread_count: int


class SnoozeRequest(StrictModel):
    for_: Literal["10m", "1h", "tomorrow"] = Field(alias="for")


class PhoneCodeRequest(StrictModel):
    phone: PhoneNumber


class PhoneVerifyRequest(StrictModel):
    code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]


class PhoneCodeSent(BaseModel):
    phone: str
    expires_at: datetime


class LinkResult(BaseModel):
    status: Literal["unsubscribed", "completed", "already_done"]
    message: str


__all__ = [
    "DeliveryPublic",
    "LinkResult",
    "NotificationPage",
    "NotificationPublic",
    "PhoneCodeRequest",
    "PhoneCodeSent",
    "PhoneVerifyRequest",
    "Preferences",
    "ReadAllResult",
    "ReminderIn",
    "ReminderList",
    "ReminderPublic",
    "RemindersPut",
    "SnoozeRequest",
    "UnreadCount",
]
