"""Repositories that keep the reminder schedules in step: wrappers around the task store and the users table.

Wrapping the ports (in the composition root) instead of calling the sync from each use case means that every
write path reschedules: task create/edit/complete (a recurring task's next occurrence)/reopen/delete, bulk
actions, deleting a project with its tasks, and profile changes (digest time, time zone). A failed Scheduler
call after a successful write is logged and counted (``ReminderSyncFailed``), never turned into an error for
a write that already happened; the reminder handler re-checks every payload against the task when it fires.
Such a task is put on the reminder backlog, which the reconciler (``reminders.reconcile``, every few minutes)
plans again once the Scheduler answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from backend.adapters.ports import (
    PartitionMover,
    ReminderBacklog,
    ReminderLists,
    Schedules,
    TaskStore,
    UserRepository,
)
from backend.domain.activity import ActivityEntry
from backend.domain.quotas import Quotas
from backend.domain.sharing import Moved
from backend.domain.tasks import Label, Project, Status, Task, TaskQuery
from backend.domain.users import User
from backend.observability import logger, metrics
from backend.services import reminders as reminder_service

# assignee_id: a shared task's default reminder goes to its assignee, so re-assigning moves it
_SCHEDULE_FIELDS = ("status", "due_date", "due_time", "recurrence", "recurrence_anchor", "assignee_id")


def _failed(what: str, exc: Exception) -> None:
    logger.exception("reminder schedules not updated", extra={"after": what, "error": type(exc).__name__})
    metrics.add_metric(name="ReminderSyncFailed", unit="Count", value=1)


class ReminderSyncingTaskStore:
    """A ``TaskStore`` that reschedules a task's reminders after each write that can move them."""

    def __init__(
        self,
        inner: TaskStore,
        *,
        reminders: ReminderLists,
        scheduler: Schedules,
        users: UserRepository,
        clock: Callable[[], datetime],
        members: Callable[[str], list[str]] | None = None,
        backlog: ReminderBacklog | None = None,
    ) -> None:
        self._inner = inner
        self._backlog = backlog  # where a task goes whose schedules a failure left behind
        self._members = members  # a shared project's members (each may have reminders of their own)
        self._reminders = reminders
        self._scheduler = scheduler
        self._users = users
        self._clock = clock

    def sync(self, task: Task) -> None:
        try:
            reminder_service.sync_task(
                task,
                reminders=self._reminders,
                scheduler=self._scheduler,
                users=self._users,
                now=self._clock(),
                members=self._members,
            )
        except Exception as exc:
            _failed("task write", exc)
            self._left_behind(task)

    def _left_behind(self, task: Task) -> None:
        if self._backlog is None:
            return
        try:
            self._backlog.mark(task.user_id, task.id, now=self._clock())
        except Exception:  # DynamoDB failing too: logged above and here, the write itself stands
            logger.exception("reminder backlog not written", extra={"task_id": task.id})

    def save_task(
        self,
        task: Task,
        *,
        previous: Task | None,
        limits: Quotas | None = None,
        activity: ActivityEntry | None = None,
    ) -> Task:
        saved = self._inner.save_task(task, previous=previous, limits=limits, activity=activity)
        if previous is None:
            if saved.due_date is not None:  # a new task without a due date has no reminder yet
                self.sync(saved)
        elif any(getattr(previous, f) != getattr(saved, f) for f in _SCHEDULE_FIELDS):
            self.sync(saved)
        return saved

    def delete_task(self, task: Task, *, activity: ActivityEntry | None = None) -> None:
        self._inner.delete_task(task, activity=activity)
        try:
            reminder_service.task_deleted(
                task, reminders=self._reminders, scheduler=self._scheduler, members=self._members
            )
        except Exception as exc:
            _failed("task delete", exc)

    # --- everything else passes through ---
    def get_task(self, user_id: str, task_id: str) -> Task | None:
        return self._inner.get_task(user_id, task_id)

    def get_tasks(self, user_id: str, task_ids: Iterable[str]) -> dict[str, Task]:
        return self._inner.get_tasks(user_id, task_ids)

    def last_position(self, user_id: str, project_id: str) -> str | None:
        return self._inner.last_position(user_id, project_id)

    def tasks_in_project(self, user_id: str, project_id: str) -> list[Task]:
        return self._inner.tasks_in_project(user_id, project_id)

    def task_ids_with_label(self, user_id: str, label_id: str) -> list[str]:
        return self._inner.task_ids_with_label(user_id, label_id)

    def list_tasks(self, query: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]:
        return self._inner.list_tasks(query, limit=limit, cursor=cursor)

    def count_tasks(self, query: TaskQuery, *, by: str | None = None) -> tuple[int, dict[str, int]]:
        return self._inner.count_tasks(query, by=by)

    def list_projects(self, user_id: str) -> list[Project]:
        return self._inner.list_projects(user_id)

    def get_project(self, user_id: str, project_id: str) -> Project | None:
        return self._inner.get_project(user_id, project_id)

    def save_project(self, project: Project, *, activity: ActivityEntry | None = None) -> Project:
        return self._inner.save_project(project, activity=activity)

    def add_project_once(self, project: Project) -> Project:
        return self._inner.add_project_once(project)

    def delete_project(self, project: Project) -> None:
        self._inner.delete_project(project)

    def list_labels(self, user_id: str) -> list[Label]:
        return self._inner.list_labels(user_id)

    def get_label(self, user_id: str, label_id: str) -> Label | None:
        return self._inner.get_label(user_id, label_id)

    def save_label(self, label: Label) -> Label:
        return self._inner.save_label(label)

    def delete_label(self, label: Label) -> None:
        self._inner.delete_label(label)


