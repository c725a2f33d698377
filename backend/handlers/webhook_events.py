"""The webhook events Lambda: the Tasks and Notifications streams -> the app's EventBridge bus (issue 16).

Each record that is a webhook event (``stream_records.webhook_event``: task created/updated/completed/deleted, comment
created, reminder fired) becomes one event on the bus, its id derived from the record's ``eventID`` (a retried batch
publishes the same ids). A rule sends them to the deliveries queue (``backend/handlers/webhooks.py``). A record whose
publish fails is reported in ``batchItemFailures`` and retried by the event source mapping.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.adapters.stream_records import table_of, webhook_event
from backend.bootstrap import dependencies, event_publisher
from backend.observability import logger, metrics, tracer
from backend.services import webhooks

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(log_event=False)  # images hold task titles and notes
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    names = deps.settings.names
    publisher = event_publisher()

    def record_handler(record: DynamoDBRecord) -> None:
        raw = record.raw_event
        table = table_of(
            raw.get("eventSourceARN", ""), tasks_table=names.tasks_table, notifications_table=names.notifications_table
        )
        source = webhook_event(raw, table) if table else None
        if source is None:
            return
        publisher.publish(webhooks.events_of([source], now=deps.clock()))
        metrics.add_metric(name="WebhookEventsPublished", unit=MetricUnit.Count, value=1)

    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
