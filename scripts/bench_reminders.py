"""The reminders part of ``make bench`` (issue 5), on the bench's own local AWS:

- lateness: reminders due a few seconds ahead, fired by the local scheduler's background poller on the real
  clock; due (the schedule's ``at``) -> sent (the handler returned, email in SES);
- handler latency: the reminders Lambda handler invoked directly, one occurrence each (claim, task + user reads,
  SES send, row write);
- sends per reminder under duplicate delivery: the same payload invoked 3 times -> emails in the outbox;
- time to schedule 1 000 reminders: through the service (``set_reminders``: task read, list write, Scheduler
  list + create) and raw ``CreateSchedule`` calls through the adapter.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from backend.adapters.task_store.mapping import task_item
from backend.adapters.task_store.models import TaskModel
from backend.bootstrap import dependencies
from backend.domain import schedules
from backend.domain.tasks import Task, new_id
from backend.domain.users import new_user
from backend.handlers import reminders as handler_module
from backend.local.lambda_runtime import invoke
from backend.local.scheduler import POLL_INTERVAL_S
from backend.local.server import OUTBOX_PATH
from backend.local.testing import LocalRun
from backend.services import reminders
from backend.services.reminders import ReminderInput


def _user(email_prefix: str) -> str:
    deps = dependencies()
    user_id = str(uuid.uuid4())
    deps.users.add(new_user(user_id=user_id, email=f"{email_prefix}-{user_id[:8]}@example.com", now=deps.clock()))
    stored = deps.users.get(user_id)
    assert stored is not None
    deps.users.save(replace(stored, timezone="Europe/Berlin"))
    return user_id


def _seed(user_id: str, count: int, due: datetime) -> list[Task]:
    now = datetime.now(UTC)
    local_due = due.astimezone(datetime.now().astimezone().tzinfo)
    tasks = [
        Task(
            id=new_id(),
            user_id=user_id,
            project_id="inbox",
            title=f"bench reminder {i}",
            created_at=now,
            updated_at=now,
            due_date=local_due.date(),
            position=f"a{i}",
        )
        for i in range(count)
    ]
    with TaskModel.batch_write() as batch:
        for task in tasks:
            batch.save(task_item(task))
    return tasks


def _stats(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive") if len(samples) > 1 else samples * 99
    return {
        "n": len(samples),
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(cuts[94], 1),
        "max_ms": round(max(samples), 1),
    }


def _schedule(user_id: str, task: Task, at: datetime) -> None:
    deps = dependencies()
    assert deps.scheduler is not None
    reminders.set_reminders(
        store=deps.tasks,
        reminders=deps.notifications,
        scheduler=deps.scheduler,
        users=deps.users,
        user_id=user_id,
        task_id=task.id,
        items=[ReminderInput(at=at)],
        now=deps.clock(),
    )


def lateness(local: LocalRun, count: int) -> dict[str, Any]:
    assert local.scheduler is not None
    user_id = _user("late")
    tasks = _seed(user_id, count, datetime.now(UTC) + timedelta(days=1))
    # far enough ahead that every reminder is still in the future once all are scheduled (~0.15 s each)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=3 + count * 0.2)
    names = set()
    for i, task in enumerate(tasks):
        _schedule(user_id, task, start + timedelta(seconds=i % 5))
        names.add(task.id)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        fired = [f for f in local.scheduler.fired if f.name.split("-")[1] in names]
        if len(fired) >= count:
            break
        time.sleep(0.2)
    late = [(f.fired_at - f.due).total_seconds() * 1000 for f in fired]
    return {**_stats(late), "fired": len(fired), "scheduled": count, "poll_interval_s": POLL_INTERVAL_S}


def handler_latency(n: int) -> dict[str, Any]:
    user_id = _user("handler")
    tasks = _seed(user_id, n, datetime.now(UTC) + timedelta(days=2))
    deps = dependencies()
    payloads = []
    for task in tasks:
        _schedule(user_id, task, datetime.now(UTC) + timedelta(hours=1))
        listed = reminders.get_reminders(
            store=deps.tasks, reminders=deps.notifications, users=deps.users, user_id=user_id, task_id=task.id,
            now=deps.clock(),
        )  # fmt: skip
        reminder = listed[0].reminder
        assert listed[0].fires_at is not None
        payloads.append(
            schedules.reminder_payload(
                user_id=user_id,
                task_id=task.id,
                reminder_id=reminder.id,
                fire_at=listed[0].fires_at,
                due_key=task.due_key,
                origin=schedules.reminder_name(task.id, reminder.id),
            )
        )
    samples = []
    for payload in payloads:
        began = time.perf_counter_ns()
        result = invoke(handler_module.handler, payload, "reminders")
        samples.append((time.perf_counter_ns() - began) / 1e6)
        assert result == {"status": "sent"}, result
    duplicate = []
    for payload in payloads[:3]:
        began = time.perf_counter_ns()
        assert invoke(handler_module.handler, payload, "reminders") == {"status": "duplicate"}
        duplicate.append((time.perf_counter_ns() - began) / 1e6)
    return {"send": _stats(samples), "duplicate_delivery": _stats(duplicate)}


def sends_per_reminder(local: LocalRun, deliveries: int = 3) -> dict[str, Any]:
    user_id = _user("dup")
    [task] = _seed(user_id, 1, datetime.now(UTC) + timedelta(days=2))
    _schedule(user_id, task, datetime.now(UTC) + timedelta(hours=2))
    deps = dependencies()
    group = deps.settings.names.schedule_group
    name = next(n for n in deps.scheduler.names(f"r-{task.id}-")) if deps.scheduler else ""
    detail = deps.scheduler.get(name) if deps.scheduler else None
    assert detail is not None
    payload = json.loads(detail["Target"]["Input"])
    results = [invoke(handler_module.handler, payload, "reminders")["status"] for _ in range(deliveries)]
    email = deps.users.get(user_id)
    assert email is not None
    sent = [m for m in httpx.get(f"{local.endpoint}{OUTBOX_PATH}", timeout=10).json() if email.email in m["to"]]
    return {"deliveries": deliveries, "emails_sent": len(sent), "outcomes": results, "group": group}


def time_to_schedule(count: int) -> dict[str, Any]:
    deps = dependencies()
    assert deps.scheduler is not None
    user_id = _user("many")
    tasks = _seed(user_id, count, datetime.now(UTC) + timedelta(days=3))
    at = datetime.now(UTC) + timedelta(days=2)
    began = time.perf_counter()
    for task in tasks:
        _schedule(user_id, task, at)
    service_s = time.perf_counter() - began
    payload = schedules.digest_payload(user_id=user_id)
    began = time.perf_counter()
    for i in range(count):
        deps.scheduler.put_one_time(f"bench-{user_id[:8]}-{i}", at, payload)
    raw_s = time.perf_counter() - began
    return {
        "reminders": count,
        "service_seconds": round(service_s, 2),
        "service_ms_per_reminder": round(service_s * 1000 / count, 2),
        "create_schedule_seconds": round(raw_s, 2),
        "create_schedule_ms_each": round(raw_s * 1000 / count, 2),
    }


def run_reminders(local: LocalRun, *, n: int, schedule_count: int = 1000) -> dict[str, Any]:
    return {
        "lateness_ms": lateness(local, count=max(n // 15, 10)),
        "handler_ms": handler_latency(max(n // 10, 20)),
        "sends_per_reminder_under_duplicate_delivery": sends_per_reminder(local),
        "time_to_schedule": time_to_schedule(schedule_count),
    }


def print_reminders(report: dict[str, Any], out: Callable[[str], None] = print) -> None:
    out("\nreminders (issue 5)\n")
    late = report["lateness_ms"]
    out(
        f"lateness due -> sent (local poller, real clock): p50 {late['p50_ms']} ms, p95 {late['p95_ms']} ms, "
        f"max {late['max_ms']} ms ({late['fired']}/{late['scheduled']} fired, poll every {late['poll_interval_s']} s)"
    )
    send, dup = report["handler_ms"]["send"], report["handler_ms"]["duplicate_delivery"]
    out(f"handler latency: send p50 {send['p50_ms']} ms, p95 {send['p95_ms']} ms; duplicate p50 {dup['p50_ms']} ms")
    dup_sends = report["sends_per_reminder_under_duplicate_delivery"]
    out(f"sends per reminder under {dup_sends['deliveries']} deliveries: {dup_sends['emails_sent']}")
    many = report["time_to_schedule"]
    out(
        f"time to schedule {many['reminders']} reminders: {many['service_seconds']} s through the service "
        f"({many['service_ms_per_reminder']} ms each), {many['create_schedule_seconds']} s of raw CreateSchedule"
    )


__all__ = ["asdict", "print_reminders", "run_reminders"]
