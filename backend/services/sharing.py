"""Members and invitations of shared projects (issue 13): list, invite, accept, decline, change a role, transfer the
ownership, remove, leave. No HTTP, no boto3.

Who may do what is ``backend.domain.sharing`` (``authorize`` and ``Roster``), with the caller's role found by
``services.access``. The first invitation of a personal project shares it: the project and every task move to the
project's partition ``P#<p>`` (``PartitionMover``, resumable), and its owner becomes its first member (``M#`` row and
``shared_projects``, one transaction). An invitation is stored under the normalized address (so an address without
an account finds it after signing up), e-mailed with a signed link, and listed in the app by the invitee's verified
address; accepting writes the membership and the invitee's ``shared_projects`` in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from backend.adapters.ports import (
    IdentityDirectory,
    Inbox,
    LimitStore,
    Mailer,
    MembershipStore,
    PartitionMover,
    ProjectMoveQueue,
    TaskDeletionListener,
    TaskStore,
)
from backend.domain import activity
from backend.domain.notifications import Delivery, Email, Notification, SendFailedError
from backend.domain.quotas import exceeded
from backend.domain.rate_limits import LimitKey, Rule, in_words, retry_after
from backend.domain.sharing import (
    MAX_MEMBERS,
    MAX_SHARED_PROJECTS,
    Action,
    Invitation,
    Membership,
    Role,
    Roster,
    authorize,
    is_project_partition,
    normalize_email,
    project_partition,
)
from backend.domain.tasks import Project, Task, new_id
from backend.domain.users import User
from backend.errors import ConflictError, InvalidInputError, NotFoundError, TooManyRequestsError
from backend.observability import logger
from backend.services import access, links
from backend.services.access import INBOX_ID, ProjectAccess
from backend.services.email_templates import invitation_email
from backend.services.rate_limits import Limit, take

# Invitations are e-mails, and e-mails cost money and reputation: per sender, whoever they invite.
INVITATIONS_PER_SENDER = (Rule(20, timedelta(hours=1)), Rule(100, timedelta(days=1)))
INVITATION_PATH = "/links/invitation"
# A share moves up to this many tasks within the invite request (~0.9 DynamoDB calls a task: ~100 calls, about a
# second), so a small project is complete for its first member at once; a larger one's tasks move in the background
# worker (``handlers/project_moves.py``) and the invitation answers without waiting for them.
INLINE_MOVE_TASKS = 100


@dataclass(frozen=True)
class Ports:
    tasks: TaskStore
    memberships: MembershipStore
    mover: PartitionMover
    limits: LimitStore | None = None  # the per-sender limit (None: not limited, tests of other things)
    mailer: Mailer | None = None
    link_key: Callable[[], bytes] | None = field(default=None, repr=False)  # signs the e-mail's link
    api_url: str = ""
    # An invitee who already has an account gets an inbox row at once (the live channel shows it; None: no row)
    inbox: Inbox | None = None
    identity: IdentityDirectory | None = None
    moves: ProjectMoveQueue | None = None  # a large project's tasks move in the background (None: in the request)


@dataclass(frozen=True)
class Members:
    """A project's members (oldest first) and pending invitations, with the caller's access."""

    members: list[Membership]
    invitations: list[Invitation]
    where: ProjectAccess


def _me(user: User, project_id: str, joined_at: datetime, role: Role = Role.OWNER) -> Membership:
    return Membership(
        project_id=project_id,
        user_id=user.id,
        role=role,
        joined_at=joined_at,
        display_name=user.display_name,
        email=normalize_email(user.email),
    )


def _joined(where: ProjectAccess, now: datetime) -> datetime:
    return (where.project.created_at if where.project else None) or now


def list_members(*, user: User, project_id: str, ports: Ports, now: datetime) -> Members:
    where = access.project(user, project_id, tasks=ports.tasks, memberships=ports.memberships)
    authorize(where.role, Action.READ)
    if not where.shared:  # a personal project: its owner alone
        return Members([_me(user, project_id, _joined(where, now))], [], where)
    found = ports.memberships.list_members(project_id)
    return Members(found, ports.memberships.list_invitations(project_id, now=now), where)


def _roster(members: list[Membership]) -> Roster:
    return Roster(tuple(sorted((m.user_id, m.role) for m in members)))


# --- invite -------------------------------------------------------------------------------------------------------
def invite(
    *, user: User, project_id: str, email: str, role: str, ports: Ports, now: datetime
) -> Membership | Invitation:
    """Invite an address to a project with a role (admins). Answers the member when the address is one already, the
    pending invitation when it has one, else a new invitation (e-mailed). A personal project becomes shared."""
    where = access.project(user, project_id, tasks=ports.tasks, memberships=ports.memberships)
    new_role = _role(role)
    authorize(where.role, Action.INVITE, new_role=new_role)
    if project_id == INBOX_ID or (where.project is not None and where.project.is_inbox):
        raise InvalidInputError("The Inbox cannot be shared.", fields={"project_id": "is the Inbox"})
    address = normalize_email(email)
    if where.shared:
        members = ports.memberships.list_members(project_id)
        invitations = ports.memberships.list_invitations(project_id, now=now)
        known = next((m for m in members if m.email == address), None)
        if known is not None:
            return known
        pending = next((i for i in invitations if i.email == address), None)
        if pending is not None:
            return pending
        if len(members) + len(invitations) >= MAX_MEMBERS:
            raise exceeded("members and invitations", MAX_MEMBERS, field="email", hint="Remove some to invite more.")
        _finish_share(where, ports)
    elif address == normalize_email(user.email):
        return _me(user, project_id, _joined(where, now))
    elif len(user.shared_projects) >= MAX_SHARED_PROJECTS:  # sharing it would make one more
        raise exceeded("shared projects", MAX_SHARED_PROJECTS, field="shared_projects", hint="Leave one first.")
    _take_slot(ports, user, now)
    project = where.project
    if not where.shared:
        assert project is not None  # access read it (the Inbox alone may be unread, refused above)
        project = _share(user, project, ports, now)
    invitation = Invitation(
        id=new_id(),
        project_id=project_id,
        email=address,
        role=new_role,
        invited_by=user.id,
        created_at=now,
        project_name=project.name if project else "",
        inviter_name=user.display_name,
    )
    ports.memberships.invite(invitation, activity=activity.invited(user.id, email=address, role=new_role.value, at=now))
    _send(invitation, to=email.strip(), ports=ports, now=now)
    _tell_invitee(invitation, ports=ports, now=now)
    return invitation


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidInputError(
            "A member is a viewer, an editor or an admin.", fields={"role": "must be viewer, editor or admin"}
        ) from None


def _take_slot(ports: Ports, user: User, now: datetime) -> None:
    if ports.limits is None:
        return
    refused = take(ports.limits, [Limit(LimitKey("user", user.id, "invitation"), INVITATIONS_PER_SENDER)], now=now)
    if refused is not None:
        seconds = retry_after(refused.wait)
        raise TooManyRequestsError(
            f"You sent many invitations lately. Try again in {in_words(seconds)}.", retry_after=seconds
        )


def _share(user: User, project: Project, ports: Ports, now: datetime) -> Project:
    """A personal project becomes shared: it and its tasks move to ``P#<p>``; its owner is its first member.

    The project item and the owner's membership are written here (the project is shared from this answer on: new
    tasks go to ``P#<p>``); its tasks move here too when they are few (``INLINE_MOVE_TASKS``), else in the
    background worker, which the queue asks to (each task is in exactly one partition at every moment, and the
    owner's views read both, so nothing is missing from them meanwhile)."""
    owner = replace(_me(user, project.id, now), position=project.position)

    def owner_joins(moved: Project) -> None:
        ports.memberships.add_owner(owner, activity=activity.shared(user.id, moved, at=now))

    target = project_partition(project.id)
    if ports.moves is None or (
        ports.mover.project_size(project.user_id, project.id, at_most=INLINE_MOVE_TASKS) <= INLINE_MOVE_TASKS
    ):
        return ports.mover.move_project(project, target, before_tasks=owner_joins)
    moved = ports.mover.begin_project_move(project, target, before_tasks=owner_joins)
    _move_later(target, ports)
    return moved


def _move_later(target: str, ports: Ports) -> None:
    """Ask the worker to move the tasks of the pending move into ``target``; if the queue refuses, move them here
    (slower, but the share completes: the move is resumable if this request ends first)."""
    assert ports.moves is not None
    try:
        ports.moves.request(target)
    except Exception:
        logger.exception("project move not queued: moving it within the request", extra={"target": target})
        ports.mover.finish_project_move(target)


def _finish_share(where: ProjectAccess, ports: Ports) -> None:
    """A share whose tasks are still moving (a large project in the background, or a crash midway): the next
    invitation asks the worker again (a second request of the same move is harmless), or finishes it here."""
    if ports.mover.pending_move(where.partition) is None:
        return
    if ports.moves is not None:
        _move_later(where.partition, ports)
    else:
        ports.mover.finish_project_move(where.partition)


def finish_move(*, target: str, mover: PartitionMover) -> Project | None:
    """The background worker's use case: move the tasks of the project move pending in ``target`` (a project's
    partition). Idempotent: a message delivered again, or after the move ended, finds nothing left to do."""
    if not is_project_partition(target):
        logger.warning("project move ignored: not a project's partition", extra={"target": target})
        return None
    return mover.finish_project_move(target)


def _send(invitation: Invitation, *, to: str, ports: Ports, now: datetime) -> None:
    """E-mail the invitation. A failure is logged, not raised: the invitation is stored and listed in the app."""
    if ports.mailer is None or ports.link_key is None:
        return
    claims = links.LinkClaims(action="invitation", user_id=invitation.email, invitation_id=invitation.id)
    token = links.sign(claims, key=ports.link_key(), now=now)
    subject, text, html = invitation_email(
        inviter=invitation.inviter_name or "Someone",
        project=invitation.project_name or "a project",
        role=invitation.role.value,
        accept_url=links.url(ports.api_url, INVITATION_PATH, token),
    )
    try:
        ports.mailer.send(Email(to=to, subject=subject, text=text, html=html))
    except SendFailedError as failure:
        logger.warning("invitation email failed", extra={"invitation_id": invitation.id, "detail": failure.detail})


def _tell_invitee(invitation: Invitation, *, ports: Ports, now: datetime) -> None:
    """An inbox row for an invitee who has an account with this verified address: the live channel publishes it,
    so an invitee already signed in sees the invitation at once. Logged, not raised: the invitation is stored."""
    if ports.inbox is None or ports.identity is None:
        return
    try:
        invitee = ports.identity.user_id_of(invitation.email)
        if invitee is None:  # no account yet: the invitee is told when the address signs up (``tell_new_account``)
            return
        _note(ports.inbox, invitation, invitee, now)
    except Exception:  # the invitation is stored and e-mailed; the bell is a convenience
        logger.exception("invitation inbox row not written", extra={"invitation_id": invitation.id})


def _note(inbox: Inbox, invitation: Invitation, invitee: str, now: datetime) -> bool:
    """The invitee's inbox row of an invitation; its id is the invitation's, so telling twice (the invite and the
    sign-up, a retried trigger) writes one row. Whether it was written now."""
    note = Notification(
        id=invitation.id,
        user_id=invitee,
        kind="invitation",
        title=f"{invitation.inviter_name or 'Someone'} invited you to {invitation.project_name or 'a project'}"[:200],
        body=f"Join as {invitation.role.value}: accept or decline it in Invitations.",
        fire_at=now,
        created_at=now,
        deliveries={"in_app": Delivery("sent")},
    )
    if not inbox.claim(note, now=now):
        return False
    inbox.record(note)
    return True


def tell_new_account(*, user_id: str, email: str, memberships: MembershipStore, inbox: Inbox, now: datetime) -> int:
    """An address has just confirmed its sign-up (the post-confirmation trigger): an inbox row for each pending
    invitation to it (one Query of its ``E#`` rows), as an invitee who had an account got at once. How many."""
    invitations = memberships.invitations_for(normalize_email(email), now=now)
    return sum(_note(inbox, invitation, user_id, now) for invitation in invitations)


def invitation_from_link(
    *, token: str, keys: tuple[bytes, ...], memberships: MembershipStore, now: datetime
) -> Invitation:
    """The pending invitation a signed e-mail link names (``InvalidLinkError``: not ours or expired;
    ``NotFoundError``: accepted, declined or withdrawn since)."""
    claims = links.verify(token, action="invitation", keys=keys)
    found = memberships.invitation_for(claims.user_id, claims.invitation_id or "", now=now)
    if found is None:
        raise NotFoundError("This invitation was accepted, declined or withdrawn.")
    return found


# --- the invitee ----------------------------------------------------------------------------------------------------
def my_invitations(*, user: User, memberships: MembershipStore, now: datetime) -> list[Invitation]:
    """The pending invitations to the caller's verified address (their Cognito e-mail)."""
    return memberships.invitations_for(normalize_email(user.email), now=now)


def _my_invitation(user: User, invitation_id: str, memberships: MembershipStore, now: datetime) -> Invitation:
    found = memberships.invitation_for(normalize_email(user.email), invitation_id, now=now)
    if found is None:
        raise NotFoundError("No such invitation.", fields={"invitation_id": "does not exist"})
    return found


def accept(*, user: User, invitation_id: str, memberships: MembershipStore, now: datetime) -> Membership:
    """Join the project: the membership and the caller's ``shared_projects`` in one transaction (409
    ``quota_exceeded`` at 50 shared projects)."""
    invitation = _my_invitation(user, invitation_id, memberships, now)
    if len(user.shared_projects) >= MAX_SHARED_PROJECTS and invitation.project_id not in user.shared_projects:
        raise exceeded("shared projects", MAX_SHARED_PROJECTS, field="shared_projects", hint="Leave one first.")
    membership = replace(_me(user, invitation.project_id, now, invitation.role), invited_by=invitation.invited_by)
    entry = activity.member_added(user.id, member_id=user.id, role=invitation.role.value, at=now)
    return memberships.accept(invitation, membership, activity=entry)


def decline(*, user: User, invitation_id: str, memberships: MembershipStore, now: datetime) -> None:
    memberships.withdraw(_my_invitation(user, invitation_id, memberships, now))


# --- roles, transfer, removal ---------------------------------------------------------------------------------------
def _members(user: User, project_id: str, ports: Ports) -> tuple[ProjectAccess, dict[str, Membership]]:
    where = access.project(user, project_id, tasks=ports.tasks, memberships=ports.memberships)
    if not where.shared:
        return where, {user.id: _me(user, project_id, _joined(where, datetime.min))}
    return where, {m.user_id: m for m in ports.memberships.list_members(project_id)}


def change_role(*, user: User, project_id: str, member_id: str, role: str, ports: Ports, now: datetime) -> Membership:
    """Give a member another role (admins); ``owner``: the owner hands the project over and stays an admin."""
    where, members = _members(user, project_id, ports)
    authorize(where.role, Action.READ)
    roster = _roster(list(members.values()))
    if role == Role.OWNER.value:
        roster.transfer(user.id, member_id)  # authorizes: the owner, to a member
        entry = activity.transferred(user.id, new_owner_id=member_id, at=now)
        _, new_owner = ports.memberships.transfer(members[user.id], members[member_id], activity=entry)
        return new_owner
    new_role = _role(role)
    roster.change_role(user.id, member_id, new_role)  # authorizes (404 for a non-member, 403 on the owner)
    target = members[member_id]
    if target.role is new_role:
        return target
    entry = activity.role_changed(user.id, member_id=member_id, before=target.role.value, after=new_role.value, at=now)
    return ports.memberships.change_role(target, new_role, activity=entry)


def remove(*, user: User, project_id: str, member_id: str, ports: Ports, now: datetime) -> None:
    """Remove a member (admins), or leave (``member_id`` is the caller); a pending invitation's id withdraws it.
    The tasks assigned to the member in the project are unassigned; what they made stays, under their name."""
    where, members = _members(user, project_id, ports)
    authorize(where.role, Action.READ)
    if member_id not in members and where.shared:
        pending = next((i for i in ports.memberships.list_invitations(project_id, now=now) if i.id == member_id), None)
        if pending is not None:
            authorize(where.role, Action.INVITE, new_role=pending.role)
            ports.memberships.withdraw(pending)
            return
    _roster(list(members.values())).remove(user.id, member_id)  # authorizes
    gone = members[member_id]
    entry = activity.member_removed(user.id, member_id=member_id, role=gone.role.value, at=now)
    ports.memberships.remove(gone, activity=entry)
    unassign(tasks=ports.tasks, partition=where.partition, project_id=project_id, member_id=member_id, now=now)


def unassign(*, tasks: TaskStore, partition: str, project_id: str, member_id: str, now: datetime) -> int:
    """Take ``member_id`` off every task assigned to them in the project; returns how many."""
    changed = 0
    for listed in tasks.tasks_in_project(partition, project_id):
        current: Task | None = listed
        for _ in range(3):  # an edit meanwhile: read it again
            if current is None or current.assignee_id != member_id:
                break
            try:
                tasks.save_task(replace(current, assignee_id=None, updated_at=now), previous=current)
                changed += 1
                break
            except ConflictError:
                current = tasks.get_task(partition, listed.id)
    return changed


# --- an account being deleted -----------------------------------------------------------------------------------
_SUCCESSION = (Role.ADMIN, Role.EDITOR, Role.VIEWER)


def successor(members: list[Membership], owner_id: str) -> Membership | None:
    """Who takes over a project whose owner deletes their account: the longest-standing admin, else editor, else
    viewer (None: nobody else is in it)."""
    others = [m for m in members if m.user_id != owner_id]
    return min(others, key=lambda m: (_SUCCESSION.index(m.role), m.joined_at, m.user_id), default=None)


def leave_everything(
    *,
    user: User,
    ports: Ports,
    inbox: Inbox | None,
    now: datetime,
    on_deleted: TaskDeletionListener | None = None,
) -> int:
    """Before an account's data is erased: the shared projects it alone is in are deleted (``on_deleted`` takes
    each task's comments and files), those it owns with others go to ``successor`` (every other member gets an inbox
    row saying so), and those it does not own it leaves (its tasks there unassigned, its past work stays). Its own
    pending invitations go too. Safe to run again. Returns how many projects it left or deleted."""
    from backend.services import projects as project_service  # (projects imports access; no cycle at import)

    for invitation in ports.memberships.invitations_for(normalize_email(user.email), now=now):
        ports.memberships.withdraw(invitation)
    done = 0
    for project, membership in ports.memberships.projects_of(user.id, user.shared_projects):
        mine = membership
        members = ports.memberships.list_members(project.id)
        heir = successor(members, user.id) if mine.role is Role.OWNER else None
        if mine.role is Role.OWNER and heir is None:
            project_service.delete_project(
                store=ports.tasks,
                user_id=user.id,
                project_id=project.id,
                now=now,
                on_deleted=on_deleted,
                memberships=ports.memberships,
                user=user,
            )
            done += 1
            continue
        if heir is not None:
            entry = activity.transferred(user.id, new_owner_id=heir.user_id, at=now)
            mine, _ = ports.memberships.transfer(mine, heir, activity=entry)
            _tell(inbox, [m for m in members if m.user_id != user.id], project=project, user=user, heir=heir, now=now)
        gone = activity.member_removed(user.id, member_id=user.id, role=mine.role.value, at=now)
        ports.memberships.remove(mine, activity=gone)
        unassign(
            tasks=ports.tasks,
            partition=project_partition(project.id),
            project_id=project.id,
            member_id=user.id,
            now=now,
        )
        done += 1
    return done


def _tell(
    inbox: Inbox | None, members: list[Membership], *, project: Project, user: User, heir: Membership, now: datetime
) -> None:
    """An inbox row to each remaining member: the owner's account is gone, and who owns the project now."""
    if inbox is None:
        return
    for member in members:
        owner_now = "you" if member.user_id == heir.user_id else (heir.display_name or "another member")
        note = Notification(
            id=new_id(),
            user_id=member.user_id,
            kind="sharing",
            title=f"{project.name} has a new owner"[:200],
            body=f"{user.display_name or 'Its owner'} deleted their account; {owner_now} own"
            f"{'' if owner_now == 'you' else 's'} {project.name} now. Every task stays.",
            fire_at=now,
            created_at=now,
            deliveries={"in_app": Delivery("sent")},
        )
        if inbox.claim(note, now=now):
            inbox.record(note)
