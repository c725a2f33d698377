"""The shapes of shared projects as the UI reads them (issue 13): members, invitations, comments, activity.

Read models of the client, not the API's own schemas: each keeps the fields the screens use and ignores the rest,
so a field the API adds later changes nothing here. ``ApiClient`` builds them from the answers of the routes in
DESIGN.md's fixed interfaces (members, invitations, comments, activity).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator

Role = Literal["viewer", "editor", "admin", "owner"]
GRANTABLE_ROLES: tuple[str, ...] = ("viewer", "editor", "admin")


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MemberPublic(_Read):
    """A member of a shared project (``user_id`` set), or an invitation still pending (``status`` "pending")."""

    user_id: str = ""
    id: str = ""  # an invitation's id (pending ones)
    email: str = ""  # (an invitation's address; members are shown by name)
    display_name: str = ""
    initials: str = ""
    role: str = "viewer"
    kind: str = "member"  # member | invitation
    status: str = "active"  # active | pending
    joined_at: datetime | None = None

    @field_validator("display_name", "email", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str:
        return value if isinstance(value, str) else ""

    @property
    def pending(self) -> bool:
        return self.kind == "invitation" or self.status == "pending" or not self.user_id


class MemberList(_Read):
    """``GET /api/projects/{id}/members``: the members, and the invitations not answered yet."""

    members: list[MemberPublic] = Field(default_factory=list)
    invitations: list[MemberPublic] = Field(default_factory=list)  # (admins see them; others only the count)
    pending_invitations: int = 0
    my_role: str = ""  # the caller's role in the project
    shared: bool = False


class InvitationPublic(_Read):
    """An invitation to me (``GET /api/invitations``)."""

    id: str
    project_id: str = ""
    project_name: str = ""
    role: str = "viewer"
    invited_by: str = ""  # the inviter's user id (or a person object: their name)
    inviter_name: str = ""
    created_at: datetime | None = None

    @field_validator("invited_by", "project_name", "inviter_name", mode="before")
    @classmethod
    def _name(cls, value: Any) -> str:
        if isinstance(value, dict):  # a person object: its name, else its address
            return str(value.get("display_name") or value.get("name") or value.get("email") or "")
        return value if isinstance(value, str) else ""


class CommentPublic(_Read):
    id: str
    task_id: str = ""
    author_id: str = ""
    author_name: str = ""
    body: str
    created_at: datetime | None = None
    edited_at: datetime | None = None
    mentions: list[str] = Field(default_factory=list)  # the members mentioned (user ids), as the server resolved them
    version: int | None = None

    @property
    def edited(self) -> bool:
        return self.edited_at is not None


class CommentPage(_Read):
    items: list[CommentPublic] = Field(default_factory=list)
    cursor: str | None = Field(default=None, validation_alias=AliasChoices("cursor", "next_cursor"))


class ActivityEntryPublic(_Read):
    id: str = ""
    actor_id: str = Field(default="", validation_alias=AliasChoices("actor_id", "actor"))
    actor_name: str = ""
    what: str = ""  # created | edited | assigned | completed | commented | member_added | role_changed | ...
    task_id: str | None = None
    task_title: str | None = None
    member_id: str | None = None  # the member a membership event is about
    member_name: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    at: datetime | None = None


class ActivityPage(_Read):
    items: list[ActivityEntryPublic] = Field(default_factory=list)
    next_cursor: str | None = Field(default=None, validation_alias=AliasChoices("cursor", "next_cursor"))


def member_list(answer: Any) -> MemberList:
    """The members answer, whether the API sends ``{"members", "invitations"}``, ``{"items"}`` or a bare list (the
    pending invitations then are the entries without a user id, or with ``status`` "pending")."""
    if isinstance(answer, dict) and ("members" in answer or "invitations" in answer):
        return MemberList.model_validate(answer)
    entries = [MemberPublic.model_validate(item) for item in items_of(answer)]
    return MemberList(
        members=[entry for entry in entries if not entry.pending],
        invitations=[entry for entry in entries if entry.pending],
    )


def items_of(answer: Any) -> list[Any]:
    """A list answer: a bare JSON list, or the ``items`` of a page."""
    if isinstance(answer, list):
        return answer
    if isinstance(answer, dict) and isinstance(answer.get("items"), list):
        return list(answer["items"])
    return []
