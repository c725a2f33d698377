"""Tasks of the caller and of the shared projects they are a member of: list (views, filters, sort, cursor,
``assignee=me``), CRUD, complete/reopen, bulk, quick-add parsing. Access is decided by the services (issue 13)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.adapters.read_ahead import ReadPlan
from backend.api.auth import caller, caller_id, reads_ahead
from backend.api.errors import status_of
from backend.api.idempotency import IDEMPOTENCY_ERRORS, IdempotencyKeyHeader, idempotent
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import created, documented, no_content, ok
from backend.bootstrap import dependencies
from backend.domain.tasks import Task
from backend.errors import StaleVersionError
from backend.presenters import task_public
from backend.schemas import (
    ID_PATTERN,
    BulkAction,
    BulkEdit,
    BulkEditResponse,
    BulkEditResult,
    BulkResult,
    CalendarDate,
    CountBy,
    ErrorDetail,
    Id,
    Priority,
    QuickAddParsed,
    QuickAddRequest,
    StatusFilter,
    TaskCreate,
    TaskPage,
    TaskPublic,
    TaskSort,
    TaskUpdate,
    TaskView,
)
from backend.services import tasks
from backend.services.attachments import TaskAttachmentCleanup
from backend.services.comments import TaskCommentCleanup
from backend.services.notification_settings import date_order_of
from backend.services.tasks import UserClock, Who

router = APIGatewayRouter()


def _clock() -> UserClock:
    """The caller's clock from the Users row the session check already read (no second read per request)."""
    return tasks.clock_of(caller(router), dependencies().clock())


def _who() -> Who:
    """The caller (their shared projects come with the Users row already read) for the services' access checks."""
    deps = dependencies()
    return Who(user=caller(router), memberships=deps.memberships, mover=deps.mover)


