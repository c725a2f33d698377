"""The ports services depend on, all of them here. Adapters implement them for AWS; unit tests pass small fakes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol

from backend.domain.activity import ActivityEntry
from backend.domain.api_tokens import ApiToken
from backend.domain.attachments import Attachment
from backend.domain.comments import Comment
from backend.domain.inbound import ReplyTarget
from backend.domain.notifications import Email, Notification
from backend.domain.quotas import Quotas
from backend.domain.rate_limits import Counter, LimitKey
from backend.domain.reminders import Reminder
from backend.domain.sharing import Invitation, Membership, Moved, Role
from backend.domain.tasks import Label, Project, Task, TaskQuery
from backend.domain.users import User
from backend.domain.webhooks import Attempt, Delivery, Event, Webhook
from backend.schemas_live import Change

if TYPE_CHECKING:
    from backend.adapters.reminder_backlog import Pending
    from backend.adapters.stats_store import StoredContribution
    from backend.domain.stats import Counters


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None: ...

    def add(self, user: User) -> User:
        """Create the row unless it exists; returns what is stored (idempotent for retried triggers)."""
        ...

    def save(self, user: User) -> User:
        """Store a changed user if nobody saved it meanwhile (else ``ConflictError``); returns it, version bumped."""
        ...

    def delete(self, user_id: str) -> None: ...


class IdentityDirectory(Protocol):
    """The user pool, as the API sees it (admin operations on one user)."""

    def email_of(self, user_id: str) -> str | None:
        """The confirmed user's email, None when no such user exists."""
        ...

    def user_id_of(self, email: str) -> str | None:
        """The id (sub) of the user whose verified address is ``email``, None when no user has it verified."""
        ...

    def delete_user(self, user_id: str) -> None: ...

    def password_matches(self, user_id: str, password: str) -> bool:
        """Whether ``password`` is the user's password now (a re-authentication; counts as a sign-in attempt)."""
        ...

    def sign_out_everywhere(self, user_id: str) -> None:
        """Revoke every refresh token of the user (their access tokens are refused by ``sessions_valid_after``)."""
        ...


class TaskStore(Protocol):
    """Tasks, projects and labels of users (one table; see adapters/task_store/)."""

    def get_task(self, user_id: str, task_id: str) -> Task | None: ...

    def get_tasks(self, user_id: str, task_ids: Iterable[str]) -> dict[str, Task]: ...

    def save_task(
        self,
        task: Task,
        *,
        previous: Task | None,
        limits: Quotas | None = None,
        activity: ActivityEntry | None = None,
    ) -> Task:
        """Create (``previous`` None) or update if still at ``previous.version`` (else ``ConflictError``); with
        ``limits``, a write that would add a task or an open one beyond them raises ``QuotaExceededError``;
        ``activity``: a shared project's log row of the change, written in the same transaction."""
        ...

    def delete_task(self, task: Task, *, activity: ActivityEntry | None = None) -> None: ...

    def last_position(self, user_id: str, project_id: str) -> str | None: ...

    def tasks_in_project(self, user_id: str, project_id: str) -> list[Task]: ...

    def task_ids_with_label(self, user_id: str, label_id: str) -> list[str]: ...

    def list_tasks(self, query: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]: ...

    def count_tasks(self, query: TaskQuery, *, by: str | None = None) -> tuple[int, dict[str, int]]:
        """How many tasks the whole list holds, and per ``section`` / ``status`` when ``by`` names one."""
        ...

    def list_projects(self, user_id: str) -> list[Project]: ...

    def get_project(self, user_id: str, project_id: str) -> Project | None: ...

    def save_project(self, project: Project, *, activity: ActivityEntry | None = None) -> Project:
        """``activity``: a shared project's log row of the change, written in the same transaction."""
        ...

    def add_project_once(self, project: Project) -> Project: ...

    def delete_project(self, project: Project) -> None: ...

    def list_labels(self, user_id: str) -> list[Label]: ...

    def get_label(self, user_id: str, label_id: str) -> Label | None: ...

    def save_label(self, label: Label) -> Label: ...

    def delete_label(self, label: Label) -> None: ...


