"""The analytics Lambda: the Tasks table's stream -> per-user aggregates, and the daily repair.

``handler``            DynamoDB stream batches (NEW_AND_OLD_IMAGES). Records of items other than tasks (aggregates,
                       projects, labels, links, the activity list) are ignored. Partial batch failures are reported
                       (``batchItemFailures``); applying a record twice or late changes nothing.
``recompute_handler``  scheduled repair, from the tasks themselves (Queries, never a Scan). The event names either
                       one user ``{"user_id": "<sub>"}`` or a day's work list ``{"day": "YYYY-MM-DD", "cursor": ...,
                       "limit": 100}`` (``day`` defaults to yesterday, UTC). Pages until the list ends or less than 10 s
                       of the invocation are left; then hands the rest to a new asynchronous invocation of itself
                       (the same alias, the event with the cursor and ``hop`` + 1; at most ``MAX_HOPS`` in a chain).
                       Answers ``{"day", "recomputed", "cursor", "continued"}``.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend import aws
from backend.adapters.stream_records import task_record
from backend.bootstrap import aggregates_store, dependencies
from backend.domain.sharing import is_project_partition
from backend.observability import logger, metrics, tracer
from backend.services import stats as stats_service
from backend.services.tasks import user_clock

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
SAFETY_MS = 10_000  # stop paging with this much of the invocation left
MAX_HOPS = 50  # a day's work list ends within this many chained invocations (a bug cannot loop forever)


def task_change(raw: dict[str, Any]) -> stats_service.TaskChange | None:
    """The task write a stream record describes, or None for any other item of the table."""
    record = task_record(raw)
    if record is None:
        return None
    return stats_service.TaskChange(
        user_id=record.user_id, task_id=record.task_id, version=record.version, task=record.task
    )


@logger.inject_lambda_context(log_event=False)  # images hold task titles and notes
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    store = aggregates_store()
    zones: dict[str, ZoneInfo] = {}
    active: set[str] = set()

    def zone_of(user_id: str) -> ZoneInfo:  # a user's time zone, read once per batch
        if user_id not in zones:
            zones[user_id] = user_clock(users=deps.users, user_id=user_id, now=deps.clock()).tz
        return zones[user_id]

    def moved_version(partition: str, task_id: str) -> int | None:
        found = deps.mover.moved(partition, task_id)
        return found.version if found is not None else None

    def record_handler(record: DynamoDBRecord) -> None:
        change = task_change(record.raw_event)
        if change is None:
            return
        shared = is_project_partition(change.user_id)
        applied = stats_service.apply_change(
            store=store,
            change=change,
            tz=ZoneInfo("UTC") if shared else zone_of(change.user_id),
            zone_of=zone_of,
            moved_version=moved_version,
        )
        if shared and change.task is not None:  # the members whose aggregates it changed (the repair's work list)
            task = change.task
            active.update(u for u in (task.created_by, task.completed_by, task.assignee_id) if u)
        elif not shared:
            active.add(change.user_id)
        if applied.created and change.task is not None:
            metrics.add_metric(name="TasksCreated", unit=MetricUnit.Count, value=1)
        if applied.completions:
            metrics.add_metric(name="TasksCompleted", unit=MetricUnit.Count, value=applied.completions)

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    if active:
        store.mark_active(active, stats_service.activity_day(deps.clock()))
    return dict(response)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def recompute_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    store = aggregates_store()

    def repair(user_id: str) -> None:
        stats_service.recompute_user(tasks=deps.tasks, store=store, users=deps.users, user_id=user_id, now=deps.clock())

    if event.get("user_id"):
        repair(str(event["user_id"]))
        return {"day": None, "recomputed": 1, "cursor": None}
    day = (
        date.fromisoformat(event["day"])
        if event.get("day")
        else stats_service.activity_day(deps.clock()) - timedelta(days=1)
    )
    cursor: str | None = event.get("cursor")
    limit = int(event.get("limit", 100))
    hop = int(event.get("hop", 0))
    done = 0
    while True:
        users, cursor = store.active_users(day, cursor=cursor, limit=limit)
        for user_id in users:
            repair(user_id)
        done += len(users)
        if cursor is None or context.get_remaining_time_in_millis() < SAFETY_MS:
            break
    continued = cursor is not None and hop < MAX_HOPS
    if continued:
        rest = {"day": day.isoformat(), "cursor": cursor, "limit": limit, "hop": hop + 1}
        continue_later(context.invoked_function_arn, rest)
    elif cursor is not None:
        logger.error("recompute chain too long: the rest of the day's list is left", extra={"hop": hop})
    logger.info("aggregates repaired", extra={"day": day.isoformat(), "users": done, "continued": continued})
    return {"day": day.isoformat(), "recomputed": done, "cursor": cursor, "continued": continued}


def continue_later(function_arn: str, event: dict[str, Any]) -> None:
    """A new asynchronous invocation of this function (its ARN as invoked: the same alias and version)."""
    aws.client("lambda").invoke(FunctionName=function_arn, InvocationType="Event", Payload=json.dumps(event).encode())
