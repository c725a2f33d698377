"""Reminders, the inbox, snoozes, SMS verification, preferences, the digest and the signed email links over HTTP.

Schedules fire through the local scheduler's test clock (``local.scheduler.fire_due(now + ...)``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import httpx
import pytest

from backend.client import ApiClient
from backend.local.environment import LOCAL_STAGE
from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.api.conftest import assert_error_shape, aws_client
from tests.conftest import SignedInUser

BERLIN = ZoneInfo("Europe/Berlin")
NOTIFICATIONS_TABLE = ResourceNames(LOCAL_STAGE).notifications_table


@pytest.fixture(scope="module")
def scheduler_api(local: LocalRun) -> Any:
    return aws_client(local, "scheduler")


@pytest.fixture
def berliner(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> SignedInUser:
    user = make_user()
    assert http.patch("/me", headers=user.headers, json={"timezone": "Europe/Berlin"}).status_code == 200
    return user


def tomorrow() -> str:
    return (datetime.now(BERLIN).date() + timedelta(days=1)).isoformat()


def new_task(http: httpx.Client, user: SignedInUser, **fields: Any) -> dict[str, Any]:
    body = {"title": "Water the plants", "due_date": tomorrow(), "due_time": "10:00", **fields}
    response = http.post("/tasks", headers=user.headers, json=body)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def put_reminders(http: httpx.Client, user: SignedInUser, task_id: str, *items: dict[str, Any]) -> httpx.Response:
    return http.put(f"/tasks/{task_id}/reminders", headers=user.headers, json={"reminders": list(items)})


def fire(local: LocalRun, at: datetime) -> list[Any]:
    assert local.scheduler is not None
    return local.scheduler.fire_due(at)


def emails_to(api_url: str, user: SignedInUser) -> list[Any]:
    """Reminder and digest emails to ``user`` (not the sign-up code)."""
    return [
        m
        for m in ApiClient(api_url).outbox()
        if user.email in m.to and (m.subject or "").startswith(("Reminder:", "Today:"))
    ]


def link(message: Any, kind: str) -> str:
    match = re.search(rf"/links/{kind}\?token=(\S+)", message.body)
    assert match, message.body
    return unquote(match.group(1))


def fire_reminder(http: httpx.Client, local: LocalRun, user: SignedInUser, task_id: str) -> None:
    listed = http.get(f"/tasks/{task_id}/reminders", headers=user.headers).json()["reminders"]
    next_at = min(datetime.fromisoformat(r["next_at"]) for r in listed if r["next_at"])
    fired = fire(local, next_at + timedelta(seconds=1))
    assert any(f.name.startswith(f"r-{task_id}-") for f in fired)


# --- reminders of a task ---------------------------------------------------------------------------
def test_put_and_get_reminders(http: httpx.Client, berliner: SignedInUser) -> None:
    task = new_task(http, berliner)
    response = put_reminders(http, berliner, task["id"], {"minutes_before": 30}, {"days_before": 1, "time": "18:00"})
    assert response.status_code == 200, response.text
    listed = http.get(f"/tasks/{task['id']}/reminders", headers=berliner.headers).json()
    assert listed == response.json()
    assert sorted(r["text"] for r in listed["reminders"]) == ["1 day before at 18:00", "30 min before"]
    thirty = next(r for r in listed["reminders"] if r["minutes_before"] == 30)
    assert datetime.fromisoformat(thirty["next_at"]).astimezone(BERLIN).strftime("%H:%M") == "09:30"
    assert not thirty["is_default"]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({}, "reminders.0"),
        ({"minutes_before": 5, "days_before": 1, "time": "09:00"}, "reminders.0"),
        ({"days_before": 1}, "reminders.0"),
        ({"minutes_before": -1}, "reminders.0.minutes_before"),
        ({"days_before": 1, "time": "25:00"}, "reminders.0.time"),
        ({"at": "2030-01-01T09:00:00"}, "reminders.0.at"),  # no offset: ambiguous
        ({"minutes_before": 5, "colour": "red"}, "reminders.0.colour"),
    ],
)
def test_bad_reminders_answer_422_naming_the_field(
    http: httpx.Client, berliner: SignedInUser, item: dict[str, Any], field: str
) -> None:
    task = new_task(http, berliner)
    error = assert_error_shape(put_reminders(http, berliner, task["id"], item), 422)
    assert any(name.startswith(field) for name in error["fields"]), error


def test_minutes_before_a_date_only_task_is_refused(http: httpx.Client, berliner: SignedInUser) -> None:
    task = new_task(http, berliner, due_time=None)
    error = assert_error_shape(put_reminders(http, berliner, task["id"], {"minutes_before": 5}), 400)
    assert error["fields"] == {"reminders.0": "the task has no due time"}


# --- delivery, inbox, read, snooze -------------------------------------------------------------------
def test_fired_reminder_is_in_the_inbox_and_can_be_read(
    http: httpx.Client, local: LocalRun, api_url: str, berliner: SignedInUser
) -> None:
    task = new_task(http, berliner, title="Renew the passport")
    put_reminders(http, berliner, task["id"], {"minutes_before": 60})
    fire_reminder(http, local, berliner, task["id"])
    page = http.get("/notifications", headers=berliner.headers).json()
    assert page["unread_count"] == 1
    [item] = page["items"]
    assert item["title"] == "Renew the passport"
    assert item["status"] == "sent"
    assert {d["channel"]: d["status"] for d in item["deliveries"]} == {
        "email": "sent",
        "in_app": "sent",
        "sms": "skipped",
    }
    assert len(emails_to(api_url, berliner)) == 1
    read = http.post(f"/notifications/{item['id']}/read", headers=berliner.headers)
    assert read.status_code == 200, read.text
    assert read.json()["read"] is True
    assert http.get("/notifications/unread-count", headers=berliner.headers).json() == {"unread_count": 0}


def test_read_all_and_paging(http: httpx.Client, local: LocalRun, berliner: SignedInUser) -> None:
    for title in ("One", "Two", "Three"):
        task = new_task(http, berliner, title=title)
        put_reminders(http, berliner, task["id"], {"minutes_before": 15})
        fire_reminder(http, local, berliner, task["id"])
    first = http.get("/notifications?limit=2", headers=berliner.headers).json()
    assert len(first["items"]) == 2
    assert first["unread_count"] == 3
    rest = http.get(f"/notifications?limit=2&cursor={first['next_cursor']}", headers=berliner.headers).json()
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    ids = [i["id"] for i in first["items"] + rest["items"]]
    assert len(set(ids)) == 3
    done = http.post("/notifications/read-all", headers=berliner.headers).json()
    assert done == {"marked": 3, "unread_count": 0}


def test_snooze_reminds_again_later(
    http: httpx.Client, local: LocalRun, api_url: str, berliner: SignedInUser, scheduler_api: Any
) -> None:
    task = new_task(http, berliner, title="Take the cake out")
    put_reminders(http, berliner, task["id"], {"minutes_before": 10})
    fire_reminder(http, local, berliner, task["id"])
    [item] = http.get("/notifications", headers=berliner.headers).json()["items"]
    snoozed = http.post(f"/notifications/{item['id']}/snooze", headers=berliner.headers, json={"for": "1h"})
    assert snoozed.status_code == 200, snoozed.text
    until = datetime.fromisoformat(snoozed.json()["snoozed_until"])
    assert abs((until - datetime.now(UTC)) - timedelta(hours=1)) < timedelta(minutes=1)
    group = "taskmanager-pro-local-reminders"
    assert scheduler_api.get_schedule(Name=f"z-{item['id']}", GroupName=group)["ActionAfterCompletion"] == "DELETE"
    assert [f.result for f in fire(local, until + timedelta(seconds=1)) if f.name == f"z-{item['id']}"] == [
        {"status": "sent"}
    ]
    items = http.get("/notifications", headers=berliner.headers).json()["items"]
    assert [i["title"] for i in items] == ["Take the cake out", "Take the cake out"]
    assert len(emails_to(api_url, berliner)) == 2
    bad = http.post(f"/notifications/{item['id']}/snooze", headers=berliner.headers, json={"for": "1y"})
    assert_error_shape(bad, 422)


def test_another_users_notifications_do_not_exist(
    http: httpx.Client, local: LocalRun, berliner: SignedInUser, make_user: Callable[[], SignedInUser]
) -> None:
    task = new_task(http, berliner, title="Mine")
    put_reminders(http, berliner, task["id"], {"minutes_before": 20})
    fire_reminder(http, local, berliner, task["id"])
    [item] = http.get("/notifications", headers=berliner.headers).json()["items"]
    other = make_user()
    assert http.get("/notifications", headers=other.headers).json() == {
        "items": [],
        "next_cursor": None,
        "unread_count": 0,
    }
    assert_error_shape(http.post(f"/notifications/{item['id']}/read", headers=other.headers), 404)
    snooze = http.post(f"/notifications/{item['id']}/snooze", headers=other.headers, json={"for": "10m"})
    assert_error_shape(snooze, 404)
    assert_error_shape(http.get(f"/tasks/{task['id']}/reminders", headers=other.headers), 404)
    assert_error_shape(put_reminders(http, other, task["id"], {"minutes_before": 1}), 404)
    assert http.post("/notifications/read-all", headers=other.headers).json()["marked"] == 0
    assert http.get("/notifications", headers=berliner.headers).json()["unread_count"] == 1
    # a cursor of one user is not valid for another
    cursor = http.get("/notifications?limit=1", headers=berliner.headers).json()["next_cursor"]
    if cursor:
        assert_error_shape(http.get(f"/notifications?cursor={cursor}", headers=other.headers), 400)


# --- signed links ------------------------------------------------------------------------------------
def test_complete_from_the_email(http: httpx.Client, local: LocalRun, api_url: str, berliner: SignedInUser) -> None:
    task = new_task(http, berliner, title="Book the flights")
    put_reminders(http, berliner, task["id"], {"minutes_before": 45})
    fire_reminder(http, local, berliner, task["id"])
    [email] = emails_to(api_url, berliner)
    token = link(email, "complete")
    page = http.get("/links/complete", params={"token": token})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Mark as done" in page.text
    assert http.get(f"/tasks/{task['id']}", headers=berliner.headers).json()["status"] == "open"  # GET changes nothing
    done = http.post("/links/complete", params={"token": token})
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "completed"
    assert http.get(f"/tasks/{task['id']}", headers=berliner.headers).json()["status"] == "done"
    assert http.post("/links/complete", params={"token": token}).json()["status"] == "already_done"
    in_browser = http.post("/links/complete", params={"token": token}, headers={"Accept": "text/html"})
    assert in_browser.headers["content-type"].startswith("text/html")


def test_one_click_unsubscribe(http: httpx.Client, local: LocalRun, api_url: str, berliner: SignedInUser) -> None:
    task = new_task(http, berliner)
    put_reminders(http, berliner, task["id"], {"minutes_before": 5})
    fire_reminder(http, local, berliner, task["id"])
    [email] = emails_to(api_url, berliner)
    token = link(email, "unsubscribe")
    assert "Unsubscribe" in http.get("/links/unsubscribe", params={"token": token}).text
    # what a mail client sends for List-Unsubscribe-Post (RFC 8058): a form-encoded POST, no sign-in
    answer = http.post(
        "/links/unsubscribe",
        params={"token": token},
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "unsubscribed"
    assert http.get("/me", headers=berliner.headers).json()["preferences"]["email_notifications"] is False
    # the next reminder still reaches the inbox, but sends no email
    task = new_task(http, berliner, title="Quietly")
    put_reminders(http, berliner, task["id"], {"minutes_before": 5})
    fire_reminder(http, local, berliner, task["id"])
    assert len(emails_to(api_url, berliner)) == 1
    items = http.get("/notifications", headers=berliner.headers).json()["items"]
    newest = next(i for i in items if i["title"] == "Quietly")
    assert {d["channel"]: d["status"] for d in newest["deliveries"]}["email"] == "skipped"


def test_tampered_and_wrong_tokens_are_refused(
    http: httpx.Client, local: LocalRun, api_url: str, berliner: SignedInUser
) -> None:
    task = new_task(http, berliner)
    put_reminders(http, berliner, task["id"], {"minutes_before": 25})
    fire_reminder(http, local, berliner, task["id"])
    [email] = emails_to(api_url, berliner)
    complete, unsubscribe = link(email, "complete"), link(email, "unsubscribe")
    header, payload, signature = complete.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for bad in (f"{header}.{payload}.{flipped}", f"{header}.{payload[:-1]}x.{signature}", "not-a-token", unsubscribe):
        assert_error_shape(http.post("/links/complete", params={"token": bad}), 400, "invalid_link")
        assert http.get("/links/complete", params={"token": bad}).status_code == 400
    assert_error_shape(http.post("/links/unsubscribe", params={"token": complete}), 400, "invalid_link")
    assert_error_shape(http.post("/links/unsubscribe"), 422)
    assert http.get(f"/tasks/{task['id']}", headers=berliner.headers).json()["status"] == "open"
    assert http.get("/me", headers=berliner.headers).json()["preferences"]["email_notifications"] is True


# --- preferences, SMS verification, digest ----------------------------------------------------------
def test_sms_number_verification(http: httpx.Client, api_url: str, berliner: SignedInUser) -> None:
    phone = "+4915112345678"
    refused = http.patch("/me", headers=berliner.headers, json={"preferences": {"sms_notifications": True}})
    assert assert_error_shape(refused, 400)["fields"] == {
        "preferences.sms_notifications": "needs a verified phone number"
    }
    sent = http.post("/notifications/sms/code", headers=berliner.headers, json={"phone": phone})
    assert sent.status_code == 200, sent.text
    [sms] = [m for m in ApiClient(api_url).outbox() if phone in m.to][-1:]
    code = re.search(r"\b(\d{6})\b", sms.body)
    assert code
    wrong = f"{(int(code.group(1)) + 1) % 1_000_000:06d}"
    bad = http.post("/notifications/sms/verify", headers=berliner.headers, json={"code": wrong})
    assert assert_error_shape(bad, 400)["fields"] == {"code": "does not match"}
    me = http.get("/me", headers=berliner.headers).json()["preferences"]
    assert (me["sms_phone"], me["sms_verified"]) == (phone, False)
    ok = http.post("/notifications/sms/verify", headers=berliner.headers, json={"code": code.group(1)})
    assert ok.status_code == 200, ok.text
    assert ok.json()["sms_verified"] is True
    assert ok.json()["sms_notifications"] is True
    # a new number is not verified
    changed = http.patch("/me", headers=berliner.headers, json={"preferences": {"sms_phone": "+4915199999999"}})
    assert changed.json()["preferences"]["sms_verified"] is False
    assert_error_shape(http.post("/notifications/sms/verify", headers=berliner.headers, json={"code": "12"}), 422)


def test_notification_preferences_round_trip(http: httpx.Client, berliner: SignedInUser) -> None:
    changes = {
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "default_reminder_minutes": 30,
        "digest_enabled": True,
        "digest_time": "07:15",
        "in_app_notifications": False,
    }
    response = http.patch("/me", headers=berliner.headers, json={"preferences": changes})
    assert response.status_code == 200, response.text
    preferences = response.json()["preferences"]
    assert {name: preferences[name] for name in changes} == changes
    cleared = http.patch(
        "/me", headers=berliner.headers, json={"preferences": {"quiet_hours": None, "default_reminder_minutes": None}}
    ).json()["preferences"]
    assert cleared["quiet_hours"] is None
    assert cleared["default_reminder_minutes"] is None
    bad = http.patch("/me", headers=berliner.headers, json={"preferences": {"quiet_hours": {"start": "22:00"}}})
    assert_error_shape(bad, 422)


def test_daily_digest_and_its_unsubscribe(
    http: httpx.Client, local: LocalRun, api_url: str, berliner: SignedInUser, scheduler_api: Any
) -> None:
    http.post("/tasks", headers=berliner.headers, json={"title": "Overdue thing", "due_date": "2020-01-01"})
    today = datetime.now(BERLIN).date().isoformat()
    http.post("/tasks", headers=berliner.headers, json={"title": "Today thing", "due_date": today})
    response = http.patch(
        "/me", headers=berliner.headers, json={"preferences": {"digest_enabled": True, "digest_time": "06:30"}}
    )
    assert response.status_code == 200
    user_id = http.get("/me", headers=berliner.headers).json()["id"]
    fired = [f for f in fire(local, datetime.now(UTC) + timedelta(days=1)) if f.name == f"d-{user_id}"]
    assert [f.result for f in fired] == [{"status": "sent"}]
    again = fire(local, datetime.now(UTC) + timedelta(days=1, minutes=1))
    assert [f for f in again if f.name == f"d-{user_id}"] == []  # once per day
    [digest] = emails_to(api_url, berliner)
    assert digest.subject is not None
    assert digest.subject.startswith("Today:")
    assert "Overdue thing (overdue)" in digest.body
    assert "Today thing" in digest.body
    assert digest.html is not None
    assert "Today thing" in digest.html
    token = link(digest, "unsubscribe")
    assert http.post("/links/unsubscribe", params={"token": token}).json()["status"] == "unsubscribed"
    preferences = http.get("/me", headers=berliner.headers).json()["preferences"]
    assert preferences["digest_enabled"] is False
    assert preferences["email_notifications"] is True  # only the digest
    group = "taskmanager-pro-local-reminders"
    assert scheduler_api.list_schedules(GroupName=group, NamePrefix=f"d-{user_id}")["Schedules"] == []


def test_an_unreachable_sms_service_is_a_400_naming_the_phone(http: httpx.Client, berliner: SignedInUser) -> None:
    from botocore.exceptions import EndpointConnectionError

    from backend import aws

    sns = aws.single_attempt_client("sns")  # the API's SMS sender, in this process

    def drop(request: Any, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=str(request.url))

    sns.meta.events.register("before-send.sns.Publish", drop)
    try:
        response = http.post("/notifications/sms/code", headers=berliner.headers, json={"phone": "+4915112340000"})
    finally:
        sns.meta.events.unregister("before-send.sns.Publish", drop)
    assert assert_error_shape(response, 400)["fields"] == {"phone": "could not be reached"}


# --- SMS code limits (issue 12 finding 3) -----------------------------------------------------------------------
def new_phone() -> str:
    return f"+4916{uuid.uuid4().int % 10**9:09d}"


def send_code(http: httpx.Client, user: SignedInUser, phone: str) -> httpx.Response:
    return http.post("/notifications/sms/code", headers=user.headers, json={"phone": phone})


def texted_code(api_url: str, phone: str) -> str:
    [sms] = [m for m in ApiClient(api_url).outbox() if phone in m.to][-1:]
    code = re.search(r"\b(\d{6})\b", sms.body)
    assert code, sms.body
    return code.group(1)


def limited(response: httpx.Response) -> tuple[dict[str, Any], int]:
    """A 429 in the error shape with ``Retry-After`` (whole seconds); returns the error and the wait."""
    error = assert_error_shape(response, 429, "too_many_requests")
    wait = int(response.headers["Retry-After"])
    assert wait >= 1
    return error, wait


def a_minute_passes(dynamodb: Any) -> None:
    """The API runs on the real clock: move every stored SMS limit stamp 61 s into the past instead of waiting."""
    for page in dynamodb.get_paginator("scan").paginate(
        TableName=NOTIFICATIONS_TABLE,
        FilterExpression="begins_with(sk, :limit)",
        ExpressionAttributeValues={":limit": {"S": "LIMIT#"}},
    ):
        for item in page["Items"]:
            item["stamps"] = {"L": [{"N": str(float(s["N"]) - 61)} for s in item["stamps"]["L"]]}
            dynamodb.put_item(TableName=NOTIFICATIONS_TABLE, Item=item)


def test_a_burst_of_sms_codes_is_refused_after_the_first(
    http: httpx.Client, api_url: str, berliner: SignedInUser
) -> None:
    phones = [new_phone() for _ in range(10)]
    answers = [send_code(http, berliner, phone) for phone in phones]
    assert [a.status_code for a in answers] == [200] + [429] * 9  # before the limits: ten times 200
    for answer in answers[1:]:
        error, wait = limited(answer)
        assert wait <= 60  # one code a minute
        assert "minute" in error["message"] or "second" in error["message"]
    texted = [m for m in ApiClient(api_url).outbox() if set(m.to) & set(phones)]
    assert [m.to for m in texted] == [[phones[0]]]


def test_a_number_gets_at_most_three_codes_an_hour_whoever_asks(
    http: httpx.Client, dynamodb: Any, make_user: Callable[[], SignedInUser]
) -> None:
    ann, bob = make_user(), make_user()
    phone = new_phone()
    assert send_code(http, ann, phone).status_code == 200
    a_minute_passes(dynamodb)
    assert send_code(http, ann, phone).status_code == 200
    assert send_code(http, bob, phone).status_code == 200  # three codes to this number within the hour
    a_minute_passes(dynamodb)
    error, wait = limited(send_code(http, bob, phone))  # bob's own first minute is over: the number is the cause
    assert set(error["fields"]) == {"phone"}
    assert 60 < wait <= 3600
    assert send_code(http, bob, new_phone()).status_code == 200  # bob may still text another number


def test_wrong_codes_are_counted_across_resends(
    http: httpx.Client, api_url: str, dynamodb: Any, berliner: SignedInUser
) -> None:
    phone = new_phone()
    assert send_code(http, berliner, phone).status_code == 200
    code = texted_code(api_url, phone)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        refused = http.post("/notifications/sms/verify", headers=berliner.headers, json={"code": wrong})
        assert assert_error_shape(refused, 400)["fields"] == {"code": "does not match"}
    error, _ = limited(http.post("/notifications/sms/verify", headers=berliner.headers, json={"code": code}))
    assert set(error["fields"]) == {"code"}
    a_minute_passes(dynamodb)
    assert send_code(http, berliner, phone).status_code == 200  # a new code ...
    fresh = texted_code(api_url, phone)
    # ... does not give five more guesses (before: the new code reset the counter, and this was 200)
    error, wait = limited(http.post("/notifications/sms/verify", headers=berliner.headers, json={"code": fresh}))
    assert 60 < wait <= 3600
    assert http.get("/me", headers=berliner.headers).json()["preferences"]["sms_verified"] is False


def test_the_sms_routes_document_their_429(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for route in ("/notifications/sms/code", "/notifications/sms/verify"):
        answer = paths[route]["post"]["responses"]["429"]
        assert "Retry-After" in answer["headers"]
        assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
