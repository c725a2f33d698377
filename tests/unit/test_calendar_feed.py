"""The calendar feed's document (pure): which tasks, how they are dated, the token hash."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import icalendar

from backend.domain import calendar_feed
from backend.domain.tasks import Status, Task

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def task(task_id: str, **fields: object) -> Task:
    return Task(id=task_id, user_id="u", project_id="inbox", title=task_id, created_at=NOW, updated_at=NOW, **fields)  # type: ignore[arg-type]


def events(document: bytes) -> dict[str, icalendar.cal.Component]:
    return {str(e["uid"]).split("@")[0]: e for e in icalendar.Calendar.from_ical(document).walk("VEVENT")}


def test_only_dated_open_and_recently_done_tasks_are_in_the_feed() -> None:
    tasks = [
        task("open", due_date=date(2026, 3, 21)),
        task("undated"),
        task("done-recently", due_date=date(2026, 3, 1), status=Status.DONE, completed_at=NOW - timedelta(days=2)),
        task("done-long-ago", due_date=date(2026, 1, 1), status=Status.DONE, completed_at=NOW - timedelta(days=60)),
    ]
    found = events(calendar_feed.build(tasks, timezone=None, now=NOW, project_names={}))
    assert set(found) == {"open", "done-recently"}
    assert str(found["done-recently"]["summary"]).startswith("\u2713 ")


def test_a_timed_task_keeps_its_wall_time_across_the_dst_change() -> None:
    # 29 March 2026: Europe/Berlin moves from UTC+1 to UTC+2; the event stays at 09:00 local
    tasks = [
        task("before", due_date=date(2026, 3, 28), due_time=time(9)),
        task("after", due_date=date(2026, 3, 30), due_time=time(9)),
    ]
    document = calendar_feed.build(tasks, timezone="Europe/Berlin", now=NOW, project_names={})
    found = events(document)
    starts = {uid: e.decoded("dtstart") for uid, e in found.items()}
    assert starts["before"].astimezone(UTC).hour == 8
    assert starts["after"].astimezone(UTC).hour == 7
    assert found["after"].decoded("dtend") - starts["after"] == calendar_feed.TIMED_EVENT_LENGTH
    assert b"BEGIN:VTIMEZONE" in document
    assert b"TZID:Europe/Berlin" in document


def test_without_a_time_zone_times_are_utc_and_a_series_keeps_its_rule() -> None:
    tasks = [task("series", due_date=date(2026, 3, 23), due_time=time(7, 15), recurrence="RRULE:FREQ=DAILY;INTERVAL=2")]
    document = calendar_feed.build(tasks, timezone=None, now=NOW, project_names={})
    event = events(document)["series"]
    assert event.decoded("dtstart") == datetime(2026, 3, 23, 7, 15, tzinfo=UTC)
    assert event["rrule"].to_ical() == b"FREQ=DAILY;INTERVAL=2"


def test_the_stored_hash_is_not_the_token() -> None:
    token = calendar_feed.new_token()
    assert len(token) >= 43
    assert calendar_feed.token_hash(token) != token
    assert calendar_feed.token_hash(token) == calendar_feed.token_hash(token)
    assert calendar_feed.new_token() != token
