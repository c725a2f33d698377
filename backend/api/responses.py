"""Non-200 success answers, serialized the way API Gateway needs them (a JSON string body)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from backend.api.openapi import ERRORS, TOO_MANY_REQUESTS


def created(model: BaseModel) -> Response[str]:
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=model.model_dump_json())


def ok(model: BaseModel) -> Response[str]:
    """A 200 built by hand (a route that returns a ``Response``, e.g. through ``idempotent``)."""
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=model.model_dump_json())


def no_content() -> Response[None]:
    return Response(status_code=204)


def documented(
    created_model: type[BaseModel] | None = None, *, empty: bool = False, limited: bool = False
) -> dict[int, OpenAPIResponse]:
    """The documented answers of a route: the common errors plus 200 (the return model), 201 or 204; ``limited``:
    also 429 with ``Retry-After`` (a route with a rate limit of its own)."""
    responses: dict[int, Any] = dict(ERRORS)
    if limited:
        responses[429] = TOO_MANY_REQUESTS
    if created_model is None and not empty:
        responses[200] = {"description": "OK"}  # Powertools fills in the route's return model
    if created_model is not None:
        responses[201] = {"description": "Created", "content": {"application/json": {"model": created_model}}}
    if empty:
        # An empty content map: Powertools would otherwise document the route's return type (None) as a JSON body.
        responses[204] = {"description": "Done; no content", "content": {}}
    return responses
