"""API shapes of shared projects' members and invitations (issue 13)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, RootModel, StringConstraints

from backend.schemas import StrictModel

# A plain pattern, not pydantic's EmailStr: no extra dependency, and SES refuses what it cannot deliver anyway.
EmailAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
GrantedRole = Literal["viewer", "editor", "admin"]
AnyRole = Literal["viewer", "editor", "admin", "owner"]


class MemberCreate(StrictModel):
    """Invite an address (an existing member's address answers that member)."""

    email: EmailAddress
    role: GrantedRole = "editor"


class MemberUpdate(StrictModel):
    """A member's new role; ``owner`` (by the owner only) transfers the ownership: the owner becomes an admin."""

    role: AnyRole


class MemberPublic(BaseModel):
    kind: Literal["member"] = "member"
    user_id: str
    project_id: str
    role: AnyRole
    display_name: str
    initials: str
    joined_at: datetime
    invited_by: str | None
    version: int


class InvitationPublic(BaseModel):
    kind: Literal["invitation"] = "invitation"
    id: str
    project_id: str
    project_name: str
    email: str
    role: GrantedRole
    invited_by: str
    inviter_name: str
    created_at: datetime
    status: Literal["pending"] = "pending"


class MemberOrInvitation(RootModel[Annotated[MemberPublic | InvitationPublic, Field(discriminator="kind")]]):
    """What an invitation answers (``kind``): the member the address is already, or the pending invitation."""


class MemberList(BaseModel):
    """A project's members (oldest first, the owner among them) and its pending invitations (admins see them;
    other members see only the count)."""

    members: list[MemberPublic]
    invitations: list[InvitationPublic]
    pending_invitations: int
    my_role: AnyRole
    shared: bool


class InvitationList(BaseModel):
    items: list[InvitationPublic]
