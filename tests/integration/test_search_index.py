"""The search index (``W#<word>#<task>`` items) on moto, through the real services and PynamoDB: kept by every write
path in the task's own transaction, gone with the task, backfilled for older tasks, and search reads the index and
the matches, never the user's whole partition (and never Scan). Totals (``count_tasks``) of every kind of list."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from backend.adapters.task_store.mapping import index_items, task_item
from backend.adapters.task_store.models import INDEXED, TASK_TABLE_MODELS, WORD, SearchIndexedModel, SearchWordModel
from backend.adapters.task_store.store import DynamoTaskStore
from backend.domain import search
from backend.domain.tasks import Task, new_id
from backend.errors import InvalidInputError
from backend.local.testing import BACKGROUND_THREADS, LocalRun
from backend.schemas import BulkAction, LabelCreate, ProjectCreate, TaskCreate, TaskUpdate
from backend.services import projects as project_service
from backend.services import tasks as task_service
from backend.services.tasks import ListRequest
from tests.integration.test_task_store import CLOCK, NOW, TODAY


@dataclass
class Reads:
    """Every DynamoDB request of the Tasks table's models: (operation, parameters)."""

    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def record(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if threading.current_thread().name.startswith(BACKGROUND_THREADS):
            return  # the stream consumers react to the test's writes in this process, at their own pace
        self.seen.append((model.name, params))

    @property
    def operations(self) -> list[str]:
        return [name for name, _ in self.seen]

    def query_prefixes(self) -> list[str]:
        """The sort-key prefix of each Query (``begins_with``), or its index name."""
        found = []
        for name, params in self.seen:
            if name == "Query":
                values = [v.get("S", "") for v in params.get("ExpressionAttributeValues", {}).values()]
                found.append(params.get("IndexName") or next((v for v in values if "#" in v), "?"))
        return found


@pytest.fixture(scope="module")
def store(local: LocalRun) -> DynamoTaskStore:
    from backend.bootstrap import dependencies

    dependencies()  # points the models at this emulator's table
    return DynamoTaskStore()


@pytest.fixture(scope="module")
def recorder(store: DynamoTaskStore) -> Reads:
    reads = Reads()
    clients = {id(c): c for c in (m._get_connection().connection.client for m in TASK_TABLE_MODELS)}
    for client in clients.values():
        client.meta.events.register("provide-client-params.dynamodb", reads.record)
    return reads


@pytest.fixture
def calls(recorder: Reads) -> Iterator[Reads]:
    recorder.seen.clear()
    yield recorder
    assert "Scan" not in recorder.operations, recorder.seen


@pytest.fixture
def user() -> str:
    return f"search-{uuid.uuid4().hex}"


def new_task(store: DynamoTaskStore, user_id: str, title: str, **fields: Any) -> Task:
    return task_service.create_task(store=store, user_id=user_id, data=TaskCreate(title=title, **fields), now=NOW)


def indexed(user_id: str, task_id: str | None = None) -> set[str]:
    """The words the index holds (for one task, or for any task)."""
    items = SearchWordModel.query(user_id, SearchWordModel.sk.startswith(WORD), consistent_read=True)
    return {item.sk.removeprefix(WORD).rsplit("#", 1)[0] for item in items if task_id in (None, item.task_id)}


def found(store: DynamoTaskStore, user_id: str, text: str, **fields: Any) -> list[str]:
    request = ListRequest(search=text, limit=200, **fields)
    items, cursor = task_service.list_tasks(store=store, user_id=user_id, request=request, clock=CLOCK)
    assert cursor is None
    return [t.title for t in items]


# --- the write paths keep the index ---------------------------------------------------------------
def test_create_indexes_title_and_notes_in_the_same_transaction(
    store: DynamoTaskStore, calls: Reads, user: str
) -> None:
    new_task(store, user, "warm up")  # the Inbox
    calls.seen.clear()
    task = new_task(store, user, "Buy MILK", notes="from the Café")
    assert indexed(user, task.id) == {"buy", "milk", "from", "the", "cafe"}
    assert "BatchWriteItem" not in calls.operations
    assert "PutItem" not in calls.operations
    writes = [params for name, params in calls.seen if name == "TransactWriteItems"]
    assert len(writes) == 1
    operations = writes[0]["TransactItems"]
    keys = [op["Put"]["Item"]["sk"]["S"] for op in operations if "Put" in op]
    assert sorted(keys) == sorted([f"TASK#{task.id}"] + [f"{WORD}{w}#{task.id}" for w in indexed(user, task.id)])
    assert [op["Update"]["Key"]["sk"]["S"] for op in operations if "Update" in op] == ["USAGE#tasks"]  # the counts


def test_editing_title_or_notes_moves_the_index(store: DynamoTaskStore, calls: Reads, user: str) -> None:
    task = new_task(store, user, "Buy milk", notes="at the shop")
    edited = task_service.update_task(
        store=store,
        user_id=user,
        task_id=task.id,
        changes=TaskUpdate(version=task.version, title="Buy bread", notes="at the bakery"),
        now=NOW,
    )
    assert indexed(user, task.id) == {"buy", "bread", "at", "the", "bakery"}
    assert found(store, user, "bakery") == ["Buy bread"]
    assert found(store, user, "milk") == []
    assert found(store, user, "shop") == []
    # an edit of anything else writes no index item
    calls.seen.clear()
    task_service.update_task(
        store=store, user_id=user, task_id=task.id, changes=TaskUpdate(version=edited.version, priority=1), now=NOW
    )
    (write,) = [name for name, _ in calls.seen if name in ("TransactWriteItems", "PutItem")]
    assert write == "PutItem"  # the task alone: a conditional put, no transaction


def test_complete_and_reopen_keep_the_task_findable(store: DynamoTaskStore, user: str) -> None:
    task = new_task(store, user, "File taxes")
    before = indexed(user, task.id)
    task_service.complete_task(store=store, user_id=user, task_id=task.id, clock=CLOCK)
    assert indexed(user, task.id) == before
    assert found(store, user, "taxes") == []  # open tasks by default
    assert found(store, user, "taxes", status="done") == ["File taxes"]
    assert found(store, user, "tax", view="completed") == ["File taxes"]
    task_service.reopen_task(store=store, user_id=user, task_id=task.id, now=NOW)
    assert found(store, user, "taxes") == ["File taxes"]


def test_delete_removes_the_index_items(store: DynamoTaskStore, user: str) -> None:
    keep = new_task(store, user, "keep this one")
    gone = new_task(store, user, "delete this one")
    task_service.delete_task(store=store, user_id=user, task_id=gone.id)
    assert indexed(user) == indexed(user, keep.id) == {"keep", "this", "one"}
    assert found(store, user, "this") == ["keep this one"]


def test_bulk_actions_keep_the_index(store: DynamoTaskStore, user: str) -> None:
    work = project_service.create_project(store=store, user_id=user, data=ProjectCreate(name="Work"), now=NOW)
    tasks = [new_task(store, user, f"bulk item {i}") for i in range(4)]
    ids = [t.id for t in tasks]
    task_service.bulk(store=store, user_id=user, action=BulkAction(action="complete", ids=ids[:2]), clock=CLOCK)
    task_service.bulk(
        store=store, user_id=user, action=BulkAction(action="move", ids=ids[2:], project_id=work.id), clock=CLOCK
    )
    assert found(store, user, "bulk") == ["bulk item 2", "bulk item 3"]
    assert found(store, user, "bulk", project_id=work.id) == ["bulk item 2", "bulk item 3"]
    assert found(store, user, "bulk", status="all") == [f"bulk item {i}" for i in (2, 3, 0, 1)]  # open first
    task_service.bulk(store=store, user_id=user, action=BulkAction(action="delete", ids=ids), clock=CLOCK)
    assert indexed(user) == set()
    assert found(store, user, "bulk", status="all") == []


def test_deleting_a_project_removes_its_tasks_words(store: DynamoTaskStore, user: str) -> None:
    home = project_service.create_project(store=store, user_id=user, data=ProjectCreate(name="Home"), now=NOW)
    new_task(store, user, "water plants", project_id=home.id)
    inbox_task = new_task(store, user, "water bill")
    project_service.delete_project(store=store, user_id=user, project_id=home.id, now=NOW)
    assert indexed(user) == indexed(user, inbox_task.id)
    assert found(store, user, "water") == ["water bill"]


def test_delete_all_my_data_takes_the_index(store: DynamoTaskStore, user: str) -> None:
    from backend.bootstrap import erase_user_data

    new_task(store, user, "private words", notes="very secret")
    erase_user_data(user)
    assert indexed(user) == set()
    # Only the index marker: the stats stream handler may still be folding the erased tasks' late stream events into
    # STAT# rows of the same partition (seen in CI; tests/api/test_me.py covers the erase of everything).
    assert list(SearchIndexedModel.query(user, SearchIndexedModel.sk == INDEXED, consistent_read=True)) == []
    assert found(store, user, "secret", status="all") == []


def test_replacing_every_word_of_a_long_task_fits_the_transaction(store: DynamoTaskStore, user: str) -> None:
    labels = [
        project_service.create_label(store=store, user_id=user, data=LabelCreate(name=f"l{i}"), now=NOW).id
        for i in range(20)
    ]
    notes = " ".join(f"first{i}" for i in range(300))
    task = new_task(store, user, "long one", notes=notes, labels=labels[:10])
    assert len(indexed(user, task.id)) == search.MAX_TERMS
    other = " ".join(f"second{i}" for i in range(300))
    changes = TaskUpdate(version=task.version, title="renamed entirely", notes=other, labels=labels[10:])
    task_service.update_task(store=store, user_id=user, task_id=task.id, changes=changes, now=NOW)
    assert len(indexed(user, task.id)) == search.MAX_TERMS
    assert found(store, user, "second0") == ["renamed entirely"]
    assert found(store, user, "first0") == []


# --- searching ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def library(store: DynamoTaskStore) -> tuple[str, dict[str, str]]:
    """A user with tasks across projects, due dates, priorities, a label and one done task."""
    user_id = f"library-{uuid.uuid4().hex}"
    work = project_service.create_project(store=store, user_id=user_id, data=ProjectCreate(name="Work"), now=NOW)
    label = project_service.create_label(store=store, user_id=user_id, data=LabelCreate(name="urgent"), now=NOW)
    new_task(store, user_id, "Quarterly report", project_id=work.id, priority=1, due_date=TODAY, labels=[label.id])
    new_task(store, user_id, "Report the bug", due_date=TODAY + timedelta(days=3))
    new_task(store, user_id, "Groceries", notes="milk, eggs and a crème brûlée")
    new_task(store, user_id, "Reply to Zoë", priority=2, due_date=TODAY - timedelta(days=1))
    done = new_task(store, user_id, "Old report")
    task_service.complete_task(store=store, user_id=user_id, task_id=done.id, clock=CLOCK)
    for i in range(30):
        new_task(store, user_id, f"filler {i}", notes="nothing to see")
    return user_id, {"work": work.id, "urgent": label.id}


@pytest.mark.parametrize(
    ("text", "fields", "expected"),
    [
        ("report", {}, ["Quarterly report", "Report the bug"]),
        ("REP", {}, ["Quarterly report", "Report the bug", "Reply to Zoë"]),  # the last word is a prefix
        ("report", {"status": "all"}, ["Quarterly report", "Report the bug", "Old report"]),
        ("report", {"status": "done"}, ["Old report"]),
        ("report", {"sort": "due"}, ["Quarterly report", "Report the bug"]),
        ("re", {"sort": "due"}, ["Reply to Zoë", "Quarterly report", "Report the bug"]),
        ("re", {"sort": "priority"}, ["Quarterly report", "Reply to Zoë", "Report the bug"]),
        ("report bu", {}, ["Report the bug"]),
        ("bug report", {}, ["Report the bug"]),
        ("creme brulee", {}, ["Groceries"]),  # notes, accents
        ("zoe", {}, ["Reply to Zoë"]),
        ("MILK", {}, ["Groceries"]),
        ("report", {"view": "today"}, ["Quarterly report"]),
        ("re", {"view": "today"}, ["Reply to Zoë", "Quarterly report"]),
        ("re", {"view": "upcoming"}, ["Quarterly report", "Report the bug"]),
        ("report", {"view": "inbox"}, ["Report the bug"]),
        ("report", {"view": "completed"}, ["Old report"]),
        ("report", {"project_id": "work"}, ["Quarterly report"]),
        ("report", {"label_id": "urgent"}, ["Quarterly report"]),
        ("re", {"priority": 2}, ["Reply to Zoë"]),
        ("re", {"overdue": True}, ["Reply to Zoë"]),
        ("re", {"has_attachments": True}, []),
        ("nothing like this", {}, []),
        ("ort", {}, []),  # words match from their start
        ("x", {}, []),  # nothing searchable typed
    ],
)
def test_search_results(
    store: DynamoTaskStore, library: tuple[str, dict[str, str]], text: str, fields: dict[str, Any], expected: list[str]
) -> None:
    user_id, ids = library
    resolved = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    assert found(store, user_id, text, **resolved) == expected


def test_search_everywhere_reads_the_index_not_the_partition(
    store: DynamoTaskStore, calls: Reads, library: tuple[str, dict[str, str]]
) -> None:
    user_id, _ = library
    found(store, user_id, "report")  # the first search of this process may check the WIDX marker
    calls.seen.clear()
    assert found(store, user_id, "quarterly rep", view="all", status="open") == ["Quarterly report"]
    assert set(calls.operations) <= {"Query", "BatchGetItem"}, calls.seen
    assert calls.query_prefixes() == [f"{WORD}quarterly#"]  # one lookup: the rest is checked on the tasks
    (batch,) = [params for name, params in calls.seen if name == "BatchGetItem"]
    assert sum(len(v["Keys"]) for v in batch["RequestItems"].values()) == 1


def test_a_common_prefix_is_intersected_with_the_other_words(store: DynamoTaskStore, calls: Reads, user: str) -> None:
    for i in range(120):
        new_task(store, user, f"common task {i}")
    new_task(store, user, "common rare task")
    calls.seen.clear()
    assert found(store, user, "rare comm") == ["common rare task"]
    assert calls.query_prefixes() == [f"{WORD}rare#"]
    calls.seen.clear()
    assert found(store, user, "task common") == [f"common task {i}" for i in range(120)] + ["common rare task"]
    assert sorted(calls.query_prefixes()) == [f"{WORD}common", f"{WORD}task#"]


def test_search_pages_with_a_cursor(store: DynamoTaskStore, user: str) -> None:
    for i in range(17):
        new_task(store, user, f"paged {i:02}", due_date=TODAY + timedelta(days=i % 4))
    for sort in ("created", "due", "priority"):
        request = ListRequest(search="paged", sort=sort, limit=5)
        whole, _ = task_service.list_tasks(
            store=store, user_id=user, request=ListRequest(search="paged", sort=sort, limit=50), clock=CLOCK
        )
        pages: list[list[str]] = []
        cursor: str | None = None
        while True:
            items, cursor = task_service.list_tasks(
                store=store, user_id=user, request=replace(request, cursor=cursor), clock=CLOCK
            )
            pages.append([t.id for t in items])
            if cursor is None:
                break
        assert [len(p) for p in pages] == [5, 5, 5, 2]
        assert [i for p in pages for i in p] == [t.id for t in whole]
    # a cursor belongs to its list
    _, cursor = task_service.list_tasks(
        store=store, user_id=user, request=ListRequest(search="paged", limit=5), clock=CLOCK
    )
    with pytest.raises(InvalidInputError):
        task_service.list_tasks(
            store=store, user_id=user, request=ListRequest(search="paged", sort="due", cursor=cursor), clock=CLOCK
        )
    with pytest.raises(InvalidInputError):
        task_service.list_tasks(store=store, user_id=user, request=ListRequest(cursor=cursor), clock=CLOCK)


def test_older_tasks_are_backfilled_on_the_first_search(store: DynamoTaskStore, calls: Reads) -> None:
    user_id = f"legacy-{uuid.uuid4().hex}"
    # tasks written as before the index: the items alone, no marker
    for title in ("legacy invoice", "legacy receipt", "other"):
        task = Task(id=new_id(), user_id=user_id, project_id="inbox", title=title, created_at=NOW, updated_at=NOW)
        item = task_item(task)
        item.save()
    assert indexed(user_id) == set()
    calls.seen.clear()
    assert found(store, user_id, "legacy") == ["legacy invoice", "legacy receipt"]
    assert "BatchWriteItem" in calls.operations
    assert SearchIndexedModel.get(user_id, INDEXED).indexed_at is not None
    assert indexed(user_id) == {"legacy", "invoice", "receipt", "other"}
    # once: the next search only reads
    calls.seen.clear()
    assert found(store, user_id, "receipt") == ["legacy receipt"]
    assert set(calls.operations) <= {"Query", "BatchGetItem"}
    assert store.backfill_search_index(user_id) == 5  # idempotent


def test_a_stale_index_entry_finds_nothing(store: DynamoTaskStore, user: str) -> None:
    task = new_task(store, user, "real words")
    SearchWordModel(user_id=user, sk=f"{WORD}ghost#{task.id}", task_id=task.id).save()
    assert found(store, user, "ghost") == []
    assert found(store, user, "real") == ["real words"]


def test_no_search_crosses_users(store: DynamoTaskStore, user: str) -> None:
    other = f"other-{uuid.uuid4().hex}"
    new_task(store, other, "their secret")
    new_task(store, user, "my secret")
    assert found(store, user, "secret", status="all") == ["my secret"]


# --- totals ---------------------------------------------------------------------------------------
def count(
    store: DynamoTaskStore, user_id: str, request: ListRequest, by: str | None = None
) -> tuple[int, dict[str, int]]:
    query = task_service.build_query(request, user_id=user_id, clock=CLOCK)
    return store.count_tasks(query, by=by)


def whole_list(store: DynamoTaskStore, user_id: str, request: ListRequest) -> list[Task]:
    items, cursor = task_service.list_tasks(
        store=store, user_id=user_id, request=replace(request, limit=200), clock=CLOCK
    )
    assert cursor is None
    return items


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"status": "all"},
        {"view": "today"},
        {"view": "upcoming"},
        {"view": "inbox"},
        {"view": "completed"},
        {"project_id": "work"},
        {"label_id": "urgent"},
        {"priority": 1},
        {"sort": "priority"},
        {"search": "re"},
        {"search": "report", "status": "all"},
    ],
)
def test_totals_equal_the_whole_list(
    store: DynamoTaskStore, calls: Reads, library: tuple[str, dict[str, str]], fields: dict[str, Any]
) -> None:
    user_id, ids = library
    resolved: dict[str, Any] = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    request = ListRequest(**resolved)
    tasks = whole_list(store, user_id, request)
    calls.seen.clear()
    total, counts = count(store, user_id, request)
    assert (total, counts) == (len(tasks), {})
    assert set(calls.operations) <= {"Query", "BatchGetItem", "GetItem"}
    by_status: dict[str, int] = {}
    for task in tasks:
        by_status[task.status.value] = by_status.get(task.status.value, 0) + 1
    assert count(store, user_id, request, by="status") == (len(tasks), by_status)


