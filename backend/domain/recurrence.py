"""Recurring tasks: RFC 5545 RRULEs evaluated in the user's wall-clock time, with python-dateutil.

A series is its rule plus its first due date/time (the anchor). Occurrences are computed in local wall
time and only then turned into instants, so "every day at 9:00" stays at 9:00 across DST changes.
Plain monthly/yearly rules keep the anchor's day and clamp it to short months (Jan 31 → Feb 28 → Mar 31),
as users expect and as Todoist/TickTick do; RFC 5545 would skip those months instead.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

from backend.domain import dates

MAX_RULE_LENGTH = 200
_ALLOWED_KEYS = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "COUNT", "UNTIL", "WKST"}
_FREQS = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
_SEARCH_LIMIT = 10_000  # occurrences scanned before we call a rule exhausted
_PROBE_START = datetime(2000, 1, 1)
_PROBE_YEARS = 10


class InvalidRecurrenceError(ValueError):
    pass


def _parts(rule: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    text = rule.strip()
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    for chunk in text.split(";"):
        key, sep, value = chunk.partition("=")
        if not sep or not value:
            raise InvalidRecurrenceError(f"malformed rule part {chunk!r}")
        if key.upper() in parts:
            raise InvalidRecurrenceError(f"{key.upper()} is given twice")
        parts[key.upper()] = value.upper()
    return parts


def validate_rule(rule: str) -> str:
    """The rule in canonical form; raises ``InvalidRecurrenceError`` with a readable reason."""
    if len(rule) > MAX_RULE_LENGTH:
        raise InvalidRecurrenceError("rule is too long")
    parts = _parts(rule)
    unknown = set(parts) - _ALLOWED_KEYS
    if unknown:
        raise InvalidRecurrenceError(f"unsupported rule parts: {', '.join(sorted(unknown))}")
    if parts.get("FREQ") not in _FREQS:
        raise InvalidRecurrenceError("FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY")
    if "INTERVAL" in parts and not re.fullmatch(r"[1-9]\d{0,2}", parts["INTERVAL"]):
        raise InvalidRecurrenceError("INTERVAL must be a number from 1 to 999")
    until = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(T\d{6}Z?)?", parts.get("UNTIL", "20000101"))
    if until is None:
        raise InvalidRecurrenceError("UNTIL must be a date like 20271231 or 20271231T090000Z")
    try:
        until_date = date(int(until[1]), int(until[2]), int(until[3]))
    except ValueError as exc:
        raise InvalidRecurrenceError(f"UNTIL is not a date: {exc}") from exc
    if not dates.in_range(until_date):
        raise InvalidRecurrenceError(f"UNTIL {dates.OUT_OF_RANGE}")
    month_days = parts.get("BYMONTHDAY", "1").split(",")
    if not all(re.fullmatch(r"-?\d{1,2}", d) and 1 <= abs(int(d)) <= 31 for d in month_days):
        raise InvalidRecurrenceError("BYMONTHDAY must be between 1 and 31 (or -31 and -1)")
    canonical = ";".join(f"{key}={value}" for key, value in parts.items())
    try:
        series: rrule = rrulestr(canonical, dtstart=_PROBE_START)  # type: ignore[assignment]
        # A rule that never happens would make dateutil search up to the year 9999 on every completion.
        probe = series.replace(count=None, until=_PROBE_START + relativedelta(years=_PROBE_YEARS))
        if probe.after(_PROBE_START, inc=True) is None:
            raise InvalidRecurrenceError(f"the rule never happens within {_PROBE_YEARS} years")
    except (ValueError, TypeError) as exc:
        raise InvalidRecurrenceError(str(exc)) from exc
    return canonical


def _is_plain_calendar_step(parts: dict[str, str]) -> bool:
    return parts["FREQ"] in {"MONTHLY", "YEARLY"} and set(parts) <= {"FREQ", "INTERVAL"}


def _next_wall_time(rule: str, anchor: datetime, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (both naive wall-clock datetimes)."""
    parts = _parts(rule)
    if _is_plain_calendar_step(parts):
        interval = int(parts.get("INTERVAL", "1"))
        step = relativedelta(months=interval) if parts["FREQ"] == "MONTHLY" else relativedelta(years=interval)
        for k in range(1, _SEARCH_LIMIT):
            candidate = anchor + step * k  # relativedelta clamps to the month's last day
            if candidate > after:
                return candidate
        return None
    series: rrule = rrulestr(rule, dtstart=anchor)  # type: ignore[assignment]
    found: datetime | None = series.after(after, inc=False)
    return found


