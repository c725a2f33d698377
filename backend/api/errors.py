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

from backend.aws import is_transient
from backend.domain.tasks import Task
from backend.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    IdempotencyKeyReusedError,
    InvalidInputError,
    NotAuthenticatedError,
    NotFoundError,
    QuotaExceededError,
    StaleVersionError,
    TooLargeError,
    TooManyRequestsError,
    WrongPasswordError,
)
from backend.observability import logger
from backend.presenters import task_public
from backend.schemas import ErrorBody, ErrorDetail

TRANSIENT_RETRY_AFTER_S = 1
_STATUS: dict[type[DomainError], HTTPStatus] = {
    NotAuthenticatedError: HTTPStatus.UNAUTHORIZED,
    NotFoundError: HTTPStatus.NOT_FOUND,
    ForbiddenError: HTTPStatus.FORBIDDEN,  # a role too low (shared projects); a stranger gets NotFoundError
    ConflictError: HTTPStatus.CONFLICT,
    # 409, not 403 (a role) or 422 (the request itself is fine): the account's state refuses it, and deleting some
    # items resolves it (RFC 9110 15.5.10).
    QuotaExceededError: HTTPStatus.CONFLICT,
    InvalidInputError: HTTPStatus.BAD_REQUEST,
    IdempotencyKeyReusedError: HTTPStatus.UNPROCESSABLE_ENTITY,
    TooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    TooManyRequestsError: HTTPStatus.TOO_MANY_REQUESTS,
    # 403, not 401: the caller's token is fine (401 would tell the client its session ended); the action is refused.
    WrongPasswordError: HTTPStatus.FORBIDDEN,
}


def status_of(exc: DomainError) -> int:
    """The HTTP status of a domain error (also each item's status in a bulk edit's answer)."""
    return int(next((s for cls, s in _STATUS.items() if isinstance(exc, cls)), HTTPStatus.BAD_REQUEST))


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
# Our deepest request is 3 levels (a task's subtasks); json.loads itself gives up near 1 000 with a RecursionError.
MAX_JSON_DEPTH = 20
# The largest request is a task with 20 000 characters of notes (< 128 KB even escaped); API Gateway lets 10 MB in.
MAX_BODY_BYTES = 1024 * 1024


def json_depth(value: Any) -> int:
    """How deep objects and arrays nest in a parsed JSON value (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _body_problem(event: Any) -> Response[str] | None:
    """A JSON body that is too large, nests too deep, or is not one object: a 4xx naming ``body``."""
    if len(event.body) > MAX_BODY_BYTES:
        message = f"The body is larger than {MAX_BODY_BYTES // 1024} KB."
        return error_response(413, "too_large", message, {"body": f"is larger than {MAX_BODY_BYTES} bytes"})
    try:
        parsed = event.json_body
        too_deep = json_depth(parsed) > MAX_JSON_DEPTH
    except RecursionError:
        too_deep = True  # deeper than the parser goes
    except (ValueError, UnicodeDecodeError):
        return None  # Powertools' validation names the bad body
    if too_deep:
        fields = {"body": f"nests deeper than {MAX_JSON_DEPTH} levels"}
        return error_response(422, "validation_error", "The body nests too deeply.", fields)
    if not isinstance(parsed, dict):
        return error_response(422, "validation_error", "The body must be a JSON object.", {"body": "is not an object"})
    return None


class JsonBodyValidation(OpenAPIRequestValidationMiddleware):
    """Powertools' request validation, behind one more rule: a body is one JSON object, at most 1 MB and 20 levels.

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
            problem = _body_problem(event)
            if problem is not None:
                return problem
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
        status = status_of(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequestsError) else {}
        if status == HTTPStatus.UNAUTHORIZED:
            headers["WWW-Authenticate"] = "Bearer"  # as the authorizer's 401 (RFC 6750)
        return error_response(status, exc.code, exc.message, exc.fields, headers=headers or None)

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return error_response(404, "not_found", "There is nothing at this address.")

    @app.exception_handler(Exception)
    def unexpected(exc: Exception) -> Response[str]:
        if is_transient(exc):
            # AWS throttled us or was unreachable through botocore's retries: the client may retry, it is not a bug.
            logger.warning("a backing service is busy", exc_info=exc)
            return error_response(
                503,
                "service_unavailable",
                "The service is busy for a moment. Try again shortly.",
                headers={"Retry-After": str(TRANSIENT_RETRY_AFTER_S)},
            )
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side. Try again.")
