"""Memberships and invitations of shared projects (issue 13), on the Tasks table, and the Users row's
``shared_projects`` kept in step with them.

  pk             | sk                      | item
  ``P#<project>``  ``M#<sub>``               a membership (role, joined_at, invited_by, position, display_name)
  ``P#<project>``  ``I#<normalized email>``  a pending invitation
  ``E#<email>``    ``INV#<invitation id>``   the invitee's copy of it: "my invitations" is one Query, accept one GetItem

Every change of who is a member writes the ``M#`` row and the Users row's ``shared_projects`` (ADD / DELETE of the
project id) in one ``TransactWriteItems`` across the two tables, so the set always names exactly the projects
holding the user's ``M#`` row; the Users row's version is not touched (a profile save never writes the set).

The cap of ``MAX_MEMBERS`` members + pending invitations a project is the ``P#<p>/SEATS`` counter's condition in
the transaction that stores an invitation (``ADD taken 1`` if ``taken < MAX_MEMBERS``), and every transaction that
deletes an invitation or a membership frees its seat (``ADD taken -1``): two invitations at the last seat cannot both
pass, whatever they read. A project from before the counter is counted (members + live invitations) by the first
write that needs it; an invitation that expired (TTL) keeps its seat until a refused invitation recounts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition, size
from pynamodb.transactions import TransactWrite

from backend.adapters.dynamodb import UserSharedProjectsModel
from backend.adapters.task_store.activity import activity_item
from backend.adapters.task_store.counters import retry_conflicts
from backend.adapters.task_store.mapping import project_of, task_of
from backend.adapters.task_store.models import (
    INVITATION,
    INVITEE,
    INVITEE_REF,
    MEMBER,
    PROJECT,
    SEATS,
    TASK,
    InvitationModel,
    MembershipModel,
    ProjectModel,
    SeatsModel,
    TaskModel,
    connection,
)
from backend.adapters.write_errors import is_conditional_failure
from backend.domain import quotas
from backend.domain.activity import ActivityEntry
from backend.domain.sharing import (
    MAX_MEMBERS,
    MAX_SHARED_PROJECTS,
    Invitation,
    Membership,
    Role,
    project_of_partition,
    project_partition,
)
from backend.domain.tasks import Project, Task
from backend.errors import ConflictError, NotFoundError, QuotaExceededError

INVITATION_LIFETIME = timedelta(days=30)
_BATCH_GET_LIMIT = 100


def membership_of(item: MembershipModel) -> Membership:
    return Membership(
        project_id=item.project_id,
        user_id=item.member_id,
        role=Role(item.role),
        joined_at=item.joined_at,
        invited_by=item.invited_by,
        position=item.position or "a1",
        display_name=item.display_name or "",
        email=item.email or "",
        version=int(item.version or 0),
    )


def membership_item(membership: Membership) -> MembershipModel:
    item = MembershipModel(
        user_id=project_partition(membership.project_id),
        sk=MEMBER + membership.user_id,
        member_id=membership.user_id,
        project_id=membership.project_id,
        role=membership.role.value,
        joined_at=membership.joined_at,
        invited_by=membership.invited_by,
        position=membership.position,
        display_name=membership.display_name,
        email=membership.email,
    )
    if membership.version:
        item.version = membership.version
    return item


def _invitation_of(item: InvitationModel) -> Invitation:
    return Invitation(
        id=item.invitation_id,
        project_id=item.project_id,
        email=item.email,
        role=Role(item.role),
        invited_by=item.invited_by,
        created_at=item.created_at,
        project_name=item.project_name or "",
        inviter_name=item.inviter_name or "",
    )


def _invitation_items(invitation: Invitation) -> tuple[InvitationModel, InvitationModel]:
    """The project's row and the invitee's copy."""
    values: dict[str, Any] = {
        "invitation_id": invitation.id,
        "project_id": invitation.project_id,
        "email": invitation.email,
        "role": invitation.role.value,
        "invited_by": invitation.invited_by,
        "created_at": invitation.created_at,
        "project_name": invitation.project_name,
        "inviter_name": invitation.inviter_name,
        "expires_at": invitation.created_at + INVITATION_LIFETIME,
    }
    return (
        InvitationModel(user_id=project_partition(invitation.project_id), sk=INVITATION + invitation.email, **values),
        InvitationModel(user_id=INVITEE + invitation.email, sk=INVITEE_REF + invitation.id, **values),
    )


def _expired(item: InvitationModel, now: datetime) -> bool:
    return item.expires_at is not None and item.expires_at <= now  # TTL deletes up to days later


def _user_row(user_id: str) -> UserSharedProjectsModel:
    return UserSharedProjectsModel(user_id=user_id)


def _joins(transaction: TransactWrite, user_id: str, project_id: str) -> None:
    """Add the project to the user's ``shared_projects``, refused at the cap (or when the user has no row)."""
    cap: Condition = UserSharedProjectsModel.user_id.exists() & (
        UserSharedProjectsModel.shared_projects.does_not_exist()
        | (size(UserSharedProjectsModel.shared_projects) < MAX_SHARED_PROJECTS)
    )
    transaction.update(
        _user_row(user_id), actions=[UserSharedProjectsModel.shared_projects.add({project_id})], condition=cap
    )


