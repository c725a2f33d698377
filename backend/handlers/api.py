"""Lambda entry point of the REST API (every route under /api)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.api.app import build_app
from backend.bootstrap import dependencies
from backend.config import MESSAGING, SCHEDULING
from backend.observability import logger, tracer

settings = dependencies().settings
settings.require(*SCHEDULING, *MESSAGING)  # at cold start, naming any variable the stack did not pass
app = build_app(cors_origin=settings.app_url)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
