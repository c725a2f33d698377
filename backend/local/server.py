"""The embedded local AWS: one in-process moto server for DynamoDB, Cognito, S3, SES, SNS and Scheduler."""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from werkzeug.serving import BaseWSGIServer, make_server

from backend.local.aws_faults import AwsFaults
from backend.local.cognito_gaps import CognitoGaps, IssuedCodes, PostConfirmation
from backend.local.durability import DurableState, ReplayReport
from backend.local.journal import JournalBroken
from backend.local.move_queue import LocalQueue
from backend.local.s3_events import Deliver, S3Events

log = logging.getLogger(__name__)

OUTBOX_PATH = "/_local/outbox"
# How often serve_forever looks for stop(): its default 0.5 s made every emulator take that long to stop.
SHUTDOWN_POLL_SECONDS = 0.05
STATE_DIR = "aws"  # under the data directory: snapshot, blobs, journal (durability.py)


def _rendered_mime(raw: str) -> dict[str, Any]:
    """Subject, plain-text body and HTML of a raw MIME email, as the outbox shows them."""
    parsed = email.message_from_string(raw, policy=email.policy.default)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    return {
        "subject": str(parsed.get("Subject", "")) or None,
        "body": text.get_content() if isinstance(text, email.message.EmailMessage) else raw,
        "html": html.get_content() if isinstance(html, email.message.EmailMessage) else None,
    }


def outbox_messages(region: str) -> list[dict[str, Any]]:
    """Everything SES and SNS "sent", oldest first within each channel (emails, then SMS)."""
    messages: list[dict[str, Any]] = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID][region].sent_messages:
        destinations = message.destinations
        to = (
            [a for addresses in destinations.values() for a in addresses]
            if isinstance(destinations, dict)
            else list(destinations)
        )
        body = str(getattr(message, "body", None) or getattr(message, "raw_data", ""))
        entry = {
            "id": message.id,
            "channel": "email",
            "to": to,
            "subject": getattr(message, "subject", None),
            "body": body,
            "html": body if "<" in body and "</" in body else None,
        }
        if getattr(message, "raw_data", None):
            entry.update(_rendered_mime(str(message.raw_data)))  # reminders send MIME (text + HTML parts)
        messages.append(entry)
    for message_id, sms in sns_backends[DEFAULT_ACCOUNT_ID][region].sms_messages.items():
        phone, text = sms[0], sms[1]
        messages.append({"id": message_id, "channel": "sms", "to": [phone], "subject": None, "body": text})
    return messages


@dataclass
class Beside:
    """What the emulator keeps beside moto's backends, in the same snapshot and journal."""

    codes: IssuedCodes = field(default_factory=IssuedCodes)
    notifications: dict[str, dict[str, Any]] = field(default_factory=dict)  # S3 events not delivered yet, by id
    queued: dict[str, str] = field(default_factory=dict)  # SQS messages not delivered yet, by id (queues.py)


