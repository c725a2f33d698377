"""Live updates end to end on the local stack: a write (through the API or the stores) -> the table's stream -> the
live Lambda (run by the local stream pump) -> Redis pub/sub (fakeredis' TCP server) -> ``backend.client.live.changes``.

Nothing here is faked: the API, the stores, moto's streams, the handler and redis-py over TCP are the real code.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest
import redis

from backend.adapters.notifications import DynamoNotifications
from backend.adapters.stats_store import DynamoStatsStore
from backend.client.live import Change, changes
from backend.domain.notifications import Delivery, Notification
from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.conftest import SignedInUser
from tests.integration.conftest import aws_client

TASKS_TABLE = ResourceNames("local").tasks_table
WAIT = 5.0  # generous: the path takes ~0.1 s locally; the figures are in scripts/bench_live.py


class Listener:
    """``changes()`` iterated on its own event loop in a thread, as the Reflex backend would; changes in a queue."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.received: queue.Queue[tuple[float, Change]] = queue.Queue()
        self._set_aside: list[tuple[float, Change]] = []
        self._loop = asyncio.new_event_loop()
        self._task: asyncio.Task[None] | None = None
        # The server may still count an earlier listener's pattern for a moment after it stopped (the disconnect is
        # processed asynchronously): subscribed means one more than before we started, not "at least one".
        self._others = self._patterns()
        self._thread = threading.Thread(target=self._run, name="live-listener", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        async def consume() -> None:
            # aclosing: a cancelled consumer closes the generator (and its connection) now, not when it is collected
            async with contextlib.aclosing(changes(self.url)) as feed:
                async for change in feed:
                    self.received.put((time.time(), change))

        self._task = self._loop.create_task(consume())
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.close()

    def _patterns(self) -> int:
        with redis.Redis.from_url(self.url) as probe:
            return int(probe.execute_command("PUBSUB", "NUMPAT"))

    def wait_subscribed(self, subscribers: int = 1) -> None:
        """Until the server counts our pattern subscription (a change published before it would be missed)."""
        deadline = time.monotonic() + WAIT
        while self._patterns() < self._others + subscribers:
            assert time.monotonic() < deadline, "changes() never subscribed"
            time.sleep(0.02)

    def next_for(self, user_id: str, timeout: float = WAIT) -> tuple[float, Change]:
        """The next change of ``user_id``. Other users' changes are set aside, not dropped: one write reaches
        several members in an order of their ids, and the next ``next_for`` of another member must still find it."""
        for index, (received_at, change) in enumerate(self._set_aside):
            if change.user_id == user_id:
                del self._set_aside[index]
                return received_at, change
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no change for {user_id} within {timeout} s"
            try:
                received_at, change = self.received.get(timeout=left)
            except queue.Empty:
                continue
            if change.user_id == user_id:
                return received_at, change
            self._set_aside.append((received_at, change))

    def stop(self) -> None:
        if self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout=10)
        assert not self._thread.is_alive()
        deadline = time.monotonic() + WAIT  # gone from the server's count, so the next listener's baseline is clean
        while self._patterns() > self._others:
            assert time.monotonic() < deadline, "the stopped listener is still subscribed"
            time.sleep(0.02)


@pytest.fixture(scope="module")
def redis_url(local: LocalRun) -> str:
    assert local.redis is not None
    assert local.env["LIVE_REDIS_URL"] == local.redis.url
    return local.redis.url


@pytest.fixture
def listener(redis_url: str) -> Iterator[Listener]:
    listening = Listener(redis_url)
    listening.wait_subscribed()
    yield listening
    listening.stop()


@pytest.fixture(scope="module")
def user(make_user: Callable[[], SignedInUser]) -> SignedInUser:
    return make_user()


@pytest.fixture(scope="module")
def http(api_url: str, user: SignedInUser) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, headers=user.headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def user_id(http: httpx.Client, local: LocalRun) -> str:
    me: str = http.get("/me").json()["id"]
    # The first task also creates the Inbox project: done here, so each test sees only the changes it makes.
    first = http.post("/tasks", json={"title": "warm-up"}).json()
    assert http.delete(f"/tasks/{first['id']}").status_code == 204
    assert local.streams is not None
    local.streams.drain()  # published before any test listens
    return me


def test_the_notifications_table_has_a_stream_like_the_tasks_table(local: LocalRun) -> None:
    table = aws_client(local, "dynamodb").describe_table(TableName=ResourceNames("local").notifications_table)
    assert table["Table"]["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_a_task_created_through_the_api_arrives_in_its_public_shape(
    listener: Listener, http: httpx.Client, user_id: str
) -> None:
    began = time.time()
    created = http.post("/tasks", json={"title": "live one", "priority": 2, "notes": "from another tab"})
    assert created.status_code == 201, created.text
    received_at, change = listener.next_for(user_id)
    assert (change.kind, change.op, change.id) == ("task", "upsert", created.json()["id"])
    assert change.task is not None
    assert change.task.model_dump(mode="json") == created.json()  # exactly what the API answered
    assert began - 1.5 <= change.at <= received_at  # when the write happened (moto: naive UTC, read as UTC)
    print(f"write -> change received: {(received_at - began) * 1000:.0f} ms")


