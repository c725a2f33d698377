"""The REST API: one Powertools resolver, one Router per resource, one error mapping."""

from __future__ import annotations

import re

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver, CORSConfig

from backend.api.auth import current_session_only
from backend.api.errors import JsonBodyValidation, register_error_handlers
from backend.api.openapi import API_PREFIX, OPENAPI
from backend.api.routes import (
    attachments,
    calendar_feed,
    comments,
    importing,
    links,
    me,
    notifications,
    projects,
    reminders,
    sharing,
    stats,
    system,
    tasks,
    tokens,
    webhooks,
)

# How long API Gateway keeps the authorizer's Allow for a token (the stack's ``results_cache_ttl``; the local
# adapter keeps it as long). Why the API still checks the session on every request: backend/api/auth.py.
AUTHORIZER_CACHE_SECONDS = 300

# Routes API Gateway serves without the Lambda authorizer (the local adapter reads the same set).
PUBLIC_PATHS = frozenset(
    {
        "/health",
        "/config",
        "/openapi.json",
        "/docs",
        "/links/unsubscribe",
        "/links/complete",
        "/links/invitation",
        "/feeds/calendar.ics",
    }
)  # links: signed tokens; the calendar feed: its secret token


class RestResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with its routes anchored at the very end of the path: its ``$`` also matches before
    a final line break, so ``GET /tasks/%0A`` (task id "\\n") was answered with the task list instead of 404."""

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = r"^{}/*\Z") -> re.Pattern[str]:
        # (the parent's ``^{}/*$`` with ``\Z``: trailing slashes are still the same route)
        pattern: re.Pattern[str] = ApiGatewayResolver._compile_regex(rule, base_regex)
        return pattern


def build_app(cors_origin: str = "*") -> APIGatewayRestResolver:
    app = RestResolver(
        enable_validation=True,
        strip_prefixes=[API_PREFIX],
        cors=CORSConfig(
            allow_origin=cors_origin, allow_headers=["Authorization", "Content-Type", "Idempotency-Key"], max_age=600
        ),
    )
    # Powertools runs this validation first on every validated route; ours adds the JSON-only rule to it.
    app._request_validation_middleware = JsonBodyValidation()
    app.use(middlewares=[current_session_only])  # before any route (and before validation) runs
    app.include_router(system.router)
    app.include_router(me.router)
    app.include_router(projects.router)
    app.include_router(tasks.router)
    app.include_router(attachments.router)
    app.include_router(comments.router)
    app.include_router(sharing.router)
    app.include_router(reminders.router)
    app.include_router(notifications.router)
    app.include_router(links.router)
    app.include_router(calendar_feed.router)
    app.include_router(importing.router)
    app.include_router(stats.router)
    app.include_router(tokens.router)
    app.include_router(webhooks.router)
    app.configure_openapi(**OPENAPI)
    app.enable_swagger(path="/docs", servers=OPENAPI["servers"], security_schemes=OPENAPI["security_schemes"])

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> Response[str]:
        return Response(
            status_code=200, content_type=content_types.APPLICATION_JSON, body=app.get_openapi_json_schema()
        )

    register_error_handlers(app)
    return app
