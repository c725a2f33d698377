"""Comments on tasks, their @mentions and the activity log of a shared project (issue 13). No HTTP, no boto3.

Access is ``services/access.py``'s (a stranger gets 404 for the task, its comments and the project's log) and what a
role allows is ``domain/sharing.authorize``'s: editors comment, an author edits and deletes their own comment, an
admin deletes anyone's. A comment on a personal task is its owner's alone (role owner); comments in a shared project
also write an activity row, in the comment's own transaction.

Mentions are resolved to the project's current members when the comment is saved (an edit resolves again and
notifies only members never told of this comment: once per comment and member, ``mentions_of_edit``). After the
write, each mentioned member gets an inbox row at once and, if their email notifications are on, an email through a
one-time schedule to the reminders Lambda at the end of their quiet hours (or in a minute): the path reminders take,
with the same preferences. Emails cost money, so each author may cause at most ``MENTION_EMAILS_PER_AUTHOR``; past
it the inbox row still comes, the email is skipped and says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from backend.adapters.ports import (
    ActivityLog,
    CommentStore,
    Inbox,
    LimitStore,
    MembershipStore,
    Schedules,
    TaskDeletionListener,
    TaskStore,
    UserRepository,
)
from backend.domain import activity, schedules
from backend.domain.activity import ActivityEntry
from backend.domain.comments import (
    Comment,
    MemberName,
    mention_handles,
    mentions_of_edit,
    parse_public_id,
    resolve_mentions,
)
from backend.domain.notifications import Delivery, Notification
from backend.domain.rate_limits import MENTION_EMAILS_PER_AUTHOR, LimitKey
from backend.domain.reminders import deliver_at
from backend.domain.sharing import Action, authorize
from backend.domain.tasks import Task, new_id
from backend.domain.users import User
from backend.errors import NotFoundError, StaleVersionError
from backend.observability import logger
from backend.services import access
from backend.services.access import ProjectAccess
from backend.services.notification_settings import quiet_hours, zone_of
from backend.services.rate_limits import Limit, take

PAGE = 50
EXCERPT = 500  # characters of the comment an inbox row and its email quote
EMAIL_DELAY = timedelta(minutes=1)  # a one-time schedule a minute ahead: never "in the past" when it is created
FORMER_MEMBER = "Former member"  # the author of a comment whose account is gone


@dataclass(frozen=True)
class Ports:
    tasks: TaskStore
    memberships: MembershipStore
    comments: CommentStore
    users: UserRepository


@dataclass(frozen=True)
class MentionPorts:
    """What notifying the mentioned members needs (None in ``add_comment``: nobody is notified)."""

    inbox: Inbox
    scheduler: Schedules
    limits: LimitStore


@dataclass(frozen=True)
class CommentView:
    comment: Comment
    author_name: str


def _comment_missing() -> NotFoundError:
    return NotFoundError("There is no such comment.", fields={"comment_id": "does not exist"})


def display_names(users: UserRepository, user_ids: Iterable[str]) -> dict[str, str]:
    """Current display names (one read per distinct person; a page has few)."""
    names: dict[str, str] = {}
    for user_id in dict.fromkeys(user_ids):
        user = users.get(user_id)
        names[user_id] = user.display_name if user is not None and user.deleted_at is None else FORMER_MEMBER
    return names


def _view(comment: Comment, author: User) -> CommentView:
    return CommentView(comment=comment, author_name=author.display_name)


def _mentions(body: str, where: ProjectAccess, *, author_id: str, ports: Ports) -> tuple[str, ...]:
    """The members ``body`` mentions (none in a personal project: its owner is alone there)."""
    handles = mention_handles(body)
    if not handles or not where.shared:
        return ()
    members = []
    for membership in ports.memberships.list_members(where.project_id):
        user = ports.users.get(membership.user_id)
        if user is not None:
            members.append(MemberName(membership.user_id, user.display_name or membership.display_name, user.email))
    return resolve_mentions(handles, members, author_id=author_id)


def _logged(where: ProjectAccess, entry: ActivityEntry) -> ActivityEntry | None:
    return entry if where.shared else None


def _task_and_access(user: User, task_id: str, ports: Ports) -> tuple[Task, ProjectAccess]:
    return access.task(user, task_id, tasks=ports.tasks, memberships=ports.memberships)


def list_comments(
    *, user: User, task_id: str, ports: Ports, limit: int = PAGE, cursor: str | None = None
) -> tuple[list[CommentView], str | None]:
    """A task's comments, oldest first (a conversation reads down)."""
    task, where = _task_and_access(user, task_id, ports)
    authorize(where.role, Action.READ)
    page, next_cursor = ports.comments.page(task.user_id, task.id, limit=limit, cursor=cursor)
    names = display_names(ports.users, (c.author_id for c in page))
    return [CommentView(comment=c, author_name=names[c.author_id]) for c in page], next_cursor


