"""``make bench``, the calendar (issue 14 "Figures"): a month view with 500 dated tasks, the time until it is on screen
and the API calls it takes.

Starts its own local AWS and the prod-mode app (``tests/e2e/reflex_app.reflex_app``, the browser tests' harness) on
free ports; a user with 500 open tasks due next month (spread over its days, a third of them timed, 10 of them weekly
series whose later occurrences the calendar computes), created through the API. Then ``-n`` times, each in a fresh
browser context (a new tab: nothing cached): sign in, open the calendar, switch to Month, and measure

- cold: the click on "Next month" → the grid shows next month with every chip it should (the count is computed with
  the calendar's own layout function from the tasks the API returned);
- warm: "Previous month" then "Next month" again → the same (the tab keeps the last ranges: shown at once, refreshed
  in the background);
- API calls per view, from the local API's request log (``GET /api/local/requests``).

UI times are taken in the page (``performance.now()`` at the click, a MutationObserver until the condition holds),
so Playwright's round trips do not count. Writes ``.local/bench/calendar.json``.

    PYTHONPATH=. python -m scripts.bench_calendar [-n 5] [--tasks 500]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from backend.client.api import TaskCreate, TaskPublic
from backend.local.testing import free_port, local_aws
from scripts.bench_ui import HARNESS, RequestLog, Series
from taskmanager_pro.state.calendar import layout, step
from tests.e2e.conftest import BROWSER_TIMEZONE, CHROMIUM, CHROMIUM_ARGS, App
from tests.e2e.reflex_app import reflex_app
from tests.e2e.test_tasks import User, new_user, sign_in

OUTPUT = Path(".local/bench/calendar.json")
TIMEOUT_MS = 20_000
SERIES = 10


def seed(api: Any, month: date, count: int) -> list[TaskPublic]:
    """``count`` open tasks due in ``month``: every day gets some, a third timed, ``SERIES`` weekly series."""
    days = (step("month", month, 1) - month).days

    def create(i: int) -> TaskPublic:
        due = month + timedelta(days=i % days)
        timed = clock_time(8 + i % 10, 30 * (i % 2)) if i % 3 == 0 else None
        rule = "FREQ=WEEKLY" if i < SERIES else None
        task: TaskPublic = api.create_task(
            TaskCreate(title=f"Calendar task {i}", due_date=due, due_time=timed, recurrence=rule)
        )
        return task

    with ThreadPoolExecutor(max_workers=4) as pool:  # (the API client's pool is thread-safe)
        return list(pool.map(create, range(count)))


def month_shown(title: str, chips: int) -> str:
    """JS: the month titled ``title`` is on screen with ``chips`` chips in its grid (nothing loading)."""
    return (
        "() => { const c = document.getElementById('calendar');"
        f" return !!c && c.getAttribute('data-loading') === 'false'"
        f" && document.getElementById('calendar-title')?.textContent === {json.dumps(title)}"
        f" && c.querySelectorAll('.tmp-cal-month .tmp-cal-chip').length === {chips}; }}"
    )


def measure(page: Page, button: str, condition: str) -> float | None:
    page.evaluate("([c, t]) => window.__bench.arm('click', c, t)", [condition, TIMEOUT_MS])
    page.get_by_role("button", name=button, exact=True).click()
    value = page.evaluate("window.__bench.result")
    return None if value is None else float(value)


def titled(page: Page, title: str) -> None:
    page.wait_for_function(f"() => document.getElementById('calendar-title')?.textContent === {json.dumps(title)}")


@dataclass(frozen=True)
class Run:
    user: User
    month: date  # the month with the tasks (next month)
    chips: int  # what its grid shows
    requests: RequestLog
    signed_in: Any  # the browser's storage after signing in once: each context is a new tab of a signed-in user


def one_tab(browser: Browser, app: App, run: Run, cold: Series, warm: Series) -> None:
    """A fresh tab of the signed-in user (nothing cached): the calendar, Month (this month), then next month (cold);
    back and next again (warm)."""
    title = run.month.strftime("%B %Y")
    back_title = step("month", run.month, -1).strftime("%B %Y")
    context = browser.new_context(
        base_url=app.url,
        timezone_id=BROWSER_TIMEZONE,
        viewport={"width": 1280, "height": 900},
        storage_state=run.signed_in,
    )
    context.add_init_script(HARNESS)
    page = context.new_page()
    try:
        page.goto("/calendar")
        page.wait_for_selector("#calendar[data-loading='false']")
        page.get_by_role("radio", name="Month").click()
        titled(page, back_title)
        for series, hops in ((cold, ["Next month"]), (warm, ["Previous month", "Next month"])):
            for hop in hops[:-1]:
                page.get_by_role("button", name=hop, exact=True).click()
                titled(page, back_title)
            seq = run.requests.last_seq()
            ms = measure(page, hops[-1], month_shown(title, run.chips))
            series.calls.append(run.requests.settle(seq))
            if ms is None:
                series.failures += 1
            else:
                series.samples.append(ms)
    finally:
        context.close()


def report(figures: dict[str, Any], cold: Series, warm: Series) -> None:
    print(f"calendar, month view with {figures['tasks']} dated tasks ({figures['chips_in_grid']} chips in the grid):")
    for name, series in (("cold (new range)", cold), ("warm (range shown before)", warm)):
        summary = series.summary()
        print(
            f"  {name}: p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms over {summary['n']}"
            f" (failed {summary['failures']}); API calls {summary['calls']}"
        )
        for error in summary["errors"]:
            print(f"  ! {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="repetitions (a fresh tab each)")
    parser.add_argument("--tasks", type=int, default=500)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    zone = ZoneInfo(BROWSER_TIMEZONE)
    cold, warm = Series("cold"), Series("warm")
    with local_aws(port=free_port()) as local:
        port = free_port()
        url = f"http://localhost:{port}"
        env = {**local.env, "TMP_API_URL": f"{url}/api", "TMP_APP_URL": url, "TMP_LOCAL_API": "1"}
        with reflex_app(port=port, env=env) as running, httpx.Client(base_url=f"{url}/api", timeout=30) as http:
            app = App(url=running.url)
            user = new_user(app)
            now = datetime.now(zone).replace(tzinfo=None)
            month = step("month", now.date().replace(day=1), 1)
            began = time.perf_counter()
            tasks = seed(user.api, month, args.tasks)
            seeded_s = time.perf_counter() - began
            cells = layout(tasks, mode="month", anchor=month, today=now.date(), now=now, colors={}, tz=zone)
            chips = sum(len(c.shown) for c in cells)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                first = browser.new_context(base_url=app.url, timezone_id=BROWSER_TIMEZONE)
                sign_in(first.new_page(), user)
                run = Run(user, month, chips, RequestLog(http), signed_in=first.storage_state())
                first.close()
                for _ in range(args.n):
                    try:
                        one_tab(browser, app, run, cold, warm)
                    except (PlaywrightError, AssertionError) as error:  # (one failing is reported, the others run)
                        cold.errors.append(repr(error)[:300])
                browser.close()
    figures = {
        "tasks": args.tasks,
        "series": SERIES,
        "chips_in_grid": chips,
        "seed_seconds": round(seeded_s, 1),
        "month_view_cold": cold.summary(),
        "month_view_warm": warm.summary(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2))
    report(figures, cold, warm)


if __name__ == "__main__":
    main()
