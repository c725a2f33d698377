"""Firing reminders on the local AWS: the local scheduler (test clock) -> the reminders handler -> SES / SNS.

Exactly once under duplicate delivery, stale payloads send nothing, quiet hours defer, SES failures (a dropped
connection injected into the real boto3 client, an unverified sender) are retried and recorded on the row. The links
in the e-mails are signed with a key derived from the emulator's Secrets Manager secret, and follow its rotation.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import jwt
import pytest
from botocore.exceptions import EndpointConnectionError

from backend import aws
from backend.adapters.signing_keys import SecretsManagerSigningKeys
from backend.bootstrap import Dependencies, dependencies
from backend.domain.rate_limits import Counter, LimitKey
from backend.domain.signing_keys import LINKS, SMS_CODE, SigningKeys, derive
from backend.domain.tasks import Task
from backend.domain.users import new_user
from backend.handlers import reminders as handler_module
from backend.local.bootstrap import LOCAL_SENDER
from backend.local.environment import LOCAL_STAGE
from backend.local.lambda_runtime import invoke
from backend.local.server import OUTBOX_PATH
from backend.local.testing import LocalRun
from backend.names import ResourceNames
from backend.schemas import TaskCreate
from backend.services import links, reminders, tasks
from backend.services.reminders import ReminderInput
from tests.integration.conftest import aws_client

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def deps(local: LocalRun) -> Dependencies:
    return dependencies()


@pytest.fixture(scope="module")
def scheduler_api(local: LocalRun) -> Any:
    return aws_client(local, "scheduler")


@pytest.fixture(autouse=True)
def no_schedules_left(deps: Dependencies, scheduler_api: Any) -> Iterator[None]:
    """Each test starts with an empty group: firing "now + 1 day" fires only what the test scheduled."""
    yield
    group = deps.settings.names.schedule_group
    for summary in scheduler_api.list_schedules(GroupName=group)["Schedules"]:
        scheduler_api.delete_schedule(Name=summary["Name"], GroupName=group)


def outbox(local: LocalRun, to: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = httpx.get(f"{local.endpoint}{OUTBOX_PATH}", timeout=10).json()
    return [m for m in messages if to in m["to"]]


def make_user(deps: Dependencies, **preferences: Any) -> str:
    user_id = str(uuid.uuid4())
    user = new_user(user_id=user_id, email=f"r-{user_id[:8]}@example.com", now=deps.clock())
    deps.users.add(user)
    stored = deps.users.get(user_id)
    assert stored is not None
    deps.users.save(replace(stored, timezone="Europe/Berlin", preferences=replace(stored.preferences, **preferences)))
    return user_id


def email_of(deps: Dependencies, user_id: str) -> str:
    user = deps.users.get(user_id)
    assert user is not None
    return user.email


def task_with_reminder(deps: Dependencies, user_id: str, *, title: str = "Pay the rent", days: int = 1) -> Task:
    due = datetime.now(BERLIN).date() + timedelta(days=days)
    task = tasks.create_task(
        store=deps.tasks,
        user_id=user_id,
        data=TaskCreate(title=title, due_date=due, due_time=time(12, 0)),
        now=deps.clock(),
    )
    assert deps.scheduler is not None
    reminders.set_reminders(
        store=deps.tasks,
        reminders=deps.notifications,
        scheduler=deps.scheduler,
        users=deps.users,
        user_id=user_id,
        task_id=task.id,
        items=[ReminderInput(minutes_before=30)],
        now=deps.clock(),
    )
    return task


def schedule_of(scheduler_api: Any, deps: Dependencies, task: Task) -> dict[str, Any]:
    group = deps.settings.names.schedule_group
    [summary] = scheduler_api.list_schedules(GroupName=group, NamePrefix=f"r-{task.id}-")["Schedules"]
    detail: dict[str, Any] = scheduler_api.get_schedule(Name=summary["Name"], GroupName=group)
    return detail


def fire_at(schedule: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(json.loads(schedule["Target"]["Input"])["fire_at"])


def fired_for(local: LocalRun, task: Task, now: datetime) -> list[Any]:
    assert local.scheduler is not None
    return [f for f in local.scheduler.fire_due(now) if f.name.startswith(f"r-{task.id}-")]


def test_a_due_reminder_sends_one_email_with_text_html_and_links(
    local: LocalRun, deps: Dependencies, scheduler_api: Any
) -> None:
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id, title="Pay the <rent>")
    schedule = schedule_of(scheduler_api, deps, task)
    assert fired_for(local, task, datetime.now(UTC)) == []  # not due yet
    [fired] = fired_for(local, task, fire_at(schedule) + timedelta(seconds=1))  # the test clock
    assert fired.result == {"status": "sent"}
    [email] = outbox(local, email_of(deps, user_id))
    assert email["subject"] == "Reminder: Pay the <rent>"
    assert "Pay the <rent>" in email["body"]  # the plain-text part
    assert "/links/complete?token=" in email["body"]
    assert "/links/unsubscribe?token=" in email["body"]
    assert "Pay the &lt;rent&gt;" in email["html"]  # escaped in the HTML part
    assert "Mark as done" in email["html"]
    # the one-time schedule is gone (ActionAfterCompletion=DELETE), so it never fires again
    assert scheduler_api.list_schedules(GroupName=schedule["GroupName"], NamePrefix=f"r-{task.id}-")["Schedules"] == []
    assert fired_for(local, task, fire_at(schedule) + timedelta(days=2)) == []
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.status == "sent"
    assert row.task_id == task.id
    assert not row.read
    assert {c: d.status for c, d in row.deliveries.items()} == {"in_app": "sent", "email": "sent", "sms": "skipped"}
    assert deps.notifications.unread_count(user_id) == 1


def test_the_same_event_twice_sends_once(local: LocalRun, deps: Dependencies, scheduler_api: Any) -> None:
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    payload = json.loads(schedule_of(scheduler_api, deps, task)["Target"]["Input"])
    results = [invoke(handler_module.handler, payload, "reminders")["status"] for _ in range(3)]
    assert results == ["sent", "duplicate", "duplicate"]
    assert len(outbox(local, email_of(deps, user_id))) == 1
    assert len(deps.notifications.page(user_id, limit=10, cursor=None)[0]) == 1


def test_sms_goes_to_a_verified_number_when_on(local: LocalRun, deps: Dependencies, scheduler_api: Any) -> None:
    phone = f"+4915{uuid.uuid4().int % 10**9:09d}"
    user_id = make_user(deps, sms_phone=phone, sms_verified=True, sms_notifications=True)
    task = task_with_reminder(deps, user_id, title="A very long title " * 20)
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert fired.result == {"status": "sent"}
    [sms] = outbox(local, phone)
    assert sms["channel"] == "sms"
    assert len(sms["body"]) <= 160
    assert sms["body"].startswith("Reminder: A very long title")
    assert len(outbox(local, email_of(deps, user_id))) == 1


def test_a_stale_reminder_sends_nothing(local: LocalRun, deps: Dependencies, scheduler_api: Any) -> None:
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    payload = json.loads(schedule_of(scheduler_api, deps, task)["Target"]["Input"])
    clock = tasks.user_clock(users=deps.users, user_id=user_id, now=deps.clock())
    tasks.complete_task(store=deps.tasks, user_id=user_id, task_id=task.id, clock=clock)
    # the schedule was deleted by the completion; a delivery already under way still finds the task done
    assert invoke(handler_module.handler, payload, "reminders") == {"status": "stale"}
    tasks.reopen_task(store=deps.tasks, user_id=user_id, task_id=task.id, now=deps.clock())
    moved = {**payload, "fire_at": (datetime.fromisoformat(payload["fire_at"]) - timedelta(hours=1)).isoformat()}
    assert invoke(handler_module.handler, moved, "reminders") == {"status": "stale"}  # rescheduled since
    assert outbox(local, email_of(deps, user_id)) == []


@pytest.fixture
def ses_drops_connections() -> Iterator[dict[str, int]]:
    """The reminder mailer's real SES client loses the connection on the first ``fail`` sends."""
    state = {"fail": 0, "calls": 0}
    ses = aws.single_attempt_client("ses")

    def hook(request: Any, **_: Any) -> None:
        state["calls"] += 1
        if state["calls"] <= state["fail"]:
            raise EndpointConnectionError(endpoint_url=str(request.url))

    ses.meta.events.register("before-send.ses.SendRawEmail", hook)
    yield state
    ses.meta.events.unregister("before-send.ses.SendRawEmail", hook)