# --- shared projects (issue 13) -----------------------------------------------------------------------
class MembershipStore(Protocol):
    """Memberships (``P#<p>/M#<sub>``) and invitations of shared projects; every change of who is a member also
    changes the member's ``User.shared_projects`` in the same transaction (see adapters/task_store/sharing.py)."""

    def get_membership(self, project_id: str, user_id: str) -> Membership | None: ...

    def list_members(self, project_id: str) -> list[Membership]: ...

    def list_invitations(self, project_id: str, *, now: datetime) -> list[Invitation]: ...

    def get_invitation(self, project_id: str, email: str, *, now: datetime) -> Invitation | None: ...

    def invitations_for(self, email: str, *, now: datetime) -> list[Invitation]:
        """The pending invitations to a normalized address."""
        ...

    def invitation_for(self, email: str, invitation_id: str, *, now: datetime) -> Invitation | None: ...

    def projects_of(self, user_id: str, project_ids: Iterable[str]) -> list[tuple[Project, Membership]]:
        """The user's shared projects with their membership in each (one BatchGetItem)."""
        ...

    def find_task(self, user_id: str, project_ids: Iterable[str], task_id: str) -> tuple[Task, Membership] | None:
        """A task in one of these shared projects with the user's membership there (one BatchGetItem)."""
        ...

    def seats_taken(self, project_id: str, *, now: datetime) -> int: ...

    def add_owner(self, membership: Membership, *, activity: ActivityEntry | None = None) -> Membership: ...

    def invite(self, invitation: Invitation, *, activity: ActivityEntry | None = None) -> Invitation:
        """Store a pending invitation (``ConflictError``: the address has one); ``activity``: the log row, put in
        the same transaction (as in every write below)."""
        ...

    def withdraw(self, invitation: Invitation) -> None: ...

    def accept(
        self, invitation: Invitation, membership: Membership, *, activity: ActivityEntry | None = None
    ) -> Membership:
        """The invitation becomes the membership and the project joins the user's ``shared_projects`` (one
        transaction); ``QuotaExceededError`` at 50 shared projects, ``NotFoundError`` if the invitation is gone."""
        ...

    def change_role(
        self, membership: Membership, role: Role, *, activity: ActivityEntry | None = None
    ) -> Membership: ...

    def transfer(
        self, owner: Membership, successor: Membership, *, activity: ActivityEntry | None = None
    ) -> tuple[Membership, Membership]: ...

    def remove(self, membership: Membership, *, activity: ActivityEntry | None = None) -> None: ...

    def forget_project(self, project_id: str, *, now: datetime, keep: str | None = None) -> None:
        """Every membership (but ``keep``'s) and invitation of a deleted project goes, with ``shared_projects``."""
        ...


class CommentStore(Protocol):
    """Comments on tasks (``C#<task>#<ulid>`` in the task's partition); each write counts them on the task and
    puts the activity row, when given, in the same transaction (see adapters/task_store/comments.py)."""

    def get(self, partition: str, task_id: str, comment_ulid: str) -> Comment | None: ...

    def page(self, partition: str, task_id: str, *, limit: int, cursor: str | None) -> tuple[list[Comment], str | None]:
        """Oldest first."""
        ...

    def add(self, comment: Comment, *, activity: ActivityEntry | None) -> Comment: ...

    def edit(self, comment: Comment, *, activity: ActivityEntry | None) -> Comment | None:
        """None: the comment is no longer at ``comment.version``."""
        ...

    def delete(self, comment: Comment, *, activity: ActivityEntry | None) -> bool: ...

    def in_partition(self, partition: str, *, author_id: str | None = None) -> list[Comment]: ...

    def delete_all(self, partition: str, task_id: str) -> int: ...


class ActivityLog(Protocol):
    """A shared project's activity rows (written by the transactions of the writes they record)."""

    def list_activity(
        self, partition: str, *, now: datetime, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[ActivityEntry], str | None]: ...


class PartitionMover(Protocol):
    """Moves between a user's partition and a shared project's (adapters/task_store/rekey.py): resumable."""

    def move_task(
        self,
        task: Task,
        target: str,
        *,
        change: Callable[[Task], Task] | None = None,
        activity: Sequence[tuple[str, ActivityEntry]] = (),
    ) -> Task:
        """Move ``task`` and everything it has to the partition ``target`` (``change``: the task as it arrives);
        the task there, its version one higher. A crash midway is finished by calling it again."""
        ...

    def move_project(self, project: Project, target: str, *, before_tasks: Callable[[Project], None]) -> Project:
        """Move a project and all its tasks to ``target``; ``before_tasks`` runs once its item is there."""
        ...

    def begin_project_move(self, project: Project, target: str, *, before_tasks: Callable[[Project], None]) -> Project:
        """The short start of ``move_project`` (marker, project item, counters; ``before_tasks``): no task moves."""
        ...

    def finish_project_move(self, target: str) -> Project | None:
        """Move the tasks of the pending project move into ``target`` and end it; None: none was pending."""
        ...

    def project_size(self, partition: str, project_id: str, *, at_most: int) -> int:
        """The project's task count in ``partition``, counted up to ``at_most + 1``."""
        ...

    def pending_move(self, target: str) -> str | None:
        """The source of an unfinished project move into ``target`` (None: none)."""
        ...

    def moved(self, partition: str, task_id: str) -> Moved | None:
        """The task's last move out of ``partition`` (its tombstone: where to, the version deleted), or None."""
        ...


