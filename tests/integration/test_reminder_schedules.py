"""Task and profile changes leave exactly the right EventBridge schedules (asserted through the Scheduler API)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.bootstrap import Dependencies, dependencies
from backend.domain.users import new_user
from backend.local.testing import LocalRun
from backend.schemas import BulkAction, PreferencesUpdate, ProfileUpdate, ProjectCreate, TaskCreate, TaskUpdate
from backend.services import profiles, projects, reminders, tasks
from backend.services.reminders import ReminderInput
from tests.integration.conftest import aws_client

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def deps(local: LocalRun) -> Dependencies:
    return dependencies()


@pytest.fixture(scope="module")
def scheduler(local: LocalRun) -> Any:
    return aws_client(local, "scheduler")


@pytest.fixture
def user_id(deps: Dependencies) -> str:
    user_id = str(uuid.uuid4())
    user = new_user(user_id=user_id, email=f"{user_id[:8]}@example.com", now=deps.clock())
    deps.users.add(user)
    saved = deps.users.get(user_id)
    assert saved is not None
    profiles.update_profile(
        users=deps.users,
        identity=deps.identity,
        user_id=user_id,
        changes=ProfileUpdate(timezone="Europe/Berlin"),
        now=deps.clock(),
    )
    return user_id


def group(deps: Dependencies) -> str:
    return deps.settings.names.schedule_group


def schedules_of(scheduler: Any, deps: Dependencies, task_id: str) -> dict[str, dict[str, Any]]:
    listed = scheduler.list_schedules(GroupName=group(deps), NamePrefix=f"r-{task_id}-")["Schedules"]
    return {s["Name"]: scheduler.get_schedule(Name=s["Name"], GroupName=group(deps)) for s in listed}


def local_at(schedule: dict[str, Any]) -> datetime:
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    expression = schedule["ScheduleExpression"]
    return datetime.fromisoformat(expression[3:-1]).replace(tzinfo=UTC).astimezone(BERLIN)


def tomorrow() -> date:
    return datetime.now(BERLIN).date() + timedelta(days=1)


def new_task(deps: Dependencies, user_id: str, **fields: Any) -> Any:
    data = TaskCreate(title="Call the dentist", **fields)
    return tasks.create_task(store=deps.tasks, user_id=user_id, data=data, now=deps.clock())


def set_reminders(deps: Dependencies, user_id: str, task_id: str, *items: ReminderInput) -> Any:
    return reminders.set_reminders(
        store=deps.tasks,
        reminders=deps.notifications,
        scheduler=deps.scheduler,  # type: ignore[arg-type]
        users=deps.users,
        user_id=user_id,
        task_id=task_id,
        items=list(items),
        now=deps.clock(),
    )


def test_reminders_follow_the_task_through_its_life(deps: Dependencies, scheduler: Any, user_id: str) -> None:
    # Due the day after tomorrow: "1 day before at 18:00" must still be ahead whatever the hour of the run
    # (with a task due tomorrow it was today 18:00, already past - and so never scheduled - in evening runs).
    due = tomorrow() + timedelta(days=1)
    task = new_task(deps, user_id, due_date=due, due_time=time(9, 0))
    assert schedules_of(scheduler, deps, task.id) == {}  # no reminders, no default: nothing scheduled

    planned = set_reminders(
        deps, user_id, task.id, ReminderInput(minutes_before=30), ReminderInput(days_before=1, time=time(18, 0))
    )
    assert len(planned) == 2
    found = schedules_of(scheduler, deps, task.id)
    assert len(found) == 2
    times = sorted(local_at(s) for s in found.values())
    assert [t.replace(tzinfo=None) for t in times] == [
        datetime.combine(due - timedelta(days=1), time(18, 0)),
        datetime.combine(due, time(8, 30)),
    ]
    one = next(iter(found.values()))
    assert one["ActionAfterCompletion"] == "DELETE"
    assert one["GroupName"] == group(deps)
    assert one["Target"]["Arn"] == deps.settings.reminder_target_arn
    assert one["Target"]["RoleArn"] == deps.settings.scheduler_role_arn
    payload = json.loads(one["Target"]["Input"])
    assert payload["kind"] == "reminder"
    assert payload["user_id"] == user_id
    assert payload["task_id"] == task.id

    # move the due time: same names, new instants
    task = tasks.update_task(
        store=deps.tasks,
        user_id=user_id,
        task_id=task.id,
        changes=TaskUpdate(version=task.version, due_time=time(11, 0)),
        now=deps.clock(),
    )
    moved = schedules_of(scheduler, deps, task.id)
    assert set(moved) == set(found)
    assert sorted(local_at(s).time() for s in moved.values()) == [time(10, 30), time(18, 0)]

    # a title edit does not touch the schedules
    before = {name: s["LastModificationDate"] for name, s in moved.items()}
    task = tasks.update_task(
        store=deps.tasks,
        user_id=user_id,
        task_id=task.id,
        changes=TaskUpdate(version=task.version, title="Call the dentist (again)"),
        now=deps.clock(),
    )
    assert {name: s["LastModificationDate"] for name, s in schedules_of(scheduler, deps, task.id).items()} == before

    # complete: nothing left to remind of; reopen: back again
    clock = tasks.user_clock(users=deps.users, user_id=user_id, now=deps.clock())
    tasks.complete_task(store=deps.tasks, user_id=user_id, task_id=task.id, clock=clock)
    assert schedules_of(scheduler, deps, task.id) == {}
    tasks.reopen_task(store=deps.tasks, user_id=user_id, task_id=task.id, now=deps.clock())
    assert len(schedules_of(scheduler, deps, task.id)) == 2

    # drop one reminder: its schedule goes
    set_reminders(deps, user_id, task.id, ReminderInput(minutes_before=30))
    assert [local_at(s).time() for s in schedules_of(scheduler, deps, task.id).values()] == [time(10, 30)]

    # delete: schedules and the reminder list go
    tasks.delete_task(store=deps.tasks, user_id=user_id, task_id=task.id)
    assert schedules_of(scheduler, deps, task.id) == {}
    assert deps.notifications.get_reminders(user_id, task.id) is None


def test_recurring_task_reminder_moves_to_the_next_occurrence(deps: Dependencies, scheduler: Any, user_id: str) -> None:
    task = new_task(deps, user_id, due_date=tomorrow(), due_time=time(7, 0), recurrence="FREQ=DAILY")
    set_reminders(deps, user_id, task.id, ReminderInput(minutes_before=60))
    [first] = schedules_of(scheduler, deps, task.id).values()
    assert local_at(first).replace(tzinfo=None) == datetime.combine(tomorrow(), time(6, 0))
    clock = tasks.user_clock(users=deps.users, user_id=user_id, now=deps.clock())
    done = tasks.complete_task(store=deps.tasks, user_id=user_id, task_id=task.id, clock=clock)
    assert done.due_date == tomorrow() + timedelta(days=1)
    [second] = schedules_of(scheduler, deps, task.id).values()
    assert second["Name"] == first["Name"]
    assert local_at(second).replace(tzinfo=None) == datetime.combine(tomorrow() + timedelta(days=1), time(6, 0))
    assert json.loads(second["Target"]["Input"])["due_key"] == done.due_key


def test_past_and_absolute_reminders(deps: Dependencies, scheduler: Any, user_id: str) -> None:
    task = new_task(deps, user_id, due_date=tomorrow())
    at = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    past = datetime.now(UTC) - timedelta(hours=1)
    planned = set_reminders(deps, user_id, task.id, ReminderInput(at=at), ReminderInput(at=past))
    assert sorted(p.fires_at is None for p in planned) == [False, True]
    [only] = schedules_of(scheduler, deps, task.id).values()
    assert local_at(only) == at


def test_default_reminder_applies_to_timed_tasks_without_their_own(
    deps: Dependencies, scheduler: Any, user_id: str
) -> None:
    profiles.update_profile(
        users=deps.users,
        identity=deps.identity,
        user_id=user_id,
        changes=ProfileUpdate(preferences=PreferencesUpdate(default_reminder_minutes=15)),
        now=deps.clock(),
    )
    timed = new_task(deps, user_id, due_date=tomorrow(), due_time=time(9, 0))
    date_only = new_task(deps, user_id, due_date=tomorrow())
    [default] = schedules_of(scheduler, deps, timed.id).values()
    assert default["Name"].endswith("-default")
    assert local_at(default).time() == time(8, 45)
    assert schedules_of(scheduler, deps, date_only.id) == {}
    set_reminders(deps, user_id, timed.id)  # an explicit empty list: no reminder, not even the default
    assert schedules_of(scheduler, deps, timed.id) == {}


def test_bulk_and_project_deletion_remove_schedules(deps: Dependencies, scheduler: Any, user_id: str) -> None:
    project = projects.create_project(
        store=deps.tasks, user_id=user_id, data=ProjectCreate(name="Trip"), now=deps.clock()
    )
    first = new_task(deps, user_id, due_date=tomorrow(), due_time=time(9, 0), project_id=project.id)
    second = new_task(deps, user_id, due_date=tomorrow(), due_time=time(10, 0))
    for task in (first, second):
        set_reminders(deps, user_id, task.id, ReminderInput(minutes_before=5))
        assert len(schedules_of(scheduler, deps, task.id)) == 1
    clock = tasks.user_clock(users=deps.users, user_id=user_id, now=deps.clock())
    tasks.bulk(store=deps.tasks, user_id=user_id, action=BulkAction(action="complete", ids=[second.id]), clock=clock)
    assert schedules_of(scheduler, deps, second.id) == {}
    projects.delete_project(store=deps.tasks, user_id=user_id, project_id=project.id, now=deps.clock())
    assert schedules_of(scheduler, deps, first.id) == {}


def test_invalid_reminders_are_refused(deps: Dependencies, user_id: str) -> None:
    from backend.errors import InvalidInputError

    task = new_task(deps, user_id, due_date=tomorrow())
    with pytest.raises(InvalidInputError) as error:
        set_reminders(deps, user_id, task.id, ReminderInput(minutes_before=10))
    assert error.value.fields == {"reminders.0": "the task has no due time"}
    with pytest.raises(InvalidInputError):
        set_reminders(deps, user_id, task.id, *[ReminderInput(minutes_before=None, at=datetime.now(UTC))] * 6)


def test_digest_schedule_follows_the_profile(deps: Dependencies, scheduler: Any, user_id: str) -> None:
    name = f"d-{user_id}"

    def update(**fields: Any) -> None:
        profiles.update_profile(
            users=deps.users,
            identity=deps.identity,
            user_id=user_id,
            changes=ProfileUpdate(preferences=PreferencesUpdate(**fields)),
            now=deps.clock(),
        )

    update(digest_enabled=True, digest_time="07:30")
    schedule = scheduler.get_schedule(Name=name, GroupName=group(deps))
    assert schedule["ScheduleExpression"] == "cron(30 7 * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert json.loads(schedule["Target"]["Input"]) == {"kind": "digest", "user_id": user_id}
    profiles.update_profile(
        users=deps.users,
        identity=deps.identity,
        user_id=user_id,
        changes=ProfileUpdate(timezone="Asia/Tokyo"),
        now=deps.clock(),
    )
    assert scheduler.get_schedule(Name=name, GroupName=group(deps))["ScheduleExpressionTimezone"] == "Asia/Tokyo"
    update(digest_enabled=False)
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group(deps), NamePrefix=name)["Schedules"]]
    assert names == []


def test_a_new_time_zone_moves_the_reminders(deps: Dependencies, scheduler: Any, user_id: str) -> None:
    task = new_task(deps, user_id, due_date=tomorrow() + timedelta(days=1), due_time=time(9, 0))
    set_reminders(deps, user_id, task.id, ReminderInput(minutes_before=30))
    [before] = schedules_of(scheduler, deps, task.id).values()
    assert local_at(before).time() == time(8, 30)  # Berlin
    profiles.update_profile(
        users=deps.users,
        identity=deps.identity,
        user_id=user_id,
        changes=ProfileUpdate(timezone="America/New_York"),
        now=deps.clock(),
    )
    [after] = schedules_of(scheduler, deps, task.id).values()
    instant = datetime.fromisoformat(after["ScheduleExpression"][3:-1]).replace(tzinfo=UTC)
    assert instant.astimezone(ZoneInfo("America/New_York")).time() == time(8, 30)  # 9:00 stays 9:00 where they are
    assert json.loads(after["Target"]["Input"])["fire_at"] == instant.isoformat()


def test_a_moved_task_s_reminders_fire_from_its_new_partition(deps: Dependencies, scheduler: Any, user_id: str) -> None:
    """The mover writes past the syncing store: sharing a project or moving a task between a personal and a shared
    project reschedules its reminders (issue 13): per member and naming ``P#<p>`` there, the owner's at home."""
    from backend.domain.sharing import project_partition
    from backend.services import sharing
    from backend.services.tasks import Who

    profiles.update_profile(
        users=deps.users,
        identity=deps.identity,
        user_id=user_id,
        changes=ProfileUpdate(preferences=PreferencesUpdate(default_reminder_minutes=15)),
        now=deps.clock(),
    )
    trip = projects.create_project(store=deps.tasks, user_id=user_id, data=ProjectCreate(name="Trip"), now=deps.clock())
    home = projects.create_project(store=deps.tasks, user_id=user_id, data=ProjectCreate(name="Home"), now=deps.clock())
    due = {"due_date": tomorrow() + timedelta(days=1), "due_time": time(9, 0), "project_id": trip.id}
    own = new_task(deps, user_id, **due)
    set_reminders(deps, user_id, own.id, ReminderInput(minutes_before=30))
    default = new_task(deps, user_id, **due)
    assert [s["Name"] for s in schedules_of(scheduler, deps, default.id).values()] == [f"r-{default.id}-default"]

    user = deps.users.get(user_id)
    assert user is not None
    ports = sharing.Ports(tasks=deps.tasks, memberships=deps.memberships, mover=deps.mover)
    sharing.invite(
        user=user, project_id=trip.id, email="friend@example.com", role="editor", ports=ports, now=deps.clock()
    )
    partition = project_partition(trip.id)
    [shared] = schedules_of(scheduler, deps, own.id).values()  # the owner's own list, now a member's
    payload = json.loads(shared["Target"]["Input"])
    assert (payload["partition"], payload["user_id"]) == (partition, user_id)
    assert schedules_of(scheduler, deps, default.id) == {}  # unassigned in a shared project: nobody's default

    who = Who(user=deps.users.get(user_id), memberships=deps.memberships, mover=deps.mover)  # type: ignore[arg-type]
    for task in (own, default):
        there = deps.tasks.get_task(partition, task.id)
        assert there is not None
        tasks.update_task(
            store=deps.tasks,
            user_id=user_id,
            task_id=task.id,
            changes=TaskUpdate(version=there.version, project_id=home.id),
            now=deps.clock(),
            who=who,
        )
        [back] = schedules_of(scheduler, deps, task.id).values()
        payload = json.loads(back["Target"]["Input"])
        assert "partition" not in payload
        assert payload["user_id"] == user_id
        assert local_at(back).time() == (time(8, 30) if task is own else time(8, 45))
