"""OpenAPI pieces shared by the routers: the bearer scheme and the documented error answers."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from backend.names import APP_DISPLAY_NAME
from backend.schemas import ErrorBody

API_PREFIX = "/api"
BEARER = "bearerAuth"
AUTHENTICATED: list[dict[str, list[str]]] = [{BEARER: []}]

_ERROR_CONTENT: dict[str, Any] = {"application/json": {"model": ErrorBody}}
ERRORS: dict[int, OpenAPIResponse] = {
    400: {"description": "A request that does not fit together; `fields` names the parts", "content": _ERROR_CONTENT},
    401: {"description": "Missing, invalid or expired access token", "content": _ERROR_CONTENT},
    403: {
        "description": "A member of a shared project whose role does not allow it, or an API token without the scope",
        "content": _ERROR_CONTENT,
    },
    404: {"description": "No such object for this user", "content": _ERROR_CONTENT},
    409: {"description": "Changed meanwhile (optimistic locking)", "content": _ERROR_CONTENT},
    422: {"description": "Invalid request; `fields` names each bad field", "content": _ERROR_CONTENT},
    429: {
        "description": "Over a rate limit (a personal API token's, or a route's own); retry after `Retry-After`",
        "headers": {"Retry-After": {"description": "Seconds until a retry can succeed", "schema": {"type": "integer"}}},
        "content": _ERROR_CONTENT,
    },
    503: {
        "description": "A backing service is busy or briefly down (throttled, unreachable); retry after `Retry-After`",
        "headers": {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}},
        "content": _ERROR_CONTENT,
    },
}
# Only on the routes with a limit of their own (SMS codes); API Gateway's throttling answers 429 without this body.
TOO_MANY_REQUESTS: OpenAPIResponse = {
    "description": "Over a rate limit; `fields` names the input that is the cause, if one is",
    "headers": {"Retry-After": {"description": "Seconds until a retry can succeed", "schema": {"type": "integer"}}},
    "content": _ERROR_CONTENT,
}

OPENAPI: dict[str, Any] = {
    "title": f"{APP_DISPLAY_NAME} API",
    "version": "1.0.0",
    "description": (
        "REST API of TaskManager Pro. Send `Authorization: Bearer <credential>`, where the credential is either the "
        "Cognito access token of a sign-in or a **personal API token** (`tmp_...`).\n\n"
        "Personal API tokens: make one in Settings → Developer (or `POST /api/tokens` while signed in); it is shown "
        "once. Scopes: `read` (GET only; anything else answers 403) or `read` + `write`. Each token has a rate limit "
        "(429 with `Retry-After`); a revoked token answers 401 from the next request on. Example:\n\n"
        "    curl -H 'Authorization: Bearer tmp_...' https://<host>/api/tasks?view=today"
    ),
    "servers": [Server(url=API_PREFIX)],
    "security_schemes": {
        BEARER: HTTPBearer(
            bearerFormat="JWT or tmp_ API token",
            description="A Cognito access token (sign-in) or a personal API token (`tmp_<id>_<secret>`).",
        )
    },
}
