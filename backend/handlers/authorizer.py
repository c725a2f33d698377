"""API Gateway Lambda (TOKEN) authorizer: a valid Cognito access token or personal API token → Allow + the caller.

A personal API token (``tmp_...``, issue 16) is checked here by one GetItem of its pointer; its Allow is cached by
API Gateway like a JWT's (the stack's ``results_cache_ttl``). The context says it is a token (``token_id``,
``scopes``): the API enforces the scopes, the rate limit and revocation on every request (backend/api/auth.py).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.adapters.api_tokens import DynamoApiTokens, configure_pointer_model
from backend.adapters.tokens import CognitoTokenVerifier, InvalidTokenError, bearer_token
from backend.config import Settings, get_settings
from backend.domain.api_tokens import looks_like_token, scopes_text
from backend.observability import logger
from backend.services import api_tokens

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401


@lru_cache(maxsize=4)
def _verifier_for(settings: Settings) -> CognitoTokenVerifier:
    return CognitoTokenVerifier(settings)


def verifier() -> CognitoTokenVerifier:
    """One verifier (and JWKS cache) per pool the process is configured for: one in AWS, one per emulator in tests."""
    return _verifier_for(get_settings())


@lru_cache(maxsize=4)
def _api_tokens_for(settings: Settings) -> DynamoApiTokens:
    configure_pointer_model(
        table_name=settings.names.tasks_table, region=settings.region, endpoint=settings.aws_endpoint_url
    )
    return DynamoApiTokens()


def _caller_context(token: str) -> dict[str, Any]:
    """What the API learns of the caller (string, number or boolean values only); raises ``UNAUTHORIZED``."""
    if looks_like_token(token):
        try:
            found = api_tokens.verify(tokens=_api_tokens_for(get_settings()), credential=token)
        except api_tokens.InvalidApiTokenError as exc:
            logger.info("api token rejected", extra={"reason": str(exc)})
            raise Exception(UNAUTHORIZED) from None
        # auth_time: the token's creation, so a password reset (sessions_valid_after) also ends older tokens
        return {
            "sub": found.user_id,
            "username": found.user_id,
            "auth_time": int(found.created_at.timestamp()),
            "token_id": found.token_id,
            "scopes": scopes_text(found.scopes),
        }
    try:
        caller = verifier().verify(token)
    except InvalidTokenError as exc:
        logger.info("token rejected", extra={"reason": str(exc)})
        raise Exception(UNAUTHORIZED) from None
    # Cached with the Allow per token: the API checks auth_time against the Users row on every request.
    return {"sub": caller.sub, "username": caller.username, "auth_time": caller.signed_in_at or 0}


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
    caller = _caller_context(token)
    return {
        "principalId": caller["sub"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _any_route_of(event["methodArn"])}
            ],
        },
        "context": caller,
    }
