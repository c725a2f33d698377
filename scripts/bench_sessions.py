"""``make bench``, the load test with the Reflex websocket in the loop (issue 15): browser-like sessions on the
Reflex backend, and the backend's memory per connected session.

Starts its own local AWS and the Reflex backend alone (``reflex run --backend-only``, the local API mounted at
``/api``, as bench_ui does), signs up one account per session, then each session is a Socket.IO client speaking
Reflex's own protocol as the browser does (the ``hydrate_and_load`` event in the CONNECT packet, then ``event``
messages with the handler's full name and the page's router data): it signs in through the sign-in page's handler,
then for ``--seconds`` opens views (the pages' ``on_load``), adds tasks with quick add, completes one, searches,
with think time. Per operation: the time to the first delta (what the screen shows first) and until the session
is quiet again (the API call done and reconciled; a quiet gap of ``QUIET_S`` marks the end and is not counted).

Memory: the RSS of the Reflex backend's processes (psutil, the whole process group) after one warm-up session,
then with ``--sessions`` sessions connected and signed in, and after the run; per session = the growth / sessions.

    PYTHONPATH=. python -m scripts.bench_sessions [--sessions 10] [--seconds 30]
"""

from __future__ import annotations

import argparse
import gc
import json
import queue
import random
import statistics
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil
import socketio

from backend.local.testing import free_port, local_aws
from scripts.bench import PASSWORD, signed_in_user
from taskmanager_pro import routes
from taskmanager_pro.state.tasks import PROVISIONAL

NAMESPACE = "/_event"  # the frontend's io(".../_event", {path: "/_event"}): the URL's path is the namespace too
QUIET_S = 0.3  # no message for this long: the operation is over
OP_TIMEOUT_S = 15.0
SEEDED = 5  # tasks per account, due today, made through the API before the run
WORDS = ("invoice", "report", "groceries", "dentist", "review", "garden")


def handler_names() -> dict[str, str]:
    """The full names the frontend sends (``<state path>.<handler>``), from the app's own state classes."""
    import reflex as rx
    from reflex import constants

    from taskmanager_pro.state.auth import AuthState
    from taskmanager_pro.state.quick_add import QuickAddState
    from taskmanager_pro.state.tasks import TasksState

    root = rx.State.get_full_name()
    return {
        "hydrate_and_load": f"{root}.{constants.CompileVars.HYDRATE_AND_LOAD}",
        "on_load_internal": f"{root}.{constants.CompileVars.ON_LOAD_INTERNAL}",
        "sign_in": f"{AuthState.get_full_name()}.sign_in",
        "quick_add": f"{QuickAddState.get_full_name()}.save",
        "complete": f"{TasksState.get_full_name()}.toggle_done",
        "search": f"{TasksState.get_full_name()}.set_search",
    }


def _rows(value: Any, into: dict[str, dict[str, Any]]) -> None:
    """The list's task rows anywhere in a delta (the UI's row shape: id, title, done, ...)."""
    if isinstance(value, dict):
        if {"id", "title", "done"} <= value.keys() and isinstance(value["id"], str):
            into[value["id"]] = value
        else:
            for inner in value.values():
                _rows(inner, into)
    elif isinstance(value, list):
        for inner in value:
            _rows(inner, into)


Done = Callable[["Session"], bool]


