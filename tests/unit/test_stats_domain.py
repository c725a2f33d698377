"""Aggregate updates (create/complete/uncomplete/delete/edit due/time zone) and streaks, pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domain import stats
from backend.domain.tasks import Status, Task, complete, reopen

UTC_TZ = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NEW_YORK = ZoneInfo("America/New_York")
T0 = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def task(**changes: object) -> Task:
    base = Task(id="t1", user_id="u", project_id="inbox", title="x", created_at=T0, updated_at=T0)
    return replace(base, **changes)  # type: ignore[arg-type]


def day(d: str) -> str:
    return f"DAY#{d}"


def test_create_counts_the_local_creation_day() -> None:
    assert stats.contribution(task(), UTC_TZ) == {(day("2026-11-20"), "created"): 1}
    late = task(created_at=datetime(2026, 11, 20, 23, 30, tzinfo=UTC))
    assert stats.contribution(late, TOKYO) == {(day("2026-11-21"), "created"): 1}


def test_complete_adds_a_completion_with_its_breakdowns() -> None:
    open_task = task(labels=("l1", "l2"), priority=2, due_date=date(2026, 11, 22), project_id="p1")
    done = complete(open_task, now=datetime(2026, 11, 21, 14, 5, tzinfo=UTC), today=date(2026, 11, 21))
    delta = stats.diff(stats.contribution(open_task, UTC_TZ), stats.contribution(done, UTC_TZ))
    d = day("2026-11-21")
    assert delta == {
        (d, "completed"): 1,
        (d, "h#14"): 1,
        (d, "p#p1"): 1,
        (d, "pr#2"): 1,
        (d, "l#l1"): 1,
        (d, "l#l2"): 1,
        (d, "on_time"): 1,
        ("SUMMARY", "dd#2026-11-21"): 1,
        ("SUMMARY", "od#2026-11-22T~"): -1,
    }
    assert stats.completions_added(stats.contribution(open_task, UTC_TZ), stats.contribution(done, UTC_TZ)) == 1


def test_uncomplete_is_the_exact_inverse_of_complete() -> None:
    open_task = task(due_date=date(2026, 11, 19), due_time=time(9, 0))
    done = complete(open_task, now=datetime(2026, 11, 21, 8, 0, tzinfo=UTC), today=date(2026, 11, 21))
    back = reopen(done, now=datetime(2026, 11, 21, 8, 1, tzinfo=UTC))
    forward = stats.diff(stats.contribution(open_task, UTC_TZ), stats.contribution(done, UTC_TZ))
    backward = stats.diff(stats.contribution(done, UTC_TZ), stats.contribution(back, UTC_TZ))
    assert forward[(day("2026-11-21"), "late")] == 1  # due the 19th at 9:00
    assert stats.apply(forward, backward) == {}
    assert stats.completions_added(stats.contribution(done, UTC_TZ), stats.contribution(back, UTC_TZ)) == 0


def test_delete_removes_everything_the_task_added() -> None:
    done = complete(task(labels=("l",)), now=T0 + timedelta(days=1), today=date(2026, 11, 21))
    contributed = stats.contribution(done, UTC_TZ)
    assert stats.apply(contributed, stats.diff(contributed, {})) == {}


def test_edit_due_moves_the_open_due_counter() -> None:
    before = task(due_date=date(2026, 11, 25))
    after = replace(before, due_date=date(2026, 11, 26), due_time=time(9, 0))
    delta = stats.diff(stats.contribution(before, UTC_TZ), stats.contribution(after, UTC_TZ))
    assert delta == {("SUMMARY", "od#2026-11-25T~"): -1, ("SUMMARY", "od#2026-11-26T09:00"): 1}


def test_recurring_completions_each_count_on_their_day() -> None:
    series = task(due_date=date(2026, 11, 20), recurrence="FREQ=DAILY")
    once = complete(series, now=datetime(2026, 11, 20, 10, tzinfo=UTC), today=date(2026, 11, 20))
    twice = complete(once, now=datetime(2026, 11, 21, 10, tzinfo=UTC), today=date(2026, 11, 21))
    counts = stats.contribution(twice, UTC_TZ)
    assert counts[(day("2026-11-20"), "completed")] == 1
    assert counts[(day("2026-11-21"), "completed")] == 1
    assert counts[(day("2026-11-20"), "on_time")] == counts[(day("2026-11-21"), "on_time")] == 1
    assert counts[("SUMMARY", "od#2026-11-22T~")] == 1  # the series is still open, due next


def test_time_zone_change_moves_completions_to_the_new_local_day() -> None:
    done = complete(task(), now=datetime(2026, 11, 21, 23, 30, tzinfo=UTC), today=date(2026, 11, 21))
    in_utc, in_tokyo = stats.contribution(done, UTC_TZ), stats.contribution(done, TOKYO)
    delta = stats.diff(in_utc, in_tokyo)
    assert delta[(day("2026-11-21"), "completed")] == -1
    assert delta[(day("2026-11-22"), "completed")] == 1
    assert delta[("SUMMARY", "dd#2026-11-22")] == 1
    assert stats.apply(in_utc, delta) == in_tokyo


def test_on_time_for_timed_and_date_only_due() -> None:
    local = datetime(2026, 11, 21, 23, 59, tzinfo=BERLIN)
    assert stats.on_time(local, date(2026, 11, 21), None)
    assert not stats.on_time(local, date(2026, 11, 21), time(23, 0))
    assert stats.on_time(local, date(2026, 11, 22), time(0, 0))


def test_streak_counts_local_days_across_the_dst_change() -> None:
    # Europe/Berlin leaves summer time on 2026-10-25 (a 25-hour day): one day like any other.
    done: dict[date, int] = {}
    for moment in (
        datetime(2026, 10, 24, 21, 30, tzinfo=UTC),  # 23:30 CEST on the 24th
        datetime(2026, 10, 25, 22, 30, tzinfo=UTC),  # 23:30 CET on the 25th
        datetime(2026, 10, 26, 22, 59, tzinfo=UTC),  # 23:59 CET on the 26th
    ):
        local_day = moment.astimezone(BERLIN).date()
        done[local_day] = done.get(local_day, 0) + 1
    assert sorted(done) == [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
    result = stats.streaks(done, today=date(2026, 10, 26), goal=1)
    assert (result.current, result.longest) == (3, 3)


def test_streak_depends_on_the_users_time_zone() -> None:
    moments = [datetime(2026, 11, d, 23, 30, tzinfo=UTC) for d in (20, 21)]

    def per_day(tz: ZoneInfo) -> dict[date, int]:
        return {m.astimezone(tz).date(): 1 for m in moments}

    # New York: the 20th and 21st; Tokyo: the 21st and 22nd. "Today" the 22nd:
    assert stats.streaks(per_day(NEW_YORK), today=date(2026, 11, 22), goal=1).current == 2  # today not over yet
    assert stats.streaks(per_day(TOKYO), today=date(2026, 11, 22), goal=1).current == 2
    assert stats.streaks(per_day(NEW_YORK), today=date(2026, 11, 23), goal=1).current == 0


def test_streak_needs_the_goal_each_day() -> None:
    done = {date(2026, 11, 18): 3, date(2026, 11, 19): 2, date(2026, 11, 20): 3, date(2026, 11, 21): 4}
    result = stats.streaks(done, today=date(2026, 11, 21), goal=3)
    assert (result.current, result.longest, result.today_done) == (2, 2, 4)
    assert stats.streaks(done, today=date(2026, 11, 21), goal=2).longest == 4


def test_overdue_now_follows_is_overdue() -> None:
    now = datetime(2026, 11, 21, 10, 0, 30, tzinfo=BERLIN)
    summary = {"od#2026-11-20T~": 1, "od#2026-11-21T~": 2, "od#2026-11-21T10:00": 1, "od#2026-11-21T10:01": 5}
    assert stats.overdue_count(summary, now) == 2
    for key, expected in (("2026-11-20T~", True), ("2026-11-21T~", False), ("2026-11-21T10:00", True)):
        d, clock = key.split("T")
        t = task(due_date=date.fromisoformat(d), due_time=None if clock == "~" else time.fromisoformat(clock))
        assert t.is_overdue(now.replace(tzinfo=None)) is expected


def test_report_totals_breakdowns_and_busiest() -> None:
    tasks = [
        complete(
            task(id=f"t{i}", project_id="p1" if i % 2 else "p2", priority=1 + i % 4, due_date=date(2026, 11, 20)),
            now=datetime(2026, 11, 16 + i, 8 + i, tzinfo=UTC),  # Mon 16th ... Sat 21st
            today=date(2026, 11, 16 + i),
        )
        for i in range(6)
    ]
    aggregates = stats.total(stats.contribution(t, UTC_TZ) for t in tasks)
    summary = {attr: n for (item, attr), n in aggregates.items() if item == stats.SUMMARY}
    result = stats.report(
        stats.parse_day_items(aggregates),
        summary,
        now_local=datetime(2026, 11, 21, 20, tzinfo=UTC),
        range_days=7,
        goal=1,
    )
    assert (result.created, result.completed) == (6, 6)
    assert (result.on_time, result.late, result.on_time_rate) == (5, 1, round(5 / 6, 4))
    assert result.by_project == {"p1": 3, "p2": 3}
    assert result.by_priority == {1: 2, 2: 2, 3: 1, 4: 1}
    assert result.by_weekday == [1, 1, 1, 1, 1, 1, 0]
    assert result.busiest_weekday == "Mon"
    assert result.busiest_hour == 8
    assert result.streaks.current == 6
    assert [p.completed for p in result.per_day] == [0, 1, 1, 1, 1, 1, 1]
    assert result.per_week[-1].completed == 6
    assert len(result.per_week) == 12


def test_report_of_nothing() -> None:
    result = stats.report({}, {}, now_local=datetime(2026, 11, 21, tzinfo=UTC), range_days=30, goal=3)
    assert result.on_time_rate is None
    assert result.busiest_hour is None
    assert result.busiest_weekday is None
    assert len(result.per_day) == 30
    assert result.streaks.current == 0


# --- property: incremental == from scratch, whatever the order of changes ------------------------
ZONES = st.sampled_from([UTC_TZ, BERLIN, TOKYO, NEW_YORK])
OPS = st.lists(
    st.tuples(
        st.integers(0, 4),  # which task
        st.sampled_from(["complete", "reopen", "due", "label", "delete", "tz"]),
        st.integers(0, 60 * 24 * 20),  # minutes after T0
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(ops=OPS, zone=ZONES, zone2=ZONES)
def test_incremental_equals_recomputed(ops: list[tuple[int, str, int]], zone: ZoneInfo, zone2: ZoneInfo) -> None:
    live: dict[int, Task] = {}
    stored: dict[int, stats.Counters] = {}  # what the stream handler keeps per task
    aggregates: stats.Counters = {}
    tz = zone
    for index, op, minutes in ops:
        now = T0 + timedelta(minutes=minutes)
        if op == "tz":
            tz = zone2 if tz == zone else zone
            continue
        current = live.get(index) or task(id=f"t{index}", created_at=now, updated_at=now)
        if op == "complete":
            current = complete(current, now=now, today=now.date())
        elif op == "reopen":
            current = reopen(current, now=now)
        elif op == "due":
            current = replace(current, due_date=now.date(), due_time=time(minutes % 24, 0) if minutes % 2 else None)
        elif op == "label":
            current = replace(current, labels=() if current.labels else ("a", "b"))
        if op == "delete":
            live.pop(index, None)
            new: stats.Counters = {}
        else:
            live[index] = current
            new = stats.contribution(current, tz)
        aggregates = stats.apply(aggregates, stats.diff(stored.get(index, {}), new))
        stored[index] = new
    # A time zone change re-bases every task in the repair, and the incremental result after it must match too:
    repaired = stats.total(stats.contribution(t, tz) for t in live.values())
    rebased = stats.apply(
        aggregates,
        stats.total(stats.diff(stored.get(i, {}), stats.contribution(t, tz)) for i, t in live.items()),
    )
    assert rebased == repaired
    assert all(v > 0 for v in repaired.values())


def test_done_task_without_completed_at_counts_no_completion() -> None:
    weird = task(status=Status.DONE, completed_at=None)
    assert stats.contribution(weird, UTC_TZ) == {(day("2026-11-20"), "created"): 1}