def _leaves(transaction: TransactWrite, user_id: str, project_id: str) -> None:
    # Unconditional: a deleted account's row may be gone already, and DELETE of an absent element is a no-op.
    transaction.update(_user_row(user_id), actions=[UserSharedProjectsModel.shared_projects.delete({project_id})])


def _log(transaction: TransactWrite, project_id: str, activity: ActivityEntry | None) -> None:
    if activity is not None:
        transaction.save(activity_item(project_partition(project_id), activity))


def _seats(project_id: str) -> SeatsModel:
    return SeatsModel(user_id=project_partition(project_id), sk=SEATS)


def _takes_seat(transaction: TransactWrite, project_id: str) -> None:
    """One seat more, refused at the cap (or when the project is not counted yet: ``_count_seats`` first)."""
    transaction.update(_seats(project_id), actions=[SeatsModel.taken.add(1)], condition=SeatsModel.taken < MAX_MEMBERS)


def _frees_seat(transaction: TransactWrite, project_id: str) -> None:
    """One seat less (refused when the project is not counted yet: ``_count_seats`` first)."""
    transaction.update(_seats(project_id), actions=[SeatsModel.taken.add(-1)], condition=SeatsModel.taken.exists())


def _expired_now(invitation: Invitation) -> bool:
    return invitation.created_at + INVITATION_LIFETIME <= datetime.now(UTC)


def _reasons(exc: TransactWriteError) -> list[str | None]:
    return [getattr(r, "code", None) for r in getattr(exc, "cancellation_reasons", None) or []]


def _shared_projects_cap() -> QuotaExceededError:
    return quotas.exceeded(
        "shared projects", MAX_SHARED_PROJECTS, field="shared_projects", hint="Leave one to join another."
    )


