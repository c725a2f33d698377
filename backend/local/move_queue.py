"""SQS -> Lambda, locally, for the project-moves queue (issue 13): what the event source mapping does in AWS.

The app sends a message with boto3 (``SendMessage``, JSON protocol) to the queue URL of its settings; this WSGI
middleware in front of the emulator answers it as SQS does (``MessageId``, ``MD5OfMessageBody``: botocore checks
it), keeps the message as pending (an in-process change of the emulator, journaled when the local data is durable,
like the S3 notifications of ``s3_events.py``), and hands it to the worker on a background thread as the Lambda
service would (``{"Records": [<an SQS record>]}``). A failed delivery (an exception, or the record in
``batchItemFailures``) is tried again after ``retry_delay`` seconds with its ``ApproximateReceiveCount`` one higher,
up to ``max_receives`` times (the queue's redrive policy), then set aside in ``dead_letters`` and logged. A message
acknowledged before a crash whose delivery had not finished is delivered again after the restart (``redeliver``):
at least once, as SQS; the worker is idempotent.

moto's own SQS (``queues.py``'s way, for the webhooks) is not used here: its queues hold thread conditions that the
local snapshot does not pickle, and a pending share must survive a restart of ``make run``: this queue's messages are
kept with the rest of the durable state (the same in-process changes as the S3 notifications).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from backend.local.durability import _read_body

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Deliver = Callable[[dict[str, Any]], Any]
Apply = Callable[..., Any]  # runs one named in-process change, journaled when the local data is durable

SEND_MESSAGE = "AmazonSQS.SendMessage"
ACCOUNT = "123456789012"


def queue_url(endpoint: str, queue_name: str) -> str:
    return f"{endpoint.rstrip('/')}/{ACCOUNT}/{queue_name}"


def sqs_record(message_id: str, body: str, *, queue_arn: str, region: str, receives: int) -> dict[str, Any]:
    """One record of an SQS event, shaped as Lambda's event source mapping sends it."""
    return {
        "messageId": message_id,
        "receiptHandle": f"local-{message_id}-{receives}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receives),
            "SentTimestamp": str(int(time.time() * 1000)),
            "SenderId": "local",
            "ApproximateFirstReceiveTimestamp": str(int(time.time() * 1000)),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class LocalQueue:
    """WSGI middleware: ``SendMessage`` to the queue named ``queue_name`` is answered here and delivered."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        queue_name: str,
        region: str,
        deliver: Deliver,
        pending: dict[str, str] | None = None,
        apply: Apply | None = None,
        max_receives: int = 5,
        retry_delay: float = 1.0,
    ) -> None:
        self._app = app
        self._queue_name = queue_name
        self._region = region
        self._deliver = deliver
        self.pending = pending if pending is not None else {}  # message id -> body, until delivered
        self._apply: Apply = apply or (lambda name, *args: self.effects[name](*args))
        self._max_receives = max_receives
        self._retry_delay = retry_delay
        self.dead_letters: list[str] = []  # bodies given up on (logged); the move they name stays pending
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()
        self._open = threading.Event()  # cleared while ``paused``
        self._open.set()

    @property
    def queue_arn(self) -> str:
        return f"arn:aws:sqs:{self._region}:{ACCOUNT}:{self._queue_name}"

    @property
    def effects(self) -> dict[str, Callable[..., Any]]:
        return {"sqs.message_pending": self.pending.__setitem__, "sqs.message_done": self._done}

    def _done(self, message_id: str) -> None:
        self.pending.pop(message_id, None)

    def redeliver(self) -> int:
        """Deliver the messages a previous run acknowledged but did not finish (after a restart); how many."""
        waiting = list(self.pending.items())
        for message_id, body in waiting:
            self._spawn(message_id, body)
        return len(waiting)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Messages sent inside are accepted but delivered only after it (tests look at a move still pending)."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def drain(self, timeout: float = 60.0) -> None:
        """Wait until every message sent so far was delivered (or set aside): tests that must not poll."""
        deadline = time.monotonic() + timeout
        while True:
            with self._threads_lock:
                running = [t for t in self._threads if t.is_alive()]
                self._threads = running
            if not running:
                return
            running[0].join(timeout=max(deadline - time.monotonic(), 0))
            if time.monotonic() >= deadline:
                raise TimeoutError("the local queue did not drain")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_X_AMZ_TARGET") != SEND_MESSAGE:
            return self._app(environ, start_response)
        raw = _read_body(environ)
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            return self._app(environ, start_response)
        if not str(request.get("QueueUrl", "")).endswith(f"/{self._queue_name}"):
            return self._app(environ, start_response)
        body = str(request.get("MessageBody", ""))
        message_id = str(uuid.uuid4())
        self._apply("sqs.message_pending", message_id, body)  # on disk before the send is acknowledged
        self._spawn(message_id, body)
        answer = json.dumps(
            {"MessageId": message_id, "MD5OfMessageBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest()}
        ).encode()
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(answer)))])
        return [answer]

    def _spawn(self, message_id: str, body: str) -> None:
        thread = threading.Thread(target=self._run, args=(message_id, body), name="local-sqs-delivery", daemon=True)
        with self._threads_lock:
            self._threads.append(thread)
        thread.start()

    def _run(self, message_id: str, body: str) -> None:
        self._open.wait()
        for receives in range(1, self._max_receives + 1):
            if self._delivered(message_id, body, receives):
                break
            if receives < self._max_receives:
                time.sleep(self._retry_delay)  # the visibility timeout, shortened
        else:
            log.error("%s: message %s set aside after %d receives", self._queue_name, message_id, self._max_receives)
            self.dead_letters.append(body)
        try:
            self._apply("sqs.message_done", message_id)
        except Exception:  # the journal broke meanwhile: the emulator already refuses every call, loudly
            log.exception("could not record the delivery of %s", message_id)

    def _delivered(self, message_id: str, body: str, receives: int) -> bool:
        record = sqs_record(message_id, body, queue_arn=self.queue_arn, region=self._region, receives=receives)
        try:
            result = self._deliver({"Records": [record]})
        except Exception:
            log.exception("%s: the worker failed on message %s", self._queue_name, message_id)
            return False
        failures = (result or {}).get("batchItemFailures") or []
        return not any(f.get("itemIdentifier") == message_id for f in failures)
