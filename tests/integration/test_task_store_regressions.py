"""Regressions found while testing the Tasks table: label paging, cursors, due ranges, unsupported sorts."""

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store.cursors import encode_cursor
from backend.adapters.task_store.store import DynamoTaskStore
from backend.errors import InvalidInputError
from backend.local.testing import LocalRun
from backend.schemas import LabelCreate, TaskCreate
from backend.services import projects as project_service
from backend.services import tasks as task_service
from backend.services.tasks import ListRequest, UserClock
from tests.conftest import local  # noqa: F401

NOW = datetime(2026, 3, 11, 9, tzinfo=UTC)
CLOCK = UserClock(tz=ZoneInfo("UTC"), now=NOW)


@pytest.fixture(scope="module")
def store(local: LocalRun) -> DynamoTaskStore:  # noqa: F811
    from backend.bootstrap import dependencies

    dependencies()
    return DynamoTaskStore()


def test_label_list_pages_past_the_first(store: DynamoTaskStore) -> None:
    user = f"u-{uuid.uuid4().hex}"
    label = project_service.create_label(store=store, user_id=user, data=LabelCreate(name="l"), now=NOW).id
    for i in range(25):
        task_service.create_task(store=store, user_id=user, data=TaskCreate(title=f"t{i}", labels=[label]), now=NOW)
    seen, cursor = [], None
    while True:
        items, cursor = task_service.list_tasks(
            store=store, user_id=user, request=ListRequest(label_id=label, limit=7, cursor=cursor), clock=CLOCK
        )
        seen += [t.title for t in items]
        if cursor is None:
            break
    assert len(seen) == 25, f"the label list stopped after {len(seen)} of 25 tasks: no cursor after page 1"


def test_a_cursor_with_a_missing_key_is_invalid_input(store: DynamoTaskStore) -> None:
    user = f"u-{uuid.uuid4().hex}"
    for i in range(3):
        task_service.create_task(store=store, user_id=user, data=TaskCreate(title=f"t{i}"), now=NOW)
    _, cursor = task_service.list_tasks(store=store, user_id=user, request=ListRequest(limit=1), clock=CLOCK)
    assert cursor is not None
    payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    del payload["k"]["sk"]
    with pytest.raises(InvalidInputError):
        task_service.list_tasks(
            store=store,
            user_id=user,
            request=ListRequest(limit=1, cursor=encode_cursor(payload["i"], payload["k"])),
            clock=CLOCK,
        )


def test_due_from_alone_excludes_tasks_without_a_due_date(store: DynamoTaskStore) -> None:
    from datetime import date

    user = f"u-{uuid.uuid4().hex}"
    task_service.create_task(store=store, user_id=user, data=TaskCreate(title="undated"), now=NOW)
    task_service.create_task(
        store=store, user_id=user, data=TaskCreate(title="dated", due_date=date(2026, 4, 1)), now=NOW
    )
    for sort in ("created", "due", "priority"):
        items, _ = task_service.list_tasks(
            store=store, user_id=user, request=ListRequest(due_from=date(2026, 3, 1), sort=sort), clock=CLOCK
        )
        assert [t.title for t in items] == ["dated"], (
            f"sort={sort}: due_from=2026-03-01 lists {[t.title for t in items]}"
        )


def test_sort_by_due_with_status_all_is_refused(store: DynamoTaskStore) -> None:
    from datetime import date

    user = f"u-{uuid.uuid4().hex}"
    for title, due in (("later", date(2026, 5, 1)), ("sooner", date(2026, 4, 1))):
        task_service.create_task(store=store, user_id=user, data=TaskCreate(title=title, due_date=due), now=NOW)
    # Not silently another order: refused, naming the parameter.
    with pytest.raises(InvalidInputError) as refused:
        task_service.list_tasks(store=store, user_id=user, request=ListRequest(sort="due", status="all"), clock=CLOCK)
    assert "sort" in refused.value.fields


def test_a_write_that_meets_a_concurrent_transaction_on_the_counters_is_retried(
    store: DynamoTaskStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every create, completion and delete of a user now also updates ``USAGE#tasks``: two at the same moment make
    DynamoDB cancel one with ``TransactionConflict`` (moto never does), which must be retried, not answered 500."""
    user = f"u-{uuid.uuid4().hex}"
    real_commit = TransactWrite._commit
    conflicts = iter([True, True])  # the first two commits meet a concurrent transaction

    def commit(self: TransactWrite) -> Any:
        if next(conflicts, False):
            reasons = [CancellationReason(code="TransactionConflict", message="Transaction is ongoing for the item")]
            cause = VerboseClientError(
                {"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"}},
                "TransactWriteItems",
                cancellation_reasons=reasons,
            )
            raise TransactWriteError("Failed to write transaction items", cause=cause)
        return real_commit(self)

    monkeypatch.setattr(TransactWrite, "_commit", commit)
    task = task_service.create_task(store=store, user_id=user, data=TaskCreate(title="lucky"), now=NOW)
    assert store.get_task(user, task.id) is not None
    conflicts = iter([True])
    store.delete_task(task)
    assert store.get_task(user, task.id) is None