class DynamoMembershipStore:
    """The ``MembershipStore`` port: memberships, invitations and ``shared_projects``, transactionally."""

    # --- reads ---
    def get_membership(self, project_id: str, user_id: str) -> Membership | None:
        try:
            item = MembershipModel.get(project_partition(project_id), MEMBER + user_id, consistent_read=True)
        except DoesNotExist:
            return None
        return membership_of(item)

    def list_members(self, project_id: str) -> list[Membership]:
        items = MembershipModel.query(
            project_partition(project_id), MembershipModel.sk.startswith(MEMBER), consistent_read=True
        )
        return sorted((membership_of(item) for item in items), key=lambda m: (m.joined_at, m.user_id))

    def list_invitations(self, project_id: str, *, now: datetime) -> list[Invitation]:
        items = InvitationModel.query(
            project_partition(project_id), InvitationModel.sk.startswith(INVITATION), consistent_read=True
        )
        return sorted((_invitation_of(i) for i in items if not _expired(i, now)), key=lambda i: i.created_at)

    def get_invitation(self, project_id: str, email: str, *, now: datetime) -> Invitation | None:
        try:
            item = InvitationModel.get(project_partition(project_id), INVITATION + email, consistent_read=True)
        except DoesNotExist:
            return None
        return None if _expired(item, now) else _invitation_of(item)

    def invitations_for(self, email: str, *, now: datetime) -> list[Invitation]:
        items = InvitationModel.query(INVITEE + email, InvitationModel.sk.startswith(INVITEE_REF), consistent_read=True)
        return [_invitation_of(item) for item in items if not _expired(item, now)]

    def invitation_for(self, email: str, invitation_id: str, *, now: datetime) -> Invitation | None:
        """The invitee's invitation by id (their own address's copy: nobody else's can be named)."""
        try:
            item = InvitationModel.get(INVITEE + email, INVITEE_REF + invitation_id, consistent_read=True)
        except DoesNotExist:
            return None
        return None if _expired(item, now) else _invitation_of(item)

    def projects_of(self, user_id: str, project_ids: Iterable[str]) -> list[tuple[Project, Membership]]:
        """Each shared project of the user with their membership: one BatchGetItem of the ``PROJECT#`` and ``M#``
        rows (two keys a project, ≤ 50 projects: one request). A project without both rows is left out."""
        ids = sorted(set(project_ids))
        keys = [(project_partition(p), sk) for p in ids for sk in (PROJECT + p, MEMBER + user_id)]
        projects: dict[str, Project] = {}
        memberships: dict[str, Membership] = {}
        for item in _batch_get(keys):
            if item["sk"]["S"].startswith(PROJECT):
                project = project_of(ProjectModel.from_raw_data(item))
                projects[project.id] = project
            else:
                membership = membership_of(MembershipModel.from_raw_data(item))
                memberships[membership.project_id] = membership
        return [(projects[p], memberships[p]) for p in ids if p in projects and p in memberships]

    def find_task(self, user_id: str, project_ids: Iterable[str], task_id: str) -> tuple[Task, Membership] | None:
        """A task in one of the user's shared projects, with the user's membership there: one BatchGetItem of
        ``P#<p>/TASK#<id>`` and ``P#<p>/M#<sub>`` over the projects."""
        ids = sorted(set(project_ids))
        keys = [(project_partition(p), sk) for p in ids for sk in (TASK + task_id, MEMBER + user_id)]
        task: Task | None = None
        memberships: dict[str, Membership] = {}
        for item in _batch_get(keys):
            if item["sk"]["S"].startswith(TASK):
                task = task_of(TaskModel.from_raw_data(item))
            else:
                membership = membership_of(MembershipModel.from_raw_data(item))
                memberships[membership.project_id] = membership
        if task is None:
            return None
        mine = memberships.get(project_of_partition(task.user_id) or "")
        return (task, mine) if mine is not None else None

    def seats_taken(self, project_id: str, *, now: datetime) -> int:
        """Members and pending invitations of a project (what ``MAX_MEMBERS`` caps)."""
        return len(self.list_members(project_id)) + len(self.list_invitations(project_id, now=now))

    # --- writes ---
    def add_owner(self, membership: Membership, *, activity: ActivityEntry | None = None) -> Membership:
        """The owner's ``M#`` row and their ``shared_projects`` (and the log's first row), when a project becomes
        shared. Idempotent: a row already there (a resumed share) is kept as it is."""
        existing = self.get_membership(membership.project_id, membership.user_id)
        if existing is not None:
            return existing
        item = membership_item(membership)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(item)  # conditional on absence (version)
                _log(transaction, membership.project_id, activity)
                _joins(transaction, membership.user_id, membership.project_id)
        except TransactWriteError as exc:
            codes = _reasons(exc)
            if len(codes) > 1 and codes[-1] == "ConditionalCheckFailed":  # the Users update goes last
                raise _shared_projects_cap() from exc
            if is_conditional_failure(exc):
                found = self.get_membership(membership.project_id, membership.user_id)
                if found is not None:
                    return found
            raise
        return membership_of(item)

    def invite(self, invitation: Invitation, *, activity: ActivityEntry | None = None) -> Invitation:
        """Store a pending invitation (the project's row and the invitee's copy) taking one of the project's seats.
        One pending invitation per address and project: a second one is a ``ConflictError``; no seat left (members
        and invitations at ``MAX_MEMBERS``): ``QuotaExceededError``."""
        row, copy = _invitation_items(invitation)
        for attempt in range(3):  # the counter absent (an older project), then too high (expired invitations)
            try:
                retry_conflicts(lambda: self._store_invitation(row, copy, invitation.project_id, activity))
                return invitation
            except TransactWriteError as exc:
                codes = _reasons(exc)
                if codes and codes[0] == "ConditionalCheckFailed":
                    raise ConflictError(
                        "This address is invited already.", fields={"email": "has a pending invitation"}
                    ) from exc
                if not (codes and codes[-1] == "ConditionalCheckFailed"):
                    raise
                if attempt == 2 or not self._count_seats(invitation.project_id, now=invitation.created_at):
                    raise quotas.exceeded(
                        "members and invitations", MAX_MEMBERS, field="email", hint="Remove some to invite more."
                    ) from exc
        raise AssertionError("unreachable")

    @staticmethod
    def _store_invitation(
        row: InvitationModel, copy: InvitationModel, project_id: str, activity: ActivityEntry | None
    ) -> None:
        # PynamoDB sends the puts, then the update: the seats' reason comes last.
        with TransactWrite(connection=connection()) as transaction:
            transaction.save(row, condition=InvitationModel.sk.does_not_exist())
            transaction.save(copy)
            _log(transaction, project_id, activity)
            _takes_seat(transaction, project_id)

    def _count_seats(self, project_id: str, *, now: datetime) -> bool:
        """Count the project's seats (members + live invitations) into its counter where it is absent, or lower it
        where it counts too many (expired invitations); whether it changed. The counter is read before the rows and
        changed only if it is still at the value read, so a write meanwhile is never counted away."""
        try:
            seen: int | None = int(
                SeatsModel.get(project_partition(project_id), SEATS, consistent_read=True).taken or 0
            )
        except DoesNotExist:
            seen = None
        count = self.seats_taken(project_id, now=now)
        try:
            if seen is None:
                _seats(project_id).update(
                    actions=[SeatsModel.taken.set(count)], condition=SeatsModel.user_id.does_not_exist()
                )
            elif count < seen:
                _seats(project_id).update(actions=[SeatsModel.taken.set(count)], condition=SeatsModel.taken == seen)
            else:
                return False
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return True  # changed by another writer meanwhile: worth another try
            raise
        return True

    def withdraw(self, invitation: Invitation) -> None:
        """Delete a pending invitation (declined, cancelled, or expired): both rows, and its seat (an expired one's
        was freed by expiring)."""
        row, copy = _invitation_items(invitation)
        expired = _expired_now(invitation)
        for attempt in range(2):
            try:
                with TransactWrite(connection=connection()) as transaction:
                    transaction.delete(row, condition=InvitationModel.invitation_id == invitation.id)
                    transaction.delete(copy)
                    if not expired:
                        _frees_seat(transaction, invitation.project_id)
                return
            except TransactWriteError as exc:
                codes = _reasons(exc)
                if attempt or expired or not (len(codes) > 2 and codes[2] == "ConditionalCheckFailed"):
                    raise
                self._count_seats(invitation.project_id, now=datetime.now(UTC))  # an older project: counted now

    def accept(
        self, invitation: Invitation, membership: Membership, *, activity: ActivityEntry | None = None
    ) -> Membership:
        """Turn the invitation into the membership: the ``M#`` row, the invitee's ``shared_projects`` and the two
        invitation rows, in one transaction across the Tasks and Users tables. The cap (50 shared projects) is the
        Users row's condition: ``QuotaExceededError``. An invitation gone meanwhile: ``NotFoundError``."""
        row, copy = _invitation_items(invitation)
        item = membership_item(membership)

        def write() -> None:
            # PynamoDB sends deletes, then puts, then updates: the reasons come back in that order.
            with TransactWrite(connection=connection()) as transaction:
                transaction.delete(row, condition=InvitationModel.invitation_id == invitation.id)
                transaction.delete(copy)
                transaction.save(item)  # conditional on absence (version)
                _joins(transaction, membership.user_id, membership.project_id)
                _log(transaction, membership.project_id, activity)  # a put: the Users update stays the last

        try:
            retry_conflicts(write)  # two accepts of one user meet on their Users row
        except TransactWriteError as exc:
            codes = _reasons(exc)
            codes = [codes[i] for i in (0, 1, 2, len(codes) - 1)] if len(codes) > 4 else codes
            if codes and codes[0] == "ConditionalCheckFailed":
                raise NotFoundError("There is no such invitation.") from exc
            if len(codes) > 3 and codes[3] == "ConditionalCheckFailed":
                raise _shared_projects_cap() from exc
            if len(codes) > 2 and codes[2] == "ConditionalCheckFailed":  # a member already: the invitation goes
                self.withdraw(invitation)
                found = self.get_membership(membership.project_id, membership.user_id)
                if found is not None:
                    return found
            raise
        return membership_of(item)

    def change_role(self, membership: Membership, role: Role, *, activity: ActivityEntry | None = None) -> Membership:
        """Give a member another role if their row is still at ``membership.version`` (else ``ConflictError``)."""
        item = membership_item(membership)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(item, actions=[MembershipModel.role.set(role.value)])
                _log(transaction, membership.project_id, activity)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The member was changed meanwhile; reload and try again.") from exc
            raise
        return replace(membership, role=role, version=membership.version + 1)

    def transfer(
        self, owner: Membership, successor: Membership, *, activity: ActivityEntry | None = None
    ) -> tuple[Membership, Membership]:
        """The owner becomes an admin and ``successor`` the owner, both at the versions read, in one transaction."""
        old, new = membership_item(owner), membership_item(successor)
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.update(old, actions=[MembershipModel.role.set(Role.ADMIN.value)])
                transaction.update(new, actions=[MembershipModel.role.set(Role.OWNER.value)])
                _log(transaction, owner.project_id, activity)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                raise ConflictError("The members were changed meanwhile; reload and try again.") from exc
            raise
        return (
            self.get_membership(owner.project_id, owner.user_id) or owner,
            self.get_membership(successor.project_id, successor.user_id) or successor,
        )

    def remove(self, membership: Membership, *, activity: ActivityEntry | None = None) -> None:
        """Delete a membership and take the project out of the member's ``shared_projects``, in one transaction
        (with the log row). Refused if the row changed meanwhile."""
        for attempt in range(2):
            try:
                # Deletes, puts, then updates in the order given: the seats' reason comes last.
                with TransactWrite(connection=connection()) as transaction:
                    transaction.delete(membership_item(membership))  # conditional on the version read
                    _log(transaction, membership.project_id, activity)
                    _leaves(transaction, membership.user_id, membership.project_id)
                    _frees_seat(transaction, membership.project_id)
                return
            except TransactWriteError as exc:
                codes = _reasons(exc)
                if (
                    not attempt
                    and codes
                    and codes[0] != "ConditionalCheckFailed"
                    and codes[-1] == "ConditionalCheckFailed"
                ):
                    self._count_seats(membership.project_id, now=datetime.now(UTC))  # an older project: counted now
                    continue
                if is_conditional_failure(exc):
                    raise ConflictError("The member was changed meanwhile; reload and try again.") from exc
                raise

    def forget_project(self, project_id: str, *, now: datetime, keep: str | None = None) -> None:
        """A deleted shared project: every invitation and membership (with each member's ``shared_projects``) goes,
        but ``keep``'s (the owner's, deleted last so a delete that stops midway can be retried). Each member in a
        transaction of their own: a crash leaves the rest for a retry, never a half member."""
        for invitation in self.list_invitations(project_id, now=datetime.min.replace(tzinfo=now.tzinfo)):
            self.withdraw(invitation)
        for membership in self.list_members(project_id):
            if membership.user_id == keep:
                continue
            with TransactWrite(connection=connection()) as transaction:
                transaction.delete(membership_item(membership), add_version_condition=False)
                _leaves(transaction, membership.user_id, membership.project_id)


def _batch_get(keys: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Raw items of the Tasks table by (pk, sk), unprocessed keys retried; strongly consistent."""
    if not keys:
        return []
    client: Any = connection().client  # botocore's client: a BatchGetItem across item kinds, one request
    table = TaskModel.Meta.table_name
    found: list[dict[str, Any]] = []
    for start in range(0, len(keys), _BATCH_GET_LIMIT):
        request: dict[str, Any] = {
            table: {
                "Keys": [{"user_id": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys[start : start + _BATCH_GET_LIMIT]],
                "ConsistentRead": True,
            }
        }
        while request:
            answer = client.batch_get_item(RequestItems=request)
            found.extend(answer.get("Responses", {}).get(table, []))
            request = answer.get("UnprocessedKeys") or {}
    return found
