"""Productivity statistics: what each task contributes to its user's aggregates, and the figures built from them.

Pure functions, no storage. The aggregates of a user are the *sum over their tasks* of each task's contribution,
a small map of counters (``Counters``) computed from the task's current state and the user's time zone alone.
That single rule gives both ways of maintaining them the same answer:

- incrementally (stream handler): a changed task adds ``diff(stored contribution, new contribution)``;
- from scratch (daily repair): sum ``contribution(task)`` over the user's tasks.

Counter keys are ``(item, attribute)``: ``item`` is ``DAY#<local date>`` or ``SUMMARY``; attributes are flat names
(so storage can update them with one atomic ``ADD`` each):

=====================  ==========  ====================================================================
attribute              item        counts
=====================  ==========  ====================================================================
``created``            DAY         tasks created that local day
``completed``          DAY         completions that day (a recurring task counts every occurrence)
``on_time`` / ``late`` DAY         completions of tasks with a due date, by or after their due moment
``h#HH``               DAY         completions in that local hour
``p#<project>``        DAY         completions by project
``l#<label>``          DAY         completions by label
``pr#<1-4>``           DAY         completions by priority
``dd#<date>``          SUMMARY     completions per local day, all time (streaks)
``od#<due_key>``       SUMMARY     open tasks by due moment (overdue now = keys before now)
=====================  ==========  ====================================================================
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.domain.tasks import Status, Task

Key = tuple[str, str]
Counters = dict[Key, int]

SUMMARY = "SUMMARY"
DAY_PREFIX = "DAY#"
DEFAULT_DAILY_GOAL = 3
MAX_DAILY_GOAL = 100
END_OF_DAY = time(23, 59, 59, 999999)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RANGES: dict[str, int] = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}
WEEKS_SHOWN = 12


def day_item(day: date) -> str:
    return f"{DAY_PREFIX}{day.isoformat()}"


def _local(moment: datetime, tz: ZoneInfo) -> datetime:
    return moment.astimezone(tz)


def on_time(completed_local: datetime, due_date: date, due_time: time | None) -> bool:
    """Completed by the due moment: a date-only task until the end of that day (floating local times)."""
    return completed_local.replace(tzinfo=None) <= datetime.combine(due_date, due_time or END_OF_DAY)


def completions_of(task: Task) -> list[tuple[datetime, date | None]]:
    """Every completion the task holds: past occurrences of a series, then its own if it is done."""
    found = [(c.completed_at, c.due_date) for c in task.history]
    if task.status is Status.DONE and task.completed_at is not None:
        found.append((task.completed_at, task.due_date))
    return found


def contribution(task: Task, tz: ZoneInfo) -> Counters:
    """What one task adds to its user's aggregates (a function of its current state and the time zone only)."""
    counts: Counter[Key] = Counter()
    counts[(day_item(_local(task.created_at, tz).date()), "created")] += 1
    for completed_at, due_date in completions_of(task):
        _count_completion(counts, task, completed_at, due_date, tz)
    if task.status is Status.OPEN and task.due_date is not None:
        counts[(SUMMARY, f"od#{task.due_key}")] += 1
    return dict(counts)


def _count_completion(
    counts: Counter[Key], task: Task, completed_at: datetime, due_date: date | None, tz: ZoneInfo
) -> None:
    local = _local(completed_at, tz)
    item = day_item(local.date())
    counts[(item, "completed")] += 1
    counts[(SUMMARY, f"dd#{local.date().isoformat()}")] += 1
    counts[(item, f"h#{local.hour:02d}")] += 1
    counts[(item, f"p#{task.project_id}")] += 1
    counts[(item, f"pr#{task.priority}")] += 1
    for label in dict.fromkeys(task.labels):
        counts[(item, f"l#{label}")] += 1
    if due_date is not None:
        counts[(item, "on_time" if on_time(local, due_date, task.due_time) else "late")] += 1


# A shared project's task counts for several members: its contribution's items are ``<member sub>@<item>``.
MEMBER_SEP = "@"


def member_item(user_id: str, item: str) -> str:
    return f"{user_id}{MEMBER_SEP}{item}"


def split_item(item: str) -> tuple[str | None, str]:
    """``(member, item)`` of a shared task's contribution item; ``(None, item)`` for a personal one."""
    user, sep, rest = item.partition(MEMBER_SEP)
    return (user, rest) if sep else (None, item)