@router.get(
    "/tasks",
    summary="List tasks: a view, filters, a sort and a cursor",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_tasks(
    view: Annotated[TaskView, Query(description="today = due today + overdue; upcoming = next N days")] = "all",
    project_id: Annotated[Id | None, Query()] = None,
    label_id: Annotated[Id | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
    due_from: Annotated[CalendarDate | None, Query()] = None,
    due_to: Annotated[CalendarDate | None, Query()] = None,
    overdue: Annotated[bool, Query()] = False,
    status: Annotated[StatusFilter | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=200, description="search in title and notes")] = None,
    sort: Annotated[TaskSort | None, Query()] = None,
    days: Annotated[int, Query(ge=1, le=31, description="length of the upcoming view")] = 7,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
    has_attachments: Annotated[bool | None, Query(description="only tasks with (true) / without (false) files")] = None,
    with_total: Annotated[bool, Query(description="also count the whole list (`total`)")] = False,
    count_by: Annotated[CountBy | None, Query(description="also count per section or status (`counts`)")] = None,
    assignee: Annotated[
        Literal["me"] | None, Query(description="only the tasks assigned to you (in due order; status open or done)")
    ] = None,
    parent_id: Annotated[
        Id | None,
        Query(
            description="the subtasks of this task (done ones, then open ones, each in manual order); "
            "takes no view or sort"
        ),
    ] = None,
) -> TaskPage:
    user_id = caller_id(router)
    clock = _clock()
    request = tasks.ListRequest(
        view=view,
        project_id=project_id,
        label_id=label_id,
        priority=priority,
        due_from=due_from,
        due_to=due_to,
        overdue=overdue,
        status=status,
        search=q,
        sort=sort,
        upcoming_days=days,
        limit=limit,
        cursor=cursor,
        has_attachments=has_attachments,
        assignee=assignee,
        parent_id=parent_id,
    )
    store = dependencies().tasks
    who = _who()
    items, next_cursor = tasks.list_tasks(store=store, user_id=user_id, request=request, clock=clock, who=who)
    page = TaskPage(items=[task_public(t, clock.local_naive) for t in items], next_cursor=next_cursor)
    if with_total or count_by is not None:
        totals = tasks.count_tasks(
            store=store,
            user_id=user_id,
            request=request,
            clock=clock,
            page=items,
            next_cursor=next_cursor,
            by=count_by,
            who=who,
        )
        page.total, page.counts = totals.total, (totals.counts if count_by is not None else None)
    return page


@router.post(
    "/tasks",
    summary="Create a task (in the Inbox unless a project is given); safe to retry with an Idempotency-Key",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses={**documented(TaskPublic), **IDEMPOTENCY_ERRORS},
)
def create_task(data: Annotated[TaskCreate, Body()], idempotency_key: IdempotencyKeyHeader = None) -> Response[str]:
    def create() -> Response[str]:
        user_id = caller_id(router)
        clock = _clock()
        deps = dependencies()
        task = tasks.create_task(
            store=deps.tasks, user_id=user_id, data=data, now=clock.now, quotas=deps.settings.quotas, who=_who()
        )
        return created(task_public(task, clock.local_naive))

    payload = data.model_dump(mode="json")
    return idempotent(router, key=idempotency_key, operation="tasks.create", payload=payload, produce=create)


TASK_ID = re.compile(ID_PATTERN)


def _task_ahead(user_id: str, args: dict[str, str], _: dict[str, str], __: datetime) -> ReadPlan:
    # The task in the caller's own partition, read with their Users row (a shared project's task is found after).
    task_id = args.get("task_id", "")
    return ReadPlan(user_id, task_id=task_id if TASK_ID.fullmatch(task_id) else None)


reads_ahead("GET", "/tasks/<task_id>", _task_ahead)
reads_ahead("PATCH", "/tasks/<task_id>", _task_ahead)


@router.get("/tasks/<task_id>", summary="One task", tags=["tasks"], security=AUTHENTICATED, responses=documented())
def get_task(task_id: Annotated[Id, Path()]) -> TaskPublic:
    user_id = caller_id(router)
    task = tasks.get_task(store=dependencies().tasks, user_id=user_id, task_id=task_id, who=_who())
    return task_public(task, _clock().local_naive)


@router.patch(
    "/tasks/<task_id>",
    summary="Edit a task; 409 with the current task if `version` is stale",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def update_task(task_id: Annotated[Id, Path()], changes: Annotated[TaskUpdate, Body()]) -> TaskPublic:
    user_id = caller_id(router)
    clock = _clock()
    task = tasks.update_task(
        store=dependencies().tasks, user_id=user_id, task_id=task_id, changes=changes, now=clock.now, who=_who()
    )
    return task_public(task, clock.local_naive)


@router.delete(
    "/tasks/<task_id>",
    summary="Delete a task",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def delete_task(task_id: Annotated[Id, Path()]) -> Response[None]:
    deps = dependencies()
    cleanup = TaskCommentCleanup(deps.comments, then=TaskAttachmentCleanup(deps.attachments, deps.storage))
    tasks.delete_task(store=deps.tasks, user_id=caller_id(router), task_id=task_id, on_deleted=cleanup, who=_who())
    return no_content()


@router.post(
    "/tasks/<task_id>/complete",
    summary="Complete (recurring: move to the next date); 409 `open_subtasks` while subtasks are open and "
    "`children` is not given",
    description="A task with open subtasks needs `children`: `complete` completes them all (every level) first, "
    "`keep` leaves them open. Without it the answer is 409 with the code `open_subtasks` and the open subtasks' ids "
    "in `fields.children`. A recurring task with `reset_subtasks` opens its subtasks again for its next occurrence.",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def complete_task(
    task_id: Annotated[Id, Path()],
    children: Annotated[
        Literal["complete", "keep"] | None,
        Query(description="what happens to open subtasks: complete them all, or keep them open"),
    ] = None,
) -> TaskPublic:
    user_id = caller_id(router)
    clock = _clock()
    task = tasks.complete_task(
        store=dependencies().tasks, user_id=user_id, task_id=task_id, clock=clock, who=_who(), children=children
    )
    return task_public(task, clock.local_naive)


@router.post(
    "/tasks/<task_id>/reopen",
    summary="Undo a completion",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def reopen_task(task_id: Annotated[Id, Path()]) -> TaskPublic:
    user_id = caller_id(router)
    clock = _clock()
    deps = dependencies()
    task = tasks.reopen_task(
        store=deps.tasks, user_id=user_id, task_id=task_id, now=clock.now, quotas=deps.settings.quotas, who=_who()
    )
    return task_public(task, clock.local_naive)


@router.post(
    "/tasks/bulk",
    summary="Complete, reopen, move or delete up to 100 tasks",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def bulk(action: Annotated[BulkAction, Body()]) -> BulkResult:
    user_id = caller_id(router)
    clock = _clock()
    deps = dependencies()
    cleanup = TaskCommentCleanup(deps.comments, then=TaskAttachmentCleanup(deps.attachments, deps.storage))
    updated, deleted = tasks.bulk(
        store=deps.tasks,
        user_id=user_id,
        action=action,
        clock=clock,
        on_deleted=cleanup,
        quotas=deps.settings.quotas,
        who=_who(),
    )
    return BulkResult(updated=[task_public(t, clock.local_naive) for t in updated], deleted=deleted)


@router.post(
    "/tasks/bulk-edit",
    summary="Change up to 100 tasks, each on its own (reschedule, priority, labels, assignee, move); undo with the "
    "previous values and versions",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses={
        **documented(),
        200: {"description": "One result per item", "content": {"application/json": {"model": BulkEditResponse}}},
        **IDEMPOTENCY_ERRORS,
    },
)
def bulk_edit(edit: Annotated[BulkEdit, Body()], idempotency_key: IdempotencyKeyHeader = None) -> Response[str]:
    def run() -> Response[str]:
        clock = _clock()
        outcomes = tasks.bulk_edit(
            store=dependencies().tasks, user_id=caller_id(router), items=edit.items, now=clock.now, who=_who()
        )
        return ok(BulkEditResponse(results=[_bulk_edit_result(outcome, clock) for outcome in outcomes]))

    payload = edit.model_dump(mode="json")
    return idempotent(router, key=idempotency_key, operation="tasks.bulk-edit", payload=payload, produce=run)


def _bulk_edit_result(outcome: tasks.BulkEditOutcome, clock: UserClock) -> BulkEditResult:
    def public(task: object) -> TaskPublic | None:
        return task_public(task, clock.local_naive) if isinstance(task, Task) else None

    if outcome.error is None:
        return BulkEditResult(id=outcome.id, status=200, task=public(outcome.task), previous=public(outcome.previous))
    error = outcome.error
    current = public(error.current) if isinstance(error, StaleVersionError) else None
    detail = ErrorDetail(code=error.code, message=error.message, fields=error.fields)
    return BulkEditResult(id=outcome.id, status=status_of(error), task=current, error=detail)


@router.post(
    "/quick-add/parse",
    summary="What quick add understands (nothing is saved)",
    tags=["tasks"],
    security=AUTHENTICATED,
    responses=documented(),
)
def parse_quick_add(request: Annotated[QuickAddRequest, Body()]) -> QuickAddParsed:
    return tasks.parse_quick_add(
        store=dependencies().tasks,
        user_id=caller_id(router),
        text=request.text,
        clock=_clock(),
        who=_who(),
        date_order=date_order_of(caller(router)),
    )
