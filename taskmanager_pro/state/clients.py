"""The UI's handles on ``backend.client``: the REST client per call, the Cognito flows once per process.

``backend.client`` is synchronous (httpx, boto3). State handlers are ``async`` and run each call in a
worker thread (``call``): a blocking call on the event loop would stall every user's websocket, and
locally it would deadlock, because the REST API is served by this same process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from functools import lru_cache
from typing import Any, ParamSpec, TypeVar

import reflex as rx

from backend.client import ApiClient, ApiError, CognitoAuth, PublicConfig, get_client_settings
from backend.client.api import StaleVersion, TaskPublic, TaskUpdate

P = ParamSpec("P")
T = TypeVar("T")


CHANGED_ELSEWHERE = "This task was changed elsewhere; it is shown as it is now. Try again."


async def edit_shown_first(
    state: rx.State,
    client: ApiClient,
    update: TaskUpdate,
    *,
    before: TaskPublic,
    settle: Callable[[TaskPublic], None],
    done: Callable[[TaskPublic], Any] | None = None,
) -> AsyncGenerator[Any, None]:
    """Inside a background handler, the PATCH of an edit already on screen, then what the row settles on (``settle``,
    under the state's lock): the task as saved (and ``done``'s event), what is stored now when it changed meanwhile
    (with a warning), or ``before`` again when the API refused (with its reason)."""
    try:
        saved = await call(client.update_task, before.id, update)
    except StaleVersion as stale:
        async with state:
            settle(stale.current)
        yield rx.toast.warning(CHANGED_ELSEWHERE)
        return
    except ApiError as error:
        async with state:
            settle(before)
        yield rx.toast.error(error.first_problem)
        return
    async with state:
        settle(saved)
    if done is not None:
        yield done(saved)


def api(access_token: str | None = None) -> ApiClient:
    return ApiClient(get_client_settings().api_url, access_token)


async def call(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run a blocking ``backend.client`` call off the event loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


# Both cached only once they succeed (lru_cache does not keep exceptions): an API that is not up yet
# is asked again on the next call.
@lru_cache(maxsize=1)
def _public_config() -> PublicConfig:
    return api().config()


@lru_cache(maxsize=1)
def _cognito() -> CognitoAuth:
    return CognitoAuth(_public_config())


async def public_config() -> PublicConfig:
    """``GET /api/config``: the user pool, and ``cognito_endpoint`` (set only in a local run)."""
    return await call(_public_config)


async def cognito() -> CognitoAuth:
    """The Cognito user flows, built once per process from ``GET /api/config``."""
    return await call(_cognito)