class ProjectMoveQueue(Protocol):
    """Asks the background worker to finish the project move pending in a partition (adapters/project_moves.py)."""

    def request(self, target: str) -> None:
        """Queue the move into ``target`` (its ``MOVE`` marker names the rest); at least once, so twice is fine."""
        ...


# --- attachments (issue 6) ---------------------------------------------------------------------------
class AttachmentStore(Protocol):
    """Attachment rows, usage and the task's attachment counter (see adapters/attachments.py)."""

    def add(self, attachment: Attachment) -> None: ...

    def get(self, user_id: str, attachment_id: str, *, now: datetime) -> Attachment | None: ...

    def get_in_task(self, user_id: str, task_id: str, attachment_id: str, *, now: datetime) -> Attachment | None: ...

    def list_for_task(self, user_id: str, task_id: str, *, now: datetime) -> list[Attachment]: ...

    def bytes_used(self, user_id: str) -> int: ...

    def claim(self, attachment: Attachment, *, source: str) -> bool:
        """Bind a pending attachment to one uploaded object version (``source``); False if it is bound to another
        or no longer pending. Only the bound version may make it ready, so concurrent re-posts cannot interleave."""
        ...

    def mark_ready(
        self,
        attachment: Attachment,
        *,
        source: str,
        size: int,
        sha256: str,
        content_type: str,
        thumbnail: bool,
        now: datetime,
        quota_bytes: int,
    ) -> str:
        """``ready`` | ``not_pending`` | ``task_gone`` | ``over_quota`` (nothing changed unless ``ready``)."""
        ...

    def mark_rejected(self, attachment: Attachment, *, reason: str, now: datetime, expires_at: datetime) -> bool: ...

    def delete(self, attachment: Attachment, *, task_exists: bool = True) -> None: ...

    def keyed_under(self, partition: str, owner: str) -> list[Attachment]:
        """The rows in ``partition`` whose objects are still under ``owner``'s keys (moved there, ``key_owner``)."""
        ...

    def moved_away(self, owner: str) -> list[Attachment]:
        """The rows in any partition whose objects are still under ``owner``'s keys (their moves left pointers)."""
        ...


class TaskDeletionListener(Protocol):
    """Told after a task is deleted (the attachments go with it)."""

    def task_deleted(self, user_id: str, task_id: str) -> None: ...


@dataclass(frozen=True)
class StoredObject:
    """One version of an object, opened for reading."""

    body: BinaryIO
    size: int
    etag: str
    version_id: str | None  # None in an unversioned bucket

    @property
    def source(self) -> str:
        """What names exactly these bytes: the version, else (unversioned) the ETag."""
        return self.version_id or self.etag


class ObjectStorage(Protocol):
    """The attachments bucket."""

    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, expires_s: int) -> dict[str, Any]: ...

    def presigned_get(
        self, *, key: str, filename: str, content_type: str, expires_s: int, inline: bool = False
    ) -> str: ...

    def open(self, key: str, *, version_id: str | None = None) -> StoredObject | None:
        """That version (else the current one), None when it does not exist."""
        ...

    def copy(self, *, source: StoredObject, source_key: str, key: str, content_type: str) -> bool:
        """Copy exactly ``source`` to ``key``; False when that version is gone or was replaced."""
        ...

    def discard(self, key: str, version_id: str | None) -> None:
        """Remove that version for good (no noncurrent copy is kept); the key itself when unversioned."""
        ...

    def put(self, *, key: str, data: bytes, content_type: str) -> None: ...

    def delete(self, *keys: str) -> None: ...

    def delete_prefix(self, prefix: str, *, keep: frozenset[str] = frozenset()) -> int:
        """Delete every object under ``prefix`` but the keys in ``keep``; returns how many went."""
        ...


