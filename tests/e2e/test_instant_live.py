"""Instant and live (issue 18) in headless Chromium: every write shows at once and is reconciled afterwards, a
refusal rolls back with the reason, a double Enter saves once, another open screen of the same user follows a
change within 2 s (tasks, the detail panel, the bell), and a dropped socket shows the offline bar.

API failures and slow answers come from the local API's fault hook (``POST /api/local/faults``, see
docs/local-aws.md "Test hooks of the local API"), limited to the test's own user: tests sharing the app keep apart.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from backend.client.api import ProjectCreate, ReminderIn, TaskCreate, TaskUpdate
from backend.local.testing import LocalRun
from tests.e2e.conftest import BROWSER_TIMEZONE, App
from tests.e2e.test_tasks import (
    User,
    eventually,
    new_user,
    quick_add_input,
    row,
    row_behind,
    sign_in,
    toast,
    visit,
)

pytestmark = pytest.mark.e2e

LIVE_MS = 2000  # the bound for another screen to show a change
OFFLINE_TEXT = "You are offline — reconnecting…"
ADD_REFUSED = "The service is busy right now."
COMPLETE_REFUSED = "Completing is paused for maintenance."


# --- helpers ---------------------------------------------------------------------------------
def fault(app: App, user: User, **rule: Any) -> None:
    """One rule of the local API's fault hook, for this user's requests only."""
    response = httpx.post(f"{app.api_url}/local/faults", json={**rule, "user": user.api.get_me().id}, timeout=10)
    assert response.status_code == 201, response.text


def seed(local: LocalRun, user: User, tasks: list[TaskCreate]) -> None:
    """Create ``tasks`` through the API, a few at a time (in no particular order), and deliver their stream records
    (live changes, analytics) before the test goes on: a page opened next does not start under their backlog."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(user.api.create_task, tasks))
    assert local.streams is not None
    local.streams.drain()


def stored_titles(user: User, **query: Any) -> list[str]:
    """The titles of every task the API lists for ``query`` (all pages)."""
    titles: list[str] = []
    cursor: str | None = None
    while True:
        page = user.api.list_tasks(limit=200, cursor=cursor, **query)
        titles += [task.title for task in page.items]
        cursor = page.next_cursor
        if not cursor:
            return titles


def add(page: Page, text: str) -> None:
    """Quick add one line with Enter (right after typing: the line is parsed on save)."""
    quick_add_input(page).fill(text)
    quick_add_input(page).press("Enter")


def pending_rows(page: Page) -> Any:
    return page.locator("[data-task-row][data-pending='true']")


# Every WebSocket the page opens, so a test can drop the app's socket as a lost network would (Chromium's offline
# emulation refuses new connections but leaves an open WebSocket alone).
TRACK_SOCKETS = """(() => {
  const Native = window.WebSocket;
  const sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) { super(...args); sockets.push(this); }
  };
  window.__tmpDropSockets = () => sockets.splice(0).forEach((socket) => socket.close());
})();"""


@contextmanager
def second_tab(browser: Browser, app: App, user: User) -> Iterator[Page]:
    """Another browser profile (its own session) signed in as ``user``."""
    context: BrowserContext = browser.new_context(
        base_url=app.url, timezone_id=BROWSER_TIMEZONE, viewport={"width": 1280, "height": 800}
    )
    try:
        other = context.new_page()
        sign_in(other, user)
        yield other
    finally:
        context.close()


# --- tests -----------------------------------------------------------------------------------
def test_quick_add_beyond_the_loaded_page_is_shown_where_it_belongs(page: Page, app: App, local: LocalRun) -> None:
    user = new_user(app)
    seed(local, user, [TaskCreate(title=f"Seed {n:02d}") for n in range(60)])
    sign_in(page, user)
    visit(page, "/inbox")
    rows = page.locator("[data-task-row]")
    expect(rows).to_have_count(50)
    expect(page.get_by_role("button", name="Load more")).to_be_visible()

    # The new task sorts last in the Inbox (after the unloaded 10): it is appended, scrolled to and saved once.
    add(page, "Brand new task")
    added = row(page, "Brand new task")
    expect(added).to_be_visible()
    expect(added).to_be_in_viewport()
    expect(rows).to_have_count(51)
    expect(rows.last).to_have_attribute("aria-label", "Brand new task")
    expect(pending_rows(page)).to_have_count(0)
    expect(added).to_have_attribute("data-task-id", re.compile(r"^(?!pending-)"))
    expect(toast(page, "Task added")).to_be_visible()
    inbox = user.api.list_tasks(view="inbox", with_total=True)
    assert inbox.total == 61
    assert stored_titles(user, view="inbox").count("Brand new task") == 1

    # Loading the rest keeps it once, at its place: last (as the API orders the Inbox, and as a reload shows it).
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(61)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)
    expect(added).to_have_count(1)
    expect(rows.last).to_have_attribute("aria-label", "Brand new task")


