"""The app's signing keys: one master secret (Secrets Manager), one key derived from it per purpose (HKDF-SHA256).

A key used for one purpose never signs for another: a signed link and an SMS code's hash use different keys, and
neither is the master secret itself. The secret's value is the generated string (the current master key) or, while
rotating, JSON ``{"current": "...", "previous": "..."}``: the current key signs, both verify (docs/operations.md).
"""

from __future__ import annotations

import json
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Purpose = Literal["links/v1", "sms-code/v1"]
LINKS: Purpose = "links/v1"  # the signed links in e-mails (backend/services/links.py)
SMS_CODE: Purpose = "sms-code/v1"  # the HMAC of a texted verification code (backend/services/inbox.py)
KEY_BYTES = 32  # HS256 / HMAC-SHA256: a key as long as the hash
MIN_SECRET_CHARS = 32  # the stack generates 64


class InvalidSecretError(ValueError):
    """The secret's value is not a usable key (its text is never in the message)."""


def derive(master: str, purpose: Purpose) -> bytes:
    """The key for ``purpose``: HKDF-SHA256 of the master secret, the purpose as its ``info`` label."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"taskmanager-pro/{purpose}".encode())
    return hkdf.derive(master.encode())


def _master(value: object, what: str) -> str:
    if not isinstance(value, str) or len(value) < MIN_SECRET_CHARS:
        raise InvalidSecretError(f"the signing secret's {what} key must be a string of {MIN_SECRET_CHARS}+ characters")
    return value


class SigningKeys:
    """The current master key and, during a rotation, the previous one. No repr: keys never reach a log."""

    __slots__ = ("_current", "_previous")

    def __init__(self, current: str, previous: str | None = None) -> None:
        self._current = _master(current, "current")
        self._previous = None if previous is None else _master(previous, "previous")

    @classmethod
    def parse(cls, secret: str) -> SigningKeys:
        """The secret's value: a plain string, or JSON ``{"current": ..., "previous": ...}`` (``previous`` optional)."""
        if not secret.lstrip().startswith(("{", "[")):  # generated keys are letters and digits only
            return cls(secret.strip())
        try:
            value = json.loads(secret)
        except json.JSONDecodeError:
            value = None
        if not isinstance(value, dict):
            raise InvalidSecretError('the signing secret is neither a key nor a JSON object {"current": ...}')
        current, previous = _master(value.get("current"), "current"), value.get("previous")
        return cls(current, None if previous is None else _master(previous, "previous"))

    def signing_key(self, purpose: Purpose) -> bytes:
        return derive(self._current, purpose)

    def verifying_keys(self, purpose: Purpose) -> tuple[bytes, ...]:
        """The current key first, then the previous one (links signed before the rotation still verify)."""
        masters = (self._current,) if self._previous is None else (self._current, self._previous)
        return tuple(derive(master, purpose) for master in masters)
