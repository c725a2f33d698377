"""AWS-side faults for tests: the emulator answers the next matching calls with an AWS error instead of moto's answer.

The API-side hooks (``hooks.py``) fault our own API; these fault the services behind it, so a test sees what the
real code path (botocore's retries, our adapters, the error mapping) does with a throttled DynamoDB, a failing SES or
SNS, or a Scheduler outage, without mocking boto3. A faulted call never reaches moto (nothing changes, nothing is
journaled), as when AWS refuses a request. Error bodies follow each service's protocol, so botocore parses them
into the same ``ClientError`` (and retries the same codes) as in AWS.
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_JSON_PROTOCOL = {"dynamodb": "com.amazonaws.dynamodb.v20120810#", "cognito-idp": "", "secretsmanager": ""}
_QUERY_PROTOCOL = {"ses", "sns", "email"}
_REASONS = {400: "Bad Request", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class Fault:
    service: str  # the signing name: dynamodb, ses (SES signs as "ses"), sns, scheduler, s3, cognito-idp...
    code: str  # the AWS error code botocore sees, e.g. ProvisionedThroughputExceededException
    status: int = 400
    operation: str | None = None  # X-Amz-Target / Action name, or for REST services the HTTP method
    remaining: int = 1
    hits: int = 0


def service_of(environ: dict[str, Any]) -> str:
    match = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return match.group(1) if match else ""


def operation_of(environ: dict[str, Any], body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return str(target.rpartition(".")[2])
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action") or parse_qs(
        body[:4096].decode("utf-8", "replace")
    ).get("Action")
    return action[0] if action else str(environ.get("REQUEST_METHOD", ""))


class AwsFaults:
    """The active faults of one emulator, and the WSGI layer that plays them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def inject(
        self, service: str, code: str, *, status: int = 400, operation: str | None = None, count: int = 1
    ) -> Fault:
        fault = Fault(service=service, code=code, status=status, operation=operation, remaining=count)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _take(self, environ: dict[str, Any]) -> tuple[Fault, str] | None:
        with self._lock:
            if not self._faults:
                return None
            service = service_of(environ)
            candidates = [f for f in self._faults if f.service == service and f.remaining > 0]
            if not candidates:
                return None
            body = _peek_body(environ)
            operation = operation_of(environ, body)
            for fault in candidates:
                if fault.operation in (None, operation):
                    fault.remaining -= 1
                    fault.hits += 1
                    return fault, service
        return None

    def wrap(self, app: WsgiApp) -> WsgiApp:
        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            taken = self._take(environ)
            if taken is None:
                return app(environ, start_response)
            fault, service = taken
            headers, body = _error(service, fault)
            status = f"{fault.status} {_REASONS.get(fault.status, 'Error')}"
            start_response(status, [*headers, ("Content-Length", str(len(body)))])
            return [body]

        return wsgi


def _peek_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _error(service: str, fault: Fault) -> tuple[list[tuple[str, str]], bytes]:
    message = f"injected fault: {fault.code}"
    if service in _JSON_PROTOCOL:
        body = json.dumps({"__type": _JSON_PROTOCOL[service] + fault.code, "message": message}).encode()
        return [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-ErrorType", fault.code)], body
    if service in _QUERY_PROTOCOL:
        kind = "Receiver" if fault.status >= 500 else "Sender"
        xml = (
            f"<ErrorResponse><Error><Type>{kind}</Type><Code>{fault.code}</Code><Message>{message}</Message></Error>"
            "<RequestId>injected</RequestId></ErrorResponse>"
        )
        return [("Content-Type", "text/xml")], xml.encode()
    if service == "s3":  # REST-XML: <Error> at the top (botocore reads its Code, as from AWS)
        xml = f"<Error><Code>{fault.code}</Code><Message>{message}</Message><RequestId>injected</RequestId></Error>"
        return [("Content-Type", "application/xml")], xml.encode()
    # REST-JSON (Scheduler) and the rest: the error type in a header, the message in the body.
    body = json.dumps({"Message": message}).encode()
    return [("Content-Type", "application/json"), ("x-amzn-ErrorType", fault.code)], body
