"""The caller's notification inbox (read, read all, snooze) and SMS number verification."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller_id
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import documented
from backend.bootstrap import dependencies
from backend.domain.notifications import Notification
from backend.domain.signing_keys import SMS_CODE
from backend.schemas import Preferences
from backend.schemas_notifications import (
    DeliveryPublic,
    NotificationPage,
    NotificationPublic,
    PhoneCodeRequest,
    PhoneCodeSent,
    PhoneVerifyRequest,
    ReadAllResult,
    SnoozeRequest,
    UnreadCount,
)
from backend.services import inbox
from backend.services.notification_settings import public_preferences

router = APIGatewayRouter()
NotificationId = Annotated[str, Path(pattern=r"^[0-9A-Za-z_-]{1,40}$")]


def notification_public(note: Notification) -> NotificationPublic:
    return NotificationPublic(
        id=note.id,
        kind=note.kind,
        title=note.title,
        body=note.body,
        task_id=note.task_id,
        fire_at=note.fire_at,
        created_at=note.created_at,
        status=note.status,
        deliveries=[
            DeliveryPublic(channel=channel, status=d.status, detail=d.detail, attempts=d.attempts)  # type: ignore[arg-type]
            for channel, d in sorted(note.deliveries.items())
        ],
        read=note.read,
        snoozed_until=note.snoozed_until,
    )


@router.get(
    "/notifications",
    summary="My notifications, newest first, with the unread count",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_notifications(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> NotificationPage:
    deps = dependencies()
    items, next_cursor, unread = inbox.page(
        inbox=deps.notifications, user_id=caller_id(router), limit=limit, cursor=cursor
    )
    return NotificationPage(items=[notification_public(n) for n in items], next_cursor=next_cursor, unread_count=unread)


@router.get(
    "/notifications/unread-count",
    summary="How many notifications are unread (the bell)",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=documented(),
)
def unread_count() -> UnreadCount:
    return UnreadCount(unread_count=dependencies().notifications.unread_count(caller_id(router)))


@router.post(
    "/notifications/read-all",
    summary="Mark every notification read",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=documented(),
)
def read_all() -> ReadAllResult:
    deps = dependencies()
    user_id = caller_id(router)
    marked = deps.notifications.mark_all_read(user_id)
    return ReadAllResult(marked=marked, unread_count=deps.notifications.unread_count(user_id))


@router.post(
    "/notifications/<notification_id>/read",
    summary="Mark one notification read",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=documented(),
)
def read_one(notification_id: NotificationId) -> NotificationPublic:
    deps = dependencies()
    note = inbox.mark_read(inbox=deps.notifications, user_id=caller_id(router), notification_id=notification_id)
    return notification_public(note)


@router.post(
    "/notifications/<notification_id>/snooze",
    summary='Remind me again later: {"for": "10m" | "1h" | "tomorrow"} (tomorrow 09:00 local)',
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=documented(),
)
def snooze(notification_id: NotificationId, request: Annotated[SnoozeRequest, Body()]) -> NotificationPublic:
    deps = dependencies()
    assert deps.scheduler is not None
    note = inbox.snooze(
        inbox=deps.notifications,
        users=deps.users,
        store=deps.tasks,
        scheduler=deps.scheduler,
        user_id=caller_id(router),
        notification_id=notification_id,
        choice=request.for_,
        now=deps.clock(),
    )
    return notification_public(note)


@router.post(
    "/notifications/sms/code",
    summary="Text a 6-digit code to this number (it becomes my SMS number once verified)",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=documented(limited=True),
)
def send_phone_code(request: Annotated[PhoneCodeRequest, Body()]) -> PhoneCodeSent:
    deps = dependencies()
    assert deps.texter is not None
    expires = inbox.send_phone_code(
        inbox=deps.notifications,
        limits=deps.notifications,
        users=deps.users,
        texter=deps.texter,
        user_id=caller_id(router),
        phone=request.phone,
        secret=deps.signing_keys().signing_key(SMS_CODE),
        codes_per_day=deps.settings.sms_codes_per_day,
        now=deps.clock(),
    )
    return PhoneCodeSent(phone=request.phone, expires_at=expires)


@router.post(
    "/notifications/sms/verify",
    summary="Verify my SMS number with the texted code (switches SMS reminders on)",
    tags=["notifications"],
    security=AUTHENTICATED,
    responses=documented(limited=True),
)
def verify_phone(request: Annotated[PhoneVerifyRequest, Body()]) -> Preferences:
    deps = dependencies()
    user = inbox.verify_phone(
        inbox=deps.notifications,
        limits=deps.notifications,
        users=deps.users,
        user_id=caller_id(router),
        code=request.code,
        secret=deps.signing_keys().signing_key(SMS_CODE),
        now=deps.clock(),
    )
    return public_preferences(user)
