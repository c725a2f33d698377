"""Local-only test hooks of the local API Gateway (``backend/local/asgi.py``): a request log and fault injection.

- ``RequestLog``: a ring buffer of the last ``REQUEST_LOG_SIZE`` API requests served (seq, method, path, status,
  user), so a test or ``make bench`` counts the API calls one UI interaction makes.
- ``Faults``: rules that make the next ``count`` matching requests answer an error status in the API's error shape,
  or wait ``delay_ms`` before being served normally (a slow connection).

Both live in ``backend.local``, which is mounted only in a local run (``TMP_LOCAL_API``) and is not in the Lambda
asset (deploy/stacks/functions.py excludes ``backend/local``): nothing here can be reached in AWS.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from backend.api.openapi import API_PREFIX

REQUEST_LOG_SIZE = 5000
MAX_DELAY_MS = 60_000

# The error code an injected status answers with (as the API or API Gateway would say it).
_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    413: "too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}


def route_of(path: str) -> str:
    """``/api/tasks/x`` → ``/tasks/x``: paths are logged and matched without the API prefix."""
    route = path.removeprefix(API_PREFIX) if path.startswith(API_PREFIX) else path
    return route if route.startswith("/") else f"/{route}"


# --- the request log -----------------------------------------------------------------------------------------------
@dataclass
class RequestLog:
    """The last ``size`` API requests served; ``seq`` numbers them from 1, in the order their answers were sent."""

    size: int = REQUEST_LOG_SIZE
    _entries: deque[dict[str, Any]] = field(init=False)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._entries = deque(maxlen=self.size)

    def record(self, *, method: str, path: str, status: int, user: str | None) -> int:
        with self._lock:
            self._seq += 1
            entry: dict[str, Any] = {"seq": self._seq, "method": method, "path": route_of(path), "status": status}
            if user is not None:
                entry["user"] = user
            self._entries.append(entry)
            return self._seq

    @property
    def last_seq(self) -> int:
        with self._lock:
            return self._seq

    def since(self, seq: int, *, user: str | None = None) -> list[dict[str, Any]]:
        """The requests after ``seq`` (oldest first), of ``user`` only if given."""
        with self._lock:
            entries = [dict(entry) for entry in self._entries if entry["seq"] > seq]
        if user is not None:
            entries = [entry for entry in entries if entry.get("user") == user]
        return entries


# --- fault injection -----------------------------------------------------------------------------------------------
def path_pattern(pattern: str) -> re.Pattern[str]:
    """A path pattern: ``*`` is one segment (``/tasks/*/complete``); a trailing ``/**`` matches any rest, so
    ``/tasks/**`` is every path under ``/tasks/`` and ``/tasks`` itself; otherwise the whole path must match.
    A pattern may name the path with or without the ``/api`` prefix; the query string is never part of it."""
    route = route_of(pattern.strip())
    prefix = route.endswith("/**")
    segments = (route[: -len("/**")] if prefix else route).split("/")
    body = "/".join("[^/]+" if segment == "*" else re.escape(segment) for segment in segments)
    return re.compile(body + ("(?:/.*)?" if prefix else "") + r"\Z")


class FaultIn(BaseModel):
    """A fault rule, as ``POST /api/local/faults`` takes it."""

    model_config = ConfigDict(extra="forbid")

    method: str = "*"
    path: Annotated[str, Field(min_length=1, max_length=500)]
    status: Annotated[int, Field(ge=400, le=599)] | None = None
    count: Annotated[int, Field(ge=1, le=10_000)] = 1
    delay_ms: Annotated[int, Field(ge=0, le=MAX_DELAY_MS)] = 0
    user: str | None = None  # only this caller's requests (the token's ``sub``), so parallel tests keep apart
    code: str | None = None  # the error code (default: from the status)
    message: str = "Injected fault (local test hook)."

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


@dataclass
class Fault:
    id: int
    rule: FaultIn
    pattern: re.Pattern[str]
    remaining: int

    def matches(self, method: str, route: str, user: str | None) -> bool:
        if self.rule.method not in ("*", method):
            return False
        if self.rule.user is not None and self.rule.user != user:
            return False
        return self.pattern.match(route) is not None

    def public(self) -> dict[str, Any]:
        return {"id": self.id, **self.rule.model_dump(), "remaining": self.remaining}


@dataclass(frozen=True)
class Injection:
    """What one request gets: a wait first, then (if ``status``) an error answer instead of the API's."""

    delay_ms: int
    status: int | None
    code: str
    message: str


@dataclass
class Faults:
    _faults: list[Fault] = field(default_factory=list)
    _next_id: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: FaultIn) -> dict[str, Any]:
        with self._lock:
            fault = Fault(id=self._next_id, rule=rule, pattern=path_pattern(rule.path), remaining=rule.count)
            self._next_id += 1
            self._faults.append(fault)
            return fault.public()

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.public() for fault in self._faults]

    def take(self, method: str, path: str, user: str | None) -> Injection | None:
        """The first rule matching this request, spent once (a rule is gone after ``count`` requests)."""
        route = route_of(path)
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, route, user):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    rule = fault.rule
                    code = rule.code or _CODES.get(rule.status or 0, "injected_fault")
                    return Injection(delay_ms=rule.delay_ms, status=rule.status, code=code, message=rule.message)
        return None
