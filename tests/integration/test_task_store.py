"""The Tasks table on moto, through the real services and PynamoDB: every access pattern returns the right
items and reads with Query / GetItem / BatchGetItem only (never Scan), cursors page without gaps or repeats."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.adapters.task_store.cursors import encode_cursor
from backend.adapters.task_store.models import TASK_TABLE_MODELS
from backend.adapters.task_store.store import DynamoTaskStore
from backend.domain.tasks import Project, Status, Task
from backend.errors import ConflictError, InvalidInputError, NotFoundError
from backend.local.testing import BACKGROUND_THREADS, LocalRun
from backend.schemas import LabelCreate, ProjectCreate, TaskCreate, TaskOrder, TaskUpdate
from backend.services import projects as project_service
from backend.services import tasks as task_service
from backend.services.tasks import ListRequest, UserClock

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 11, 10, 30, tzinfo=BERLIN)  # Wednesday
TODAY = NOW.date()
CLOCK = UserClock(tz=BERLIN, now=NOW)
READS = {"Query", "GetItem", "BatchGetItem"}


@dataclass
class Calls:
    """DynamoDB operations seen by the models' botocore clients: (operation, index name or None)."""

    seen: list[tuple[str, str | None]] = field(default_factory=list)

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if threading.current_thread().name.startswith(BACKGROUND_THREADS):
            return  # the stream consumers react to the test's writes in this process, at their own pace
        self.seen.append((model.name, params.get("IndexName")))

    @property
    def operations(self) -> set[str]:
        return {name for name, _ in self.seen}

    @property
    def indexes(self) -> set[str | None]:
        return {index for name, index in self.seen if name == "Query"}


@pytest.fixture(scope="module")
def store(local: LocalRun) -> DynamoTaskStore:
    from backend.bootstrap import dependencies

    dependencies()  # points the models at this emulator's table
    return DynamoTaskStore()


@pytest.fixture(scope="module")
def recorder(store: DynamoTaskStore) -> Calls:
    calls = Calls()
    clients = {
        id(m._get_connection().connection.client): m._get_connection().connection.client for m in TASK_TABLE_MODELS
    }
    for client in clients.values():
        client.meta.events.register("provide-client-params.dynamodb", calls.record)
    return calls


@pytest.fixture
def calls(recorder: Calls) -> Iterator[Calls]:
    recorder.seen.clear()
    yield recorder
    assert "Scan" not in recorder.operations, recorder.seen


@pytest.fixture
def user() -> str:
    return f"user-{uuid.uuid4().hex}"


# --- helpers -------------------------------------------------------------------------------------
def new_task(store: DynamoTaskStore, user_id: str, title: str, **fields: Any) -> Task:
    return task_service.create_task(store=store, user_id=user_id, data=TaskCreate(title=title, **fields), now=NOW)


def new_project(store: DynamoTaskStore, user_id: str, name: str) -> Project:
    return project_service.create_project(store=store, user_id=user_id, data=ProjectCreate(name=name), now=NOW)


def new_label(store: DynamoTaskStore, user_id: str, name: str) -> str:
    return project_service.create_label(store=store, user_id=user_id, data=LabelCreate(name=name), now=NOW).id


def titles(store: DynamoTaskStore, user_id: str, request: ListRequest, clock: UserClock = CLOCK) -> list[str]:
    items, cursor = task_service.list_tasks(store=store, user_id=user_id, request=request, clock=clock)
    assert cursor is None
    return [t.title for t in items]


def complete(store: DynamoTaskStore, user_id: str, task: Task, at: datetime = NOW) -> Task:
    return task_service.complete_task(
        store=store, user_id=user_id, task_id=task.id, clock=UserClock(tz=BERLIN, now=at.astimezone(BERLIN))
    )


def only_reads(calls: Calls) -> None:
    assert calls.operations <= READS, calls.seen
    assert calls.operations, "no DynamoDB call was recorded"


