"""The local API's test hooks (backend/local/hooks.py, docs/local-aws.md) over HTTP, through the real request path:
``GET /api/local/requests`` counts the API calls served, ``/api/local/faults`` makes the next matching requests
fail or wait, in front of the real authorizer and handler."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from backend.local.asgi import create_local_api
from backend.local.hooks import RequestLog, path_pattern
from tests.api.conftest import assert_error_shape, claims_of
from tests.conftest import SignedInUser


@pytest.fixture(autouse=True)
def no_faults(http: httpx.Client) -> Iterator[None]:
    http.delete("/local/faults")
    yield
    http.delete("/local/faults")


def last_seq(http: httpx.Client) -> int:
    seq: int = http.get("/local/requests", params={"since": 10**9}).json()["last_seq"]
    return seq


def served_since(http: httpx.Client, seq: int, **params: str) -> list[dict[str, Any]]:
    answer = http.get("/local/requests", params={"since": seq, **params})
    assert answer.status_code == 200, answer.text
    entries: list[dict[str, Any]] = answer.json()["requests"]
    return entries


def add_fault(http: httpx.Client, **rule: Any) -> dict[str, Any]:
    answer = http.post("/local/faults", json=rule)
    assert answer.status_code == 201, answer.text
    fault: dict[str, Any] = answer.json()["fault"]
    return fault


def sub(user: SignedInUser) -> str:
    return str(claims_of(user.tokens.access_token)["sub"])


def titles(http: httpx.Client, user: SignedInUser) -> list[str]:
    answer = http.get("/tasks", params={"status": "all"}, headers=user.headers)
    assert answer.status_code == 200, answer.text
    return [task["title"] for task in answer.json()["items"]]


# --- the request log -----------------------------------------------------------------------------------------------
def test_the_log_lists_each_api_request_served_with_its_status_and_caller(
    http: httpx.Client, user: SignedInUser
) -> None:
    seq = last_seq(http)
    created = http.post("/tasks", json={"title": "Counted"}, headers=user.headers)
    assert created.status_code == 201, created.text
    task_id = created.json()["id"]
    assert http.post(f"/tasks/{task_id}/complete", headers=user.headers).status_code == 200
    assert http.get("/tasks", params={"view": "inbox"}, headers=user.headers).status_code == 200
    assert http.get("/tasks").status_code == 401  # no token: logged, without a caller
    assert http.get("/health").status_code == 200  # a public route

    entries = served_since(http, seq)
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", "/tasks", 201),
        ("POST", f"/tasks/{task_id}/complete", 200),
        ("GET", "/tasks", 200),  # the query string is not part of the path
        ("GET", "/tasks", 401),
        ("GET", "/health", 200),
    ]
    assert [e.get("user") for e in entries] == [sub(user)] * 3 + [None, None]
    assert [e["seq"] for e in entries] == list(range(seq + 1, seq + 6))
    # The hooks' own requests (these reads of the log included) are not API requests: never logged.
    assert served_since(http, entries[-1]["seq"]) == []


def test_the_log_filters_by_caller(
    http: httpx.Client, user: SignedInUser, make_user: Callable[[], SignedInUser]
) -> None:
    other = make_user()
    seq = last_seq(http)
    assert http.get("/me", headers=other.headers).status_code == 200
    assert http.get("/me", headers=user.headers).status_code == 200
    assert http.get("/projects", headers=other.headers).status_code == 200

    mine = served_since(http, seq, user=sub(other))
    assert [(e["method"], e["path"]) for e in mine] == [("GET", "/me"), ("GET", "/projects")]
    assert {e["user"] for e in mine} == {sub(other)}


def test_since_must_be_a_number(http: httpx.Client) -> None:
    assert_error_shape(http.get("/local/requests", params={"since": "yesterday"}), 422, "validation_error")


def test_the_log_keeps_only_the_newest_requests() -> None:
    log = RequestLog(size=3)
    for n in range(5):
        log.record(method="GET", path=f"/api/tasks/{n}", status=200, user=None)
    assert [entry["seq"] for entry in log.since(0)] == [3, 4, 5]
    assert [entry["path"] for entry in log.since(4)] == ["/tasks/4"]
    assert log.last_seq == 5


# --- fault injection -----------------------------------------------------------------------------------------------
def test_a_fault_fails_the_next_matching_requests_in_the_error_shape_and_nothing_is_saved(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    fault = add_fault(http, method="POST", path="/tasks", status=503, count=2)
    assert fault["remaining"] == 2
    assert http.get("/local/faults").json()["faults"] == [fault]
    seq = last_seq(http)

    for _ in range(2):
        error = assert_error_shape(
            http.post("/tasks", json={"title": "Lost"}, headers=user.headers), 503, "service_unavailable"
        )
        assert error["message"]
    assert http.get("/tasks", headers=user.headers).status_code == 200  # another method: served
    assert titles(http, user) == []  # the handler never ran
    assert http.post("/tasks", json={"title": "Saved"}, headers=user.headers).status_code == 201  # spent
    assert http.get("/local/faults").json()["faults"] == []

    statuses = [(e["method"], e["status"]) for e in served_since(http, seq) if e["path"] == "/tasks"]
    assert statuses == [("POST", 503), ("POST", 503), ("GET", 200), ("GET", 200), ("POST", 201)]


def test_a_fault_matches_a_pattern_of_segments(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    user = make_user()
    task_id = http.post("/tasks", json={"title": "Finish"}, headers=user.headers).json()["id"]
    add_fault(http, method="POST", path="/tasks/*/complete", status=500, count=1, code="boom", message="Broken.")

    assert http.post("/tasks", json={"title": "Not this one"}, headers=user.headers).status_code == 201
    error = assert_error_shape(http.post(f"/tasks/{task_id}/complete", headers=user.headers), 500, "boom")
    assert error["message"] == "Broken."
    assert http.post(f"/tasks/{task_id}/complete", headers=user.headers).status_code == 200


def test_a_fault_on_a_prefix_and_any_method(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    user = make_user()
    add_fault(http, path="/api/tasks/**", status=502, count=3)  # with the /api prefix: the same path
    assert_error_shape(http.get("/tasks", headers=user.headers), 502, "bad_gateway")
    assert_error_shape(http.post("/tasks", json={"title": "x"}, headers=user.headers), 502)
    assert_error_shape(http.get("/tasks/nope", headers=user.headers), 502)
    assert http.get("/tasks", headers=user.headers).status_code == 200


def test_a_fault_of_one_caller_leaves_the_others_alone(
    http: httpx.Client, user: SignedInUser, make_user: Callable[[], SignedInUser]
) -> None:
    other = make_user()
    add_fault(http, method="GET", path="/me", status=503, user=sub(other))
    assert http.get("/me", headers=user.headers).status_code == 200
    assert http.get("/me").status_code == 401  # the authorizer still runs first
    assert_error_shape(http.get("/me", headers=other.headers), 503)
    assert http.get("/me", headers=other.headers).status_code == 200


def test_a_delay_serves_the_request_normally_after_waiting(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    add_fault(http, method="POST", path="/tasks", delay_ms=400)
    started = time.monotonic()
    slow = http.post("/tasks", json={"title": "Slow"}, headers=user.headers)
    slow_seconds = time.monotonic() - started
    started = time.monotonic()
    fast = http.post("/tasks", json={"title": "Fast"}, headers=user.headers)
    fast_seconds = time.monotonic() - started

    assert (slow.status_code, fast.status_code) == (201, 201)
    assert slow_seconds >= 0.4
    assert fast_seconds < slow_seconds
    assert sorted(titles(http, user)) == ["Fast", "Slow"]


def test_a_delay_before_an_error(http: httpx.Client, user: SignedInUser) -> None:
    add_fault(http, method="GET", path="/me", status=504, delay_ms=300)
    started = time.monotonic()
    assert_error_shape(http.get("/me", headers=user.headers), 504, "gateway_timeout")
    assert time.monotonic() - started >= 0.3


def test_delete_clears_every_fault(http: httpx.Client, user: SignedInUser) -> None:
    add_fault(http, path="/me", status=503, count=100)
    add_fault(http, path="/projects", status=503, count=100)
    assert len(http.get("/local/faults").json()["faults"]) == 2
    assert http.delete("/local/faults").status_code == 204
    assert http.get("/local/faults").json()["faults"] == []
    assert http.get("/me", headers=user.headers).status_code == 200
    assert http.get("/projects", headers=user.headers).status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"method": "POST"},  # no path
        {"path": "/tasks", "status": 200},  # not an error status
        {"path": "/tasks", "count": 0},
        {"path": "/tasks", "delay_ms": -1},
        {"path": "/tasks", "colour": "red"},
    ],
)
def test_a_fault_that_makes_no_sense_is_refused(http: httpx.Client, rule: dict[str, Any]) -> None:
    assert_error_shape(http.post("/local/faults", json=rule), 422, "validation_error")
    assert http.get("/local/faults").json()["faults"] == []


# --- who may call the hooks (issue 12, finding 1) ---------------------------------------------------------------------
# The outbox holds every account's sign-up and reset codes; the faults change what the API answers. Only the app and
# scripts on this machine may use them: a page elsewhere sends its own Origin, a DNS-rebound name its own Host.
HOOKS = ["/local/outbox", "/local/requests", "/local/faults"]
APP_ORIGIN = "http://localhost:3000"  # TMP_APP_URL of the module's local run (backend.local.runtime.local_aws)


@pytest.mark.parametrize("path", HOOKS)
def test_the_hooks_refuse_a_page_elsewhere_and_a_rebound_host(http: httpx.Client, api_url: str, path: str) -> None:
    port = httpx.URL(api_url).port
    assert_error_shape(http.get(path, headers={"Origin": "http://evil.example"}), 403, "forbidden")
    assert_error_shape(http.get(path, headers={"Host": f"evil.example:{port}"}), 403, "forbidden")
    assert http.get(path, headers={"Origin": APP_ORIGIN}).status_code == 200
    assert http.get(path, headers={"Origin": "http://127.0.0.1:3000", "Host": f"localhost:{port}"}).status_code == 200
    assert http.get(path).status_code == 200  # a script or test on this machine


def test_a_planted_fault_from_a_page_elsewhere_is_refused(http: httpx.Client, user: SignedInUser) -> None:
    # A form or text/plain fetch needs no CORS preflight: the Origin check is what stops it.
    planted = http.post(
        "/local/faults",
        content=b'{"path": "/me", "status": 503}',
        headers={"Origin": "http://evil.example", "Content-Type": "text/plain"},
    )
    assert_error_shape(planted, 403, "forbidden")
    assert http.get("/local/faults").json()["faults"] == []
    assert http.get("/me", headers=user.headers).status_code == 200


def outbox_status(peer: str) -> int:
    """``GET /api/local/outbox`` from ``peer``: the ASGI app called as the server calls it for a client there."""

    async def get() -> int:
        transport = httpx.ASGITransport(app=create_local_api(), client=(peer, 50123))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000") as client:
            answer = await client.get("/api/local/outbox")
        if answer.status_code == 403:
            assert_error_shape(answer, 403, "forbidden")
        return answer.status_code

    return asyncio.run(get())


@pytest.mark.usefixtures("api_url")
def test_the_outbox_answers_this_machine_only() -> None:
    # Another machine reaches the API only when the run is exposed (TASKMANAGER_EXPOSE): the codes stay here.
    assert [outbox_status(peer) for peer in ("192.0.2.7", "10.1.2.3", "fd00::7")] == [403, 403, 403]
    assert [outbox_status(peer) for peer in ("127.0.0.1", "::1")] == [200, 200]


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("/tasks", "/tasks", True),
        ("/tasks", "/tasks/1", False),
        ("/tasks/*/complete", "/tasks/abc/complete", True),
        ("/tasks/*/complete", "/tasks/abc/reopen", False),
        ("/tasks/*/complete", "/tasks/a/b/complete", False),
        ("/tasks/**", "/tasks", True),
        ("/tasks/**", "/tasks/a/b", True),
        ("/tasks/**", "/tasksx", False),
        ("/api/me", "/me", True),
    ],
)
def test_path_patterns(pattern: str, path: str, matches: bool) -> None:
    assert (path_pattern(pattern).match(path) is not None) is matches