class StatsStore(Protocol):
    """Productivity aggregates and per-task contributions (see adapters/stats_store.py)."""

    def get_contribution(self, user_id: str, task_id: str) -> StoredContribution | None: ...

    def apply(
        self,
        user_id: str,
        task_id: str,
        *,
        expected: StoredContribution | None,
        new: StoredContribution,
        delta: Counters,
    ) -> bool:
        """Store ``new`` + add ``delta`` if the contribution is still ``expected`` (else False, nothing written)."""
        ...

    def read(self, user_id: str, *, since: date) -> tuple[dict[date, dict[str, int]], dict[str, int]]: ...

    def names(self, user_id: str, *, projects: list[str], labels: list[str]) -> tuple[dict[str, str], dict[str, str]]:
        """The names of these projects and labels of the user (deleted ones are left out)."""
        ...

    def aggregates(self, user_id: str) -> Counters: ...

    def replace_all(
        self, user_id: str, aggregates: Counters, contributions: Mapping[str, StoredContribution]
    ) -> None: ...

    def mark_active(self, user_ids: Iterable[str], day: date) -> None: ...

    def active_users(self, day: date, *, cursor: str | None, limit: int) -> tuple[list[str], str | None]: ...

    def erase_user(self, user_id: str) -> int: ...


# --- reminders, notifications and live changes ------------------------------------------------------------------
class Schedules(Protocol):
    """EventBridge Scheduler schedules of the stage (see adapters/scheduler.py)."""

    def put_one_time(self, name: str, instant: datetime, payload: dict[str, Any]) -> None: ...

    def put_daily(self, name: str, at: time, timezone: str, payload: dict[str, Any]) -> None: ...

    def delete(self, name: str) -> None: ...

    def names(self, prefix: str) -> list[str]: ...


class ReminderBacklog(Protocol):
    """Tasks whose schedules a failed Scheduler call left behind (adapters/reminder_backlog.py)."""

    def mark(self, partition: str, task_id: str, *, now: datetime) -> None: ...

    def pending(self, *, limit: int) -> list[Pending]: ...

    def clear(self, entry: Pending) -> bool:
        """False: a later failure wrote the entry again (it stays for the next pass)."""
        ...


class ReminderLists(Protocol):
    """A task's own reminder list (see adapters/notifications.py)."""

    def get_reminders(self, user_id: str, task_id: str) -> list[Reminder] | None: ...

    def put_reminders(self, user_id: str, task_id: str, reminders: list[Reminder], *, now: datetime) -> None: ...

    def delete_reminders(self, user_id: str, task_id: str) -> None: ...

    def count_reminder_lists(self, user_id: str) -> int: ...


class ReminderExport(Protocol):
    """Every reminder list of a user at once (the export, issue 14): one Query, not one read per task."""

    def reminder_lists(self, user_id: str) -> dict[str, list[Reminder]]: ...


class Mailer(Protocol):
    """Sends an e-mail; answers (provider message id, attempts it took)."""

    def send(self, email: Email) -> tuple[str, int]: ...


class Texter(Protocol):
    """Sends a text message; answers (provider message id, attempts it took)."""

    def send(self, phone: str, text: str) -> tuple[str, int]: ...


class Inbox(Protocol):
    """The in-app notifications as the delivery sees them: claim once, then record."""

    def claim(self, note: Notification, *, now: datetime) -> bool: ...

    def record(self, note: Notification) -> Notification: ...

    def get(self, user_id: str, notification_id: str) -> Notification | None: ...


class InboxStore(Protocol):
    """The in-app notifications and the phone verification codes, as the user sees them."""

    def get(self, user_id: str, notification_id: str) -> Notification | None: ...

    def page(self, user_id: str, *, limit: int, cursor: str | None) -> tuple[list[Notification], str | None]: ...

    def unread_count(self, user_id: str) -> int: ...

    def mark_read(self, user_id: str, notification_id: str) -> Notification | None: ...

    def mark_all_read(self, user_id: str) -> int: ...

    def set_snoozed(self, user_id: str, notification_id: str, until: datetime) -> Notification | None: ...

    def put_phone_code(self, user_id: str, phone: str, code_hash: str, *, expires: datetime) -> None: ...

    def get_phone_code(self, user_id: str) -> tuple[str, str, datetime] | None: ...

    def delete_phone_code(self, user_id: str) -> None: ...


class UserNotifications(Protocol):
    """What erasing an account needs of the notifications table: its rows and the user's phone numbers."""

    def erase_user(self, user_id: str) -> tuple[int, list[str]]: ...


class ChangePublisher(Protocol):
    """The live changes channel (issue 10): one change to one user's open screens."""

    def publish(self, change: Change) -> object: ...


# --- rate limits ------------------------------------------------------------------------------------------------
class LimitStore(Protocol):
    """The rate-limit counters (read, conditional write of several, forget)."""

    def read_counters(self, keys: Sequence[LimitKey]) -> list[Counter]: ...

    def write_counters(self, writes: Sequence[tuple[LimitKey, Counter, tuple[datetime, ...], datetime]]) -> bool:
        """(key, counter as read, new stamps, expiry) each; all or nothing. False: one changed since it was read."""
        ...

    def forget_counter(self, key: LimitKey) -> None: ...


