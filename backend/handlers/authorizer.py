"""API Gateway Lambda (TOKEN) authorizer: a valid Cognito access token → Allow + the caller's ``sub``."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.adapters.tokens import CognitoTokenVerifier, InvalidTokenError, bearer_token
from backend.config import Settings, get_settings
from backend.observability import logger

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401


@lru_cache(maxsize=4)
def _verifier_for(settings: Settings) -> CognitoTokenVerifier:
    return CognitoTokenVerifier(settings)


def verifier() -> CognitoTokenVerifier:
    """One verifier (and JWKS cache) per pool the process is configured for: one in AWS, one per emulator in tests."""
    return _verifier_for(get_settings())


def _any_route_of(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> .../api-id/stage/*/*
    # One policy for every route, so API Gateway can cache it per token.
    prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{prefix}/{stage}/*/*"


@logger.inject_lambda_context(log_event=False)  # the event holds the token: never log it
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    token = bearer_token(event.get("authorizationToken"))
    if token is None:
        raise Exception(UNAUTHORIZED)
    try:
        caller = verifier().verify(token)
    except InvalidTokenError as exc:
        logger.info("token rejected", extra={"reason": str(exc)})
        raise Exception(UNAUTHORIZED) from None
    return {
        "principalId": caller.sub,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _any_route_of(event["methodArn"])}
            ],
        },
        # Cached with the Allow per token: the API checks auth_time against the Users row on every request.
        "context": {"sub": caller.sub, "username": caller.username, "auth_time": caller.signed_in_at or 0},
    }
