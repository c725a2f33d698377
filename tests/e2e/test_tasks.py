"""The task dashboard end to end in headless Chromium: quick add in natural language, views, complete + undo,
the project board, filters and search, the detail panel (markdown, 409), bulk actions and the keyboard.

Each test signs in a user of its own (made through Cognito directly; the sign-up UI has its own test) and
seeds what it needs through the same REST client the UI uses.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from backend.client import ApiClient, CognitoAuth, Tokens
from backend.client.api import LabelCreate, ProjectCreate, SubtaskIn, TaskCreate, TaskUpdate
from tests.e2e.conftest import BROWSER_TIMEZONE, App

pytestmark = pytest.mark.e2e

PASSWORD = "Correct-Horse-9"
WELCOME = re.compile("^Welcome")


# --- helpers ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class User:
    email: str
    api: ApiClient  # the user's own REST client, to seed and to check what the UI saved


def today() -> date:
    """The user's today (the profile's time zone is the browser's)."""
    return datetime.now(ZoneInfo(BROWSER_TIMEZONE)).date()


def new_user(app: App) -> User:
    email = f"tasks-{uuid.uuid4().hex[:10]}@example.com"
    auth = CognitoAuth(ApiClient(app.api_url).config())
    before = app.sent_to(email)
    auth.sign_up(email, PASSWORD)
    auth.confirm_sign_up(email, app.latest_code(email, after=before))
    tokens = auth.sign_in(email, PASSWORD)
    assert isinstance(tokens, Tokens)
    api = ApiClient(app.api_url, tokens.access_token)
    api.update_me({"timezone": BROWSER_TIMEZONE, "display_name": "Grace"})
    return User(email=email, api=api)


def sign_in(page: Page, user: User) -> None:
    page.goto("/sign-in")
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_enabled()
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=WELCOME, level=1)).to_be_visible()
    ready(page)


def ready(page: Page) -> None:
    """The list page is hydrated (its handlers are live) and its first page is loaded."""
    expect(page.get_by_role("button", name="Select", exact=True)).to_be_enabled()
    expect(page.locator("[aria-busy='true']")).to_have_count(0)


def visit(page: Page, path: str) -> None:
    page.goto(path)
    ready(page)


def row(page: Page, title: str) -> Locator:
    return page.get_by_role("listitem", name=title, exact=True)


def row_behind(page: Page, title: str) -> Locator:
    """A row under an open dialog (a modal hides the page from the accessibility tree, not from the DOM)."""
    return page.locator(f"[data-task-row][aria-label={title!r}]")


