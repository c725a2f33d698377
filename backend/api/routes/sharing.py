"""Members and invitations of shared projects (issue 13): thin handlers over ``services.sharing``."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller
from backend.api.openapi import AUTHENTICATED, ERRORS
from backend.api.responses import created, documented, no_content
from backend.api.routes.links import _page  # the links pages' look
from backend.bootstrap import dependencies
from backend.domain.sharing import Invitation, Membership, Role, initials
from backend.domain.signing_keys import LINKS
from backend.errors import DomainError
from backend.schemas import Id
from backend.schemas_sharing import (
    InvitationList,
    InvitationPublic,
    MemberCreate,
    MemberList,
    MemberOrInvitation,
    MemberPublic,
    MemberUpdate,
)
from backend.services import links, sharing

router = APIGatewayRouter()


def member_public(member: Membership) -> MemberPublic:
    return MemberPublic(
        user_id=member.user_id,
        project_id=member.project_id,
        role=member.role.value,  # type: ignore[arg-type]
        display_name=member.display_name,
        initials=initials(member.display_name),
        joined_at=member.joined_at,
        invited_by=member.invited_by,
        version=member.version,
    )


def invitation_public(invitation: Invitation) -> InvitationPublic:
    return InvitationPublic(
        id=invitation.id,
        project_id=invitation.project_id,
        project_name=invitation.project_name,
        email=invitation.email,
        role=invitation.role.value,  # type: ignore[arg-type]
        invited_by=invitation.invited_by,
        inviter_name=invitation.inviter_name,
        created_at=invitation.created_at,
    )


def _ports() -> sharing.Ports:
    deps = dependencies()
    return sharing.Ports(
        tasks=deps.tasks,
        memberships=deps.memberships,
        mover=deps.mover,
        limits=deps.notifications,
        mailer=deps.mailer,
        link_key=lambda: deps.signing_keys().signing_key(LINKS),
        api_url=deps.settings.public_api_url,
        inbox=deps.notifications,
        identity=deps.identity,
        moves=deps.moves,
    )


@router.get(
    "/projects/<project_id>/members",
    summary="A project's members and pending invitations",
    tags=["sharing"],
    security=AUTHENTICATED,
    responses=documented(),
)
def list_members(project_id: Annotated[Id, Path()]) -> MemberList:
    deps = dependencies()
    found = sharing.list_members(user=caller(router), project_id=project_id, ports=_ports(), now=deps.clock())
    admin = found.where.role.at_least(Role.ADMIN)
    return MemberList(
        members=[member_public(m) for m in found.members],
        invitations=[invitation_public(i) for i in found.invitations] if admin else [],
        pending_invitations=len(found.invitations),
        my_role=found.where.role.value,  # type: ignore[arg-type]
        shared=found.where.shared,
    )


@router.post(
    "/projects/<project_id>/members",
    summary="Invite an address (admins); the first invitation shares a personal project",
    description="201 with a pending invitation (e-mailed with a signed link, listed in the invitee's app), or with "
    "the member when the address is one already. 409 `quota_exceeded` beyond 50 members and invitations, or when "
    "sharing would give the owner more than 50 shared projects; 429 beyond the per-sender invitation limit.",
    tags=["sharing"],
    security=AUTHENTICATED,
    responses=documented(MemberOrInvitation, limited=True),
)
def invite(project_id: Annotated[Id, Path()], data: Annotated[MemberCreate, Body()]) -> Response[str]:
    deps = dependencies()
    result = sharing.invite(
        user=caller(router), project_id=project_id, email=data.email, role=data.role, ports=_ports(), now=deps.clock()
    )
    return created(member_public(result) if isinstance(result, Membership) else invitation_public(result))


@router.patch(
    "/projects/<project_id>/members/<user_id>",
    summary="Change a member's role (admins); role `owner` transfers the ownership (the owner only)",
    description="The owner who transfers stays on as an admin. The owner cannot be demoted or removed.",
    tags=["sharing"],
    security=AUTHENTICATED,
    responses=documented(),
)
def change_role(
    project_id: Annotated[Id, Path()], user_id: Annotated[Id, Path()], data: Annotated[MemberUpdate, Body()]
) -> MemberPublic:
    deps = dependencies()
    member = sharing.change_role(
        user=caller(router), project_id=project_id, member_id=user_id, role=data.role, ports=_ports(), now=deps.clock()
    )
    return member_public(member)


@router.delete(
    "/projects/<project_id>/members/<user_id>",
    summary="Remove a member (admins), leave (your own id), or withdraw a pending invitation (its id)",
    description="The removed member's tasks in the project are unassigned; what they made stays.",
    tags=["sharing"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def remove_member(project_id: Annotated[Id, Path()], user_id: Annotated[Id, Path()]) -> Response[None]:
    deps = dependencies()
    sharing.remove(user=caller(router), project_id=project_id, member_id=user_id, ports=_ports(), now=deps.clock())
    return no_content()


@router.get(
    "/invitations",
    summary="My pending invitations (to my verified e-mail address)",
    tags=["sharing"],
    security=AUTHENTICATED,
    responses=documented(),
)
def my_invitations() -> InvitationList:
    deps = dependencies()
    found = sharing.my_invitations(user=caller(router), memberships=deps.memberships, now=deps.clock())
    return InvitationList(items=[invitation_public(i) for i in found])


@router.post(
    "/invitations/<invitation_id>/accept",
    summary="Accept an invitation: join the project",
    description="409 `quota_exceeded` when you are in 50 shared projects already.",
    tags=["sharing"],
    security=AUTHENTICATED,
    responses=documented(),
)
def accept(invitation_id: Annotated[Id, Path()]) -> MemberPublic:
    deps = dependencies()
    member = sharing.accept(
        user=caller(router), invitation_id=invitation_id, memberships=deps.memberships, now=deps.clock()
    )
    return member_public(member)


@router.post(
    "/invitations/<invitation_id>/decline",
    summary="Decline an invitation",
    tags=["sharing"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def decline(invitation_id: Annotated[Id, Path()]) -> Response[None]:
    deps = dependencies()
    sharing.decline(user=caller(router), invitation_id=invitation_id, memberships=deps.memberships, now=deps.clock())
    return no_content()


@router.get(
    "/links/invitation",
    summary="An invitation's page (the signed link of its e-mail)",
    tags=["links"],
    responses={
        200: {"description": "What the invitation is, and where to accept it", "content": {"text/html": {}}},
        400: {"description": "The link is not valid or has expired (a page)", "content": {"text/html": {}}},
        422: ERRORS[422],
    },
)
def invitation_page(
    token: Annotated[str, Query(min_length=1, max_length=2000, description="the signed token from the email")],
) -> Response[str]:
    deps = dependencies()
    try:
        found = sharing.invitation_from_link(
            token=token,
            keys=deps.signing_keys().verifying_keys(LINKS),
            memberships=deps.memberships,
            now=deps.clock(),
        )
    except links.InvalidLinkError as exc:
        return _page(400, "This link does not work", exc.message)
    except DomainError as exc:
        return _page(400, "Nothing to accept", exc.message)
    app = deps.settings.app_url.rstrip("/")
    return _page(
        200,
        f"{found.inviter_name or 'Someone'} invited you to {found.project_name or 'a project'}",
        f"Sign in (or sign up) with {found.email} at {app}/invitations to accept or decline: you would join as "
        f"{found.role.value}.",
    )
