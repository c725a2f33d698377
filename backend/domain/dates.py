"""The calendar the app works in: 1970-01-01 to 2100-12-31. Pure.

Every date a client sends is checked against it (``backend.schemas``), and every computation on a stored date
(recurrence, reminders) stays inside it: a daily task dated 0001-01-01 made completing it walk 740 000 days,
and a reminder one day before it overflowed Python's calendar.
"""

from __future__ import annotations

from datetime import date, datetime

FIRST_DATE = date(1970, 1, 1)
LAST_DATE = date(2100, 12, 31)
OUT_OF_RANGE = f"must be between {FIRST_DATE.isoformat()} and {LAST_DATE.isoformat()}"


def in_range(day: date | datetime | None) -> bool:
    """Whether ``day`` (a date, or an instant on its own offset's calendar) is inside the app's calendar; None is."""
    if day is None:
        return True
    if isinstance(day, datetime):
        day = day.date()  # not converted to UTC first: that overflows near the year 1 or 9999
    return FIRST_DATE <= day <= LAST_DATE
