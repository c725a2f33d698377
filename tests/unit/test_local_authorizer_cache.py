"""The local API Gateway keeps the authorizer's Allow per token, as API Gateway does (the stack's
``results_cache_ttl``): a token is verified once per period; a refusal is asked again every time."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request

from backend.api.app import AUTHORIZER_CACHE_SECONDS
from backend.local.asgi import CachingAuthorizer


class CountingAuthorizer:
    """A stand-in for the authorizer Lambda: allows ``Bearer good-*``, refuses the rest, counts its calls."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def __call__(self, event: dict[str, Any], _: Any) -> dict[str, Any]:
        self.tokens.append(event["authorizationToken"])
        if not event["authorizationToken"].startswith("Bearer good-"):
            raise Exception("Unauthorized")  # the message API Gateway reads as a 401
        return {"principalId": "u-1", "context": {"sub": "u-1"}}


def _request(token: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": "/api/tasks", "headers": [(b"authorization", token.encode())]}
    )


def _policies(gate: CachingAuthorizer, *tokens: str) -> list[dict[str, Any] | None]:
    async def ask() -> list[dict[str, Any] | None]:
        return [await gate.policy(_request(token), "/tasks") for token in tokens]

    return asyncio.run(ask())


def test_an_allow_is_kept_for_the_stacks_period_per_token() -> None:
    handler = CountingAuthorizer()
    gate = CachingAuthorizer(handler)
    answers = _policies(gate, "Bearer good-a", "Bearer good-a", "Bearer good-b", "Bearer good-a")
    assert [a and a["principalId"] for a in answers] == ["u-1"] * 4
    assert handler.tokens == ["Bearer good-a", "Bearer good-b"]
    assert AUTHORIZER_CACHE_SECONDS == 300  # deploy/stacks/stateless.py passes the same constant to API Gateway


def test_a_refusal_is_not_kept() -> None:
    handler = CountingAuthorizer()
    gate = CachingAuthorizer(handler)
    assert _policies(gate, "Bearer bad", "Bearer bad", "") == [None, None, None]
    assert handler.tokens == ["Bearer bad", "Bearer bad", ""]


def test_an_allow_is_asked_again_once_its_period_is_over() -> None:
    handler = CountingAuthorizer()
    gate = CachingAuthorizer(handler, seconds=0)
    _policies(gate, "Bearer good-a", "Bearer good-a")
    assert handler.tokens == ["Bearer good-a", "Bearer good-a"]


def test_the_oldest_allows_go_past_the_size() -> None:
    handler = CountingAuthorizer()
    gate = CachingAuthorizer(handler, size=2)
    _policies(gate, "Bearer good-a", "Bearer good-b", "Bearer good-c", "Bearer good-c", "Bearer good-a")
    assert handler.tokens == ["Bearer good-a", "Bearer good-b", "Bearer good-c", "Bearer good-a"]
