"""The calendar: a week or a month of dated tasks, timed ones placed by their time, all-day ones on top, overdue
marked, recurring ones with their future occurrences (computed here with the API's own rules, never stored).

The layout is pure (``visible_range``, ``entries``, ``layout``): tasks in, day cells with their chips out, so it is
tested without a browser. ``CalendarState`` loads one range with one ranged list call (``sort=due``, ``due_to`` =
the range's end: a Query on the due index, paged by 200; shared projects' partitions included by the API), and a
drop on another day or time reschedules at once, then PATCHes (``components/dnd.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import reflex as rx

from backend.client import ApiError
from backend.client.api import TaskPublic, TaskUpdate
from backend.client.recurrence import occurrences
from taskmanager_pro.state.clients import call, edit_shown_first
from taskmanager_pro.state.drops import drop_target
from taskmanager_pro.state.views import PRIORITY_COLORS, bound
from taskmanager_pro.state.workspace import WorkspaceState

Mode = Literal["week", "month"]
PAGE = 200  # the API's largest page
MAX_PAGES = 25  # 5 000 tasks: a range beyond that shows what it has and says so
MONTH_CHIPS = 4  # chips shown in a month cell; the rest is "+N more" (the week view shows every one)
SLOT_MINUTES = 30  # a timed task's height on the week grid (tasks have no duration; the feed uses the same)
CACHED_RANGES = 6
DAY_MINUTES = 24 * 60
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(range(24))
# The week's hour grid opens at 08:00 (components/calendar.py: 44 px an hour), unless the user has scrolled it.
SCROLL_TO_MORNING = (
    "window.requestAnimationFrame(() => { const el = document.getElementById('tmp-cal-scroll');"
    " if (el && el.scrollTop === 0) el.scrollTop = 8 * 44; })"
)


@dataclasses.dataclass(frozen=True)
class CalendarChip:
    """One task (or one future occurrence of a series) on one day."""

    key: str  # unique on the page: the task id, or "<task id>@<date>" for a computed occurrence
    task_id: str
    title: str
    time_text: str  # "09:00", "" when all-day
    minutes: int  # from midnight (-1: all-day)
    top: str  # the week grid: where it starts, as a share of the day ("37.5%")
    height: str
    left: str  # side by side with the tasks it overlaps
    width: str
    color: str  # the project's colour
    priority_color: str
    overdue: bool
    recurring: bool
    occurrence: bool  # computed from the series: shown, not draggable (the series moves with its current one)
    pending: bool
    can_drag: bool
    label: str  # what a screen reader says


@dataclasses.dataclass(frozen=True)
class DayCell:
    day: str  # ISO date: the drop target "slot:<day>" and the quick add's date
    number: str
    heading: str  # "Mon 7 Dec"
    weekday: str
    in_month: bool
    today: bool
    past: bool
    all_day: list[CalendarChip]
    timed: list[CalendarChip]
    shown: list[CalendarChip]  # the month cell's first chips (all-day first, then by time)
    more: int  # the month cell's chips beyond ``shown``
    count: int


@dataclasses.dataclass(frozen=True)
class Entry:
    """A task on a day of the range: its own due date, or (``occurrence``) a later one of its series."""

    task: TaskPublic
    day: date
    at: time | None
    occurrence: bool


def visible_range(mode: Mode, anchor: date) -> tuple[date, date]:
    """The first and last day shown: a week from Monday, or the whole weeks that hold the month."""
    if mode == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=6)
    first = anchor.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first - timedelta(days=first.weekday()), last + timedelta(days=6 - last.weekday())


def step(mode: Mode, anchor: date, direction: int) -> date:
    """The anchor of the previous (-1) or next (+1) week or month."""
    if mode == "week":
        return anchor + timedelta(days=7 * direction)
    month = anchor.year * 12 + anchor.month - 1 + direction
    return date(month // 12, month % 12 + 1, 1)


def title_of(mode: Mode, anchor: date) -> str:
    if mode == "month":
        return anchor.strftime("%B %Y")
    start, end = visible_range("week", anchor)
    if start.month == end.month:
        return f"{start.day}\u2013{end.day} {end.strftime('%B %Y')}"
    return f"{start.day} {start.strftime('%b')} \u2013 {end.day} {end.strftime('%b %Y')}"


def entries(tasks: Iterable[TaskPublic], start: date, end: date, tz: ZoneInfo | None = None) -> list[Entry]:
    """Every task due in ``[start, end]``, and the occurrences of each series that fall in it (from its current due
    date on: earlier ones were completed or are overdue, shown once at their own date)."""
    found: list[Entry] = []
    low, high = datetime.combine(start, time()), datetime.combine(end, time.max)
    for task in tasks:
        if task.due_date is None or task.status != "open":
            continue
        if start <= task.due_date <= end:
            found.append(Entry(task, task.due_date, task.due_time, occurrence=False))
        if not task.recurrence:
            continue
        first = datetime.combine(task.due_date, task.due_time or time())
        try:
            later = occurrences(task.recurrence, first=first, start=low, end=high, tz=tz if task.due_time else None)
        except (ValueError, TypeError):  # (a rule the API took but this walk can't: the task shows once)
            continue
        found.extend(
            Entry(task, when.date(), when.time() if task.due_time else None, occurrence=True)
            for when in later
            if when != first
        )
    return found


def _lanes(timed: list[Entry]) -> dict[int, tuple[int, int]]:
    """Side by side: each timed entry's lane and how many lanes its cluster of overlapping entries needs."""
    placed: dict[int, tuple[int, int]] = {}
    cluster: list[int] = []
    ends: list[int] = []  # per lane, the minute it is free again
    cluster_end = -1

    def close() -> None:
        for index in cluster:
            placed[index] = (placed[index][0], len(ends))

    for index, entry in enumerate(timed):
        start = _minutes(entry.at)
        if start >= cluster_end and cluster:
            close()
            cluster, ends = [], []
        lane = next((i for i, free in enumerate(ends) if free <= start), len(ends))
        if lane == len(ends):
            ends.append(0)
        ends[lane] = start + SLOT_MINUTES
        placed[index] = (lane, 0)
        cluster.append(index)
        cluster_end = max(cluster_end, start + SLOT_MINUTES)
    if cluster:
        close()
    return placed


