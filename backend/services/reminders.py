"""Reminder use cases: a task's reminders, and keeping the Scheduler's schedules in step with tasks and profiles.

No HTTP, no boto3: the Scheduler and the tables come in as ports. Every task write goes through
``sync_task`` (see ``backend.services.reminder_sync``), so create, edit, complete, reopen, delete, bulk
actions, project deletion and a recurring task's next occurrence all leave exactly the right schedules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from backend.adapters.ports import ReminderLists, Schedules, TaskStore, UserRepository
from backend.domain import dates, schedules
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas, exceeded
from backend.domain.reminders import MAX_REMINDERS_PER_TASK, Reminder, reminder_id, reminder_instant
from backend.domain.tasks import Status, Task, TaskQuery
from backend.domain.users import User
from backend.errors import InvalidInputError, NotFoundError
from backend.services.notification_settings import zone_of


@dataclass(frozen=True)
class ReminderInput:
    """One reminder as the API sends it (validated for shape there; for fit with the task here)."""

    at: datetime | None = None
    minutes_before: int | None = None
    days_before: int | None = None
    time: time | None = None


@dataclass(frozen=True)
class PlannedReminder:
    reminder: Reminder
    fires_at: datetime | None  # None: in the past, or the task has no due to be relative to
    is_default: bool = False


def effective_reminders(task: Task, own: list[Reminder] | None, user: User | None) -> tuple[list[Reminder], bool]:
    """The task's own list, else the profile's default reminder for a task with a due time."""
    if own is not None:
        return own, False
    minutes = user.preferences.default_reminder_minutes if user else None
    if minutes is None or task.due_date is None or task.due_time is None:
        return [], False
    return [Reminder(id="default", minutes_before=minutes)], True


def plan(task: Task, reminders: list[Reminder], user: User | None, *, now: datetime) -> dict[str, tuple[datetime, Any]]:
    """Schedule name -> (instant, payload) for every reminder of ``task`` still to come. Pure."""
    if task.status is Status.DONE:
        return {}
    tz = zone_of(user)
    wanted: dict[str, tuple[datetime, Any]] = {}
    for reminder in reminders:
        instant = reminder_instant(reminder, due_date=task.due_date, due_time=task.due_time, tz=tz)
        if instant is None or instant <= now:
            continue
        name = schedules.reminder_name(task.id, reminder.id)
        payload = schedules.reminder_payload(
            user_id=task.user_id,
            task_id=task.id,
            reminder_id=reminder.id,
            fire_at=instant,
            due_key=task.due_key,
            origin=name,
        )
        wanted[name] = (instant, payload)
    return wanted


_UNREAD: Any = object()  # "not read yet" (None is a valid answer: no user / no own list)


def sync_task(
    task: Task,
    *,
    reminders: ReminderLists,
    scheduler: Schedules,
    users: UserRepository,
    now: datetime,
    user: Any = _UNREAD,
    own: Any = _UNREAD,
) -> None:
    """Create/replace the schedules the task needs now and delete the others (by the task's name prefix).
    ``user`` / ``own`` (the task's own reminder list): pass them when already read, to save the reads."""
    user = users.get(task.user_id) if user is _UNREAD else user
    own = reminders.get_reminders(task.user_id, task.id) if own is _UNREAD else own
    wanted = plan(task, effective_reminders(task, own, user)[0], user, now=now)
    for name in scheduler.names(schedules.reminder_prefix(task.id)):
        if name not in wanted:
            scheduler.delete(name)
    for name, (instant, payload) in wanted.items():
        scheduler.put_one_time(name, instant, payload)


def task_deleted(task: Task, *, reminders: ReminderLists, scheduler: Schedules) -> None:
    for name in scheduler.names(schedules.reminder_prefix(task.id)):
        scheduler.delete(name)
    reminders.delete_reminders(task.user_id, task.id)


def _validated(items: list[ReminderInput], task: Task) -> list[Reminder]:
    if len(items) > MAX_REMINDERS_PER_TASK:
        raise InvalidInputError(
            f"A task has at most {MAX_REMINDERS_PER_TASK} reminders.", fields={"reminders": "too many reminders"}
        )
    relative = any(item.at is None for item in items)
    if relative and not dates.in_range(task.due_date):
        assert task.due_date is not None
        raise InvalidInputError(
            f"This task is due {task.due_date.isoformat()}; give it a date from {dates.FIRST_DATE.year} to "
            f"{dates.LAST_DATE.year} before reminders relative to it.",
            fields={"due_date": dates.OUT_OF_RANGE},
        )
    result: dict[str, Reminder] = {}
    for index, item in enumerate(items):
        where = f"reminders.{index}"
        if item.minutes_before is not None and task.due_time is None:
            raise InvalidInputError("Minutes before need a due time.", fields={where: "the task has no due time"})
        if item.days_before is not None and task.due_date is None:
            raise InvalidInputError("Days before need a due date.", fields={where: "the task has no due date"})
        at = item.at.astimezone(UTC) if item.at else None
        key = (
            f"at:{at.isoformat()}"
            if at
            else f"m:{item.minutes_before}"
            if item.minutes_before is not None
            else f"d:{item.days_before}:{item.time}"
        )
        rid = reminder_id(key)
        result[rid] = Reminder(
            id=rid, at=at, minutes_before=item.minutes_before, days_before=item.days_before, time=item.time
        )
    return list(result.values())


def planned(task: Task, *, own: list[Reminder] | None, user: User | None, now: datetime) -> list[PlannedReminder]:
    effective, is_default = effective_reminders(task, own, user)
    tz = zone_of(user)
    result = []
    for reminder in effective:
        instant = None
        if task.status is Status.OPEN:
            instant = reminder_instant(reminder, due_date=task.due_date, due_time=task.due_time, tz=tz)
        result.append(PlannedReminder(reminder, instant if instant and instant > now else None, is_default))
    return result


def get_reminders(
    *, store: TaskStore, reminders: ReminderLists, users: UserRepository, user_id: str, task_id: str, now: datetime
) -> list[PlannedReminder]:
    task = store.get_task(user_id, task_id)
    if task is None:
        raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
    own = reminders.get_reminders(user_id, task_id)
    return planned(task, own=own, user=users.get(user_id), now=now)


def set_reminders(
    *,
    store: TaskStore,
    reminders: ReminderLists,
    scheduler: Schedules,
    users: UserRepository,
    user_id: str,
    task_id: str,
    items: list[ReminderInput],
    now: datetime,
    quotas: Quotas = DEFAULT_QUOTAS,
) -> list[PlannedReminder]:
    """Replace the task's reminders (an empty list: none, not even the default one) and reschedule."""
    task = store.get_task(user_id, task_id)
    if task is None:
        raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
    own = _validated(items, task)
    # Another task with reminders: each is a Scheduler schedule, and the account's schedules are shared by all.
    # (Two such requests at once may both pass at the limit: a bound on cost, not an exact count.)
    another = bool(own) and not reminders.get_reminders(user_id, task_id)
    if another and reminders.count_reminder_lists(user_id) >= quotas.tasks_with_reminders:
        raise exceeded("tasks with reminders", quotas.tasks_with_reminders, field="reminders")
    reminders.put_reminders(user_id, task_id, own, now=now)
    user = users.get(user_id)
    sync_task(task, reminders=reminders, scheduler=scheduler, users=users, now=now, user=user, own=own)
    return planned(task, own=own, user=user, now=now)


# --- the digest and the weekly summary --------------------------------------------------------------------
def sync_digest(user: User, *, scheduler: Schedules) -> None:
    """The user's recurring emails: the daily digest at the chosen local time while it is on, and the weekly
    summary's Monday-morning schedule while that is on (both in the user's time zone)."""
    zone = zone_of(user).key
    name = schedules.digest_name(user.id)
    if user.preferences.digest_enabled:
        at = time.fromisoformat(user.preferences.digest_time)
        scheduler.put_daily(name, at, zone, schedules.digest_payload(user_id=user.id))
    else:
        scheduler.delete(name)
    weekly = schedules.weekly_name(user.id)
    if user.preferences.weekly_summary:
        scheduler.put_daily(weekly, schedules.WEEKLY_SUMMARY_AT, zone, schedules.weekly_payload(user_id=user.id))
    else:
        scheduler.delete(weekly)


def digest_removed(user_id: str, *, scheduler: Schedules) -> None:
    scheduler.delete(schedules.digest_name(user_id))
    scheduler.delete(schedules.weekly_name(user_id))


def resync_user(
    user: User,
    *,
    store: TaskStore,
    reminders: ReminderLists,
    scheduler: Schedules,
    users: UserRepository,
    now: datetime,
) -> int:
    """After a time zone change: every open task with a due date gets its schedules recomputed (local wall times
    map to other instants now). Returns how many tasks were synced."""
    query = TaskQuery(user_id=user.id, status="open", sort="due", due_from="0000-01-01")
    cursor: str | None = None
    count = 0
    while True:
        page, cursor = store.list_tasks(query, limit=100, cursor=cursor)
        for task in page:
            sync_task(task, reminders=reminders, scheduler=scheduler, users=users, now=now, user=user)
            count += 1
        if cursor is None:
            return count
