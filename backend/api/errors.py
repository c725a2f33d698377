"""The one mapping from errors to HTTP answers in the shape of DESIGN.md."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.types import EventHandlerInstance

from backend.api.presenters import task_public
from backend.domain.tasks import Task
from backend.errors import (
    ConflictError,
    DomainError,
    IdempotencyKeyReusedError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    StaleVersionError,
    TooLargeError,
    TooManyRequestsError,
)
from backend.observability import logger
from backend.schemas import ErrorBody, ErrorDetail

_STATUS: dict[type[DomainError], HTTPStatus] = {
    NotAuthenticatedError: HTTPStatus.UNAUTHORIZED,
    NotFoundError: HTTPStatus.NOT_FOUND,
    ConflictError: HTTPStatus.CONFLICT,
    InvalidInputError: HTTPStatus.BAD_REQUEST,
    IdempotencyKeyReusedError: HTTPStatus.UNPROCESSABLE_ENTITY,
    TooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    TooManyRequestsError: HTTPStatus.TOO_MANY_REQUESTS,
}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, str] | None = None,
    *,
    headers: dict[str, str] | None = None,
) -> Response[str]:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, fields=fields or {}))
    return Response(
        status_code=status, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json(), headers=headers
    )


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "preferences", "sms_phone") -> "preferences.sms_phone"; ("query", "x") -> "x"
    parts = [str(part) for part in location[1:]] if len(location) > 1 else [str(p) for p in location]
    return ".".join(parts) or "body"


def validation_fields(errors: list[dict[str, Any]]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in errors:
        name = _field_name(tuple(error.get("loc", ())))
        if error.get("type") == "json_invalid":
            name, message = "body", "is not valid JSON"
        elif error.get("type") == "extra_forbidden":
            message = "is not a known field"
        else:
            message = str(error.get("msg", "is not valid"))
        fields.setdefault(name, message)
    return fields


# The public email-link routes take what a mail client posts (RFC 8058: form-encoded ``List-Unsubscribe=One-Click``).
FORM_BODY_PATHS = ("/links/unsubscribe", "/links/complete")


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, behind one more rule: a body is one JSON object.

    Powertools would also parse form and multipart bodies (and take the first element of a JSON array for a
    model); our API speaks JSON only, so anything else is refused before validation: 415 or 422.
    """

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response[Any]:
        event = app.current_event
        form_allowed = event.path.endswith(FORM_BODY_PATHS)  # mail clients' one-click POST (RFC 8058)
        if event.body and event.http_method in {"POST", "PUT", "PATCH"} and not form_allowed:
            media_type = (event.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
            if media_type != "application/json" and not media_type.endswith("+json"):
                message = "Send the body as JSON (Content-Type: application/json)."
                return error_response(415, "unsupported_media_type", message)
            try:
                parsed = event.json_body
            except (ValueError, UnicodeDecodeError):
                parsed = {}  # Powertools' validation names the bad body
            if not isinstance(parsed, dict):
                fields = {"body": "is not an object"}
                return error_response(422, "validation_error", "The body must be a JSON object.", fields)
        return super().handler(app, next_middleware)


def register_error_handlers(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def invalid_request(exc: RequestValidationError) -> Response[str]:
        fields = validation_fields(list(exc.errors()))
        names = ", ".join(sorted(fields))
        return error_response(422, "validation_error", f"Some fields are not valid: {names}.", fields)

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_media_type(_: RequestUnsupportedContentType) -> Response[str]:
        return error_response(415, "unsupported_media_type", "Send the body as JSON (Content-Type: application/json).")

    @app.exception_handler(UnicodeDecodeError)
    def not_utf8(_: UnicodeDecodeError) -> Response[str]:
        return error_response(422, "validation_error", "The body is not valid JSON.", {"body": "is not UTF-8 JSON"})

    @app.exception_handler(StaleVersionError)
    def stale_version(exc: StaleVersionError) -> Response[str]:
        # The error shape, plus what is stored now, so the client can offer to reload.
        current = (
            task_public(exc.current, datetime.now(UTC).replace(tzinfo=None)) if isinstance(exc.current, Task) else None
        )
        body = {"error": {"code": exc.code, "message": exc.message, "fields": exc.fields}}
        if current is not None:
            body["current"] = current.model_dump(mode="json")
        return Response(status_code=409, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))

    @app.exception_handler(DomainError)
    def domain_error(exc: DomainError) -> Response[str]:
        status = next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), HTTPStatus.BAD_REQUEST)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequestsError) else None
        return error_response(status, exc.code, exc.message, exc.fields, headers=headers)

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return error_response(404, "not_found", "There is nothing at this address.")

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side. Try again.")