def to_instant(wall_time: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall time as an aware datetime; a time in a spring-forward gap moves forward by the gap."""
    return wall_time.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def first_due_date(rule: str, *, start: date) -> date | None:
    """The first occurrence on or after ``start`` of a series starting that day ("every mon" typed on a Wed)."""
    if _is_plain_calendar_step(_parts(rule)):
        return start
    series: rrule = rrulestr(rule, dtstart=datetime.combine(start, time()))  # type: ignore[assignment]
    found: datetime | None = series.after(datetime.combine(start, time()), inc=True)
    return found.date() if found else None


def next_due_date(rule: str, *, anchor: date, after: date) -> date | None:
    """Next occurrence of a date-only series (no time zone involved); None past the app's calendar (2100).

    The walk from ``anchor`` is as long as the series so far: callers keep both in the calendar (1970-2100).
    """
    found = _next_wall_time(rule, datetime.combine(anchor, time()), datetime.combine(after, time()))
    return found.date() if found and dates.in_range(found.date()) else None


def next_due_instant(rule: str, *, anchor: datetime, after: datetime, tz: ZoneInfo) -> datetime | None:
    """Next occurrence of a timed series after the instant ``after``, as an aware datetime in ``tz``.

    ``anchor`` and ``after`` are aware; the rule runs on wall-clock time in ``tz``. A wall time that does
    not exist (spring-forward gap) moves forward by the gap, as phones' alarms do.
    """
    local_anchor = anchor.astimezone(tz).replace(tzinfo=None)
    local_after = after.astimezone(tz).replace(tzinfo=None)
    found = _next_wall_time(rule, local_anchor, local_after)
    if found is None:
        return None
    return to_instant(found, tz)


def occurrences(
    rule: str, *, first: datetime, start: datetime, end: datetime, tz: ZoneInfo | None = None, limit: int = 500
) -> list[datetime]:
    """The series' wall-clock occurrences from ``first`` (its next open one, included) within ``[start, end]``,
    for a calendar's range: computed, never stored. All naive local times; with ``tz`` a time in a spring-forward
    gap moves forward by the gap (as the reminder would fire). At most ``limit`` of them.

    Each step is ``_next_wall_time`` from the same anchor (``first``), so the calendar shows what completing the
    task again and again would give (plain monthly/yearly rules clamp to short months the same way)."""
    found: list[datetime] = []
    current: datetime | None = first
    while current is not None and current <= end and len(found) < limit:
        if current >= start:
            found.append(to_instant(current, tz).replace(tzinfo=None) if tz is not None else current)
        after = max(current, start - relativedelta(microseconds=1))
        current = _next_wall_time(rule, first, after)
    return found


_DAY_NAMES = {"MO": "Mon", "TU": "Tue", "WE": "Wed", "TH": "Thu", "FR": "Fri", "SA": "Sat", "SU": "Sun"}
_ORDINALS = {"1": "1st", "2": "2nd", "3": "3rd", "4": "4th", "5": "5th", "-1": "last", "-2": "2nd last"}


def _describe_day(day: str) -> str:
    """``MO`` → "Mon", ``-1FR`` → "last Fri", ``2TU`` → "2nd Tue"."""
    name = _DAY_NAMES.get(day[-2:], day[-2:])
    ordinal = day[:-2].lstrip("+")
    return f"{_ORDINALS.get(ordinal, ordinal)} {name}" if ordinal else name


def describe(rule: str) -> str:
    """A short human description for chips and lists ("every 2 weeks on Mon")."""
    parts = _parts(rule)
    interval = int(parts.get("INTERVAL", "1"))
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}[parts["FREQ"]]
    text = f"every {unit}" if interval == 1 else f"every {interval} {unit}s"
    days = parts.get("BYDAY")
    if days == "MO,TU,WE,TH,FR":
        return "every weekday"
    if days:
        text += " on " + ", ".join(_describe_day(day) for day in days.split(","))
    if parts.get("BYMONTHDAY") == "-1":
        text += " on the last day"
    elif parts.get("BYMONTHDAY"):
        text += f" on day {parts['BYMONTHDAY']}"
    return text