class LocalAws:
    """Start/stop the emulator; with a ``data_dir`` every change it acknowledged survives a crash (durability.py)."""

    def __init__(
        self,
        *,
        port: int,
        region: str,
        sender: str,
        post_confirmation: PostConfirmation,
        data_dir: Path | None = None,
        host: str = "127.0.0.1",
        object_created: tuple[str, Deliver] | None = None,  # (attachments bucket, processor)
        queue: tuple[str, Deliver] | None = None,  # (the project-moves queue's name, its worker)
    ) -> None:
        self.host, self.port, self.region = host, port, region
        self._lock = threading.RLock()
        self.durable = (
            DurableState(data_dir / STATE_DIR, lock=self._lock, extra=lambda: self.beside) if data_dir else None
        )
        self.replayed: ReplayReport | None = None
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._sender = sender
        self._post_confirmation = post_confirmation
        self._object_created = object_created
        self._queue = queue
        self.queue: LocalQueue | None = None  # tests: ``queue.drain()``
        self.beside = Beside()
        self.faults = AwsFaults()  # tests: AWS errors in place of moto's answers (aws_faults.py)

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # moto checks TOTP codes only with this switch (read on every call); AWS always checks them.
        os.environ["MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"] = "true"
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self.durable:
            restored = self.durable.load()
            if isinstance(restored, Beside):
                self.beside = restored
            elif isinstance(restored, IssuedCodes):  # a snapshot from before issue 15 kept only the codes
                self.beside = Beside(codes=restored)
        moto_app: Callable[..., Iterable[bytes]] = DomainDispatcherApplication(create_backend_app)
        inner = self.durable.journaled(moto_app) if self.durable else moto_app
        gaps = CognitoGaps(
            inner,
            region=self.region,
            sender=self._sender,
            post_confirmation=self._post_confirmation,
            lock=self._lock,
            codes=self.beside.codes,
            apply=self.durable.effect if self.durable else None,
        )
        app: Callable[..., Iterable[bytes]] = gaps
        effects = gaps.effects
        events: S3Events | None = None
        if self._object_created is not None:
            bucket, deliver = self._object_created
            events = S3Events(
                app,
                bucket=bucket,
                region=self.region,
                deliver=deliver,
                pending=self.beside.notifications,
                apply=self.durable.effect if self.durable else None,
            )
            app, effects = events, {**effects, **events.effects}
        if self._queue is not None:
            if not hasattr(self.beside, "queued"):  # a snapshot from before the queue
                self.beside.queued = {}
            queue_name, worker = self._queue
            self.queue = LocalQueue(
                app,
                queue_name=queue_name,
                region=self.region,
                deliver=worker,
                pending=self.beside.queued,
                apply=self.durable.effect if self.durable else None,
            )
            app, effects = self.queue, {**effects, **self.queue.effects}
        if self.durable:
            # Before serving: a replay that fails raises ReplayError and the emulator never answers.
            self.replayed = self.durable.replay(moto_app, effects)
        app = self.faults.wrap(app)
        self._server = make_server(
            self.host, self.port, self._with_outbox(app), threaded=True, request_handler=MotoRequestHandler
        )
        self._spawn(partial(self._server.serve_forever, poll_interval=SHUTDOWN_POLL_SECONDS))
        if self.durable:
            self.durable.start()
        if events is not None:
            events.redeliver()  # uploads acknowledged before a crash whose processing had not finished
        if self.queue is not None:
            self.queue.redeliver()  # project moves queued before a crash whose delivery had not finished

    def _spawn(self, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _with_outbox(self, app: Callable[..., Iterable[bytes]]) -> Callable[..., Iterable[bytes]]:
        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == OUTBOX_PATH:
                with self._lock:
                    body = json.dumps(outbox_messages(self.region)).encode()
                start_response("200 OK", [("Content-Type", "application/json")])
                return [body]
            durable = self.durable
            if durable is None:
                return app(environ, start_response)
            if durable.broken:
                return _unavailable(start_response, durable.broken)
            try:
                answer = app(environ, start_response)
                durable.wait_for_disk()  # the answer leaves only once its changes are on disk
            except JournalBroken as error:
                log.critical("local data: %s; refusing every call from now on", error)
                return _unavailable(start_response, str(error), sys.exc_info())
            return answer

        return wsgi

    def save(self) -> None:
        """Fold the journal into a fresh snapshot now (stop does it too)."""
        if self.durable:
            self.durable.compact()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        if self.durable:
            self.durable.close()


def _unavailable(start_response: Callable[..., Any], reason: str, exc_info: Any = None) -> list[bytes]:
    """The emulator's answer once its journal failed: AWS's 500 shape, saying why (never a silent success)."""
    body = json.dumps({"__type": "InternalFailure", "message": f"local AWS cannot save changes: {reason}"}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(body)))]
    start_response("500 Internal Server Error", headers, exc_info) if exc_info else start_response(
        "500 Internal Server Error", headers
    )
    return [body]
