"""Webhooks (issue 16): the events, the signature, the retry schedule and which URLs may be called. Pure.

A delivery is a JSON POST of one event (``{"id", "type", "created_at", "data"}``) whose ``id`` stays the same across
every attempt and re-send, signed ``X-TaskManager-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` with the
webhook's secret. A non-2xx answer or a timeout is tried again after ``RETRY_SCHEDULE[n]`` seconds (the first
retry within 60 s, the sum past 24 hours); after the last one the delivery is dead-lettered.

Where a delivery may go (SSRF): only ``https`` URLs whose host is a public address. A name is checked when the
webhook is made (no IP literal of a private range, no ``localhost``/metadata names) and its resolved addresses
again at every attempt (``public_address``), so a name re-pointed at a private address (DNS rebinding) is refused
when it is called. Locally (``allow_loopback``, never in AWS) plain ``http`` to a loopback address is allowed so a
receiver on this machine can be tested.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlsplit

EventType = Literal[
    "task.created", "task.updated", "task.completed", "task.deleted", "reminder.fired", "comment.created"
]
EVENT_TYPES: tuple[EventType, ...] = (
    "task.created",
    "task.updated",
    "task.completed",
    "task.deleted",
    "reminder.fired",
    "comment.created",
)
MAX_WEBHOOKS_PER_USER = 10
MAX_URL_CHARS = 2000
SIGNATURE_HEADER = "X-TaskManager-Signature"
EVENT_HEADER = "X-TaskManager-Event"
EVENT_ID_HEADER = "X-TaskManager-Event-Id"
DELIVERY_HEADER = "X-TaskManager-Delivery"
# Seconds to wait before retry n (1-based index into the tuple): 30 s, then doubling, capped at 12 h; 13 attempts
# over ~40 h. The first retry is within 60 s; the last is past 24 h.
RETRY_SCHEDULE: tuple[float, ...] = (30, 60, 120, 300, 900, 1800, 3600, 7200, 14400, 28800, 43200, 43200)
TIMEOUT_SECONDS = 10.0
RESPONSE_EXCERPT = 200  # characters of a receiver's answer kept on the delivery (what it said, for the owner)

Outcome = Literal["pending", "succeeded", "failed", "dead"]

# Host names that always point inside (cloud metadata services, this machine); their addresses are refused anyway,
# the names are refused first so the error is clear.
_INSIDE_NAMES = ("localhost", "metadata.google.internal", "metadata", "instance-data")
_INSIDE_SUFFIXES = (".localhost", ".internal", ".local", ".localdomain", ".home.arpa")


class UnsafeUrlError(ValueError):
    """A URL a webhook may not call (the message says why; it names no resolved address)."""


def sign(secret: str, body: bytes) -> str:
    """The value of ``X-TaskManager-Signature`` for ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str) -> bool:
    """What a receiver does (shown in the API docs; the tests use it)."""
    return hmac.compare_digest(sign(secret, body), signature)


def retry_delay(attempts: int, schedule: Sequence[float] = RETRY_SCHEDULE) -> float | None:
    """Seconds until the next attempt after ``attempts`` failed ones; None: no attempt left (dead-letter)."""
    return float(schedule[attempts - 1]) if 1 <= attempts <= len(schedule) else None


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def event_id(source_id: str) -> str:
    """A stable event id from the id of what caused it (a stream record's ``eventID``): the same event read twice
    (a stream batch retried) has the same id, so a receiver can drop the duplicate."""
    return "evt_" + hashlib.sha256(source_id.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Event:
    """One event as delivered. ``partition`` says whose it is (a user's sub, or ``P#<project>``); not sent."""

    id: str
    type: EventType
    created_at: datetime
    partition: str
    data: dict[str, Any]

    def body(self) -> bytes:
        """The exact bytes POSTed (stored with the delivery, so every attempt signs the same bytes)."""
        document = {"id": self.id, "type": self.type, "created_at": self.created_at.isoformat(), "data": self.data}
        return json.dumps(document, separators=(",", ":"), sort_keys=True, default=str).encode()


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:169.254.169.254 is the metadata service too
    return address


def public_address(address: str, *, allow_loopback: bool = False) -> bool:
    """Whether a resolved address may be called: a global unicast address (no private, loopback, link-local —
    169.254.169.254 and fd00:ec2::254, the metadata services, included —, shared, reserved or multicast range);
    loopback too when ``allow_loopback`` (local runs only)."""
    ip = _address(address)
    if ip is None:
        return False
    if ip.is_loopback:
        return allow_loopback
    return ip.is_global and not ip.is_multicast


def check_url(url: str, *, allow_loopback: bool = False) -> str:
    """The URL to store, or ``UnsafeUrlError``: https (http only to loopback when allowed), a host, no user:password,
    no IP literal or name that is not public."""
    if len(url) > MAX_URL_CHARS:
        raise UnsafeUrlError(f"must be at most {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError("is not a valid URL") from exc
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme not in ("https", "http") or not host:
        raise UnsafeUrlError("must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("must not contain a user name or password")
    if port == 0:
        raise UnsafeUrlError("has an invalid port")
    ip = _address(host)
    loopback = (ip is not None and ip.is_loopback) or host == "localhost"
    if parts.scheme == "http" and not (allow_loopback and loopback):
        raise UnsafeUrlError("must be an https:// URL")
    if loopback:
        if not allow_loopback:
            raise UnsafeUrlError("must not point at this machine (loopback)")
    elif ip is not None:
        if not public_address(host):
            raise UnsafeUrlError("must not point at a private, link-local or reserved address")
    elif host in _INSIDE_NAMES or host.endswith(_INSIDE_SUFFIXES) or "." not in host:
        raise UnsafeUrlError("must name a public host")
    return parts.geturl()


@dataclass(frozen=True)
class Webhook:
    """A subscription. The secret is never here: only its ciphertext, which the delivery function alone can open."""

    id: str
    user_id: str
    url: str
    events: tuple[EventType, ...]
    created_at: datetime
    secret_ciphertext: bytes = b""


@dataclass(frozen=True)
class Delivery:
    """One event to one webhook, with where its attempts stand."""

    id: str
    webhook_id: str
    user_id: str  # the webhook's owner
    event_id: str
    event_type: EventType
    partition: str  # whose event it was: re-checked before every attempt (a removed member gets nothing more)
    body: bytes
    created_at: datetime
    outcome: Outcome = "pending"
    attempts: int = 0
    status_code: int | None = None  # the receiver's last answer (None: no answer, e.g. a timeout)
    error: str = ""  # why the last attempt failed, when it was not an answer (timeout, refused address...)
    next_attempt_at: datetime | None = None
    last_attempt_at: datetime | None = None
    redelivery_of: str | None = None  # a re-send: the delivery it repeats


@dataclass(frozen=True)
class Attempt:
    """What one POST came to: the status (None without an answer), an error text, how long it took."""

    status_code: int | None
    error: str = ""
    seconds: float = 0.0
