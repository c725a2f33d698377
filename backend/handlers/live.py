"""The live-updates Lambda: the Tasks and Notifications streams -> one ``Change`` per user on Redis pub/sub.

``handler``  DynamoDB stream batches of either table (the record's ``eventSourceARN`` says which). Tasks, projects,
             labels, comments, memberships of shared projects and inbox rows become changes
             (backend/services/live.py), on ``tm:changes:<user id>`` of every user who sees them (a shared project's:
             each member); every other item publishes nothing. A record whose publish fails is reported in
             ``batchItemFailures`` and retried by the event source mapping. Without ``LIVE_REDIS_URL`` the records are
             read and dropped.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.adapters.stream_records import item_write, table_of
from backend.bootstrap import change_bus, dependencies
from backend.domain.sharing import Moved
from backend.observability import logger, metrics, tracer
from backend.services import live as live_service
from backend.services.comments import display_names
from backend.services.tasks import user_clock

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(log_event=False)  # images hold task titles and notes
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    bus = change_bus()
    names = deps.settings.names
    clocks: dict[str, datetime] = {}  # a user's local time, read once per batch
    members: dict[str, list[str]] = {}  # a shared project's members, one Query of its M# rows per batch
    authors: dict[str, str] = {}  # a comment author's display name, one Users read per batch

    def moved_to(partition: str, task_id: str) -> Moved | None:
        """Whether a task's delete was its move: the tombstone the move left in the partition (1 GetItem)."""
        try:
            return deps.mover.moved(partition, task_id)
        except Exception:  # a read that fails (a missing grant, throttling): the delete goes out as it is
            logger.warning("moved task lookup failed: published as a delete", extra={"task_id": task_id})
            return None

    def members_of(project_id: str) -> list[str]:
        if project_id not in members:
            members[project_id] = [m.user_id for m in deps.memberships.list_members(project_id)]
        return members[project_id]

    def name_of(user_id: str) -> str:
        if user_id not in authors:
            authors.update(display_names(deps.users, [user_id]))
        return authors[user_id]

    def now_local(user_id: str) -> datetime:
        if user_id not in clocks:
            clocks[user_id] = user_clock(users=deps.users, user_id=user_id, now=deps.clock()).local_naive
        return clocks[user_id]

    def record_handler(record: DynamoDBRecord) -> None:
        raw = record.raw_event
        table = table_of(
            raw.get("eventSourceARN", ""), tasks_table=names.tasks_table, notifications_table=names.notifications_table
        )
        write = item_write(raw, table) if table else None
        if write is None or bus is None:
            return
        if write.member_id is not None:
            members.pop(write.id, None)  # the membership changed: read the members again
        sent = live_service.relay(
            [write], bus=bus, now_local=now_local, members_of=members_of, moved_to=moved_to, name_of=name_of
        )
        metrics.add_metric(name="LiveChangesPublished", unit=MetricUnit.Count, value=sent)
        if write.at:  # write -> published (whole seconds in AWS: ApproximateCreationDateTime is rounded down)
            metrics.add_metric(name="LiveLag", unit=MetricUnit.Seconds, value=max(time.time() - write.at, 0.0))

    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
