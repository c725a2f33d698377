"""Statistics use cases: apply one task change to the aggregates (stream), repair them from the tasks (schedule),
read them (API). No HTTP, no boto3."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.adapters.ports import StatsStore, TaskStore, UserRepository
from backend.adapters.stats_store import StoredContribution
from backend.domain import stats
from backend.domain.sharing import is_project_partition, project_partition
from backend.domain.tasks import Task, TaskQuery
from backend.domain.users import User
from backend.errors import ConflictError
from backend.services.tasks import clock_of

MAX_ATTEMPTS = 5
PAGE = 500


@dataclass(frozen=True)
class TaskChange:
    """One task write, as a stream record tells it: the task after it (None once deleted) and its version."""

    user_id: str
    task_id: str
    version: int
    task: Task | None

    @property
    def order(self) -> int:
        """Later changes have higher orders; a delete comes after the last version it removed."""
        return self.version * 2 + (1 if self.task is None else 0)


@dataclass(frozen=True)
class Applied:
    skipped: bool  # a replay, or older than what is stored
    created: bool = False  # the first contribution of this task
    completions: int = 0  # completions this change added


def apply_change(
    *,
    store: StatsStore,
    change: TaskChange,
    tz: ZoneInfo,
    zone_of: Callable[[str], ZoneInfo] | None = None,
    moved_version: Callable[[str, str], int | None] | None = None,
) -> Applied:
    """Bring the user's aggregates in line with ``change``, exactly once, whatever order records arrive in.

    A task of a shared project (``change.user_id`` = ``P#<p>``) counts for its members, each in their zone
    (``zone_of``): its creation for ``created_by``, each completion for who completed it (``shared_contribution``).
    Its contribution row stays in the project's partition; the counters go to each member's aggregates.

    A task's move to another partition is a delete here and an insert there, arriving in either order. The move
    leaves a tombstone in the source (``moved_version(partition, task id)``: the version it deleted there): every
    record of that partition up to that version (the move's delete, a late insert of a task that has left again)
    is history and changes nothing. The contribution row moved with the task, so the target's records count from
    what it held: a move is neutral for everyone's statistics."""
    shared = is_project_partition(change.user_id)
    if moved_version is not None:
        left_at = moved_version(change.user_id, change.task_id)
        if left_at is not None and change.version <= left_at:
            return Applied(skipped=True)
    for _ in range(MAX_ATTEMPTS):
        stored = store.get_contribution(change.user_id, change.task_id)
        if stored is not None and stored.order >= change.order:
            return Applied(skipped=True)
        if change.task is None and stored is None:
            return Applied(skipped=True)  # nothing was counted (or it was erased): nothing to take back
        old = stored.counters if stored else {}
        if change.task is None:
            new: stats.Counters = {}
        elif shared:
            new = stats.shared_contribution(change.task, zone_of or (lambda _: tz))
        else:
            new = stats.contribution(change.task, tz)
        written = store.apply(
            change.user_id,
            change.task_id,
            expected=stored,
            new=StoredContribution(order=change.order, counters=new),
            delta=stats.diff(old, new),
        )
        if written:
            return Applied(skipped=False, created=stored is None, completions=stats.completions_added(old, new))
    raise ConflictError(f"The statistics of task {change.task_id} kept changing; the record will be retried.")


def all_tasks(tasks: TaskStore, user_id: str) -> list[Task]:
    """Every task of the user (Queries of their partition, page by page)."""
    found: list[Task] = []
    cursor: str | None = None
    while True:
        page, cursor = tasks.list_tasks(
            TaskQuery(user_id=user_id, status="all", sort="created"), limit=PAGE, cursor=cursor
        )
        found.extend(page)
        if cursor is None:
            return found


def recompute_user(
    *, tasks: TaskStore, store: StatsStore, users: UserRepository, user_id: str, now: datetime
) -> stats.Counters:
    """Repair: the aggregates from the source of truth (the user's tasks, in their current time zone, and their
    part of the tasks of each shared project they are a member of; those contributions stay in the projects')."""
    user = users.get(user_id)
    tz = clock_of(user, now).tz
    current = all_tasks(tasks, user_id)
    contributions = {t.id: StoredContribution(order=t.version * 2, counters=stats.contribution(t, tz)) for t in current}
    parts = [c.counters for c in contributions.values()]
    for project_id in sorted(user.shared_projects if user else ()):
        for task in all_tasks(tasks, project_partition(project_id)):
            parts.append(stats.for_member(stats.shared_contribution(task, lambda _: tz), user_id))
    aggregates = stats.total(parts)
    store.replace_all(user_id, aggregates, contributions)
    return aggregates


@dataclass(frozen=True)
class StatsView:
    report: stats.Report
    timezone: str
    project_names: dict[str, str] = field(default_factory=dict)  # of the projects and labels the report names
    label_names: dict[str, str] = field(default_factory=dict)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _since(today: date, range_days: int) -> date:
    """The first day a report for ``range_days`` ending ``today`` reads (its range, or the weeks it shows)."""
    return min(today - timedelta(days=range_days - 1), stats.weeks_start(today))


def days_read(range_days: int, now: datetime) -> tuple[date, date]:
    """Every day a report for ``range_days`` can read, whatever the caller's time zone (not known before their Users
    row is read): from the earliest ``since`` to the latest local date anywhere (UTC-12 .. UTC+14)."""
    today = now.astimezone(ZoneInfo("UTC")).date()
    return _since(today - timedelta(days=1), range_days), today + timedelta(days=1)


def get_stats(*, store: StatsStore, user: User, range_days: int, now: datetime, names: bool = True) -> StatsView:
    """The stats page's figures, from the aggregates only: one Query, then (``names``) one BatchGetItem of the
    names of the projects and labels the figures mention. ``user`` is the Users row the caller already holds (the
    API's session check read it): its time zone and goal, never read a second time."""
    tz = _zone(user.timezone)
    now_local = now.astimezone(tz)
    goal = user.preferences.daily_goal
    since = _since(now_local.date(), range_days)
    days, summary = store.read(user.id, since=since)
    report = stats.report(days, summary, now_local=now_local, range_days=range_days, goal=goal)
    projects, labels = (
        store.names(user.id, projects=list(report.by_project), labels=list(report.by_label))
        if names and (report.by_project or report.by_label)
        else ({}, {})
    )
    return StatsView(report=report, timezone=str(tz), project_names=projects, label_names=labels)


def activity_day(now: datetime) -> date:
    """The repair's work lists are per UTC day."""
    return now.date() if now.tzinfo is None else now.astimezone(ZoneInfo("UTC")).date()
