"""Comments on tasks (markdown, @mentions) and a project's activity log (issue 13)."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import created, documented, no_content
from backend.bootstrap import Dependencies, dependencies
from backend.presenters import comment_public
from backend.schemas import Id
from backend.schemas_comments import (
    ActivityPage,
    ActivityPublic,
    CommentCreate,
    CommentId,
    CommentPage,
    CommentPublic,
    CommentUpdate,
)
from backend.services import comments
from backend.services.comments import CommentView, MentionPorts, Ports

router = APIGatewayRouter()
Cursor = Annotated[str | None, Query(max_length=2000, description="the `cursor` of the previous page")]


def _ports(deps: Dependencies) -> Ports:
    return Ports(tasks=deps.tasks, memberships=deps.memberships, comments=deps.comments, users=deps.users)


def _mention_ports(deps: Dependencies) -> MentionPorts | None:
    if deps.scheduler is None:
        return None
    return MentionPorts(inbox=deps.notifications, scheduler=deps.scheduler, limits=deps.notifications)


def _public(view: CommentView) -> CommentPublic:
    return comment_public(view.comment, view.author_name)


@router.get(
    "/tasks/<task_id>/comments",
    summary="A task's comments, oldest first (any member of its project)",
    tags=["comments"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_comments(
    task_id: Annotated[Id, Path()],
    limit: Annotated[int, Query(ge=1, le=100)] = comments.PAGE,
    cursor: Cursor = None,
) -> CommentPage:
    deps = dependencies()
    views, next_cursor = comments.list_comments(
        user=caller(router), task_id=task_id, ports=_ports(deps), limit=limit, cursor=cursor
    )
    return CommentPage(items=[_public(v) for v in views], cursor=next_cursor)


@router.post(
    "/tasks/<task_id>/comments",
    summary="Comment on a task (markdown; @name notifies a member); editors and up",
    tags=["comments"],
    security=AUTHENTICATED,
    responses=documented(CommentPublic),
)
def add_comment(task_id: Annotated[Id, Path()], data: Annotated[CommentCreate, Body()]) -> Response[str]:
    deps = dependencies()
    view = comments.add_comment(
        user=caller(router),
        task_id=task_id,
        body=data.body,
        ports=_ports(deps),
        mention_ports=_mention_ports(deps),
        now=deps.clock(),
    )
    return created(_public(view))


@router.patch(
    "/comments/<comment_id>",
    summary="Edit your comment; 409 if it changed since `version`",
    tags=["comments"],
    security=AUTHENTICATED,
    responses=documented(),
)
def edit_comment(comment_id: Annotated[CommentId, Path()], data: Annotated[CommentUpdate, Body()]) -> CommentPublic:
    deps = dependencies()
    view = comments.edit_comment(
        user=caller(router),
        comment_id=comment_id,
        body=data.body,
        version=data.version,
        ports=_ports(deps),
        mention_ports=_mention_ports(deps),
        now=deps.clock(),
    )
    return _public(view)


@router.delete(
    "/comments/<comment_id>",
    summary="Delete your comment (an admin of the project: anyone's)",
    tags=["comments"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def delete_comment(comment_id: Annotated[CommentId, Path()]) -> Response[None]:
    deps = dependencies()
    comments.delete_comment(
        user=caller(router), comment_id=comment_id, ports=_ports(deps), now=deps.clock(), scheduler=deps.scheduler
    )
    return no_content()


@router.get(
    "/projects/<project_id>/activity",
    summary="A project's activity log, newest first, 50 a page (any member)",
    tags=["projects"],
    security=AUTHENTICATED,
    responses=documented(),
)
def project_activity(project_id: Annotated[Id, Path()], cursor: Cursor = None) -> ActivityPage:
    deps = dependencies()
    entries, names, next_cursor = comments.project_activity(
        user=caller(router),
        project_id=project_id,
        tasks=deps.tasks,
        memberships=deps.memberships,
        log=deps.activity,
        users=deps.users,
        now=deps.clock(),
        cursor=cursor,
    )
    return ActivityPage(
        items=[
            ActivityPublic(
                id=e.id or "",
                actor_id=e.actor,
                actor_name=names[e.actor],
                what=e.what,
                task_id=e.task_id,
                task_title=e.task_title,
                member_id=e.member_id,
                member_name=names[e.member_id] if e.member_id else None,
                before=dict(e.before),
                after=dict(e.after),
                at=e.at,
            )
            for e in entries
        ],
        cursor=next_cursor,
    )