def add_comment(
    *, user: User, task_id: str, body: str, ports: Ports, mention_ports: MentionPorts | None, now: datetime
) -> CommentView:
    task, where = _task_and_access(user, task_id, ports)
    authorize(where.role, Action.COMMENT)
    comment = Comment(
        id=new_id(),
        task_id=task.id,
        partition=task.user_id,
        author_id=user.id,
        body=body,
        created_at=now,
        mentions=(mentioned := _mentions(body, where, author_id=user.id, ports=ports)),
        logged_in=task.user_id if where.shared else None,
        notified=mentioned,
    )
    entry = activity.comment_added(user.id, task, comment_id=comment.public_id, row_id=comment.id, body=body, at=now)
    stored = ports.comments.add(comment, activity=_logged(where, entry))
    if mention_ports is not None:
        dropped = [m for m in comment.mentions if m not in stored.mentions]
        withdraw_emails(stored, dropped, scheduler=mention_ports.scheduler)
        notify_mentioned(
            stored, task, author=user, members=stored.mentions, ports=ports, mention_ports=mention_ports, now=now
        )
    return _view(stored, user)


def _find(user: User, comment_id: str, ports: Ports) -> tuple[Task, ProjectAccess, Comment]:
    """The task a comment id names (access checked: a stranger gets 404, forged ids included) and the comment."""
    task_id, ulid = parse_public_id(comment_id)
    task, where = _task_and_access(user, task_id, ports)
    comment = ports.comments.get(task.user_id, task.id, ulid)
    if comment is None:
        raise _comment_missing()
    return task, where, comment


def edit_comment(
    *,
    user: User,
    comment_id: str,
    body: str,
    version: int | None,
    ports: Ports,
    mention_ports: MentionPorts | None,
    now: datetime,
) -> CommentView:
    """The author rewrites their comment; ``version`` (the one the client read) makes a concurrent edit 409."""
    task, where, comment = _find(user, comment_id, ports)
    authorize(where.role, Action.EDIT_OWN_COMMENT, own=comment.author_id == user.id)
    stale = "The comment was changed meanwhile; reload it and try again."
    if version is not None and version != comment.version:
        raise StaleVersionError(stale, current=comment)
    mentions = _mentions(body, where, author_id=user.id, ports=ports)
    new, notified = mentions_of_edit(comment, mentions)
    edited = replace(comment, body=body, edited_at=now, mentions=mentions, notified=notified)
    entry = activity.comment_edited(user.id, task, comment_id=comment.public_id, at=now)
    stored = ports.comments.edit(edited, activity=_logged(where, entry))
    if stored is None:
        raise StaleVersionError(stale, current=ports.comments.get(comment.partition, comment.task_id, comment.id))
    if mention_ports is not None:
        dropped = [m for m in comment.mentions if m not in stored.mentions]
        withdraw_emails(stored, dropped, scheduler=mention_ports.scheduler)
        notify_mentioned(stored, task, author=user, members=new, ports=ports, mention_ports=mention_ports, now=now)
    return _view(stored, user)


def delete_comment(
    *, user: User, comment_id: str, ports: Ports, now: datetime, scheduler: Schedules | None = None
) -> None:
    """The author takes back their comment, or an admin removes anyone's; a mention email not sent yet (waiting for
    the member's quiet hours to end) is not sent at all."""
    task, where, comment = _find(user, comment_id, ports)
    for _ in range(2):  # an edit between our read and the delete: delete the edited one
        own = comment.author_id == user.id
        authorize(where.role, Action.DELETE_OWN_COMMENT if own else Action.DELETE_ANY_COMMENT, own=own)
        entry = activity.comment_deleted(
            user.id, task, comment_id=comment.public_id, author_id=comment.author_id, at=now
        )
        if ports.comments.delete(comment, activity=_logged(where, entry)):
            if scheduler is not None:
                withdraw_emails(comment, comment.notified or comment.mentions, scheduler=scheduler)
            return
        fresh = ports.comments.get(comment.partition, comment.task_id, comment.id)
        if fresh is None:
            raise _comment_missing()
        comment = fresh
    raise StaleVersionError("The comment keeps changing; reload it and try again.", current=comment)


