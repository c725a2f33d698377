"""The weekly summary email: built from the aggregates, sent through SES (the emulator's outbox), opt-in only."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx

from backend.adapters.ses_mailer import SesMailer
from backend.adapters.task_store import DynamoTaskStore
from backend.domain.tasks import Task, complete, new_id
from backend.domain.users import NotificationPreferences, new_user
from backend.local.bootstrap import LOCAL_SENDER
from backend.local.server import OUTBOX_PATH
from backend.local.testing import LocalRun
from backend.services.weekly_summary import send_weekly_summary
from tests.integration.conftest import aws_client


def outbox(local: LocalRun, email: str) -> list[dict[str, object]]:
    messages = httpx.get(f"{local.endpoint}{OUTBOX_PATH}", timeout=10).json()
    return [m for m in messages if email in m["to"]]


def test_an_opted_in_user_gets_the_week_in_numbers(local: LocalRun) -> None:
    from backend.bootstrap import aggregates_store, dependencies

    deps = dependencies()
    store = DynamoTaskStore()
    now = datetime.now(UTC)
    users = {}
    for opted_in in (True, False):
        email = f"weekly-{uuid.uuid4().hex[:8]}@example.com"
        user = replace(
            new_user(user_id=str(uuid.uuid4()), email=email, now=now),
            display_name="Ada <b>",
            timezone="Europe/Berlin",
            preferences=NotificationPreferences(weekly_summary=opted_in, daily_goal=1),
        )
        deps.users.add(user)
        users[opted_in] = user
        for i in range(3):
            created = store.save_task(
                Task(id=new_id(), user_id=user.id, project_id="inbox", title="t", created_at=now, updated_at=now),
                previous=None,
            )
            if i < 2:
                store.save_task(complete(created, now=now + timedelta(seconds=1), today=now.date()), previous=created)
    assert local.streams is not None
    local.streams.drain()
    mailer = SesMailer(client=aws_client(local, "ses"), sender=LOCAL_SENDER)
    kwargs = {"users": deps.users, "stats": aggregates_store(), "tasks": store, "mailer": mailer, "now": now}
    sent = send_weekly_summary(users[True].id, app_url="http://localhost:3000", **kwargs)  # type: ignore[arg-type]
    assert sent is not None
    (message,) = outbox(local, users[True].email)
    assert message["subject"] == "Your week: 2 tasks completed"
    assert "2 tasks completed, 3 created" in str(message["body"])
    assert "Ada &lt;b&gt;" in str(message["body"])  # the HTML part escapes the name
    assert "http://localhost:3000/stats" in str(message["body"])
    assert send_weekly_summary(users[False].id, app_url="x", **kwargs) is None  # type: ignore[arg-type]
    assert outbox(local, users[False].email) == []
    assert send_weekly_summary("nobody", app_url="x", **kwargs) is None  # type: ignore[arg-type]
