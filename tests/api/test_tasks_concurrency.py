"""Optimistic locking under real concurrency: many tabs PATCH one task with the version they all read."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import httpx

from tests.conftest import SignedInUser

WRITERS = 20
Request = Callable[[int, httpx.Client], httpx.Response]


def all_at_once(
    count: int, api_url: str, headers: dict[str, str], request: Request
) -> tuple[list[tuple[int, httpx.Response]], list[BaseException]]:
    """``request(n, client)`` from ``count`` threads released together (each its own connection): the answers by
    thread number, and whatever a thread raised."""
    barrier = threading.Barrier(count)
    answers: list[tuple[int, httpx.Response]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(n: int) -> None:
        try:
            with httpx.Client(base_url=api_url, headers=headers, timeout=60) as http:
                barrier.wait(timeout=30)
                response = request(n, http)
                response.read()
            with lock:
                answers.append((n, response))
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers, errors


def test_twenty_concurrent_patches_with_one_version_exactly_one_wins(
    api_url: str, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    with httpx.Client(base_url=api_url, headers=user.headers, timeout=60) as client:
        created = client.post("/tasks", json={"title": "contended"})
        assert created.status_code == 201, created.text
        task = created.json()
    version = task["version"]

    def writer(n: int, http: httpx.Client) -> httpx.Response:
        return http.patch(f"/tasks/{task['id']}", json={"version": version, "title": f"writer {n}"})

    responses, errors = all_at_once(WRITERS, api_url, user.headers, writer)
    answers = [(response.status_code, response.json(), f"writer {n}") for n, response in responses]

    assert errors == []
    assert len(answers) == WRITERS
    statuses = Counter(status for status, _, _ in answers)
    assert statuses == {200: 1, 409: WRITERS - 1}, statuses

    (winner_body, winner_title) = next((body, title) for status, body, title in answers if status == 200)
    assert winner_body["version"] == version + 1
    assert winner_body["title"] == winner_title
    for status, body, _ in answers:
        if status == 409:
            assert body["error"]["code"] in {"stale_version", "conflict"}, body

    with httpx.Client(base_url=api_url, headers=user.headers, timeout=60) as client:
        stored = client.get(f"/tasks/{task['id']}").json()
    assert stored["version"] == version + 1
    assert stored["title"] == winner_title


READERS = 24


def test_overlapping_requests_of_every_kind_never_answer_500(
    api_url: str, make_user: Callable[[], SignedInUser]
) -> None:
    """A screen now sends its calls in parallel (a list refresh, the panel's task, its reminders, a save): the
    local API runs them on threads, and no request may lose its route or context to another (that was a 500)."""
    user = make_user()
    with httpx.Client(base_url=api_url, headers=user.headers, timeout=60) as client:
        task = client.post("/tasks", json={"title": "busy"}).json()
    paths = [
        ("GET", "/tasks?view=inbox"),
        ("GET", f"/tasks/{task['id']}"),
        ("GET", f"/tasks/{task['id']}/reminders"),
        ("GET", "/projects"),
        ("GET", "/me"),
        ("POST", "/tasks"),
    ]

    def caller(n: int, http: httpx.Client) -> httpx.Response:
        method, path = paths[n % len(paths)]
        return http.request(method, path, json={"title": f"parallel {n}"} if method == "POST" else None)

    responses, errors = all_at_once(READERS, api_url, user.headers, caller)
    statuses = Counter(response.status_code for _, response in responses)
    assert errors == []
    assert sum(statuses.values()) == READERS
    assert set(statuses) <= {200, 201}, statuses
