"""The request's read-ahead (issue 15): what it fetched is served once, a range only when wholly fetched, and the
statistics window it fetches holds every day any time zone's report reads."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from backend.adapters import prefetched
from backend.services.stats import _since, days_read


def test_an_item_is_served_once_and_only_inside_the_block() -> None:
    item = {"user_id": {"S": "u"}, "sk": {"S": "TASK#a"}}
    with prefetched.holding({("t", "u", "TASK#a"): item, ("t", "u", "TASK#b"): None}):
        assert prefetched.take("t", "u", "TASK#c") is None  # never fetched: the caller reads the table
        hit = prefetched.take("t", "u", "TASK#a")
        assert hit is not None
        assert hit.item == item
        assert prefetched.take("t", "u", "TASK#a") is None  # a second read goes to the table (it may follow a write)
        absent = prefetched.take("t", "u", "TASK#b")
        assert absent is not None
        assert absent.item is None
    assert prefetched.take("t", "u", "TASK#b") is None


def test_a_range_is_served_only_when_a_fetched_range_covers_it() -> None:
    day = {"sk": {"S": "D#2"}}
    items = {("t", "u", "D#1"): None, ("t", "u", "D#2"): day, ("t", "u", "S"): {"sk": {"S": "S"}}}
    with prefetched.holding(items, [("t", "u", "D#1", "S")]):
        assert prefetched.take_range("t", "u", "D#0", "S") is None  # starts before what was fetched
        assert prefetched.take_range("t", "other", "D#1", "S") is None
        assert prefetched.take_range("t", "u", "D#2", "S") == [day, {"sk": {"S": "S"}}]  # in key order, no gaps
        assert prefetched.take_range("t", "u", "D#2", "S") is None  # served once


@pytest.mark.parametrize("zone", ["Etc/GMT+12", "Pacific/Kiritimati", "UTC", "Europe/Berlin"])
@pytest.mark.parametrize("range_days", [7, 30, 90])
@pytest.mark.parametrize("hour", [0, 11, 23])
def test_the_days_read_ahead_cover_every_zone(zone: str, range_days: int, hour: int) -> None:
    now = datetime(2026, 3, 2, hour, 30, tzinfo=UTC)  # a Monday: the weeks shown start on one
    first, last = days_read(range_days, now)
    today = now.astimezone(ZoneInfo(zone)).date()
    assert first <= _since(today, range_days)
    assert today <= last
    assert (last - first).days + 1 + 2 <= 100  # with the summary and the Users row: one BatchGetItem
