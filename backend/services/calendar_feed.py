"""The calendar feed (issue 14): make, revoke and render a user's secret iCalendar URL. No HTTP, no boto3.

One feed per user; ``?project_id=`` narrows it to one project the owner can still see (checked at each request, so
leaving a shared project empties that feed). Unknown, replaced and revoked tokens all look the same: not found.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

from backend.adapters.ports import CalendarFeeds, LimitStore, MembershipStore, TaskStore, UserRepository
from backend.domain import calendar_feed
from backend.domain.rate_limits import LimitKey
from backend.domain.tasks import Task, TaskQuery
from backend.domain.users import User
from backend.errors import NotFoundError, TooManyRequestsError
from backend.services import access
from backend.services.rate_limits import Limit, take

PATH = "/feeds/calendar.ics"
PAGE = 500


def url(api_url: str, token: str) -> str:
    return f"{api_url.rstrip('/')}{PATH}?{urlencode({'token': token})}"


def create(*, feeds: CalendarFeeds, user_id: str, api_url: str, now: datetime) -> str:
    """A new secret URL; the previous one (if any) stops working."""
    token = calendar_feed.new_token()
    feeds.replace(user_id, calendar_feed.token_hash(token), now=now)
    return url(api_url, token)


def revoke(*, feeds: CalendarFeeds, user_id: str) -> None:
    """Idempotent: no feed is the same as a revoked one."""
    feeds.revoke(user_id)


def _not_found() -> NotFoundError:
    return NotFoundError("No such calendar feed.", fields={"token": "does not exist"})


def _pages(tasks: TaskStore, query: TaskQuery) -> Iterator[Task]:
    cursor: str | None = None
    while True:
        page, cursor = tasks.list_tasks(query, limit=PAGE, cursor=cursor)
        yield from page
        if cursor is None:
            return


def feed_tasks(
    user: User, *, tasks: TaskStore, memberships: MembershipStore, project_id: str | None, now: datetime
) -> list[Task]:
    """Open dated tasks (by due date) and those completed within the window (newest first, stopping at its edge)."""
    shared: tuple[str, ...] = ()
    if project_id is not None:
        where = access.project(user, project_id, tasks=tasks, memberships=memberships)
        owner = where.partition
    else:
        owner, shared = user.id, tuple(access.partitions(user)[1:])
    base = TaskQuery(user_id=owner, shared=shared, project_id=project_id)
    found = list(_pages(tasks, replace(base, status="open", sort="due", due_from="0")))
    since = now - calendar_feed.COMPLETED_WINDOW
    for task in _pages(tasks, replace(base, status="done", sort="completed")):
        if task.completed_at is None or task.completed_at < since:
            break
        found.append(task)
    return found


def project_names(user: User, *, tasks: TaskStore, memberships: MembershipStore) -> dict[str, str]:
    names = {project.id: project.name for project in tasks.list_projects(user.id)}
    if user.shared_projects:
        names.update({p.id: p.name for p, _ in memberships.projects_of(user.id, user.shared_projects)})
    return names


def render(
    token: str,
    *,
    project_id: str | None,
    feeds: CalendarFeeds,
    users: UserRepository,
    tasks: TaskStore,
    memberships: MembershipStore,
    limits: LimitStore,
    now: datetime,
) -> bytes:
    """The iCalendar document behind ``token`` (``NotFoundError`` for an unknown/revoked one or a project the owner
    cannot see; ``TooManyRequestsError`` past ``FEED_READS``)."""
    owner = feeds.owner_of(calendar_feed.token_hash(token))
    user = users.get(owner) if owner is not None else None
    if user is None or user.deleted_at is not None:
        raise _not_found()
    refused = take(limits, [Limit(LimitKey("user", user.id, "calendar-feed"), calendar_feed.FEED_READS)], now=now)
    if refused is not None:
        raise TooManyRequestsError(
            "This calendar feed is read too often; try again later.",
            retry_after=max(1, math.ceil(refused.wait.total_seconds())),
        )
    try:
        found = feed_tasks(user, tasks=tasks, memberships=memberships, project_id=project_id, now=now)
    except NotFoundError:
        raise NotFoundError("No such project.", fields={"project_id": "does not exist"}) from None
    names = project_names(user, tasks=tasks, memberships=memberships)
    return calendar_feed.build(found, timezone=user.timezone, now=now, project_names=names)
