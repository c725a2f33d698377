"""The Tasks stream -> analytics handler -> aggregates, on moto: replays and out-of-order records change nothing,
the daily repair (from the tasks) equals the incremental result on a random history of 1 000 operations."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from backend.adapters.stats_store import DynamoStatsStore, StoredContribution
from backend.adapters.task_store.store import DynamoTaskStore
from backend.bootstrap import Dependencies
from backend.domain import stats
from backend.domain.tasks import Task, TaskQuery, complete, new_id, reopen
from backend.domain.users import new_user
from backend.handlers import analytics
from backend.local.lambda_runtime import LocalContext, invoke
from backend.local.testing import LocalRun
from backend.services import stats as stats_service
from tests.integration.conftest import aws_client

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def deps(local: LocalRun) -> Dependencies:
    from backend.bootstrap import dependencies

    return dependencies()


@pytest.fixture(scope="module")
def store(deps: Dependencies) -> DynamoStatsStore:
    from backend.bootstrap import aggregates_store

    return aggregates_store()


@pytest.fixture(scope="module")
def tasks(deps: Dependencies) -> DynamoTaskStore:
    return DynamoTaskStore()


def pump(local: LocalRun) -> Any:
    assert local.streams is not None
    return local.streams


def make_user(deps: Dependencies, tz: str = "Europe/Berlin") -> str:
    user = replace(new_user(user_id=str(uuid.uuid4()), email="s@example.com", now=T0), timezone=tz)
    deps.users.add(user)
    return user.id


def new_task(user_id: str, now: datetime, **changes: Any) -> Task:
    return replace(
        Task(id=new_id(), user_id=user_id, project_id="inbox", title="t", created_at=now, updated_at=now), **changes
    )


def handler_event(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Records": records}


def run_handler(records: list[dict[str, Any]]) -> dict[str, Any]:
    from backend.handlers import analytics

    result: dict[str, Any] = invoke(analytics.handler, handler_event(records), "analytics")
    return result


def test_the_tasks_table_streams_new_and_old_images(local: LocalRun) -> None:
    from backend.names import ResourceNames

    table = aws_client(local, "dynamodb").describe_table(TableName=ResourceNames("local").tasks_table)["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_complete_then_reopen_then_delete_reach_the_aggregates(
    local: LocalRun, deps: Dependencies, store: DynamoStatsStore, tasks: DynamoTaskStore
) -> None:
    user_id = make_user(deps)
    created = tasks.save_task(new_task(user_id, T0, due_date=date(2026, 11, 3), labels=()), previous=None)
    done = tasks.save_task(complete(created, now=T0 + timedelta(hours=1), today=T0.date()), previous=created)
    pump(local).drain()
    counts = store.aggregates(user_id)
    day = stats.day_item(date(2026, 11, 2))
    assert counts[(day, "created")] == 1
    assert counts[(day, "completed")] == 1
    assert counts[(day, "on_time")] == 1
    assert counts[(day, "h#10")] == 1  # 09:00 UTC is 10:00 in Berlin
    assert ("SUMMARY", "od#2026-11-03T~") not in counts
    back = tasks.save_task(reopen(done, now=T0 + timedelta(hours=2)), previous=done)
    pump(local).drain()
    assert store.aggregates(user_id) == {(day, "created"): 1, ("SUMMARY", "od#2026-11-03T~"): 1}
    tasks.delete_task(back)
    pump(local).drain()
    assert store.aggregates(user_id) == {}


def test_replaying_a_batch_and_reordering_it_change_nothing(
    local: LocalRun, deps: Dependencies, store: DynamoStatsStore, tasks: DynamoTaskStore
) -> None:
    user_id = make_user(deps, tz="America/New_York")
    with pump(local).paused():
        pump(local).drain()
        first = tasks.save_task(new_task(user_id, T0, priority=1), previous=None)
        second = tasks.save_task(new_task(user_id, T0, due_date=date(2026, 11, 1)), previous=None)
        done = tasks.save_task(complete(first, now=T0 + timedelta(minutes=5), today=T0.date()), previous=first)
        tasks.save_task(reopen(done, now=T0 + timedelta(minutes=6)), previous=done)
        gone = tasks.save_task(complete(second, now=T0 + timedelta(minutes=7), today=T0.date()), previous=second)
        tasks.delete_task(gone)
        records = pump(local).collect()
    # six task writes (the task counters' USAGE#tasks changes come too; the handler skips them)
    assert sum(r["dynamodb"]["Keys"]["sk"]["S"].startswith("TASK#") for r in records) == 6
    assert run_handler(records) == {"batchItemFailures": []}
    once = store.aggregates(user_id)
    assert once == stats_service.recompute_user(tasks=tasks, store=store, users=deps.users, user_id=user_id, now=T0)
    assert run_handler(records) == {"batchItemFailures": []}
    assert store.aggregates(user_id) == once
    assert run_handler(list(reversed(records))) == {"batchItemFailures": []}
    assert run_handler(records[::2] + records[1::2]) == {"batchItemFailures": []}
    assert store.aggregates(user_id) == once


def test_records_of_other_items_are_ignored(local: LocalRun, deps: Dependencies, store: DynamoStatsStore) -> None:
    user_id = make_user(deps)
    record = {
        "eventID": "1",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": {"user_id": {"S": user_id}, "sk": {"S": "STAT#DAY#2026-11-02"}},
            "NewImage": {"user_id": {"S": user_id}, "sk": {"S": "STAT#DAY#2026-11-02"}, "completed": {"N": "5"}},
            "SequenceNumber": "1",
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    }
    assert run_handler([record]) == {"batchItemFailures": []}
    assert store.aggregates(user_id) == {}


def test_a_bad_record_fails_alone(local: LocalRun, deps: Dependencies, tasks: DynamoTaskStore) -> None:
    user_id = make_user(deps)
    with pump(local).paused():
        pump(local).drain()
        tasks.save_task(new_task(user_id, T0), previous=None)
        good = pump(local).collect()
    broken = {**good[0], "dynamodb": {**good[0]["dynamodb"], "SequenceNumber": "999", "NewImage": {"x": {"S": "y"}}}}
    assert run_handler([broken, *good]) == {"batchItemFailures": [{"itemIdentifier": "999"}]}


def test_the_repair_pages_through_the_days_active_users(
    local: LocalRun, deps: Dependencies, store: DynamoStatsStore, tasks: DynamoTaskStore
) -> None:
    from backend.handlers import analytics

    users = [make_user(deps) for _ in range(3)]
    for user_id in users:
        tasks.save_task(new_task(user_id, T0), previous=None)
    pump(local).drain()
    day = stats_service.activity_day(deps.clock())
    for user_id in users:  # drift: a counter that no task explains
        store.apply(
            user_id,
            "ghost",
            expected=None,
            new=StoredContribution(order=2, counters={}),
            delta={("SUMMARY", "dd#2020-01-01"): 7},
        )
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page, cursor = store.active_users(day, cursor=cursor, limit=2)
        seen += page
        if cursor is None:
            break
    assert set(users) <= set(seen)
    assert len(seen) == len(set(seen))
    result = invoke(analytics.recompute_handler, {"day": day.isoformat(), "limit": 2}, "analytics-repair")
    assert result["recomputed"] == len(seen)
    assert result["cursor"] is None
    for user_id in users:
        assert store.aggregates(user_id) == {(stats.day_item(date(2026, 11, 2)), "created"): 1}


class ShortOfTime(LocalContext):
    """An invocation that reaches its safety margin after the first page."""

    def get_remaining_time_in_millis(self) -> int:
        return analytics.SAFETY_MS - 1


def test_a_recompute_out_of_time_hands_the_rest_to_a_new_invocation(
    local: LocalRun,
    deps: Dependencies,
    store: DynamoStatsStore,
    tasks: DynamoTaskStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    users = [make_user(deps) for _ in range(5)]
    for user_id in users:
        tasks.save_task(new_task(user_id, T0), previous=None)
    pump(local).drain()
    day = stats_service.activity_day(deps.clock()).isoformat()
    handed_on: list[tuple[str, dict[str, Any]]] = []  # what the real function would send to Lambda's Invoke
    monkeypatch.setattr(analytics, "continue_later", lambda arn, event: handed_on.append((arn, event)))
    context = ShortOfTime(function_name="analytics-repair")

    event: dict[str, Any] = {"day": day, "limit": 2}
    repaired = 0
    while True:
        result = analytics.recompute_handler(event, context)
        repaired += result["recomputed"]
        if not result["continued"]:
            break
        arn, event = handed_on[-1]
        assert arn == context.invoked_function_arn  # the same function (and alias) goes on
        assert event["cursor"] == result["cursor"]
        assert event["day"] == day
    assert result["cursor"] is None
    assert [e["hop"] for _, e in handed_on] == list(range(1, len(handed_on) + 1))
    assert len(handed_on) >= len(users) // 2  # one page of 2 per invocation
    assert repaired >= len(users)


def test_a_recompute_chain_stops_after_max_hops(
    deps: Dependencies, tasks: DynamoTaskStore, local: LocalRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user_id in [make_user(deps) for _ in range(3)]:
        tasks.save_task(new_task(user_id, T0), previous=None)
    pump(local).drain()
    handed_on: list[dict[str, Any]] = []
    monkeypatch.setattr(analytics, "continue_later", lambda arn, event: handed_on.append(event))
    day = stats_service.activity_day(deps.clock()).isoformat()
    event = {"day": day, "limit": 1, "hop": analytics.MAX_HOPS}
    result = analytics.recompute_handler(event, ShortOfTime(function_name="analytics-repair"))
    assert result["cursor"] is not None
    assert result["continued"] is False
    assert handed_on == []


# --- property: incremental == recomputed on a random history of 1 000 operations --------------------------
OPERATION = st.tuples(
    st.sampled_from(["create", "create", "complete", "reopen", "due", "label", "delete", "tz"]),
    st.integers(0, 30),  # which task (modulo the live ones)
    st.integers(1, 600),  # minutes the clock moves on
)


@pytest.mark.timeout(900)
@settings(
    max_examples=1,
    deadline=None,
    phases=[Phase.generate],  # a failure prints its history; shrinking 1 000 writes on moto would take minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(history=st.lists(OPERATION, min_size=1000, max_size=1000))
def test_recomputation_equals_the_incremental_result(
    local: LocalRun,
    deps: Dependencies,
    store: DynamoStatsStore,
    tasks: DynamoTaskStore,
    history: list[tuple[str, int, int]],
) -> None:
    with pump(local).paused():  # delivered in batches of up to 100 by drain(), as a mapping would
        replay_history(local, deps, store, tasks, history)


def replay_history(
    local: LocalRun,
    deps: Dependencies,
    store: DynamoStatsStore,
    tasks: DynamoTaskStore,
    history: list[tuple[str, int, int]],
) -> None:
    user_id = make_user(deps)
    zones = ["Europe/Berlin", "Asia/Tokyo", "America/New_York"]
    live: list[Task] = []
    now = T0
    for step, (op, which, minutes) in enumerate(history):
        now += timedelta(minutes=minutes)
        if op == "create" or not live:
            live.append(tasks.save_task(new_task(user_id, now, priority=1 + which % 4), previous=None))
            continue
        index = which % len(live)
        task = live[index]
        if op == "delete":
            tasks.delete_task(live.pop(index))
            continue
        if op == "tz":
            pump(local).drain()  # what PATCH /me does: the new zone, then a re-base of the aggregates
            user = deps.users.get(user_id)
            assert user is not None
            deps.users.save(replace(user, timezone=zones[which % 3]))
            stats_service.recompute_user(tasks=tasks, store=store, users=deps.users, user_id=user_id, now=now)
            continue
        if op == "complete":
            changed = complete(task, now=now, today=now.date())
        elif op == "reopen":
            changed = reopen(task, now=now)
        elif op == "due":
            clock = time(minutes % 24, 0) if minutes % 3 else None
            changed = replace(task, due_date=(now + timedelta(days=which - 15)).date(), due_time=clock)
        else:
            changed = replace(task, labels=() if task.labels else (f"l{which % 3}",))
        if changed != task:
            live[index] = tasks.save_task(replace(changed, updated_at=now), previous=task)
        if step % 250 == 249:
            pump(local).drain()
    pump(local).drain()
    incremental = store.aggregates(user_id)
    recomputed = stats_service.recompute_user(tasks=tasks, store=store, users=deps.users, user_id=user_id, now=now)
    assert incremental == recomputed
    assert store.aggregates(user_id) == recomputed
    assert sum(n for (item, attr), n in recomputed.items() if attr == "created") == len(live)


def test_a_move_into_a_shared_project_and_back_leaves_the_statistics_as_they_were(
    local: LocalRun, deps: Dependencies, store: DynamoStatsStore, tasks: DynamoTaskStore
) -> None:
    """A move is a delete in one partition and an insert in another, in any order: neither counts (issue 13)."""
    from backend.adapters.task_store import rekey
    from backend.domain.sharing import project_partition

    user_id = make_user(deps)
    tasks.save_task(new_task(user_id, T0, priority=2, labels=("l1",)), previous=None)
    created = tasks.save_task(new_task(user_id, T0, due_date=date(2026, 11, 3)), previous=None)
    tasks.save_task(complete(created, now=T0 + timedelta(hours=1), today=T0.date()), previous=created)
    pump(local).drain()
    before = store.aggregates(user_id)
    assert before[(stats.day_item(date(2026, 11, 2)), "created")] == 2

    def round_trip() -> list[dict[str, Any]]:
        shared = project_partition(new_id())
        with pump(local).paused():
            pump(local).drain()
            for task in tasks.list_tasks(TaskQuery(user_id=user_id, status="all"), limit=10, cursor=None)[0]:
                there = rekey.move_task(task, shared)
                rekey.move_task(there, user_id)
            records: list[dict[str, Any]] = pump(local).collect()
            return records

    assert run_handler(round_trip()) == {"batchItemFailures": []}
    assert store.aggregates(user_id) == before
    assert run_handler(list(reversed(round_trip()))) == {"batchItemFailures": []}
    assert store.aggregates(user_id) == before
    # and one move at a time, each delivered before the next (the insert in the project counts from the moved row)
    shared = project_partition(new_id())
    for task in tasks.list_tasks(TaskQuery(user_id=user_id, status="all"), limit=10, cursor=None)[0]:
        there = rekey.move_task(task, shared)
        pump(local).drain()
        assert store.aggregates(user_id) == before
        rekey.move_task(there, user_id)
        pump(local).drain()
        assert store.aggregates(user_id) == before
