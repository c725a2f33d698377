"""Signed links in emails (no sign-in needed): unsubscribe and complete-the-task. HS256 JWTs (PyJWT).

A token names one user and one action; tampering, another purpose or an expired token is refused. The key is the
links key derived from the signing secret (``backend.domain.signing_keys.LINKS``); while the secret is rotated a token
verifies with the current or the previous key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import jwt

from backend.errors import DomainError

Action = Literal["unsubscribe", "complete", "invitation"]
Scope = Literal["reminders", "digest", "weekly"]
ISSUER = "taskmanager-pro/links"
TTL = {"unsubscribe": timedelta(days=90), "complete": timedelta(days=30), "invitation": timedelta(days=30)}


class InvalidLinkError(DomainError):
    code = "invalid_link"


@dataclass(frozen=True)
class LinkClaims:
    action: Action
    user_id: str
    scope: Scope | None = None  # unsubscribe: from what
    task_id: str | None = None  # complete: which task, at which occurrence
    due_key: str | None = None
    invitation_id: str | None = None  # invitation: which one (``user_id`` is then the invited, normalized address)


def sign(claims: LinkClaims, *, key: bytes, now: datetime) -> str:
    body: dict[str, Any] = {
        "iss": ISSUER,
        "act": claims.action,
        "sub": claims.user_id,
        "iat": int(now.timestamp()),
        "exp": int((now + TTL[claims.action]).timestamp()),
    }
    named = (("scope", claims.scope), ("tid", claims.task_id), ("due", claims.due_key), ("iid", claims.invitation_id))
    for name, value in named:
        if value is not None:
            body[name] = value
    return jwt.encode(body, key, algorithm="HS256")


def _decode(token: str, keys: Sequence[bytes]) -> dict[str, Any]:
    for key in keys:
        try:
            body: dict[str, Any] = jwt.decode(
                token, key, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "iat", "sub", "act"]}
            )
            return body
        except jwt.InvalidSignatureError:
            continue  # signed with another key of the ring, or forged
        except jwt.ExpiredSignatureError:  # checked after the signature: the link was ours
            raise InvalidLinkError("This link has expired.", fields={"token": "has expired"}) from None
        except jwt.InvalidTokenError:
            break
    raise InvalidLinkError("This link is not valid.", fields={"token": "is not valid"})


def verify(token: str, *, action: Action, keys: Sequence[bytes]) -> LinkClaims:
    """The claims of a token signed with one of ``keys`` (current first) for ``action``."""
    if not keys:
        raise RuntimeError("no key to verify signed links with")
    body = _decode(token, keys)
    if body.get("act") != action:
        raise InvalidLinkError("This link is not valid.", fields={"token": "is not valid"})
    return LinkClaims(
        action=action,
        user_id=str(body["sub"]),
        scope=body.get("scope"),
        task_id=body.get("tid"),
        due_key=body.get("due"),
        invitation_id=body.get("iid"),
    )


def url(api_url: str, path: str, token: str) -> str:
    return f"{api_url.rstrip('/')}{path}?{urlencode({'token': token})}"
