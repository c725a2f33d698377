"""Personal API tokens (issue 16): their format, hashing, scopes and limits. Pure.

A token reads ``tmp_<id>_<secret>``: ``id`` (a ULID-like lookup key, not secret) finds the one stored row with a
single GetItem, ``secret`` (256 random bits) is checked against the row's SHA-256 with a constant-time compare. Only
the hash is stored, so a copy of the table holds no working token; SHA-256 without salt or stretching is enough for
256 random bits (nothing to guess, nothing to precompute). The ``tmp_`` prefix tells the authorizer it is not a JWT
(and lets secret scanners recognise a leaked one).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.domain.rate_limits import Rule
from backend.domain.tasks import new_id

PREFIX = "tmp_"
POINTER_PREFIX = "APITOKEN#"  # the partition key of the row the authorizer reads (its IAM is limited to these)
SECRET_BYTES = 32
READ, WRITE = "read", "write"
SCOPE_SETS = (frozenset({READ}), frozenset({READ, WRITE}))
MAX_TOKENS_PER_USER = 20  # a person's scripts and integrations; more is a leak waiting to happen
LAST_USED_EVERY = timedelta(minutes=1)  # the list's "last used" is written at most this often per token
DEFAULT_REQUESTS_PER_MINUTE = 60  # per token (``TMP_API_TOKEN_REQUESTS_PER_MINUTE``)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_TOKEN = re.compile(rf"^{PREFIX}([0-9A-Za-z]{{10,40}})_([A-Za-z0-9_-]{{40,60}})$")


@dataclass(frozen=True)
class ApiToken:
    """One token as stored (never the secret)."""

    id: str
    user_id: str
    name: str
    scopes: frozenset[str]
    secret_hash: str
    created_at: datetime
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret_token: str  # shown once to the user, never stored


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def mint(*, user_id: str, name: str, scopes: frozenset[str], now: datetime) -> NewToken:
    token_id = new_id()
    secret = secrets.token_urlsafe(SECRET_BYTES)
    stored = ApiToken(
        id=token_id, user_id=user_id, name=name, scopes=scopes, secret_hash=secret_hash(secret), created_at=now
    )
    return NewToken(token=stored, secret_token=f"{PREFIX}{token_id}_{secret}")


def looks_like_token(credential: str) -> bool:
    """An API token rather than a JWT (which never starts with ``tmp_``)."""
    return credential.startswith(PREFIX)


def split(credential: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed token, None otherwise."""
    match = _TOKEN.match(credential)
    return (match.group(1), match.group(2)) if match else None


def matches(stored: ApiToken, secret: str) -> bool:
    return hmac.compare_digest(stored.secret_hash, secret_hash(secret))


def allows(scopes: frozenset[str] | set[str], method: str) -> bool:
    """A read-only token may only read; writes (every other method) need ``write``."""
    return method.upper() in READ_METHODS or WRITE in scopes


def due_for_last_used(last_used_at: datetime | None, now: datetime) -> bool:
    return last_used_at is None or now - last_used_at >= LAST_USED_EVERY


def request_rules(per_minute: int) -> tuple[Rule, ...]:
    return (Rule(per_minute, timedelta(minutes=1)),)


def scopes_text(scopes: frozenset[str] | set[str]) -> str:
    """The scopes as the authorizer's context carries them (context values are strings)."""
    return " ".join(sorted(scopes))


def scopes_of(text: str) -> frozenset[str]:
    return frozenset(part for part in text.split() if part in (READ, WRITE))
