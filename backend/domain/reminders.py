"""Reminder timing: when a reminder of a task fires, and when it may be delivered (quiet hours). Pure.

Due dates are floating local dates/times (see ``backend.domain.tasks``); a reminder becomes an instant only
with the user's time zone:
- ``at``: an absolute instant, fixed (it does not follow the occurrences of a recurring task);
- ``minutes_before``: that many real minutes before the due instant (a timed task only);
- ``days_before`` + ``time``: that local wall time, ``days_before`` calendar days before the due date
  ("1 day before at 9:00"); works for date-only tasks too, and stays at 9:00 across DST changes.
Relative reminders follow the task: a recurring task's next occurrence moves them along.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.domain import dates
from backend.domain.notifications import one_line
from backend.domain.recurrence import to_instant

MAX_REMINDERS_PER_TASK = 5
SNOOZE_CHOICES = ("10m", "1h", "tomorrow")
MORNING = time(9, 0)  # "tomorrow" snoozes and digests default to the morning


@dataclass(frozen=True)
class Reminder:
    """One reminder of a task: exactly one of ``at`` / ``minutes_before`` / (``days_before`` + ``time``)."""

    id: str
    at: datetime | None = None  # aware
    minutes_before: int | None = None
    days_before: int | None = None
    time: time | None = None

    @property
    def is_relative(self) -> bool:
        return self.at is None


@dataclass(frozen=True)
class QuietHours:
    """A daily local window without email/SMS; ``start > end`` wraps midnight (22:00-07:00)."""

    start: time
    end: time

    def contains(self, local: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def reminder_id(*parts: str) -> str:
    """A short stable id for a reminder (from what it is, so re-saving the same list keeps the ids)."""
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:8]


def due_instant(due_date: date, due_time: time, tz: ZoneInfo) -> datetime:
    return to_instant(datetime.combine(due_date, due_time), tz)


def reminder_instant(
    reminder: Reminder, *, due_date: date | None, due_time: time | None, tz: ZoneInfo
) -> datetime | None:
    """When ``reminder`` fires for a task due then, as an aware UTC datetime; None when it cannot (no due, or a due
    outside the app's calendar)."""
    if reminder.at is not None:
        return reminder.at.astimezone(UTC) if dates.in_range(reminder.at) else None
    if due_date is None or not dates.in_range(due_date):
        return None  # a date stored before dates were checked (the year 1) has no reminder instant
    if reminder.minutes_before is not None:
        if due_time is None:
            return None
        # In UTC: arithmetic on an aware datetime in its own zone would count wall-clock minutes, not real ones.
        return due_instant(due_date, due_time, tz).astimezone(UTC) - timedelta(minutes=reminder.minutes_before)
    if reminder.days_before is not None and reminder.time is not None:
        day = due_date - timedelta(days=reminder.days_before)
        return to_instant(datetime.combine(day, reminder.time), tz).astimezone(UTC)
    return None


def describe(reminder: Reminder, tz: ZoneInfo) -> str:
    """Short human text: "30 min before", "1 day before at 09:00", "on 2026-12-24 09:00"."""
    if reminder.at is not None:
        return f"on {reminder.at.astimezone(tz):%Y-%m-%d %H:%M}"
    if reminder.minutes_before is not None:
        minutes = reminder.minutes_before
        if minutes == 0:
            return "at the due time"
        if minutes % (24 * 60) == 0:
            days = minutes // (24 * 60)
            return f"{days} day{'s' if days > 1 else ''} before"
        if minutes % 60 == 0:
            hours = minutes // 60
            return f"{hours} hour{'s' if hours > 1 else ''} before"
        return f"{minutes} min before"
    when = f"{reminder.time:%H:%M}" if reminder.time else ""
    if reminder.days_before == 0:
        return f"on the day at {when}"
    days = reminder.days_before or 0
    return f"{days} day{'s' if days > 1 else ''} before at {when}"


def deliver_at(instant: datetime, *, tz: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """When a message due at ``instant`` may go out: at once, or at the end of the quiet period it falls in."""
    if quiet is None:
        return instant
    local = instant.astimezone(tz)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return instant
    end_day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        end_day += timedelta(days=1)  # 23:00 in 22:00-07:00: tomorrow 07:00
    end = to_instant(datetime.combine(end_day, quiet.end), tz).astimezone(UTC)
    return max(end, instant)


def snooze_until(choice: str, *, now: datetime, tz: ZoneInfo) -> datetime:
    """``10m`` / ``1h`` from now, or ``tomorrow`` at 9:00 local."""
    if choice == "10m":
        return (now + timedelta(minutes=10)).astimezone(UTC)
    if choice == "1h":
        return (now + timedelta(hours=1)).astimezone(UTC)
    if choice == "tomorrow":
        tomorrow = now.astimezone(tz).date() + timedelta(days=1)
        return to_instant(datetime.combine(tomorrow, MORNING), tz).astimezone(UTC)
    raise ValueError(f"unknown snooze {choice!r}")


def sms_text(title: str, when: str, link: str | None = None) -> str:
    """An SMS of at most 160 characters: the title is shortened, never the time."""
    title = one_line(title)  # one SMS line, whatever the stored title holds
    tail = f" ({when})"
    if link and len(link) <= 60:
        tail += f" {link}"
    prefix = "Reminder: "
    room = 160 - len(prefix) - len(tail)
    short = title if len(title) <= room else title[: max(room - 1, 0)].rstrip() + "…"
    return f"{prefix}{short}{tail}"[:160]