def test_plain_totals_are_count_queries(
    store: DynamoTaskStore, calls: Reads, library: tuple[str, dict[str, str]]
) -> None:
    user_id, _ = library
    calls.seen.clear()
    assert count(store, user_id, ListRequest()) == (34, {})
    assert [params.get("Select") for _, params in calls.seen] == ["COUNT"]


def test_counts_per_section_of_a_board(store: DynamoTaskStore, user: str) -> None:
    board = project_service.create_project(
        store=store, user_id=user, data=ProjectCreate(name="Board", sections=["Doing", "Done"]), now=NOW
    )
    for section, n in (("Doing", 3), ("Done", 2), (None, 4)):
        for i in range(n):
            new_task(store, user, f"card {section} {i}", project_id=board.id, section=section)
    request = ListRequest(project_id=board.id, limit=2)
    items, cursor = task_service.list_tasks(store=store, user_id=user, request=request, clock=CLOCK)
    totals = task_service.count_tasks(
        store=store, user_id=user, request=request, clock=CLOCK, page=items, next_cursor=cursor, by="section"
    )
    assert (totals.total, totals.counts) == (9, {"Doing": 3, "Done": 2, "": 4})
    # a page holding the whole list is counted without another read
    whole = ListRequest(project_id=board.id, limit=50)
    items, cursor = task_service.list_tasks(store=store, user_id=user, request=whole, clock=CLOCK)
    totals = task_service.count_tasks(
        store=store, user_id=user, request=whole, clock=CLOCK, page=items, next_cursor=cursor, by="section"
    )
    assert (totals.total, totals.counts) == (9, {"Doing": 3, "Done": 2, "": 4})
    assert count(store, user, ListRequest(project_id=board.id, search="card"), by="section") == (
        9,
        {"Doing": 3, "Done": 2, "": 4},
    )


def test_the_seeded_item_shape_has_no_index(store: DynamoTaskStore) -> None:
    """Tasks written straight to the table (the bench's seed) get their words from ``index_items``."""
    task = Task(id=new_id(), user_id="u", project_id="inbox", title="Seeded words", created_at=NOW, updated_at=NOW)
    assert sorted(item.sk for item in index_items(task)) == [
        f"{WORD}seeded#{task.id}",
        f"{WORD}words#{task.id}",
    ]
