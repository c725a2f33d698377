"""Webhooks over HTTP with a real receiver (issue 16): the whole local path - the Tasks stream -> the webhook events
handler -> the emulator's EventBridge bus -> its rule -> the SQS deliveries queue -> the delivery handler -> an HTTP
POST to an ``http.server`` on this machine (loopback allowed locally). The retry schedule is shortened through its
setting (``TMP_WEBHOOK_RETRY_SCHEDULE``), nothing is mocked.

Proves: the signature verifies with the secret shown once; the event id is the same on every attempt; a receiver
failing 3 times then answering 200 gets 4 attempts with growing gaps; one that always fails is dead-lettered after
the schedule (its delivery ``dead``, a message on the dead-letter queue); a re-send repeats the event; a stranger
gets 404 for another's webhook; a member removed from a shared project gets none of its events; URLs that point
inside are refused naming the field.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from backend.client import ApiClient, ApiError
from backend.domain.webhooks import verify
from backend.local.testing import LocalRun, free_port, local_aws
from backend.names import LOCAL_STAGE, ResourceNames
from tests.api.conftest import assert_error_shape, aws_client
from tests.api.test_shared_tasks import Member, member
from tests.conftest import SignedInUser

SCHEDULE = (0.3, 0.6, 1.2)  # seconds: 4 attempts in ~2.1 s, then dead


@pytest.fixture(scope="module")
def local() -> Iterator[LocalRun]:
    """This module's emulator, with the retry schedule shortened (a setting, read by the delivery handler)."""
    os.environ["TMP_WEBHOOK_RETRY_SCHEDULE"] = json.dumps(SCHEDULE)
    try:
        with local_aws(port=free_port()) as run:
            yield run
    finally:
        os.environ.pop("TMP_WEBHOOK_RETRY_SCHEDULE", None)


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP receiver on a free loopback port: ``plans[path]`` lists the statuses to answer in turn (the last one
    repeats), 200 for a path without a plan."""

    url: str
    plans: dict[str, list[int]] = field(default_factory=dict)
    got: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str) -> int:
        with self.lock:
            plan = self.plans.get(path) or [200]
            return plan.pop(0) if len(plan) > 1 else plan[0]

    def requests(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.got if r.path == path]

    def wait(self, path: str, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.requests(path)) < count:
            assert time.monotonic() < deadline, f"{path}: {len(self.requests(path))} of {count} requests came"
            time.sleep(0.02)
        return self.requests(path)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    port = free_port()
    state = Receiver(url=f"http://127.0.0.1:{port}")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.got.append(Received(time.time(), self.path, dict(self.headers.items()), body))
            status = state.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    yield state
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def owner(api_url: str, make_user: Callable[[], SignedInUser]) -> Member:
    return member(api_url, make_user())


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def subscribe(who: Member, url: str, events: list[str]) -> dict[str, Any]:
    created = ok(who.http.post("/webhooks", json={"url": url, "events": events}), 201)
    assert set(created) == {"id", "secret"}
    return dict(created)


def test_urls_that_point_inside_are_refused_naming_the_field(owner: Member) -> None:
    for url in (
        "https://10.1.2.3/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://metadata.google.internal/",
        "ftp://example.com/",
        "https://user:pw@example.com/",
    ):
        error = assert_error_shape(owner.http.post("/webhooks", json={"url": url, "events": ["task.created"]}), 400)
        assert "url" in error["fields"], (url, error)
    for events in ([], ["task.exploded"]):
        response = owner.http.post("/webhooks", json={"url": "https://example.com/h", "events": events})
        error = assert_error_shape(response, 422)
        assert any("events" in name for name in error["fields"]), error


def test_a_delivery_is_signed_and_can_be_sent_again(owner: Member, receiver: Receiver) -> None:
    hook = subscribe(owner, receiver.url + "/ok", ["task.created", "task.completed"])
    assert hook["secret"].startswith("whsec_")
    listed = ok(owner.http.get("/webhooks"))["items"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert "secret" not in listed[0]
    task = ok(owner.http.post("/tasks", json={"title": "Ship the webhooks"}), 201)
    (got,) = receiver.wait("/ok", 1)  # the lag is measured by scripts/bench_webhooks.py, not asserted here
    assert verify(hook["secret"], got.body, got.headers["X-TaskManager-Signature"])
    assert not verify("whsec_wrong", got.body, got.headers["X-TaskManager-Signature"])
    event = json.loads(got.body)
    assert (event["type"], event["data"]["task"]["id"]) == ("task.created", task["id"])
    assert got.headers["X-TaskManager-Event"] == "task.created"
    assert got.headers["X-TaskManager-Event-Id"] == event["id"]

    (delivery,) = ok(owner.http.get(f"/webhooks/{hook['id']}/deliveries"))["items"]
    assert (delivery["outcome"], delivery["attempts"], delivery["status_code"]) == ("succeeded", 1, 200)
    assert delivery["event_id"] == event["id"]

    again = ok(owner.http.post(f"/webhooks/{hook['id']}/deliveries/{delivery['id']}/redeliver"), 201)
    assert (again["redelivery_of"], again["event_id"]) == (delivery["id"], event["id"])
    resent = receiver.wait("/ok", 2)[-1]
    assert resent.body == got.body
    assert resent.headers["X-TaskManager-Event-Id"] == event["id"]
    assert resent.headers["X-TaskManager-Delivery"] == again["id"] != got.headers["X-TaskManager-Delivery"]


def test_retries_with_growing_gaps_then_success_or_dead_letter(
    owner: Member, receiver: Receiver, local: LocalRun
) -> None:
    receiver.plans["/flaky"] = [500, 503, 502, 200]
    receiver.plans["/down"] = [500]
    flaky = subscribe(owner, receiver.url + "/flaky", ["task.updated"])
    down = subscribe(owner, receiver.url + "/down", ["task.updated"])
    task = ok(owner.http.post("/tasks", json={"title": "Retry me"}), 201)
    ok(owner.http.patch(f"/tasks/{task['id']}", json={"title": "Retry me, please", "version": task["version"]}))

    attempts = receiver.wait("/flaky", 4)
    assert len({a.headers["X-TaskManager-Event-Id"] for a in attempts}) == 1, "one event id across the retries"
    assert len({a.body for a in attempts}) == 1
    gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)]
    assert gaps[0] < gaps[1] < gaps[2], gaps
    for gap, planned in zip(gaps, SCHEDULE, strict=True):
        assert planned - 0.02 <= gap < planned + 1.0, (gaps, SCHEDULE)

    receiver.wait("/down", 4)
    deadline = time.monotonic() + 5
    while True:
        (dead,) = ok(owner.http.get(f"/webhooks/{down['id']}/deliveries"))["items"]
        if dead["outcome"] == "dead" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert (dead["outcome"], dead["attempts"], dead["status_code"]) == ("dead", 4, 500), dead
    assert dead["next_attempt_at"] is None
    (done,) = ok(owner.http.get(f"/webhooks/{flaky['id']}/deliveries"))["items"]
    assert (done["outcome"], done["attempts"], done["status_code"]) == ("succeeded", 4, 200)
    time.sleep(0.3)
    assert len(receiver.requests("/down")) == 4, "nothing after the dead letter"

    sqs = aws_client(local, "sqs")
    dead_url = sqs.get_queue_url(QueueName=ResourceNames(LOCAL_STAGE).webhook_dead_letter_queue)["QueueUrl"]
    dead_letters = sqs.receive_message(QueueUrl=dead_url, MaxNumberOfMessages=10)
    bodies = [json.loads(m["Body"]) for m in dead_letters.get("Messages", [])]
    assert [(b["webhook_id"], b["delivery_id"]) for b in bodies] == [(down["id"], dead["id"])]


def test_a_stranger_gets_404_for_another_users_webhook(
    owner: Member, api_url: str, make_user: Callable[[], SignedInUser], receiver: Receiver
) -> None:
    hook = subscribe(owner, receiver.url + "/private", ["task.deleted"])
    stranger = member(api_url, make_user())
    for response in (
        stranger.http.get(f"/webhooks/{hook['id']}/deliveries"),
        stranger.http.delete(f"/webhooks/{hook['id']}"),
        stranger.http.post(f"/webhooks/{hook['id']}/deliveries/{'0' * 26}/redeliver"),
    ):
        assert_error_shape(response, 404)
    assert ok(stranger.http.get("/webhooks"))["items"] == []
    ok(owner.http.delete(f"/webhooks/{hook['id']}"), 204)
    assert_error_shape(owner.http.get(f"/webhooks/{hook['id']}/deliveries"), 404)


def test_members_get_a_shared_projects_events_until_removed(
    owner: Member, api_url: str, make_user: Callable[[], SignedInUser], receiver: Receiver, local: LocalRun
) -> None:
    editor = member(api_url, make_user())
    project = ok(owner.http.post("/projects", json={"name": "Team hooks"}), 201)
    invitation = ok(
        owner.http.post(f"/projects/{project['id']}/members", json={"email": editor.email, "role": "editor"}), 201
    )
    ok(editor.http.post(f"/invitations/{invitation['id']}/accept"))
    subscribe(editor, receiver.url + "/member", ["task.created"])
    first = ok(owner.http.post("/tasks", json={"title": "For the team", "project_id": project["id"]}), 201)
    (got,) = receiver.wait("/member", 1)
    assert json.loads(got.body)["data"]["task"]["id"] == first["id"]

    ok(owner.http.delete(f"/projects/{project['id']}/members/{editor.id}"), 204)
    ok(owner.http.post("/tasks", json={"title": "Not for the editor", "project_id": project["id"]}), 201)
    own = ok(editor.http.post("/tasks", json={"title": "The editor's own"}), 201)
    later = receiver.wait("/member", 2)  # their own task's event comes; the project's does not
    assert [json.loads(r.body)["data"]["task"]["id"] for r in later] == [first["id"], own["id"]]


def test_the_typed_client_adds_lists_resends_and_deletes_a_webhook(
    api_url: str, make_user: Callable[[], SignedInUser], receiver: Receiver
) -> None:
    """The UI's calls (backend.client): what Settings -> Developer -> Webhooks does, over HTTP to the receiver."""
    user = make_user()
    client = ApiClient(api_url, user.tokens.access_token)
    with pytest.raises(ApiError) as refused:
        client.create_webhook("https://10.0.0.8/hook", ["task.created"])
    assert (refused.value.status, list(refused.value.fields)) == (400, ["url"])

    made = client.create_webhook(receiver.url + "/client", ["task.created"])
    assert made.secret.startswith("whsec_")
    (listed,) = client.list_webhooks()
    assert (listed.id, listed.url, listed.events) == (made.id, receiver.url + "/client", ["task.created"])

    member(api_url, user).http.post("/tasks", json={"title": "Seen by the client test"})
    (got,) = receiver.wait("/client", 1)
    (delivery,) = client.list_deliveries(made.id)
    assert (delivery.outcome, delivery.status_code, delivery.attempts) == ("succeeded", 200, 1)
    assert delivery.event_type == "task.created"

    again = client.redeliver(made.id, delivery.id)
    assert (again.redelivery_of, again.event_id) == (delivery.id, delivery.event_id)
    assert receiver.wait("/client", 2)[-1].body == got.body
    assert [d.id for d in client.list_deliveries(made.id)] == [again.id, delivery.id]  # newest first

    client.delete_webhook(made.id)
    assert client.list_webhooks() == []
    with pytest.raises(ApiError) as gone:
        client.list_deliveries(made.id)
    assert gone.value.status == 404
