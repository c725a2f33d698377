"""Who may do what in a shared project (issue 13): roles, actions and membership changes. Pure.

The one authorization policy the services call (``authorize``), so that no route decides access by itself:

* a caller who is not a member — a stranger, or a member who was removed or left — gets ``NotFoundError`` (404)
  for everything in the project: the project does not exist for them, exactly like another user's task today;
* a member whose role does not allow the action gets ``ForbiddenError`` (403);
* otherwise nothing happens, and the service goes on.

Roles, from least to most: viewer (reads), editor (adds, edits, completes, deletes, assigns and comments on tasks),
admin (also manages members and renames or archives the project), owner (the one admin who cannot be demoted or
removed; only they delete the project or hand it to another member). A project has exactly one owner, so it never
lacks an admin. Removing a member deletes only their membership: the tasks they created or completed, their
comments and the activity naming them stay (shown under their name), and what was assigned to them is unassigned.

Where things live (decision §31): a personal project stays in its owner's partition ``<sub>``; a shared project ``p``
has its own partition ``P#<p>`` (``project_partition``) holding the project, its memberships ``M#<sub>``, pending
invitations ``I#<email>``, its tasks and everything that belongs to them. ``Task.user_id`` / ``Project.user_id`` name
the partition that holds the object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum

from backend.errors import ForbiddenError, InvalidInputError, NotFoundError

# --- partitions -------------------------------------------------------------------------------------------------
PARTITION_PREFIX = "P#"
MAX_SHARED_PROJECTS = 50  # per user (the Users row's ``shared_projects``): bounds every view's fan-out
MAX_MEMBERS = 50  # per project: members and pending invitations together


def project_partition(project_id: str) -> str:
    """The partition (hash key) of a shared project: ``P#<project id>``."""
    return PARTITION_PREFIX + project_id


def is_project_partition(partition: str) -> bool:
    """Whether a partition is a shared project's (else it is a user's ``sub``)."""
    return partition.startswith(PARTITION_PREFIX)


def project_of_partition(partition: str) -> str | None:
    """The project id of a shared project's partition; None for a user's partition."""
    return partition[len(PARTITION_PREFIX) :] if is_project_partition(partition) else None


def user_partitions(user_id: str, shared_projects: frozenset[str]) -> list[str]:
    """Every partition a user's views read: their own, then each shared project's (in a stable order)."""
    return [user_id, *(project_partition(p) for p in sorted(shared_projects))]


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"
    OWNER = "owner"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANK = {Role.VIEWER: 1, Role.EDITOR: 2, Role.ADMIN: 3, Role.OWNER: 4}
# What an invitation or a role change may give: ownership only moves by a transfer.
GRANTABLE = frozenset({Role.VIEWER, Role.EDITOR, Role.ADMIN})


class Action(StrEnum):
    READ = "read"  # the project, its tasks, members, comments and activity
    ADD_TASK = "add_task"
    EDIT_TASK = "edit_task"  # title, notes, dates, labels, section, position, moves within the project
    COMPLETE_TASK = "complete_task"  # and reopen
    DELETE_TASK = "delete_task"
    ASSIGN = "assign"  # set or clear a task's assignee
    COMMENT = "comment"
    EDIT_OWN_COMMENT = "edit_own_comment"
    DELETE_OWN_COMMENT = "delete_own_comment"
    DELETE_ANY_COMMENT = "delete_any_comment"
    INVITE = "invite"  # add a member or invite an address, with a role
    CHANGE_ROLE = "change_role"
    REMOVE_MEMBER = "remove_member"  # someone else; yourself is LEAVE
    LEAVE = "leave"
    RENAME_PROJECT = "rename_project"  # name, colour, sections
    ARCHIVE_PROJECT = "archive_project"  # and unarchive
    DELETE_PROJECT = "delete_project"
    TRANSFER_OWNERSHIP = "transfer_ownership"


