"""The items a request's read-ahead fetched (``backend/adapters/read_ahead.py``), for the adapters that read them.

Each item is served once, to its first reader, within the request that fetched it; a second read of the same key
(after a write, say) goes to the table as it always did. A range of sort keys is served whole, and only when the
read-ahead fetched every key that can exist in it. Outside a read-ahead nothing is held and every read goes to the
table. Kept apart from ``read_ahead`` so the adapters that consult it don't import each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

Key = tuple[str, str, str]  # (table, partition key, sort key; "" for a table without one)
Range = tuple[str, str, str, str]  # (table, partition key, first sort key, last sort key), both ends included


@dataclass(frozen=True)
class Hit:
    item: dict[str, Any] | None  # None: the read-ahead found no such item (an answer too)


@dataclass
class _Held:
    items: dict[Key, dict[str, Any] | None]
    ranges: list[Range] = field(default_factory=list)


_held: ContextVar[_Held | None] = ContextVar("prefetched", default=None)


@contextmanager
def holding(items: dict[Key, dict[str, Any] | None], ranges: list[Range] | None = None) -> Iterator[None]:
    """Serve ``items`` (every key asked for, None where absent) and the complete ``ranges`` while the block runs."""
    token = _held.set(_Held(items=dict(items), ranges=list(ranges or ())))
    try:
        yield
    finally:
        _held.reset(token)


def take(table: str, pk: str, sk: str = "") -> Hit | None:
    """The prefetched answer for one key (removed: served once), or None when it was not prefetched."""
    held = _held.get()
    if held is None or (table, pk, sk) not in held.items:
        return None
    return Hit(held.items.pop((table, pk, sk)))


def take_range(table: str, pk: str, first: str, last: str) -> list[dict[str, Any]] | None:
    """Every item with a sort key in ``first`` .. ``last`` (what a Query of that range would read, in key order),
    when a prefetched range covers it; None otherwise. The range is served once."""
    held = _held.get()
    if held is None:
        return None
    for covered in held.ranges:
        c_table, c_pk, c_first, c_last = covered
        if (c_table, c_pk) == (table, pk) and c_first <= first and last <= c_last:
            held.ranges.remove(covered)
            keys = sorted(k for k in held.items if k[:2] == (table, pk) and first <= k[2] <= last)
            found = [held.items.pop(k) for k in keys]
            return [item for item in found if item is not None]
    return None
