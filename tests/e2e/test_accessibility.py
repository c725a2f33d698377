"""Every page passes axe-core's WCAG 2.1 A/AA rules (issue 18, point 9): signed out, and signed in as a user whose
lists have rows (labels, due dates, notes, a subtask, an attachment, a project with board columns, a reminder that
fired); the dialogs open; light and dark mode; desktop and phone width.

One user and two browser profiles (signed in / signed out) for the whole module: each test goes to its page and
puts the profile back to light mode at desktop width first, so the order of the tests does not matter.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from typing import Literal

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, ViewportSize, expect

from backend.client.api import LabelCreate, ProjectCreate, ReminderIn, SubtaskIn, TaskCreate
from backend.local.testing import LocalRun
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import BROWSER_TIMEZONE, App
from tests.e2e.test_tasks import User, new_user, quick_add_input, ready, row, sign_in, today

pytestmark = pytest.mark.e2e

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
TODAY_TASKS = ("Write the report", "Buy oat milk")


@dataclass(frozen=True)
class Seeded:
    user: User
    project_id: str
    label_id: str


def png(side: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 80, 40)).save(out, "PNG")
    return out.getvalue()


def attach(user: User, task_id: str, name: str, data: bytes) -> None:
    """An attachment as the browser would upload it: the API's presigned POST, straight to (emulated) S3."""
    upload = user.api.request_upload(task_id, name=name, content_type="image/png", size=len(data))
    posted = httpx.post(
        upload.upload.url, data=upload.upload.fields, files={"file": (name, data, "image/png")}, timeout=10.0
    )
    posted.raise_for_status()


@pytest.fixture(scope="module")
def seeded(app: App, local: LocalRun) -> Seeded:
    user = new_user(app)
    api = user.api
    work = api.create_label(LabelCreate(name="work", color="#4073ff"))
    home = api.create_label(LabelCreate(name="home", color="#299438"))
    project = api.create_project(ProjectCreate(name="Launch", color="#884dff", sections=["To do", "Doing", "Done"]))
    report = api.create_task(
        TaskCreate(
            title="Write the report",
            notes="**Draft** first, then [the figures](https://example.com).",
            priority=1,
            labels=[work.id],
            project_id=project.id,
            section="Doing",
            due_date=today(),
            due_time=time(23, 59),
            subtasks=[SubtaskIn(title="Outline"), SubtaskIn(title="Charts", done=True)],
        )
    )
    api.create_task(
        TaskCreate(title="Buy oat milk", notes="the barista one", priority=3, labels=[home.id], due_date=today())
    )
    api.create_task(TaskCreate(title="Plan the trip", due_date=today() + timedelta(days=1), recurrence="FREQ=WEEKLY"))
    api.create_task(TaskCreate(title="Read a book"))
    api.create_task(TaskCreate(title="Sketch the logo", project_id=project.id, section="To do", labels=[work.id]))
    paid = api.create_task(TaskCreate(title="Pay rent", due_date=today()))
    api.complete_task(paid.id)
    attach(user, report.id, "cover.png", png())
    # A reminder that fired: the bell has a count and the notifications page an item.
    [reminder] = api.put_reminders(report.id, [ReminderIn(minutes_before=0)]).reminders
    assert reminder.next_at is not None
    assert local.scheduler is not None
    local.scheduler.fire_due(reminder.next_at + timedelta(seconds=1))
    return Seeded(user=user, project_id=project.id, label_id=work.id)


@pytest.fixture(scope="module")
def signed_in_page(browser: Browser, app: App, seeded: Seeded) -> Iterator[Page]:
    context = browser.new_context(base_url=app.url, timezone_id=BROWSER_TIMEZONE, viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, seeded.user)
    yield page
    context.close()


@pytest.fixture(scope="module")
def signed_out_page(browser: Browser, app: App) -> Iterator[Page]:
    context = browser.new_context(base_url=app.url, timezone_id=BROWSER_TIMEZONE, viewport=DESKTOP)
    yield context.new_page()
    context.close()


def light_desktop(page: Page) -> Page:
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(DESKTOP)
    return page


