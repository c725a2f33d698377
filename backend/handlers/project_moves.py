"""The project-moves Lambda (issue 13): the SQS queue of project shares whose tasks move in the background.

A large personal project's first invitation writes the shared project and its owner's membership and answers; this
worker then moves the tasks (``services.sharing.finish_move`` -> ``task_store/rekey.py``), their reminders following
them. Each message names a target partition only; the move is resumable and idempotent, so a message delivered
twice, or retried after a crash midway, finishes the same move and changes nothing more. A failed message is
reported (``batchItemFailures``) and retried after the queue's visibility timeout, then goes to the dead letters.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.adapters.project_moves import target_of
from backend.bootstrap import dependencies
from backend.observability import logger, metrics, tracer
from backend.services import sharing

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context(log_event=False)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()

    def record_handler(record: SQSRecord) -> None:
        try:
            target = target_of(record.body)
        except ValueError:
            logger.error("project move message not understood: dropped", extra={"message_id": record.message_id})
            return
        moved = sharing.finish_move(target=target, mover=deps.mover)
        if moved is not None:
            metrics.add_metric(name="ProjectsMoved", unit=MetricUnit.Count, value=1)
        logger.info("project move done" if moved else "no project move pending", extra={"target": target})

    return dict(
        process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
    )