def test_board_columns_count_every_task_not_only_the_loaded_ones(page: Page, app: App, local: LocalRun) -> None:
    user = new_user(app)
    board = user.api.create_project(ProjectCreate(name="Big board", sections=["Backlog", "Doing"]))
    cards = [TaskCreate(title=f"Card {n:02d}", project_id=board.id, section="Backlog") for n in range(56)]
    seed(local, user, [*cards, TaskCreate(title="Card in progress", project_id=board.id, section="Doing")])
    sign_in(page, user)
    visit(page, f"/projects/{board.id}")
    page.get_by_role("radio", name="Board").click()

    # The board loads 50 cards a page; the column's badge is the API's count of the section.
    backlog = page.locator("[data-column='Backlog']")
    expect(backlog.get_by_role("heading", name="Backlog")).to_be_visible()
    expect(backlog.locator(".rt-Badge").first).to_have_text("56")
    expect(page.locator("[data-column='Doing'] .rt-Badge").first).to_have_text("1")
    expect(page.locator("[data-column='__none__'] .rt-Badge").first).to_have_text("0")
    expect(page.get_by_role("button", name="Load more")).to_be_visible()
    assert backlog.get_by_role("listitem").count() <= 50
    counts = user.api.list_tasks(project_id=board.id, count_by="section").counts
    assert counts is not None
    assert (counts["Backlog"], counts["Doing"]) == (56, 1)


def test_refused_add_and_refused_complete_roll_back_with_the_reason(page: Page, app: App) -> None:
    user = new_user(app)
    user.api.create_task(TaskCreate(title="Keep me open"))
    sign_in(page, user)
    visit(page, "/inbox")
    expect(row(page, "Keep me open")).to_be_visible()

    # The create is refused (after a moment, so the optimistic row can be seen): the row goes, the text comes back.
    fault(app, user, method="POST", path="/tasks", status=503, count=1, delay_ms=800, message=ADD_REFUSED)
    add(page, "Doomed task p2")
    expect(row(page, "Doomed task")).to_be_visible()
    expect(row(page, "Doomed task")).to_have_count(0)
    expect(toast(page, f"Not added: {ADD_REFUSED}")).to_be_visible()
    expect(quick_add_input(page)).to_have_value("Doomed task p2")
    assert "Doomed task" not in stored_titles(user, status="all")

    # Sent again, it is added (a refusal spends no idempotency key that would swallow the retry).
    quick_add_input(page).press("Enter")
    expect(row(page, "Doomed task")).to_be_visible()
    expect(pending_rows(page)).to_have_count(0)
    eventually(
        lambda: stored_titles(user, status="all").count("Doomed task") == 1, page, "the retried add was not saved once"
    )

    # The complete is refused: the row leaves at once, comes back, and the toast says why.
    complete_rule = {"method": "POST", "path": "/tasks/*/complete", "status": 503, "delay_ms": 800}
    fault(app, user, **complete_rule, message=COMPLETE_REFUSED)
    row(page, "Keep me open").get_by_role("checkbox", name="Complete Keep me open").click()
    expect(row(page, "Keep me open")).to_have_count(0)
    expect(row(page, "Keep me open")).to_be_visible()
    expect(toast(page, COMPLETE_REFUSED)).to_be_visible()
    expect(pending_rows(page)).to_have_count(0)
    [kept] = [task for task in user.api.list_tasks(view="inbox").items if task.title == "Keep me open"]
    assert kept.status == "open"


def test_a_slow_save_shows_the_row_pending_until_the_server_answers(page: Page, app: App) -> None:
    user = new_user(app)
    sign_in(page, user)
    visit(page, "/inbox")

    fault(app, user, method="POST", path="/tasks", count=1, delay_ms=1500)
    add(page, "Slow task")
    slow = row(page, "Slow task")
    expect(slow).to_have_attribute("data-pending", "true", timeout=1500)  # at once, while the API still waits
    expect(slow).to_have_attribute("aria-busy", "true", timeout=500)
    expect(slow).to_have_attribute("data-pending", "false")
    expect(slow).to_have_attribute("aria-busy", "false")
    expect(toast(page, "Task added")).to_be_visible()
    assert stored_titles(user, view="inbox") == ["Slow task"]


def test_double_enter_creates_one_task(page: Page, app: App) -> None:
    user = new_user(app)
    sign_in(page, user)
    visit(page, "/inbox")

    # Enter twice right after typing.
    quick_add_input(page).fill("Only once")
    quick_add_input(page).press("Enter")
    quick_add_input(page).press("Enter")
    expect(row(page, "Only once")).to_be_visible()
    page.wait_for_timeout(2000)  # (time for a second create to arrive, if one was sent)
    assert stored_titles(user, view="inbox") == ["Only once"]
    expect(row(page, "Only once")).to_have_count(1)
    expect(pending_rows(page)).to_have_count(0)

    # And on a slow connection, where the first answer takes a while.
    fault(app, user, method="POST", path="/tasks", count=2, delay_ms=1500)
    quick_add_input(page).fill("Only once, slowly")
    quick_add_input(page).press("Enter")
    page.wait_for_timeout(300)
    quick_add_input(page).press("Enter")
    expect(row(page, "Only once, slowly")).to_be_visible()
    expect(pending_rows(page)).to_have_count(0)
    page.wait_for_timeout(2000)
    assert sorted(stored_titles(user, view="inbox")) == ["Only once", "Only once, slowly"]
    expect(row(page, "Only once, slowly")).to_have_count(1)


