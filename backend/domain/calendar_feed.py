"""The calendar feed (issue 14): a user's dated tasks as one iCalendar document, and its secret token. Pure.

Google Calendar, Apple Calendar and Outlook subscribe to a URL and poll it every few hours; the document is built
from the data at each request (nothing cached server-side), so it is always what the lists show.

- A timed task is a 30-minute event at its local due time, in the profile's time zone (``TZID`` + ``VTIMEZONE``);
  a task has no duration, and a zero-length event is drawn as a sliver or not at all by some clients.
- A date-only task is an all-day event (``DTSTART;VALUE=DATE``, ``DTEND`` the next day).
- A recurring task is one event at its current (next open) occurrence with the series' ``RRULE``: the calendar
  app shows the future occurrences; past ones are in the task's history, not in the feed.
- A completed task (done within ``COMPLETED_WINDOW``) stays on its day, its title starting with a check mark.
- ``UID`` is the task's id (``<id>@taskmanager-pro``): stable across edits and moves, so a client updates the event.

The token is random (``secrets.token_urlsafe``); only its SHA-256 is stored, so a leak of the table does not leak
working feed URLs. SHA-256 without salt is enough for 256 bits of randomness (nothing to guess or precompute).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from backend.domain.rate_limits import Rule
from backend.domain.tasks import Status, Task
from backend.names import APP_DISPLAY_NAME

TOKEN_BYTES = 32
COMPLETED_WINDOW = timedelta(days=30)  # completed tasks older than this leave the feed
TIMED_EVENT_LENGTH = timedelta(minutes=30)
MAX_AGE_SECONDS = 300  # Cache-Control of the feed: clients and CloudFront may reuse it this long
UID_DOMAIN = "taskmanager-pro"
DONE_MARK = "\u2713 "


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def in_feed(task: Task, *, now: datetime) -> bool:
    """Dated, and open or completed within the window."""
    if task.due_date is None:
        return False
    if task.status is Status.DONE:
        return task.completed_at is not None and now - task.completed_at <= COMPLETED_WINDOW
    return True


def _event(task: Task, *, tz: ZoneInfo, now: datetime, project_name: str | None) -> Event:
    assert task.due_date is not None
    event = Event()
    event.add("uid", f"{task.id}@{UID_DOMAIN}")
    event.add("dtstamp", now.astimezone(UTC))
    event.add("last-modified", task.updated_at.astimezone(UTC))
    done = task.status is Status.DONE
    event.add("summary", (DONE_MARK if done else "") + task.title)
    description = "\n\n".join(part for part in (task.notes, f"Project: {project_name}" if project_name else "") if part)
    if description:
        event.add("description", description)
    if task.due_time is not None:
        start = datetime.combine(task.due_date, task.due_time, tzinfo=tz)
        event.add("dtstart", start)
        event.add("dtend", start + TIMED_EVENT_LENGTH)
    else:
        event.add("dtstart", task.due_date)
        event.add("dtend", task.due_date + timedelta(days=1))
    if task.recurrence and not done:
        event.add("rrule", vRecur.from_ical(task.recurrence.removeprefix("RRULE:")))
    if task.priority == 1:
        event.add("priority", 1)  # RFC 5545: 1 highest .. 9 lowest; only "urgent" is worth a client's flag
    event.add("transp", "TRANSPARENT")  # a task does not make the user busy
    return event


def build(
    tasks: Iterable[Task],
    *,
    timezone: str | None,
    now: datetime,
    project_names: Mapping[str, str],
    name: str = APP_DISPLAY_NAME,
) -> bytes:
    """The iCalendar document of ``tasks`` (those ``in_feed``), in ``timezone`` (UTC when the profile has none)."""
    tz = ZoneInfo(timezone or "UTC")
    calendar = Calendar()
    calendar.add("prodid", f"-//{UID_DOMAIN}//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", tz.key)
    calendar.add("x-published-ttl", "PT1H")  # a hint to poll hourly (Outlook, Apple); Google polls on its own
    for task in tasks:
        if in_feed(task, now=now):
            calendar.add_component(_event(task, tz=tz, now=now, project_name=project_names.get(task.project_id)))
    calendar.add_missing_timezones()  # one VTIMEZONE per TZID used (none for UTC or all-day only)
    return bytes(calendar.to_ical())


def local_day(now: datetime, timezone: str | None) -> date:
    return now.astimezone(ZoneInfo(timezone or "UTC")).date()


# A calendar app polls every few hours; a person pressing "refresh" a few times more. Past this the URL is being
# hammered (a leaked URL in a loop): refuse cheaply before reading the tasks.
FEED_READS = (Rule(30, timedelta(hours=1)), Rule(200, timedelta(days=1)))