# The least role each action needs; the rules about a target member come on top (``decide``).
MINIMUM_ROLE: dict[Action, Role] = {
    Action.READ: Role.VIEWER,
    Action.ADD_TASK: Role.EDITOR,
    Action.EDIT_TASK: Role.EDITOR,
    Action.COMPLETE_TASK: Role.EDITOR,
    Action.DELETE_TASK: Role.EDITOR,  # a deleted task stays in the activity log, with who deleted it
    Action.ASSIGN: Role.EDITOR,
    Action.COMMENT: Role.EDITOR,
    Action.EDIT_OWN_COMMENT: Role.EDITOR,  # editing is commenting again: a viewer (say, demoted) may not
    Action.DELETE_OWN_COMMENT: Role.VIEWER,  # taking back your own words is always allowed while you are a member
    Action.DELETE_ANY_COMMENT: Role.ADMIN,
    Action.INVITE: Role.ADMIN,
    Action.CHANGE_ROLE: Role.ADMIN,
    Action.REMOVE_MEMBER: Role.ADMIN,
    Action.LEAVE: Role.VIEWER,
    Action.RENAME_PROJECT: Role.ADMIN,
    Action.ARCHIVE_PROJECT: Role.ADMIN,
    Action.DELETE_PROJECT: Role.OWNER,  # it deletes everyone's work: the owner's call alone
    Action.TRANSFER_OWNERSHIP: Role.OWNER,
}
# Actions about another member (``target``): the target must be a member, or it is not found.
_ON_A_MEMBER = frozenset({Action.CHANGE_ROLE, Action.REMOVE_MEMBER, Action.TRANSFER_OWNERSHIP})


