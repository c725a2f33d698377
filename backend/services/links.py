"""Signed links in emails (no sign-in needed): unsubscribe and complete-the-task. HS256 JWTs (PyJWT).

A token names one user and one action; tampering, another purpose or an expired token is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlencode

import jwt

from backend.errors import DomainError

Action = Literal["unsubscribe", "complete"]
Scope = Literal["reminders", "digest", "weekly"]
ISSUER = "taskmanager-pro/links"
TTL = {"unsubscribe": timedelta(days=90), "complete": timedelta(days=30)}


class InvalidLinkError(DomainError):
    code = "invalid_link"


@dataclass(frozen=True)
class LinkClaims:
    action: Action
    user_id: str
    scope: Scope | None = None  # unsubscribe: from what
    task_id: str | None = None  # complete: which task, at which occurrence
    due_key: str | None = None


def sign(claims: LinkClaims, *, secret: str, now: datetime) -> str:
    if not secret:
        raise RuntimeError("TMP_LINK_SIGNING_SECRET is not set")
    body: dict[str, Any] = {
        "iss": ISSUER,
        "act": claims.action,
        "sub": claims.user_id,
        "iat": int(now.timestamp()),
        "exp": int((now + TTL[claims.action]).timestamp()),
    }
    for name, value in (("scope", claims.scope), ("tid", claims.task_id), ("due", claims.due_key)):
        if value is not None:
            body[name] = value
    return jwt.encode(body, secret, algorithm="HS256")


def verify(token: str, *, action: Action, secret: str) -> LinkClaims:
    if not secret:
        raise RuntimeError("TMP_LINK_SIGNING_SECRET is not set")
    try:
        body = jwt.decode(
            token, secret, algorithms=["HS256"], issuer=ISSUER, options={"require": ["exp", "iat", "sub", "act"]}
        )
    except jwt.ExpiredSignatureError:
        raise InvalidLinkError("This link has expired.", fields={"token": "has expired"}) from None
    except jwt.InvalidTokenError:
        raise InvalidLinkError("This link is not valid.", fields={"token": "is not valid"}) from None
    if body.get("act") != action:
        raise InvalidLinkError("This link is not valid.", fields={"token": "is not valid"})
    return LinkClaims(
        action=action,
        user_id=str(body["sub"]),
        scope=body.get("scope"),
        task_id=body.get("tid"),
        due_key=body.get("due"),
    )


def url(api_url: str, path: str, token: str) -> str:
    return f"{api_url.rstrip('/')}{path}?{urlencode({'token': token})}"
