"""Reminders end to end: add one in the task panel, fire it with the local scheduler's test clock, see the bell's
unread count and the inbox in the browser, the email in the outbox; mark read, snooze.
"""

from __future__ import annotations

import re
import uuid
from datetime import time, timedelta

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from backend.client import ApiClient
from backend.client.api import ReminderIn, TaskCreate
from backend.local.testing import LocalRun
from tests.e2e.conftest import App
from tests.e2e.test_tasks import new_user, ready, row, sign_in, today

pytestmark = pytest.mark.e2e


def test_reminder_added_in_the_panel_reaches_the_bell_inbox_and_outbox(page: Page, app: App, local: LocalRun) -> None:
    user = new_user(app)
    user.api.create_task(TaskCreate(title="Call grandma", due_date=today(), due_time=time(23, 59)))
    sign_in(page, user)
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()  # no unread yet

    row(page, "Call grandma").click()
    panel = page.get_by_role("dialog", name="Task details")
    expect(panel).to_be_visible()
    panel.get_by_label("New reminder").select_option("0")
    panel.get_by_role("button", name="Add reminder").click()
    reminders = panel.get_by_role("list", name="Reminders")
    expect(reminders.get_by_role("listitem")).to_have_count(1)
    expect(reminders).to_contain_text("at the due time")

    # the test clock: fire whatever is due in a day, as EventBridge would at 23:59 tonight
    [task] = [t for t in user.api.list_tasks().items if t.title == "Call grandma"]
    [reminder] = user.api.get_reminders(task.id).reminders
    assert reminder.next_at is not None
    assert local.scheduler is not None
    fired = local.scheduler.fire_due(reminder.next_at + timedelta(seconds=1))
    assert [f.result for f in fired if f.name.startswith(f"r-{task.id}-")] == [{"status": "sent"}]

    panel.get_by_role("button", name="Close the task panel").click()
    expect(panel).to_have_count(0)
    page.reload()
    ready(page)
    bell = page.get_by_role("link", name="Notifications, 1 unread")
    expect(bell).to_be_visible()
    bell.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    item = page.get_by_role("listitem", name="Call grandma")
    expect(item).to_be_visible()
    expect(item).to_contain_text(re.compile("email sent"))

    emails = [
        m for m in ApiClient(app.api_url).outbox() if user.email in m.to and m.subject == "Reminder: Call grandma"
    ]
    assert len(emails) == 1
    assert emails[0].html is not None
    assert "Mark as done" in emails[0].html

    # snooze it (a new schedule), then mark everything read: the bell goes quiet
    item.get_by_role("button", name="Snooze").click()
    page.get_by_role("menuitem", name="In 1 hour").click()
    expect(item).to_contain_text("snoozed")
    expect(page.get_by_role("link", name="Notifications", exact=True)).to_be_visible()
    assert user.api.unread_count() == 0
    page.reload()
    expect(page.get_by_role("listitem", name="Call grandma")).to_be_visible()
    expect(page.get_by_role("button", name="Mark all read")).to_be_disabled()

    # the local outbox page shows the email, its HTML rendered in a sandboxed frame
    page.goto("/dev/outbox")
    card = page.locator(".rt-Card.rt-r-size-1", has_text="Reminder: Call grandma")
    expect(card).to_be_visible()
    card.get_by_text("Rendered email (HTML)").click()
    expect(card.frame_locator("iframe").get_by_role("link", name="Mark as done")).to_be_visible()


def test_reminder_settings_verify_the_sms_number_and_switch_the_digest_on(page: Page, app: App) -> None:
    user = new_user(app)
    sign_in(page, user)
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Reminders", level=2)).to_be_visible()
    phone = f"+4917{uuid.uuid4().int % 10**9:09d}"
    page.locator("#verify_phone").fill(phone)
    page.get_by_role("button", name="Send code").click()
    code_field = page.get_by_label("Code from the SMS")
    expect(code_field).to_be_visible()
    [sms] = [m for m in ApiClient(app.api_url).outbox() if phone in m.to]
    code = re.search(r"\b(\d{6})\b", sms.body)
    assert code
    code_field.fill(code.group(1))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_text("Verified", exact=True)).to_be_visible()

    page.get_by_text("Daily digest email").click()
    page.get_by_label("Digest time").fill("07:45")
    page.get_by_label("Default reminder for tasks with a due time").select_option("30")
    page.get_by_role("button", name="Save reminder settings").click()
    expect(page.get_by_text("Reminder settings saved.")).to_be_visible()
    preferences = user.api.get_me().preferences
    assert preferences.sms_verified
    assert preferences.sms_notifications
    assert preferences.digest_enabled
    assert preferences.digest_time == "07:45"
    assert preferences.default_reminder_minutes == 30


PHONE: ViewportSize = {"width": 390, "height": 844}


def assert_no_sideways_scroll(page: Page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{what} scrolls sideways at phone width ({width}px)"


def test_reminder_screens_work_at_phone_width_in_dark_mode(page: Page, app: App, local: LocalRun) -> None:
    user = new_user(app)
    task = user.api.create_task(TaskCreate(title="Water the balcony plants", due_date=today(), due_time=time(23, 59)))
    [reminder] = user.api.put_reminders(task.id, [ReminderIn(minutes_before=0)]).reminders
    assert reminder.next_at is not None
    assert local.scheduler is not None
    local.scheduler.fire_due(reminder.next_at + timedelta(seconds=1))
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size(PHONE)
    sign_in(page, user)

    # The bell with its count fits the compact header; the inbox item and its actions fit the screen.
    bell = page.get_by_role("link", name="Notifications, 1 unread")
    expect(bell).to_be_visible()
    bell.click()
    item = page.get_by_role("listitem", name="Water the balcony plants")
    expect(item).to_be_visible()
    expect(item.get_by_role("button", name="Snooze")).to_be_in_viewport()
    assert_no_sideways_scroll(page, "the inbox")
    item.get_by_role("button", name="Snooze").click()
    page.get_by_role("menuitem", name="In 10 minutes").click()
    expect(item).to_contain_text("snoozed")

    # The reminders editor in the task panel, and Settings → Reminders.
    page.goto("/")
    ready(page)
    row(page, "Water the balcony plants").click()
    panel = page.get_by_role("dialog", name="Task details")
    reminders = panel.get_by_role("list", name="Reminders")
    reminders.scroll_into_view_if_needed()
    expect(reminders).to_contain_text("at the due time")
    expect(panel.get_by_role("button", name="Add reminder")).to_be_visible()
    assert_no_sideways_scroll(page, "the task panel")
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Reminders", level=2)).to_be_visible()
    expect(page.get_by_label("Phone number for SMS reminders")).to_be_visible()
    assert_no_sideways_scroll(page, "Settings")
    # Dark mode really is on (Radix marks the document; the page background is dark).
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
    assert max(channels) < 80, f"the page is not dark: {background}"
