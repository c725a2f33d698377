"""The calendar feed (issue 14): the signed-in routes that make and revoke it, and the public feed itself.

``GET /feeds/calendar.ics?token=`` is public (``PUBLIC_PATHS``): calendar apps cannot send an Authorization header;
the secret token is the credential. It answers ``text/calendar`` with a short ``Cache-Control``.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller_id
from backend.api.openapi import AUTHENTICATED, ERRORS, TOO_MANY_REQUESTS
from backend.api.responses import documented, no_content
from backend.bootstrap import dependencies
from backend.domain.calendar_feed import MAX_AGE_SECONDS
from backend.schemas_import import CalendarFeedUrl
from backend.services import calendar_feed

router = APIGatewayRouter()
FeedToken = Annotated[str, Query(min_length=1, max_length=200, description="the feed's secret token")]
FeedProject = Annotated[str | None, Query(min_length=1, max_length=64, description="only this project's tasks")]
_FEED_RESPONSES: dict[int, Any] = {
    200: {"description": "The iCalendar document", "content": {"text/calendar": {"schema": {"type": "string"}}}},
    404: ERRORS[404],
    422: ERRORS[422],
    429: TOO_MANY_REQUESTS,
}


@router.post(
    "/me/calendar-feed",
    summary="Make a new calendar feed URL",
    description="A new secret subscription URL; the previous one (if any) answers 404 from now on. "
    "Add `&project_id=<id>` to the URL for one project only.",
    tags=["me"],
    security=AUTHENTICATED,
    responses=documented(),
)
def create_feed() -> CalendarFeedUrl:
    deps = dependencies()
    feed_url = calendar_feed.create(
        feeds=deps.feeds, user_id=caller_id(router), api_url=deps.settings.public_api_url, now=deps.clock()
    )
    return CalendarFeedUrl(url=feed_url)


@router.delete(
    "/me/calendar-feed",
    summary="Revoke my calendar feed",
    description="The feed URL answers 404 from now on. Idempotent.",
    tags=["me"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def revoke_feed() -> Response[None]:
    calendar_feed.revoke(feeds=dependencies().feeds, user_id=caller_id(router))
    return no_content()


@router.get(
    calendar_feed.PATH,
    summary="Calendar feed (iCalendar; public, the token is the credential)",
    tags=["me"],
    responses=_FEED_RESPONSES,
)
def feed(token: FeedToken, project_id: FeedProject = None) -> Response[bytes]:
    deps = dependencies()
    body = calendar_feed.render(
        token,
        project_id=project_id,
        feeds=deps.feeds,
        users=deps.users,
        tasks=deps.tasks,
        memberships=deps.memberships,
        limits=deps.notifications,
        now=deps.clock(),
    )
    headers = {"Cache-Control": f"private, max-age={MAX_AGE_SECONDS}"}
    return Response(status_code=200, content_type="text/calendar; charset=utf-8", body=body, headers=headers)