def quick_add_input(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Quick add").first


def chips(page: Page) -> Locator:
    return page.get_by_role("status", name="Quick add understood").first


def toast(page: Page, text: str | re.Pattern[str]) -> Locator:
    return page.locator("[data-sonner-toast]").filter(has_text=text)


def focused_row_title(page: Page) -> str:
    return str(page.evaluate("document.activeElement?.closest('[data-task-row]')?.getAttribute('aria-label') || ''"))


def eventually(check: Callable[[], bool], page: Page, what: str) -> None:
    """Poll a condition on the server side (what the UI saved), without a fixed sleep."""
    for _ in range(100):
        if check():
            return
        page.wait_for_timeout(100)
    raise AssertionError(what)


def task_titled(user: User, title: str, **filters: object) -> dict[str, object]:
    items = user.api.list_tasks(q=title, status="all", **filters).items  # type: ignore[arg-type]
    found = [task for task in items if task.title == title]
    assert found, f"no task titled {title!r}"
    return found[0].model_dump()


# --- tests -----------------------------------------------------------------------------------
def test_quick_add_in_natural_language_lands_in_the_right_views(page: Page, app: App) -> None:
    user = new_user(app)
    user.api.create_project(ProjectCreate(name="Garage"))
    garden = user.api.create_project(ProjectCreate(name="Garden"))
    sign_in(page, user)

    # Chips show what the line means before it is saved.
    quick_add_input(page).fill("Pay rent every last day of month p1 @home")
    understood = chips(page)
    expect(understood).to_contain_text("Pay rent")
    expect(understood).to_contain_text("Priority 1")
    expect(understood).to_contain_text("home")
    expect(understood).to_contain_text("every month on the last day")
    quick_add_input(page).press("Enter")
    expect(toast(page, "Task added")).to_be_visible()
    expect(quick_add_input(page)).to_have_value("")

    quick_add_input(page).fill("Call mom tomorrow 5pm")
    expect(chips(page)).to_contain_text("17:00")
    quick_add_input(page).press("Enter")
    expect(toast(page, "Call mom")).to_be_visible()

    # Enter right after typing, before the live parse has answered, still saves: the line is parsed on save.
    quick_add_input(page).fill("Book the dentist in 3 days")
    quick_add_input(page).press("Enter")
    expect(toast(page, "Book the dentist")).to_be_visible()
    expect(quick_add_input(page)).to_have_value("")
    eventually(
        lambda: task_titled(user, "Book the dentist")["due_date"] == today() + timedelta(days=3),
        page,
        "the task typed and saved at once was not saved with its date",
    )

    # Not due today: neither is on Today. Both are in the Inbox, with their due chips.
    expect(row(page, "Call mom")).to_have_count(0)
    visit(page, "/inbox")
    rent = row(page, "Pay rent")
    expect(rent).to_be_visible()
    expect(rent.get_by_label("Repeats")).to_be_visible()
    expect(rent).to_contain_text("home")
    expect(rent.get_by_role("checkbox", name="Complete Pay rent")).to_be_visible()
    expect(row(page, "Call mom")).to_contain_text("Tomorrow 17:00")

    # Upcoming groups by day: "Call mom" is tomorrow's.
    visit(page, "/upcoming")
    tomorrow = page.locator(f"[data-group='{(today() + timedelta(days=1)).isoformat()}']")
    expect(tomorrow.get_by_role("listitem", name="Call mom")).to_be_visible()

    saved = task_titled(user, "Pay rent")
    assert (saved["priority"], saved["recurrence"]) == (1, "FREQ=MONTHLY;BYMONTHDAY=-1")
    [home] = [label for label in user.api.list_labels() if label.name == "home"]
    assert saved["labels"] == [home.id]

    # A reload keeps everything.
    page.reload()
    ready(page)
    expect(tomorrow.get_by_role("listitem", name="Call mom")).to_be_visible()

    # The suggestions by keyboard: Down reaches the first, the arrows move between them (Left from the first and
    # Esc go back to the line), Enter picks one and the line keeps the focus; Enter again saves.
    field = quick_add_input(page)
    field.fill("Water the roses #ga")
    suggestions = page.get_by_role("group", name="Suggestions")
    garage, garden_button = (suggestions.get_by_role("button", name=re.compile(name)) for name in ("Garage", "Garden"))
    expect(garden_button).to_be_visible()
    field.press("ArrowDown")
    expect(garage).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(garden_button).to_be_focused()
    page.keyboard.press("Escape")
    expect(field).to_be_focused()
    field.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    expect(field).to_be_focused()
    field.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(field).to_have_value("Water the roses #Garden ")
    expect(field).to_be_focused()
    field.press("Enter")
    expect(toast(page, "Water the roses")).to_be_visible()
    eventually(
        lambda: task_titled(user, "Water the roses")["project_id"] == garden.id,
        page,
        "the suggestion picked by keyboard did not put the task in Garden",
    )


def test_complete_with_undo_recurring_next_date_and_completed_view(page: Page, app: App) -> None:
    user = new_user(app)
    user.api.create_task(TaskCreate(title="Buy milk", due_date=today()))
    user.api.create_task(TaskCreate(title="Water plants", due_date=today(), recurrence="FREQ=DAILY"))
    sign_in(page, user)

    # Complete: the row goes at once; the toast's Undo brings it back.
    row(page, "Buy milk").get_by_role("checkbox", name="Complete Buy milk").click()
    expect(row(page, "Buy milk")).to_have_count(0)
    completed = toast(page, "Task completed")
    expect(completed).to_be_visible()
    completed.get_by_role("button", name="Undo").click()
    expect(row(page, "Buy milk")).to_be_visible()
    eventually(lambda: task_titled(user, "Buy milk")["status"] == "open", page, "undo did not reopen")

    # A recurring task moves on to its next date and says so.
    row(page, "Water plants").get_by_role("checkbox", name="Complete Water plants").click()
    expect(toast(page, re.compile(r"^Next: Tomorrow"))).to_be_visible()
    expect(row(page, "Water plants")).to_have_count(0)
    eventually(
        lambda: task_titled(user, "Water plants")["due_date"] == today() + timedelta(days=1),
        page,
        "the series did not move on",
    )

    # Completed view: reopen from there.
    row(page, "Buy milk").get_by_role("checkbox", name="Complete Buy milk").click()
    expect(row(page, "Buy milk")).to_have_count(0)
    visit(page, "/completed")
    done = row(page, "Buy milk")
    expect(done).to_contain_text("Completed today")
    done.get_by_role("button", name="Reopen Buy milk").click()
    expect(row(page, "Buy milk")).to_have_count(0)
    expect(toast(page, "Task reopened")).to_be_visible()
    visit(page, "/")
    expect(row(page, "Buy milk")).to_be_visible()


def test_project_board_move_a_card_and_reload(page: Page, app: App) -> None:
    user = new_user(app)
    sign_in(page, user)

    # A project with sections, made in the sidebar.
    page.get_by_role("button", name="New project").first.click()
    dialog = page.get_by_role("dialog", name="New project")
    dialog.get_by_label("Name").fill("Launch")
    dialog.get_by_role("button", name="Project colour: Grape").click()
    dialog.get_by_label("Sections (board columns)").fill("To do\nDoing\nDone")
    dialog.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Launch", level=1)).to_be_visible()
    ready(page)
    [project] = [p for p in user.api.list_projects() if p.name == "Launch"]
    assert (project.color, project.sections) == ("#884dff", ["To do", "Doing", "Done"])

    # Quick add on a project page adds to that project.
    quick_add_input(page).fill("Write press release")
    expect(chips(page)).to_contain_text("Launch")
    quick_add_input(page).press("Enter")
    expect(row(page, "Write press release")).to_be_visible()

    # Board: columns by section; move the card with its select.
    page.get_by_role("radio", name="Board").click()
    loose = page.locator("[data-column='__none__']")
    expect(loose.get_by_role("listitem", name="Write press release")).to_be_visible()
    page.get_by_label("Move Write press release to column").select_option(label="Doing")
    doing = page.locator("[data-column='Doing']")
    expect(doing.get_by_role("listitem", name="Write press release")).to_be_visible()
    expect(loose.get_by_role("listitem", name="Write press release")).to_have_count(0)
    eventually(lambda: task_titled(user, "Write press release")["section"] == "Doing", page, "section not saved")

    # A reload keeps the board and the card's column.
    page.reload()
    ready(page)
    expect(page.locator("[data-column='Doing']").get_by_role("listitem", name="Write press release")).to_be_visible()

    # Columns by status: moving to Done completes the task.
    page.get_by_label("Board columns").select_option("status")
    expect(page.locator("[data-column='open']").get_by_role("listitem", name="Write press release")).to_be_visible()
    page.get_by_label("Move Write press release to column").select_option(label="Done")
    expect(page.locator("[data-column='done']").get_by_role("listitem", name="Write press release")).to_be_visible()
    eventually(lambda: task_titled(user, "Write press release")["status"] == "done", page, "not completed")


def test_filters_search_and_label_view(page: Page, app: App) -> None:
    user = new_user(app)
    work = user.api.create_label(LabelCreate(name="work", color="#4073ff"))
    home = user.api.create_label(LabelCreate(name="home", color="#299438"))
    user.api.create_task(TaskCreate(title="Urgent report", priority=1, labels=[work.id]))
    user.api.create_task(TaskCreate(title="Lazy reading", priority=4, labels=[home.id]))
    user.api.create_task(TaskCreate(title="Buy milk", notes="remember the oat milk", priority=3))
    sign_in(page, user)
    visit(page, "/inbox")
    for title in ("Urgent report", "Lazy reading", "Buy milk"):
        expect(row(page, title)).to_be_visible()

    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Priority", exact=True).select_option(label="Priority 1")
    expect(row(page, "Lazy reading")).to_have_count(0)
    expect(row(page, "Urgent report")).to_be_visible()
    page.get_by_label("Priority", exact=True).select_option(label="Any priority")
    page.get_by_label("Label", exact=True).select_option(label="home")
    expect(row(page, "Urgent report")).to_have_count(0)
    expect(row(page, "Lazy reading")).to_be_visible()
    page.get_by_role("button", name="Clear all").click()
    page.keyboard.press("Escape")
    expect(row(page, "Urgent report")).to_be_visible()

    # Search finds words in the notes too.
    page.get_by_role("searchbox", name="Search tasks").fill("oat")
    expect(row(page, "Urgent report")).to_have_count(0)
    expect(row(page, "Buy milk")).to_be_visible()
    # "Clear all" empties the search box too (the box is the browser's own: the state remounts it).
    page.get_by_role("button", name="Filters").click()
    page.get_by_role("button", name="Clear all").click()
    page.keyboard.press("Escape")
    expect(page.get_by_role("searchbox", name="Search tasks")).to_have_value("")
    expect(row(page, "Urgent report")).to_be_visible()

    # A label of the sidebar lists its tasks.
    page.get_by_role("link", name="work", exact=True).click()
    expect(page.get_by_role("heading", name="@work", level=1)).to_be_visible()
    expect(row(page, "Urgent report")).to_be_visible()
    expect(row(page, "Lazy reading")).to_have_count(0)


def test_detail_panel_edits_markdown_safely_follows_changes_and_reports_conflicts(page: Page, app: App) -> None:
    user = new_user(app)
    notes = '**Pack** light\n\n<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script>'
    task = user.api.create_task(TaskCreate(title="Plan trip", notes=notes, due_date=today()))
    sign_in(page, user)

    row(page, "Plan trip").click()
    panel = page.get_by_role("dialog", name="Task details")
    expect(panel).to_be_visible()
    preview = panel.get_by_test_id("notes-preview")
    expect(preview.locator("strong")).to_have_text("Pack")
    expect(preview).to_contain_text("<script>")  # shown as text, never run
    assert preview.locator("img, script").count() == 0
    assert page.evaluate("window.__xss === undefined")

    # Inline edits are saved at once (and the row follows).
    title = panel.get_by_label("Title")
    title.fill("Plan the trip")
    title.press("Enter")
    expect(row_behind(page, "Plan the trip")).to_be_visible()
    panel.get_by_label("Priority").select_option(label="Priority 2")
    panel.get_by_label("Add a checklist item").fill("Book flights")
    panel.get_by_label("Add a checklist item").press("Enter")
    expect(panel.locator("[data-subtask='Book flights']")).to_be_visible()
    panel.get_by_label("Add a checklist item").fill("Pack")
    panel.get_by_label("Add a checklist item").press("Enter")
    panel.get_by_role("button", name="Move up: Pack").click()
    expect(panel.locator("[data-subtask]").first).to_have_attribute("data-subtask", "Pack")
    panel.get_by_role("checkbox", name="Done: Book flights").click()
    panel.get_by_label("Repeat").select_option(label="Every week")
    expect(panel).to_contain_text("every week")

    def saved() -> bool:
        stored = user.api.get_task(task.id)
        subtasks = [(s.title, s.done) for s in stored.subtasks]
        return (stored.priority, stored.recurrence, subtasks) == (
            2,
            "FREQ=WEEKLY",
            [("Pack", False), ("Book flights", True)],
        )

    eventually(saved, page, "the panel's edits were not all saved")

    # Someone else changes the task meanwhile: the open panel shows it at once (live), so leaving the title field
    # does not save the old text over it.
    current = user.api.get_task(task.id)
    user.api.update_task(task.id, TaskUpdate(version=current.version, title="Plan the trip to Rome"))
    expect(panel.get_by_label("Title")).to_have_value("Plan the trip to Rome", timeout=2_000)
    panel.get_by_label("Title").focus()
    panel.get_by_label("Title").blur()

    # A real race: this panel's save waits in the network (a delay of the local API) while the other change lands
    # first. The save is refused, the panel says so and offers the stored task; nothing is overwritten silently.
    me = user.api.get_me().id
    fault = {"method": "PATCH", "path": f"/tasks/{task.id}", "delay_ms": 1500, "count": 1, "user": me}
    held = httpx.post(f"{app.api_url}/local/faults", json=fault).json()["fault"]["id"]
    panel.get_by_label("Title").fill("My stale title")
    panel.get_by_label("Title").press("Enter")

    def save_sent() -> bool:
        return all(f["id"] != held for f in httpx.get(f"{app.api_url}/local/faults").json()["faults"])

    eventually(save_sent, page, "the panel's save was not sent")
    current = user.api.get_task(task.id)
    user.api.update_task(task.id, TaskUpdate(version=current.version, title="Plan the trip to Rome, again"))
    expect(panel.get_by_text("This task was changed elsewhere.")).to_be_visible()
    panel.get_by_role("button", name="Reload").click()
    expect(panel.get_by_label("Title")).to_have_value("Plan the trip to Rome, again")
    assert user.api.get_task(task.id).title == "Plan the trip to Rome, again"
    page.keyboard.press("Escape")
    expect(row(page, "Plan the trip to Rome, again")).to_be_visible()


def test_nested_subtasks_show_counts_fold_and_complete_with_their_parent(page: Page, app: App) -> None:
    """Issue 14: subtasks under their parent in a project's list, "3/5 done", folded and unfolded, a subtask added
    one level down from the panel, and completing the parent asks about the open ones."""
    user = new_user(app)
    garden = user.api.create_project(ProjectCreate(name="Garden"))
    root = user.api.create_task(TaskCreate(title="Plan the garden", project_id=garden.id))
    kids = [
        user.api.create_task(TaskCreate(title=t, parent_id=root.id)) for t in ("Pick plants", "Fence", "A", "B", "C")
    ]
    for kid in kids[2:]:
        user.api.complete_task(kid.id)
    user.api.create_task(TaskCreate(title="Buy seeds", parent_id=kids[0].id))
    sign_in(page, user)
    visit(page, f"/projects/{garden.id}")

    parent = row(page, "Plan the garden")
    expect(parent).to_contain_text("3/5 done")
    expect(row(page, "Buy seeds")).to_have_attribute("data-depth", "2")
    parent.get_by_role("button", name="Hide subtasks of Plan the garden").click()
    expect(row(page, "Pick plants")).to_have_count(0)
    expect(row(page, "Buy seeds")).to_have_count(0)
    parent.get_by_role("button", name="Show subtasks of Plan the garden").click()
    expect(row(page, "Buy seeds")).to_be_visible()

    # A subtask of a subtask, added in the panel, lands under it in the list.
    row(page, "Pick plants").click()
    panel = page.get_by_role("dialog", name="Task details")
    expect(panel.locator("[data-child='Buy seeds']")).to_be_visible()
    panel.get_by_label("Add a subtask").fill("Dig beds")
    panel.get_by_label("Add a subtask").press("Enter")
    expect(panel.locator("[data-child='Dig beds']")).to_be_visible()
    page.keyboard.press("Escape")
    expect(row(page, "Dig beds")).to_have_attribute("data-depth", "2")
    expect(row(page, "Pick plants")).to_contain_text("0/2 done")

    # Indent puts a row under the one above it (last of its subtasks); Outdent brings it back a level.
    row(page, "Fence").get_by_role("button", name="More actions for Fence").click()
    page.get_by_role("menuitem", name="Indent").click()
    expect(row(page, "Fence")).to_have_attribute("data-depth", "2")
    expect(row(page, "Pick plants")).to_contain_text("0/3 done")
    eventually(lambda: task_titled(user, "Fence")["parent_id"] == kids[0].id, page, "Fence did not go under")
    row(page, "Fence").get_by_role("button", name="More actions for Fence").click()
    page.get_by_role("menuitem", name="Outdent").click()
    expect(row(page, "Fence")).to_have_attribute("data-depth", "1")
    expect(row(page, "Pick plants")).to_contain_text("0/2 done")
    eventually(lambda: task_titled(user, "Fence")["parent_id"] == root.id, page, "Fence did not come back")
    titles = page.locator("[data-task-row]").evaluate_all("rows => rows.map(r => r.getAttribute('aria-label'))")
    assert titles.index("Fence") > titles.index("Dig beds")  # after Pick plants and its subtasks

    # Completing the parent asks; "Complete all" completes every open subtask below it.
    parent.get_by_role("checkbox", name="Complete Plan the garden").click()
    dialog = page.get_by_role("alertdialog", name="Complete the subtasks too?")
    expect(dialog).to_contain_text("2 open subtask")
    dialog.get_by_role("button", name="Complete all").click()
    eventually(lambda: task_titled(user, "Dig beds")["status"] == "done", page, "subtasks not completed")
    eventually(lambda: task_titled(user, "Plan the garden")["status"] == "done", page, "parent not completed")


def test_bulk_select_move_and_complete(page: Page, app: App) -> None:
    user = new_user(app)
    project = user.api.create_project(ProjectCreate(name="Errands"))
    for title in ("Post letter", "Return books", "Fix bike"):
        user.api.create_task(TaskCreate(title=title, subtasks=[SubtaskIn(title="step")]))
    sign_in(page, user)
    visit(page, "/inbox")
    expect(row(page, "Post letter")).to_contain_text("0/1")

    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_role("checkbox", name="Select Post letter").click()
    page.get_by_role("checkbox", name="Select Return books").click()
    bar = page.get_by_role("toolbar", name="Bulk actions")
    expect(bar).to_contain_text("2 selected")
    bar.get_by_label("Move selected to project").select_option(label="Errands")
    expect(toast(page, "Moved 2 tasks to Errands")).to_be_visible()
    expect(row(page, "Post letter")).to_have_count(0)
    expect(row(page, "Fix bike")).to_be_visible()

    page.get_by_role("link", name="Errands").first.click()
    expect(page.get_by_role("heading", name="Errands", level=1)).to_be_visible()
    ready(page)
    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_role("button", name="Select all").click()
    page.get_by_role("toolbar", name="Bulk actions").get_by_role("button", name="Complete").click()
    expect(toast(page, "2 tasks completed")).to_be_visible()
    expect(row(page, "Post letter")).to_have_count(0)
    listed = user.api.list_tasks(project_id=project.id, status="done").items
    assert sorted(task.title for task in listed) == ["Post letter", "Return books"]


def test_bulk_reschedule_shows_at_once_and_undo_restores_every_task(page: Page, app: App) -> None:
    """Issue 14: a bulk edit is one undoable change; its Undo puts back each task's own date (and time)."""
    user = new_user(app)
    home = user.api.create_label(LabelCreate(name="home"))
    day = today()
    user.api.create_task(TaskCreate(title="Call plumber", due_date=day, due_time="08:30", labels=[home.id]))
    user.api.create_task(TaskCreate(title="Pay rent"))
    user.api.create_task(TaskCreate(title="Book dentist", due_date=day + timedelta(days=1)))
    monday = day + timedelta(days=7 - day.weekday())
    sign_in(page, user)
    visit(page, "/inbox")

    page.get_by_role("button", name="Select", exact=True).click()
    page.get_by_role("checkbox", name="Select Call plumber").click()
    page.get_by_role("checkbox", name="Select Pay rent").click()
    bar = page.get_by_role("toolbar", name="Bulk actions")
    bar.get_by_label("Reschedule selected", exact=True).select_option(label="Next week")
    done = toast(page, f"Rescheduled 2 tasks to {monday.isoformat()}")
    expect(done).to_be_visible()

    def dates() -> dict[str, tuple[object, object]]:
        found = {title: task_titled(user, title) for title in ("Call plumber", "Pay rent")}
        return {title: (task["due_date"], task["due_time"]) for title, task in found.items()}

    eventually(lambda: {when[0] for when in dates().values()} == {monday}, page, "both moved to next Monday")
    assert task_titled(user, "Book dentist")["due_date"] == day + timedelta(days=1)  # not selected: untouched
    done.get_by_role("button", name="Undo").click()
    expect(toast(page, "Restored 2 tasks")).to_be_visible()
    before = {"Call plumber": (day, datetime.strptime("08:30", "%H:%M").time()), "Pay rent": (None, None)}
    eventually(lambda: dates() == before, page, "each task back on its own date and time")
    assert task_titled(user, "Call plumber")["labels"] == [home.id]
    expect(row(page, "Pay rent")).to_be_visible()


def test_keyboard_flow(page: Page, app: App) -> None:
    user = new_user(app)
    for title in ("Alpha", "Beta", "Gamma"):
        user.api.create_task(TaskCreate(title=title, due_date=today()))
    sign_in(page, user)
    expect(row(page, "Gamma")).to_be_visible()

    # q opens quick add anywhere; Enter saves.
    page.keyboard.press("q")
    dialog = page.get_by_role("dialog", name="Quick add")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("textbox", name="Quick add")).to_be_focused()
    page.keyboard.type("Delta today p2")
    expect(chips(page)).to_contain_text("Priority 2")
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(row(page, "Delta")).to_be_visible()

    # j/k move between rows; Enter opens the focused one.
    titles = page.locator("[data-task-row]").evaluate_all("rows => rows.map(r => r.getAttribute('aria-label'))")
    page.keyboard.press("j")
    assert focused_row_title(page) == titles[0]
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert focused_row_title(page) == titles[2]
    page.keyboard.press("k")
    assert focused_row_title(page) == titles[1]
    page.keyboard.press("Enter")
    panel = page.get_by_role("dialog", name="Task details")
    expect(panel.get_by_label("Title")).to_have_value(titles[1])
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    # c completes the focused row, and the focus stays in the list.
    row(page, titles[1]).focus()
    page.keyboard.press("c")
    expect(row(page, titles[1])).to_have_count(0)
    expect(toast(page, "Task completed")).to_be_visible()
    page.wait_for_function("!!document.activeElement?.closest('[data-task-row]')")

    # x selects; Delete asks first.
    target = focused_row_title(page)
    page.keyboard.press("x")
    expect(page.get_by_role("toolbar", name="Bulk actions")).to_contain_text("1 selected")
    page.keyboard.press("Delete")
    confirm = page.get_by_role("alertdialog", name="Delete this task?")
    confirm.get_by_role("button", name="Delete").click()
    expect(row(page, target)).to_have_count(0)

    # Typing in a field is typing, not shortcuts.
    search = page.get_by_role("searchbox", name="Search tasks")
    search.fill("")
    search.press("j")
    search.press("q")
    expect(search).to_have_value("jq")
    expect(page.get_by_role("dialog", name="Quick add")).to_have_count(0)
    search.fill("")
    page.get_by_role("heading", level=1).click()

    # ? shows the help.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")

    # A reload keeps everything.
    remaining = sorted({"Alpha", "Beta", "Gamma", "Delta"} - {titles[1], target})
    page.reload()
    ready(page)
    for title in remaining:
        expect(row(page, title)).to_be_visible()

    # In a list in its own order, ] puts the focused row under the one above and [ brings it back; focus stays.
    visit(page, "/inbox")
    order = page.locator("[data-task-row]").evaluate_all("rows => rows.map(r => r.getAttribute('aria-label'))")
    row(page, order[1]).focus()
    page.keyboard.press("]")
    expect(row(page, order[1])).to_have_attribute("data-depth", "1")
    expect(row(page, order[1])).to_be_focused()
    eventually(lambda: task_titled(user, order[1])["parent_id"] is not None, page, "] did not indent")
    page.keyboard.press("[")
    expect(row(page, order[1])).to_have_attribute("data-depth", "0")
    eventually(lambda: task_titled(user, order[1])["parent_id"] is None, page, "[ did not outdent")


