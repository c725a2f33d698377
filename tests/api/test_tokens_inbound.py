"""Issue 16 over the local stack: personal API tokens (the same authorizer as a sign-in), answering a reminder by SMS
or email, and email to task. This module's API runs with a rate limit of 5 requests a minute per token."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from backend import bootstrap
from backend.client import ApiClient
from backend.domain.inbound import HELP
from backend.local.environment import LOCAL_STAGE
from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.api.conftest import assert_error_shape, aws_client
from tests.conftest import SignedInUser

DOMAIN = "in.taskmanager.local"
GROUP = ResourceNames(LOCAL_STAGE).schedule_group

LIMITS = {"TMP_API_TOKEN_REQUESTS_PER_MINUTE": "5"}


@pytest.fixture(scope="module", autouse=True)
def low_limit(api_url: str) -> Iterator[None]:
    """Settings are read again after the reset; other modules never see the low limit."""
    os.environ.update(LIMITS)
    bootstrap.reset()
    yield
    for name in LIMITS:
        os.environ.pop(name, None)
    bootstrap.reset()


@pytest.fixture(scope="module")
def http(api_url: str) -> Iterator[httpx.Client]:
    """As tests/api/conftest.py's, with more time: a module's first token request builds the token rows' clients
    (a botocore client per PynamoDB model), which took over 10 s on a loaded 2-CPU machine."""
    with httpx.Client(base_url=api_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def scheduler_api(local: LocalRun) -> Any:
    return aws_client(local, "scheduler")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_token(http: httpx.Client, user: SignedInUser, scopes: list[str], name: str = "script") -> dict[str, Any]:
    response = http.post("/tokens", headers=user.headers, json={"name": name, "scopes": scopes})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"id", "token"}
    return body


# --- personal API tokens ----------------------------------------------------------------------------------------
def test_a_write_token_works_like_a_sign_in_and_is_listed_without_its_secret(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    ann = make_user()
    made = make_token(http, ann, ["read", "write"], name="cron job")
    assert made["token"].startswith("tmp_")

    created = http.post("/tasks", headers=bearer(made["token"]), json={"title": "made by a script"})
    assert created.status_code == 201, created.text
    mine = http.get("/tasks", headers=ann.headers).json()["items"]
    assert [t["title"] for t in mine] == ["made by a script"]  # the token acts as its owner

    listed = http.get("/tokens", headers=ann.headers)
    assert listed.status_code == 200
    [row] = listed.json()["items"]
    assert (row["id"], row["name"], row["scopes"]) == (made["id"], "cron job", ["read", "write"])
    assert row["last_used_at"] is not None  # the create above used it
    assert made["token"] not in listed.text  # shown once, never again


def test_a_read_token_reads_but_may_not_write(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    bob = make_user()
    token = make_token(http, bob, ["read"])["token"]
    assert http.get("/tasks", headers=bearer(token)).status_code == 200
    refused = http.post("/tasks", headers=bearer(token), json={"title": "nope"})
    assert_error_shape(refused, 403, "forbidden")
    assert http.get("/tasks", headers=bob.headers).json()["items"] == []


def test_a_token_cannot_make_list_or_revoke_tokens(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    carol = make_user()
    made = make_token(http, carol, ["read", "write"])
    headers = bearer(made["token"])
    assert_error_shape(http.post("/tokens", headers=headers, json={"name": "x", "scopes": ["read"]}), 403)
    assert_error_shape(http.get("/tokens", headers=headers), 403)
    assert_error_shape(http.delete(f"/tokens/{made['id']}", headers=headers), 403)


def test_bad_token_requests_answer_in_the_error_shape(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    dan = make_user()
    bad = http.post("/tokens", headers=dan.headers, json={"name": "x", "scopes": ["write"]})
    assert "scopes" in assert_error_shape(bad, 422)["fields"]
    bad = http.post("/tokens", headers=dan.headers, json={"name": "x", "scopes": ["admin"]})
    assert any(name.startswith("scopes") for name in assert_error_shape(bad, 422)["fields"])
    assert_error_shape(http.delete("/tokens/01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=dan.headers), 404)
    # another user's token id is not found either, and keeps working
    eve = make_user()
    evet = make_token(http, eve, ["read"])
    assert_error_shape(http.delete(f"/tokens/{evet['id']}", headers=dan.headers), 404)
    assert http.get("/me", headers=bearer(evet["token"])).status_code == 200
    # a forged secret with a real id, and a token-shaped string, are 401
    forged = evet["token"][:-4] + ("AAAA" if not evet["token"].endswith("AAAA") else "BBBB")
    assert_error_shape(http.get("/me", headers=bearer(forged)), 401, "not_authenticated")
    assert_error_shape(http.get("/me", headers=bearer("tmp_nothing")), 401, "not_authenticated")


def test_revocation_is_effective_on_the_next_request(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    fay = make_user()
    made = make_token(http, fay, ["read"])
    assert http.get("/me", headers=bearer(made["token"])).status_code == 200  # the authorizer's Allow is cached now
    assert http.delete(f"/tokens/{made['id']}", headers=fay.headers).status_code == 204
    assert_error_shape(http.get("/me", headers=bearer(made["token"])), 401, "not_authenticated")
    assert http.get("/tokens", headers=fay.headers).json()["items"] == []


def test_each_token_has_its_own_rate_limit(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    gus = make_user()
    first, second = make_token(http, gus, ["read"]), make_token(http, gus, ["read"])
    for _ in range(5):
        assert http.get("/me", headers=bearer(first["token"])).status_code == 200
    limited = http.get("/me", headers=bearer(first["token"]))
    assert_error_shape(limited, 429, "too_many_requests")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert http.get("/me", headers=bearer(second["token"])).status_code == 200  # another token is not limited
    assert http.get("/me", headers=gus.headers).status_code == 200  # nor is the sign-in


# --- answering a reminder (SMS and email) ---------------------------------------------------------------------------
def local_post(http: httpx.Client, path: str, **kwargs: Any) -> dict[str, Any]:
    response = http.post(f"/local/inbound/{path}", **kwargs)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def sms(http: httpx.Client, sender: str, body: str) -> dict[str, Any]:
    return local_post(http, "sms", json={"from": sender, "body": body})


def mail(http: httpx.Client, raw: str | bytes) -> dict[str, Any]:
    data = raw.encode() if isinstance(raw, str) else raw
    return local_post(http, "email", content=data, headers={"Content-Type": "message/rfc822"})


def new_phone() -> str:
    return f"+4917{uuid.uuid4().int % 10**9:09d}"


def verified_sms_user(
    http: httpx.Client, api_url: str, make_user: Callable[[], SignedInUser]
) -> tuple[SignedInUser, str]:
    user, phone = make_user(), new_phone()
    assert http.post("/notifications/sms/code", headers=user.headers, json={"phone": phone}).status_code == 200
    [text] = [m for m in ApiClient(api_url).outbox() if phone in m.to]
    code = re.search(r"\b(\d{6})\b", text.body)
    assert code
    verified = http.post("/notifications/sms/verify", headers=user.headers, json={"code": code.group(1)})
    assert verified.status_code == 200, verified.text
    return user, phone


def reminded_task(http: httpx.Client, local: LocalRun, user: SignedInUser, title: str) -> dict[str, Any]:
    """A task whose reminder has just gone out (email, and SMS to a verified number)."""
    due = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    task: dict[str, Any] = http.post(
        "/tasks", headers=user.headers, json={"title": title, "due_date": due, "due_time": "10:00"}
    ).json()
    reminders = {"reminders": [{"minutes_before": 30}]}
    assert http.put(f"/tasks/{task['id']}/reminders", headers=user.headers, json=reminders).status_code == 200
    listed = http.get(f"/tasks/{task['id']}/reminders", headers=user.headers).json()["reminders"]
    assert local.scheduler is not None
    fired = local.scheduler.fire_due(datetime.fromisoformat(listed[0]["next_at"]) + timedelta(seconds=1))
    assert [f.result for f in fired if f.name.startswith(f"r-{task['id']}-")] == [{"status": "sent"}]
    return task


def texts_to(api_url: str, phone: str) -> list[str]:
    return [m.body for m in ApiClient(api_url).outbox() if m.channel == "sms" and phone in m.to]


def status_of(http: httpx.Client, user: SignedInUser, task_id: str) -> str:
    return str(http.get(f"/tasks/{task_id}", headers=user.headers).json()["status"])


def test_sms_done_completes_the_reminded_task_and_is_acknowledged(
    http: httpx.Client, api_url: str, local: LocalRun, make_user: Callable[[], SignedInUser]
) -> None:
    user, phone = verified_sms_user(http, api_url, make_user)
    task = reminded_task(http, local, user, "Water the plants")
    assert any("Water the plants" in t for t in texts_to(api_url, phone))  # the reminder SMS

    started = time.perf_counter()
    answer = sms(http, phone, " done ")
    assert status_of(http, user, task["id"]) == "done"
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(f"\nreply -> task completed, end to end locally: {elapsed_ms:.0f} ms")  # the figure for the note
    assert (answer["outcome"], answer["task_id"]) == ("done", task["id"])
    assert texts_to(api_url, phone)[-1] == "Done: Water the plants"

    # anything else from the verified number gets the help text, and changes nothing
    assert sms(http, phone, "what?")["outcome"] == "help"
    assert texts_to(api_url, phone)[-1] == HELP


def test_sms_snooze_and_tomorrow_move_the_reminder(
    http: httpx.Client, api_url: str, local: LocalRun, make_user: Callable[[], SignedInUser], scheduler_api: Any
) -> None:
    user, phone = verified_sms_user(http, api_url, make_user)
    task = reminded_task(http, local, user, "Call the bank")
    [note] = http.get("/notifications", headers=user.headers).json()["items"]

    before = datetime.now(UTC)
    answer = sms(http, phone, "SNOOZE 2h")
    assert answer["outcome"] == "snoozed"
    assert texts_to(api_url, phone)[-1].startswith("Snoozed until")
    snoozed = snooze_at(scheduler_api, note["id"])
    assert before + timedelta(hours=2) - timedelta(minutes=1) <= snoozed <= datetime.now(UTC) + timedelta(hours=2)

    days = {datetime.now(UTC).date()}
    assert sms(http, phone, "TOMORROW")["outcome"] == "snoozed"
    days.add(datetime.now(UTC).date())  # (both days if midnight passed meanwhile)
    nine = {datetime.combine(day + timedelta(days=1), time_of_day(9), tzinfo=UTC) for day in days}
    assert snooze_at(scheduler_api, note["id"]) in nine  # 9:00 tomorrow; the profile has no zone: UTC
    assert status_of(http, user, task["id"]) == "open"


def snooze_at(scheduler_api: Any, notification_id: str) -> datetime:
    [schedule] = [
        s for s in scheduler_api.list_schedules(GroupName=GROUP)["Schedules"] if s["Name"] == f"z-{notification_id}"
    ]
    detail = scheduler_api.get_schedule(GroupName=GROUP, Name=schedule["Name"])
    expression = detail["ScheduleExpression"]  # at(2026-01-01T09:00:00)
    return datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC)


def test_answers_from_anyone_else_are_ignored(
    http: httpx.Client, api_url: str, local: LocalRun, make_user: Callable[[], SignedInUser]
) -> None:
    user, phone = verified_sms_user(http, api_url, make_user)
    task = reminded_task(http, local, user, "Pay rent")
    stranger = new_phone()
    assert sms(http, stranger, "DONE")["outcome"] == "ignored"
    assert texts_to(api_url, stranger) == []  # not even a help text to a number that never got a reminder
    forged = f"From: someone@example.org\r\nTo: reply@{DOMAIN}\r\nSubject: Re: Reminder\r\n\r\nDONE\r\n"
    assert mail(http, forged)["outcome"] == "ignored"
    # the number was changed since (no longer verified): its old reminder cannot be answered either
    assert http.patch("/me", headers=user.headers, json={"preferences": {"sms_phone": new_phone()}}).status_code == 200
    assert sms(http, phone, "DONE")["outcome"] == "ignored"
    assert status_of(http, user, task["id"]) == "open"


def test_email_answer_first_line_applies_to_the_last_reminder(
    http: httpx.Client, api_url: str, local: LocalRun, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    task = reminded_task(http, local, user, "Send the report")
    raw = (
        f"From: Someone <{user.email.upper()}>\r\nTo: TaskManager Pro <reply@{DOMAIN}>\r\n"
        "Subject: Re: Reminder: Send the report\r\nIn-Reply-To: <x@example.com>\r\n\r\n"
        "Done\r\n\r\nOn Monday TaskManager Pro wrote:\r\n> Reminder: Send the report\r\n"
    )
    answer = mail(http, raw)
    assert (answer["outcome"], answer["task_id"]) == ("done", task["id"])
    assert status_of(http, user, task["id"]) == "done"
    [ack] = [m for m in ApiClient(api_url).outbox() if user.email in m.to and (m.subject or "").startswith("Re:")]
    assert ack.subject == "Re: Reminder: Send the report"
    assert "Done: Send the report" in ack.body


# --- email to task --------------------------------------------------------------------------------------------------
def test_mail_to_the_task_address_becomes_a_task_with_its_files_checked(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    assert http.post("/projects", headers=user.headers, json={"name": "Work"}).status_code == 201
    address = http.get("/me", headers=user.headers).json()["task_email"]
    assert address.endswith(f"@{DOMAIN}")
    assert http.get("/me", headers=user.headers).json()["task_email"] == address  # stable until regenerated

    message = EmailMessage()
    message["From"] = "boss@example.org"  # anyone who knows the secret address
    message["To"] = address
    message["Subject"] = "Pay invoice friday p1 #Work"
    message.set_content("Invoice 42 from ACME.\nDue end of week.")
    message.add_attachment(b"line one\nline two\n", maintype="text", subtype="plain", filename="invoice.txt")
    message.add_attachment(b"not really a png", maintype="image", subtype="png", filename="fake.png")
    answer = mail(http, message.as_bytes())
    assert answer["outcome"] == "created"

    task = http.get(f"/tasks/{answer['task_id']}", headers=user.headers).json()
    projects = {p["id"]: p["name"] for p in http.get("/projects", headers=user.headers).json()}
    assert (task["title"], task["priority"], projects[task["project_id"]]) == ("Pay invoice", 1, "Work")
    assert datetime.fromisoformat(task["due_date"]).weekday() == 4  # friday
    assert task["notes"] == "Invoice 42 from ACME.\nDue end of week."
    files = wait_for_processed(http, user, task["id"], 2)
    assert {f["name"]: f["status"] for f in files} == {"invoice.txt": "ready", "fake.png": "rejected"}

    # a new address retires the old one
    renewed = http.post("/me/task-email", headers=user.headers)
    assert renewed.status_code == 200
    assert renewed.json()["task_email"] != address
    del message["To"]
    message["To"] = address
    assert mail(http, message.as_bytes())["outcome"] == "ignored"
    # "delete my data" erases the user's side of the address: the current one stops too (a new one is made)
    current = renewed.json()["task_email"]
    assert http.delete("/data", headers=user.headers).status_code == 204
    del message["To"]
    message["To"] = current
    assert mail(http, message.as_bytes())["outcome"] == "ignored"
    assert http.get("/me", headers=user.headers).json()["task_email"] not in {address, current}


def wait_for_processed(http: httpx.Client, user: SignedInUser, task_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        files: list[dict[str, Any]] = http.get(f"/tasks/{task_id}/attachments", headers=user.headers).json()["items"]
        if (len(files) == count and all(f["status"] != "pending" for f in files)) or time.monotonic() > deadline:
            return files
        time.sleep(0.05)


def test_the_local_inbound_hooks_refuse_bad_input(http: httpx.Client) -> None:
    assert (
        "from" in assert_error_shape(http.post("/local/inbound/sms", json={"from": "123", "body": "x"}), 422)["fields"]
    )
    wrong_type = http.post(
        "/local/inbound/email", content=b"From: a@b.c\r\n\r\nx", headers={"Content-Type": "text/plain"}
    )
    assert_error_shape(wrong_type, 422)
    no_to = http.post(
        "/local/inbound/email", content=b"From: a@b.c\r\n\r\nx", headers={"Content-Type": "message/rfc822"}
    )
    assert_error_shape(no_to, 422)
