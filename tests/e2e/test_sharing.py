"""Shared projects (issue 13) in headless Chromium, two users in two browser profiles: A shares a project with B by
email, B accepts from the sidebar, A assigns a task to B, B comments with an @mention of A, A replies, each edits;
each screen shows the other's changes live (no reload), B's "Assigned to me" lists the task, the new dialogs pass the
WCAG checks, and when A removes B, B's screen drops the project.

One flow on purpose: each step needs the one before, and a browser test costs seconds.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from backend.client.api import ProjectCreate, TaskCreate
from tests.e2e.accessibility import assert_accessible
from tests.e2e.conftest import BROWSER_TIMEZONE, App
from tests.e2e.test_tasks import User, eventually, new_user, row, row_behind, sign_in, visit

pytestmark = pytest.mark.e2e

LIVE_MS = 2000  # the bound is 1 s; the browser's own work on 2 shared CPUs gets the rest
XSS = '<img src=x onerror="window.__xss=1">'


def signed_in_as(browser: Browser, app: App, user: User) -> Page:
    context = browser.new_context(
        base_url=app.url, timezone_id=BROWSER_TIMEZONE, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    sign_in(page, user)
    return page


def shared_link(page: Page, name: str) -> Locator:
    """A shared project's sidebar link (its name is the marker's, the project's, then the members')."""
    return page.get_by_role("link", name=re.compile(rf"^Shared project {re.escape(name)}\b"))


def test_share_accept_assign_comment_and_see_each_other_live(browser: Browser, app: App) -> None:
    ada, bob = new_user(app), new_user(app)
    ada.api.update_me({"display_name": "Ada Lovelace"})
    bob.api.update_me({"display_name": "Bob Builder"})
    trip = ada.api.create_project(ProjectCreate(name="Trip", color="#4073ff"))
    ada.api.create_task(TaskCreate(title="Book flights", project_id=trip.id))
    page_a = signed_in_as(browser, app, ada)
    page_b: Page | None = None
    try:
        page_b = signed_in_as(browser, app, bob)  # B is signed in before A invites: the invitation arrives live
        # A shares the project from its menu: the invitation is listed at once (pending).
        visit(page_a, f"/projects/{trip.id}")
        page_a.get_by_role("button", name="Project menu").click()
        page_a.get_by_role("menuitem", name="Share…").click()
        dialog = page_a.get_by_role("dialog", name=re.compile("^Share"))
        expect(dialog.get_by_role("list", name="Members").get_by_role("listitem", name="Ada Lovelace")).to_be_visible()
        dialog.get_by_label("Email to invite").fill(bob.email)
        dialog.get_by_label("Role for the invitation").select_option("editor")
        invited_at = time.monotonic()
        dialog.get_by_role("button", name="Invite").click()
        invited = dialog.get_by_role("list", name="Pending invitations").get_by_role("listitem", name=bob.email)
        expect(invited).to_be_visible()
        expect(invited).to_have_attribute("data-pending", "false")  # the server's answer replaced the shown one
        confirmed_at = time.monotonic()
        assert_accessible(page_a, context="the share dialog")

        # B, signed in all along, sees it appear in the sidebar (its inbox row was published, no reload); accepting
        # puts the project there at once.
        invitation = page_b.get_by_role("list", name="Invitations").get_by_role("listitem", name="Trip")
        expect(invitation).to_be_visible()
        assert_accessible(page_b, context="an invitation in the sidebar")
        accepted_at = time.monotonic()
        invitation.get_by_role("button", name="Accept Trip").click()
        shared = shared_link(page_b, "Trip")
        expect(shared).to_be_visible()
        expect(shared.get_by_role("img", name="Ada Lovelace")).to_be_visible()  # the server's project, members and all
        in_sidebar_at = time.monotonic()
        print(
            f"invitation: sent -> confirmed in A's dialog {1000 * (confirmed_at - invited_at):.0f} ms; "
            f"accepted -> in B's sidebar with members {1000 * (in_sidebar_at - accepted_at):.0f} ms"
        )
        expect(page_b.get_by_role("list", name="Invitations")).to_have_count(0)

        # A's open dialog follows: B is a member now (an editor), no longer an invitation.
        bob_row = dialog.get_by_role("list", name="Members").get_by_role("listitem", name="Bob Builder")
        expect(bob_row).to_be_visible(timeout=LIVE_MS)
        expect(bob_row).to_have_attribute("data-role", "editor")
        expect(dialog.get_by_role("list", name="Pending invitations")).to_have_count(0)
        page_a.keyboard.press("Escape")
        expect(dialog).to_have_count(0)
        expect(shared_link(page_a, "Trip")).to_be_visible()

        # B watches "Assigned to me" while A assigns the task to B in the detail panel: it appears there live.
        visit(page_b, "/assigned")
        expect(page_b.get_by_role("heading", name="Assigned to me", level=1)).to_be_visible()
        expect(row(page_b, "Book flights")).to_have_count(0)
        row(page_a, "Book flights").click()
        panel_a = page_a.get_by_role("dialog", name="Task details")
        panel_a.get_by_label("Assignee").select_option(label="Bob Builder")
        # (the row is under the modal panel: found by its attributes, not by role)
        expect(row_behind(page_a, "Book flights").locator("[aria-label='Assigned to Bob Builder']")).to_be_visible()
        expect(row(page_b, "Book flights")).to_be_visible(timeout=LIVE_MS)
        expect(row(page_b, "Book flights").get_by_role("img", name=re.compile("^Assigned to"))).to_be_visible()
        eventually(
            lambda: [t.title for t in bob.api.list_tasks(assignee="me").items] == ["Book flights"],
            page_b,
            "the assignment was not saved",
        )

        # B comments with an @mention of A, picked from the suggestions; raw HTML stays text.
        row(page_b, "Book flights").click()
        panel_b = page_b.get_by_role("dialog", name="Task details")
        box = panel_b.get_by_label("Add a comment")
        box.fill("On it @Ad")
        suggestions = panel_b.get_by_role("listbox", name="Mention a member")
        expect(suggestions).to_be_visible()
        assert_accessible(page_b, context="the comments with @mention suggestions")
        suggestions.get_by_role("option", name=re.compile("Ada Lovelace")).click()
        expect(box).to_have_value("On it @AdaLovelace ")
        box.fill(f"On it @AdaLovelace, **tomorrow** {XSS}")
        panel_b.get_by_role("button", name="Comment").click()
        mine = panel_b.get_by_role("listitem", name="Comment by You")
        expect(mine).to_be_visible()
        expect(mine).to_have_attribute("data-pending", "false")

        # A's open panel shows B's comment without a reload, rendered safely; the row counts it.
        theirs = panel_a.get_by_role("listitem", name="Comment by Bob Builder")
        expect(theirs).to_be_visible(timeout=LIVE_MS)
        expect(theirs.locator("strong")).to_have_text("tomorrow")
        expect(theirs).to_contain_text("<img")  # shown as text, never an element
        assert theirs.locator("img, script").count() == 0
        assert page_a.evaluate("window.__xss") is None
        expect(row_behind(page_a, "Book flights").locator("[aria-label='1 comments']")).to_be_visible(timeout=LIVE_MS)
        assert_accessible(page_a, context="the task panel of a shared task with a comment")

        # B edits the comment (marked edited): A's open panel shows the edit in place, live.
        mine.get_by_role("button", name="Edit comment").click()
        mine.get_by_label("Edit the comment").fill("On it, @AdaLovelace - booked for **Friday**")
        mine.get_by_role("button", name="Save").click()
        expect(mine.locator("strong")).to_have_text("Friday")
        expect(mine).to_contain_text("(edited)")
        expect(theirs.locator("strong")).to_have_text("Friday", timeout=LIVE_MS)
        expect(theirs).to_contain_text("(edited)")

        # A replies, then edits the reply: B's open panel and row follow each, live.
        panel_a.get_by_label("Add a comment").fill("Thanks!")
        panel_a.get_by_role("button", name="Comment", exact=True).click()
        reply_a = panel_a.get_by_role("listitem", name="Comment by You")
        expect(reply_a).to_have_attribute("data-pending", "false")
        reply_b = panel_b.get_by_role("listitem", name="Comment by Ada Lovelace")
        expect(reply_b).to_contain_text("Thanks!", timeout=LIVE_MS)
        expect(row_behind(page_b, "Book flights").locator("[aria-label='2 comments']")).to_be_visible(timeout=LIVE_MS)
        reply_a.get_by_role("button", name="Edit comment").click()
        reply_a.get_by_label("Edit the comment").fill("Thanks! Friday works for **me**")
        reply_a.get_by_role("button", name="Save").click()
        expect(reply_b.locator("strong")).to_have_text("me", timeout=LIVE_MS)
        expect(reply_b).to_contain_text("(edited)")

        # B deletes their comment: it leaves A's panel live too.
        mine.get_by_role("button", name="Delete comment").click()
        expect(panel_b.get_by_role("listitem", name="Comment by You")).to_have_count(0)
        expect(theirs).to_have_count(0, timeout=LIVE_MS)

        # And back: A renames the task; B's open panel and list follow.
        title_a = panel_a.get_by_label("Title")
        title_a.fill("Book flights to Lisbon")
        title_a.press("Enter")
        # B's clock starts when A's save is acknowledged (the row has the new title and is no longer pending), as
        # for the comments above: under load A's own round trip took most of B's 2 s (the full run failed here once).
        expect(row_behind(page_a, "Book flights to Lisbon")).to_have_attribute("data-pending", "false")
        expect(panel_b.get_by_label("Title")).to_have_value("Book flights to Lisbon", timeout=LIVE_MS)
        expect(row_behind(page_b, "Book flights to Lisbon")).to_be_visible(timeout=LIVE_MS)

        # A reads the project's activity: who did what, with before -> after.
        page_a.keyboard.press("Escape")
        expect(panel_a).to_have_count(0)
        page_a.get_by_role("button", name="Project menu").click()
        page_a.get_by_role("menuitem", name="Activity").click()
        log = page_a.get_by_role("dialog", name=re.compile("^Activity in")).get_by_role("list", name="Activity")
        expect(log.get_by_role("listitem").filter(has_text="Bob Builder commented on")).to_be_visible()
        expect(log.get_by_role("listitem").filter(has_text="You assigned")).to_contain_text("Bob Builder")
        page_a.keyboard.press("Escape")

        # A removes B: B's screen drops the project, its task and the open panel at once (no reload).
        page_a.get_by_role("button", name="Project menu").click()
        page_a.get_by_role("menuitem", name="Share…").click()
        dialog.get_by_role("button", name="Remove Bob Builder").click()
        expect(dialog.get_by_role("list", name="Members").get_by_role("listitem", name="Bob Builder")).to_have_count(0)
        expect(shared_link(page_b, "Trip")).to_have_count(0, timeout=LIVE_MS)
        expect(panel_b).to_have_count(0, timeout=LIVE_MS)
        expect(row(page_b, "Book flights to Lisbon")).to_have_count(0)
    finally:
        page_a.context.close()
        if page_b is not None:
            page_b.context.close()
