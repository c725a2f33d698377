"""``make bench``, the browser section (issue 18 "Figures"): how long the UI takes to show what the user did, next to
the same API call measured in the same run, and how many API calls each interaction makes.

Starts its own local AWS, Reflex backend (with the local API at ``/api``) and the static export of the UI served by a
CloudFront-like static server (tests/e2e/test_static_export.py), all on free ports; signs up a user through the real
flow (Cognito + the emailed code from the outbox), signs in through the sign-in page, seeds tasks through the API, then
in headless Chromium measures ``-n`` repetitions of:

- quick add: the Enter keydown → the new row in the list;
- complete: the click on the row's checkbox → the row gone;
- view switch: the click on a sidebar link (Today ↔ Inbox) → the view's list rendered (its marker row, nothing busy);
- search: the search box's input event → exactly the matching rows shown (includes the box's 150 ms debounce);
- the same API calls with httpx from this process (POST /api/tasks, POST /api/tasks/{id}/complete,
  GET /api/tasks?view=inbox, GET /api/tasks?view=inbox&q=...): the ratio UI-visible ÷ API (p50 / p50);
- API calls per interaction, from the local API's request log (``GET /api/local/requests``, docs/local-aws.md);
- another tab sees a change: a second browser context of the same user adds a task (quick add), and the API adds
  one; the time until the row shows in the first tab. Bounded wait (``--live-timeout``): "not live yet" otherwise.

UI times are taken in the page (``performance.now()`` at the triggering DOM event, a MutationObserver until the
condition holds), so Playwright's round trips do not count. Each measurement failing prints an error line and the
others still run. Writes the figures to ``.local/bench/ui.json``.

    PYTHONPATH=. python -m scripts.bench_ui [-n 30]

Selectors it relies on (taskmanager_pro/components): a row is ``[data-task-row]`` with ``aria-label`` = its title
(and ``data-task-id``); its checkbox is ``role=checkbox`` named "Complete <title>"; the quick add input is the
textbox named "Quick add"; the search box is ``#task-search``; sidebar links are in ``nav[aria-label=Views]``;
a loading list has ``[aria-busy=true]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from backend.client import ApiClient
from backend.client.api import ProjectCreate, TaskCreate
from backend.local.testing import LocalRun, free_port, local_aws
from deploy.stacks.site import content_security_policy
from tests.e2e.conftest import BROWSER_TIMEZONE, CHROMIUM, CHROMIUM_ARGS, App
from tests.e2e.reflex_app import export_static_site, reflex_backend
from tests.e2e.test_static_export import CloudFrontLikeHandler
from tests.e2e.test_tasks import User, new_user, quick_add_input, ready, sign_in

OUTPUT = Path(".local/bench/ui.json")
SAMPLE_TIMEOUT_MS = 10_000  # one UI sample longer than this counts as failed
TYPING_PAUSE_MS = 400  # after filling the quick add line, as a user pauses (the chips need no call: parsed locally)
QUIET_MS = 250  # an interaction is over when the API has served nothing for this long
QUIET_MAX_S = 6.0
MAX_FAILURES = 3  # a section stops after this many failed samples in a row
INBOX_MARKER = "Bench inbox marker"  # in the Inbox, not in Today (no due date)
TODAY_MARKER = "Bench today marker"  # in Today, not in the Inbox (in a project, due today)
SEARCH_WORDS = ("kiwi", "mango")
SEARCH_MATCHES = 5  # tasks per search word
ID_SEGMENT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")  # a ULID

# Installed in every document: arm(event, condition, timeout) resolves with the ms from the first `event` (capture
# phase; keydown: Enter only) until `condition()` holds, checked on every DOM mutation; null on timeout.
HARNESS = """
window.__bench = {
  arm(eventName, conditionSource, timeoutMs) {
    const condition = new Function("return (" + conditionSource + ")();");
    this.result = new Promise((resolve) => {
      let started = null;
      let finished = false;
      const finish = (value) => {
        if (finished) return;
        finished = true;
        observer.disconnect();
        clearTimeout(timer);
        document.removeEventListener(eventName, onStart, true);
        resolve(value);
      };
      const check = () => {
        if (started !== null && condition()) finish(performance.now() - started);
      };
      const onStart = (event) => {
        if (started !== null || (eventName === "keydown" && event.key !== "Enter")) return;
        started = performance.now();
        queueMicrotask(check);
      };
      const observer = new MutationObserver(check);
      observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
      document.addEventListener(eventName, onStart, true);
      const timer = setTimeout(() => finish(null), timeoutMs);
    });
  },
  // Resolves with Date.now() once `condition()` holds (for changes made outside this page), null on timeout.
  watch(conditionSource, timeoutMs) {
    const condition = new Function("return (" + conditionSource + ")();");
    this.seen = new Promise((resolve) => {
      if (condition()) { resolve(Date.now()); return; }
      const observer = new MutationObserver(() => {
        if (condition()) { observer.disconnect(); clearTimeout(timer); resolve(Date.now()); }
      });
      observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
      const timer = setTimeout(() => { observer.disconnect(); resolve(null); }, timeoutMs);
    });
  },
};
"""


# The time (Date.now()) of the next Enter keydown in a page.
PRESSED_AT = """() => { window.__benchPressed = new Promise((resolve) => document.addEventListener("keydown",
  (e) => { if (e.key === "Enter") resolve(Date.now()); }, {capture: true, once: true})); }"""


def letters(number: int) -> str:
    """``0`` → ``aa``: names without digits (quick add reads numbers as dates, times or priorities)."""
    return "".join("abcdefghijklmnopqrstuvwxyz"[int(digit)] for digit in f"{number:02d}")


def _js(value: str) -> str:
    return json.dumps(value)


def row_shown(title: str) -> str:
    """JS: the row titled ``title`` is in the list and laid out (not hidden)."""
    return (
        f"() => {{ const el = [...document.querySelectorAll('[data-task-row]')]"
        f".find((r) => r.getAttribute('aria-label') === {_js(title)});"
        f" return !!el && el.getClientRects().length > 0; }}"
    )


def row_gone(title: str) -> str:
    return (
        f"() => ![...document.querySelectorAll('[data-task-row]')]"
        f".some((r) => r.getAttribute('aria-label') === {_js(title)})"
    )


def view_rendered(path: str, marker: str) -> str:
    return (
        f"() => location.pathname === {_js(path)} && !document.querySelector('[aria-busy=\"true\"]')"
        f" && ({row_shown(marker)})()"
    )


def search_shown(word: str, matches: int) -> str:
    """JS: the list shows exactly the ``matches`` rows with ``word`` in the title, nothing else, nothing busy."""
    return (
        f"() => {{ if (document.querySelector('[aria-busy=\"true\"]')) return false;"
        f" const rows = [...document.querySelectorAll('[data-task-row]')].map((r) => r.getAttribute('aria-label'));"
        f" return rows.length === {matches} && rows.every((t) => t.includes({_js(word)})); }}"
    )


# --- figures -------------------------------------------------------------------------------------------------------
@dataclass
class Series:
    name: str
    samples: list[float] = field(default_factory=list)
    failures: int = 0
    errors: list[str] = field(default_factory=list)
    calls: list[Counter[str]] = field(default_factory=list)  # per sample: "METHOD /path" -> how many

    def percentile(self, p: int) -> float | None:
        if not self.samples:
            return None
        if len(self.samples) == 1:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=100, method="inclusive")[p - 1]

    def summary(self) -> dict[str, Any]:
        p50, p95 = self.percentile(50), self.percentile(95)
        return {
            "n": len(self.samples),
            "failures": self.failures,
            "p50_ms": None if p50 is None else round(p50, 1),
            "p95_ms": None if p95 is None else round(p95, 1),
            "calls": calls_summary(self.calls),
            "errors": self.errors[:3],
        }


def calls_summary(calls: list[Counter[str]]) -> dict[str, Any] | None:
    if not calls:
        return None
    totals = [sum(counter.values()) for counter in calls]
    typical, seen = Counter(tuple(sorted(counter.items())) for counter in calls).most_common(1)[0]
    return {
        "median": statistics.median(totals),
        "min": min(totals),
        "max": max(totals),
        "typical": dict(typical),
        "typical_share": f"{seen}/{len(calls)}",
    }


def template(path: str) -> str:
    return "/".join("{id}" if ID_SEGMENT.match(part) else part for part in path.split("/"))


# --- the request log of the local API ------------------------------------------------------------------------------
@dataclass
class RequestLog:
    http: httpx.Client  # on the backend's /api

    def last_seq(self) -> int:
        seq: int = self.http.get("/local/requests", params={"since": 2**62}).json()["last_seq"]
        return seq

    def since(self, seq: int) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = self.http.get("/local/requests", params={"since": seq}).json()["requests"]
        return entries

    def settle(self, seq: int) -> Counter[str]:
        """Waits until the API has served nothing for QUIET_MS (at most QUIET_MAX_S); the calls made since ``seq``."""
        deadline = time.monotonic() + QUIET_MAX_S
        last, quiet_since = seq, time.monotonic()
        while time.monotonic() < deadline:
            now = self.last_seq()
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif time.monotonic() - quiet_since >= QUIET_MS / 1000:
                break
            time.sleep(0.05)
        return Counter(f"{entry['method']} {template(entry['path'])}" for entry in self.since(seq))


# --- the stack -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Stack:
    local: LocalRun
    backend_url: str
    site_url: str


@contextmanager
def static_server(directory: Path, port: int, csp: str) -> Iterator[str]:
    """The export served as the site's CloudFront serves it (exact keys, SPA fallback, the site's CSP)."""
    handler = partial(CloudFrontLikeHandler, directory=str(directory), content_security_policy=csp)
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{port}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def stack() -> Iterator[Stack]:
    """Local AWS + Reflex backend (local API at /api) + the static export behind a CloudFront-like server."""
    with local_aws(port=free_port()) as local, ThreadPoolExecutor(max_workers=1) as pool:
        backend_port, site_port = free_port(), free_port()
        backend_url, site_url = f"http://localhost:{backend_port}", f"http://localhost:{site_port}"
        env = {**local.env, "TMP_API_URL": f"{backend_url}/api", "TMP_APP_URL": site_url, "TMP_LOCAL_API": "1"}
        env["POWERTOOLS_METRICS_DISABLED"] = "true"
        # The export (a bun build in a subprocess) runs while the backend starts.
        exported = pool.submit(export_static_site, api_url=backend_url, env=env)
        try:
            with reflex_backend(port=backend_port, env=env):
                directory = exported.result()
                csp = content_security_policy(backend_url, [local.endpoint.rstrip("/")])
                with static_server(directory, site_port, csp):
                    yield Stack(local=local, backend_url=backend_url, site_url=site_url)
        finally:
            if exported.done() and exported.exception() is None:
                shutil.rmtree(exported.result().parents[2], ignore_errors=True)  # the temporary app copy


def seed(user: User) -> None:
    """A small workspace (under the list's first page of 50 even after the quick adds): markers and search words."""
    today = datetime.now(ZoneInfo(BROWSER_TIMEZONE)).date()
    project = user.api.create_project(ProjectCreate(name="Bench project"))
    user.api.create_task(TaskCreate(title=INBOX_MARKER))
    user.api.create_task(TaskCreate(title=TODAY_MARKER, due_date=today, project_id=project.id))
    for word in SEARCH_WORDS:
        for n in range(SEARCH_MATCHES):
            user.api.create_task(TaskCreate(title=f"Buy {word} {n}", notes="bench"))
    for n in range(4):
        user.api.create_task(TaskCreate(title=f"Bench today {n}", due_date=today))


def new_page(browser: Browser, site_url: str) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        base_url=site_url, timezone_id=BROWSER_TIMEZONE, viewport={"width": 1280, "height": 800}
    )
    context.add_init_script(HARNESS)
    return context, context.new_page()


