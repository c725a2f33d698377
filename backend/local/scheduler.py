"""The local EventBridge Scheduler: moto stores schedules but never fires them; this poller does.

Twice a second it lists the schedules of the reminders group through the Scheduler API (the same calls a client
makes), and invokes the target - the reminders Lambda handler, in-process - for each one that is due:
- ``at(...)`` one-time schedules when their instant has come; then deletes them, as AWS does with
  ``ActionAfterCompletion=DELETE``;
- daily ``cron(m h * * ? *)`` schedules (in their ``ScheduleExpressionTimezone``) at each occurrence after
  their creation or their last firing.
A failed invocation is retried on the next polls (as the Scheduler's retry policy would), up to ``MAX_ATTEMPTS``.
Tests call ``fire_due(now)`` with any ``now`` (the test clock) instead of waiting.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from botocore.exceptions import ClientError

from backend.domain import schedules
from backend.domain.recurrence import to_instant

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.5
RECONCILE_INTERVAL_S = 60.0  # the reminder backlog's reconciler (AWS: an EventBridge rule every 5 minutes)
RECONCILE = {"kind": "reconcile"}
MAX_ATTEMPTS = 3
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")

Target = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Fired:
    name: str
    due: datetime
    fired_at: datetime
    result: Any


def _default_target(payload: dict[str, Any]) -> Any:
    from backend.handlers import reminders  # the same handler AWS runs; settings come from the environment
    from backend.local.lambda_runtime import invoke

    return invoke(reminders.handler, payload, "reminders")


def due_at(detail: dict[str, Any], *, now: datetime, last: datetime | None) -> datetime | None:
    """When ``detail`` (a GetSchedule answer) is due, if it is due by ``now``; None otherwise."""
    expression = str(detail.get("ScheduleExpression", ""))
    zone = ZoneInfo(str(detail.get("ScheduleExpressionTimezone") or "UTC"))
    match = _AT.match(expression)
    if match:
        instant = to_instant(datetime.fromisoformat(match.group(1)), zone).astimezone(UTC)
        return instant if instant <= now else None
    daily = schedules.parse_daily_cron(expression)
    if daily is None:
        return None
    local_now = now.astimezone(zone)
    occurrence = to_instant(datetime.combine(local_now.date(), daily), zone)
    if occurrence > now:
        occurrence = to_instant(datetime.combine(local_now.date() - timedelta(days=1), daily), zone)
    created = detail.get("CreationDate")
    baseline = last or (created if isinstance(created, datetime) else None)
    if baseline is not None and occurrence <= baseline:
        return None
    return occurrence.astimezone(UTC)


class LocalScheduler:
    def __init__(
        self,
        *,
        endpoint: str,
        region: str,
        group: str,
        credentials: dict[str, str],
        target: Target = _default_target,
        interval: float = POLL_INTERVAL_S,
    ) -> None:
        self._client: Any = boto3.session.Session().client(
            "scheduler",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=credentials["aws_access_key_id"],
            aws_secret_access_key=credentials["aws_secret_access_key"],
        )
        self._group = group
        self._target = target
        self._interval = interval
        self._lock = threading.Lock()
        self._details: dict[tuple[str, Any], dict[str, Any]] = {}
        self._last: dict[str, datetime] = {}
        self._attempts: dict[tuple[str, datetime], int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.fired: list[Fired] = []  # everything this runtime fired (lateness figures read it)

    def _listed(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"GroupName": self._group}
        while True:
            page = self._client.list_schedules(**kwargs)
            found.extend(page.get("Schedules", []))
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]

    def _detail(self, summary: dict[str, Any]) -> dict[str, Any] | None:
        key = (summary["Name"], summary.get("LastModificationDate"))
        if key not in self._details:
            try:
                self._details[key] = self._client.get_schedule(Name=summary["Name"], GroupName=self._group)
            except ClientError:
                return None  # deleted meanwhile
        return self._details[key]

    def _delete(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise

    def fire_due(self, now: datetime | None = None) -> list[Fired]:
        """Invoke the target of every schedule due by ``now`` (default: the real now); returns what fired."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        fired: list[Fired] = []
        with self._lock:
            due_now: list[tuple[datetime, str, dict[str, Any]]] = []
            for summary in self._listed():
                if summary.get("State", "ENABLED") != "ENABLED":
                    continue
                detail = self._detail(summary)
                if detail is None:
                    continue
                due = due_at(detail, now=now, last=self._last.get(summary["Name"]))
                if due is not None:
                    due_now.append((due, summary["Name"], detail))
            for due, name, detail in sorted(due_now, key=lambda item: item[0]):  # the longest waiting first
                payload = json.loads(detail["Target"].get("Input") or "{}")
                one_time = detail.get("ActionAfterCompletion") == "DELETE"
                try:
                    result = self._target(payload)
                    sent_at = datetime.now(UTC)
                except Exception:
                    attempts = self._attempts.get((name, due), 0) + 1
                    self._attempts[(name, due)] = attempts
                    log.exception("schedule %s: invocation %d failed", name, attempts)
                    if attempts < MAX_ATTEMPTS:
                        continue
                    result, sent_at = {"status": "gave up"}, datetime.now(UTC)
                self._attempts.pop((name, due), None)
                if one_time:
                    self._delete(name)
                else:
                    self._last[name] = due
                done = Fired(name=name, due=due, fired_at=sent_at, result=result)
                fired.append(done)
                self.fired.append(done)
        return fired

    # --- the background poller of a local run ---
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="local-scheduler", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        next_reconcile = time.monotonic() + RECONCILE_INTERVAL_S
        while not self._stop.wait(self._interval):
            try:
                self.fire_due()
            except Exception:
                log.exception("local scheduler poll failed")
            if time.monotonic() >= next_reconcile:  # what the stack's rule does: the same handler, same payload
                next_reconcile = time.monotonic() + RECONCILE_INTERVAL_S
                try:
                    self._target(dict(RECONCILE))
                except Exception:
                    log.exception("reminder reconciler failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
