"""The reminders of one of the caller's tasks: read them, or replace the whole list."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller, caller_id
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import documented
from backend.bootstrap import dependencies
from backend.domain.reminders import describe
from backend.schemas import Id
from backend.schemas_notifications import ReminderList, ReminderPublic, RemindersPut
from backend.services import reminders
from backend.services.notification_settings import zone_of
from backend.services.reminders import PlannedReminder, ReminderInput

router = APIGatewayRouter()


def _public(task_id: str, planned: list[PlannedReminder]) -> ReminderList:
    tz = zone_of(caller(router))
    return ReminderList(
        task_id=task_id,
        reminders=[
            ReminderPublic(
                id=p.reminder.id,
                at=p.reminder.at,
                minutes_before=p.reminder.minutes_before,
                days_before=p.reminder.days_before,
                time=f"{p.reminder.time:%H:%M}" if p.reminder.time else None,
                text=describe(p.reminder, tz),
                next_at=p.fires_at,
                is_default=p.is_default,
            )
            for p in planned
        ],
    )


@router.get(
    "/tasks/<task_id>/reminders",
    summary="The reminders of a task (the default reminder when it has none of its own)",
    tags=["reminders"],
    security=AUTHENTICATED,
    responses=documented(),
)
def get_reminders(task_id: Annotated[Id, Path()]) -> ReminderList:
    deps = dependencies()
    user_id = caller_id(router)
    planned = reminders.get_reminders(
        store=deps.tasks,
        reminders=deps.notifications,
        users=deps.users,
        user_id=user_id,
        task_id=task_id,
        now=deps.clock(),
        caller=caller(router),
        memberships=deps.memberships,
    )
    return _public(task_id, planned)


@router.put(
    "/tasks/<task_id>/reminders",
    summary="Replace the reminders of a task (an empty list: none, not even the default one)",
    tags=["reminders"],
    security=AUTHENTICATED,
    responses=documented(),
)
def put_reminders(task_id: Annotated[Id, Path()], body: Annotated[RemindersPut, Body()]) -> ReminderList:
    deps = dependencies()
    assert deps.scheduler is not None
    user_id = caller_id(router)
    planned = reminders.set_reminders(
        store=deps.tasks,
        reminders=deps.notifications,
        scheduler=deps.scheduler,
        users=deps.users,
        user_id=user_id,
        task_id=task_id,
        items=[
            ReminderInput(
                at=r.at,
                minutes_before=r.minutes_before,
                days_before=r.days_before,
                time=None if r.time is None else time.fromisoformat(r.time),
            )
            for r in body.reminders
        ],
        now=deps.clock(),
        quotas=deps.settings.quotas,
        caller=caller(router),
        memberships=deps.memberships,
    )
    return _public(task_id, planned)