def goto_view(page: Page, path: str) -> None:
    if urlpath(page) != path:
        page.goto(path)
    ready(page)


def urlpath(page: Page) -> str:
    return str(page.evaluate("location.pathname"))


def sidebar_link(page: Page, path: str) -> Any:
    return page.locator(f"[aria-label='Views'] a[href='{path}']:visible").first


# --- the measurements ----------------------------------------------------------------------------------------------
def sample(
    series: Series,
    page: Page,
    log: RequestLog,
    *,
    event: str,
    condition: str,
    act: Callable[[], None],
) -> None:
    """One UI sample: arm the in-page timer, act, await it, then wait for the API to go quiet (and count its calls)."""
    seq = log.last_seq()
    page.evaluate("([e, c, t]) => window.__bench.arm(e, c, t)", [event, condition, SAMPLE_TIMEOUT_MS])
    act()
    elapsed = page.evaluate("window.__bench.result")
    series.calls.append(log.settle(seq))
    if elapsed is None:
        raise TimeoutError(f"not seen within {SAMPLE_TIMEOUT_MS} ms")
    series.samples.append(float(elapsed))


def repeat(series: Series, n: int, one: Callable[[int], None]) -> None:
    in_a_row = 0
    for i in range(n):
        try:
            one(i)
            in_a_row = 0
        except Exception as exc:  # one failing sample is reported; the section goes on
            series.failures += 1
            in_a_row += 1
            message = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            series.errors.append(message)
            print(f"  ! {series.name} #{i + 1}: {message}")
            if in_a_row >= MAX_FAILURES:
                print(f"  ! {series.name}: {MAX_FAILURES} failures in a row, section stopped")
                return


