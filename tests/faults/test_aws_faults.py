"""AWS failing under the real code paths: the emulator answers AWS errors (``LocalRun.faults``), boto3 is untouched.

- DynamoDB throttling (``ProvisionedThroughputExceededException``) on a task write through the HTTP API: botocore
  retries it and the task is created; throttling that outlasts the retries answers 503 with ``Retry-After``, not 500.
- SES and SNS failing when a reminder fires: a passing failure is retried and sent, a lasting one is recorded on the
  notification row (status failed, attempts, the error) - never lost silently.
- A Scheduler outage while a reminder is set through the API: a passing one is retried and the schedule exists; a
  lasting one answers 503 with ``Retry-After`` (not 500), and the retry it asks for schedules the reminder.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from backend.bootstrap import Dependencies, dependencies
from backend.local.aws_faults import AwsFaults
from backend.local.testing import LocalRun
from tests.conftest import SignedInUser
from tests.integration.conftest import aws_client
from tests.integration.test_reminder_delivery import (
    email_of,
    fire_at,
    fired_for,
    make_user,
    outbox,
    schedule_of,
    task_with_reminder,
)


@pytest.fixture(scope="module")
def deps(local: LocalRun) -> Dependencies:
    return dependencies()


@pytest.fixture
def faults(local: LocalRun) -> Iterator[AwsFaults]:
    assert local.faults is not None
    yield local.faults
    local.faults.clear()


@pytest.fixture(scope="module")
def scheduler_api(local: LocalRun) -> Any:
    return aws_client(local, "scheduler")


@pytest.fixture(scope="module")
def http(api_url: str, make_user: Callable[[], SignedInUser]) -> Iterator[httpx.Client]:
    signed_in = make_user()
    with httpx.Client(base_url=api_url, timeout=30, headers=signed_in.headers) as client:
        yield client


def test_throttled_task_writes_are_retried_and_lasting_throttling_is_a_503(
    http: httpx.Client, faults: AwsFaults
) -> None:
    passing = faults.inject("dynamodb", "ProvisionedThroughputExceededException", count=2)
    created = http.post("/tasks", json={"title": "Written through throttling"})
    assert created.status_code == 201, created.text
    assert passing.hits == 2  # both throttled attempts happened, the third went through
    assert http.get(f"/tasks/{created.json()['id']}").status_code == 200

    faults.inject("dynamodb", "ProvisionedThroughputExceededException", count=1000)
    refused = http.post("/tasks", json={"title": "Never written"})
    faults.clear()
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "service_unavailable"
    assert int(refused.headers["Retry-After"]) >= 1
    titles = [t["title"] for t in http.get("/tasks").json()["items"]]
    assert "Never written" not in titles


def test_a_passing_ses_failure_is_retried_and_sent(
    local: LocalRun, deps: Dependencies, scheduler_api: Any, faults: AwsFaults
) -> None:
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    failure = faults.inject("ses", "Throttling", status=400, operation="SendRawEmail", count=1)
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert failure.hits == 1
    assert fired.result == {"status": "sent"}
    assert len(outbox(local, email_of(deps, user_id))) == 1
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.deliveries["email"].status == "sent"
    assert row.deliveries["email"].attempts >= 2


def test_a_lasting_ses_and_sns_failure_is_recorded_on_the_row(
    local: LocalRun, deps: Dependencies, scheduler_api: Any, faults: AwsFaults
) -> None:
    phone = f"+4915{uuid.uuid4().int % 10**9:09d}"
    user_id = make_user(deps, sms_phone=phone, sms_verified=True, sms_notifications=True)
    task = task_with_reminder(deps, user_id)
    faults.inject("ses", "ServiceUnavailable", status=503, operation="SendRawEmail", count=1000)
    faults.inject("sns", "InternalError", status=500, operation="Publish", count=1000)
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert fired.result == {"status": "partial"}  # in-app delivered; email and SMS failed and say so
    assert outbox(local, email_of(deps, user_id)) == []
    assert outbox(local, phone) == []
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    for channel, code in (("email", "ServiceUnavailable"), ("sms", "InternalError")):
        assert row.deliveries[channel].status == "failed"
        assert row.deliveries[channel].attempts > 1  # retried before giving up
        assert code in row.deliveries[channel].detail


def test_a_scheduler_outage_is_retried_or_answered_503_and_the_retry_schedules(
    http: httpx.Client, faults: AwsFaults, scheduler_api: Any, deps: Dependencies
) -> None:
    due = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    task = http.post("/tasks", json={"title": "Reminded through an outage", "due_date": due, "due_time": "12:00"})
    assert task.status_code == 201, task.text
    task_id = task.json()["id"]
    reminder = {"reminders": [{"minutes_before": 30}]}

    passing = faults.inject("scheduler", "InternalServerException", status=500, operation="POST", count=2)
    assert http.put(f"/tasks/{task_id}/reminders", json=reminder).status_code == 200
    assert passing.hits == 2
    assert _schedules(scheduler_api, deps, task_id) == 1  # created on the third attempt

    http.put(f"/tasks/{task_id}/reminders", json={"reminders": []})
    faults.inject("scheduler", "InternalServerException", status=500, count=1000)  # a lasting outage
    during = http.put(f"/tasks/{task_id}/reminders", json=reminder)
    faults.clear()
    assert during.status_code == 503, during.text  # "try again", not a 500
    assert int(during.headers["Retry-After"]) >= 1
    assert http.put(f"/tasks/{task_id}/reminders", json=reminder).status_code == 200  # the retry it asked for
    assert _schedules(scheduler_api, deps, task_id) == 1  # the reminder is scheduled: not lost


def _schedules(scheduler_api: Any, deps: Dependencies, task_id: str) -> int:
    group = deps.settings.names.schedule_group
    return len(scheduler_api.list_schedules(GroupName=group, NamePrefix=f"r-{task_id}-")["Schedules"])


def test_a_task_written_during_a_lasting_scheduler_outage_gets_its_reminder_from_the_reconciler(
    http: httpx.Client, faults: AwsFaults, scheduler_api: Any, deps: Dependencies
) -> None:
    """The task write stands (201) though its default reminder could not be scheduled; the task goes on the
    reminder backlog, a reconciler run during the outage leaves it there, the first run after it schedules it."""
    from backend.handlers import reminders
    from backend.local.lambda_runtime import invoke

    assert http.patch("/me", json={"preferences": {"default_reminder_minutes": 15}}).status_code == 200
    due = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    faults.inject("scheduler", "InternalServerException", status=500, count=1000)  # a lasting outage
    created = http.post(
        "/tasks", json={"title": "Written while the Scheduler is out", "due_date": due, "due_time": "09:00"}
    )
    assert created.status_code == 201, created.text  # the write happened: not undone, not a 500
    task_id = created.json()["id"]
    assert deps.reminder_backlog is not None
    assert task_id in {entry.task_id for entry in deps.reminder_backlog.pending(limit=100)}
    during = invoke(reminders.handler, {"kind": "reconcile"}, "reminders")
    assert during["planned"] == 0
    assert during["left"] >= 1  # still out: kept for the next run
    faults.clear()
    assert _schedules(scheduler_api, deps, task_id) == 0

    after = invoke(reminders.handler, {"kind": "reconcile"}, "reminders")
    assert after["planned"] >= 1
    assert _schedules(scheduler_api, deps, task_id) == 1  # the default reminder, as without the outage
    assert task_id not in {entry.task_id for entry in deps.reminder_backlog.pending(limit=100)}
    again = invoke(reminders.handler, {"kind": "reconcile"}, "reminders")
    assert again == {"status": "reconciled", "planned": 0, "left": 0}
