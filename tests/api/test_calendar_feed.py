"""The calendar feed over HTTP (issue 14): a secret URL without Authorization, iCalendar per the icalendar parser,
rotation and revocation (the old URL answers 404), a made-up token 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import icalendar
import pytest

from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser


def feed_path(url: str) -> str:
    """The URL's path and query relative to the API base the test client uses (``…/api/feeds/…`` → ``/feeds/…``)."""
    parts = urlsplit(url)
    return parts.path[parts.path.index("/feeds/") :] + "?" + parts.query


def new_feed(http: httpx.Client, user: SignedInUser) -> str:
    response = http.post("/me/calendar-feed", headers=user.headers)
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    assert "token=" in url
    return feed_path(url)


def post(http: httpx.Client, user: SignedInUser, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, headers=user.headers, json=body)
    assert response.status_code in {200, 201}, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture(scope="module")
def owner(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> SignedInUser:
    user = make_user()
    assert http.patch("/me", headers=user.headers, json={"timezone": "Europe/Berlin"}).status_code == 200
    return user


def events_of(body: bytes) -> dict[str, icalendar.cal.Component]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_icalendar_with_the_dated_tasks(http: httpx.Client, owner: SignedInUser) -> None:
    day = date.today() + timedelta(days=3)
    timed = post(http, owner, "/tasks", {"title": "Dentist", "due_date": day.isoformat(), "due_time": "09:30"})
    post(http, owner, "/tasks", {"title": "Pay rent", "due_date": day.isoformat(), "notes": "by transfer"})
    post(http, owner, "/tasks", {"title": "Standup", "due_date": day.isoformat(), "recurrence": "FREQ=WEEKLY;BYDAY=MO"})
    post(http, owner, "/tasks", {"title": "Someday"})
    done = post(http, owner, "/tasks", {"title": "Filed taxes", "due_date": day.isoformat()})
    assert http.post(f"/tasks/{done['id']}/complete", headers=owner.headers).status_code == 200
    path = new_feed(http, owner)

    response = http.get(path)  # no Authorization header
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert "max-age=300" in response.headers["cache-control"]
    events = events_of(response.content)
    assert set(events) == {"Dentist", "Pay rent", "Standup", "\u2713 Filed taxes"}
    dentist = events["Dentist"]
    start = dentist.decoded("dtstart")
    assert isinstance(start, datetime)
    assert (start.date(), start.time(), str(start.tzinfo)) == (day, time(9, 30), "Europe/Berlin")
    assert str(dentist["uid"]) == f"{timed['id']}@taskmanager-pro"
    assert dentist["dtstart"].params["TZID"] == "Europe/Berlin"
    assert icalendar.Calendar.from_ical(response.content).walk("VTIMEZONE")  # the TZID is defined in the document
    rent = events["Pay rent"]
    assert rent.decoded("dtstart") == day
    assert not isinstance(rent.decoded("dtstart"), datetime)
    assert rent.decoded("dtend") == day + timedelta(days=1)
    assert "by transfer" in str(rent["description"])
    assert events["Standup"]["rrule"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"

    # stable UIDs: the same task, the same event on the next poll
    again = events_of(http.get(path).content)
    assert {str(e["uid"]) for e in again.values()} == {str(e["uid"]) for e in events.values()}


def test_a_new_url_and_delete_make_the_old_one_404(http: httpx.Client, owner: SignedInUser) -> None:
    first = new_feed(http, owner)
    assert http.get(first).status_code == 200
    second = new_feed(http, owner)
    assert_error_shape(http.get(first), 404, "not_found")
    assert http.get(second).status_code == 200
    assert http.delete("/me/calendar-feed", headers=owner.headers).status_code == 204
    assert_error_shape(http.get(second), 404, "not_found")
    assert http.delete("/me/calendar-feed", headers=owner.headers).status_code == 204  # idempotent


def test_made_up_tokens_and_foreign_projects_are_not_found(
    http: httpx.Client, owner: SignedInUser, make_user: Callable[[], SignedInUser]
) -> None:
    assert_error_shape(http.get("/feeds/calendar.ics", params={"token": "x" * 43}), 404, "not_found")
    assert_error_shape(http.get("/feeds/calendar.ics"), 422)
    stranger = make_user()
    theirs = post(http, stranger, "/projects", {"name": "Secret"})
    path = new_feed(http, owner)
    response = http.get(path + "&project_id=" + theirs["id"])
    assert_error_shape(response, 404, "not_found")
    mine = post(http, owner, "/projects", {"name": "Garden"})
    post(http, owner, "/tasks", {"title": "Prune", "project_id": mine["id"], "due_date": date.today().isoformat()})
    only = events_of(http.get(path + "&project_id=" + mine["id"]).content)
    assert set(only) == {"Prune"}
    assert "Garden" in str(only["Prune"]["description"])


def test_the_feed_needs_a_signed_in_caller_to_be_made(http: httpx.Client) -> None:
    assert_error_shape(http.post("/me/calendar-feed"), 401)
    assert_error_shape(http.delete("/me/calendar-feed"), 401)
