"""Live updates for the Reflex backend: every ``Change`` published for any user, as an async iterator.

The publisher (the live Lambda on the Tasks and Notifications streams) sends one JSON ``Change`` per write and per
user on ``tm:changes:<user id>``. ``changes()`` subscribes to the pattern ``tm:changes:*``: this process receives
the changes of every user and keeps those of the sessions it serves (simple, and every process can serve any
session; the cost is that each Reflex task decodes every message: fine for thousands of changes a second, and the
point to revisit is per-user SUBSCRIBE as sessions connect). The connection is kept up: a dropped Redis (restart,
failover, network) is logged and retried with backoff, never raised to the caller; changes published while it is
down are lost (pub/sub keeps nothing), so a screen should reload what it shows once the feed is back.

    url = live_url()           # None: live updates are off
    if url:
        async for change in changes(url):
            ...                # change.user_id says whose screens it is for
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from backend.client.settings import ClientSettings
from backend.schemas_live import CHANNEL_PATTERN, Change, ChangeKind, ChangeOp, channel

__all__ = ["CHANNEL_PATTERN", "Change", "ChangeKind", "ChangeOp", "changes", "channel", "live_url"]

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS = 0.2, 5.0
POLL_SECONDS = 1.0  # how long one read waits for a message before the loop checks the connection's health
HEALTH_CHECK_SECONDS = 10  # a PING on an idle subscription this often: a dead connection shows within seconds


def live_url() -> str | None:
    """The Redis URL of the live updates (``LIVE_REDIS_URL``, without credentials), or None when they are off."""
    return ClientSettings().live_redis_url or None


def _where(url: str) -> str:
    """host:port of ``url``, for log lines (never the credentials)."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}"


async def changes(url: str | None = None) -> AsyncGenerator[Change, None]:
    """Every change published for any user, in order, for as long as the caller iterates.

    ``url`` defaults to :func:`live_url`; without one the iterator ends at once. The AUTH token, when the URL
    carries none, is ``LIVE_REDIS_AUTH_TOKEN``. A message that is not a ``Change`` is logged and skipped.
    """
    url = url or live_url()
    if not url:
        return
    token = ClientSettings().live_redis_auth_token
    password = token.get_secret_value() if token is not None and not urlsplit(url).password else None
    delay = FIRST_RETRY_SECONDS
    while True:
        client = aioredis.Redis.from_url(
            url,
            password=password,
            socket_connect_timeout=5,
            socket_keepalive=True,
            health_check_interval=HEALTH_CHECK_SECONDS,
        )
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.psubscribe(CHANNEL_PATTERN)
            log.info("live updates: subscribed to %s on %s", CHANNEL_PATTERN, _where(url))
            delay = FIRST_RETRY_SECONDS
            while True:
                message = await pubsub.get_message(timeout=POLL_SECONDS)
                if message is None or message.get("type") != "pmessage":
                    continue
                try:
                    change = Change.model_validate_json(message["data"])
                except ValidationError:
                    log.warning("live updates: a message on %r is not a change; skipped", message.get("channel"))
                    continue
                yield change
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            log.warning("live updates: connection to %s lost (%s); retrying in %.1f s", _where(url), exc, delay)
        except RedisError as exc:  # e.g. a refused AUTH after a token rotation: keep trying, loudly
            log.error("live updates: Redis error on %s (%s); retrying in %.1f s", _where(url), exc, delay)
        finally:
            await _close(pubsub, client)
        await asyncio.sleep(delay)
        delay = min(delay * 2, MAX_RETRY_SECONDS)


async def _close(pubsub: aioredis.client.PubSub, client: aioredis.Redis) -> None:
    try:
        # Say goodbye explicitly: not every server (fakeredis' TCP server, locally) drops a closed connection's patterns
        await pubsub.punsubscribe()
        await pubsub.aclose()
        await client.aclose()
    except (RedisError, OSError):
        log.debug("live updates: closing a broken connection failed", exc_info=True)
