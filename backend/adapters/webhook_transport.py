"""How webhook events travel (issue 16): EventBridge (events), SQS (attempts), HTTP out (the POST itself).

``EventBridgePublisher``  the stream consumer's events onto the app's bus (``PutEvents``, 10 a call); a rule sends
                          them to the deliveries queue.
``SqsDeliveryQueue``      one message per attempt, delayed until it is due. SQS delays at most 15 minutes: a later
                          attempt's message carries ``not_before`` and is sent again with what remains when it comes
                          early (a few hops for the 12-hour waits). The dead-letter queue gets what gave up.
``HttpWebhookSender``     resolves the host, refuses it unless every address is public (``public_address``: private,
                          loopback, link-local and metadata ranges; loopback only where allowed), then connects to the
                          checked address itself - so a name re-pointed between the check and the connect (DNS
                          rebinding) cannot reach inside. TLS still verifies the certificate for the name (SNI and
                          hostname check against it). Redirects are not followed (a 3xx is a failed attempt): a
                          redirect could lead anywhere.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3

from backend.domain.webhooks import RESPONSE_EXCERPT, Attempt, Event, public_address

SOURCE = "taskmanager.tasks"  # the events' ``source`` on the bus (the rule matches it)
SQS_MAX_DELAY = 900
_PUT_EVENTS_BATCH = 10

Resolve = Callable[[str, int], list[str]]


def event_detail(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "partition": event.partition,
        "data": event.data,
    }


class EventBridgePublisher:
    def __init__(self, *, client: Any, bus_name: str) -> None:
        self._client, self._bus = client, bus_name

    def publish(self, events: Sequence[Event]) -> None:
        for start in range(0, len(events), _PUT_EVENTS_BATCH):
            entries = [
                {
                    "Source": SOURCE,
                    "DetailType": event.type,
                    "Detail": json.dumps(event_detail(event), default=str),
                    "EventBusName": self._bus,
                }
                for event in events[start : start + _PUT_EVENTS_BATCH]
            ]
            answer = self._client.put_events(Entries=entries)
            if answer.get("FailedEntryCount"):
                # the stream batch is retried (its records fail): the event ids stay the same
                raise RuntimeError(f"EventBridge refused {answer['FailedEntryCount']} of {len(entries)} events")


class SqsDeliveryQueue:
    def __init__(self, *, client: Any, queue_url: str, dead_letter_url: str) -> None:
        self._client, self._queue, self._dead = client, queue_url, dead_letter_url

    def schedule(self, message: dict[str, Any], *, delay_seconds: float) -> None:
        delay = min(SQS_MAX_DELAY, max(0, int(delay_seconds)))
        self._client.send_message(QueueUrl=self._queue, MessageBody=json.dumps(message), DelaySeconds=delay)

    def dead_letter(self, message: dict[str, Any]) -> None:
        self._client.send_message(QueueUrl=self._dead, MessageBody=json.dumps(message))


def resolve(host: str, port: int) -> list[str]:
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


class HttpWebhookSender:
    def __init__(self, *, allow_loopback: bool, timeout: float, resolver: Resolve = resolve) -> None:
        self._allow_loopback, self._timeout, self._resolve = allow_loopback, timeout, resolver

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        started = time.monotonic()
        parts = urlsplit(url)
        host = parts.hostname or ""
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        try:
            addresses = self._resolve(host, port)
        except (OSError, UnicodeError):
            return Attempt(None, "the host name does not resolve", time.monotonic() - started)
        if not addresses or not all(public_address(a, allow_loopback=self._allow_loopback) for a in addresses):
            # named, not shown: the owner learns the URL is refused, not what is inside our network
            return Attempt(None, "the host resolves to a private or reserved address", time.monotonic() - started)
        pinned = addresses[0]
        timeout = urllib3.Timeout(connect=min(5.0, self._timeout), read=self._timeout)
        pool: urllib3.HTTPConnectionPool
        if https:
            pool = urllib3.HTTPSConnectionPool(
                pinned,
                port,
                timeout=timeout,
                retries=False,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
                server_hostname=host,
                assert_hostname=host,
            )
        else:
            pool = urllib3.HTTPConnectionPool(pinned, port, timeout=timeout, retries=False)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        netloc = host if parts.port is None else f"{host}:{parts.port}"
        try:
            with pool:
                response = pool.urlopen(
                    "POST",
                    target,
                    body=body,
                    headers={**headers, "Host": netloc, "Content-Type": "application/json"},
                    redirect=False,
                    retries=False,
                    preload_content=False,
                    assert_same_host=False,
                )
                response.read(RESPONSE_EXCERPT)  # a little of it (a receiver's error text); the rest is dropped
                response.release_conn()
                return Attempt(response.status, "", time.monotonic() - started)
        except urllib3.exceptions.TimeoutError:
            return Attempt(None, "timed out", time.monotonic() - started)
        except urllib3.exceptions.HTTPError as exc:
            reason = type(getattr(exc, "reason", None) or exc).__name__
            return Attempt(None, f"connection failed ({reason})", time.monotonic() - started)
