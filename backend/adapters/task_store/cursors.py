"""List cursors: the start key of the next page (or, for a search, the sort key of the last task returned), named
after the list it continues so that a cursor is refused on any other list or for any other user."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import asdict
from typing import Any

from pynamodb.models import Model

from backend.domain.tasks import TaskQuery
from backend.errors import InvalidInputError

# the key attributes of a page's last item, per index ("labels": the label links, read from the base table)
INDEX_KEYS = {
    "table": ("user_id", "sk"),
    "by_status_due": ("status_pk", "due_sk"),
    "by_priority": ("status_pk", "priority_sk"),
    "by_project": ("project_pk", "project_sk"),
    "by_completed": ("done_pk", "completed_sk"),
    "by_assignee": ("assignee_pk", "due_sk"),
    "by_parent": ("parent_pk", "project_sk"),
    "labels": ("user_id", "sk"),
}
DONE = "done"  # a fan-out cursor's mark for a source that has nothing more


def encode_cursor(index: str, key: dict[str, Any]) -> str:
    raw = json.dumps({"i": index, "k": key}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def list_id(index: str, query: TaskQuery) -> str:
    """Names one list (an index and every criterion): a cursor only continues the list it came from."""
    digest = hashlib.sha256(json.dumps(asdict(query), sort_keys=True).encode()).hexdigest()[:16]
    return f"{index}:{digest}"


def _payload(cursor: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def _is_key(key: Any, index: str, partitions: set[str]) -> bool:
    """A start key of ``index`` in one of ``partitions`` (a task's ``user_id`` is the partition holding it)."""
    return (
        isinstance(key, dict)
        and set(key) == {"user_id", "sk", *INDEX_KEYS[index]}
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
        and key["user_id"]["S"] in partitions
    )


def _invalid() -> InvalidInputError:
    return InvalidInputError("The cursor is not valid for this list.", fields={"cursor": "is not valid"})


def decode_cursor(cursor: str, *, index: str, query: TaskQuery) -> dict[str, Any]:
    """The start key of a cursor, after checking it belongs to this list and this user (for ``by_assignee``, whose
    items live in several partitions: one of the caller's)."""
    partitions = {query.user_id, *query.shared} if index == "by_assignee" else {query.user_id}
    try:
        payload = _payload(cursor)
        key = payload["k"]
        valid = payload.get("i") == list_id(index, query) and _is_key(key, index, partitions)
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise _invalid()
    return dict(key)


def encode_fanout_cursor(index: str, query: TaskQuery, starts: dict[str, dict[str, Any] | str | None]) -> str:
    """A cursor of a list merged from several partitions: each source's start key (None: from its start,
    ``DONE``: nothing more there)."""
    return encode_cursor(list_id(index, query), {"m": starts})


def decode_fanout_cursor(cursor: str, *, index: str, query: TaskQuery) -> dict[str, dict[str, Any] | str | None]:
    """Each source's start key, every one checked like a single list's (its own partition), the sources exactly
    the query's (a cursor from before joining or leaving a project is refused, like any other list's)."""
    sources = (query.user_id, *query.shared)
    try:
        payload = _payload(cursor)
        starts = payload["k"]["m"]
        valid = (
            payload.get("i") == list_id(index, query)
            and isinstance(starts, dict)
            and set(starts) == set(sources)
            and all(v is None or v == DONE or _is_key(v, index, {source}) for source, v in starts.items())
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise _invalid()
    return dict(starts)


def key_of(item: Model, index: str) -> dict[str, Any]:
    """The start key of the page after ``item`` in ``index`` (what ``encode_cursor`` carries)."""
    names = {"user_id", "sk", *INDEX_KEYS[index]}
    return {name: {"S": getattr(item, name)} for name in sorted(names)}


def decode_search_cursor(cursor: str, q: TaskQuery, *, key_length: int, list_name: str = "search") -> list[Any]:
    """The sort key (``key_length`` values) of the last task a search page returned, checked against the list."""
    try:
        payload = _payload(cursor)
        after = payload["k"]["after"]
        valid = (
            payload.get("i") == list_id(list_name, q)
            and isinstance(after, list)
            and len(after) == key_length
            and all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in after)
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise _invalid()
    return list(after)


def partition_cursor(list_name: str, partition: str, sk: str) -> str:
    """The cursor after the item ``sk`` of a list read from one partition of the base table (activity, comments)."""
    return encode_cursor(list_name, {"user_id": {"S": partition}, "sk": {"S": sk}})


def decode_partition_cursor(cursor: str, *, list_name: str, partition: str, sk_prefix: str) -> dict[str, Any]:
    """The start key of a ``partition_cursor``, after checking it continues this list of this partition (a cursor
    of another project, or one forged to reach other items of the partition, is refused)."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        key = payload["k"]
        valid = (
            payload.get("i") == list_name
            and isinstance(key, dict)
            and set(key) == {"user_id", "sk"}
            and key["user_id"] == {"S": partition}
            and isinstance(key["sk"], dict)
            and set(key["sk"]) == {"S"}
            and isinstance(key["sk"]["S"], str)
            and key["sk"]["S"].startswith(sk_prefix)
        )
    except (ValueError, KeyError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise InvalidInputError("The cursor is not valid for this list.", fields={"cursor": "is not valid"})
    return dict(key)
