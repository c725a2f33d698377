"""Cognito access-token verification with PyJWT against the pool's JWKS (keys cached per process)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt

from backend.config import Settings

JWKS_CACHE_SECONDS = 6 * 3600  # Cognito rotates keys rarely; an unknown kid refetches anyway.


class InvalidTokenError(Exception):
    """The token must not be trusted; the reason is for logs, never for the caller."""


@dataclass(frozen=True)
class VerifiedCaller:
    sub: str
    username: str
    # When the user signed in (``auth_time``; Cognito keeps it across refreshes): the API compares it with the
    # Users row's ``sessions_valid_after``. None for a token without it (then only a row without a cut-off passes).
    signed_in_at: int | None = None


class CognitoTokenVerifier:
    """Checks signature (RS256), expiry, issuer, ``token_use == "access"`` and the app client id."""

    def __init__(self, settings: Settings) -> None:
        self._issuer = settings.cognito_issuer
        self._client_id = settings.user_pool_client_id
        self._jwks = jwt.PyJWKClient(settings.cognito_jwks_url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS)

    def verify(self, token: str) -> VerifiedCaller:
        try:
            key = self._jwks.get_signing_key_from_jwt(token).key
            # Access tokens carry no ``aud``; the client id is checked below instead.
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                options={"require": ["exp", "iat", "iss", "sub", "token_use", "client_id"], "verify_aud": False},
                leeway=5,
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"{type(exc).__name__}: {exc}") from exc
        if claims.get("token_use") != "access":
            raise InvalidTokenError("not an access token")
        if claims.get("client_id") != self._client_id:
            raise InvalidTokenError("issued to another app client")
        auth_time = claims.get("auth_time", claims["iat"])
        return VerifiedCaller(
            sub=str(claims["sub"]),
            username=str(claims.get("username", claims["sub"])),
            signed_in_at=int(auth_time) if isinstance(auth_time, int | float) else None,
        )


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, None when absent or malformed."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token and " " not in token else None
