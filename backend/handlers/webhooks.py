"""The webhook deliveries Lambda: the deliveries queue (SQS) -> signed POSTs to the subscribers (issue 16).

A message is either an event from the bus (the rule's target: EventBridge's envelope, ``detail`` our event), fanned
out to the webhooks of everyone who may see it, each attempted once; or one attempt of one delivery (queued by a
failed attempt, delayed until due, or by a re-send). What a message fails on (an AWS error) is reported in
``batchItemFailures``: SQS delivers it again, and after ``maxReceiveCount`` moves it to the dead-letter queue.
Receivers failing are no error here: that is the retry schedule's business (``services/webhooks.py``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.bootstrap import webhook_delivery_ports
from backend.config import WEBHOOKS, get_settings
from backend.domain.webhooks import Delivery
from backend.observability import logger, metrics, tracer
from backend.services import webhooks

processor = BatchProcessor(event_type=EventType.SQS)


def _measure(delivery: Delivery | None) -> None:
    if delivery is None or delivery.last_attempt_at is None:
        return
    metrics.add_metric(name=f"WebhookAttempts_{delivery.outcome}", unit=MetricUnit.Count, value=1)
    if delivery.attempts == 1:  # event -> first attempt made
        lag = max(time.time() - delivery.created_at.timestamp(), 0.0)
        metrics.add_metric(name="WebhookFirstAttemptLag", unit=MetricUnit.Seconds, value=lag)


@logger.inject_lambda_context(log_event=False)  # bodies hold task titles and notes
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    get_settings().require(*WEBHOOKS)
    ports = webhook_delivery_ports()

    def record_handler(record: SQSRecord) -> None:
        message = json.loads(record.body)
        if "detail" in message and "detail-type" in message:
            for delivery in webhooks.fan_out(webhooks.event_from_detail(message["detail"]), ports=ports):
                _measure(delivery)
        else:
            _measure(webhooks.handle_message(message, ports=ports))

    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
