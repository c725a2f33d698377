"""Every EventBridge Scheduler name, expression and payload of the reminders feature, in one place. Pure.

All schedules live in one group (``ResourceNames.schedule_group``) and target one Lambda
(``backend.handlers.reminders.handler``); the payload's ``kind`` says what to do:
- ``reminder``  one-time ``at(...)`` schedule per pending reminder of a task   ``r-<task>-<reminder>``
                 a snoozed notification, again later                          ``z-<notification>``
                 a delivery moved to the end of quiet hours                    ``q-<name it replaces>``
- ``digest``     one recurring ``cron(...)`` schedule per user (local time)    ``d-<user>``
- ``mention``    the email of one @mention (at once, or after quiet hours)    ``m-<comment ulid>-<hash of user>``
Names are deterministic, so a retried create/update never makes a second schedule. One-time schedules are
written in UTC (``ScheduleExpressionTimezone`` "UTC"): a local wall time in the repeated hour of a DST change
would be ambiguous. The digest's cron runs in the user's zone, so 08:00 stays 08:00 across DST.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, time
from typing import Any, Literal

Kind = Literal["reminder", "digest", "weekly", "mention"]
MAX_NAME = 64

_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
_DAILY = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$")


def reminder_prefix(task_id: str) -> str:
    return f"r-{task_id}-"


def reminder_name(task_id: str, reminder_id: str) -> str:
    return f"{reminder_prefix(task_id)}{reminder_id}"


def recipient_tag(user_id: str) -> str:
    """8 hex naming a member in a shared task's schedule names (a whole sub would not fit 64 characters)."""
    return hashlib.sha256(user_id.encode()).hexdigest()[:8]


def shared_reminder_name(task_id: str, recipient: str, reminder_id: str) -> str:
    """A shared task's reminder for one member: every member's reminders of the task share its prefix."""
    return f"{reminder_prefix(task_id)}{recipient_tag(recipient)}-{reminder_id}"


def snooze_name(notification_id: str) -> str:
    return f"z-{notification_id}"


def quiet_name(name: str) -> str:
    return name if name.startswith("q-") else f"q-{name}"[:MAX_NAME]


def digest_name(user_id: str) -> str:
    return f"d-{user_id}"[:MAX_NAME]


# The weekly summary (issue 8) goes out on Monday morning, local time. Its schedule is a daily cron like the
# digest's (one expression shape for AWS and the local poller); the handler sends on Mondays only.
WEEKLY_SUMMARY_AT = time(8, 0)
WEEKLY_SUMMARY_WEEKDAY = 0  # Monday


def weekly_name(user_id: str) -> str:
    return f"w-{user_id}"[:MAX_NAME]


def at_expression(instant: datetime) -> str:
    return f"at({instant.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"


def parse_at(expression: str) -> datetime | None:
    """The UTC instant of an ``at(...)`` expression written by ``at_expression`` (UTC zone)."""
    match = _AT.match(expression)
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match else None


def daily_cron(at: time) -> str:
    return f"cron({at.minute} {at.hour} * * ? *)"


def parse_daily_cron(expression: str) -> time | None:
    match = _DAILY.match(expression)
    return time(int(match.group(2)), int(match.group(1))) if match else None


def occurrence_key(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def notification_id(origin: str, fire_at: datetime) -> str:
    """The id of the inbox row (and the idempotency key) of one delivery: time-sortable, deterministic."""
    digest = hashlib.sha256(f"{origin}|{occurrence_key(fire_at)}".encode()).hexdigest()[:12]
    return f"{occurrence_key(fire_at)}-{digest}"


def reminder_payload(
    *,
    user_id: str,
    task_id: str,
    reminder_id: str,
    fire_at: datetime,
    due_key: str,
    origin: str,
    snoozed_from: str | None = None,
    partition: str | None = None,
) -> dict[str, Any]:
    """``origin``: the schedule name of the reminder this delivery belongs to (quiet-hours moves keep it).
    ``user_id``: who is reminded; ``partition``: where the task lives when that is not their own partition (a
    shared project's ``P#<p>``)."""
    payload: dict[str, Any] = {
        "kind": "reminder",
        "user_id": user_id,
        "task_id": task_id,
        "reminder_id": reminder_id,
        "fire_at": fire_at.astimezone(UTC).isoformat(),
        "due_key": due_key,
        "origin": origin,
    }
    if snoozed_from:
        payload["snoozed_from"] = snoozed_from
    if partition:
        payload["partition"] = partition
    return payload


def digest_payload(*, user_id: str) -> dict[str, Any]:
    return {"kind": "digest", "user_id": user_id}


def weekly_payload(*, user_id: str) -> dict[str, Any]:
    return {"kind": "weekly", "user_id": user_id}


def mention_name(comment_ulid: str, user_id: str) -> str:
    """The email schedule of one mention: per comment and member (a sub is too long to fit whole)."""
    return f"m-{comment_ulid}-{hashlib.sha256(user_id.encode()).hexdigest()[:12]}"


def mention_payload(*, user_id: str, notification_id: str) -> dict[str, Any]:
    """The inbox row holds what the email says: the Lambda reads it, so a payload carries no comment text."""
    return {"kind": "mention", "user_id": user_id, "notification_id": notification_id}
