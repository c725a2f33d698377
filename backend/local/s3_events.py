"""What S3 does and moto does not: ObjectCreated notifications to the attachment processor (one place).

moto stores a bucket's notification configuration but never delivers it (a Lambda target needs Docker). This
WSGI middleware sits in front of the emulator and, after a successful upload to the attachments bucket under the
staging prefix ``uploads/`` (browser form POST, PUT, or a completed multipart upload), builds the S3 event AWS would
send (with the new object's ``versionId``) and hands it to ``deliver`` on a background thread, so the upload's
answer is not delayed, as with S3's asynchronous notifications. The processor is the same handler AWS runs.

moto checks no POST policy and no signature of a form POST. In AWS a form outside ``uploads/`` cannot be signed (the
signing role may not write there); here such a form is refused with 403 AccessDenied, so a hand-made form cannot
write a checked file or a thumbnail locally either.

It also refuses presigned GETs of that bucket once their ``X-Amz-Expires`` has passed (403 AccessDenied, as S3
does; moto serves them forever), so a download link expires locally too.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, quote_plus, unquote

from backend.domain.attachments import STAGING_PREFIX

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Deliver = Callable[[dict[str, Any]], None]
Apply = Callable[..., Any]  # runs one named in-process change, journaled when the local data is durable

_FORM_KEY = re.compile(rb'name="key"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]*)\r\n')


def object_created_event(
    *, region: str, bucket: str, key: str, size: int, etag: str, kind: str, version_id: str | None = None
) -> dict[str, Any]:
    """An S3 event notification record, shaped as S3 sends it (the key URL-encoded; ``versionId`` if versioned)."""
    stored: dict[str, Any] = {
        "key": quote_plus(key, safe="/"),
        "size": size,
        "eTag": etag.strip('"'),
        **({"versionId": version_id} if version_id else {}),
        "sequencer": f"{time.time_ns():016X}",
    }
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "eventName": f"ObjectCreated:{kind}",
                "userIdentity": {"principalId": "local"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": secrets.token_hex(8), "x-amz-id-2": secrets.token_hex(16)},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "attachments-processor",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "local"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": stored,
                },
            }
        ]
    }


class S3Events:
    """WSGI middleware: every request passes through; successful uploads under ``users/`` also notify."""

    def __init__(
        self,
        app: WsgiApp,
        *,
        bucket: str,
        region: str,
        deliver: Deliver,
        pending: dict[str, dict[str, Any]] | None = None,
        apply: Apply | None = None,
    ) -> None:
        self._app = app
        self._bucket = bucket
        self._region = region
        self._deliver = deliver
        # Events not delivered yet, by id: kept with the local data, so an upload acknowledged just before a crash
        # is still processed after the restart (S3 delivers at least once; the processor is idempotent).
        self.pending = pending if pending is not None else {}
        self._apply: Apply = apply or (lambda name, *args: self.effects[name](*args))

    @property
    def effects(self) -> dict[str, Callable[..., Any]]:
        return {"s3.notification_pending": self.pending.__setitem__, "s3.notification_done": self._done}

    def _done(self, event_id: str) -> None:
        self.pending.pop(event_id, None)

    def redeliver(self) -> int:
        """Deliver the events a previous run acknowledged but did not finish (after a restart); returns how many."""
        waiting = list(self.pending.items())
        for event_id, event in waiting:
            self._spawn(event_id, event, str(event["Records"][0]["s3"]["object"]["key"]))
        return len(waiting)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self._expired_link(environ):
            return _access_denied(start_response, "Request has expired")
        upload = self._upload_of(environ)
        if upload is None:
            return self._app(environ, start_response)
        kind, key = upload
        if kind == "Post" and not key.startswith(STAGING_PREFIX):
            return _access_denied(start_response, "Invalid according to Policy: the key is not an upload key")
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = list(self._app(environ, capture))
        if str(captured.get("status", "")).startswith("2") and key.startswith(STAGING_PREFIX):
            etag = next((v for k, v in captured.get("headers", []) if k.lower() == "etag"), "")
            self._notify(kind, key, etag)
        return body

    def _expired_link(self, environ: dict[str, Any]) -> bool:
        if environ.get("REQUEST_METHOD") not in {"GET", "HEAD"}:
            return False
        if not environ.get("PATH_INFO", "").startswith(f"/{self._bucket}/"):
            return False
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            signed = datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            lifetime = int(query["X-Amz-Expires"][0])
        except (KeyError, ValueError, IndexError):
            return False
        return datetime.now(UTC).timestamp() > signed.timestamp() + lifetime

    def _upload_of(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """("Post" | "Put" | "CompleteMultipartUpload", key) for an upload to our bucket, else None."""
        method = environ.get("REQUEST_METHOD")
        path = environ.get("PATH_INFO", "")
        prefix = f"/{self._bucket}"
        if method not in {"POST", "PUT"} or not (path == prefix or path.startswith(prefix + "/")):
            return None
        key = unquote(path[len(prefix) + 1 :])
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if method == "PUT":
            if not key or query:  # ?partNumber, ?tagging, ?acl...: not a new object
                return None
            return ("Copy" if environ.get("HTTP_X_AMZ_COPY_SOURCE") else "Put"), key
        if key and "uploadId" in query:
            return "CompleteMultipartUpload", key
        if key or not environ.get("CONTENT_TYPE", "").startswith("multipart/form-data"):
            return None
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        match = _FORM_KEY.search(raw[:65536])  # the key field comes before the file (S3 requires it)
        return ("Post", match.group(1).decode("utf-8", "replace")) if match else None

    def _notify(self, kind: str, key: str, etag: str) -> None:
        size, stored_etag, version_id = self._stored(key)  # moto's form POST answers without ETag or version
        event = object_created_event(
            region=self._region,
            bucket=self._bucket,
            key=key,
            size=size,
            etag=stored_etag or etag,
            kind=kind,
            version_id=version_id,
        )
        event_id = secrets.token_hex(8)
        self._apply("s3.notification_pending", event_id, event)  # on disk before the upload is acknowledged
        self._spawn(event_id, event, key)

    def _spawn(self, event_id: str, event: dict[str, Any], key: str) -> None:
        def run() -> None:
            try:
                self._deliver(event)
            except Exception:
                # As in AWS: a failed invocation does not fail the upload (AWS would retry twice, then drop it).
                log.exception("attachment processor failed for %s", key)
            try:
                self._apply("s3.notification_done", event_id)
            except Exception:  # the journal broke meanwhile: the emulator already refuses every call, loudly
                log.exception("could not record the delivery of %s", key)

        threading.Thread(target=run, name="s3-object-created", daemon=True).start()

    def _stored(self, key: str) -> tuple[int, str, str | None]:
        """Size, ETag and version of the object just written (read from the emulator before anything else lands)."""
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        try:
            stored = s3_backends[DEFAULT_ACCOUNT_ID]["aws"].get_object(self._bucket, key)
        except Exception:
            return 0, "", None
        if stored is None:
            return 0, "", None
        version = str(stored.version_id) if stored.version_id not in (None, "null") else None
        return int(stored.size), str(stored.etag), version


def _access_denied(start_response: Callable[..., Any], message: str) -> list[bytes]:
    denied = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
        b"<Message>" + message.encode() + b"</Message></Error>"
    )
    start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(denied)))])
    return [denied]
