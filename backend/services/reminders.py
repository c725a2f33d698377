"""Reminder use cases: a task's reminders, and keeping the Scheduler's schedules in step with tasks and profiles.

No HTTP, no boto3: the Scheduler and the tables come in as ports. Every task write goes through
``sync_task`` (see ``backend.services.reminder_sync``), so create, edit, complete, reopen, delete, bulk
actions, project deletion and a recurring task's next occurrence all leave exactly the right schedules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

from backend.adapters.ports import (
    MembershipStore,
    ReminderBacklog,
    ReminderLists,
    Schedules,
    TaskStore,
    UserRepository,
)
from backend.domain import dates, schedules
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas, exceeded
from backend.domain.reminders import MAX_REMINDERS_PER_TASK, Reminder, reminder_id, reminder_instant
from backend.domain.sharing import Action, authorize, is_project_partition, project_of_partition
from backend.domain.tasks import Status, Task, TaskQuery
from backend.domain.users import User
from backend.errors import InvalidInputError, NotFoundError
from backend.observability import logger
from backend.services import access
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


def gets_default(task: Task, user_id: str | None) -> bool:
    """Who gets a task's default reminder: the owner of a personal task; the assignee of a shared one (nobody while
    it is unassigned)."""
    if is_project_partition(task.user_id):
        return user_id is not None and user_id == task.assignee_id
    return user_id is None or user_id == task.user_id


def effective_reminders(task: Task, own: list[Reminder] | None, user: User | None) -> tuple[list[Reminder], bool]:
    """The user's own list for the task, else the profile's default reminder for a task with a due time (when the
    user is the one who gets it: ``gets_default``)."""
    if own is not None:
        return own, False
    if not gets_default(task, user.id if user else None):
        return [], False
    minutes = user.preferences.default_reminder_minutes if user else None
    if minutes is None or task.due_date is None or task.due_time is None:
        return [], False
    return [Reminder(id="default", minutes_before=minutes)], True


def plan(task: Task, reminders: list[Reminder], user: User | None, *, now: datetime) -> dict[str, tuple[datetime, Any]]:
    """Schedule name -> (instant, payload) for every reminder of ``task`` still to come, for ``user`` (a shared
    task's reminders are per member: their names carry the member's tag). Pure."""
    shared = is_project_partition(task.user_id)
    if task.status is Status.DONE:
        return {}
    tz = zone_of(user)
    wanted: dict[str, tuple[datetime, Any]] = {}
    for reminder in reminders:
        instant = reminder_instant(reminder, due_date=task.due_date, due_time=task.due_time, tz=tz)
        if instant is None or instant <= now:
            continue
        if shared and user is None:
            continue  # nobody to remind
        recipient = user.id if shared and user is not None else task.user_id
        name = (
            schedules.shared_reminder_name(task.id, recipient, reminder.id)
            if shared
            else schedules.reminder_name(task.id, reminder.id)
        )
        payload = schedules.reminder_payload(
            user_id=recipient,
            task_id=task.id,
            reminder_id=reminder.id,
            fire_at=instant,
            due_key=task.due_key,
            origin=name,
            partition=task.user_id if shared else None,
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
    members: Callable[[str], list[str]] | None = None,
) -> None:
    """Create/replace the schedules the task needs now and delete the others (by the task's name prefix).
    ``user`` / ``own`` (the task's own reminder list): pass them when already read, to save the reads.

    A shared task (``members``: the project's members now): each member's own list, and the assignee's default
    reminder (one profile and one list read per member: bounded by the 50 members)."""
    if is_project_partition(task.user_id):
        wanted = _shared_plan(task, reminders=reminders, users=users, now=now, members=members)
    else:
        user = users.get(task.user_id) if user is _UNREAD else user
        own = reminders.get_reminders(task.user_id, task.id) if own is _UNREAD else own
        wanted = plan(task, effective_reminders(task, own, user)[0], user, now=now)
    for name in scheduler.names(schedules.reminder_prefix(task.id)):
        if name not in wanted:
            scheduler.delete(name)
    for name, (instant, payload) in wanted.items():
        scheduler.put_one_time(name, instant, payload)


def _shared_plan(
    task: Task,
    *,
    reminders: ReminderLists,
    users: UserRepository,
    now: datetime,
    members: Callable[[str], list[str]] | None,
) -> dict[str, tuple[datetime, Any]]:
    project_id = project_of_partition(task.user_id) or ""
    recipients = set(members(project_id) if members is not None else ())
    if task.assignee_id is not None:
        recipients.add(task.assignee_id)
    wanted: dict[str, tuple[datetime, Any]] = {}
    for recipient in sorted(recipients):
        member = users.get(recipient)
        if member is None:
            continue
        own = reminders.get_reminders(recipient, task.id)
        wanted |= plan(task, effective_reminders(task, own, member)[0], member, now=now)
    return wanted


def task_deleted(
    task: Task,
    *,
    reminders: ReminderLists,
    scheduler: Schedules,
    members: Callable[[str], list[str]] | None = None,
) -> None:
    for name in scheduler.names(schedules.reminder_prefix(task.id)):
        scheduler.delete(name)
    if is_project_partition(task.user_id):  # each member's own list of the task
        for member in members(project_of_partition(task.user_id) or "") if members is not None else ():
            reminders.delete_reminders(member, task.id)
        return
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


def _task_of(
    store: TaskStore, user_id: str, task_id: str, caller: User | None, memberships: MembershipStore | None
) -> Task:
    """A task the caller may see (their own, or one of a shared project they are a member of: any member may set
    reminders of their own on it)."""
    if caller is not None and memberships is not None:
        found, where = access.task(caller, task_id, tasks=store, memberships=memberships)
        authorize(where.role, Action.READ)
        return found
    task = store.get_task(user_id, task_id)
    if task is None:
        raise NotFoundError("No such task.", fields={"task_id": "does not exist"})
    return task


def get_reminders(
    *,
    store: TaskStore,
    reminders: ReminderLists,
    users: UserRepository,
    user_id: str,
    task_id: str,
    now: datetime,
    caller: User | None = None,
    memberships: MembershipStore | None = None,
) -> list[PlannedReminder]:
    task = _task_of(store, user_id, task_id, caller, memberships)
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
    caller: User | None = None,
    memberships: MembershipStore | None = None,
) -> list[PlannedReminder]:
    """Replace the caller's reminders of the task (an empty list: none, not even the default one) and reschedule."""
    task = _task_of(store, user_id, task_id, caller, memberships)
    own = _validated(items, task)
    # Another task with reminders: each is a Scheduler schedule, and the account's schedules are shared by all.
    # (Two such requests at once may both pass at the limit: a bound on cost, not an exact count.)
    another = bool(own) and not reminders.get_reminders(user_id, task_id)
    if another and reminders.count_reminder_lists(user_id) >= quotas.tasks_with_reminders:
        raise exceeded("tasks with reminders", quotas.tasks_with_reminders, field="reminders")
    reminders.put_reminders(user_id, task_id, own, now=now)
    user = users.get(user_id)
    if is_project_partition(task.user_id):
        assert memberships is not None  # a shared task is only found through the caller's memberships
        members = [m.user_id for m in memberships.list_members(project_of_partition(task.user_id) or "")]
        sync_task(task, reminders=reminders, scheduler=scheduler, users=users, now=now, members=lambda _: members)
    else:
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


RECONCILE_BATCH = 100  # tasks planned again per run (a run every few minutes: an outage's backlog drains in a few)
RECONCILE_FAILURES = 3  # failed tasks after which a run gives up (each failure took botocore's retries)


@dataclass(frozen=True)
class Reconciled:
    planned: int  # tasks whose schedules are now what they should be
    left: int  # still pending (the Scheduler still failing, or rewritten meanwhile): the next run tries again


def reconcile(
    *,
    backlog: ReminderBacklog,
    store: TaskStore,
    reminders: ReminderLists,
    scheduler: Schedules,
    users: UserRepository,
    now: datetime,
    members: Callable[[str], list[str]] | None = None,
) -> Reconciled:
    """Plan again the tasks a failed Scheduler call left behind (``reminder_sync`` put them on the backlog): their
    schedules made what the task says now (a task deleted meanwhile loses them). A task that fails stays on the
    backlog; after a few failures the run stops (the Scheduler is still out) and the rest waits for the next."""
    planned = failures = 0
    entries = backlog.pending(limit=RECONCILE_BATCH)
    for entry in entries:
        if failures == RECONCILE_FAILURES:  # the Scheduler is still out: the rest waits for the next run
            break
        try:
            task = store.get_task(entry.partition, entry.task_id)
            if task is None:
                for name in scheduler.names(schedules.reminder_prefix(entry.task_id)):
                    scheduler.delete(name)
            else:
                sync_task(task, reminders=reminders, scheduler=scheduler, users=users, now=now, members=members)
        except Exception:
            logger.exception("reminders not planned again", extra={"task_id": entry.task_id})
            failures += 1
            continue
        if backlog.clear(entry):
            planned += 1
    return Reconciled(planned=planned, left=len(entries) - planned)
