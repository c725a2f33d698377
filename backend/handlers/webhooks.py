"""The webhook deliveries Lambda: the deliveries queue (SQS) -> signed POSTs to the subscribers (issue 16).

A message is either an event from the bus (the rule's target: EventBridge's envelope, ``detail`` our event), fanned
out to the webhooks of everyone who may see it, each attempted once; or one attempt of one delivery (queued by a
failed attempt, delayed until due, or by a re-send). What a message fails on (an AWS error) is reported in
``batchItemFailures``: SQS delivers it again, and after ``maxReceiveCount`` moves it to the dead-letter queue.
Receivers failing are no error here: that is the retry schedule's business (``services/webhooks.py``).
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.bootstrap import webhook_delivery_ports
from backend.config import WEBHOOKS, get_settings
from backend.domain.webhooks import Delivery
from backend.observability import logger, metrics, tracer
from backend.services import webhooks

MAX_PARALLEL = 10  # the records of one batch are handled at once: one slow receiver (10 s) delays no other


def _handle(body: str, ports: webhooks.DeliveryPorts) -> list[Delivery]:
    message = json.loads(body)
    if "detail" in message and "detail-type" in message:
        return webhooks.fan_out(webhooks.event_from_detail(message["detail"]), ports=ports)
    handled = webhooks.handle_message(message, ports=ports)
    return [handled] if handled is not None else []


def _measure(delivery: Delivery) -> None:
    if delivery.last_attempt_at is None:
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
    records = list(event.get("Records") or [])
    failures: list[dict[str, str]] = []
    workers = max(1, min(MAX_PARALLEL, len(records)))
    # named after the caller (locally the queue pump's thread, which call-counting tests leave out)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=threading.current_thread().name) as pool:
        # Each record on its own thread: a record's sub-second wait for its due time or a slow receiver holds up
        # no other record of the batch (Powertools' batch processor would take them one after the other).
        futures = [(record, pool.submit(_handle, str(record.get("body") or "{}"), ports)) for record in records]
        for record, future in futures:
            try:
                for delivery in future.result():
                    _measure(delivery)
            except Exception:
                logger.exception("webhook message failed", extra={"message_id": record.get("messageId")})
                failures.append({"itemIdentifier": str(record.get("messageId"))})
    return {"batchItemFailures": failures}