def test_another_open_screen_follows_changes_within_two_seconds(page: Page, browser: Browser, app: App) -> None:
    user = new_user(app)
    sign_in(page, user)
    visit(page, "/inbox")
    with second_tab(browser, app, user) as other:
        visit(other, "/inbox")

        # Added in one tab: the other shows it.
        add(page, "Added in tab A")
        expect(row(page, "Added in tab A")).to_be_visible()
        expect(row(other, "Added in tab A")).to_be_visible(timeout=LIVE_MS)

        # Completed in the other: gone in the first.
        row(other, "Added in tab A").get_by_role("checkbox", name="Complete Added in tab A").click()
        expect(row(other, "Added in tab A")).to_have_count(0)
        expect(row(page, "Added in tab A")).to_have_count(0, timeout=LIVE_MS)
        eventually(
            lambda: "Added in tab A" in stored_titles(user, status="done"), page, "the other tab's complete not saved"
        )

        # Made through the API: both show it.
        task = user.api.create_task(TaskCreate(title="Made through the API"))
        expect(row(page, "Made through the API")).to_be_visible(timeout=LIVE_MS)
        expect(row(other, "Made through the API")).to_be_visible(timeout=LIVE_MS)

        # Renamed through the API while the other tab has it open in the panel: rows and panel follow.
        row(other, "Made through the API").click()
        panel = other.get_by_role("dialog", name="Task details")
        expect(panel.get_by_label("Title")).to_have_value("Made through the API")
        user.api.update_task(task.id, TaskUpdate(version=task.version, title="Renamed through the API"))
        expect(row(page, "Renamed through the API")).to_be_visible(timeout=LIVE_MS)
        expect(row_behind(other, "Renamed through the API")).to_be_visible(timeout=LIVE_MS)
        expect(panel.get_by_label("Title")).to_have_value("Renamed through the API", timeout=LIVE_MS)
        expect(row(page, "Made through the API")).to_have_count(0)


def test_the_bell_counts_a_reminder_as_it_fires(page: Page, app: App, local: LocalRun) -> None:
    user = new_user(app)
    soon = (datetime.now(ZoneInfo(BROWSER_TIMEZONE)) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    task = user.api.create_task(TaskCreate(title="Ring the bell", due_date=soon.date(), due_time=soon.time()))
    [reminder] = user.api.put_reminders(task.id, [ReminderIn(minutes_before=0)]).reminders
    assert reminder.next_at is not None
    sign_in(page, user)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()  # nothing unread yet

    # The test clock fires the reminder (as EventBridge Scheduler would); the open page is not reloaded.
    assert local.scheduler is not None
    fired = local.scheduler.fire_due(reminder.next_at + timedelta(seconds=1))
    assert [f.result for f in fired if f.name.startswith(f"r-{task.id}-")] == [{"status": "sent"}]
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible(timeout=LIVE_MS)
    assert user.api.unread_count() == 1


def test_a_dropped_socket_shows_the_offline_bar_and_the_app_works_again(page: Page, app: App) -> None:
    user = new_user(app)
    page.add_init_script(TRACK_SOCKETS)
    sign_in(page, user)
    visit(page, "/inbox")
    offline_bar = page.locator("#offline-bar")
    expect(offline_bar).to_have_count(0)

    # The network goes: the bar says so (no technical toast naming the websocket).
    page.context.set_offline(True)
    page.evaluate("window.__tmpDropSockets()")
    expect(offline_bar).to_be_visible()
    expect(offline_bar).to_have_attribute("role", "status")
    expect(offline_bar).to_contain_text(OFFLINE_TEXT)
    expect(page.get_by_role("status").filter(has_text=OFFLINE_TEXT)).to_be_visible()
    expect(toast(page, re.compile("Cannot connect|_event|websocket", re.IGNORECASE))).to_have_count(0)

    # A task typed while offline is sent once the connection is back (the bar promises it), once.
    quick_add_input(page).fill("Typed while offline")
    quick_add_input(page).press("Enter")

    page.context.set_offline(False)
    expect(offline_bar).to_have_count(0)
    expect(row(page, "Typed while offline")).to_be_visible()
    expect(pending_rows(page)).to_have_count(0)

    # The app works again: a quick add is shown and saved exactly once.
    title = f"Back online {uuid.uuid4().hex[:4]}"
    add(page, title)
    expect(row(page, title)).to_be_visible()
    expect(pending_rows(page)).to_have_count(0)
    expect(toast(page, "Task added").filter(has_text=title)).to_be_visible()
    page.wait_for_timeout(1000)  # (time for a duplicate to arrive, if one was sent)
    assert sorted(stored_titles(user, view="inbox")) == sorted(["Typed while offline", title])
    expect(row(page, title)).to_have_count(1)
    expect(row(page, "Typed while offline")).to_have_count(1)