class ReminderSyncingMover:
    """A ``PartitionMover`` that reschedules the reminders of what it moved: a schedule's payload names the task's
    partition, and the default reminder's recipient follows it (the assignee in a shared project, the owner in a
    personal one). The mover writes past the syncing task store, so without this they would fire from the old
    partition (and find no task there)."""

    def __init__(self, inner: PartitionMover, *, tasks: ReminderSyncingTaskStore) -> None:
        self._inner = inner
        self._tasks = tasks

    def move_task(
        self,
        task: Task,
        target: str,
        *,
        change: Callable[[Task], Task] | None = None,
        activity: Sequence[tuple[str, ActivityEntry]] = (),
    ) -> Task:
        moved = self._inner.move_task(task, target, change=change, activity=activity)
        self._tasks.sync(moved)
        return moved

    def move_project(self, project: Project, target: str, *, before_tasks: Callable[[Project], None]) -> Project:
        moved = self._inner.move_project(project, target, before_tasks=before_tasks)
        self._resync_open(target, project.id)
        return moved

    def _resync_open(self, partition: str, project_id: str) -> None:
        # Done tasks have no schedules left to move: only the open ones are planned again (one Query).
        for task in self._tasks.tasks_in_project(partition, project_id):
            if task.status is Status.OPEN:
                self._tasks.sync(task)

    def begin_project_move(self, project: Project, target: str, *, before_tasks: Callable[[Project], None]) -> Project:
        return self._inner.begin_project_move(project, target, before_tasks=before_tasks)  # no task moves yet

    def finish_project_move(self, target: str) -> Project | None:
        moved = self._inner.finish_project_move(target)
        if moved is not None:
            self._resync_open(target, moved.id)
        return moved

    def project_size(self, partition: str, project_id: str, *, at_most: int) -> int:
        return self._inner.project_size(partition, project_id, at_most=at_most)

    def pending_move(self, target: str) -> str | None:
        return self._inner.pending_move(target)

    def moved(self, partition: str, task_id: str) -> Moved | None:
        return self._inner.moved(partition, task_id)


class DigestSyncingUsers:
    """A ``UserRepository`` that keeps the user's digest and weekly-summary schedules in step with the profile."""

    def __init__(
        self, inner: UserRepository, *, scheduler: Schedules, on_timezone_change: Callable[[User], None] | None = None
    ) -> None:
        self._inner = inner
        self._scheduler = scheduler
        self._on_timezone_change = on_timezone_change

    def get(self, user_id: str) -> User | None:
        return self._inner.get(user_id)

    def add(self, user: User) -> User:
        return self._inner.add(user)

    def save(self, user: User) -> User:
        before = self._inner.get(user.id)
        saved = self._inner.save(user)
        p = saved.preferences
        changed = before is None or (
            (before.timezone, before.preferences.digest_enabled, before.preferences.digest_time)
            != (saved.timezone, p.digest_enabled, p.digest_time)
            or before.preferences.weekly_summary != p.weekly_summary
        )
        if changed:
            try:
                reminder_service.sync_digest(saved, scheduler=self._scheduler)
            except Exception as exc:
                _failed("profile write", exc)
        if before is not None and before.timezone != saved.timezone and self._on_timezone_change is not None:
            try:
                self._on_timezone_change(saved)
            except Exception as exc:
                _failed("time zone change", exc)
        return saved

    def delete(self, user_id: str) -> None:
        self._inner.delete(user_id)
        try:
            reminder_service.digest_removed(user_id, scheduler=self._scheduler)
        except Exception as exc:
            _failed("account delete", exc)