class Decision(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"  # 403: a member, whose role (or the target's) does not allow it
    NOT_FOUND = "not_found"  # 404: not a member, or the member acted on is not one


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str = ""  # why it is forbidden, in words a member can act on

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOWED


ALLOWED = Verdict(Decision.ALLOWED)
NOT_FOUND = Verdict(Decision.NOT_FOUND)


def _forbidden(reason: str) -> Verdict:
    return Verdict(Decision.FORBIDDEN, reason)


def decide(
    role: Role | None,
    action: Action,
    *,
    own: bool = False,
    target: Role | None = None,
    new_role: Role | None = None,
) -> Verdict:
    """Whether a caller with ``role`` (None: not a member) may do ``action``.

    ``own``: the comment is the caller's (comment actions). ``target``: the role of the member acted on (change
    role, remove, transfer; None: not a member). ``new_role``: the role given (invite, change role). Raises
    ``InvalidInputError`` for a request no role could make (giving the owner role, acting on yourself where the
    route means someone else) — checked only once the caller may see the project, so it leaks nothing."""
    if role is None:
        return NOT_FOUND  # no existence leak: a stranger and a removed member see nothing
    needed = MINIMUM_ROLE[action]
    if action in (Action.EDIT_OWN_COMMENT, Action.DELETE_OWN_COMMENT) and not own:
        return _forbidden("Only its author can change a comment.")
    if action in _ON_A_MEMBER and target is None:
        return NOT_FOUND  # the member named in the path does not exist for anyone
    if not role.at_least(needed):
        return _forbidden(_NEEDS[needed])
    if action in (Action.INVITE, Action.CHANGE_ROLE):
        _check_grantable(new_role)
    if action is Action.LEAVE and role is Role.OWNER:
        return _forbidden("The owner cannot leave: transfer the ownership to another member first.")
    if action in (Action.CHANGE_ROLE, Action.REMOVE_MEMBER) and target is Role.OWNER:
        return _forbidden("The owner cannot be demoted or removed; only they can transfer the ownership.")
    if action is Action.TRANSFER_OWNERSHIP and target is Role.OWNER:
        raise InvalidInputError("You already own this project.", fields={"user_id": "is the owner"})
    return ALLOWED


_NEEDS = {
    Role.VIEWER: "You are not a member of this project.",  # unreachable: a member is at least a viewer
    Role.EDITOR: "Viewers can only read this project; ask an admin to make you an editor.",
    Role.ADMIN: "Only the project's admins can do this.",
    Role.OWNER: "Only the project's owner can do this.",
}


def _check_grantable(new_role: Role | None) -> None:
    if new_role not in GRANTABLE:
        raise InvalidInputError(
            "A member is a viewer, an editor or an admin; ownership is transferred, not given.",
            fields={"role": "must be viewer, editor or admin"},
        )


def authorize(
    role: Role | None,
    action: Action,
    *,
    own: bool = False,
    target: Role | None = None,
    new_role: Role | None = None,
) -> None:
    """The check every service of shared projects makes: returns if allowed, else raises ``NotFoundError`` (the
    caller is not a member, or the target member is not one: 404) or ``ForbiddenError`` (403, with the reason)."""
    verdict = decide(role, action, own=own, target=target, new_role=new_role)
    if verdict.decision is Decision.NOT_FOUND:
        raise NotFoundError("There is no such project." if role is None else "There is no such member.")
    if verdict.decision is Decision.FORBIDDEN:
        raise ForbiddenError(verdict.reason)


# --- membership changes ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Roster:
    """The members of one project and their roles (``user id -> role``); exactly one owner.

    Each change checks the acting member with ``authorize`` and returns the new roster; the services write the
    membership items it implies (one or two), conditionally on the ones they read."""

    roles: tuple[tuple[str, Role], ...]

    def __post_init__(self) -> None:
        owners = [user for user, role in self.roles if role is Role.OWNER]
        if len(owners) != 1 or len(dict(self.roles)) != len(self.roles):
            raise ValueError("a project has exactly one owner and each member once")

    @classmethod
    def of(cls, owner_id: str, **members: Role) -> Roster:
        """A new project's roster: its creator owns it."""
        return cls(((owner_id, Role.OWNER), *sorted(members.items())))

    def role_of(self, user_id: str) -> Role | None:
        return dict(self.roles).get(user_id)

    @property
    def owner_id(self) -> str:
        return next(user for user, role in self.roles if role is Role.OWNER)

    def _with(self, changes: dict[str, Role | None]) -> Roster:
        roles = dict(self.roles) | changes
        return Roster(tuple(sorted((user, role) for user, role in roles.items() if role is not None)))

    def add(self, actor_id: str, user_id: str, role: Role) -> Roster:
        """An admin adds someone (an accepted invitation); a member already there keeps their role (re-inviting
        must not demote the owner or an admin)."""
        authorize(self.role_of(actor_id), Action.INVITE, new_role=role)
        if self.role_of(user_id) is not None:
            return self
        return self._with({user_id: role})

    def change_role(self, actor_id: str, user_id: str, role: Role) -> Roster:
        """An admin gives a member another role, up to admin; an admin may step down to editor or viewer."""
        authorize(self.role_of(actor_id), Action.CHANGE_ROLE, target=self.role_of(user_id), new_role=role)
        return self._with({user_id: role})

    def remove(self, actor_id: str, user_id: str) -> Roster:
        """An admin removes someone else (yourself: ``leave``); the owner cannot be removed."""
        if actor_id == user_id:
            return self.leave(user_id)
        authorize(self.role_of(actor_id), Action.REMOVE_MEMBER, target=self.role_of(user_id))
        return self._with({user_id: None})

    def leave(self, user_id: str) -> Roster:
        """Any member but the owner leaves (the owner transfers the project first, or deletes it)."""
        authorize(self.role_of(user_id), Action.LEAVE)
        return self._with({user_id: None})

    def transfer(self, actor_id: str, user_id: str) -> Roster:
        """The owner hands the project to another member, and stays on as an admin."""
        authorize(self.role_of(actor_id), Action.TRANSFER_OWNERSHIP, target=self.role_of(user_id))
        return self._with({actor_id: Role.ADMIN, user_id: Role.OWNER})


def assignable(role: Role | None) -> bool:
    """Whether a task may be assigned to a member with ``role``: one who can complete it (not a viewer, not a
    former member). The service answers 400 naming ``assignee_id`` otherwise."""
    return role is not None and role.at_least(Role.EDITOR)


def normalize_email(email: str) -> str:
    """The key an invitation is stored under and claimed by at sign-up: trimmed and case-folded. Nothing more:
    dots and ``+tags`` are the mailbox's business, and two spellings are two addresses to us."""
    return email.strip().casefold()


# --- memberships and invitations, as stored -------------------------------------------------------------------
@dataclass(frozen=True)
class Membership:
    """``P#<project>`` / ``M#<user>``: a member of a shared project."""

    project_id: str
    user_id: str
    role: Role
    joined_at: datetime
    invited_by: str | None = None  # the sub of who invited them (None: the owner who shared it)
    position: str = "a1"  # the member's own place of the project in their sidebar
    display_name: str = ""  # copied at join time: the sidebar's initials need no Users read
    email: str = ""  # normalized, copied at join time: an invitation to a member's address finds them
    version: int = 0


@dataclass(frozen=True)
class Invitation:
    """``P#<project>`` / ``I#<normalized email>`` (and the invitee's pointer ``E#<email>`` / ``INV#<id>``)."""

    id: str
    project_id: str
    email: str  # normalized (``normalize_email``)
    role: Role
    invited_by: str
    created_at: datetime
    project_name: str = ""
    inviter_name: str = ""


def initials(display_name: str) -> str:
    """Up to two letters for an avatar: the first letters of the first two words ("Ada Lovelace" -> "AL")."""
    words = [word for word in display_name.replace("@", " ").replace(".", " ").split() if word[:1].isalnum()]
    return "".join(word[0] for word in words[:2]).upper() or "?"


@dataclass(frozen=True)
class Moved:
    """A task's move out of a partition (the tombstone its move left there): where to, the version deleted there."""

    to: str
    version: int
