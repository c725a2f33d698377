"""Issue 14's figures: calendar feed generation at 1 000 tasks, and import of a 2 000-row Todoist CSV.

Stand-alone: starts its own local AWS (moto) and local API on free ports, signs up two users, prints figures only.
  PYTHONPATH=. .venv/bin/python scripts/bench_feed.py
"""

from __future__ import annotations

import re
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import jwt

from backend.bootstrap import dependencies
from backend.client import ApiClient, CognitoAuth, Tokens
from backend.domain import calendar_feed
from backend.domain.tasks import Task, new_id
from backend.local.testing import free_port, local_aws, serve_local_api
from backend.services import importer

HEADER = "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE,DURATION,DURATION_UNIT\n"
DATES = ("tomorrow", "next monday 9am", "every friday", "dec 24", "in 3 days 17:30", "every 2 weeks")
PASSWORD = "Bench-Password-42"  # noqa: S105 - a throwaway user on a throwaway emulator


def todoist_csv(rows: int, *, dated: bool, subtasks: bool = True) -> str:
    """``rows`` task rows the way Todoist exports them: 20 sections, a subtask every 10th, a note every 7th."""
    lines = [HEADER]
    per_section = max(rows // 20, 1)
    for i in range(rows):
        if i % per_section == 0:
            lines.append(f"section,Section {i // per_section},,,,,,,,,,\n")
        indent = 2 if subtasks and i % 10 == 9 else 1
        when = DATES[i % len(DATES)] if dated or i % 2 else ""
        lines.append(f"task,Task {i} @label{i % 20},Description {i},{1 + i % 4},{indent},Ann (1),,{when},en,UTC,,\n")
        if i % 7 == 0:
            lines.append(f"note,Note on task {i},,,,Ann (1),,,,,,\n")
        lines.append("\n")
    return "".join(lines)


def sign_up(api_url: str, auth: CognitoAuth) -> tuple[dict[str, str], str]:
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    auth.sign_up(email, PASSWORD)
    body = next(m.body for m in reversed(ApiClient(api_url).outbox()) if email in m.to)
    match = re.search(r"\b(\d{6})\b", body)
    assert match is not None
    auth.confirm_sign_up(email, match.group(1))
    tokens = auth.sign_in(email, PASSWORD)
    assert isinstance(tokens, Tokens)
    sub = str(jwt.decode(tokens.access_token, options={"verify_signature": False})["sub"])
    return {"Authorization": f"Bearer {tokens.access_token}"}, sub


def pure_build(n: int) -> float:
    now = datetime.now(UTC)
    tasks = [
        Task(
            id=new_id(),
            user_id="u",
            project_id="inbox",
            title=f"Task {i}",
            created_at=now,
            updated_at=now,
            due_date=date.today() + timedelta(days=i % 60),
            due_time=None if i % 3 else datetime(2026, 1, 1, 9 + i % 8).time(),
            recurrence="FREQ=WEEKLY" if i % 10 == 0 else None,
        )
        for i in range(n)
    ]
    started = time.perf_counter()
    calendar_feed.build(tasks, timezone="Europe/Berlin", now=now, project_names={})
    return time.perf_counter() - started


def in_process_import(sub: str, content: str) -> tuple[float, dict[str, int]]:
    """The import service itself on the local stack, without the per-request write budget: the whole file's time."""
    deps = dependencies()
    user = deps.users.get(sub)
    assert user is not None
    started = time.perf_counter()
    outcome = importer.import_file(
        store=deps.tasks,
        memberships=deps.memberships,
        user=user,
        file_format="todoist-csv",
        content=content,
        project_id=None,
        now=deps.clock(),
        budget=None,
    )
    counts = {"tasks": outcome.tasks, "projects": outcome.projects, "labels": outcome.labels}
    return time.perf_counter() - started, counts


def main() -> None:
    print(f"feed build, pure (1000 tasks, no I/O): {pure_build(1000) * 1000:.0f} ms")
    with local_aws(port=free_port()), serve_local_api(free_port()) as api_url:
        auth = CognitoAuth(ApiClient(api_url).config())
        with httpx.Client(base_url=api_url, timeout=600) as http:
            feed_user, feed_sub = sign_up(api_url, auth)
            http.patch("/me", headers=feed_user, json={"timezone": "Europe/Berlin"}).raise_for_status()
            took, counts = in_process_import(feed_sub, todoist_csv(1000, dated=True, subtasks=False))
            print(f"setup: 1000 dated tasks imported in {took:.1f} s ({counts})")
            url = http.post("/me/calendar-feed", headers=feed_user).json()["url"]
            parts = urlsplit(url)
            path = parts.path[parts.path.index("/feeds/") :] + "?" + parts.query
            samples, events, size = [], 0, 0
            for _ in range(5):
                started = time.perf_counter()
                response = http.get(path)
                samples.append(time.perf_counter() - started)
                response.raise_for_status()
                events, size = response.text.count("BEGIN:VEVENT"), len(response.content)
            print(
                f"GET feed, {events} events (local API on moto): median {statistics.median(samples) * 1000:.0f} ms, "
                f"max {max(samples) * 1000:.0f} ms, {size // 1024} KB"
            )

            content = todoist_csv(2000, dated=False)
            print(f"Todoist CSV: 2000 task rows, {content.count(chr(10))} lines, {len(content) // 1024} KB")
            http_user, _ = sign_up(api_url, auth)
            started = time.perf_counter()
            result = http.post("/import", headers=http_user, json={"format": "todoist-csv", "content": content})
            result.raise_for_status()
            body = result.json()
            stopped = [p["line"] for p in body["problems"] if p["message"].startswith("stopped here")]
            print(
                f"POST /api/import (one request, {importer.WRITE_BUDGET_SECONDS:.0f} s write budget): "
                f"{time.perf_counter() - started:.1f} s, created {body['created']}, stopped at line {stopped or '-'}"
            )
            _, whole_sub = sign_up(api_url, auth)
            took, counts = in_process_import(whole_sub, content)
            print(f"import service, whole 2000-row file (no budget): {took:.1f} s, created {counts}")


if __name__ == "__main__":
    main()
