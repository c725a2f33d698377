"""A member's views over their own partition and their shared projects' (``P#<p>``), on moto through the real store:
1 + S Queries (one per source, counted), merged in the index's order, paged by a cursor holding each source's key;
"assigned to me" is one Query of ``by_assignee``; a user without shared projects makes today's single call."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.adapters.task_store.models import TASK_TABLE_MODELS
from backend.adapters.task_store.store import DynamoTaskStore
from backend.domain.tasks import Status, Task, TaskQuery, new_id
from backend.errors import InvalidInputError
from backend.local.testing import LocalRun

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 11, 10, 30, tzinfo=BERLIN)
TODAY = NOW.date()


MEMBERSHIP = "M#"


@dataclass
class Calls:
    seen: list[tuple[str, str | None, str]] = field(default_factory=list)

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        values: dict[str, dict[str, str]] = params.get("ExpressionAttributeValues") or {}
        first = next(iter(values.values()), {}).get("S", "")
        if any(value.get("S") == MEMBERSHIP for value in values.values()):
            return  # the live publisher's audience lookup, run by the local stream trigger in this process
        self.seen.append((model.name, params.get("IndexName"), first))

    def queries(self) -> list[tuple[str | None, str]]:
        return [(index, key) for name, index, key in self.seen if name == "Query"]


@pytest.fixture(scope="module")
def store(local: LocalRun) -> DynamoTaskStore:
    from backend.bootstrap import dependencies

    dependencies()
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
    assert {name for name, _, _ in recorder.seen} <= {"Query", "GetItem", "BatchGetItem"}, recorder.seen


def put(store: DynamoTaskStore, partition: str, title: str, *, due: date | None = None, **fields: Any) -> Task:
    task = Task(
        id=new_id(),
        user_id=partition,
        project_id=fields.pop("project_id", "p"),
        title=title,
        created_at=NOW,
        updated_at=NOW,
        due_date=due,
        **fields,
    )
    return store.save_task(task, previous=None)


@dataclass(frozen=True)
class Member:
    sub: str
    shared: tuple[str, ...]


@pytest.fixture
def member(store: DynamoTaskStore) -> Member:
    """A user with personal tasks and two shared projects (partitions), due on interleaved days."""
    sub = f"user-{uuid.uuid4().hex}"
    shared = (f"P#{new_id()}", f"P#{new_id()}")
    for day in range(6):
        partition = (sub, *shared)[day % 3]
        put(store, partition, f"d{day}", due=TODAY - timedelta(days=3) + timedelta(days=day))
    return Member(sub, shared)


def today_query(member: Member, **changes: Any) -> TaskQuery:
    base = TaskQuery(user_id=member.sub, shared=member.shared, sort="due", due_to=TODAY.isoformat())
    return replace(base, **changes)


def test_today_merges_every_partition_with_one_query_each(store: DynamoTaskStore, member: Member, calls: Calls) -> None:
    page, cursor = store.list_tasks(today_query(member), limit=50, cursor=None)
    assert [t.title for t in page] == ["d0", "d1", "d2", "d3"]  # due order across the three partitions
    assert cursor is None
    queries = calls.queries()
    assert len(queries) == 3  # 1 + S
    assert {key for _, key in queries} == {f"{p}#open" for p in (member.sub, *member.shared)}
    assert {index for index, _ in queries} == {"by_status_due"}


def test_a_user_without_shared_projects_makes_one_call(store: DynamoTaskStore, calls: Calls) -> None:
    sub = f"user-{uuid.uuid4().hex}"
    put(store, sub, "mine", due=TODAY)
    calls.seen.clear()
    page, _ = store.list_tasks(TaskQuery(user_id=sub, sort="due", due_to=TODAY.isoformat()), limit=50, cursor=None)
    assert [t.title for t in page] == ["mine"]
    assert len(calls.queries()) == 1


def test_pages_of_a_merged_list_neither_skip_nor_repeat(store: DynamoTaskStore, member: Member, calls: Calls) -> None:
    query = TaskQuery(user_id=member.sub, shared=member.shared, sort="due", due_from="2000-01-01")
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page, cursor = store.list_tasks(query, limit=2, cursor=cursor)
        seen += [t.title for t in page]
        pages += 1
        if cursor is None:
            break
    assert seen == [f"d{i}" for i in range(6)]
    assert pages == 3
    assert len(calls.queries()) <= 3 * pages  # never more than one Query per source and page


def test_created_and_completed_sorts_merge_too(store: DynamoTaskStore, member: Member) -> None:
    created, _ = store.list_tasks(TaskQuery(user_id=member.sub, shared=member.shared), limit=50, cursor=None)
    assert [t.title for t in created] == [f"d{i}" for i in range(6)]  # ULIDs: creation order across partitions
    done_at = [datetime(2026, 3, 1, 9, i, tzinfo=BERLIN) for i in range(3)]
    for partition, at in zip((member.sub, *member.shared), done_at, strict=True):
        put(store, partition, f"done {at.minute}", status=Status.DONE, completed_at=at)
    completed, _ = store.list_tasks(
        TaskQuery(user_id=member.sub, shared=member.shared, status="done", sort="completed"), limit=50, cursor=None
    )
    assert [t.title for t in completed] == ["done 2", "done 1", "done 0"]  # newest first


def test_a_cursor_is_refused_on_another_list_or_after_the_projects_changed(
    store: DynamoTaskStore, member: Member
) -> None:
    query = TaskQuery(user_id=member.sub, shared=member.shared, sort="due", due_from="2000-01-01")
    _, cursor = store.list_tasks(query, limit=2, cursor=None)
    assert cursor is not None
    for other in (replace(query, shared=member.shared[:1]), replace(query, user_id="someone-else")):
        with pytest.raises(InvalidInputError):
            store.list_tasks(other, limit=2, cursor=cursor)


def test_search_and_label_lists_read_every_partition(store: DynamoTaskStore, member: Member) -> None:
    put(store, member.shared[1], "Quarterly report", labels=("lbl",))
    put(store, member.sub, "Report card", labels=("lbl",))
    found, _ = store.list_tasks(
        TaskQuery(user_id=member.sub, shared=member.shared, status="all", search="report"), limit=50, cursor=None
    )
    assert sorted(t.title for t in found) == ["Quarterly report", "Report card"]
    labelled, cursor = store.list_tasks(
        TaskQuery(user_id=member.sub, shared=member.shared, label_id="lbl"), limit=1, cursor=None
    )
    rest, end = store.list_tasks(
        TaskQuery(user_id=member.sub, shared=member.shared, label_id="lbl"), limit=1, cursor=cursor
    )
    assert end is None
    assert sorted(t.title for t in labelled + rest) == ["Quarterly report", "Report card"]


def test_assigned_to_me_is_one_query_across_projects(store: DynamoTaskStore, member: Member, calls: Calls) -> None:
    put(store, member.shared[0], "for me", due=TODAY, due_time=time(9), assignee_id=member.sub)
    put(store, member.shared[1], "for me too", due=TODAY - timedelta(days=1), assignee_id=member.sub)
    put(store, f"P#{new_id()}", "in a project I left", due=TODAY, assignee_id=member.sub)
    put(store, member.shared[1], "for someone else", due=TODAY, assignee_id="someone")
    calls.seen.clear()
    query = TaskQuery(user_id=member.sub, shared=member.shared, sort="due", assignee_id=member.sub)
    page, _ = store.list_tasks(query, limit=50, cursor=None)
    assert [t.title for t in page] == ["for me too", "for me"]
    assert calls.queries() == [("by_assignee", f"{member.sub}#open")]
    total, _ = store.count_tasks(replace(query, due_to=TODAY.isoformat(), due_from=TODAY.isoformat()))
    assert total >= 1


def test_counts_add_up_over_partitions(store: DynamoTaskStore, member: Member) -> None:
    total, by_status = store.count_tasks(TaskQuery(user_id=member.sub, shared=member.shared, status="all"), by="status")
    assert total == 6
    assert by_status == {"open": 6}
