"""The embedded local AWS: one in-process moto server for DynamoDB, Cognito, S3, SES, SNS and Scheduler."""

from __future__ import annotations

import email
import email.message
import email.policy
import json
import logging
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends
from werkzeug.serving import BaseWSGIServer, make_server

from backend.local import persistence
from backend.local.cognito_gaps import CognitoGaps, IssuedCodes, PostConfirmation
from backend.local.s3_events import Deliver, S3Events

log = logging.getLogger(__name__)

OUTBOX_PATH = "/_local/outbox"
SNAPSHOT_INTERVAL_S = 2.0


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


class LocalAws:
    """Start/stop the emulator; with a ``data_dir`` its state survives restarts (snapshot file)."""

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
    ) -> None:
        self.host, self.port, self.region = host, port, region
        self._snapshot = data_dir / "aws-snapshot.pickle" if data_dir else None
        self._lock = threading.RLock()
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._threads: list[threading.Thread] = []
        self._sender = sender
        self._post_confirmation = post_confirmation
        self._object_created = object_created
        self.codes = IssuedCodes()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        # moto checks TOTP codes only with this switch (read on every call); AWS always checks them.
        os.environ["MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"] = "true"
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        if self._snapshot:
            persistence.private_dir(self._snapshot.parent)
            restored = persistence.load(self._snapshot)
            if isinstance(restored, IssuedCodes):
                self.codes = restored
        moto_app = DomainDispatcherApplication(create_backend_app)
        app: Callable[..., Iterable[bytes]] = CognitoGaps(
            moto_app,
            region=self.region,
            sender=self._sender,
            post_confirmation=self._post_confirmation,
            lock=self._lock,
            codes=self.codes,
        )
        if self._object_created is not None:
            bucket, deliver = self._object_created
            app = S3Events(app, bucket=bucket, region=self.region, deliver=deliver)
        self._server = make_server(
            self.host, self.port, self._with_outbox(app), threaded=True, request_handler=MotoRequestHandler
        )
        self._spawn(self._server.serve_forever)
        if self._snapshot:
            self._spawn(self._snapshot_loop)

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
            if environ.get("REQUEST_METHOD") != "GET":
                self._dirty.set()
            return app(environ, start_response)

        return wsgi

    def _snapshot_loop(self) -> None:
        while not self._stopping.wait(SNAPSHOT_INTERVAL_S):
            if self._dirty.is_set():
                self.save()

    def save(self) -> None:
        if not self._snapshot:
            return
        with self._lock:
            self._dirty.clear()
            try:
                persistence.save(self._snapshot, self.codes)
            except Exception:
                log.exception("could not snapshot local data")

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.save()