def measure_quick_add(page: Page, log: RequestLog, n: int, run_id: str) -> tuple[Series, list[str]]:
    series = Series("quick add → row visible")
    titles: list[str] = []
    goto_view(page, "/inbox")
    box = quick_add_input(page)

    def one(i: int) -> None:
        title = f"Bench add {run_id} {letters(i)}"
        box.fill(title)
        # As a user would: typed, paused, Enter. (The line is parsed in the Reflex process: no call but the create,
        # which the request log counts.)
        page.wait_for_timeout(TYPING_PAUSE_MS)
        log.settle(log.last_seq())
        sample(series, page, log, event="keydown", condition=row_shown(title), act=lambda: box.press("Enter"))
        titles.append(title)
        page.wait_for_function("el => el.value === ''", arg=box.element_handle(), timeout=SAMPLE_TIMEOUT_MS)

    repeat(series, n, one)
    return series, titles


def measure_complete(page: Page, log: RequestLog, api: ApiClient, titles: list[str], *, n: int, run_id: str) -> Series:
    """Completes the quick-added rows (and rows made through the API if quick add did not make ``n``)."""
    series = Series("complete → row gone")
    missing = [f"Bench done {run_id} {letters(i)}" for i in range(n - len(titles))]
    for title in missing:
        api.create_task(TaskCreate(title=title))
    titles = titles + missing
    if missing:
        page.goto("/inbox")
    goto_view(page, "/inbox")

    def one(i: int) -> None:
        title = titles[i]
        checkbox = page.get_by_role("checkbox", name=f"Complete {title}", exact=True)
        checkbox.wait_for(state="visible", timeout=SAMPLE_TIMEOUT_MS)
        sample(series, page, log, event="click", condition=row_gone(title), act=checkbox.click)

    repeat(series, len(titles), one)
    return series


