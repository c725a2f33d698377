"""Shared projects' figures (issue 13), through the real API on the local emulator.

``PYTHONPATH=. .venv/bin/python -m scripts.bench_sharing [-n 60]``. Starts its own local AWS and API on free ports.

1. **Views of a member vs a personal-only user**: ``member`` is in 3 shared projects of 1 000 tasks each (made shared
   through the API: the first invitation moves the project), ``solo`` has 3 000 personal tasks in 3 projects; the same
   due dates. ``GET /api/tasks?view=today`` and ``?view=upcoming`` (50 a page): DynamoDB calls per request (counted
   on the clients) and p50 / p95 latency; the ratio member / solo (goal <= 1.3).
2. **Invitation -> accepted -> visible**: the owner invites a signed-up user, who lists their invitations, accepts,
   and reads the project's first page: the time of each step and of the whole, end to end.

Prints the figures, then the same as JSON (also in .local/bench/sharing.json).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from backend.adapters.task_store.mapping import task_item
from backend.adapters.task_store.models import INDEXED, SearchIndexedModel, TaskModel
from backend.domain.sharing import project_partition
from backend.domain.tasks import Task, new_id, position_after
from backend.local.bootstrap import local_client
from backend.local.dynamodb_calls import recorded_calls
from backend.local.environment import LOCAL_REGION
from backend.local.testing import free_port, local_aws, serve_local_api
from scripts.bench import signed_in_user

OUTPUT = Path(".local/bench/sharing.json")
PROJECTS = 3
TASKS_PER_PROJECT = 1_000
WARMUP = 5


def seed(partition: str, project_id: str, count: int) -> None:
    """``count`` tasks of a project straight into its partition (the API would take minutes): due dates spread over
    5 days ago .. 24 days ahead, so Today and Upcoming both have more than a page. No search words: nothing here
    searches, and they would quadruple the items to seed."""
    now = datetime.now(UTC)
    position: str | None = None
    with TaskModel.batch_write() as batch:
        for i in range(count):
            position = position_after(position)
            task = Task(
                id=new_id(),
                user_id=partition,
                project_id=project_id,
                title=f"seeded task {i}",
                created_at=now,
                updated_at=now,
                due_date=date.today() + timedelta(days=i % 30 - 5),
                priority=i % 4 + 1,
                position=position,
            )
            item = task_item(task)
            item.version = 1
            batch.save(item)
    SearchIndexedModel(user_id=partition, sk=INDEXED, indexed_at=now).save()


def _summary(samples: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50_ms": round(statistics.median(samples), 1), "p95_ms": round(cuts[94], 1)}


def measure(http: httpx.Client, path: str, n: int) -> dict[str, Any]:
    """Latency of ``n`` requests after a warm-up, and the DynamoDB calls of one."""
    for _ in range(WARMUP):
        http.get(path).raise_for_status()
    with recorded_calls(request_threads_only=True) as recorded:
        answer = http.get(path)
    calls = Counter(name for name, _ in recorded)
    answer.raise_for_status()
    samples = []
    for _ in range(n):
        began = time.perf_counter()
        http.get(path).raise_for_status()
        samples.append((time.perf_counter() - began) * 1000)
    return {
        **_summary(samples),
        "items": len(answer.json()["items"]),
        "dynamodb_calls": sum(calls.values()),
        "calls_by_operation": dict(sorted(calls.items())),
    }


def client(api_url: str) -> tuple[str, httpx.Client]:
    email, tokens = signed_in_user(api_url)
    http = httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {tokens.access_token}"}, timeout=30)
    return email, http


def shared_project(owner: httpx.Client, invitee_email: str, name: str) -> str:
    """A project the owner shares (the first invitation makes it shared: its partition ``P#<id>``)."""
    project = owner.post("/projects", json={"name": name})
    project.raise_for_status()
    project_id = str(project.json()["id"])
    owner.post(f"/projects/{project_id}/members", json={"email": invitee_email, "role": "editor"}).raise_for_status()
    return project_id


def views(member: httpx.Client, solo: httpx.Client, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for view in ("today", "upcoming"):
        path = f"/tasks?view={view}&limit=50"
        shared, personal = measure(member, path, n), measure(solo, path, n)
        out[view] = {
            "member_3_shared_projects": shared,
            "solo_personal_only": personal,
            "ratio_p50": round(shared["p50_ms"] / personal["p50_ms"], 2),
            "ratio_p95": round(shared["p95_ms"] / personal["p95_ms"], 2),
        }
    return out


def timed(step: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    began = time.perf_counter()
    answer = step()
    answer.raise_for_status()
    return (time.perf_counter() - began) * 1000, answer


def invitation_to_visible(owner: httpx.Client, project_id: str, api_url: str, rounds: int) -> dict[str, Any]:
    """Invite -> the invitee lists it -> accepts -> reads the project's first page (with its tasks)."""
    totals: list[float] = []
    steps: dict[str, list[float]] = {"invite": [], "list_invitations": [], "accept": [], "first_page": []}
    for _ in range(rounds):
        email, guest = client(api_url)
        began = time.perf_counter()
        ms, invited = timed(partial(owner.post, f"/projects/{project_id}/members", json={"email": email}))
        steps["invite"].append(ms)
        ms, mine = timed(partial(guest.get, "/invitations"))
        steps["list_invitations"].append(ms)
        invitation_id = next(i["id"] for i in mine.json()["items"] if i["project_id"] == project_id)
        ms, _ = timed(partial(guest.post, f"/invitations/{invitation_id}/accept"))
        steps["accept"].append(ms)
        ms, page = timed(partial(guest.get, f"/tasks?project_id={project_id}&limit=50"))
        steps["first_page"].append(ms)
        if not page.json()["items"]:
            raise RuntimeError("the new member sees no task of the project")
        totals.append((time.perf_counter() - began) * 1000)
        guest.close()
        assert invited.status_code == 201
    return {
        "rounds": rounds,
        "total_p50_ms": round(statistics.median(totals), 1),
        "total_max_ms": round(max(totals), 1),
        "steps_p50_ms": {name: round(statistics.median(values), 1) for name, values in steps.items()},
    }


def run(n: int, rounds: int) -> dict[str, Any]:
    with local_aws(port=free_port()) as local, serve_local_api(free_port()) as api_url:
        assert local.streams is not None
        # The seeded tasks' stream records (6 000 tasks and their words) would keep the live and analytics
        # consumers busy for minutes on the same CPUs: no background delivery while seeding and measuring, and
        # the seed's records are dropped (what they would update is no figure here).
        with local.streams.paused():
            result = _run(api_url, n, rounds, endpoint=local.endpoint)
            local.streams.collect()
        return result


def raw_baseline(endpoint: str, solo_key: str, member_keys: list[str], n: int) -> dict[str, Any]:
    """The same reads without our code: one raw ``by_status_due`` Query of the solo user's open tasks vs the member's
    1 + 3 Queries run in parallel as the store runs them (a pool of 8), each limited to a page, on this emulator.
    moto walks the whole table for a GSI Query, so this ratio is what the emulator charges for 4 Queries."""
    dynamodb = local_client("dynamodb", endpoint, LOCAL_REGION)
    table = TaskModel.Meta.table_name

    def query(key: str) -> None:
        dynamodb.query(
            TableName=table,
            IndexName="by_status_due",
            KeyConditionExpression="status_pk = :pk",
            ExpressionAttributeValues={":pk": {"S": key}},
            Limit=51,
        )

    def sample(keys: list[str]) -> list[float]:
        samples = []
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(n):
                began = time.perf_counter()
                list(pool.map(query, keys))
                samples.append((time.perf_counter() - began) * 1000)
        return samples

    member, solo = _summary(sample(member_keys)), _summary(sample([solo_key]))
    return {
        "member_raw_queries": len(member_keys),
        "member": member,
        "solo": solo,
        "ratio_p50": round(member["p50_ms"] / solo["p50_ms"], 2),
    }


def _run(api_url: str, n: int, rounds: int, *, endpoint: str) -> dict[str, Any]:
    _, member = client(api_url)
    _, solo = client(api_url)
    partner_email, partner = client(api_url)
    member.get("/projects").raise_for_status()  # the Inbox first, as the UI's first load does
    solo_projects, shared_projects = [], []
    for i in range(PROJECTS):
        print(f"seeding project {i + 1} of {PROJECTS} (and one of the solo user's)", file=sys.stderr, flush=True)
        project_id = shared_project(member, partner_email, f"Team {i}")
        seed(project_partition(project_id), project_id, TASKS_PER_PROJECT)
        shared_projects.append(project_id)
        created = solo.post("/projects", json={"name": f"Mine {i}"})
        created.raise_for_status()
        solo_projects.append(created.json()["id"])
    solo_id = solo.get("/me").json()["id"]
    for mine in solo_projects:
        seed(solo_id, mine, TASKS_PER_PROJECT)
    result = {
        "setup": {
            "member": f"{PROJECTS} shared projects x {TASKS_PER_PROJECT} tasks (no personal task)",
            "solo": f"{PROJECTS} personal projects x {TASKS_PER_PROJECT} tasks",
            "requests_per_view": n,
        },
        "views": views(member, solo, n),
        "raw_emulator_baseline": raw_baseline(
            endpoint,
            f"{solo_id}#open",
            [f"{member.get('/me').json()['id']}#open", *(f"{project_partition(p)}#open" for p in shared_projects)],
            n,
        ),
        "invitation_to_visible": invitation_to_visible(member, project_id, api_url, rounds),
    }
    for http in (member, solo, partner):
        http.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=60, help="requests per view and user")
    parser.add_argument("--rounds", type=int, default=5, help="invitations to accept")
    args = parser.parse_args(argv)
    result = run(args.n, args.rounds)
    for view, figures in result["views"].items():
        shared, solo = figures["member_3_shared_projects"], figures["solo_personal_only"]
        print(
            f"{view:9} member: {shared['dynamodb_calls']} calls p50 {shared['p50_ms']} ms p95 {shared['p95_ms']} ms | "
            f"solo: {solo['dynamodb_calls']} calls p50 {solo['p50_ms']} ms p95 {solo['p95_ms']} ms | "
            f"ratio p50 {figures['ratio_p50']} p95 {figures['ratio_p95']}"
        )
    raw = result["raw_emulator_baseline"]
    print(
        f"raw emulator: {raw['member_raw_queries']} parallel Queries p50 {raw['member']['p50_ms']} ms | "
        f"1 Query p50 {raw['solo']['p50_ms']} ms | ratio p50 {raw['ratio_p50']} (what moto charges; ours above)"
    )
    flow = result["invitation_to_visible"]
    print(f"invitation -> accepted -> visible: p50 {flow['total_p50_ms']} ms, max {flow['total_max_ms']} ms")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
