"""GET /api/tasks over HTTP: ``q`` searches every view through the word index ("search everywhere" is
``q=...&view=all&status=open``), other filters still apply, pages continue with a cursor; ``with_total`` and
``count_by`` give the whole list's totals; the client's ``list_tasks`` sends both."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from backend.client import ApiClient
from backend.schemas import TaskCreate
from tests.api.test_tasks_api import Api, new_api
from tests.conftest import SignedInUser

__all__ = ["new_api"]  # the fixture, shared with test_tasks_api

Json = dict[str, Any]


@pytest.fixture(scope="module")
def everywhere(new_api: Callable[[], Api]) -> tuple[Api, dict[str, str]]:
    """A user whose matching tasks are spread over the Inbox, a project, due dates and done."""
    api = new_api()
    today = api.today()
    work = api.project("Work", sections=["Doing", "Review"])["id"]
    api.task("Quarterly report", project_id=work, section="Doing", due_date=(today + timedelta(days=30)).isoformat())
    api.task("Send the report", due_date=today.isoformat(), priority=1)
    api.task("Groceries", notes="Milk, eggs, crème fraîche")
    api.task("Reply to Zoë", project_id=work, section="Review")
    done = api.task("Old report", project_id=work)
    api.ok("POST", f"/tasks/{done['id']}/complete")
    for i in range(8):
        api.task(f"filler {i}", project_id=work)
    return api, {"work": work}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # search everywhere: every open task, whatever project or date
        ({"q": "report", "view": "all", "status": "open"}, ["Quarterly report", "Send the report"]),
        ({"q": "rep", "view": "all", "status": "open"}, ["Quarterly report", "Send the report", "Reply to Zoë"]),
        ({"q": "CREME fraiche", "view": "all", "status": "open"}, ["Groceries"]),
        ({"q": "zoe"}, ["Reply to Zoë"]),
        ({"q": "report", "status": "all"}, ["Quarterly report", "Send the report", "Old report"]),
        # q combines with the view and the filters
        ({"q": "report", "view": "today"}, ["Send the report"]),
        ({"q": "report", "view": "inbox"}, ["Send the report"]),
        ({"q": "report", "view": "completed"}, ["Old report"]),
        ({"q": "report", "project_id": "work"}, ["Quarterly report"]),
        ({"q": "report", "priority": 1}, ["Send the report"]),
        ({"q": "report", "sort": "due"}, ["Send the report", "Quarterly report"]),
        ({"q": "report", "has_attachments": "true"}, []),
        ({"q": "nothing here"}, []),
    ],
)
def test_search_across_views(everywhere: tuple[Api, dict[str, str]], params: Json, expected: list[str]) -> None:
    api, ids = everywhere
    resolved = {k: ids.get(v, v) if k == "project_id" else v for k, v in params.items()}
    assert api.titles(**resolved) == expected


def test_search_pages_continue_with_the_cursor(everywhere: tuple[Api, dict[str, str]]) -> None:
    api, _ = everywhere
    first = api.page(q="filler", limit=3, with_total="true")
    assert [t["title"] for t in first["items"]] == ["filler 0", "filler 1", "filler 2"]
    assert first["total"] == 8
    seen = [t["title"] for t in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = api.page(q="filler", limit=3, cursor=cursor)
        seen += [t["title"] for t in page["items"]]
        cursor = page["next_cursor"]
    assert seen == [f"filler {i}" for i in range(8)]


def test_totals_only_when_asked(everywhere: tuple[Api, dict[str, str]]) -> None:
    api, ids = everywhere
    plain = api.page(project_id=ids["work"], limit=2)
    assert plain["total"] is None
    assert plain["counts"] is None
    counted = api.page(project_id=ids["work"], limit=2, with_total="true")
    assert len(counted["items"]) == 2
    assert counted["total"] == 10  # open tasks of Work, not the page
    assert counted["counts"] is None


def test_board_columns_count_per_section(everywhere: tuple[Api, dict[str, str]]) -> None:
    api, ids = everywhere
    board = api.page(project_id=ids["work"], limit=3, count_by="section")
    assert board["total"] == 10
    assert board["counts"] == {"Doing": 1, "Review": 1, "": 8}
    by_status = api.page(project_id=ids["work"], status="all", limit=3, count_by="status")
    assert (by_status["total"], by_status["counts"]) == (11, {"open": 10, "done": 1})
    searched = api.page(q="rep", view="all", status="all", count_by="status")
    assert (searched["total"], searched["counts"]) == (4, {"open": 3, "done": 1})


def test_count_by_is_validated(everywhere: tuple[Api, dict[str, str]]) -> None:
    api, _ = everywhere
    error = api.ok("GET", "/tasks", 422, params={"count_by": "priority"})["error"]
    assert "count_by" in error["fields"]


def test_client_list_tasks_sends_totals(api_url: str, make_user: Callable[[], SignedInUser]) -> None:
    client = ApiClient(api_url, access_token=make_user().tokens.access_token)
    for i in range(3):
        client.create_task(TaskCreate(title=f"client {i}"))
    page = client.list_tasks(q="client", limit=2, with_total=True)
    assert [t.title for t in page.items] == ["client 0", "client 1"]
    assert page.total == 3
    grouped = client.list_tasks(count_by="status", status="all")
    assert (grouped.total, grouped.counts) == (3, {"open": 3})
    assert client.list_tasks().total is None
