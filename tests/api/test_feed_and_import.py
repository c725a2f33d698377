"""The calendar feed and import over HTTP (issue 14), one module (one emulator start).

Feed: a secret URL without Authorization, iCalendar per the icalendar parser, rotation and revocation (the old URL
answers 404), a made-up token 404. Import: our JSON export round trip equals the source for the fields it carries;
Todoist CSV rows land in a new project with sections and subtasks, bad rows reported by line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import icalendar
import pytest

from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser


def feed_path(url: str) -> str:
    """The URL's path and query relative to the API base the test client uses (``…/api/feeds/…`` → ``/feeds/…``)."""
    parts = urlsplit(url)
    return parts.path[parts.path.index("/feeds/") :] + "?" + parts.query


def new_feed(http: httpx.Client, user: SignedInUser) -> str:
    response = http.post("/me/calendar-feed", headers=user.headers)
    assert response.status_code == 200, response.text
    url: str = response.json()["url"]
    assert "token=" in url
    return feed_path(url)


def post(http: httpx.Client, user: SignedInUser, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(path, headers=user.headers, json=body)
    assert response.status_code in {200, 201}, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture(scope="module")
def owner(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> SignedInUser:
    user = make_user()
    assert http.patch("/me", headers=user.headers, json={"timezone": "Europe/Berlin"}).status_code == 200
    return user


def events_of(body: bytes) -> dict[str, icalendar.cal.Component]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_is_icalendar_with_the_dated_tasks(http: httpx.Client, owner: SignedInUser) -> None:
    day = date.today() + timedelta(days=3)
    timed = post(http, owner, "/tasks", {"title": "Dentist", "due_date": day.isoformat(), "due_time": "09:30"})
    post(http, owner, "/tasks", {"title": "Pay rent", "due_date": day.isoformat(), "notes": "by transfer"})
    post(http, owner, "/tasks", {"title": "Standup", "due_date": day.isoformat(), "recurrence": "FREQ=WEEKLY;BYDAY=MO"})
    post(http, owner, "/tasks", {"title": "Someday"})
    done = post(http, owner, "/tasks", {"title": "Filed taxes", "due_date": day.isoformat()})
    assert http.post(f"/tasks/{done['id']}/complete", headers=owner.headers).status_code == 200
    path = new_feed(http, owner)

    response = http.get(path)  # no Authorization header
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert "max-age=300" in response.headers["cache-control"]
    events = events_of(response.content)
    assert set(events) == {"Dentist", "Pay rent", "Standup", "\u2713 Filed taxes"}
    dentist = events["Dentist"]
    start = dentist.decoded("dtstart")
    assert isinstance(start, datetime)
    assert (start.date(), start.time(), str(start.tzinfo)) == (day, time(9, 30), "Europe/Berlin")
    assert str(dentist["uid"]) == f"{timed['id']}@taskmanager-pro"
    assert dentist["dtstart"].params["TZID"] == "Europe/Berlin"
    assert icalendar.Calendar.from_ical(response.content).walk("VTIMEZONE")  # the TZID is defined in the document
    rent = events["Pay rent"]
    assert rent.decoded("dtstart") == day
    assert not isinstance(rent.decoded("dtstart"), datetime)
    assert rent.decoded("dtend") == day + timedelta(days=1)
    assert "by transfer" in str(rent["description"])
    assert events["Standup"]["rrule"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"

    # stable UIDs: the same task, the same event on the next poll
    again = events_of(http.get(path).content)
    assert {str(e["uid"]) for e in again.values()} == {str(e["uid"]) for e in events.values()}


def test_a_new_url_and_delete_make_the_old_one_404(http: httpx.Client, owner: SignedInUser) -> None:
    first = new_feed(http, owner)
    assert http.get(first).status_code == 200
    second = new_feed(http, owner)
    assert_error_shape(http.get(first), 404, "not_found")
    assert http.get(second).status_code == 200
    assert http.delete("/me/calendar-feed", headers=owner.headers).status_code == 204
    assert_error_shape(http.get(second), 404, "not_found")
    assert http.delete("/me/calendar-feed", headers=owner.headers).status_code == 204  # idempotent


def test_deleting_my_data_ends_the_feed(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    """Deleting my data erases the user's feed row (Settings then shows none and nothing is left to revoke), so the
    old URL must stop too, or it would go on serving the tasks made afterwards."""
    user = make_user()
    path = new_feed(http, user)
    assert http.get(path).status_code == 200
    assert http.delete("/data", headers=user.headers).status_code == 204
    post(http, user, "/tasks", {"title": "Made after", "due_date": date.today().isoformat()})
    assert_error_shape(http.get(path), 404, "not_found")
    assert http.get(new_feed(http, user)).status_code == 200  # a new one works


def test_made_up_tokens_and_foreign_projects_are_not_found(
    http: httpx.Client, owner: SignedInUser, make_user: Callable[[], SignedInUser]
) -> None:
    assert_error_shape(http.get("/feeds/calendar.ics", params={"token": "x" * 43}), 404, "not_found")
    assert_error_shape(http.get("/feeds/calendar.ics"), 422)
    stranger = make_user()
    theirs = post(http, stranger, "/projects", {"name": "Secret"})
    path = new_feed(http, owner)
    response = http.get(path + "&project_id=" + theirs["id"])
    assert_error_shape(response, 404, "not_found")
    mine = post(http, owner, "/projects", {"name": "Garden"})
    post(http, owner, "/tasks", {"title": "Prune", "project_id": mine["id"], "due_date": date.today().isoformat()})
    only = events_of(http.get(path + "&project_id=" + mine["id"]).content)
    assert set(only) == {"Prune"}
    assert "Garden" in str(only["Prune"]["description"])


def test_the_feed_needs_a_signed_in_caller_to_be_made(http: httpx.Client) -> None:
    assert_error_shape(http.post("/me/calendar-feed"), 401)
    assert_error_shape(http.delete("/me/calendar-feed"), 401)


# --- import ---------------------------------------------------------------------------------------------------------
def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """Everything the export carries but this account's own ids, versions and timestamps (new on import): ids become
    names (a task: its title), a place in a project its rank there, an assignee "me" when it is the exporter."""
    projects = {p["id"]: p["name"] for p in document["projects"]}
    labels = {label["id"]: label["name"] for label in document["labels"]}
    titles = {task["id"]: task["title"] for task in document["tasks"]}
    own = ("id", "version", "created_at", "updated_at")
    ranks = {
        task["id"]: rank
        for project in projects
        for rank, task in enumerate(
            sorted((t for t in document["tasks"] if t["project_id"] == project), key=lambda t: t["position"])
        )
    }
    tasks = sorted(
        (
            {
                **{k: v for k, v in task.items() if k not in own},
                "project_id": projects.get(task["project_id"], "?"),
                "labels": sorted(labels[i] for i in task["labels"]),
                "subtasks": [(s["title"], s["done"]) for s in task["subtasks"]],
                "position": ranks[task["id"]],
                "parent_id": titles.get(task["parent_id"]),
                **{
                    who: "me" if task.get(who) == document["exported_by"] else task.get(who)
                    for who in ("assignee_id", "created_by", "completed_by")
                },
            }
            for task in document["tasks"]
        ),
        key=lambda t: t["title"],
    )
    return {
        "projects": sorted(tuple(v for k, v in p.items() if k not in own) for p in document["projects"]),
        "labels": sorted((label["name"], label["color"]) for label in document["labels"]),
        "tasks": tasks,
        "comments": document.get("comments"),
    }


def export(http: httpx.Client, user: SignedInUser) -> dict[str, Any]:
    response = http.get("/export", headers=user.headers, params={"format": "json"})
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def import_file(http: httpx.Client, user: SignedInUser, **body: Any) -> dict[str, Any]:
    response = http.post("/import", headers=user.headers, json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_our_json_export_round_trips(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    """Export → import into a fresh account → export: equal but for ids and timestamps. Reminders, recurrence (with
    its anchor and history), subtasks at every level with their counts, labels, sections, notes, priorities, manual
    order, the checklist and "assigned to me" all survive."""
    source, target = make_user(), make_user()
    day = (date.today() + timedelta(days=5)).isoformat()
    work = post(http, source, "/projects", {"name": "Work", "color": "#ff0000", "sections": ["Doing", "Done"]})
    focus = post(http, source, "/labels", {"name": "focus", "color": "#00aa00"})
    report = post(
        http,
        source,
        "/tasks",
        {
            "title": "Quarterly report",
            "notes": "numbers\nand words",
            "priority": 1,
            "project_id": work["id"],
            "section": "Doing",
            "labels": [focus["id"]],
            "due_date": day,
            "due_time": "14:45",
            "start_date": day,
            "subtasks": [{"title": "Draft", "done": True}, {"title": "Review"}],
        },
    )
    me = http.get("/me", headers=source.headers).json()["id"]
    level = report
    for depth in range(1, 5):  # four levels below the report, the second one done, each with a sibling
        level = post(http, source, "/tasks", {"title": f"Step {depth}", "parent_id": level["id"], "priority": depth})
        post(http, source, "/tasks", {"title": f"Aside {depth}", "parent_id": level["parent_id"]})
        if depth == 2:
            assert http.post(f"/tasks/{level['id']}/complete", headers=source.headers).status_code == 200
    first = post(http, source, "/tasks", {"title": "Before all", "project_id": work["id"], "assignee_id": me})
    moved = http.patch(
        f"/tasks/{first['id']}", headers=source.headers, json={"version": 1, "order": {"before_id": report["id"]}}
    )
    assert moved.status_code == 200, moved.text
    series = post(
        http,
        source,
        "/tasks",
        {
            "title": "Water plants",
            "due_date": day,
            "due_time": "08:00",
            "recurrence": "FREQ=DAILY",
            "reset_subtasks": True,
        },
    )
    post(http, source, "/tasks", {"title": "Fill the can", "parent_id": series["id"]})
    assert (
        http.post(
            f"/tasks/{series['id']}/complete", headers=source.headers, params={"children": "complete"}
        ).status_code
        == 200
    )
    reminders = [{"minutes_before": 30}, {"at": f"{day}T06:00:00+00:00"}]
    answer = http.put(f"/tasks/{series['id']}/reminders", headers=source.headers, json={"reminders": reminders})
    assert answer.status_code == 200, answer.text
    quiet = post(http, source, "/tasks", {"title": "Quiet one", "due_date": day})
    assert (
        http.put(f"/tasks/{quiet['id']}/reminders", headers=source.headers, json={"reminders": []}).status_code == 200
    )
    done = post(http, source, "/tasks", {"title": "Old thing", "label_names": ["misc"]})
    assert http.post(f"/tasks/{done['id']}/complete", headers=source.headers).status_code == 200
    post(http, source, "/tasks", {"title": "Plain"})
    original = export(http, source)
    assert len(original["tasks"]) == 15
    assert [t["reminders"] for t in original["tasks"] if t["title"] == "Quiet one"] == [[]]

    result = import_file(http, target, format="taskmanager-json", content=json.dumps(original))
    assert result == {"created": {"tasks": 15, "projects": 1, "labels": 2}, "problems": []}
    assert comparable(export(http, target)) == comparable(original)


def test_todoist_csv_lands_with_sections_subtasks_and_bad_rows_reported(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    too_long = "x" * 600
    content = (
        "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE,DURATION,DURATION_UNIT\n"
        "task,Plan trip @travel,,1,1,Ann (1),,tomorrow 9am,en,Europe/Berlin,,\n"
        "task,Book flights,,4,2,Ann (1),,,en,,,\n"
        "note,Window seat,,,,Ann (1),,,,,,\n"
        "\n"
        "section,Later,,,,,,,,,,\n"
        f"task,{too_long},,4,1,Ann (1),,,en,,,\n"
        "task,Sort photos,,3,1,Ann (1),,whenever,en,,,\n"
        "weird,row,,,,,,,,,,\n"
    )
    result = import_file(http, user, format="todoist-csv", content=content)
    assert result["created"] == {"tasks": 3, "projects": 1, "labels": 1}
    lines = [problem["line"] for problem in result["problems"]]
    assert lines == [7, 8, 9]
    assert "title" in result["problems"][0]["message"]
    listed = http.get("/tasks", headers=user.headers, params={"status": "all", "limit": 50}).json()["items"]
    by_title = {task["title"]: task for task in listed}
    trip = by_title["Plan trip"]
    assert trip["priority"] == 1
    assert trip["due_time"].startswith("09:00")
    flights = by_title["Book flights"]  # INDENT 2: a subtask, the note below it is its own
    assert (flights["parent_id"], flights["depth"], flights["notes"]) == (trip["id"], 1, "Window seat")
    assert (trip["subtask_count"], trip["notes"]) == (1, "")
    assert by_title["Sort photos"]["section"] == "Later"
    assert by_title["Sort photos"]["due_date"] is None


def test_import_refuses_what_it_cannot_take(
    http: httpx.Client, owner: SignedInUser, make_user: Callable[[], SignedInUser]
) -> None:
    stranger = make_user()
    theirs = post(http, stranger, "/projects", {"name": "Theirs"})
    csv_text = "TYPE,CONTENT\ntask,Sneak in\n"
    response = http.post(
        "/import",
        headers=owner.headers,
        json={"format": "todoist-csv", "content": csv_text, "project_id": theirs["id"]},
    )
    assert_error_shape(response, 404, "not_found")
    response = http.post("/import", headers=owner.headers, json={"format": "ical", "content": "x"})
    assert assert_error_shape(response, 422)["fields"]
    response = http.post("/import", headers=owner.headers, json={"format": "taskmanager-json", "content": "[1]"})
    assert response.status_code == 200
    assert response.json()["created"] == {"tasks": 0, "projects": 0, "labels": 0}
    assert response.json()["problems"][0]["line"] == 0
    # a label name longer than ours (60): reported, the task still comes
    document = {"labels": [{"id": "L", "name": "l" * 70}], "projects": [], "tasks": [{"title": "T", "labels": ["L"]}]}
    result = import_file(http, owner, format="taskmanager-json", content=json.dumps(document))
    assert result["created"] == {"tasks": 1, "projects": 0, "labels": 0}
    assert [(p["line"], "label" in p["message"]) for p in result["problems"]] == [(0, True)]


def test_an_import_cut_short_says_from_which_line(
    http: httpx.Client, local: Any, make_user: Callable[[], SignedInUser]
) -> None:
    """The real service and store (in this process, on the module's emulator): the task quota reached mid-file, and
    the write budget running out, both stop at a row and name it; everything before it is imported."""
    from dataclasses import replace as changed

    from backend.bootstrap import dependencies
    from backend.domain.quotas import DEFAULT_QUOTAS
    from backend.services import importer
    from tests.api.conftest import claims_of

    user = make_user()
    deps = dependencies()
    row = deps.users.get(str(claims_of(user.tokens.access_token)["sub"]))
    assert row is not None
    content = "TYPE,CONTENT\n" + "".join(f"task,Row {i}\n" for i in range(5))  # rows on lines 2..6

    def run(**options: Any) -> importer.Outcome:
        return importer.import_file(
            store=deps.tasks,
            memberships=deps.memberships,
            user=row,
            file_format="todoist-csv",
            content=content,
            project_id=None,
            now=deps.clock(),
            **options,
        )

    quota = run(quotas=changed(DEFAULT_QUOTAS, tasks=2))
    assert quota.tasks == 2
    assert [(p.line, "3 tasks after it" in p.message) for p in quota.problems] == [(4, False)]
    assert "2 tasks after it" in quota.problems[0].message

    ticks = iter(range(100))  # every call one second later: the budget of 2.5 s lets 2 writes start
    budget = run(budget=2.5, monotonic=lambda: float(next(ticks)))
    assert budget.tasks == 2
    assert [p.line for p in budget.problems] == [4]
    assert "not imported" in budget.problems[0].message
    from backend.client.importing import BUDGET_STOP

    assert budget.problems[0].message.startswith(BUDGET_STOP)  # what the client resends from (backend.client)


def test_a_large_todoist_csv_goes_in_pieces_with_the_same_result_as_one_request(
    http: httpx.Client, api_url: str, make_user: Callable[[], SignedInUser]
) -> None:
    """backend.client.importing (issue 14): pieces of 3 rows, cut only before a top-level task or a section, each
    starting with the section in force; the problems at their line in the original file; the same tasks as one
    request of the whole file (another user), with progress after each piece."""
    from backend.client import ApiClient
    from backend.client.importing import import_todoist

    content = (
        "TYPE,CONTENT,DESCRIPTION,PRIORITY,INDENT,AUTHOR,RESPONSIBLE,DATE,DATE_LANG,TIMEZONE\n"
        "task,Alpha @import,,1,1,,,,en,\n"
        "section,Doing,,,,,,,,\n"
        'task,Beta,"two\nlines",2,1,,,,en,\n'  # a quoted cell over two lines: the next row starts on line 6
        "task,Beta child,,4,2,,,,en,\n"
        "task,Beta grandchild,,4,3,,,,en,\n"
        "note,About Beta,,,,,,,,\n"
        "task,Gamma,,3,1,,,,en,\n"
        "task,Delta,,4,1,,,whenever,en,\n"
        f"task,{'x' * 600},,4,1,,,,en,\n"
        "section,Done,,,,,,,,\n"
        "task,Epsilon,,4,1,,,,en,\n"
        "task,Zeta,,4,1,,,,en,\n"
    )
    whole, pieces = make_user(), make_user()
    expected = import_file(http, whole, format="todoist-csv", content=content)
    seen: list[tuple[int, int]] = []
    client = ApiClient(api_url, pieces.tokens.access_token)
    result = import_todoist(
        client, content, rows_per_chunk=3, on_progress=lambda plan: seen.append((plan.done_rows, plan.total_rows))
    )
    assert result.model_dump() == expected  # counts (one project, created first) and problems by original line
    assert {10, 11} <= {p["line"] for p in expected["problems"]}  # "whenever" and the 600-character title
    # Beta's subtasks and note stay with it (the first piece runs to 6 rows); Gamma's piece repeats "Doing" on top
    assert seen == [(6, 12), (9, 12), (12, 12)]
    assert [done for done, _ in seen] == sorted({done for done, _ in seen})  # only ever forward
    assert comparable(export(http, pieces)) == comparable(export(http, whole))

    def order(user: SignedInUser) -> list[str]:
        (project,) = [p for p in http.get("/projects", headers=user.headers).json() if not p["is_inbox"]]
        params = {"project_id": project["id"], "sort": "manual", "status": "all", "limit": 50}
        listed = http.get("/tasks", headers=user.headers, params=params)
        assert listed.status_code == 200, listed.text
        return [task["title"] for task in listed.json()["items"]]

    assert order(pieces) == order(whole)
