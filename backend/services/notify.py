"""What the reminders Lambda does when a schedule fires: check, claim, send, record. No HTTP, no boto3.

Exactly once per occurrence: the inbox row's id is derived from the reminder's schedule and its instant, and
creating that row is a conditional write (``claim``): a retried or duplicated invocation finds it and sends
nothing. A transient send failure is retried with backoff (``adapters.messaging``); what still fails is
recorded on the row (``failed``) and shown in the inbox, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from backend.adapters.ports import (
    Inbox,
    Mailer,
    ReminderLists,
    ReplyTargets,
    Schedules,
    StatsStore,
    TaskStore,
    Texter,
    UserRepository,
)
from backend.domain import schedules
from backend.domain.notifications import Delivery, Email, Notification, SendFailedError
from backend.domain.reminders import deliver_at, reminder_instant, sms_text
from backend.domain.sharing import project_of_partition
from backend.domain.tasks import Status, Task, TaskQuery
from backend.domain.users import User
from backend.services import inbound, links
from backend.services.email_templates import digest_email, mention_email, reminder_email
from backend.services.notification_settings import quiet_hours, zone_of
from backend.services.reminders import effective_reminders
from backend.services.weekly_summary import build_weekly_summary

Outcome = Literal["pending", "sent", "partial", "failed", "skipped", "stale", "duplicate", "deferred", "off"]
DEFER_SLACK = timedelta(seconds=60)


@dataclass(frozen=True)
class LinkConfig:
    key: bytes = field(repr=False)  # the links key (signing_keys.LINKS), read from Secrets Manager per invocation
    api_url: str
    app_url: str
    reply_to: str | None = None  # where an answer to a reminder email goes (issue 16)


@dataclass(frozen=True)
class Ports:
    store: TaskStore
    users: UserRepository
    reminders: ReminderLists
    inbox: Inbox
    scheduler: Schedules
    mailer: Mailer
    texter: Texter
    links: LinkConfig
    stats: StatsStore | None = None  # the weekly summary's figures (aggregates of issue 8)
    replies: ReplyTargets | None = None  # where each reminder went, for answers to it (issue 16)


def _when(task: Task, tz: ZoneInfo) -> str:
    if task.due_date is None:
        return "no due date"
    text = f"due {task.due_date:%a %d %b}"
    return f"{text} at {task.due_time:%H:%M}" if task.due_time else text


def _is_current(payload: dict[str, Any], task: Task, user: User | None, ports: Ports) -> bool:
    """The reminder still exists and still fires at this instant (else the payload is stale)."""
    if task.status is Status.DONE:
        return False
    project_id = project_of_partition(task.user_id)
    if user is None or (project_id is not None and project_id not in user.shared_projects):
        return False  # no longer a member of the task's project
    if payload.get("snoozed_from"):
        return True  # a snooze fires for the task as long as it is open
    own = ports.reminders.get_reminders(user.id, task.id)
    reminders, _ = effective_reminders(task, own, user)
    reminder = next((r for r in reminders if r.id == payload.get("reminder_id")), None)
    if reminder is None:
        return False
    instant = reminder_instant(reminder, due_date=task.due_date, due_time=task.due_time, tz=zone_of(user))
    return instant is not None and instant == datetime.fromisoformat(payload["fire_at"])


def _sent_or_failed(send: Callable[[], tuple[str, int]]) -> Delivery:
    """The outcome of one send, for the row. Anything the sender raises is a failure on the record: the row was
    claimed before the send, so an escaping error would leave it ``pending`` and the retried invocation would
    find it claimed and send nothing, with no trace in the inbox."""
    try:
        _, attempts = send()
    except SendFailedError as failure:
        return Delivery("failed", failure.detail, failure.attempts)
    except Exception as exc:  # a sender bug or an error it did not expect: still recorded, never "sent"
        return Delivery("failed", f"{type(exc).__name__}: {exc}"[:500], 1)
    return Delivery("sent", "", attempts)


def _send_email(note: Notification, email: Email, ports: Ports) -> Notification:
    return note.with_delivery("email", _sent_or_failed(lambda: ports.mailer.send(email)))


def _send_sms(note: Notification, user: User, text: str, ports: Ports) -> Notification:
    p = user.preferences
    if not (p.sms_notifications and p.sms_verified and p.sms_phone):
        return note.with_delivery("sms", Delivery("skipped", "SMS is off"))
    phone = p.sms_phone
    return note.with_delivery("sms", _sent_or_failed(lambda: ports.texter.send(phone, text)))


def deliver_reminder(payload: dict[str, Any], *, ports: Ports, now: datetime) -> Outcome:
    user_id, task_id = str(payload["user_id"]), str(payload["task_id"])
    fire_at = datetime.fromisoformat(payload["fire_at"])
    origin = str(payload.get("origin") or schedules.reminder_name(task_id, str(payload.get("reminder_id"))))
    partition = str(payload.get("partition") or user_id)  # a shared task lives in its project's partition
    task = ports.store.get_task(partition, task_id)
    user = ports.users.get(user_id)
    if task is None or user is None or not _is_current(payload, task, user, ports):
        return "stale"
    tz = zone_of(user)
    p = user.preferences
    loud = p.email_notifications or (p.sms_notifications and p.sms_verified)
    if loud and not payload.get("deferred"):
        later = deliver_at(now, tz=tz, quiet=quiet_hours(p))
        if later - now > DEFER_SLACK:
            ports.scheduler.put_one_time(schedules.quiet_name(origin), later, {**payload, "deferred": True})
            return "deferred"
    note = Notification(
        id=schedules.notification_id(origin, fire_at),
        user_id=user_id,
        kind="reminder",
        title=task.title,
        body=_when(task, tz),
        fire_at=fire_at,
        created_at=now,
        task_id=task.id,
        reminder_id=str(payload.get("reminder_id") or ""),
        origin=origin,
        due_key=task.due_key,
        read=not p.in_app_notifications,
        deliveries={"in_app": Delivery("sent" if p.in_app_notifications else "skipped")},
    )
    if not ports.inbox.claim(note, now=now):
        return "duplicate"
    if p.email_notifications:
        note = _send_email(note, reminder_message(task, user, ports.links, now=now), ports)
    else:
        note = note.with_delivery("email", Delivery("skipped", "email reminders are off"))
    note = _send_sms(note, user, sms_text(task.title, _when(task, tz)), ports)
    ports.inbox.record(note)
    if ports.replies is not None:  # an answer from where it went applies to this task (issue 16)
        inbound.remember(ports.replies, note, user=user, partition=task.user_id, now=now)
    return note.status


def reminder_message(task: Task, user: User, config: LinkConfig, *, now: datetime) -> Email:
    complete = links.sign(
        links.LinkClaims(action="complete", user_id=user.id, task_id=task.id, due_key=task.due_key),
        key=config.key,
        now=now,
    )
    unsubscribe = links.sign(
        links.LinkClaims(action="unsubscribe", user_id=user.id, scope="reminders"), key=config.key, now=now
    )
    unsubscribe_url = links.url(config.api_url, "/links/unsubscribe", unsubscribe)
    subject, text, html = reminder_email(
        title=task.title,
        when=_when(task, zone_of(user)),
        complete_url=links.url(config.api_url, "/links/complete", complete),
        open_url=f"{config.app_url.rstrip('/')}/",
        unsubscribe_url=unsubscribe_url,
    )
    return Email(
        to=user.email, subject=subject, text=text, html=html, unsubscribe_url=unsubscribe_url, reply_to=config.reply_to
    )


# --- the daily digest ---------------------------------------------------------------------------------
def deliver_digest(payload: dict[str, Any], *, ports: Ports, now: datetime) -> Outcome:
    user = ports.users.get(str(payload["user_id"]))
    if user is None or not user.preferences.digest_enabled:
        return "off"
    tz = zone_of(user)
    today = now.astimezone(tz).date()
    origin = schedules.digest_name(user.id)
    day = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    query = TaskQuery(user_id=user.id, status="open", sort="due", due_to=today.isoformat())
    due, _ = ports.store.list_tasks(query, limit=50, cursor=None)
    note = Notification(
        id=schedules.notification_id(origin, day),
        user_id=user.id,
        kind="digest",
        title=f"Daily digest: {len(due)} task{'s' if len(due) != 1 else ''} due",
        body=", ".join(t.title for t in due[:5])[:300],
        fire_at=now,
        created_at=now,
        origin=origin,
        read=True,  # the digest is an email; the inbox keeps it for the record, not as news
    )
    if not ports.inbox.claim(note, now=now):
        return "duplicate"
    if not due:
        ports.inbox.record(note.with_delivery("email", Delivery("skipped", "nothing due today")))
        return "skipped"
    token = links.sign(
        links.LinkClaims(action="unsubscribe", user_id=user.id, scope="digest"), key=ports.links.key, now=now
    )
    unsubscribe_url = links.url(ports.links.api_url, "/links/unsubscribe", token)
    local_now = now.astimezone(tz).replace(tzinfo=None)
    lines = [(t.title, "overdue" if t.is_overdue(local_now) else _when(t, tz)) for t in due]
    subject, text, html = digest_email(
        lines=lines, open_url=f"{ports.links.app_url.rstrip('/')}/", unsubscribe_url=unsubscribe_url
    )
    email = Email(to=user.email, subject=subject, text=text, html=html, unsubscribe_url=unsubscribe_url)
    note = _send_email(note, email, ports)
    ports.inbox.record(note)
    return note.status


# --- the weekly summary (issue 8) -------------------------------------------------------------------
def deliver_weekly(payload: dict[str, Any], *, ports: Ports, now: datetime) -> Outcome:
    """The opt-in weekly summary: its schedule fires every morning, the email goes out on Mondays (local)."""
    user = ports.users.get(str(payload["user_id"]))
    if user is None or not user.preferences.weekly_summary or ports.stats is None:
        return "off"
    today = now.astimezone(zone_of(user)).date()
    if today.weekday() != schedules.WEEKLY_SUMMARY_WEEKDAY:
        return "skipped"
    origin = schedules.weekly_name(user.id)
    day = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    token = links.sign(
        links.LinkClaims(action="unsubscribe", user_id=user.id, scope="weekly"), key=ports.links.key, now=now
    )
    email = build_weekly_summary(
        user,
        stats=ports.stats,
        app_url=ports.links.app_url,
        unsubscribe_url=links.url(ports.links.api_url, "/links/unsubscribe", token),
        now=now,
    )
    note = Notification(
        id=schedules.notification_id(origin, day),
        user_id=user.id,
        kind="weekly",
        title=email.subject,
        body="Your weekly summary",
        fire_at=now,
        created_at=now,
        origin=origin,
        read=True,  # an email; the inbox keeps it for the record, not as news
    )
    if not ports.inbox.claim(note, now=now):
        return "duplicate"
    note = _send_email(note, email, ports)
    ports.inbox.record(note)
    return note.status


# --- the email of an @mention (issue 13) -------------------------------------------------------------
def mention_message(note: Notification, user: User, config: LinkConfig, *, now: datetime) -> Email:
    token = links.sign(
        links.LinkClaims(action="unsubscribe", user_id=user.id, scope="reminders"), key=config.key, now=now
    )
    unsubscribe_url = links.url(config.api_url, "/links/unsubscribe", token)
    subject, text, html = mention_email(
        headline=note.title,
        excerpt=note.body,
        open_url=f"{config.app_url.rstrip('/')}/",
        unsubscribe_url=unsubscribe_url,
    )
    return Email(to=user.email, subject=subject, text=text, html=html, unsubscribe_url=unsubscribe_url)


def deliver_mention(payload: dict[str, Any], *, ports: Ports, now: datetime) -> Outcome:
    """Email one @mention whose inbox row the comment's request made (the schedule fired at once, or when the
    member's quiet hours ended). The preference is read again now: turned off meanwhile, nothing is sent."""
    user = ports.users.get(str(payload["user_id"]))
    note = ports.inbox.get(str(payload["user_id"]), str(payload["notification_id"]))
    if user is None or note is None or note.kind != "mention":
        return "stale"
    if note.deliveries.get("email", Delivery("pending")).status != "pending":
        return "duplicate"  # a retried invocation: the first one sent it (or recorded why not)
    if user.preferences.email_notifications:
        note = _send_email(note, mention_message(note, user, ports.links, now=now), ports)
    else:
        note = note.with_delivery("email", Delivery("skipped", "email notifications are off"))
    ports.inbox.record(note)
    return note.status
