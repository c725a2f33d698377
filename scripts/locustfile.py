# ruff: noqa: S311 - random picks a simulated user's next click, nothing secret
"""The load test's simulated users (locust, run headless by ``scripts/bench_load.py``; not imported by anything else).

Each simulated user is one signed-up account (``BENCH_LOAD_ACCOUNTS``: a JSON list of ``{"user_id", "token"}``)
working in the web app's pace: it loads its lists, adds a task as quick add does (``POST /tasks`` with an
``Idempotency-Key``), completes one, edits one (``PATCH`` with the version it holds), searches, and asks to upload a
file. Every write the API acknowledged is recorded (the task's last acknowledged version, title and status; the
attachment ids) and written to ``BENCH_LOAD_ACKS`` when the run stops, so the harness can check each one is stored.

Only the standard library and locust: locust's gevent patches this process, which must not load the backend.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

ACCOUNTS: list[dict[str, str]] = (
    json.loads(Path(os.environ["BENCH_LOAD_ACCOUNTS"]).read_text()) if os.environ.get("BENCH_LOAD_ACCOUNTS") else []
)
WORDS = ("invoice", "report", "groceries", "dentist", "review", "garden", "taxes", "slides")
_next_account = itertools.count()
_lock = threading.Lock()
# user_id -> {"tasks": {task_id: {"version", "title", "status", "in_flight"}}, "attachments": [[task_id, id], ...]}
ACKS: dict[str, dict[str, Any]] = {}


class AppUser(HttpUser):
    """A person using the app: think time between clicks, one account each (so its writes never conflict)."""

    wait_time = between(0.5, 2.5)

    def on_start(self) -> None:
        with _lock:
            account = ACCOUNTS[next(_next_account) % len(ACCOUNTS)]
        self.user_id = account["user_id"]
        self.client.headers["Authorization"] = f"Bearer {account['token']}"
        self.acks = ACKS.setdefault(self.user_id, {"tasks": {}, "attachments": []})
        self.open: dict[str, dict[str, Any]] = {}  # what the screen holds: open tasks by id
        self._list("/tasks?view=all&status=open&limit=100", "GET /tasks view=all")

    # --- reads -------------------------------------------------------------------------------------------------
    def _list(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            for item in answer.json()["items"]:
                if item["status"] == "open":
                    self.open[item["id"]] = item

    @task(15)
    def today(self) -> None:
        self._list("/tasks?view=today&limit=50", "GET /tasks view=today")

    @task(10)
    def inbox(self) -> None:
        self._list("/tasks?view=inbox&limit=50", "GET /tasks view=inbox")

    @task(5)
    def upcoming(self) -> None:
        self._list("/tasks?view=upcoming&limit=50", "GET /tasks view=upcoming")

    @task(10)
    def search(self) -> None:
        word = random.choice(WORDS)
        typed = word[: random.randint(3, len(word))]  # the box searches as you type: a prefix or the word
        self._list(f"/tasks?view=all&status=open&q={typed}&limit=50", "GET /tasks?q= (search)")

    # --- writes ------------------------------------------------------------------------------------------------
    def _ack(self, item: dict[str, Any]) -> None:
        self.acks["tasks"][item["id"]] = {
            "version": item["version"],
            "title": item["title"],
            "status": item["status"],
            "in_flight": False,
        }
        if item["status"] == "open":
            self.open[item["id"]] = item
        else:
            self.open.pop(item["id"], None)

    def _in_flight(self, task_id: str) -> None:
        known = self.acks["tasks"].get(task_id)
        if known is not None:
            known["in_flight"] = True  # if the run stops before the answer, a newer stored version is fine

    @task(15)
    def quick_add(self) -> None:
        title = f"{random.choice(WORDS)} {uuid.uuid4().hex[:6]}"
        body: dict[str, Any] = {"title": title, "priority": random.randint(1, 4)}
        if random.random() < 0.5:
            body["due_date"] = (date.today() + timedelta(days=random.randint(0, 10))).isoformat()
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        with self.client.post(
            "/tasks", json=body, headers=headers, name="POST /tasks (quick add)", catch_response=True
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            self._ack(answer.json())

    def _some_open(self) -> dict[str, Any] | None:
        return random.choice(list(self.open.values())) if self.open else None

    @task(10)
    def complete(self) -> None:
        target = self._some_open()
        if target is None:
            return
        self._in_flight(target["id"])
        with self.client.post(
            f"/tasks/{target['id']}/complete", name="POST /tasks/{id}/complete", catch_response=True
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            self._ack(answer.json())

    @task(15)
    def edit(self) -> None:
        target = self._some_open()
        if target is None:
            return
        self._in_flight(target["id"])
        body = {"version": target["version"], "title": f"{random.choice(WORDS)} edited {uuid.uuid4().hex[:6]}"}
        if random.random() < 0.3:
            body["priority"] = random.randint(1, 4)
        with self.client.patch(
            f"/tasks/{target['id']}", json=body, name="PATCH /tasks/{id}", catch_response=True
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            self._ack(answer.json())

    @task(5)
    def attach(self) -> None:
        target = self._some_open()
        if target is None:
            return
        body = {"name": f"scan-{uuid.uuid4().hex[:6]}.pdf", "content_type": "application/pdf", "size": 120_000}
        with self.client.post(
            f"/tasks/{target['id']}/attachments",
            json=body,
            name="POST /tasks/{id}/attachments",
            catch_response=True,
        ) as answer:
            if answer.status_code != 201:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return
            self.acks["attachments"].append([target["id"], answer.json()["attachment"]["id"]])


@events.test_stop.add_listener
def _write_acks(**_: Any) -> None:
    target = os.environ.get("BENCH_LOAD_ACKS")
    if target:
        Path(target).write_text(json.dumps(ACKS))
