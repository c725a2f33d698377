"""Statistics in the browser: tasks completed in the dashboard show up on the stats page (charts and tables),
the sidebar links to it, the daily goal is set in settings and exports download."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from backend.client.api import TaskCreate
from tests.e2e.conftest import App
from tests.e2e.test_tasks import new_user, row, sign_in, toast, today

pytestmark = pytest.mark.e2e


def stats_ready(page: Page) -> None:
    expect(page.get_by_role("heading", name="Statistics", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="Completed")).to_be_visible()
    expect(page.locator("[aria-busy='true']")).to_have_count(0)


def test_completed_tasks_show_on_the_stats_page(page: Page, app: App) -> None:
    user = new_user(app)
    for title in ("Buy milk", "Call mum", "File taxes"):
        user.api.create_task(TaskCreate(title=title, due_date=today()))
    sign_in(page, user)

    # Complete two tasks in the dashboard.
    for title in ("Buy milk", "Call mum"):
        row(page, title).get_by_role("checkbox", name=f"Complete {title}").click()
        expect(toast(page, "Task completed").first).to_be_visible()
        expect(row(page, title)).to_have_count(0)

    # Set the daily goal to 2 in settings.
    visit_settings = page.get_by_role("link", name="Settings")
    visit_settings.click()
    goal = page.get_by_label("Daily goal (tasks a day)")
    expect(goal).to_have_value("3")
    goal.fill("2")
    page.get_by_role("button", name="Save goal").click()
    expect(toast(page, "Goal saved.")).to_be_visible()

    # The sidebar leads to the stats page; the numbers arrive within seconds (stream -> aggregates).
    page.get_by_role("link", name="Statistics").click()
    expect(page).to_have_url(re.compile(r"/stats$"))
    stats_ready(page)
    completed = page.get_by_role("group", name="Completed")
    for _ in range(50):  # normally there on the first load; Refresh re-reads the aggregates
        if re.match(r"Completed\s+2\s", completed.inner_text()):
            break
        page.get_by_role("button", name="Refresh").click()
        stats_ready(page)
    expect(completed).to_have_text(re.compile(r"Completed\s*2\s*created: 3"))
    expect(page.get_by_role("group", name="Current streak")).to_contain_text("1 days")
    expect(page.get_by_role("group", name="Current streak")).to_contain_text("goal 2 a day · today 2")
    expect(page.get_by_role("group", name="On time")).to_contain_text("100%")
    # Charts render as SVG; the table alternative carries the same numbers for screen readers.
    expect(page.locator(".recharts-wrapper").first).to_be_visible()
    page.get_by_text("Show as tables").click()
    per_day = page.get_by_role("table").filter(has_text="Completed per day")
    last_row = per_day.get_by_role("row").last
    expect(last_row).to_contain_text(f"{today():%b} {today().day}")
    expect(last_row).to_contain_text("2")
    expect(page.get_by_role("table").filter(has_text="By project")).to_contain_text("Inbox")


def test_export_downloads_my_tasks(page: Page, app: App) -> None:
    user = new_user(app)
    user.api.create_task(TaskCreate(title="Exported task"))
    sign_in(page, user)
    page.get_by_role("link", name="Settings").click()
    button = page.get_by_role("button", name="Everything (JSON)")
    expect(button).to_be_enabled()
    with page.expect_download() as download:
        button.click()
    saved = download.value
    assert saved.suggested_filename.startswith("taskmanager-export-")
    document = json.loads(Path(saved.path()).read_text(encoding="utf-8"))
    assert [t["title"] for t in document["tasks"]] == ["Exported task"]


def test_stats_page_is_readable_at_phone_width_in_dark_mode(page: Page, app: App) -> None:
    user = new_user(app)
    sign_in(page, user)
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    visit_stats(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"


def visit_stats(page: Page) -> None:
    page.goto("/stats")
    stats_ready(page)
