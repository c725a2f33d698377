"""The UI's rules for shared projects (pure): what each role is shown, initials, @mention suggestions, comment and
activity lines, reading the members answer, and where an assigned task belongs in a loaded list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from backend.client.sharing import ActivityEntryPublic, CommentPublic, InvitationPublic, MemberPublic, member_list
from backend.schemas import ProjectPublic, TaskPublic
from taskmanager_pro.state.listing import ListSpec, belongs
from taskmanager_pro.state.sharing_views import (
    activity_item,
    comment_item,
    initials,
    invitation_item,
    mention_suggestions,
    people_of,
    person_of,
    typing_mention,
    with_mention,
)
from taskmanager_pro.state.tasks import view_of
from taskmanager_pro.state.views import Avatar, project_item, task_row

TODAY = date(2026, 12, 5)
T0 = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)


def member(user_id: str, role: str, name: str = "", email: str = "") -> MemberPublic:
    return MemberPublic(
        user_id=user_id, role=role, display_name=name or user_id.title(), email=email or f"{user_id}@example.com"
    )


TEAM = [
    member("olga", "owner", "Olga Owner"),
    member("adam", "admin", "Adam Admin"),
    member("eddie", "editor", "Eddie Editor"),
    member("vera", "viewer", "Vera Viewer"),
]


@pytest.mark.parametrize(
    ("name", "email", "expected"),
    [("Ada Lovelace", "", "AL"), ("grace", "", "GR"), ("", "bob.smith@example.com", "BS"), ("", "", "?")],
)
def test_initials(name: str, email: str, expected: str) -> None:
    assert initials(name, email) == expected


def controls(me: str, my_role: str) -> dict[str, tuple[bool, bool, bool]]:
    """Per member: (can change role, can remove, can transfer) as ``me`` sees them."""
    return {
        p.user_id: (p.can_change_role, p.can_remove, p.can_transfer) for p in people_of(TEAM, me=me, my_role=my_role)
    }


def test_the_owner_manages_everyone_and_may_transfer_but_not_leave() -> None:
    seen = controls("olga", "owner")
    assert seen["olga"] == (False, False, False)  # transfer first: the owner cannot leave
    assert seen["adam"] == (True, True, True)
    assert seen["vera"] == (True, True, True)


def test_an_admin_manages_editors_and_viewers_not_other_admins_nor_the_owner() -> None:
    seen = controls("adam", "admin")
    assert seen["olga"] == (False, False, False)
    assert seen["adam"] == (False, True, False)  # leave
    assert seen["eddie"] == (True, True, False)
    assert seen["vera"] == (True, True, False)


@pytest.mark.parametrize("me", ["eddie", "vera"])
def test_editors_and_viewers_may_only_leave(me: str) -> None:
    role = next(m.role for m in TEAM if m.user_id == me)
    seen = controls(me, role)
    assert {user: flags for user, flags in seen.items() if any(flags)} == {me: (False, True, False)}


def test_members_are_listed_owner_first_then_by_role_and_name() -> None:
    assert [p.user_id for p in people_of(reversed(TEAM), me="vera", my_role="viewer")] == [
        "olga",
        "adam",
        "eddie",
        "vera",
    ]


@pytest.mark.parametrize(
    ("answer", "members", "pending"),
    [
        ({"members": [{"user_id": "u1", "role": "owner"}], "invitations": [{"id": "i1", "email": "x@y.z"}]}, 1, 1),
        ([{"user_id": "u1", "role": "owner"}, {"id": "i1", "email": "x@y.z", "status": "pending"}], 1, 1),
        ({"items": [{"user_id": "u1", "role": "owner"}, {"user_id": "u2", "role": "editor"}]}, 2, 0),
    ],
)
def test_the_members_answer_is_read_whatever_its_envelope(answer: Any, members: int, pending: int) -> None:
    read = member_list(answer)
    assert (len(read.members), len(read.invitations)) == (members, pending)
    assert all(p.pending for p in read.invitations)


def test_an_invitation_names_who_invited() -> None:
    item = invitation_item(
        InvitationPublic.model_validate(
            {"id": "i1", "project_id": "p1", "project_name": "Trip", "role": "editor", "inviter_name": "Ada"}
        )
    )
    assert (item.project_name, item.role_name, item.invited_by) == ("Trip", "Editor", "Ada")


# --- @mentions -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("Hi @", ""), ("@ol", "ol"), ("ping @Adam", "Adam"), ("mail a@b", None), ("@adam done", None), ("no", None)],
)
def test_a_mention_is_being_typed_only_at_the_end_after_a_space(text: str, expected: str | None) -> None:
    assert typing_mention(text) == expected


def test_suggestions_start_with_the_typed_name_then_contain_it_and_skip_pending_invitations() -> None:
    people = [*people_of(TEAM), person_of(MemberPublic(id="i1", email="edna@example.com", status="pending"))]
    assert [p.user_id for p in mention_suggestions("ed", people)] == ["eddie"]
    assert [p.user_id for p in mention_suggestions("ad", people)] == ["adam"]
    assert len(mention_suggestions("", people)) == 4


def test_picking_a_suggestion_completes_the_name_being_typed() -> None:
    adam = person_of(TEAM[1])
    assert with_mention("Thanks @Ad", adam) == "Thanks @AdamAdmin "
    assert with_mention("no mention", adam) == "no mention"


# --- comments and activity -------------------------------------------------------------------
def comment(author: str, **fields: Any) -> CommentPublic:
    return CommentPublic(id="t1.c1", task_id="t1", author_id=author, author_name=author.title(), body="hi", **fields)


@pytest.mark.parametrize(
    ("author", "my_role", "can_edit", "can_delete"),
    [
        ("eddie", "editor", True, True),  # my own
        ("olga", "editor", False, False),  # someone else's
        ("eddie", "admin", True, True),
        ("olga", "admin", False, True),  # admins delete any
        ("eddie", "viewer", False, True),  # a viewer (demoted) still takes back their own words
    ],
)
def test_who_may_edit_or_delete_a_comment(author: str, my_role: str, can_edit: bool, can_delete: bool) -> None:
    item = comment_item(comment(author), me="eddie", my_role=my_role, names={}, today=TODAY)
    assert (item.can_edit, item.can_delete) == (can_edit, can_delete)
    assert item.author == ("You" if author == "eddie" else author.title())


def test_an_edited_comment_says_so() -> None:
    later = T0.replace(hour=10)
    item = comment_item(
        comment("olga", created_at=T0, edited_at=later), me="x", my_role="editor", names={}, today=TODAY
    )
    assert item.edited


def test_an_activity_line_names_the_actor_the_task_and_each_change_with_names_for_ids() -> None:
    entry = ActivityEntryPublic(
        id="a1",
        actor_id="olga",
        actor_name="Olga Owner",
        what="edited",
        task_id="t1",
        task_title="Book flights",
        before={"title": "Book flight", "assignee_id": None, "version": 2},
        after={"title": "Book flights", "assignee_id": "eddie", "version": 3},
        at=T0,
    )
    item = activity_item(entry, me="eddie", names={"eddie": "Eddie Editor"}, today=TODAY)
    assert item.text == "Olga Owner edited “Book flights”"
    assert item.changes == ["assignee: none → Eddie Editor", "title: Book flight → Book flights"]
    assert activity_item(entry, me="olga", names={}, today=TODAY).text.startswith("You edited")


@pytest.mark.parametrize(
    ("what", "fields", "text"),
    [
        ("member_added", {"member_id": "eddie", "after": {"role": "editor"}}, "Olga added Eddie Editor"),
        (
            "role_changed",
            {"member_id": "gone", "before": {"role": "viewer"}},
            "Olga changed the role of a former member",
        ),
        ("left", {"member_id": "olga"}, "Olga left the project"),
        ("invited", {"after": {"email": "new@example.com", "role": "viewer"}}, "Olga invited new@example.com"),
        ("commented", {"task_title": "Pack", "after": {"body": "@Eddie ok?"}}, "Olga commented on “Pack”"),
    ],
)
def test_membership_and_comment_lines(what: str, fields: dict[str, Any], text: str) -> None:
    entry = ActivityEntryPublic.model_validate(
        {"id": "a", "actor": "olga", "actor_name": "Olga", "what": what, **fields}
    )
    assert activity_item(entry, me="x", names={"eddie": "Eddie Editor"}, today=TODAY).text == text


# --- projects and rows -----------------------------------------------------------------------
def project(role: str | None = None, **fields: Any) -> ProjectPublic:
    data = {
        "id": "p1",
        "name": "Trip",
        "color": "#4073ff",
        "position": "a0",
        "is_inbox": False,
        "archived": False,
        "sections": [],
        "created_at": T0,
        "updated_at": T0,
        "version": 1,
        **({"role": role} if role else {}),
        **fields,
    }
    return ProjectPublic.model_validate(data)


def test_a_personal_project_is_owned_and_not_shared() -> None:
    item = project_item(project())
    assert (item.role, item.shared, item.can_edit, item.can_manage) == ("owner", False, True, True)


def test_a_shared_project_carries_my_role_and_its_members_avatars() -> None:
    members = [
        {"user_id": "olga", "display_name": "Olga Owner", "initials": "OO", "role": "owner"},
        {"user_id": "eddie", "display_name": "Eddie Editor", "initials": "EE", "role": "editor"},
    ]
    item = project_item(project("editor", shared=True, members=members))
    assert (item.role, item.shared, item.can_edit, item.can_manage) == ("editor", True, True, False)
    assert [(a.user_id, a.initials, a.name) for a in item.avatars] == [
        ("olga", "OO", "Olga Owner"),
        ("eddie", "EE", "Eddie Editor"),
    ]
    assert not project_item(project("viewer", shared=True)).can_edit


def task(**fields: Any) -> TaskPublic:
    data = {
        "id": "t1",
        "title": "Book flights",
        "notes": "",
        "status": "open",
        "priority": 4,
        "due_date": None,
        "due_time": None,
        "start_date": None,
        "project_id": "p1",
        "section": None,
        "labels": [],
        "subtasks": [],
        "recurrence": None,
        "recurrence_text": None,
        "position": "a0",
        "created_at": T0,
        "updated_at": T0,
        "completed_at": None,
        "history": [],
        "overdue": False,
        "version": 1,
        **fields,
    }
    return TaskPublic.model_validate(data)


def test_a_row_shows_its_assignees_initials_and_a_viewers_row_is_read_only() -> None:
    people = {"eddie": Avatar(user_id="eddie", initials="EE", name="Eddie Editor", color="teal")}
    viewer = replace(project_item(project(), avatars=list(people.values())), role="viewer", can_edit=False)
    row = task_row(task(assignee_id="eddie"), TODAY, {"p1": viewer}, {}, people=people)
    assert (row.assignee_initials, row.assignee_name, row.read_only, row.assignable) == ("EE", "Eddie Editor", True, [])
    unknown = task_row(task(assignee_id="gone"), TODAY, {}, {}, people=people)
    assert (unknown.assignee_initials, unknown.read_only) == ("?", False)


@pytest.mark.parametrize(
    ("spec", "assignee", "expected"),
    [
        (ListSpec(view="assigned", assignee="eddie"), "eddie", True),
        (ListSpec(view="assigned", assignee="eddie"), "olga", False),
        (ListSpec(view="assigned", assignee="eddie"), None, False),
        (ListSpec(view="project", context_id="p1", assignee="eddie"), "eddie", True),  # the filter
        (ListSpec(view="project", context_id="p1", assignee="eddie"), None, False),
        (ListSpec(view="project", context_id="p1"), None, True),
    ],
)
def test_an_assigned_task_belongs_to_assigned_to_me_and_the_filter(
    spec: ListSpec, assignee: Any, expected: bool
) -> None:
    assert belongs(task(assignee_id=assignee), spec) is expected


def test_assigned_to_me_is_a_list_page() -> None:
    assert view_of("/assigned") == ("assigned", "")
    assert ListSpec(view="assigned").effective_sort == "due"  # what is mine, soonest first (as the view asks)
