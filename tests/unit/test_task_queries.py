"""services.tasks.build_query: views + filters → one storage query, with a fixed clock. Pure."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from backend.domain.tasks import TaskQuery
from backend.errors import InvalidInputError
from backend.services.projects import INBOX_ID
from backend.services.tasks import ListRequest, UserClock, build_query

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 11 March 2026, 10:30 in Berlin
CLOCK = UserClock(tz=BERLIN, now=datetime(2026, 3, 11, 10, 30, tzinfo=BERLIN))
USER = "user-1"


def query(**request: object) -> TaskQuery:
    return build_query(ListRequest(**request), user_id=USER, clock=CLOCK)  # type: ignore[arg-type]


def test_user_clock() -> None:
    assert CLOCK.today == date(2026, 3, 11)
    assert CLOCK.local_naive == datetime(2026, 3, 11, 10, 30)


def test_clock_today_is_the_users_day() -> None:
    auckland = ZoneInfo("Pacific/Auckland")
    clock = UserClock(tz=auckland, now=CLOCK.now.astimezone(auckland))  # 22:30 in Auckland
    late = build_query(ListRequest(view="today"), user_id=USER, clock=clock)
    assert late.due_to == "2026-03-11"
    clock = UserClock(tz=auckland, now=datetime(2026, 3, 11, 12, 0, tzinfo=BERLIN).astimezone(auckland))
    assert build_query(ListRequest(view="today"), user_id=USER, clock=clock).due_to == "2026-03-12"


def test_all_is_open_tasks_by_creation() -> None:
    assert query() == TaskQuery(user_id=USER, status="open", sort="created")


def test_today_is_open_tasks_due_up_to_today_including_overdue() -> None:
    assert query(view="today") == TaskQuery(user_id=USER, status="open", sort="due", due_from=None, due_to="2026-03-11")


def test_today_keeps_an_earlier_due_to() -> None:
    assert query(view="today", due_to=date(2026, 3, 1)).due_to == "2026-03-01"
    assert query(view="today", due_to=date(2026, 3, 20)).due_to == "2026-03-11"


def test_upcoming_is_the_next_seven_days_from_today() -> None:
    assert query(view="upcoming") == TaskQuery(
        user_id=USER, status="open", sort="due", due_from="2026-03-11", due_to="2026-03-17"
    )


@pytest.mark.parametrize(("days", "end"), [(1, "2026-03-11"), (14, "2026-03-24"), (31, "2026-04-10")])
def test_upcoming_length(days: int, end: str) -> None:
    built = query(view="upcoming", upcoming_days=days)
    assert (built.due_from, built.due_to) == ("2026-03-11", end)


def test_inbox_is_the_inbox_project_in_manual_order() -> None:
    assert query(view="inbox") == TaskQuery(user_id=USER, status="open", project_id=INBOX_ID, sort="manual")


def test_inbox_wins_over_a_project_filter() -> None:
    assert query(view="inbox", project_id="p1").project_id == INBOX_ID


def test_completed_is_done_tasks_newest_first() -> None:
    assert query(view="completed") == TaskQuery(user_id=USER, status="done", sort="completed")


def test_a_project_list_is_in_manual_order() -> None:
    assert query(project_id="p1") == TaskQuery(user_id=USER, status="open", project_id="p1", sort="manual")


def test_overdue_is_open_and_strictly_before_now() -> None:
    built = query(overdue=True)
    assert built.status == "open"
    assert built.due_to == "2026-03-11T10:29"
    assert built.due_from is None
    # a timed task due right now is not overdue; one due a minute ago is; date-only today is not
    assert "2026-03-11T10:29" <= built.due_to < "2026-03-11T10:30"
    assert built.due_to + "~" < "2026-03-11T~"
    assert built.due_to > "2026-03-10T~"


def test_overdue_in_the_today_view_replaces_the_bound() -> None:
    built = query(view="today", overdue=True)
    assert (built.sort, built.due_to) == ("due", "2026-03-11T10:29")


def test_due_range_filter() -> None:
    built = query(due_from=date(2026, 3, 1), due_to=date(2026, 3, 31))
    assert (built.due_from, built.due_to, built.sort) == ("2026-03-01", "2026-03-31", "created")


def test_filters_pass_through() -> None:
    built = query(label_id="l1", priority=1, project_id="p2")
    assert (built.label_id, built.priority, built.project_id) == ("l1", 1, "p2")


@pytest.mark.parametrize(
    ("typed", "search"),
    [("  Milk ", "milk"), ("BUY Milk", "buy milk"), ("", None), ("   ", None), (None, None)],
)
def test_search_is_stripped_and_lower_cased(typed: str | None, search: str | None) -> None:
    assert query(search=typed).search == search


@pytest.mark.parametrize("sort", ["due", "priority", "created"])
@pytest.mark.parametrize("view", ["all", "today", "upcoming", "inbox", "completed"])
def test_an_explicit_sort_overrides_the_view(view: str, sort: str) -> None:
    assert query(view=view, sort=sort).sort == sort


def test_manual_order_is_the_order_inside_a_project() -> None:
    assert query(view="inbox", sort="manual").sort == "manual"
    assert query(project_id="p1", sort="manual").sort == "manual"


@pytest.mark.parametrize("status", ["open", "done", "all"])
@pytest.mark.parametrize("view", ["all", "inbox", "completed"])
def test_an_explicit_status_overrides_the_view(view: str, status: str) -> None:
    assert query(view=view, status=status).status == status


@pytest.mark.parametrize(
    "fields",
    [
        {"view": "all", "sort": "manual"},  # manual order exists only inside a project
        {"view": "today", "status": "all"},  # Today sorts by due date: one status at a time
        {"view": "upcoming", "status": "all"},
        {"sort": "priority", "status": "all"},
    ],
)
def test_a_sort_the_index_cannot_serve_is_refused_not_ignored(fields: dict[str, str]) -> None:
    with pytest.raises(InvalidInputError) as refused:
        query(**fields)
    assert "sort" in refused.value.fields


def test_the_user_id_is_always_the_callers() -> None:
    assert {query(view=v).user_id for v in ("all", "today", "upcoming", "inbox", "completed")} == {USER}