def test_an_edit_then_a_delete_arrive_in_order(listener: Listener, http: httpx.Client, user_id: str) -> None:
    task = http.post("/tasks", json={"title": "to edit"}).json()
    assert listener.next_for(user_id)[1].id == task["id"]
    edited = http.patch(f"/tasks/{task['id']}", json={"title": "edited", "version": task["version"]})
    assert edited.status_code == 200, edited.text
    change = listener.next_for(user_id)[1]
    assert change.task is not None
    assert (change.op, change.task.title, change.task.version) == ("upsert", "edited", edited.json()["version"])
    assert http.delete(f"/tasks/{task['id']}").status_code == 204
    gone = listener.next_for(user_id)[1]
    assert (gone.kind, gone.op, gone.id, gone.task) == ("task", "delete", task["id"], None)


def test_projects_and_labels_arrive_and_link_items_publish_nothing(
    listener: Listener, http: httpx.Client, user_id: str, local: LocalRun
) -> None:
    label = http.post("/labels", json={"name": f"l{uuid.uuid4().hex[:6]}"})
    assert label.status_code == 201, label.text
    assert listener.next_for(user_id)[1].model_dump(include={"kind", "op", "id"}) == {
        "kind": "label",
        "op": "upsert",
        "id": label.json()["id"],
    }
    # A task with the label: its link item (LT#...) is written in the same transaction and publishes nothing.
    task = http.post("/tasks", json={"title": "labelled", "labels": [label.json()["id"]]}).json()
    # An index item written alone publishes nothing either; the project after it is the next change.
    aws_client(local, "dynamodb").put_item(
        TableName=TASKS_TABLE, Item={"user_id": {"S": user_id}, "sk": {"S": "LT#x#y"}, "n": {"N": "1"}}
    )
    project = http.post("/projects", json={"name": "Live"})
    assert project.status_code == 201, project.text
    kinds = [listener.next_for(user_id)[1] for _ in range(2)]
    assert [(c.kind, c.id) for c in kinds] == [("task", task["id"]), ("project", project.json()["id"])]
    time.sleep(0.3)  # nothing else is on its way
    assert all(change.user_id != user_id for _, change in list(listener.received.queue))


def test_a_notification_row_arrives_and_its_removal_too(listener: Listener, user_id: str) -> None:
    notes = DynamoNotifications()
    now = datetime.now(UTC)
    note = Notification(
        id=f"n-{uuid.uuid4().hex[:8]}",
        user_id=user_id,
        kind="reminder",
        title="Call the bank",
        body="due 10:00",
        fire_at=now,
        created_at=now,
        deliveries={"in_app": Delivery(status="sent")},
    )
    notes.record(note)
    change = listener.next_for(user_id)[1]
    assert change.model_dump(include={"kind", "op", "id", "task"}) == {
        "kind": "notification",
        "op": "upsert",
        "id": note.id,
        "task": None,
    }
    notes.mark_read(user_id, note.id)
    assert listener.next_for(user_id)[1].op == "upsert"
    notes.erase_user(user_id)
    gone = listener.next_for(user_id)[1]
    assert (gone.kind, gone.op, gone.id) == ("notification", "delete", note.id)


def created_count(local: LocalRun, user_id: str) -> int:
    counts = DynamoStatsStore(client=aws_client(local, "dynamodb"), table=TASKS_TABLE).aggregates(user_id)
    return sum(value for (_, name), value in counts.items() if name == "created")


def test_a_redis_restart_delays_changes_and_never_holds_up_analytics(
    listener: Listener, http: httpx.Client, user_id: str, local: LocalRun
) -> None:
    assert local.redis is not None
    assert local.streams is not None
    with local.streams.paused():  # deliveries happen at the drain() calls below only
        local.streams.drain()
        before = created_count(local, user_id)
        local.redis.stop()  # the fault: every connection drops, publishing is refused
        try:
            task = http.post("/tasks", json={"title": "written while Redis is down"}).json()
            local.streams.drain()  # live handler: the record fails (retried later); analytics: done
            assert created_count(local, user_id) == before + 1
        finally:
            local.redis.start()  # the same port
        listener.wait_subscribed()  # the subscriber reconnected by itself (backoff)
        local.streams.drain()  # the live mapping's retry now succeeds; analytics gets nothing twice
        assert created_count(local, user_id) == before + 1
    change = listener.next_for(user_id)[1]
    assert (change.kind, change.op, change.id) == ("task", "upsert", task["id"])
    after = http.post("/tasks", json={"title": "after the restart"}).json()
    assert listener.next_for(user_id)[1].id == after["id"]


def test_changes_without_a_url_ends_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIVE_REDIS_URL", raising=False)

    async def first() -> list[Change]:
        return [change async for change in changes()]

    assert asyncio.run(first()) == []