def shared_contribution(task: Task, zone: Callable[[str], ZoneInfo]) -> Counters:
    """A shared task's contribution, split by member (each in their own time zone): the creation counts for
    ``created_by``, each completion for whoever completed it, the open due moment for the assignee. A member no
    longer in the project keeps what they did (their aggregates are theirs)."""
    per_user: dict[str, Counter[Key]] = {}

    def of(user_id: str) -> Counter[Key]:
        return per_user.setdefault(user_id, Counter())

    if task.created_by:
        of(task.created_by)[(day_item(_local(task.created_at, zone(task.created_by)).date()), "created")] += 1
    past = [(c.completed_at, c.due_date, c.by) for c in task.history]
    if task.status is Status.DONE and task.completed_at is not None:
        past.append((task.completed_at, task.due_date, task.completed_by))
    for completed_at, due_date, by in past:
        if by:
            _count_completion(of(by), task, completed_at, due_date, zone(by))
    if task.status is Status.OPEN and task.due_date is not None and task.assignee_id:
        of(task.assignee_id)[(SUMMARY, f"od#{task.due_key}")] += 1
    return {
        (member_item(user_id, item), attr): n
        for user_id, counts in per_user.items()
        for (item, attr), n in counts.items()
        if n
    }


def rehome(counters: Mapping[Key, int], source: str, target: str) -> Counters:
    """A contribution moved from partition ``source`` to ``target`` (a task's move): its counts stay whose they
    were. A plain item is the partition's user's (a personal task), ``<member>@<item>`` a member's; in the target an
    item of the target's user is plain, any other's prefixed (a project partition ``P#..`` has no plain items)."""
    out: Counters = {}
    for (item, attr), n in counters.items():
        member, plain = split_item(item)
        owner = member or source
        out[(plain if owner == target else member_item(owner, plain), attr)] = n
    return out


def for_member(counters: Mapping[Key, int], user_id: str) -> Counters:
    """One member's part of a shared task's contribution, as plain ``(item, attribute)`` keys."""
    out: Counters = {}
    for (item, attr), n in counters.items():
        member, plain = split_item(item)
        if member == user_id:
            out[(plain, attr)] = n
    return out


def diff(old: Mapping[Key, int], new: Mapping[Key, int]) -> Counters:
    """The change that turns ``old`` into ``new`` (zero entries left out)."""
    out = {key: new.get(key, 0) - old.get(key, 0) for key in {*old, *new}}
    return {key: value for key, value in out.items() if value}


def apply(aggregates: Mapping[Key, int], delta: Mapping[Key, int]) -> Counters:
    """``aggregates + delta``, zero entries dropped (what storage holds, ignoring zeros)."""
    out = dict(aggregates)
    for key, value in delta.items():
        out[key] = out.get(key, 0) + value
    return {key: value for key, value in out.items() if value}


def total(contributions: Iterable[Mapping[Key, int]]) -> Counters:
    """The aggregates of a user from scratch: the sum of their tasks' contributions."""
    out: Counter[Key] = Counter()
    for counts in contributions:
        out.update(counts)
    return {key: value for key, value in out.items() if value}


def completions_added(old: Mapping[Key, int], new: Mapping[Key, int]) -> int:
    """How many completions a change adds (for the TasksCompleted metric; never negative)."""

    def count(counts: Mapping[Key, int]) -> int:
        return sum(v for (item, attr), v in counts.items() if item.startswith(DAY_PREFIX) and attr == "completed")

    return max(0, count(new) - count(old))


# --- streaks ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Streaks:
    current: int
    longest: int
    today_done: int
    goal: int


def streaks(done_per_day: Mapping[date, int], *, today: date, goal: int) -> Streaks:
    """Runs of consecutive local days with at least ``goal`` completions.

    The current streak ends today, or yesterday while today's goal is not met yet (a day is not lost before it ends).
    Days are calendar dates in the user's time zone, so a 23- or 25-hour DST day is one day like any other.
    """
    met = sorted(d for d, n in done_per_day.items() if n >= goal and d <= today)
    longest = run = 0
    previous: date | None = None
    for day in met:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    met_set = set(met)
    cursor = today if today in met_set else today - timedelta(days=1)
    current = 0
    while cursor in met_set:
        current += 1
        cursor -= timedelta(days=1)
    return Streaks(current=current, longest=longest, today_done=done_per_day.get(today, 0), goal=goal)


# --- the report -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DayPoint:
    day: date
    created: int
    completed: int


