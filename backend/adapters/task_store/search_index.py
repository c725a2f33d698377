"""The search index (``W#<word>#<task>`` entries, kept in each task's transaction by the store): lookups, and the
backfill of tasks saved before it existed (``WIDX`` marks a user whose tasks are all in it)."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import DoesNotExist

from backend.adapters.task_store.mapping import index_items, task_of
from backend.adapters.task_store.models import INDEXED, TASK, WORD, SearchIndexedModel, SearchWordModel, TaskModel

_INDEXED_USERS: set[str] = set()  # per process: users whose tasks are all in the search index


def ids_with_term(user_id: str, term: str, *, is_prefix: bool) -> set[str]:
    """The ids of the user's tasks having ``term`` (a word starting with it when ``is_prefix``)."""
    start = f"{WORD}{term}" if is_prefix else f"{WORD}{term}#"
    items = SearchWordModel.query(
        user_id,
        SearchWordModel.sk.startswith(start),
        consistent_read=True,  # a task saved a moment ago is found
        attributes_to_get=["task_id"],
        page_size=1000,
    )
    return {item.task_id for item in items}


def ensure_indexed(user_id: str) -> None:
    """Index a user's older tasks (saved before the search index existed) on their first search."""
    if user_id in _INDEXED_USERS:
        return
    try:
        SearchIndexedModel.get(user_id, INDEXED)
    except DoesNotExist:
        backfill(user_id)
    _INDEXED_USERS.add(user_id)


def backfill(user_id: str) -> int:
    """Write the index entries of every task of the user, then the ``WIDX`` marker; returns the entries written.

    Idempotent (puts of the same keys). An edit racing with it can leave an entry of an old word: harmless, every
    candidate is checked against the task's current words. ``scripts/backfill_search_index.py`` runs it."""
    written = 0
    with SearchWordModel.batch_write() as batch:
        for item in TaskModel.query(user_id, TaskModel.sk.startswith(TASK), page_size=200):
            for word in index_items(task_of(item)):
                batch.save(word)
                written += 1
    mark_indexed(user_id)
    return written


def mark_indexed(user_id: str) -> None:
    """Record that the user's tasks all went through the write path (a new user: the Inbox is created first)."""
    SearchIndexedModel(user_id=user_id, sk=INDEXED, indexed_at=datetime.now(UTC)).save()
