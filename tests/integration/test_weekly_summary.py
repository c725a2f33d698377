"""The weekly summary email: built from the aggregates, scheduled per opted-in user, sent once on Mondays.

Sent by the reminders Lambda (``notify.deliver_weekly``) through the real SES adapter (the emulator's outbox);
its schedule lives in the reminders group like the daily digest's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest

from backend.adapters.task_store.store import DynamoTaskStore
from backend.bootstrap import Dependencies, dependencies
from backend.domain import schedules
from backend.domain.signing_keys import LINKS
from backend.domain.tasks import Task, complete, new_id
from backend.domain.users import User, new_user
from backend.handlers import reminders as handler_module
from backend.local.lambda_runtime import invoke
from backend.local.server import OUTBOX_PATH
from backend.local.testing import LocalRun
from backend.services import inbox, notify
from tests.integration.conftest import aws_client

MONDAY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # 08:00 in Berlin; in the past: link tokens refuse a future iat
TUESDAY = MONDAY + timedelta(days=1)


@pytest.fixture(scope="module")
def deps(local: LocalRun) -> Dependencies:
    return dependencies()


def outbox(local: LocalRun, email: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = httpx.get(f"{local.endpoint}{OUTBOX_PATH}", timeout=10).json()
    return [m for m in messages if email in m["to"]]


def make_user(deps: Dependencies, *, weekly: bool) -> User:
    now = datetime.now(UTC)
    user = new_user(user_id=str(uuid.uuid4()), email=f"weekly-{uuid.uuid4().hex[:8]}@example.com", now=now)
    deps.users.add(user)
    stored = deps.users.get(user.id)  # the stored row carries the version a save is conditional on
    assert stored is not None
    return deps.users.save(
        replace(
            stored,
            display_name="Ada <b>",
            timezone="Europe/Berlin",
            preferences=replace(stored.preferences, weekly_summary=weekly, daily_goal=1),
        )
    )


def three_tasks_two_done(local: LocalRun, user: User, *, at: datetime) -> None:
    store = DynamoTaskStore()
    for i in range(3):
        created = store.save_task(
            Task(id=new_id(), user_id=user.id, project_id="inbox", title="t", created_at=at, updated_at=at),
            previous=None,
        )
        if i < 2:
            done_at = at + timedelta(seconds=1)
            store.save_task(complete(created, now=done_at, today=done_at.date()), previous=created)
    assert local.streams is not None
    local.streams.drain()


def schedule(local: LocalRun, deps: Dependencies, user: User) -> dict[str, Any] | None:
    api = aws_client(local, "scheduler")
    group = deps.settings.names.schedule_group
    try:
        found: dict[str, Any] = api.get_schedule(Name=schedules.weekly_name(user.id), GroupName=group)
    except api.exceptions.ResourceNotFoundException:
        return None
    return found


def test_opting_in_and_out_keeps_one_weekly_schedule_in_the_users_zone(local: LocalRun, deps: Dependencies) -> None:
    user = make_user(deps, weekly=True)
    found = schedule(local, deps, user)
    assert found is not None
    assert found["ScheduleExpression"] == "cron(0 8 * * ? *)"
    assert found["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert json.loads(found["Target"]["Input"]) == {"kind": "weekly", "user_id": user.id}
    deps.users.save(replace(user, preferences=replace(user.preferences, weekly_summary=False)))
    assert schedule(local, deps, user) is None
    assert schedule(local, deps, make_user(deps, weekly=False)) is None


def test_monday_sends_the_week_in_numbers_once_with_a_working_unsubscribe(local: LocalRun, deps: Dependencies) -> None:
    user = make_user(deps, weekly=True)
    three_tasks_two_done(local, user, at=MONDAY - timedelta(days=2))
    ports = handler_module.ports(deps)
    payload = schedules.weekly_payload(user_id=user.id)

    assert notify.deliver_weekly(payload, ports=ports, now=TUESDAY) == "skipped"  # not Monday where the user is
    assert outbox(local, user.email) == []
    assert notify.deliver_weekly(payload, ports=ports, now=MONDAY) == "sent"
    assert notify.deliver_weekly(payload, ports=ports, now=MONDAY + timedelta(minutes=5)) == "duplicate"

    (message,) = outbox(local, user.email)
    assert message["subject"] == "Your week: 2 tasks completed"
    body = str(message["body"])  # the plain-text part
    assert "2 tasks completed, 3 created" in body
    assert "http://localhost:3000/stats" in body
    assert "Ada &lt;b&gt;" in str(message["html"])  # the HTML part escapes the name
    link = next(word for word in body.split() if "/links/unsubscribe?token=" in word)
    token = parse_qs(urlparse(link).query)["token"][0]
    keys = deps.signing_keys().verifying_keys(LINKS)
    status, message_text = inbox.unsubscribe(users=deps.users, token=token, keys=keys, now=MONDAY)
    assert status == "unsubscribed"
    assert "weekly summary" in message_text
    after = deps.users.get(user.id)
    assert after is not None
    assert after.preferences.weekly_summary is False
    assert schedule(local, deps, user) is None  # the schedule went with the preference


def test_an_opted_out_user_gets_nothing_even_if_a_stale_schedule_fires(local: LocalRun, deps: Dependencies) -> None:
    user = make_user(deps, weekly=False)
    ports = handler_module.ports(deps)
    assert notify.deliver_weekly(schedules.weekly_payload(user_id=user.id), ports=ports, now=MONDAY) == "off"
    assert notify.deliver_weekly(schedules.weekly_payload(user_id="nobody"), ports=ports, now=MONDAY) == "off"
    assert outbox(local, user.email) == []


def test_the_handler_routes_weekly_payloads(local: LocalRun, deps: Dependencies) -> None:
    user = make_user(deps, weekly=True)
    result = invoke(handler_module.handler, schedules.weekly_payload(user_id=user.id), "reminders")
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Berlin")).date()
    assert result["status"] == ("sent" if today.weekday() == 0 else "skipped")
