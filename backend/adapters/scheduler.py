"""EventBridge Scheduler: the reminders' schedules in one group, all targeting the reminders Lambda.

Names, expressions and payloads come from ``backend.domain.schedules``; this adapter only talks to the API.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Any

from botocore.exceptions import ClientError

from backend.domain import schedules

# What the Scheduler does when the Lambda invocation fails (throttled, error): retry, then give up (logged).
RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 5}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class SchedulerGateway:
    def __init__(self, *, client: Any, group: str, target_arn: str, role_arn: str) -> None:
        self._client = client
        self._group = group
        self._target_arn = target_arn
        self._role_arn = role_arn

    @property
    def group(self) -> str:
        return self._group

    def _target(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {
            "Arn": self._target_arn,
            "RoleArn": self._role_arn,
            "Input": json.dumps(payload, separators=(",", ":")),
            "RetryPolicy": RETRY_POLICY,
        }

    def _put(self, name: str, params: dict[str, Any]) -> None:
        """Create, or replace the schedule of that name (deterministic names: retries never duplicate)."""
        full = {"Name": name, "GroupName": self._group, "FlexibleTimeWindow": {"Mode": "OFF"}, **params}
        try:
            self._client.create_schedule(**full)
        except ClientError as exc:
            if _code(exc) != "ConflictException":
                raise
            self._client.update_schedule(**full)

    def put_one_time(self, name: str, instant: datetime, payload: dict[str, Any]) -> None:
        self._put(
            name,
            {
                "ScheduleExpression": schedules.at_expression(instant),
                "ScheduleExpressionTimezone": "UTC",
                "Target": self._target(payload),
                "ActionAfterCompletion": "DELETE",
                "State": "ENABLED",
            },
        )

    def put_daily(self, name: str, at: time, timezone: str, payload: dict[str, Any]) -> None:
        self._put(
            name,
            {
                "ScheduleExpression": schedules.daily_cron(at),
                "ScheduleExpressionTimezone": timezone,
                "Target": self._target(payload),
                "State": "ENABLED",
            },
        )

    def delete(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise

    def names(self, prefix: str) -> list[str]:
        found: list[str] = []
        kwargs: dict[str, Any] = {"GroupName": self._group, "NamePrefix": prefix}
        while True:
            page = self._client.list_schedules(**kwargs)
            found.extend(s["Name"] for s in page.get("Schedules", []))
            token = page.get("NextToken")
            if not token:
                return found
            kwargs["NextToken"] = token

    def get(self, name: str) -> dict[str, Any] | None:
        try:
            result: dict[str, Any] = self._client.get_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return None
            raise
        return result