def measure_view_switch(page: Page, log: RequestLog, n: int) -> Series:
    series = Series("view switch (sidebar) → list")
    goto_view(page, "/inbox")
    targets = [("/", TODAY_MARKER), ("/inbox", INBOX_MARKER)]

    def one(i: int) -> None:
        path, marker = targets[i % 2]
        link = sidebar_link(page, path)
        sample(series, page, log, event="click", condition=view_rendered(path, marker), act=link.click)

    repeat(series, n, one)
    return series


def measure_search(page: Page, log: RequestLog, n: int) -> Series:
    series = Series("search → results")
    goto_view(page, "/inbox")
    box = page.locator("#task-search")

    def one(i: int) -> None:
        word = SEARCH_WORDS[i % 2]
        condition = search_shown(word, SEARCH_MATCHES)
        sample(series, page, log, event="input", condition=condition, act=lambda: box.fill(word))

    repeat(series, n, one)
    box.fill("")
    ready(page)
    return series


def measure_api(api: ApiClient, n: int, run_id: str) -> dict[str, Series]:
    """The API calls behind those interactions, through the client the Reflex backend uses (httpx, one keep-alive
    pool per origin) to the same backend: what the server side of each interaction waits for at least."""
    create, complete = Series("POST /tasks"), Series("POST /tasks/{id}/complete")
    inbox, search = Series("GET /tasks?view=inbox"), Series("GET /tasks?view=inbox&q=")
    ids: list[str] = []

    def timed(series: Series, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        result = call()
        series.samples.append((time.perf_counter() - started) * 1000)
        return result

    repeat(
        create,
        n,
        lambda i: ids.append(timed(create, lambda: api.create_task(TaskCreate(title=f"Bench api {run_id} {i}"))).id),
    )
    repeat(complete, len(ids), lambda i: timed(complete, lambda: api.complete_task(ids[i])))
    repeat(inbox, n, lambda i: timed(inbox, lambda: api.list_tasks(view="inbox")))
    repeat(search, n, lambda i: timed(search, lambda: api.list_tasks(view="inbox", q=SEARCH_WORDS[i % 2])))
    return {"quick add": create, "complete": complete, "view switch": inbox, "search": search}


@dataclass
class Live:
    via_api: Series
    via_tab: Series
    status: str = "ok"


def measure_other_tab(watcher: Page, writer: Page, api: ApiClient, *, n: int, run_id: str, timeout_ms: int) -> Live:
    """Both pages in the Inbox of the same user: a change made elsewhere, until the row shows in ``watcher``."""
    live = Live(Series("other tab sees an API change"), Series("other tab sees a quick add"))
    goto_view(watcher, "/inbox")
    goto_view(writer, "/inbox")

    def seen_after(title: str, make: Callable[[], float]) -> float:
        """``make`` makes the change and returns when (epoch ms, the same clock as the page's Date.now())."""
        watcher.evaluate("([c, t]) => window.__bench.watch(c, t)", [row_shown(title), timeout_ms])
        started = make()
        seen = watcher.evaluate("window.__bench.seen")
        if seen is None:
            raise TimeoutError(f"not shown within {timeout_ms} ms without a reload")
        return float(seen) - started

    def via_api(title: str) -> float:
        started = time.time() * 1000
        api.create_task(TaskCreate(title=title))
        return started

    def via_tab(title: str) -> float:
        box = quick_add_input(writer)
        box.fill(title)
        writer.evaluate(PRESSED_AT)
        box.press("Enter")
        return float(writer.evaluate("window.__benchPressed"))  # the keydown in the writer's page

    for i in range(n):
        for series, make, kind in ((live.via_api, via_api, "api"), (live.via_tab, via_tab, "tab")):
            title = f"Bench live {kind} {run_id} {letters(i)}"
            try:
                series.samples.append(seen_after(title, partial(make, title)))
            except TimeoutError:
                series.failures += 1
                live.status = f"not live yet (nothing shown within {timeout_ms} ms)"
                return live
    return live
    return live


# --- the run -------------------------------------------------------------------------------------------------------
def section(name: str, work: Callable[[], Any]) -> Any:
    started = time.monotonic()
    try:
        result = work()
    except Exception as exc:
        print(f"  ! {name} failed: {type(exc).__name__}: {exc}")
        traceback.print_exc(limit=3)
        return None
    print(f"  {name}: {time.monotonic() - started:.1f} s")
    return result


def run(n: int, live_timeout_ms: int) -> dict[str, Any]:
    began = time.monotonic()
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
    run_id = "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:6])  # letters only
    print(f"starting the local stack, the Reflex backend and the static export (n={n}) …")
    with stack() as running, sync_playwright() as playwright:
        print(f"  stack ready after {time.monotonic() - began:.1f} s")
        app = App(url=running.backend_url)  # the REST API is mounted on the Reflex backend
        user = new_user(app)
        seed(user)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with httpx.Client(base_url=app.api_url, timeout=30) as http:
            log = RequestLog(http)
            context, page = new_page(browser, running.site_url)
            sign_in(page, user)
            ui: dict[str, Series | None] = {}
            added = section("quick add", lambda: measure_quick_add(page, log, n, run_id))
            ui["quick add"] = added[0] if added else None
            titles = added[1] if added else []
            ui["complete"] = section(
                "complete", lambda: measure_complete(page, log, user.api, titles, n=n, run_id=run_id)
            )
            ui["view switch"] = section("view switch", lambda: measure_view_switch(page, log, n))
            ui["search"] = section("search", lambda: measure_search(page, log, n))
            api = section("API", lambda: measure_api(user.api, n, run_id)) or {}

            def other_tab() -> Live:
                other_context, other = new_page(browser, running.site_url)
                try:
                    sign_in(other, user)
                    return measure_other_tab(
                        page, other, user.api, n=min(n, 15), run_id=run_id, timeout_ms=live_timeout_ms
                    )
                finally:
                    other_context.close()

            live = section("other tab", other_tab)
            context.close()
        browser.close()
    return report(n, ui, api, live, time.monotonic() - began)


def report(
    n: int, ui: dict[str, Series | None], api: dict[str, Series], live: Live | None, took: float
) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for name, series in ui.items():
        entry: dict[str, Any] = {"ui": series.summary() if series else None}
        api_series = api.get(name)
        entry["api"] = api_series.summary() if api_series else None
        ui_p50 = series.percentile(50) if series else None
        api_p50 = api_series.percentile(50) if api_series else None
        entry["ratio_p50"] = round(ui_p50 / api_p50, 2) if ui_p50 and api_p50 else None
        rows[name] = entry
    live_figures = None
    if live is not None:
        live_figures = {"status": live.status, "api": live.via_api.summary(), "tab": live.via_tab.summary()}
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "n": n,
        "took_s": round(took, 1),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "interactions": rows,
        "other_tab": live_figures,
    }


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:8.1f}"