def test_load_more_and_sidebar_management(page: Page, app: App) -> None:
    user = new_user(app)
    for number in range(55):
        user.api.create_task(TaskCreate(title=f"Task {number:02d}"))
    user.api.create_project(ProjectCreate(name="Old stuff"))
    sign_in(page, user)

    # A page at a time: never everything at once.
    visit(page, "/inbox")
    rows = page.locator("[data-task-row]")
    expect(rows).to_have_count(50)
    page.get_by_role("button", name="Load more").click()
    expect(rows).to_have_count(55)
    expect(page.get_by_role("button", name="Load more")).to_have_count(0)

    # Labels are made (and renamed) in the sidebar.
    page.get_by_role("button", name="New label").click()
    dialog = page.get_by_role("dialog", name="New label")
    dialog.get_by_label("Name").fill("urgent")
    dialog.get_by_role("button", name="Create label").click()
    expect(page.get_by_role("link", name="urgent", exact=True)).to_be_visible()
    page.get_by_role("button", name="Edit label urgent").click()
    dialog = page.get_by_role("dialog", name="Edit label")
    dialog.get_by_label("Name").fill("asap")
    dialog.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="asap", exact=True)).to_be_visible()
    assert [label.name for label in user.api.list_labels()] == ["asap"]

    # Archiving folds a project away; it can be restored.
    page.get_by_role("button", name="Project actions: Old stuff").click()
    page.get_by_role("menuitem", name="Archive").click()
    expect(page.get_by_role("button", name="Archived (1)")).to_be_visible()
    expect(page.get_by_role("link", name="Old stuff")).to_have_count(0)
    assert [p.archived for p in user.api.list_projects() if p.name == "Old stuff"] == [True]

    # Deleting asks first, naming the project; Cancel keeps it.
    user.api.create_project(ProjectCreate(name="Scratch"))
    page.reload()
    ready(page)
    for answer in ("Cancel", "Delete project"):
        page.get_by_role("button", name="Project actions: Scratch").click()
        page.get_by_role("menuitem", name="Delete…").click()
        confirm = page.get_by_role("alertdialog", name="Delete “Scratch”?")
        confirm.get_by_role("button", name=answer).click()
        expect(confirm).to_have_count(0)
    expect(page.get_by_role("link", name="Scratch")).to_have_count(0)
    assert "Scratch" not in [p.name for p in user.api.list_projects()]