# --- the recorder itself -------------------------------------------------------------------------
def test_the_recorder_sees_every_model(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    task = new_task(store, user, "Recorded", labels=[new_label(store, user, "seen")])
    assert {"TransactWriteItems", "PutItem", "GetItem", "Query"} <= calls.operations
    calls.seen.clear()
    store.get_task(user, task.id)
    store.get_tasks(user, [task.id])
    store.list_labels(user)
    store.list_projects(user)
    assert calls.operations == READS


# --- access patterns -----------------------------------------------------------------------------
def test_by_creation(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    for title in ("one", "two", "three", "four"):
        new_task(store, user, title)
    calls.seen.clear()
    assert titles(store, user, ListRequest()) == ["one", "two", "three", "four"]
    only_reads(calls)
    assert calls.indexes == {None}  # the base table


def test_by_project_in_manual_order(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    work = new_project(store, user, "Work")
    home = new_project(store, user, "Home")
    a, b, c = (new_task(store, user, t, project_id=work.id) for t in ("a", "b", "c"))
    new_task(store, user, "elsewhere", project_id=home.id)
    new_task(store, user, "inbox task")
    # move c between a and b
    task_service.update_task(
        store=store,
        user_id=user,
        task_id=c.id,
        changes=TaskUpdate(version=c.version, order=TaskOrder(after_id=a.id, before_id=b.id)),
        now=NOW,
    )
    calls.seen.clear()
    assert titles(store, user, ListRequest(project_id=work.id)) == ["a", "c", "b"]
    assert titles(store, user, ListRequest(project_id=home.id)) == ["elsewhere"]
    assert titles(store, user, ListRequest(view="inbox")) == ["inbox task"]
    only_reads(calls)
    assert calls.indexes == {"by_project"}


def test_moving_a_task_puts_it_last_in_its_new_project(store: DynamoTaskStore, user: str) -> None:
    work = new_project(store, user, "Work")
    new_task(store, user, "first", project_id=work.id)
    moved = new_task(store, user, "moved")
    task_service.update_task(
        store=store, user_id=user, task_id=moved.id, changes=TaskUpdate(version=1, project_id=work.id), now=NOW
    )
    new_task(store, user, "last", project_id=work.id)
    assert titles(store, user, ListRequest(project_id=work.id)) == ["first", "moved", "last"]
    assert titles(store, user, ListRequest(view="inbox")) == []


@pytest.fixture(scope="module")
def dated(store: DynamoTaskStore) -> str:
    """A user with tasks due around today (read only: the tests below only list them)."""
    user = f"dated-{uuid.uuid4().hex}"
    day = timedelta(days=1)
    new_task(store, user, "no due")
    new_task(store, user, "last week", due_date=TODAY - 7 * day)
    new_task(store, user, "yesterday 18:00", due_date=TODAY - day, due_time=time(18))
    new_task(store, user, "today", due_date=TODAY)
    new_task(store, user, "today 09:00", due_date=TODAY, due_time=time(9))
    new_task(store, user, "today 23:00", due_date=TODAY, due_time=time(23))
    new_task(store, user, "tomorrow", due_date=TODAY + day)
    new_task(store, user, "in 6 days", due_date=TODAY + 6 * day)
    new_task(store, user, "in 7 days", due_date=TODAY + 7 * day)
    done = new_task(store, user, "done yesterday", due_date=TODAY - day)
    complete(store, user, done)
    return user


def test_today_includes_overdue_in_due_order(store: DynamoTaskStore, calls: Calls, dated: str) -> None:
    user = dated
    assert titles(store, user, ListRequest(view="today")) == [
        "last week",
        "yesterday 18:00",
        "today 09:00",
        "today 23:00",
        "today",
    ]
    only_reads(calls)
    assert calls.indexes == {"by_status_due"}


def test_upcoming_is_today_to_six_days_ahead(store: DynamoTaskStore, calls: Calls, dated: str) -> None:
    user = dated
    assert titles(store, user, ListRequest(view="upcoming")) == [
        "today 09:00",
        "today 23:00",
        "today",
        "tomorrow",
        "in 6 days",
    ]
    assert titles(store, user, ListRequest(view="upcoming", upcoming_days=1)) == ["today 09:00", "today 23:00", "today"]
    only_reads(calls)
    assert calls.indexes == {"by_status_due"}


def test_overdue_is_strictly_before_now(store: DynamoTaskStore, calls: Calls, dated: str) -> None:
    user = dated
    overdue = ["last week", "yesterday 18:00", "today 09:00"]  # 10:30 now: 09:00 passed, date-only today has not
    assert titles(store, user, ListRequest(overdue=True, sort="due")) == overdue
    assert sorted(titles(store, user, ListRequest(overdue=True))) == sorted(overdue)
    only_reads(calls)


def test_sorted_by_due_puts_undated_last(store: DynamoTaskStore, calls: Calls, dated: str) -> None:
    user = dated
    listed = titles(store, user, ListRequest(sort="due"))
    assert listed[0] == "last week"
    assert listed[-3:] == ["in 6 days", "in 7 days", "no due"]
    assert len(listed) == 9
    only_reads(calls)


def test_due_range(store: DynamoTaskStore, calls: Calls, dated: str) -> None:
    user = dated
    request = ListRequest(due_from=TODAY, due_to=TODAY + timedelta(days=1))
    assert sorted(titles(store, user, request)) == ["today", "today 09:00", "today 23:00", "tomorrow"]
    request = ListRequest(due_from=TODAY, due_to=TODAY + timedelta(days=1), sort="due")
    assert titles(store, user, request) == ["today 09:00", "today 23:00", "today", "tomorrow"]
    only_reads(calls)


def test_by_priority_then_due(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    new_task(store, user, "p4")
    new_task(store, user, "p1 later", priority=1, due_date=TODAY + timedelta(days=3))
    new_task(store, user, "p2", priority=2)
    new_task(store, user, "p1 sooner", priority=1, due_date=TODAY)
    new_task(store, user, "p1 undated", priority=1)
    new_task(store, user, "p3", priority=3, due_date=TODAY)
    calls.seen.clear()
    assert titles(store, user, ListRequest(sort="priority")) == [
        "p1 sooner",
        "p1 later",
        "p1 undated",
        "p2",
        "p3",
        "p4",
    ]
    assert titles(store, user, ListRequest(sort="priority", priority=1)) == ["p1 sooner", "p1 later", "p1 undated"]
    assert sorted(titles(store, user, ListRequest(priority=2))) == ["p2"]
    only_reads(calls)
    assert "by_priority" in calls.indexes


def test_completed_newest_first(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    tasks = [new_task(store, user, f"task {i}") for i in range(4)]
    for minutes, index in ((1, 2), (2, 0), (3, 3)):
        complete(store, user, tasks[index], NOW + timedelta(minutes=minutes))
    calls.seen.clear()
    assert titles(store, user, ListRequest(view="completed")) == ["task 3", "task 0", "task 2"]
    assert titles(store, user, ListRequest(status="done")) == ["task 3", "task 0", "task 2"]
    assert titles(store, user, ListRequest()) == ["task 1"]
    assert sorted(titles(store, user, ListRequest(status="all"))) == [f"task {i}" for i in range(4)]
    only_reads(calls)
    assert "by_completed" in calls.indexes


def test_reopen_takes_a_task_out_of_completed(store: DynamoTaskStore, user: str) -> None:
    task = complete(store, user, new_task(store, user, "undo me"))
    assert titles(store, user, ListRequest(view="completed")) == ["undo me"]
    task_service.reopen_task(store=store, user_id=user, task_id=task.id, now=NOW)
    assert titles(store, user, ListRequest(view="completed")) == []
    assert titles(store, user, ListRequest(view="today", status="open", sort="created")) == []
    assert titles(store, user, ListRequest()) == ["undo me"]


def test_completing_a_recurring_task_keeps_it_open_and_records_history(store: DynamoTaskStore, user: str) -> None:
    task = new_task(store, user, "standup", due_date=TODAY - timedelta(days=2), recurrence="FREQ=DAILY")
    done = complete(store, user, task)
    stored = store.get_task(user, task.id)
    assert stored == done
    assert stored.status is Status.OPEN
    assert stored.due_date == TODAY
    assert [c.due_date for c in stored.history] == [TODAY - timedelta(days=2)]
    assert titles(store, user, ListRequest(view="completed")) == []
    assert titles(store, user, ListRequest(view="today")) == ["standup"]
    back = task_service.reopen_task(store=store, user_id=user, task_id=task.id, now=NOW)
    assert back.due_date == TODAY - timedelta(days=2)
    assert back.history == ()


def test_by_label_and_its_links(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    urgent, home = new_label(store, user, "urgent"), new_label(store, user, "home")
    a = new_task(store, user, "a", labels=[urgent])
    b = new_task(store, user, "b", labels=[urgent, home])
    new_task(store, user, "c", labels=[home])
    new_task(store, user, "d")
    calls.seen.clear()
    assert titles(store, user, ListRequest(label_id=urgent)) == ["a", "b"]
    assert titles(store, user, ListRequest(label_id=home)) == ["b", "c"]
    only_reads(calls)
    assert "BatchGetItem" in calls.operations

    # label added / removed on edit: the links follow in the same transaction
    a = task_service.update_task(
        store=store, user_id=user, task_id=a.id, changes=TaskUpdate(version=a.version, labels=[home]), now=NOW
    )
    assert titles(store, user, ListRequest(label_id=urgent)) == ["b"]
    assert titles(store, user, ListRequest(label_id=home)) == ["a", "b", "c"]
    assert sorted(store.task_ids_with_label(user, urgent)) == [b.id]

    # label deleted: taken off every task, no link left
    project_service.delete_label(store=store, user_id=user, label_id=home, now=NOW)
    assert store.task_ids_with_label(user, home) == []
    assert all(home not in t.labels for t in store.get_tasks(user, [a.id, b.id]).values())
    assert store.get_label(user, home) is None

    # task deleted: its links go with it
    task_service.delete_task(store=store, user_id=user, task_id=b.id)
    assert store.task_ids_with_label(user, urgent) == []
    assert titles(store, user, ListRequest(label_id=urgent)) == []


def test_by_label_with_filters(store: DynamoTaskStore, user: str) -> None:
    label = new_label(store, user, "errand")
    work = new_project(store, user, "Work")
    new_task(store, user, "buy milk", labels=[label], priority=1, due_date=TODAY)
    new_task(store, user, "post letter", labels=[label], project_id=work.id)
    done = new_task(store, user, "bought bread", labels=[label])
    complete(store, user, done)
    assert titles(store, user, ListRequest(label_id=label)) == ["buy milk", "post letter"]
    assert titles(store, user, ListRequest(label_id=label, status="done")) == ["bought bread"]
    assert titles(store, user, ListRequest(label_id=label, project_id=work.id)) == ["post letter"]
    assert titles(store, user, ListRequest(label_id=label, priority=1)) == ["buy milk"]
    assert titles(store, user, ListRequest(label_id=label, search="MILK")) == ["buy milk"]
    assert titles(store, user, ListRequest(label_id=label, view="today")) == ["buy milk"]


def test_search_in_title_and_notes(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    new_task(store, user, "Buy MILK")
    new_task(store, user, "Groceries", notes="eggs, milk and bread")
    new_task(store, user, "Call Bob")
    done = new_task(store, user, "milk the cow")
    complete(store, user, done)
    calls.seen.clear()
    assert titles(store, user, ListRequest(search="  Milk ")) == ["Buy MILK", "Groceries"]
    assert titles(store, user, ListRequest(search="milk", status="all")) == ["Buy MILK", "Groceries", "milk the cow"]
    assert titles(store, user, ListRequest(search="bob", sort="due")) == ["Call Bob"]
    assert titles(store, user, ListRequest(search="nothing like this")) == []
    only_reads(calls)


def test_no_list_crosses_users(store: DynamoTaskStore, user: str) -> None:
    other = f"other-{uuid.uuid4().hex}"
    label = new_label(store, other, "shared-name")
    new_task(store, other, "theirs", due_date=TODAY, labels=[label])
    new_task(store, user, "mine", due_date=TODAY)
    for request in (ListRequest(), ListRequest(view="today"), ListRequest(view="inbox"), ListRequest(search="theirs")):
        assert "theirs" not in titles(store, user, request)
    with pytest.raises(NotFoundError):
        task_service.list_tasks(store=store, user_id=user, request=ListRequest(label_id=label), clock=CLOCK)


# --- writes --------------------------------------------------------------------------------------
def test_task_writes_are_transactions(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    task = new_task(store, user, "write me")
    calls.seen.clear()
    updated = task_service.update_task(
        store=store, user_id=user, task_id=task.id, changes=TaskUpdate(version=task.version, title="x"), now=NOW
    )
    complete(store, user, updated)
    task_service.reopen_task(store=store, user_id=user, task_id=updated.id, now=NOW)
    task_service.delete_task(store=store, user_id=user, task_id=updated.id)
    assert store.get_task(user, task.id) is None
    writes = calls.operations - READS
    assert writes == {"TransactWriteItems"}


def test_a_stale_save_is_a_conflict(store: DynamoTaskStore, user: str) -> None:
    task = new_task(store, user, "v1")
    store.save_task(replace(task, title="v2"), previous=task)
    with pytest.raises(ConflictError):
        store.save_task(replace(task, title="v2 again"), previous=task)
    stored = store.get_task(user, task.id)
    assert stored is not None
    assert (stored.title, stored.version) == ("v2", 2)


def test_a_stale_edit_of_the_task_alone_is_a_conflict(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    """An edit that changes nothing beside the task is one PutItem: its version condition refuses a stale one."""
    task = new_task(store, user, "v1")
    calls.seen.clear()
    store.save_task(replace(task, priority=1), previous=task)
    assert calls.operations - READS == {"PutItem"}
    with pytest.raises(ConflictError):
        store.save_task(replace(task, priority=2), previous=task)
    stored = store.get_task(user, task.id)
    assert stored is not None
    assert (stored.priority, stored.version) == (1, 2)


# --- cursor pagination ---------------------------------------------------------------------------
def _pages(store: DynamoTaskStore, user: str, request: ListRequest) -> list[list[Task]]:
    pages: list[list[Task]] = []
    cursor: str | None = None
    while True:
        items, cursor = task_service.list_tasks(
            store=store, user_id=user, request=replace(request, cursor=cursor), clock=CLOCK
        )
        pages.append(items)
        if cursor is None:
            return pages
        assert len(pages) < 20, "the cursor does not advance"


@pytest.fixture(scope="module")
def paged(store: DynamoTaskStore) -> tuple[str, str, str]:
    """25 open tasks with mixed due dates, priorities and a label, in one project; 5 done ones."""
    user_id = f"pager-{uuid.uuid4().hex}"
    project = new_project(store, user_id, "Paged")
    label = new_label(store, user_id, "paged")
    for i in range(25):
        due = TODAY + timedelta(days=i % 5) if i % 3 else None
        new_task(
            store,
            user_id,
            f"task {i:02}",
            project_id=project.id,
            priority=1 + i % 4,
            due_date=due,
            due_time=time(9 + i % 4) if due and i % 2 else None,
            labels=[label],
            notes="even" if i % 2 == 0 else "",
        )
    for i in range(5):
        done = new_task(store, user_id, f"done {i}", project_id=project.id)
        complete(store, user_id, done, NOW + timedelta(minutes=i))
    return user_id, project.id, label


@pytest.mark.parametrize(
    ("request_fields", "count"),
    [
        ({}, 25),
        ({"sort": "due"}, 25),
        ({"sort": "priority"}, 25),
        ({"sort": "manual", "project_id": "<project>"}, 25),
        ({"search": "even"}, 13),
        ({"sort": "created", "search": "even", "status": "all"}, 13),
        ({"sort": "priority", "priority": 2}, 6),
        ({"view": "completed"}, 5),
    ],
    ids=["created", "due", "priority", "manual", "search", "created-search-all-statuses", "p2", "completed"],
)
def test_pages_concatenate_to_the_whole_list(
    store: DynamoTaskStore, calls: Calls, paged: tuple[str, str, str], request_fields: dict[str, Any], count: int
) -> None:
    user_id, project_id, label = paged
    replacements = {"<project>": project_id, "<label>": label}
    fields = {k: replacements.get(v, v) for k, v in request_fields.items()}
    whole, cursor = task_service.list_tasks(
        store=store, user_id=user_id, request=ListRequest(**fields, limit=200), clock=CLOCK
    )
    assert cursor is None
    assert len(whole) == count
    pages = _pages(store, user_id, ListRequest(**fields, limit=7))
    flat = [t.id for page in pages for t in page]
    assert flat == [t.id for t in whole]
    assert len(set(flat)) == len(flat)
    assert all(len(page) == 7 for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= 7
    only_reads(calls)


def test_page_sizes_for_twenty_five_tasks(store: DynamoTaskStore, paged: tuple[str, str, str]) -> None:
    user_id, _, _ = paged
    assert [len(p) for p in _pages(store, user_id, ListRequest(limit=7))] == [7, 7, 7, 4]
    assert [len(p) for p in _pages(store, user_id, ListRequest(limit=25))] == [25]
    assert [len(p) for p in _pages(store, user_id, ListRequest(search="even", limit=7))] == [7, 6]


def _cursor(store: DynamoTaskStore, user_id: str, request: ListRequest) -> str:
    _, cursor = task_service.list_tasks(store=store, user_id=user_id, request=request, clock=CLOCK)
    assert cursor is not None
    return cursor


def _garbage(valid: str) -> list[str]:
    payload = json.loads(base64.urlsafe_b64decode(valid + "=" * (-len(valid) % 4)))
    not_strings = {**payload, "k": {name: {"N": "1"} for name in payload["k"]}}
    return [
        "not-a-cursor",
        "!!!!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b"[1, 2, 3]").decode(),
        base64.urlsafe_b64encode(json.dumps({"i": payload["i"]}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps({"i": payload["i"], "k": "x"}).encode()).decode(),
        base64.urlsafe_b64encode(json.dumps(not_strings).encode()).decode(),
        valid[:-5],
    ]


def test_a_cursor_of_another_user_is_refused(store: DynamoTaskStore, paged: tuple[str, str, str], user: str) -> None:
    owner, _, _ = paged
    for _ in range(3):
        new_task(store, user, "mine")
    for request in (ListRequest(limit=2), ListRequest(sort="due", limit=2), ListRequest(sort="priority", limit=2)):
        cursor = _cursor(store, owner, request)
        with pytest.raises(InvalidInputError) as raised:
            task_service.list_tasks(store=store, user_id=user, request=replace(request, cursor=cursor), clock=CLOCK)
        assert raised.value.fields == {"cursor": "is not valid"}


def test_a_forged_cursor_naming_another_user_is_refused(store: DynamoTaskStore, paged: tuple[str, str, str]) -> None:
    owner, _, _ = paged
    cursor = _cursor(store, owner, ListRequest(limit=2))
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    forged = encode_cursor(payload["i"], {**payload["k"], "user_id": {"S": "someone-else"}})
    with pytest.raises(InvalidInputError):
        task_service.list_tasks(store=store, user_id=owner, request=ListRequest(limit=2, cursor=forged), clock=CLOCK)


@pytest.mark.parametrize(
    ("made_for", "used_for"),
    [
        ({}, {"sort": "due"}),
        ({"sort": "due"}, {"sort": "priority"}),
        ({"sort": "priority"}, {}),
        ({"sort": "manual", "project_id": "<project>"}, {}),
        ({}, {"label_id": "<label>"}),
        ({"view": "completed"}, {"view": "today"}),
    ],
)
def test_a_cursor_of_another_index_is_refused(
    store: DynamoTaskStore, paged: tuple[str, str, str], made_for: dict[str, Any], used_for: dict[str, Any]
) -> None:
    user_id, project_id, label = paged
    replacements = {"<project>": project_id, "<label>": label}
    made_for = {k: replacements.get(v, v) for k, v in made_for.items()}
    used_for = {k: replacements.get(v, v) for k, v in used_for.items()}
    cursor = _cursor(store, user_id, ListRequest(**made_for, limit=2))
    with pytest.raises(InvalidInputError):
        task_service.list_tasks(
            store=store, user_id=user_id, request=ListRequest(**used_for, limit=2, cursor=cursor), clock=CLOCK
        )


def test_a_label_cursor_is_refused_elsewhere(store: DynamoTaskStore, paged: tuple[str, str, str]) -> None:
    user_id, _, label = paged
    cursor = _cursor(store, user_id, ListRequest(label_id=label, limit=2))
    for request in (ListRequest(limit=2, cursor=cursor), ListRequest(sort="due", limit=2, cursor=cursor)):
        with pytest.raises(InvalidInputError):
            task_service.list_tasks(store=store, user_id=user_id, request=request, clock=CLOCK)
    other = f"other-{uuid.uuid4().hex}"
    label_of_other = new_label(store, other, "paged")
    with pytest.raises(InvalidInputError):
        task_service.list_tasks(
            store=store, user_id=other, request=ListRequest(label_id=label_of_other, cursor=cursor), clock=CLOCK
        )


def test_a_garbage_cursor_is_refused(store: DynamoTaskStore, paged: tuple[str, str, str]) -> None:
    user_id, _, _ = paged
    valid = _cursor(store, user_id, ListRequest(limit=2))
    for garbage in _garbage(valid):
        with pytest.raises(InvalidInputError):
            task_service.list_tasks(
                store=store, user_id=user_id, request=ListRequest(limit=2, cursor=garbage), clock=CLOCK
            )


# --- projects and the Inbox ----------------------------------------------------------------------
def test_the_inbox_is_created_once_under_concurrent_first_use(store: DynamoTaskStore, user: str) -> None:
    threads = 12
    barrier = threading.Barrier(threads)
    results: list[Project] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def first_use(offset: int) -> None:
        try:
            barrier.wait(timeout=10)
            inbox = project_service.ensure_inbox(store=store, user_id=user, now=NOW + timedelta(seconds=offset))
            with lock:
                results.append(inbox)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    workers = [threading.Thread(target=first_use, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert errors == []
    assert len(results) == threads
    assert len({(p.id, p.created_at, p.version) for p in results}) == 1
    inboxes = [p for p in store.list_projects(user) if p.is_inbox]
    assert len(inboxes) == 1
    assert inboxes[0] == results[0]


def test_projects_are_listed_inbox_first_then_in_order(store: DynamoTaskStore, calls: Calls, user: str) -> None:
    names = ["Work", "Home", "Side project"]
    for name in names:
        new_project(store, user, name)
    calls.seen.clear()
    listed = project_service.list_projects(store=store, user_id=user, now=NOW)
    assert [p.name for p in listed] == ["Inbox", *names]
    assert calls.operations == {"Query"}


def test_deleting_a_project_deletes_its_tasks_and_links(store: DynamoTaskStore, user: str) -> None:
    label = new_label(store, user, "tagged")
    doomed = new_project(store, user, "Doomed")
    kept = new_project(store, user, "Kept")
    in_doomed = [new_task(store, user, f"d{i}", project_id=doomed.id, labels=[label]) for i in range(3)]
    complete(store, user, in_doomed[0])
    survivor = new_task(store, user, "survivor", project_id=kept.id, labels=[label])
    project_service.delete_project(store=store, user_id=user, project_id=doomed.id, now=NOW)
    assert store.get_project(user, doomed.id) is None
    assert all(store.get_task(user, t.id) is None for t in in_doomed)
    assert store.task_ids_with_label(user, label) == [survivor.id]
    assert titles(store, user, ListRequest(status="all")) == ["survivor"]
    with pytest.raises(NotFoundError):
        task_service.list_tasks(store=store, user_id=user, request=ListRequest(project_id=doomed.id), clock=CLOCK)


def test_the_inbox_cannot_be_deleted(store: DynamoTaskStore, user: str) -> None:
    new_task(store, user, "in the inbox")
    with pytest.raises(InvalidInputError):
        project_service.delete_project(store=store, user_id=user, project_id="inbox", now=NOW)
    assert store.get_project(user, "inbox") is not None
    assert titles(store, user, ListRequest(view="inbox")) == ["in the inbox"]


def test_another_users_project_is_not_found(store: DynamoTaskStore, user: str) -> None:
    theirs = new_project(store, f"other-{uuid.uuid4().hex}", "Theirs")
    actions: list[Callable[[], object]] = [
        lambda: new_task(store, user, "x", project_id=theirs.id),
        lambda: project_service.delete_project(store=store, user_id=user, project_id=theirs.id, now=NOW),
        lambda: task_service.list_tasks(
            store=store, user_id=user, request=ListRequest(project_id=theirs.id), clock=CLOCK
        ),
    ]
    for action in actions:
        with pytest.raises(NotFoundError):
            action()
    assert store.get_project(theirs.user_id, theirs.id) == theirs


def test_dates_round_trip(store: DynamoTaskStore, user: str) -> None:
    task = new_task(
        store,
        user,
        "round trip",
        notes="n",
        due_date=date(2028, 2, 29),
        due_time=time(23, 59),
        start_date=date(2028, 2, 1),
        recurrence="freq=yearly",
        subtasks=[{"title": "one"}, {"title": "two", "done": True}],
    )
    stored = store.get_task(user, task.id)
    assert stored == task
    assert stored is not None
    assert stored.recurrence == "FREQ=YEARLY"
    assert [(s.title, s.done) for s in stored.subtasks] == [("one", False), ("two", True)]
    assert stored.created_at == NOW.astimezone(UTC)