def test_a_transient_ses_failure_is_retried(
    local: LocalRun, deps: Dependencies, scheduler_api: Any, ses_drops_connections: dict[str, int]
) -> None:
    ses_drops_connections["fail"] = 2
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert fired.result == {"status": "sent"}
    assert ses_drops_connections["calls"] == 3
    assert len(outbox(local, email_of(deps, user_id))) == 1
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.deliveries["email"].status == "sent"
    assert row.deliveries["email"].attempts == 3


def test_a_lasting_ses_failure_is_recorded_on_the_row(
    local: LocalRun, deps: Dependencies, scheduler_api: Any, ses_drops_connections: dict[str, int]
) -> None:
    ses_drops_connections["fail"] = 100
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert fired.result == {"status": "partial"}  # in-app delivered, email failed
    assert ses_drops_connections["calls"] == 4
    assert outbox(local, email_of(deps, user_id)) == []
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.deliveries["email"].status == "failed"
    assert row.deliveries["email"].attempts == 4
    assert "EndpointConnectionError" in row.deliveries["email"].detail


def test_a_rejected_sender_fails_at_once_and_is_recorded(
    local: LocalRun, deps: Dependencies, scheduler_api: Any
) -> None:
    ses = aws_client(local, "ses")
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    ses.delete_identity(Identity=LOCAL_SENDER)  # SES refuses mail from an unverified sender (permanent)
    try:
        [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    finally:
        ses.verify_email_identity(EmailAddress=LOCAL_SENDER)
    assert fired.result == {"status": "partial"}
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.deliveries["email"].status == "failed"
    assert row.deliveries["email"].attempts == 1
    assert "MessageRejected" in row.deliveries["email"].detail


def test_quiet_hours_move_the_delivery_to_their_end(local: LocalRun, deps: Dependencies, scheduler_api: Any) -> None:
    # quiet all day but a minute: whatever the hour of the test run, the reminder falls into them
    now_local = datetime.now(BERLIN)
    end = (now_local + timedelta(hours=3)).time().replace(second=0, microsecond=0)
    start = (now_local + timedelta(hours=3, minutes=1)).time().replace(second=0, microsecond=0)
    user_id = make_user(deps, quiet_start=f"{start:%H:%M}", quiet_end=f"{end:%H:%M}")
    task = task_with_reminder(deps, user_id)
    due = fire_at(schedule_of(scheduler_api, deps, task))
    payload = json.loads(schedule_of(scheduler_api, deps, task)["Target"]["Input"])
    assert deps.clock() < due
    # deliver now (inside the quiet hours): deferred to a q- schedule at their end, nothing sent yet
    assert invoke(handler_module.handler, payload, "reminders") == {"status": "deferred"}
    group = deps.settings.names.schedule_group
    [quiet] = scheduler_api.list_schedules(GroupName=group, NamePrefix=f"q-r-{task.id}-")["Schedules"]
    detail = scheduler_api.get_schedule(Name=quiet["Name"], GroupName=group)
    quiet_end = datetime.fromisoformat(detail["ScheduleExpression"][3:-1]).replace(tzinfo=UTC)
    assert quiet_end.astimezone(BERLIN).time() == end
    assert outbox(local, email_of(deps, user_id)) == []
    assert local.scheduler is not None
    fired = [f for f in local.scheduler.fire_due(quiet_end + timedelta(seconds=1)) if f.name == quiet["Name"]]
    assert [f.result for f in fired] == [{"status": "sent"}]
    assert len(outbox(local, email_of(deps, user_id))) == 1


def stored_title(deps: Dependencies, task: Task, title: str) -> Task:
    """The task as an older row may hold it: a title the API refuses now (control characters), written to the store."""
    saved = deps.tasks.save_task(replace(task, title=title), previous=task)
    assert saved.title == title
    return saved


def test_a_title_with_line_breaks_gives_a_clean_one_line_subject(
    local: LocalRun, deps: Dependencies, scheduler_api: Any
) -> None:
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    stored_title(deps, task, "Buy milk\r\nand eggs\x00\tBcc: someone@example.com")
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert fired.result == {"status": "sent"}
    [email] = outbox(local, email_of(deps, user_id))
    assert set(email["to"]) == {email_of(deps, user_id)}  # no Bcc smuggled in by the title (moto lists To twice)
    assert email["subject"] == "Reminder: Buy milk and eggs Bcc: someone@example.com"
    assert "Mark as done" in email["html"]  # the body parts are intact, not swallowed into the headers
    assert "/links/complete?token=" in email["body"]
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.deliveries["email"].status == "sent"


def test_an_email_that_cannot_be_built_is_recorded_failed_not_sent(
    local: LocalRun, deps: Dependencies, scheduler_api: Any
) -> None:
    """Whatever the sender raises, the row says failed (and why): a claimed row never stays pending or says sent."""
    user_id = make_user(deps)
    task = task_with_reminder(deps, user_id)
    user = deps.users.get(user_id)
    assert user is not None
    deps.users.save(replace(user, email="broken\r\nBcc: x@example.com"))  # an address no message can carry
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert fired.result == {"status": "partial"}  # in-app delivered, email failed
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.deliveries["email"].status == "failed"
    assert row.deliveries["email"].detail


def test_a_number_sns_refuses_is_recorded_failed(local: LocalRun, deps: Dependencies, scheduler_api: Any) -> None:
    # stored before numbers were validated: SNS refuses it (not E.164), permanently
    user_id = make_user(deps, sms_phone="+49 151 2345", sms_verified=True, sms_notifications=True)
    task = task_with_reminder(deps, user_id)
    [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
    assert fired.result == {"status": "partial"}  # in-app and email sent, SMS failed
    [row], _ = deps.notifications.page(user_id, limit=10, cursor=None)
    assert row.deliveries["sms"].status == "failed"
    assert row.deliveries["sms"].attempts == 1  # not retried: a refusal is permanent
    assert "InvalidParameter" in row.deliveries["sms"].detail
    assert row.deliveries["email"].status == "sent"


# --- the signing keys (issue 12): from Secrets Manager, never from the environment -------------------------------
def complete_token(email: dict[str, Any]) -> str:
    match = re.search(r"/links/complete\?token=([\w.-]+)", email["body"])
    assert match, email["body"]
    return match.group(1)


def test_the_secret_is_in_secrets_manager_and_only_its_arn_in_the_environment(local: LocalRun) -> None:
    secrets_api = aws_client(local, "secretsmanager")
    described = secrets_api.describe_secret(SecretId=ResourceNames(LOCAL_STAGE).link_signing_secret)
    assert local.env["TMP_LINK_SIGNING_SECRET_ARN"] == described["ARN"]
    value = secrets_api.get_secret_value(SecretId=described["ARN"])["SecretString"]
    assert len(value) == 64
    assert value not in json.dumps(local.env)


def test_email_links_follow_a_rotated_secret_once_the_cache_is_cleared(
    local: LocalRun, deps: Dependencies, scheduler_api: Any
) -> None:
    assert isinstance(deps.signing_keys, SecretsManagerSigningKeys)
    secrets_api, arn = aws_client(local, "secretsmanager"), deps.settings.link_signing_secret_id
    old = secrets_api.get_secret_value(SecretId=arn)["SecretString"]
    new = "N" * 64
    assert deps.signing_keys().signing_key(SMS_CODE) == derive(old, SMS_CODE) != derive(old, LINKS)

    def emailed_token(title: str) -> str:
        user_id = make_user(deps)
        task = task_with_reminder(deps, user_id, title=title)
        [fired] = fired_for(local, task, fire_at(schedule_of(scheduler_api, deps, task)) + timedelta(seconds=1))
        assert fired.result == {"status": "sent"}
        [email] = outbox(local, email_of(deps, user_id))
        return complete_token(email)

    before = emailed_token("Before the rotation")
    secrets_api.put_secret_value(SecretId=arn, SecretString=json.dumps({"current": new, "previous": old}))
    try:
        # Cached (max_age): a warm function signs with the old key until it reads the secret again.
        assert deps.signing_keys().signing_key(LINKS) == derive(old, LINKS)
        deps.signing_keys.clear_cache()
        after = emailed_token("After the rotation")
        jwt.decode(after, derive(new, LINKS), algorithms=["HS256"], issuer=links.ISSUER)  # signed with the new key
        rotating = deps.signing_keys().verifying_keys(LINKS)
        for token in (before, after):  # links e-mailed before the rotation still work
            assert links.verify(token, action="complete", keys=rotating).action == "complete"

        secrets_api.put_secret_value(SecretId=arn, SecretString=new)  # rotation done: the old key is dropped
        deps.signing_keys.clear_cache()
        with pytest.raises(links.InvalidLinkError):
            links.verify(before, action="complete", keys=deps.signing_keys().verifying_keys(LINKS))
        assert SigningKeys.parse(new).verifying_keys(LINKS) == deps.signing_keys().verifying_keys(LINKS)
    finally:
        secrets_api.put_secret_value(SecretId=arn, SecretString=old)
        deps.signing_keys.clear_cache()


def test_a_rate_limit_write_based_on_an_old_read_changes_nothing(deps: Dependencies) -> None:
    """The SMS limits' stamps (same table): a write is conditional on the version read, all keys or none."""
    store = deps.notifications
    now = datetime.now(UTC).replace(microsecond=0)
    user = LimitKey("user", str(uuid.uuid4()), "sms-code")
    number = LimitKey("number", uuid.uuid4().hex, "sms-code")
    later = now + timedelta(days=1)
    first_user, first_number = store.read_counters([user, number])
    assert (first_user, first_number) == (Counter(), Counter())
    assert store.write_counters([(user, first_user, (now,), later), (number, first_number, (now,), later)])
    assert store.read_counters([user, number]) == [Counter((now,), 1), Counter((now,), 1)]
    # a second request that read before the first wrote: refused, and neither key changes
    again = now + timedelta(seconds=1)
    stale = [(user, first_user, (again,), later), (number, Counter((now,), 1), (now, again), later)]
    assert not store.write_counters(stale)
    assert store.read_counters([user, number]) == [Counter((now,), 1), Counter((now,), 1)]
    store.forget_counter(user)
    assert store.read_counters([user]) == [Counter()]
