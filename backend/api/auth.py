"""Who is calling: the ``sub`` the Lambda authorizer put in the request context."""

from __future__ import annotations

from typing import cast

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from backend.errors import NotAuthenticatedError


def caller_id(router: BaseRouter) -> str:
    """The authenticated user's id. API Gateway never lets an unauthenticated call through; we check anyway."""
    event = cast(APIGatewayProxyEvent, router.current_event)
    authorizer = event.request_context.authorizer
    user_id = authorizer.get_context().get("sub") if authorizer else None
    if not user_id:
        raise NotAuthenticatedError("Sign in to continue.")
    return str(user_id)