@pytest.fixture
def signed_in(signed_in_page: Page) -> Iterator[Page]:
    yield light_desktop(signed_in_page)
    # The tab's UI state outlives a reload: an open dialog (task panel, quick add) would still be open on the next page.
    dialogs = signed_in_page.get_by_role("dialog")
    for _ in range(dialogs.count()):
        signed_in_page.keyboard.press("Escape")
    expect(dialogs).to_have_count(0)


@pytest.fixture
def signed_out(signed_out_page: Page) -> Page:
    return light_desktop(signed_out_page)


def open_view(page: Page, path: str, *titles: str) -> None:
    page.goto(path)
    ready(page)
    for title in titles:
        expect(row(page, title)).to_be_visible()


def open_project(page: Page, seeded: Seeded, layout: str) -> None:
    open_view(page, f"/projects/{seeded.project_id}")
    choice = page.get_by_role("radio", name=layout)
    choice.click()
    expect(choice).to_be_checked()
    expect(page.get_by_role("listitem", name="Sketch the logo")).to_be_visible()


def open_settings(page: Page) -> None:
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value(BROWSER_TIMEZONE)
    expect(page.get_by_test_id("storage-used")).to_contain_text("used")
    expect(page.locator("[aria-busy='true']")).to_have_count(0)


def open_stats(page: Page) -> None:
    page.goto("/stats")
    expect(page.get_by_role("heading", name="Statistics", level=1)).to_be_visible()
    expect(page.get_by_role("group", name="Completed")).to_be_visible()
    expect(page.locator("[aria-busy='true']")).to_have_count(0)


# --- signed out ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "button"),
    [
        ("/sign-in", "Sign in"),
        ("/sign-up", "Create account"),
        ("/confirm", "Confirm"),
        ("/forgot-password", "Email me a code"),
        ("/reset-password", "Change password"),
    ],
)
def test_signed_out_pages(signed_out: Page, path: str, button: str) -> None:
    signed_out.goto(path)
    expect(signed_out.get_by_role("button", name=button, exact=True)).to_be_enabled()
    assert_accessible(signed_out, context=path)


def test_sign_in_with_an_error_and_sign_up_checklist(signed_out: Page, new_email: str) -> None:
    page = signed_out
    page.goto("/sign-in")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_enabled()
    page.get_by_label("Email", exact=True).fill(new_email)
    page.get_by_label("Password", exact=True).fill("Wrong-Password-1")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, context="sign-in with an error")

    page.goto("/sign-up")
    expect(page.get_by_role("button", name="Create account", exact=True)).to_be_enabled()
    page.get_by_label("Password", exact=True).fill("short")
    expect(page.locator("[data-met='false']")).to_have_count(3)
    assert_accessible(page, context="sign-up with the password checklist")


def test_dev_outbox(signed_out: Page, seeded: Seeded) -> None:
    signed_out.goto("/dev/outbox")
    expect(signed_out.get_by_role("heading", level=1)).to_be_visible()
    expect(signed_out.get_by_text(re.compile(r"\b\d{6}\b")).first).to_be_visible()  # the codes of the sign-ups
    assert_accessible(signed_out, context="/dev/outbox")


# --- signed in: the task views ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/", "Write the report"),
        ("/upcoming", "Plan the trip"),
        ("/inbox", "Read a book"),
        ("/completed", "Pay rent"),
    ],
    ids=["today", "upcoming", "inbox", "completed"],
)
def test_task_views(signed_in: Page, path: str, title: str) -> None:
    open_view(signed_in, path, title)
    assert_accessible(signed_in, context=path)


def test_label_view(signed_in: Page, seeded: Seeded) -> None:
    open_view(signed_in, f"/labels/{seeded.label_id}", "Write the report", "Sketch the logo")
    expect(signed_in.get_by_role("heading", name="@work", level=1)).to_be_visible()
    assert_accessible(signed_in, context="label view")


@pytest.mark.parametrize("layout", ["List", "Board"])
def test_project(signed_in: Page, seeded: Seeded, layout: str) -> None:
    open_project(signed_in, seeded, layout)
    assert_accessible(signed_in, context=f"project as {layout}")


