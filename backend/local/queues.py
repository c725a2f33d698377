"""SQS -> Lambda, locally: what an SQS event source mapping does in AWS and moto does not (webhooks, issue 16).

moto stores the messages (EventBridge's rule puts the bus's events there; the delivery function sends its delayed
retries there) and honours ``DelaySeconds`` and visibility timeouts, but invokes nothing. ``QueuePump`` takes the
visible messages in-process (as ``StreamPump`` reads the streams: polling through the API every ``interval`` would
journal every ReceiveMessage, since a receive changes the queue), hands them to the handler as Lambda does
(``{"Records": [{"messageId", "receiptHandle", "body", "attributes", "eventSource", "eventSourceARN"}]}``, at most
``batch_size``), deletes what it did not report in ``batchItemFailures`` and leaves the failures to reappear after
the visibility timeout. A message received ``max_receives`` times goes to the dead-letter queue (the redrive policy
of the CDK's queue). Tests call ``drain()`` to deliver every visible message now.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sqs.models import sqs_backends

log = logging.getLogger(__name__)

Deliver = Callable[[dict[str, Any]], Any]
VISIBILITY_SECONDS = 30  # the CDK queue's: longer than the function's timeout


class QueuePump:
    def __init__(
        self,
        *,
        queue: str,
        dead_letter_queue: str,
        region: str,
        deliver: Deliver,
        batch_size: int = 5,
        interval: float = 0.05,
        max_receives: int = 5,
    ) -> None:
        self._queue, self._dead, self._region = queue, dead_letter_queue, region
        self._deliver, self._batch, self._interval, self._max_receives = deliver, batch_size, interval, max_receives
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivered = 0

    def _backend(self) -> Any:
        return sqs_backends[DEFAULT_ACCOUNT_ID][self._region]

    def _record(self, message: Any, arn: str) -> dict[str, Any]:
        return {
            "messageId": message.id,
            "receiptHandle": message.receipt_handle,
            "body": message.body,
            "attributes": {"ApproximateReceiveCount": str(message.approximate_receive_count)},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": arn,
            "awsRegion": self._region,
        }

    def poll(self) -> int:
        """Deliver one batch of the visible messages; how many were taken."""
        with self._lock:
            backend = self._backend()
            if self._queue not in backend.queues:
                return 0
            queue = backend.queues[self._queue]
            messages = backend.receive_message(self._queue, self._batch, 0, VISIBILITY_SECONDS)
            if not messages:
                return 0
            records = [self._record(m, queue.queue_arn) for m in messages]
            try:
                result = self._deliver({"Records": records})
                failed = {f.get("itemIdentifier") for f in ((result or {}).get("batchItemFailures") or [])}
            except Exception:
                log.exception("the %s queue handler failed on a whole batch", self._queue)
                failed = {m.id for m in messages}
            for message in messages:
                if message.id not in failed:
                    backend.delete_message(self._queue, message.receipt_handle)
                elif message.approximate_receive_count >= self._max_receives:
                    log.error("%s: message %s moved to the dead-letter queue", self._queue, message.id)
                    backend.send_message(self._dead, message.body)
                    backend.delete_message(self._queue, message.receipt_handle)
            self.delivered += len(messages)
            return len(messages)

    def drain(self) -> int:
        """Deliver every message visible now (and what handling them makes visible at once)."""
        total = 0
        while taken := self.poll():
            total += taken
        return total

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"queue-{self._queue}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                while self.poll() and not self._stop.is_set():
                    pass
            except Exception:
                log.exception("%s queue delivery failed", self._queue)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
