"""Personal API tokens (issue 16): create, list, revoke; check one for the authorizer and for each request.

Two checks, on purpose:
- ``verify`` (the Lambda authorizer): the token's id finds its pointer (one GetItem), the secret must hash to it.
  API Gateway caches the Allow per token for the authorizer's TTL, like a JWT's.
- ``admit`` (the API, every request): the user's own row must still exist (so a revoked token stops at once, not
  when the cache expires), the scopes must allow the method, the token's rate limit must have room; "last used" is
  written at most once a minute.
No HTTP, no boto3.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from backend.adapters.ports import ApiTokens, LimitStore
from backend.domain import api_tokens as domain
from backend.domain.api_tokens import ApiToken, NewToken
from backend.domain.rate_limits import LimitKey, in_words, retry_after
from backend.errors import (
    ForbiddenError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    QuotaExceededError,
    TooManyRequestsError,
)
from backend.services.rate_limits import Limit, take


class InvalidApiTokenError(Exception):
    """Not a token to trust; the reason is for logs only."""


@dataclass(frozen=True)
class TokenCaller:
    user_id: str
    token_id: str
    scopes: frozenset[str]
    created_at: datetime


def create(*, tokens: ApiTokens, user_id: str, name: str, scopes: list[str], now: datetime) -> NewToken:
    wanted = frozenset(scopes)
    if wanted not in domain.SCOPE_SETS:
        raise InvalidInputError('Scopes are ["read"] or ["read", "write"].', fields={"scopes": "not a scope set"})
    if len(tokens.list_for(user_id)) >= domain.MAX_TOKENS_PER_USER:
        raise QuotaExceededError(
            f"You have {domain.MAX_TOKENS_PER_USER} tokens, the most there can be; revoke one first."
        )
    new = domain.mint(user_id=user_id, name=name, scopes=wanted, now=now)
    tokens.add(new.token)
    return new


def list_tokens(*, tokens: ApiTokens, user_id: str) -> list[ApiToken]:
    return sorted(tokens.list_for(user_id), key=lambda t: t.created_at, reverse=True)


def revoke(*, tokens: ApiTokens, user_id: str, token_id: str) -> None:
    if not tokens.revoke(user_id, token_id):
        raise NotFoundError("No such token.", fields={"token_id": "does not exist"})


def verify(*, tokens: ApiTokens, credential: str) -> TokenCaller:
    """The authorizer's check of a ``tmp_`` credential."""
    parts = domain.split(credential)
    if parts is None:
        raise InvalidApiTokenError("malformed API token")
    token_id, secret = parts
    stored = tokens.by_id(token_id)
    if stored is None:
        raise InvalidApiTokenError("unknown or revoked API token")
    if not domain.matches(stored, secret):
        raise InvalidApiTokenError("wrong secret")
    return TokenCaller(user_id=stored.user_id, token_id=token_id, scopes=stored.scopes, created_at=stored.created_at)


def refuse_tokens(token_id: str | None) -> None:
    """Routes that need a real sign-in (a token cannot mint tokens)."""
    if token_id:
        raise ForbiddenError("This needs a sign-in; an API token cannot do it.")


def admit(
    *,
    tokens: ApiTokens,
    limits: LimitStore,
    user_id: str,
    token_id: str,
    method: str,
    per_minute: int,
    now: datetime,
) -> None:
    """Each request made with a token: still there, allowed by its scopes, within its rate limit."""
    own = tokens.own(user_id, token_id)
    if own is None:
        raise NotAuthenticatedError("This API token was revoked.")
    if not domain.allows(own.scopes, method):
        raise ForbiddenError("This API token may only read (its scopes lack write).")
    limit = Limit(LimitKey("token", token_id, "api"), domain.request_rules(per_minute))
    refused = take(limits, [limit], now=now)
    if refused is not None:
        wait = retry_after(refused.wait)
        raise TooManyRequestsError(
            f"This API token made too many requests; try again in {in_words(wait)}.", retry_after=wait
        )
    if domain.due_for_last_used(own.last_used_at, now):
        tokens.touch(user_id, token_id, now=now, not_since=now - domain.LAST_USED_EVERY)