def test_detail_panel_open(signed_in: Page) -> None:
    open_view(signed_in, "/", *TODAY_TASKS)
    row(signed_in, "Write the report").click()
    panel = signed_in.get_by_role("dialog", name="Task details")
    expect(panel).to_be_visible()
    expect(panel.locator(".tmp-attachment[data-attachment='cover.png']")).to_have_attribute(
        "data-status", "ready", timeout=20_000
    )
    expect(panel.get_by_role("list", name="Reminders")).to_contain_text("at the due time")
    assert_accessible(signed_in, context="the task detail panel")


def test_quick_add_dialog_open(signed_in: Page) -> None:
    open_view(signed_in, "/", *TODAY_TASKS)
    signed_in.keyboard.press("q")
    dialog = signed_in.get_by_role("dialog", name="Quick add")
    expect(dialog).to_be_visible()
    dialog.get_by_role("textbox", name="Quick add").fill("Call mom tomorrow 5pm p2 @home")
    expect(dialog.get_by_role("status", name="Quick add understood")).to_contain_text("17:00")
    assert_accessible(signed_in, context="the quick-add dialog")


def test_a_row_being_saved(signed_in: Page, app: App, seeded: Seeded) -> None:
    """The optimistic row, shown before the server has answered (the create is held back by the local API)."""
    open_view(signed_in, "/", *TODAY_TASKS)
    me = seeded.user.api.get_me()
    held = {"path": "/tasks", "method": "POST", "delay_ms": 6000, "user": me.id}
    httpx.post(f"{app.api_url}/local/faults", json=held, timeout=5.0).raise_for_status()
    quick_add_input(signed_in).fill("Saving row today")
    quick_add_input(signed_in).press("Enter")
    pending = signed_in.locator("[data-task-row][data-pending='true']")
    expect(pending).to_have_count(1)
    assert_accessible(signed_in, context="Today with a row being saved")
    expect(pending).to_have_count(0, timeout=20_000)
    expect(row(signed_in, "Saving row")).to_be_visible()  # ("today" is its due date)
    [saved] = [task for task in seeded.user.api.list_tasks(q="Saving row").items if task.title == "Saving row"]
    seeded.user.api.delete_task(saved.id)  # the other tests see the seeded lists only


# --- signed in: the other pages --------------------------------------------------------------
def test_settings(signed_in: Page) -> None:
    open_settings(signed_in)
    assert_accessible(signed_in, context="/settings")


@pytest.mark.parametrize("as_tables", [False, True], ids=["charts", "tables"])
def test_statistics(signed_in: Page, as_tables: bool) -> None:
    open_stats(signed_in)
    switch = signed_in.get_by_role("switch", name="Show as tables")
    if switch.is_checked() != as_tables:
        switch.click()
    expect(switch).to_be_checked(checked=as_tables)
    if as_tables:
        expect(signed_in.get_by_role("table").first).to_be_visible()
    else:
        expect(signed_in.locator(".recharts-surface").first).to_be_visible()
    assert_accessible(signed_in, context=f"/stats as {'tables' if as_tables else 'charts'}")


def test_notifications(signed_in: Page) -> None:
    signed_in.goto("/notifications")
    expect(signed_in.get_by_role("listitem", name="Write the report")).to_be_visible()
    assert_accessible(signed_in, context="/notifications")


# --- dark mode and phone width ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("scheme", "viewport"),
    [("dark", DESKTOP), ("light", PHONE), ("dark", PHONE)],
    ids=["dark-desktop", "light-phone", "dark-phone"],
)
def test_today_and_settings_in_dark_mode_and_at_phone_width(
    signed_in: Page, scheme: Literal["light", "dark"], viewport: ViewportSize
) -> None:
    signed_in.emulate_media(color_scheme=scheme)
    signed_in.set_viewport_size(viewport)
    open_view(signed_in, "/", *TODAY_TASKS)
    if scheme == "dark":  # really dark (Radix follows the system scheme): contrast is checked on the dark theme
        background = signed_in.evaluate("getComputedStyle(document.body).backgroundColor")
        assert max(int(c) for c in re.findall(r"\d+", background)[:3]) < 80, f"the page is not dark: {background}"
    assert_accessible(signed_in, context=f"Today ({scheme}, {viewport['width']} px)")
    open_settings(signed_in)
    assert_accessible(signed_in, context=f"Settings ({scheme}, {viewport['width']} px)")