def _minutes(at: time | None) -> int:
    return at.hour * 60 + at.minute if at else -1


def _pct(value: float) -> str:
    return f"{round(value, 3)}%"


def layout(
    tasks: Iterable[TaskPublic],
    *,
    mode: Mode,
    anchor: date,
    today: date,
    now: datetime,
    colors: Mapping[str, str],
    read_only: Iterable[str] = (),
    pending: Iterable[str] = (),
    tz: ZoneInfo | None = None,
) -> list[DayCell]:
    """The days of the range with their chips (pure). ``now``: the user's local wall time (a timed task before it,
    or a date-only one before today, is overdue); ``colors``: project id → colour; ``read_only``: projects the user
    may only view (their tasks don't drag)."""
    start, end = visible_range(mode, anchor)
    locked, saving = set(read_only), set(pending)
    by_day: dict[date, list[Entry]] = {}
    for entry in entries(tasks, start, end, tz):
        by_day.setdefault(entry.day, []).append(entry)
    cells: list[DayCell] = []
    day = start
    while day <= end:
        listed = by_day.get(day, [])
        all_day = sorted((e for e in listed if e.at is None), key=lambda e: (e.task.priority, e.task.title, e.task.id))
        timed = sorted((e for e in listed if e.at is not None), key=lambda e: (_minutes(e.at), e.task.priority))
        lanes = _lanes(timed)

        def chip(entry: Entry, lane: tuple[int, int] = (0, 1)) -> CalendarChip:
            task, at = entry.task, entry.at
            moment = datetime.combine(entry.day, at) if at else None
            overdue = not entry.occurrence and (moment < now if moment else entry.day < today)
            minutes = _minutes(at)
            text = at.strftime("%H:%M") if at else ""
            where = f"{entry.day.strftime('%A %d %B')}{' at ' + text if text else ''}"
            label = f"{task.title}, {where}{', overdue' if overdue else ''}{', repeats' if task.recurrence else ''}"
            return CalendarChip(
                key=f"{task.id}@{entry.day.isoformat()}" if entry.occurrence else task.id,
                task_id=task.id,
                title=task.title,
                time_text=text,
                minutes=minutes,
                top=_pct(max(minutes, 0) / DAY_MINUTES * 100),
                height=_pct(SLOT_MINUTES / DAY_MINUTES * 100),
                left=_pct(lane[0] / max(lane[1], 1) * 100),
                width=_pct(100 / max(lane[1], 1)),
                color=colors.get(task.project_id, "var(--gray-8)"),
                priority_color=PRIORITY_COLORS.get(task.priority, PRIORITY_COLORS[4]),
                overdue=overdue,
                recurring=bool(task.recurrence),
                occurrence=entry.occurrence,
                pending=task.id in saving,
                can_drag=not entry.occurrence and task.project_id not in locked,
                label=label,
            )

        all_chips = [chip(e) for e in all_day]
        timed_chips = [chip(e, lanes[i]) for i, e in enumerate(timed)]
        ordered = [*all_chips, *timed_chips]
        cells.append(
            DayCell(
                day=day.isoformat(),
                number=str(day.day),
                heading=f"{WEEKDAYS[day.weekday()]} {day.day} {day.strftime('%b')}",
                weekday=WEEKDAYS[day.weekday()],
                in_month=mode == "week" or day.month == anchor.month,
                today=day == today,
                past=day < today,
                all_day=all_chips,
                timed=timed_chips,
                shown=ordered[:MONTH_CHIPS],
                more=max(len(ordered) - MONTH_CHIPS, 0),
                count=len(ordered),
            )
        )
        day += timedelta(days=1)
    return cells