class Session:
    """One browser tab: a Socket.IO connection to ``/_event`` with its own Reflex token. It keeps what the operations
    wait for from the deltas: the task rows, the list's pending ids and loading flag, the signed-in flag."""

    def __init__(self, url: str, names: dict[str, str]) -> None:
        self.url, self.names = url, names
        self.token = str(uuid.uuid4())
        self.sio = socketio.Client(reconnection=False)
        self.inbox: queue.Queue[float] = queue.Queue()
        self.rows: dict[str, dict[str, Any]] = {}
        self.pending: list[str] = []
        self.loading = self.loaded = False
        self.list_updates = 0  # deltas of the list's state so far
        self.signed_in = False
        self.path = routes.SIGN_IN
        self.added = self.completed = 0
        self.sio.on("event", self._on_update, namespace=NAMESPACE)

    def _on_update(self, update: Any) -> None:
        delta = update.get("delta", {}) if isinstance(update, dict) else {}
        for state, values in delta.items():
            if not isinstance(values, dict):
                continue
            if state.endswith("tasks_state"):
                if "groups_rx_state_" in values:  # the rows on screen now
                    shown: dict[str, dict[str, Any]] = {}
                    _rows(values["groups_rx_state_"], shown)
                    self.rows = shown
                self.pending = values.get("pending_rx_state_", self.pending)
                self.loading = values.get("loading_rx_state_", self.loading)
                self.loaded = values.get("loaded_rx_state_", self.loaded)
                self.list_updates += 1
            if "signed_in_rx_state_" in values:
                self.signed_in = values["signed_in_rx_state_"]
        self.inbox.put(time.perf_counter())

    def _event(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "payload": payload, "router_data": {"pathname": self.path, "asPath": self.path}}

    def connect(self) -> None:
        boot = self._event(self.names["hydrate_and_load"], {})
        self.sio.connect(
            f"{self.url}?token={self.token}",
            socketio_path="/_event",
            transports=["websocket"],
            auth={"event": boot},
            namespaces=[NAMESPACE],
            wait_timeout=20,
        )
        self._settle(time.perf_counter(), None)

    def _settle(self, sent: float, done: Done | None) -> tuple[float, float]:
        """(ms to the first message, ms until ``done`` holds) after ``sent``; without ``done``, until the last message
        before a quiet gap. Then waits for the tab to be quiet, so the next operation starts clean (not counted)."""
        first = finished = None
        deadline = sent + OP_TIMEOUT_S
        while time.perf_counter() < deadline:
            wait = QUIET_S if first is not None and (done is None or finished is not None) else 0.5
            try:
                at = self.inbox.get(timeout=wait)
            except queue.Empty:
                if first is not None and (done is None or finished is not None):
                    break
                continue
            first = first if first is not None else at
            if done is None or (finished is None and done(self)):
                finished = at
        if first is None or finished is None:
            raise TimeoutError(f"not done within {OP_TIMEOUT_S} s")
        return (first - sent) * 1000, (finished - sent) * 1000

    def send(self, name: str, payload: dict[str, Any], done: Done | None = None) -> tuple[float, float]:
        while not self.inbox.empty():
            self.inbox.get_nowait()
        sent = time.perf_counter()
        self.sio.emit("event", self._event(self.names[name], payload), namespace=NAMESPACE)
        return self._settle(sent, done)

    def open(self, path: str) -> tuple[float, float]:
        """A navigation: the router's ``on_load_internal`` with the new page's router data; done when the list's state
        has changed and shows a loaded list (cached rows count: that is what the screen shows)."""
        self.path = path
        before = self.list_updates

        def shown(tab: Session) -> bool:
            return tab.list_updates > before and tab.loaded and not tab.loading

        return self.send("on_load_internal", {}, shown)

    def sign_in(self, email: str) -> tuple[float, float]:
        return self.send("sign_in", {"form": {"email": email, "password": PASSWORD}}, lambda tab: tab.signed_in)

    def quick_add(self, title: str, suffix: str) -> tuple[float, float]:
        """Done when its provisional row is no longer pending (the API answered and the row was reconciled, or moved
        out of a view it does not belong to)."""
        seen = [False]

        def saved(tab: Session) -> bool:
            provisional = any(task_id.startswith(PROVISIONAL) for task_id in tab.pending)
            seen[0] = seen[0] or provisional
            return seen[0] and not provisional

        return self.send("quick_add", {"form": {"text": f"{title} {suffix}"}}, saved)

    def complete(self, task_id: str) -> tuple[float, float]:
        """Done when the task is no longer pending (the API answered and the row was reconciled)."""
        seen = [False]

        def answered(tab: Session) -> bool:
            seen[0] = seen[0] or task_id in tab.pending
            return seen[0] and task_id not in tab.pending

        return self.send("complete", {"task_id": task_id}, answered)

    def search(self, typed: str) -> tuple[float, float]:
        """Done when the list's state has changed and shows a loaded list (a cached search counts)."""
        before = self.list_updates

        def listed(tab: Session) -> bool:
            return tab.list_updates > before and tab.loaded and not tab.loading

        return self.send("search", {"value": typed}, listed)

    def close(self) -> None:
        self.sio.disconnect()


