"""Signed links from emails, public (no sign-in): one-click unsubscribe (RFC 8058) and complete-the-task.

GET shows a small page with a button (mail scanners open links; they must not unsubscribe or complete
anything); the button, or a mail client's one-click unsubscribe, POSTs to the same URL. POST answers JSON,
or a page when the browser asks for HTML (the button).
"""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.errors import error_response
from backend.api.openapi import ERRORS
from backend.bootstrap import dependencies
from backend.domain.signing_keys import LINKS
from backend.names import APP_DISPLAY_NAME
from backend.schemas_notifications import LinkResult
from backend.services import inbox, links

router = APIGatewayRouter()
Token = Annotated[str, Query(min_length=1, max_length=2000, description="the signed token from the email")]
HTML = "text/html; charset=utf-8"
_PAGE_RESPONSES: dict[int, Any] = {
    200: {"description": "A page with a confirm button", "content": {"text/html": {}}},
    400: {"description": "The link is not valid or has expired (a page)", "content": {"text/html": {}}},
    422: ERRORS[422],
}
_POST_RESPONSES: dict[int, Any] = {200: {"description": "Done"}, 400: ERRORS[400], 422: ERRORS[422]}


def _page(status: int, title: str, message: str, *, action: str | None = None, button: str = "") -> Response[str]:
    form = (
        f'<form method="post" action="{escape(action)}"><button type="submit" style="font-size:16px;'
        f'padding:10px 16px">{escape(button)}</button></form>'
        if action
        else ""
    )
    body = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
        f'content="width=device-width"><title>{escape(title)}</title></head>'
        f'<body style="font-family:sans-serif;max-width:32em;margin:3em auto;padding:0 1em">'
        f"<p>{APP_DISPLAY_NAME}</p><h1>{escape(title)}</h1><p>{escape(message)}</p>{form}</body></html>"
    )
    return Response(status_code=status, content_type=HTML, body=body)


def _wants_html() -> bool:
    return "text/html" in (router.current_event.headers.get("accept") or "")


def _answer(status: str, message: str, title: str) -> Response[str]:
    if _wants_html():
        return _page(200, title, message)
    body = LinkResult(status=status, message=message).model_dump_json()  # type: ignore[arg-type]
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body)


def _invalid(exc: links.InvalidLinkError) -> Response[str]:
    if _wants_html():
        return _page(400, "This link does not work", exc.message)
    return error_response(400, exc.code, exc.message, exc.fields)


def _keys() -> tuple[bytes, ...]:
    return dependencies().signing_keys().verifying_keys(LINKS)


def _self_url(path: str, token: str) -> str:
    return links.url(dependencies().settings.public_api_url, path, token)


@router.get("/links/unsubscribe", summary="Unsubscribe page (from an email)", tags=["links"], responses=_PAGE_RESPONSES)
def unsubscribe_page(token: Token) -> Response[str]:
    try:
        claims = links.verify(token, action="unsubscribe", keys=_keys())
    except links.InvalidLinkError as exc:
        return _page(400, "This link does not work", exc.message)
    what = {"digest": "the daily digest", "weekly": "the weekly summary"}.get(claims.scope or "", "reminder emails")
    return _page(
        200,
        "Unsubscribe?",
        f"Stop getting {what}?",
        action=_self_url("/links/unsubscribe", token),
        button="Unsubscribe",
    )


@router.post(
    "/links/unsubscribe",
    summary="Unsubscribe (one click, RFC 8058 List-Unsubscribe-Post)",
    tags=["links"],
    responses=_POST_RESPONSES,
)
def unsubscribe(token: Token) -> Response[str]:
    deps = dependencies()
    try:
        status, message = inbox.unsubscribe(users=deps.users, token=token, keys=_keys(), now=deps.clock())
    except links.InvalidLinkError as exc:
        return _invalid(exc)
    return _answer(status, message, "Unsubscribed")


@router.get("/links/complete", summary="Complete-task page (from an email)", tags=["links"], responses=_PAGE_RESPONSES)
def complete_page(token: Token) -> Response[str]:
    try:
        links.verify(token, action="complete", keys=_keys())
    except links.InvalidLinkError as exc:
        return _page(400, "This link does not work", exc.message)
    return _page(
        200, "Mark as done?", "Complete this task.", action=_self_url("/links/complete", token), button="Mark as done"
    )


@router.post(
    "/links/complete", summary="Complete the task of a reminder email", tags=["links"], responses=_POST_RESPONSES
)
def complete(token: Token) -> Response[str]:
    deps = dependencies()
    try:
        status, message = inbox.complete_from_link(
            store=deps.tasks, users=deps.users, token=token, keys=_keys(), now=deps.clock()
        )
    except links.InvalidLinkError as exc:
        return _invalid(exc)
    return _answer(status, message, "Done" if status == "completed" else "Nothing to do")