@dataclass(frozen=True)
class WeekPoint:
    week_start: date  # Monday
    completed: int


@dataclass(frozen=True)
class Report:
    range_days: int
    start: date
    today: date
    per_day: list[DayPoint]
    per_week: list[WeekPoint]
    created: int
    completed: int
    on_time: int
    late: int
    on_time_rate: float | None  # None when nothing with a due date was completed in the range
    overdue_now: int
    streaks: Streaks
    by_project: dict[str, int]
    by_label: dict[str, int]
    by_priority: dict[int, int]
    by_weekday: list[int]  # Mon..Sun
    by_hour: list[int]  # 0..23
    busiest_weekday: str | None
    busiest_hour: int | None


def parse_day_items(aggregates: Mapping[Key, int]) -> dict[date, dict[str, int]]:
    days: dict[date, dict[str, int]] = {}
    for (item, attr), value in aggregates.items():
        if item.startswith(DAY_PREFIX):
            days.setdefault(date.fromisoformat(item.removeprefix(DAY_PREFIX)), {})[attr] = value
    return days


def overdue_count(summary: Mapping[str, int], now_local: datetime) -> int:
    """Open tasks due before now: date-only tasks from the next day on, timed ones from their minute on."""
    now_key = now_local.replace(tzinfo=None).isoformat(timespec="seconds")
    return sum(n for attr, n in summary.items() if attr.startswith("od#") and attr[3:] < now_key and n > 0)


def weeks_start(today: date) -> date:
    return today - timedelta(days=today.weekday()) - timedelta(weeks=WEEKS_SHOWN - 1)


def report(
    days: Mapping[date, Mapping[str, int]],
    summary: Mapping[str, int],
    *,
    now_local: datetime,
    range_days: int,
    goal: int,
) -> Report:
    """The stats page's figures from the stored aggregates (day items since ``weeks_start``/range, the summary)."""
    today = now_local.date()
    start = today - timedelta(days=range_days - 1)
    in_range = {d: counts for d, counts in days.items() if start <= d <= today}

    def field(name: str) -> int:
        return sum(counts.get(name, 0) for counts in in_range.values())

    per_day = [
        DayPoint(
            day=d, created=in_range.get(d, {}).get("created", 0), completed=in_range.get(d, {}).get("completed", 0)
        )
        for d in (start + timedelta(days=i) for i in range(range_days))
    ]
    first_week = weeks_start(today)
    per_week = [
        WeekPoint(
            week_start=first_week + timedelta(weeks=w),
            completed=sum(days.get(first_week + timedelta(weeks=w, days=i), {}).get("completed", 0) for i in range(7)),
        )
        for w in range(WEEKS_SHOWN)
    ]
    by_project: Counter[str] = Counter()
    by_label: Counter[str] = Counter()
    by_priority: Counter[int] = Counter()
    by_hour = [0] * 24
    by_weekday = [0] * 7
    for d, counts in in_range.items():
        by_weekday[d.weekday()] += counts.get("completed", 0)
        for attr, n in counts.items():
            if attr.startswith("p#"):
                by_project[attr[2:]] += n
            elif attr.startswith("l#"):
                by_label[attr[2:]] += n
            elif attr.startswith("pr#"):
                by_priority[int(attr[3:])] += n
            elif attr.startswith("h#"):
                by_hour[int(attr[2:])] += n
    done_per_day = {date.fromisoformat(attr[3:]): n for attr, n in summary.items() if attr.startswith("dd#")}
    timely, late = field("on_time"), field("late")
    return Report(
        range_days=range_days,
        start=start,
        today=today,
        per_day=per_day,
        per_week=per_week,
        created=field("created"),
        completed=field("completed"),
        on_time=timely,
        late=late,
        on_time_rate=round(timely / (timely + late), 4) if timely + late else None,
        overdue_now=overdue_count(summary, now_local),
        streaks=streaks(done_per_day, today=today, goal=goal),
        by_project={k: v for k, v in by_project.most_common() if v > 0},
        by_label={k: v for k, v in by_label.most_common() if v > 0},
        by_priority={p: by_priority.get(p, 0) for p in (1, 2, 3, 4)},
        by_weekday=by_weekday,
        by_hour=by_hour,
        busiest_weekday=WEEKDAYS[by_weekday.index(max(by_weekday))] if any(by_weekday) else None,
        busiest_hour=by_hour.index(max(by_hour)) if any(by_hour) else None,
    )