def backend_rss(workdir: Path) -> int:
    """Bytes of resident memory of the Reflex backend's processes (those running in its app copy's directory)."""
    total = 0
    for process in psutil.process_iter():
        try:
            if Path(process.cwd()) == workdir:
                total += process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def _summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))], 1)

    return {"n": len(samples), "p50_ms": round(statistics.median(samples), 1), "p95_ms": pct(95), "p99_ms": pct(99)}


def scenario(
    session: Session,
    email: str,
    until: float,
    timings: dict[str, list[tuple[float, float]]],
    errors: Counter[str],
) -> None:
    """The load test's mix, through the UI's handlers; one session per thread."""

    def record(name: str, figures: tuple[float, float]) -> None:
        timings[name].append(figures)  # (list.append is atomic: the threads share the lists)

    rng = random.Random(email)  # noqa: S311 - which click comes next, nothing secret
    while time.perf_counter() < until:
        choice = rng.random()
        try:
            if choice < 0.4:
                name = "open view"
                record(name, session.open(rng.choice([routes.TODAY, routes.INBOX, routes.UPCOMING])))
            elif choice < 0.6:
                name = "quick add"
                title = f"{rng.choice(WORDS)} {uuid.uuid4().hex[:6]}"
                session.added += 1  # (counted before: a timed-out add may still be saved)
                record(name, session.quick_add(title, f"tomorrow p{rng.randint(1, 4)}"))
            elif choice < 0.75:
                name = "complete"
                rows = [r for r in list(session.rows.values()) if not r["done"] and len(r["id"]) == 26]
                if rows:
                    target = rng.choice(rows)
                    target["done"] = True  # (a completed row leaves the list: never pick it again)
                    session.completed += 1
                    record(name, session.complete(target["id"]))
            else:
                name = "search"
                record(name, session.search(rng.choice(WORDS)[:4]))
                with suppress(TimeoutError):
                    session.search("")  # clear it again (not counted)
        except TimeoutError:
            errors[name] += 1
        time.sleep(rng.uniform(0.5, 2.5))


@contextmanager
def reflex_stack() -> Iterator[tuple[str, Path]]:
    """Local AWS + the Reflex backend alone; yields its URL and the directory its processes run in."""
    from tests.e2e.reflex_app import reflex_backend

    with local_aws(port=free_port()) as local:
        port = free_port()
        url = f"http://localhost:{port}"
        env = {**local.env, "TMP_API_URL": f"{url}/api", "TMP_APP_URL": url, "TMP_LOCAL_API": "1"}
        with reflex_backend(port=port, env=env) as running:
            yield url, running.log.parent


