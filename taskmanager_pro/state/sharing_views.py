"""What the screens of shared projects show, computed from API objects (pure): people and their initials, roles and
what each may do, invitations, comments, activity lines and @mention suggestions.

The server decides every permission (403 in the error shape); these rules only decide which controls to show, so
a viewer is not offered a button that can only fail.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from backend.client.sharing import ActivityEntryPublic, CommentPublic, InvitationPublic, MemberPublic

ROLE_NAMES: dict[str, str] = {"viewer": "Viewer", "editor": "Editor", "admin": "Admin", "owner": "Owner"}
ROLE_HINTS: dict[str, str] = {
    "viewer": "Viewer: sees the project",
    "editor": "Editor: adds, edits, completes and comments",
    "admin": "Admin: also manages members and the project",
}
_RANK = {"viewer": 1, "editor": 2, "admin": 3, "owner": 4}
MAX_MENTIONS_SHOWN = 6
# An @mention being typed: "@" at the start or after a space, then letters of a name (no space yet), at the end.
_TYPING_MENTION = re.compile(r"(?:^|\s)@([\w.\-]{0,40})$")
# A person avatar's background, by the first letter of their id (stable per person, varied per project).
AVATAR_COLORS = ("tomato", "orange", "grass", "teal", "blue", "violet", "plum", "brown")


def rank(role: str) -> int:
    return _RANK.get(role, 0)


def can_edit(role: str) -> bool:
    """Add, edit, complete, assign, comment: editor and up (a personal project's role is "owner")."""
    return rank(role) >= rank("editor")


def can_manage(role: str) -> bool:
    """Invite, change roles, remove members, rename or archive the project: admin and up."""
    return rank(role) >= rank("admin")


def initials(name: str, email: str = "") -> str:
    """ "Ada Lovelace" → "AL", "grace" → "GR", "" with "bob.smith@x" → "BS"; "?" when nothing is known."""
    source = name.strip() or email.split("@", 1)[0]
    words = [word for word in re.split(r"[\s._\-]+", source) if word]
    if not words:
        return "?"
    if len(words) == 1:
        return words[0][:2].upper()
    return (words[0][0] + words[-1][0]).upper()


def avatar_color(user_id: str) -> str:
    return AVATAR_COLORS[sum(map(ord, user_id)) % len(AVATAR_COLORS)] if user_id else "gray"


@dataclasses.dataclass(frozen=True)
class Person:
    """A member as a row, a chip or an avatar shows them."""

    user_id: str
    name: str
    email: str
    initials: str
    color: str
    role: str
    role_name: str
    is_me: bool = False
    pending: bool = False  # an invitation not answered yet
    invitation_id: str = ""
    can_change_role: bool = False  # (the viewer of the dialog may change this one's role)
    can_remove: bool = False
    can_transfer: bool = False


def person_of(member: MemberPublic, *, me: str = "", my_role: str = "") -> Person:
    """One member (or pending invitation) as the share dialog shows it to someone whose role is ``my_role``."""
    name = member.display_name or member.email.split("@", 1)[0]
    is_me = bool(member.user_id) and member.user_id == me
    target = member.role
    manage = can_manage(my_role) and not member.pending and not is_me and target != "owner"
    # an admin may not touch another admin's role (only the owner may); everyone may leave (the owner first transfers)
    manage = manage and (my_role == "owner" or rank(target) < rank("admin"))
    return Person(
        user_id=member.user_id,
        name=name,
        email=member.email,
        initials=member.initials or initials(member.display_name, member.email),
        color=avatar_color(member.user_id or member.email),
        role=target,
        role_name=ROLE_NAMES.get(target, target.capitalize()),
        is_me=is_me,
        pending=member.pending,
        invitation_id=member.id if member.pending else "",
        can_change_role=manage,
        can_remove=manage or (is_me and target != "owner"),
        can_transfer=my_role == "owner" and not member.pending and not is_me,
    )


def people_of(members: Iterable[MemberPublic], *, me: str = "", my_role: str = "") -> list[Person]:
    """Members in the order a share dialog lists them: the owner, then by role, then by name."""
    people = [person_of(member, me=me, my_role=my_role) for member in members]
    return sorted(people, key=lambda p: (-rank(p.role), p.name.lower(), p.email))


@dataclasses.dataclass(frozen=True)
class InvitationItem:
    id: str
    project_id: str
    project_name: str
    role_name: str
    invited_by: str
    role: str = "viewer"


def invitation_item(invitation: InvitationPublic) -> InvitationItem:
    return InvitationItem(
        id=invitation.id,
        project_id=invitation.project_id,
        project_name=invitation.project_name or "A shared project",
        role_name=ROLE_NAMES.get(invitation.role, invitation.role.capitalize()),
        invited_by=invitation.inviter_name,
        role=invitation.role,
    )


def when_text(moment: datetime | None, today: date) -> str:
    """ "14:05" today, "Dec 3 14:05" this year, else "Dec 3 2025"."""
    if moment is None:
        return ""
    local = moment.astimezone() if moment.tzinfo else moment
    if local.date() == today:
        return local.strftime("%H:%M")
    day = f"{local.strftime('%b')} {local.day}"
    return f"{day} {local.strftime('%H:%M')}" if local.year == today.year else f"{day} {local.year}"


@dataclasses.dataclass(frozen=True)
class CommentItem:
    id: str
    author: str
    initials: str
    color: str
    body: str
    when: str
    edited: bool
    mine: bool
    can_edit: bool
    can_delete: bool
    pending: bool = False  # shown before the server has answered


def comment_item(
    comment: CommentPublic,
    *,
    me: str,
    my_role: str,
    names: dict[str, str],
    today: date,
    pending: bool = False,
) -> CommentItem:
    mine = comment.author_id == me
    author = "You" if mine else (comment.author_name or names.get(comment.author_id, "") or "A former member")
    edited = comment.edited
    return CommentItem(
        id=comment.id,
        author=author,
        initials=initials(comment.author_name or names.get(comment.author_id, "") or ("You" if mine else "")),
        color=avatar_color(comment.author_id),
        body=comment.body,
        when=when_text(comment.created_at, today),
        edited=edited,
        mine=mine,
        can_edit=mine and can_edit(my_role),
        can_delete=mine or can_manage(my_role),
        pending=pending,
    )


def typing_mention(text: str) -> str | None:
    """The name being typed after an "@" at the end of ``text`` ("" right after the "@"); None when none is."""
    match = _TYPING_MENTION.search(text)
    return match.group(1) if match else None


def mention_handle(person: Person) -> str:
    """What an @mention of ``person`` inserts: their name without spaces (the address's name if they have none)."""
    handle = re.sub(r"\s+", "", person.name) or person.email.split("@", 1)[0]
    return handle[:40]


def mention_suggestions(query: str, people: Sequence[Person]) -> list[Person]:
    """Members whose name or address starts with (then contains) ``query``; not pending invitations."""
    wanted = query.lower()
    members = [p for p in people if not p.pending]
    starts = [p for p in members if p.name.lower().startswith(wanted) or p.email.lower().startswith(wanted)]
    contains = [p for p in members if p not in starts and (wanted in p.name.lower() or wanted in p.email.lower())]
    return [*starts, *contains][:MAX_MENTIONS_SHOWN]


def with_mention(text: str, person: Person) -> str:
    """``text`` with the @-name being typed at its end completed to ``person``'s handle (and a space)."""
    match = _TYPING_MENTION.search(text)
    if match is None:
        return text
    return f"{text[: match.start(1)]}{mention_handle(person)} "


_FIELD_NAMES = {
    "title": "title",
    "notes": "notes",
    "due_date": "due date",
    "due_time": "due time",
    "priority": "priority",
    "project_id": "project",
    "section": "section",
    "labels": "labels",
    "assignee_id": "assignee",
    "recurrence": "repeat",
    "status": "status",
    "start_date": "start date",
}


def _field_name(key: str) -> str:
    return _FIELD_NAMES.get(key, key.replace("_", " "))


def _shown(value: Any, names: dict[str, str]) -> str:
    if value is None or value in ("", []):
        return "none"
    if isinstance(value, str) and value in names:
        return names[value]
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 60 else text[:59] + "…"


@dataclasses.dataclass(frozen=True)
class ActivityItem:
    id: str
    actor: str
    initials: str
    color: str
    text: str
    changes: list[str]  # "title: Old → New"
    when: str


# How a log line says what happened (the domain's ``What``); "{member}" is the member an event is about.
_PHRASES = {
    "created": "added",
    "edited": "edited",
    "assigned": "assigned",
    "completed": "completed",
    "reopened": "reopened",
    "moved": "moved",
    "deleted": "deleted",
    "commented": "commented on",
    "comment_edited": "edited a comment on",
    "comment_deleted": "deleted a comment on",
    "invited": "invited {email}",
    "member_added": "added {member}",
    "role_changed": "changed the role of {member}",
    "member_removed": "removed {member}",
    "left": "left the project",
    "transferred": "handed the project to {member}",
    "renamed": "changed the project",
    "archived": "archived the project",
    "unarchived": "restored the project",
    "shared": "shared the project",
}
_HIDDEN_FIELDS = frozenset({"version", "updated_at", "position", "comment_id", "owner_id", "email"})


def activity_item(entry: ActivityEntryPublic, *, me: str, names: dict[str, str], today: date) -> ActivityItem:
    """One line of the activity log: who did what to which task (or member), with before → after of an edit."""

    def who(user_id: str | None, fallback: str) -> str:
        return "you" if user_id and user_id == me else (names.get(user_id or "", "") or fallback)

    actor = "You" if entry.actor_id == me else (entry.actor_name or names.get(entry.actor_id, "") or "Someone")
    before, after = entry.before or {}, entry.after or {}
    phrase = _PHRASES.get(entry.what, entry.what.replace("_", " ") or "changed")
    email = str(after.get("email") or "someone")
    what = phrase.format(member=who(entry.member_id, entry.member_name or "a former member"), email=email)
    target = f" “{entry.task_title}”" if entry.task_title else ""
    changes = [
        f"{_field_name(key)}: {_shown(before.get(key), names)} → {_shown(after.get(key), names)}"
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key) and key not in _HIDDEN_FIELDS
    ]
    if entry.what in {"commented", "comment_edited"}:
        changes = [f"“{_shown(after.get('body'), {})}”"] if after.get("body") else []
    return ActivityItem(
        id=entry.id,
        actor=actor,
        initials=initials(entry.actor_name or names.get(entry.actor_id, "")),
        color=avatar_color(entry.actor_id),
        text=f"{actor} {what}{target}",
        changes=changes[:8],
        when=when_text(entry.at, today),
    )