# --- calendar feed (issue 14) --------------------------------------------------------------------------------------
class CalendarFeeds(Protocol):
    """A user's one calendar feed token, by its SHA-256 (the token itself is never stored)."""

    def replace(self, user_id: str, token_hash: str, *, now: datetime) -> None:
        """Make ``token_hash`` the user's feed; the previous one (if any) stops working in the same write."""
        ...

    def revoke(self, user_id: str) -> bool:
        """Remove the user's feed; False when there was none."""
        ...

    def owner_of(self, token_hash: str) -> str | None:
        """The user whose *current* feed this is (None: unknown, revoked or replaced)."""
        ...


# --- personal API tokens (issue 16) -------------------------------------------------------------------------------
class ApiTokens(Protocol):
    """Personal API tokens, stored hashed (adapters/api_tokens.py)."""

    def add(self, token: ApiToken) -> None: ...

    def list_for(self, user_id: str) -> list[ApiToken]: ...

    def own(self, user_id: str, token_id: str) -> ApiToken | None:
        """The user's side of the token (name, scopes, last used), read consistently; None once revoked."""
        ...

    def by_id(self, token_id: str) -> ApiToken | None:
        """Owner, secret hash and scopes by the token's id (the authorizer's one read)."""
        ...

    def revoke(self, user_id: str, token_id: str) -> bool:
        """False when the user has no such token."""
        ...

    def touch(self, user_id: str, token_id: str, *, now: datetime, not_since: datetime) -> bool:
        """Record a use unless one was recorded after ``not_since``."""
        ...


# --- answers to reminders and the task address (issue 16) --------------------------------------------------------
class ReplyTargets(Protocol):
    """The last reminder sent to a phone number / address, by ``domain.inbound.reply_key``."""

    def remember_reply(self, key: str, target: ReplyTarget) -> None: ...

    def reply_target(self, key: str, *, now: datetime) -> ReplyTarget | None: ...


class TaskAddresses(Protocol):
    """Each user's secret task address (the secret is shown in Settings, so it is stored; found by its hash)."""

    def current(self, user_id: str) -> str | None:
        """The user's secret, None before the first one is made."""
        ...

    def replace(self, user_id: str, secret: str, *, now: datetime, previous: str | None) -> bool:
        """Make ``secret`` the user's, retiring ``previous``; False when another request changed it meanwhile."""
        ...

    def forget(self, user_id: str) -> bool:
        """Remove the user's address (its pointer with it); False when there was none."""
        ...

    def owner_of(self, secret: str) -> str | None: ...


class ErasureRecord(Protocol):
    """What an account's erasure remembers across its retries (``adapters/task_store/erasure.py``)."""

    def remember_projects(self, user_id: str, project_ids: Iterable[str]) -> frozenset[str]:
        """Add the shared projects the user is in; every project remembered so far (this attempt and earlier ones)."""
        ...


# --- webhooks (issue 16) -------------------------------------------------------------------------------------------
class WebhookStore(Protocol):
    """Webhooks (by owner) and their deliveries (by webhook, newest first)."""

    def add_webhook(self, webhook: Webhook, *, limit: int) -> bool:
        """Store it unless the owner has ``limit`` already (False then)."""
        ...

    def webhooks_of(self, user_id: str) -> list[Webhook]: ...

    def get_webhook(self, user_id: str, webhook_id: str) -> Webhook | None: ...

    def delete_webhook(self, user_id: str, webhook_id: str) -> bool: ...

    def save_delivery(self, delivery: Delivery) -> None: ...

    def get_delivery(self, webhook_id: str, delivery_id: str) -> Delivery | None: ...

    def deliveries_of(self, webhook_id: str, *, limit: int) -> list[Delivery]: ...


class SecretBox(Protocol):
    """Seals a webhook's secret for storage (the API may seal, only the delivery function may open)."""

    def seal(self, secret: str, *, webhook_id: str) -> bytes: ...

    def open(self, sealed: bytes, *, webhook_id: str) -> str: ...


class WebhookSender(Protocol):
    """One POST to a receiver (the address re-checked when it is resolved)."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt: ...


class DeliveryQueue(Protocol):
    """The queue of attempts to make: one message per attempt, delayed until it is due."""

    def schedule(self, message: dict[str, Any], *, delay_seconds: float) -> None: ...

    def dead_letter(self, message: dict[str, Any]) -> None: ...


class EventPublisher(Protocol):
    """The event bus the webhook events go to (EventBridge)."""

    def publish(self, events: Sequence[Event]) -> None: ...
