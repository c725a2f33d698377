"""Who takes over a shared project whose owner deletes their account (issue 13): the longest-standing admin, else
editor, else viewer; nobody when the owner is alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.domain.sharing import Membership, Role
from backend.services.sharing import successor

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def member(user_id: str, role: Role, days: int) -> Membership:
    return Membership(project_id="p", user_id=user_id, role=role, joined_at=T0 + timedelta(days=days))


def test_the_oldest_admin_before_any_editor_or_viewer() -> None:
    members = [
        member("owner", Role.OWNER, 0),
        member("old-editor", Role.EDITOR, 1),
        member("new-admin", Role.ADMIN, 5),
        member("old-admin", Role.ADMIN, 3),
    ]
    assert (found := successor(members, "owner")) is not None
    assert found.user_id == "old-admin"


def test_else_the_oldest_editor_else_the_oldest_viewer() -> None:
    editors = [member("owner", Role.OWNER, 0), member("viewer", Role.VIEWER, 1), member("editor", Role.EDITOR, 9)]
    viewers = [member("owner", Role.OWNER, 0), member("late", Role.VIEWER, 9), member("early", Role.VIEWER, 2)]
    assert [getattr(successor(m, "owner"), "user_id", None) for m in (editors, viewers)] == ["editor", "early"]


def test_nobody_when_the_owner_is_alone() -> None:
    assert successor([member("owner", Role.OWNER, 0)], "owner") is None
