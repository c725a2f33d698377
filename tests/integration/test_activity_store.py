"""The activity log on the emulated Tasks table: rows put in a transaction, read newest first in pages."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store.activity import ActivityStore, activity_item
from backend.adapters.task_store.models import connection
from backend.domain.activity import ActivityEntry, What
from backend.errors import InvalidInputError
from backend.local.testing import LocalRun
from tests.conftest import local  # noqa: F401

NOW = datetime(2026, 3, 11, 9, tzinfo=UTC)


@pytest.fixture(scope="module")
def store(local: LocalRun) -> ActivityStore:  # noqa: F811
    from backend.bootstrap import dependencies

    dependencies()
    return ActivityStore()


def _fill(partition: str, count: int) -> None:
    with TransactWrite(connection=connection()) as transaction:
        for i in range(count):
            entry = ActivityEntry(
                actor="alice",
                what=What.EDITED,
                at=NOW + timedelta(minutes=i),
                task_id=f"t{i}",
                task_title=f"task {i}",
                before={"title": None},
                after={"title": f"task {i}", "labels": ["a"]},
            )
            transaction.save(activity_item(partition, entry))


def test_pages_newest_first_until_the_end(store: ActivityStore) -> None:
    partition = f"P#{uuid.uuid4().hex}"
    _fill(partition, 7)
    seen: list[str | None] = []
    cursor = None
    pages = 0
    while True:
        page, cursor = store.list_activity(partition, now=NOW, limit=3, cursor=cursor)
        pages += 1
        seen += [entry.task_id for entry in page]
        if cursor is None:
            break
    assert seen == [f"t{i}" for i in reversed(range(7))]
    assert pages == 3  # 3 + 3 + 1: no empty last page
    newest = store.list_activity(partition, now=NOW, limit=1)[0][0]
    assert newest.before == {"title": None}
    assert newest.after == {"title": "task 6", "labels": ["a"]}
    assert newest.id is not None
    assert newest.at == NOW + timedelta(minutes=6)


def test_a_full_last_page_has_no_cursor(store: ActivityStore) -> None:
    partition = f"P#{uuid.uuid4().hex}"
    _fill(partition, 4)
    first, cursor = store.list_activity(partition, now=NOW, limit=2)
    second, cursor = store.list_activity(partition, now=NOW, limit=2, cursor=cursor)
    assert len(first) == len(second) == 2
    assert cursor is None


def test_a_cursor_of_another_project_is_refused(store: ActivityStore) -> None:
    mine, theirs = f"P#{uuid.uuid4().hex}", f"P#{uuid.uuid4().hex}"
    _fill(theirs, 3)
    _, cursor = store.list_activity(theirs, now=NOW, limit=1)
    assert cursor is not None
    with pytest.raises(InvalidInputError):
        store.list_activity(mine, now=NOW, cursor=cursor)


def test_rows_past_their_year_are_not_listed(store: ActivityStore) -> None:
    partition = f"P#{uuid.uuid4().hex}"
    _fill(partition, 2)
    assert store.list_activity(partition, now=NOW + timedelta(days=366)) == ([], None)
