"""The UI's local quick-add parse (backend.client.quick_add.parse_quick_add) answers what the API's
(``POST /api/quick-add/parse``: backend.services.tasks.parse_quick_add) answers, for the same line, clock and projects.

The service reads the projects through its store port: a small in-memory fake holds them. The UI gets them as the
API lists them (``GET /api/projects``) and passes the open ones, as QuickAddState does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.client.quick_add import parse_quick_add
from backend.domain import quick_add
from backend.domain.quick_add import Destination
from backend.domain.tasks import Label, Project
from backend.presenters import project_public
from backend.schemas import QuickAddParsed
from backend.services import projects as project_service
from backend.services import tasks as task_service

USER = "user-1"
BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
WED = datetime(2026, 3, 11, 10, 0, tzinfo=BERLIN)
LATE = datetime(2026, 3, 11, 23, 50, tzinfo=AUCKLAND)  # ten minutes before the user's midnight


def project(
    pid: str, name: str, position: str, *, archived: bool = False, inbox: bool = False, sections: tuple[str, ...] = ()
) -> Project:
    return Project(
        id=pid,
        user_id=USER,
        name=name,
        color="#808080",
        position=position,
        is_inbox=inbox,
        archived=archived,
        sections=sections,
    )


PROJECTS = [
    project("inbox", "Inbox", "a0", inbox=True),
    project("P-work", "Work", "a1"),
    project("P-home", "Home", "a2"),
    project("P-old", "Old", "a3", archived=True),
    project("P-arch", "Garden", "a4", archived=True),
    project("P-garden", "garden", "a5"),  # the same name as an archived one: the open one is found
    project("P-dup1", "Dup", "a6"),
    project("P-dup2", "DUP", "a7"),  # two open projects of one name: the first in the list wins on both sides
    project("P-x", "proj-x", "a8"),
    project("P-board", "Home Office", "a9", sections=("Doing", "Done")),
]
LABELS = [
    Label(id=f"L-{name}", user_id=USER, name=name, color="#808080", created_at=WED, updated_at=WED)
    for name in ("errand", "Deep Work")
]


@dataclass
class FakeTaskStore:
    """The part of the TaskStore port the parse reads (the store lists projects Inbox first, then by position)."""

    projects: list[Project] = field(default_factory=lambda: list(PROJECTS))
    labels: list[Label] = field(default_factory=lambda: list(LABELS))

    def list_labels(self, user_id: str) -> list[Label]:
        return [label for label in self.labels if label.user_id == user_id]

    def list_projects(self, user_id: str) -> list[Project]:
        return sorted((p for p in self.projects if p.user_id == user_id), key=lambda p: (not p.is_inbox, p.position))

    def get_project(self, user_id: str, project_id: str) -> Project | None:
        return next((p for p in self.projects if p.user_id == user_id and p.id == project_id), None)


def zone(now: datetime) -> ZoneInfo:
    assert isinstance(now.tzinfo, ZoneInfo)
    return now.tzinfo


def api_parse(text: str, now: datetime, store: FakeTaskStore) -> QuickAddParsed:
    fake: Any = store  # the parse reads the projects only
    clock = task_service.UserClock(tz=zone(now), now=now)
    return task_service.parse_quick_add(store=fake, user_id=USER, text=text, clock=clock)


def ui_parse(text: str, now: datetime, store: FakeTaskStore) -> QuickAddParsed:
    fake: Any = store
    listed = [project_public(p) for p in project_service.list_projects(store=fake, user_id=USER, now=now)]
    open_projects = [Destination(p.id, p.name, tuple(p.sections)) for p in listed if not p.archived]
    labels = [label.name for label in store.list_labels(USER)]
    return parse_quick_add(text, now=now, tz=zone(now), open_projects=open_projects, labels=labels)


LINES = [
    "Buy milk",
    "Buy milk tomorrow 5pm p1 #Work @errand @home",
    "call mom #work",  # names match whatever the case
    "Plan #Home #Work",  # the first project wins
    "Weed the beds #garden",  # the open one of two "garden"s
    "Sort boxes #Old",
    "Sort boxes #Nowhere",  # an unknown project: named, not found
    "Tidy #dup",
    "fix bug #proj-x @home.office p3 every monday",
    "Standup every weekday at 9:30",
    "Pay rent every month on the 1st",
    "Gift dec 24",
    "Report eom",
    "party tonight",
    "sync midnight",
    "p2 #Work",  # nothing left for a title
    "   ",
    "@a @b @c @d @e @f @g @h @i @j @k @l Many labels",  # labels are capped at 10
    "x" * 600 + " today",  # the title is capped at 500
    '"Buy milk tomorrow" p4',
    "Read tomorrow's paper",
    # issue 14: sections, spaces in names, new labels, warnings
    "Triage #homeoffice /doing @deepwork @new",
    "Triage #HomeOffice /Later",  # no such section: dropped, with a warning
    "Triage /Doing",  # no project typed: the Inbox has no sections
    "Taxes 2025-05-31 every 2nd tuesday",
]


@pytest.mark.parametrize("now", [WED, LATE], ids=["berlin", "auckland-late"])
@pytest.mark.parametrize("text", LINES)
def test_the_local_parse_is_the_apis(text: str, now: datetime) -> None:
    store = FakeTaskStore()
    assert ui_parse(text, now, store) == api_parse(text, now, store)


def test_the_local_parse_is_the_apis_shape_of_the_domain_parse() -> None:
    text = "Email bob p1 #Work @urgent tomorrow 9am"
    ui = ui_parse(text, WED, FakeTaskStore())
    assert ui == QuickAddParsed.of(text, quick_add.parse(text, now=WED, tz=BERLIN), "P-work", known_labels=["errand"])
    assert (ui.task.title, ui.task.project_id, ui.project_found, ui.task.label_names) == (
        "Email bob",
        "P-work",
        True,
        ["urgent"],
    )


def test_the_cases_cover_found_missing_and_archived_projects() -> None:
    store = FakeTaskStore()
    found = {text: ui_parse(text, WED, store) for text in LINES}
    assert found["Weed the beds #garden"].task.project_id == "P-garden"
    assert found["Tidy #dup"].task.project_id == "P-dup1"
    old = found["Sort boxes #Old"]
    assert (old.project_name, old.project_found, old.task.project_id) == ("Old", False, None)
    assert len(found["@a @b @c @d @e @f @g @h @i @j @k @l Many labels"].task.label_names) == 10
    assert len(found["x" * 600 + " today"].task.title) == 500
    board = found["Triage #homeoffice /doing @deepwork @new"]
    assert (board.task.project_id, board.task.section, board.new_labels) == ("P-board", "Doing", ["new"])
    later = found["Triage #HomeOffice /Later"]
    assert (later.task.section, later.warnings) == (None, ["Home Office has no section “Later”"])
    assert found["Taxes 2025-05-31 every 2nd tuesday"].warnings == ["Sat May 31 2025 is in the past"]


def test_the_local_parse_without_an_inbox_yet() -> None:
    """A brand-new user: the service creates the Inbox while listing; the parse is the same."""

    @dataclass
    class FirstUse(FakeTaskStore):
        added: list[Project] = field(default_factory=list)

        def add_project_once(self, project: Project) -> Project:
            self.added.append(project)
            self.projects.append(project)
            return project

    store = FirstUse(projects=[p for p in PROJECTS if not p.is_inbox])
    assert api_parse("Buy milk #Work", WED, store) == ui_parse("Buy milk #Work", WED, store)
    assert [p.id for p in store.added] == ["inbox"]


# --- suggestions while typing (issue 14) ---------------------------------------------------------------------------
def test_suggestions_for_the_tag_being_typed() -> None:
    from backend.client.quick_add import suggestions, with_suggestion

    projects = [
        Destination("inbox", "Inbox"),
        Destination("P-work", "Work"),
        Destination("P-board", "Home Office", ("Doing", "Done")),
        Destination("P-team", "Team Homework", ("Backlog",), shared=True),
    ]
    labels = ["errand", "Deep Work", "home"]

    def names(text: str, **kwargs: Any) -> list[tuple[str, str, str]]:
        return [(s.insert, s.name, s.detail) for s in suggestions(text, projects=projects, labels=labels, **kwargs)]

    assert names("Plan #hom") == [
        ("#HomeOffice ", "Home Office", ""),
        ("#TeamHomework ", "Team Homework", "shared"),  # starts-with first, then contains; shared ones too
    ]
    assert names("Plan @de") == [("@DeepWork ", "Deep Work", ""), ("@de ", "de", "new label")]
    assert names("Plan @home") == [("@home ", "home", "")]  # an exact name: nothing new to create
    assert names("Plan #HomeOffice /d") == [("/Doing ", "Doing", "Home Office"), ("/Done ", "Done", "Home Office")]
    assert names("Plan /", default=projects[3]) == [("/Backlog ", "Backlog", "Team Homework")]
    assert names("Plan /") == []  # no project: no sections
    assert names("and/or") == names("Plan #work now") == []  # not at a tag being typed
    assert with_suggestion("Plan #hom", "#HomeOffice ") == "Plan #HomeOffice "
