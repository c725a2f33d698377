"""Reminders of a shared task (issue 13), with in-memory ports: the default reminder goes to the assignee (nobody
while unassigned) and moves with a re-assignment; any member's own reminders are theirs; the firing path finds the
task in its project's partition and reminds nobody who has left."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from backend.domain import schedules
from backend.domain.reminders import Reminder
from backend.domain.tasks import Task
from backend.domain.users import NotificationPreferences, User
from backend.services import notify
from backend.services import reminders as reminder_service

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
PROJECT = "01PROJECT"


class Schedules:
    def __init__(self) -> None:
        self.items: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def put_one_time(self, name: str, instant: datetime, payload: dict[str, Any]) -> None:
        self.items[name] = (instant, payload)

    def put_daily(self, name: str, at: time, timezone: str, payload: dict[str, Any]) -> None:
        raise AssertionError("not used")

    def delete(self, name: str) -> None:
        self.items.pop(name, None)

    def names(self, prefix: str) -> list[str]:
        return [name for name in self.items if name.startswith(prefix)]

    def recipients(self) -> set[str]:
        return {payload["user_id"] for _, payload in self.items.values()}


class Lists:
    def __init__(self) -> None:
        self.own: dict[tuple[str, str], list[Reminder]] = {}

    def get_reminders(self, user_id: str, task_id: str) -> list[Reminder] | None:
        return self.own.get((user_id, task_id))

    def put_reminders(self, user_id: str, task_id: str, reminders: list[Reminder], *, now: datetime) -> None:
        self.own[(user_id, task_id)] = reminders

    def delete_reminders(self, user_id: str, task_id: str) -> None:
        self.own.pop((user_id, task_id), None)

    def count_reminder_lists(self, user_id: str) -> int:
        return sum(1 for user, _ in self.own if user == user_id)


def a_user(user_id: str, *, shared: frozenset[str] = frozenset({PROJECT})) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        display_name=user_id,
        timezone="UTC",
        created_at=NOW,
        updated_at=NOW,
        preferences=NotificationPreferences(default_reminder_minutes=30),
        shared_projects=shared,
    )


class Users:
    def __init__(self, *users: User) -> None:
        self.rows = {user.id: user for user in users}

    def get(self, user_id: str) -> User | None:
        return self.rows.get(user_id)


TASK = Task(
    id="01TASK",
    user_id=f"P#{PROJECT}",
    project_id=PROJECT,
    title="Ship it",
    created_at=NOW,
    updated_at=NOW,
    due_date=date(2026, 3, 2),
    due_time=time(9, 0),
)


def sync(task: Task, scheduler: Schedules, lists: Lists, users: Users) -> None:
    repository: Any = users  # the two methods of UserRepository the sync uses
    reminder_service.sync_task(
        task, reminders=lists, scheduler=scheduler, users=repository, now=NOW, members=lambda _: ["ann", "bob"]
    )


def test_the_default_reminder_follows_the_assignee() -> None:
    scheduler, lists, users = Schedules(), Lists(), Users(a_user("ann"), a_user("bob"))
    sync(TASK, scheduler, lists, users)
    assert scheduler.items == {}  # unassigned: nobody gets the default reminder
    sync(replace(TASK, assignee_id="ann"), scheduler, lists, users)
    assert scheduler.recipients() == {"ann"}
    ((instant, payload),) = scheduler.items.values()
    assert instant == datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    assert payload["partition"] == f"P#{PROJECT}"
    sync(replace(TASK, assignee_id="bob"), scheduler, lists, users)
    assert scheduler.recipients() == {"bob"}  # re-assigning moved it


def test_any_member_keeps_reminders_of_their_own() -> None:
    scheduler, lists, users = Schedules(), Lists(), Users(a_user("ann"), a_user("bob"))
    lists.own[("bob", TASK.id)] = [Reminder(id="r1", minutes_before=60)]
    sync(replace(TASK, assignee_id="ann"), scheduler, lists, users)
    assert sorted(payload["user_id"] for _, payload in scheduler.items.values()) == ["ann", "bob"]
    assert len(set(scheduler.items)) == 2  # one schedule per member: names carry the member's tag
    reminder_service.task_deleted(TASK, reminders=lists, scheduler=scheduler, members=lambda _: ["ann", "bob"])
    assert scheduler.items == {}
    assert lists.own == {}


class Inbox:
    def __init__(self) -> None:
        self.claimed: list[Any] = []

    def claim(self, note: Any, *, now: datetime) -> bool:
        self.claimed.append(note)
        return True

    def record(self, note: Any) -> None:
        pass


class Store:
    def __init__(self, task: Task) -> None:
        self.task = task

    def get_task(self, user_id: str, task_id: str) -> Task | None:
        return self.task if (user_id, task_id) == (self.task.user_id, self.task.id) else None


def deliver(payload: dict[str, Any], task: Task, user: User) -> tuple[str, Inbox]:
    """One firing, for a user with e-mail and SMS off (the in-app row is what is checked)."""
    inbox = Inbox()
    quiet = replace(user, preferences=replace(user.preferences, email_notifications=False))
    # e-mail and SMS are off: the mailer, texter and links are never reached
    fakes: dict[str, Any] = {"store": Store(task), "users": Users(quiet), "inbox": inbox, "mailer": None}
    ports = notify.Ports(
        **fakes, reminders=Lists(), scheduler=Schedules(), texter=fakes["mailer"], links=fakes["mailer"]
    )
    return notify.deliver_reminder(payload, ports=ports, now=NOW), inbox


def test_the_firing_path_finds_the_task_in_its_partition_and_skips_a_former_member() -> None:
    task = replace(TASK, assignee_id="ann")
    scheduler = Schedules()
    sync(task, scheduler, Lists(), Users(a_user("ann"), a_user("bob")))
    ((_, payload),) = scheduler.items.values()
    outcome, inbox = deliver(payload, task, a_user("ann"))
    assert outcome == "sent"
    assert [note.user_id for note in inbox.claimed] == ["ann"]
    outcome, inbox = deliver(payload, task, a_user("ann", shared=frozenset()))
    assert (outcome, inbox.claimed) == ("stale", [])
    assert payload["origin"].startswith(schedules.reminder_prefix(task.id))