def parse_slot(value: str) -> tuple[date, time | None, bool] | None:
    """A slot id's moment: ``2026-12-07`` (a day: keep the task's time), ``2026-12-07T09:00`` (that time),
    ``2026-12-07Tall-day`` (the week's all-day row: no time). None when it is not one."""
    day_text, sep, time_text = value.partition("T")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    if not sep:
        return day, None, True
    if time_text == "all-day":
        return day, None, False
    try:
        at = time.fromisoformat(time_text)
    except ValueError:
        return None
    return day, at.replace(second=0, microsecond=0), False


class CalendarState(WorkspaceState):
    """The calendar page: the mode, the anchor day, the tasks of the range and their layout."""

    mode: str = "week"
    anchor: str = ""  # ISO date inside the range shown
    title: str = ""
    cells: list[DayCell] = []
    loading: bool = False
    loaded: bool = False
    error: str = ""
    truncated: bool = False
    overdue_before: int = 0  # open tasks due before the range (shown as a count when the range holds today)
    pending: list[str] = []

    _tasks: list[TaskPublic] = []
    _generation: int = 0
    _cache: dict[str, list[TaskPublic]] = {}

    @rx.var
    def hours(self) -> list[str]:
        return [f"{hour:02d}:00" for hour in HOURS]

    @rx.var
    def weekdays(self) -> list[str]:
        return list(WEEKDAYS)

    @rx.var
    def is_month(self) -> bool:
        return self.mode == "month"

    @rx.var
    def agenda_days(self) -> int:
        """Phones: how many days of the range have tasks (the agenda lists those cells)."""
        return sum(1 for cell in self.cells if cell.count and cell.in_month)

    # --- showing -----------------------------------------------------------------------------
    def _anchor(self) -> date:
        try:
            return date.fromisoformat(self.anchor)
        except ValueError:
            return self.today()

    def _mode(self) -> Mode:
        return "month" if self.mode == "month" else "week"

    def _render(self) -> None:
        zone = self.zone()
        projects = self.projects
        self.cells = layout(
            self._tasks,
            mode=self._mode(),
            anchor=self._anchor(),
            today=self.today(),
            now=datetime.now(zone).replace(tzinfo=None),
            colors={p.id: p.color for p in projects},
            read_only=[p.id for p in projects if not p.can_edit],
            pending=self.pending,
            tz=zone,
        )
        start, _ = visible_range(self._mode(), self._anchor())
        today = self.today()
        self.overdue_before = (
            sum(1 for t in self._tasks if t.due_date and t.due_date < start and not t.recurrence)
            if start <= today
            else 0
        )
        self.title = title_of(self._mode(), self._anchor())

    def _key(self) -> str:
        return f"{self._mode()}:{visible_range(self._mode(), self._anchor())[1].isoformat()}"

    def _start(self) -> Any:
        """The range changed: what is cached for it shows at once; its tasks are asked for in the background."""
        self._generation += 1
        cached = self._cache.get(self._key())
        self._tasks = list(cached) if cached is not None else []
        self.loaded, self.loading, self.error = cached is not None, cached is None, ""
        self._render()
        return bound(CalendarState.fetch_range, self._generation)

    @rx.event
    async def open_calendar(self) -> AsyncGenerator[Any, None]:
        """``on_load``: the session, the sidebar (projects' colours and roles), then the range."""
        for event in await self._check_login():
            yield event
        if not self.signed_in:
            return
        if not self.workspace_loaded:
            yield
            if not await self.refresh():
                self.error = self.workspace_error or "Your projects could not be loaded. Reload to try again."
                return
        if not self.anchor:
            self.anchor = self.today().isoformat()
        yield self._start()

    @rx.event(background=True)
    async def fetch_range(self, generation: int) -> AsyncGenerator[Any, None]:
        """Every open task due up to the range's end, in due order: one Query per page of 200. Not from the range's
        start: a series due before it still has occurrences in it (and the rest are the overdue ones)."""
        async with self:
            if generation != self._generation:
                return
            client = await self._client()
            if client is None:
                yield self._session_lost()
                return
            _, end = visible_range(self._mode(), self._anchor())
        found: list[TaskPublic] = []
        cursor: str | None = None
        truncated = False
        try:
            for page_number in range(MAX_PAGES):
                page = await call(client.list_tasks, status="open", sort="due", due_to=end, limit=PAGE, cursor=cursor)
                found.extend(page.items)
                cursor = page.next_cursor
                if not cursor:
                    break
                truncated = page_number == MAX_PAGES - 1
        except ApiError as error:
            async with self:
                if generation == self._generation:
                    self.loading, self.error = False, error.message
            return
        async with self:
            if generation != self._generation:
                return
            self._tasks, self.truncated = found, truncated
            self.loading, self.loaded = False, True
            self._cache = dict(list({**self._cache, self._key(): found}.items())[-CACHED_RANGES:])
            self._render()
        yield rx.call_script(SCROLL_TO_MORNING)

    # --- moving through time -----------------------------------------------------------------
    @rx.event
    def set_mode(self, value: str | list[str]) -> Any:
        return self._set_mode(value)

    def _set_mode(self, value: object) -> Any:
        self.mode = "month" if value == "month" else "week"
        return self._start()

    @rx.event
    def go(self, direction: int) -> Any:
        """Previous (-1) or next (+1) week or month; 0: back to today."""
        return self._go(direction)

    def _go(self, direction: object) -> Any:
        if direction not in (-1, 0, 1):
            return None
        shift = int(direction)  # type: ignore[call-overload]
        self.anchor = (step(self._mode(), self._anchor(), shift) if shift else self.today()).isoformat()
        return self._start()

    @rx.event
    def show_week_of(self, day: str) -> Any:
        """A month cell's "+N more": the week of that day, where every task shows."""
        try:
            self.anchor = date.fromisoformat(day).isoformat()
        except (TypeError, ValueError):
            return None
        self.mode = "week"
        return self._start()

    @rx.event
    def key(self, key: str) -> Any:
        """The page's keys (components/calendar.py): arrows for the previous/next range, t today, w/m the mode."""
        moves = {"ArrowLeft": -1, "ArrowRight": 1, "t": 0}
        if key in moves:
            return self._go(moves[key])
        if key in {"w", "m"}:
            return self._set_mode("month" if key == "m" else "week")
        return None

    # --- changes -----------------------------------------------------------------------------
    def task_of(self, task_id: str) -> TaskPublic | None:
        return next((t for t in self._tasks if t.id == task_id), None)

    def task_saved(self, task: TaskPublic, *, replaces: str = "") -> None:
        """A created or changed task (ours, or heard from elsewhere): placed, or gone when no longer dated/open."""
        rest = [t for t in self._tasks if t.id not in {task.id, replaces}]
        _, end = visible_range(self._mode(), self._anchor())
        keep = task.status == "open" and task.due_date is not None and task.due_date <= end
        self._tasks = [*rest, task] if keep else rest
        self._cache = {}
        self._render()

    def task_removed(self, task_id: str) -> None:
        if self.task_of(task_id) is not None:
            self._tasks = [t for t in self._tasks if t.id != task_id]
            self._cache = {}
            self._render()

    def task_heard(self, task: TaskPublic | None, task_id: str) -> None:
        """A change made elsewhere (live): applied unless our own write to that task is on its way."""
        if task_id in self.pending:
            return
        shown = self.task_of(task_id)
        if task is None:
            self.task_removed(task_id)
        elif shown is None or task.version >= shown.version:
            self.task_saved(task)

    def _set_pending(self, task_id: str, on: bool) -> None:
        others = [x for x in self.pending if x != task_id]
        self.pending = [*others, task_id] if on else others

    @rx.event(background=True)
    async def dropped(self, active_id: str, over_id: str) -> AsyncGenerator[Any, None]:
        """A task dropped on a day (keeps its time), an hour (takes it) or the all-day row (loses its time): it
        moves at once, then the PATCH; a refusal puts it back and says why."""
        kind, target = drop_target(over_id)
        moment = parse_slot(target) if kind == "slot" else None
        if moment is None or not isinstance(active_id, str):
            return
        day, at, keep_time = moment
        async with self:
            before = self.task_of(active_id)
            project = self.project_map().get(before.project_id) if before else None
            if before is None or (project is not None and not project.can_edit):
                return
            new_time = before.due_time if keep_time else at
            if (before.due_date, before.due_time) == (day, new_time):
                return
            client = await self._client()
            if client is None:
                yield self._session_lost()
                return
            self.task_saved(before.model_copy(update={"due_date": day, "due_time": new_time, "overdue": False}))
            self._set_pending(active_id, True)
            self._render()
        update = TaskUpdate(version=before.version, due_date=day, due_time=new_time)

        def settle(task: TaskPublic) -> None:
            self._set_pending(active_id, False)
            self.task_saved(task)

        def moved(saved: TaskPublic) -> Any:
            when = day.strftime("%a %d %b") + (f" {new_time.strftime('%H:%M')}" if new_time else "")
            return rx.toast.success(f"Moved to {when}", description=saved.title, id="moved")

        async for event in edit_shown_first(self, client, update, before=before, settle=settle, done=moved):
            yield event


__all__ = [
    "CalendarChip",
    "CalendarState",
    "DayCell",
    "Entry",
    "entries",
    "layout",
    "parse_slot",
    "step",
    "title_of",
    "visible_range",
]
