"""The ``Idempotency-Key`` header at the API's edge: its declaration, its rules, and the replayable answer.

A route that creates something takes ``idempotency_key: IdempotencyKeyHeader = None`` and returns
``idempotent(router, key=..., operation=..., payload=..., produce=...)``. Without the header the work simply runs;
with it the first answer (status and body) is stored for 24 h and every repeat by the same user gets it back
(header ``Idempotent-Replayed: true``) without running the work again. See docs/decisions.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from backend.adapters.idempotency import HEADER, Answer
from backend.api.auth import caller_id
from backend.bootstrap import idempotent_requests
from backend.errors import InvalidInputError
from backend.schemas import ErrorBody

MAX_KEY_LENGTH = 128
# Printable ASCII, space included (what an HTTP header carries unambiguously); a UUID is the usual choice.
_KEY = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}")
REPLAYED_HEADER = "Idempotent-Replayed"

# The constraints are documented (json_schema_extra) but checked here, so that a bad key is a 400 naming the header
# (Powertools' own validation would answer 422 for a header like for a body field).
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias=HEADER,
        description=(
            "Makes the request safe to retry: a repeat with the same key within 24 h returns the first answer "
            "(same status and body, header `Idempotent-Replayed: true`) and creates nothing. One key per "
            f"intended action, e.g. a UUID; 1-{MAX_KEY_LENGTH} printable ASCII characters. The same key with "
            "another body answers 422; while the first request is still running, 409."
        ),
        json_schema_extra={"minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": f"^[ -~]{{1,{MAX_KEY_LENGTH}}}$"},
    ),
]

_ERROR_CONTENT: dict[str, Any] = {"application/json": {"model": ErrorBody}}
IDEMPOTENCY_ERRORS: dict[int, OpenAPIResponse] = {
    400: {
        "description": f"A malformed `{HEADER}` (or a request that does not fit together)",
        "content": _ERROR_CONTENT,
    },
    409: {
        "description": f"A request with this `{HEADER}` is still in progress: retry shortly",
        "content": _ERROR_CONTENT,
    },
    422: {
        "description": f"Invalid body, or this `{HEADER}` was already used with a different body",
        "content": _ERROR_CONTENT,
    },
}


def checked_key(value: str | None) -> str | None:
    """The header's value, None when absent; a 400 naming the header when it breaks the rules."""
    if value is None:
        return None
    if not _KEY.fullmatch(value):
        raise InvalidInputError(
            f"{HEADER} must be 1-{MAX_KEY_LENGTH} printable ASCII characters.",
            fields={HEADER: f"must be 1-{MAX_KEY_LENGTH} printable ASCII characters"},
        )
    return value


def idempotent(
    router: BaseRouter,
    *,
    key: str | None,
    operation: str,
    payload: Any,
    produce: Callable[[], Response[str]],
) -> Response[str]:
    """``produce()``, at most once per (caller, key) for 24 h; a repeat gets the first answer back."""
    checked = checked_key(key)
    if checked is None:
        return produce()

    def first_answer() -> Answer:
        response = produce()
        return Answer(status_code=response.status_code, body=str(response.body))

    outcome = idempotent_requests().once(
        operation=operation,
        scope=caller_id(router),
        key=checked,
        payload=payload,
        produce=first_answer,
        lambda_context=router.lambda_context,
    )
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else None
    return Response(
        status_code=outcome.answer.status_code,
        content_type=content_types.APPLICATION_JSON,
        body=outcome.answer.body,
        headers=headers,
    )