# --- mentions ---------------------------------------------------------------------------------------------------
def notify_mentioned(
    comment: Comment,
    task: Task,
    *,
    author: User,
    members: Iterable[str],
    ports: Ports,
    mention_ports: MentionPorts,
    now: datetime,
) -> int:
    """After the comment is stored: an inbox row per mentioned member and their email scheduled. A failure here
    is logged and never undoes or fails the comment. Returns how many members were notified."""
    notified = 0
    for member_id in members:
        try:
            if _notify_one(comment, task, author=author, member_id=member_id, ports=ports, out=mention_ports, now=now):
                notified += 1
        except Exception:  # the comment is saved; one member's notification must not fail the request
            logger.exception("mention not delivered", extra={"task_id": task.id, "comment_id": comment.id})
    return notified


def withdraw_emails(comment: Comment, members: Iterable[str], *, scheduler: Schedules) -> None:
    """The mention emails of ``members`` that are still waiting are not sent: the comment was deleted, or an edit took
    their mention out (the email would quote words the author took back). One DeleteSchedule each (none is an error:
    sent already, or never scheduled); a failure is logged and never fails the write, which is done."""
    for member_id in members:
        try:
            scheduler.delete(schedules.mention_name(comment.id, member_id))
        except Exception:
            logger.exception("mention email not withdrawn", extra={"comment_id": comment.id})


def _notify_one(
    comment: Comment, task: Task, *, author: User, member_id: str, ports: Ports, out: MentionPorts, now: datetime
) -> bool:
    member = ports.users.get(member_id)
    if member is None or member.deleted_at is not None:
        return False
    p = member.preferences
    origin = schedules.mention_name(comment.id, member_id)
    note = Notification(
        id=schedules.notification_id(origin, now),
        user_id=member_id,
        kind="mention",
        title=f"{author.display_name} mentioned you on “{activity.cut(task.title, 150)}”",
        body=activity.cut(comment.body, EXCERPT),
        fire_at=now,
        created_at=now,
        task_id=task.id,
        origin=origin,
        read=not p.in_app_notifications,
        deliveries={"in_app": Delivery("sent" if p.in_app_notifications else "skipped")},
    )
    email = _email_delivery(author, member, out, now=now)
    note = note.with_delivery("email", email)
    if not out.inbox.claim(note, now=now):
        return False  # a retried request: notified already
    if email.status == "pending":
        at = max(deliver_at(now, tz=zone_of(member), quiet=quiet_hours(p)), now + EMAIL_DELAY)
        try:
            out.scheduler.put_one_time(
                origin, at, schedules.mention_payload(user_id=member_id, notification_id=note.id)
            )
        except Exception as exc:  # the inbox row says the email failed; the comment stands
            note = note.with_delivery("email", Delivery("failed", f"{type(exc).__name__}: {exc}"[:500], 1))
            out.inbox.record(note)
            raise
        return True
    out.inbox.record(note)  # no email: the row is final
    return True


def _email_delivery(author: User, member: User, out: MentionPorts, *, now: datetime) -> Delivery:
    if not member.preferences.email_notifications:
        return Delivery("skipped", "email notifications are off")
    refused = take(
        out.limits, [Limit(LimitKey("user", author.id, "mention-email"), MENTION_EMAILS_PER_AUTHOR)], now=now
    )
    if refused is not None:
        return Delivery("skipped", "the author has sent too many mention emails; see the app")
    return Delivery("pending")


# --- the activity log -------------------------------------------------------------------------------------------
def project_activity(
    *,
    user: User,
    project_id: str,
    tasks: TaskStore,
    memberships: MembershipStore,
    log: ActivityLog,
    now: datetime,
    users: UserRepository,
    cursor: str | None = None,
) -> tuple[list[ActivityEntry], dict[str, str], str | None]:
    """A project's log, newest first, 50 a page, with the display names of the people it names: any member reads
    it; a personal project keeps none (an empty page)."""
    where = access.project(user, project_id, tasks=tasks, memberships=memberships)
    authorize(where.role, Action.READ)
    if not where.shared:
        return [], {}, None
    entries, next_cursor = log.list_activity(where.partition, now=now, limit=PAGE, cursor=cursor)
    people = [who for e in entries for who in (e.actor, e.member_id) if who]
    return entries, display_names(users, people), next_cursor


@dataclass(frozen=True)
class TaskCommentCleanup:
    """A task deletion listener (``TaskDeletionListener``): a deleted task's comments go with it, then ``then``
    (the attachments' listener) runs."""

    store: CommentStore
    then: TaskDeletionListener | None = None

    def task_deleted(self, user_id: str, task_id: str) -> None:
        """``user_id``: the partition the task was in (its owner's sub or ``P#<project>``)."""
        self.store.delete_all(user_id, task_id)
        if self.then is not None:
            self.then.task_deleted(user_id, task_id)