def _check_writes(api_url: str, tabs: list[Session], tokens: list[str]) -> dict[str, Any]:
    """What the sessions did through the UI's handlers, read back from the API: every quick add is a task, every
    completion a done task (each account was used by its session only)."""
    problems = []
    for tab, token in zip(tabs, tokens, strict=True):
        answer = httpx.get(
            f"{api_url}/tasks",
            params={"view": "all", "status": "all", "limit": 200},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        answer.raise_for_status()
        items = answer.json()["items"]
        done = sum(item["status"] == "done" for item in items)
        if (len(items), done) != (SEEDED + tab.added, tab.completed):
            problems.append(f"{len(items)} tasks, {done} done; the session: {tab.added} added, {tab.completed} done")
    return {
        "tasks_added": sum(tab.added for tab in tabs),
        "tasks_completed": sum(tab.completed for tab in tabs),
        "sessions_not_matching": len(problems),
        "problems": problems[:10],
    }


def run(*, sessions: int, seconds: int) -> dict[str, Any]:
    names = handler_names()
    began = time.perf_counter()
    with reflex_stack() as (url, workdir):
        started_s = time.perf_counter() - began
        users = [signed_in_user(f"{url}/api") for _ in range(sessions + 1)]
        accounts = [email for email, _ in users]
        for _, tokens in users:  # a few tasks due today, so each list has rows to complete from the start
            headers = {"Authorization": f"Bearer {tokens.access_token}"}
            for i in range(SEEDED):
                task = {"title": f"{WORDS[i % len(WORDS)]} seeded {i}", "due_date": date.today().isoformat()}
                httpx.post(f"{url}/api/tasks", json=task, headers=headers, timeout=30).raise_for_status()
        # one warm-up session: imports, caches and the state manager's first use are not a session's cost
        warm = Session(url, names)
        warm.connect()
        warm.sign_in(accounts[0])
        warm.open(routes.TODAY)
        warm.close()
        gc.collect()
        time.sleep(1.0)
        rss_before = backend_rss(workdir)
        tabs = [Session(url, names) for _ in range(sessions)]
        sign_in: list[tuple[float, float]] = []
        for tab, email in zip(tabs, accounts[1:], strict=True):
            tab.connect()
            sign_in.append(tab.sign_in(email))
            tab.open(routes.TODAY)
        time.sleep(1.0)
        rss_connected = backend_rss(workdir)
        timings: dict[str, list[tuple[float, float]]] = defaultdict(list)
        errors: Counter[str] = Counter()
        until = time.perf_counter() + seconds
        threads = [
            threading.Thread(target=scenario, args=(tab, email, until, timings, errors), daemon=True)
            for tab, email in zip(tabs, accounts[1:], strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
        rss_after = backend_rss(workdir)
        for tab in tabs:
            tab.close()
        check = _check_writes(f"{url}/api", tabs, [tokens.access_token for _, tokens in users[1:]])
    operations = {
        name: {
            "first_delta": _summary([first for first, _ in samples]),
            "settled": _summary([settled for _, settled in samples]),
        }
        for name, samples in sorted({"sign in": sign_in, **timings}.items())
        if samples
    }
    return {
        "errors": dict(errors),
        "check": check,
        "sessions": sessions,
        "seconds": seconds,
        "backend_start_seconds": round(started_s, 1),
        "operations": operations,
        "operations_per_second": round(sum(len(s) for s in timings.values()) / seconds, 2),
        "memory": {
            "rss_after_warm_up_mib": round(rss_before / 2**20, 1),
            "rss_sessions_connected_mib": round(rss_connected / 2**20, 1),
            "rss_after_run_mib": round(rss_after / 2**20, 1),
            "per_session_connected_kib": round((rss_connected - rss_before) / sessions / 1024),
            "per_session_after_run_kib": round((rss_after - rss_before) / sessions / 1024),
        },
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\nReflex websocket in the loop: {report['sessions']} browser-like sessions for {report['seconds']} s "
        f"({report['operations_per_second']} operations/s)"
    )
    print(f"{'operation':14} {'n':>4}  {'first delta p50/p95/p99 ms':>28}  {'settled p50/p95/p99 ms':>26}")
    for name, row in report["operations"].items():
        first, settled = row["first_delta"], row["settled"]
        print(
            f"{name:14} {first['n']:4}  {first['p50_ms']:8.0f} {first['p95_ms']:8.0f} {first['p99_ms']:8.0f}    "
            f"{settled['p50_ms']:8.0f} {settled['p95_ms']:8.0f} {settled['p99_ms']:8.0f}"
        )
    print(f"operations not done within {OP_TIMEOUT_S:.0f} s: {sum(report['errors'].values())} {report['errors']}")
    check = report["check"]
    print(
        f"read back from the API: {check['tasks_added']} quick adds, {check['tasks_completed']} completions; "
        f"sessions whose tasks do not match: {check['sessions_not_matching']}"
    )
    for problem in check["problems"]:
        print(f"  ! {problem}")
    memory = report["memory"]
    print(
        f"Reflex backend RSS: {memory['rss_after_warm_up_mib']} MiB after a warm-up session, "
        f"{memory['rss_sessions_connected_mib']} MiB with {report['sessions']} signed in, "
        f"{memory['rss_after_run_mib']} MiB after the run: {memory['per_session_connected_kib']} KiB per connected "
        f"session ({memory['per_session_after_run_kib']} KiB after the run)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_sessions", description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--output", type=Path, default=Path(".local/bench/sessions.json"))
    args = parser.parse_args(argv)
    report = run(sessions=args.sessions, seconds=args.seconds)
    print_report(report)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
