"""Publishes live-update ``Change`` messages on Redis pub/sub (ElastiCache in AWS, fakeredis' TCP server locally).

One message per user on ``tm:changes:<user id>`` (JSON of ``Change``). A synchronous redis-py client, created on
the first publish and reused by every later invocation of the process; a PING first when it sat idle (a thawed
Lambda's socket may be gone), a couple of quick retries on a dropped connection, then the error goes up: the
stream record is retried by the event source mapping. The AUTH token comes from ``password`` (in AWS: Secrets
Manager through Powertools Parameters), read when the client is made and again after an authentication failure
(a rotated token): it is never in the environment, the URL or a log line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from backend.schemas_live import Change, channel

PasswordSource = Callable[[bool], str | None]  # force_fetch -> token (None: no AUTH)


class RedisChangeBus:
    def __init__(self, *, url: str, password: PasswordSource | None = None, timeout: float = 2.0) -> None:
        self._url, self._password, self._timeout = url, password, timeout
        self._client: redis.Redis | None = None
        self._lock = threading.Lock()
        self._stale_token = False

    def _redis(self) -> redis.Redis:
        with self._lock:
            if self._client is None:
                token = self._password(self._stale_token) if self._password else None
                self._client = redis.Redis.from_url(
                    self._url,
                    password=token,
                    socket_connect_timeout=self._timeout,
                    socket_timeout=self._timeout,
                    health_check_interval=30,
                    retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
                )
                self._stale_token = False
            return self._client

    def publish(self, change: Change) -> int:
        """Send ``change`` on its user's channel; how many subscribers (Reflex processes) received it."""
        client = self._redis()
        try:
            receivers: int = client.publish(channel(change.user_id), change.model_dump_json())  # type: ignore[assignment]
            return receivers
        except redis.AuthenticationError:
            self.close(stale_token=True)  # read the token again for the next attempt
            raise

    def close(self, *, stale_token: bool = False) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._stale_token = self._stale_token or stale_token