def print_report(figures: dict[str, Any]) -> None:
    print(f"\nUI on the static export against the local stack (n={figures['n']}, in-page timing, ms)")
    print(f"{'interaction':<14}{'p50':>9}{'p95':>9}{'fail':>6}{'API p50':>10}{'API p95':>10}{'ratio':>7}  calls")
    for name, entry in figures["interactions"].items():
        ui, api = entry["ui"] or {}, entry["api"] or {}
        calls = ui.get("calls") or {}
        typical = ", ".join(f"{count} x {call}" for call, count in (calls.get("typical") or {}).items())
        calls_text = f"{calls.get('median', '—')} ({typical})" if calls else "—"
        ratio = "—" if entry["ratio_p50"] is None else f"{entry['ratio_p50']:.2f}"
        print(
            f"{name:<14}{_ms(ui.get('p50_ms')):>9}{_ms(ui.get('p95_ms')):>9}{ui.get('failures', '—'):>6}"
            f"{_ms(api.get('p50_ms')):>10}{_ms(api.get('p95_ms')):>10}{ratio:>7}  {calls_text}"
        )
    print("(ratio = UI p50 / API p50; search includes the search box's 150 ms debounce; calls = median per sample)")
    live = figures["other_tab"]
    if live is None:
        print("other tab: not measured (see the error above)")
    elif live["status"] != "ok":
        print(f"other tab sees a change: {live['status']}")
    else:
        for key, label in (("api", "an API change"), ("tab", "a quick add in the other tab")):
            print(f"other tab sees {label}: p50 {_ms(live[key]['p50_ms'])} p95 {_ms(live[key]['p95_ms'])} ms")
    load = ", ".join(str(x) for x in figures["load_average"])
    print(f"(took {figures['took_s']} s; load average {load} on {figures['cpus']} CPUs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=30, help="repetitions per interaction")
    parser.add_argument("--live-timeout", type=int, default=3000, help="ms to wait for another tab to show a change")
    args = parser.parse_args()
    figures = run(args.n, args.live_timeout)
    print_report(figures)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(figures, indent=2, default=str))
    print(f"figures written to {OUTPUT}")


if __name__ == "__main__":
    main()
