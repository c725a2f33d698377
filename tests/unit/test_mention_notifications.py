"""Who a mention notifies and how (services/comments.notify_mentioned) with in-memory ports: an inbox row per
member, the email scheduled after the member's quiet hours, skipped when their email is off or the author is over
the mention-email limit."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast

from backend.adapters.ports import CommentStore, MembershipStore, TaskStore, UserRepository
from backend.domain.comments import Comment
from backend.domain.notifications import Notification
from backend.domain.rate_limits import MENTION_EMAILS_PER_AUTHOR
from backend.domain.tasks import Task
from backend.domain.users import NotificationPreferences, User
from backend.services.comments import MentionPorts, Ports, notify_mentioned
from tests.unit.test_rate_limits import Store as LimitCounters

NOW = datetime(2026, 3, 11, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
TASK = Task(id="t1", user_id="P#p1", project_id="p1", title="Plan the offsite", created_at=NOW, updated_at=NOW)


def _user(user_id: str, **preferences: Any) -> User:
    return User(
        id=user_id,
        email=f"{user_id}@example.com",
        display_name=user_id.title(),
        timezone="Europe/Berlin",
        created_at=NOW,
        updated_at=NOW,
        preferences=NotificationPreferences(**preferences),
    )


class Users:
    def __init__(self, *users: User) -> None:
        self.users = {u.id: u for u in users}

    def get(self, user_id: str) -> User | None:
        return self.users.get(user_id)


class Inbox:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], Notification] = {}

    def claim(self, note: Notification, *, now: datetime) -> bool:
        if (note.user_id, note.id) in self.rows:
            return False
        self.rows[(note.user_id, note.id)] = note
        return True

    def record(self, note: Notification) -> Notification:
        self.rows[(note.user_id, note.id)] = note
        return note

    def get(self, user_id: str, notification_id: str) -> Notification | None:
        return self.rows.get((user_id, notification_id))


class Scheduler:
    def __init__(self) -> None:
        self.one_time: dict[str, tuple[datetime, dict[str, Any]]] = {}

    def put_one_time(self, name: str, instant: datetime, payload: dict[str, Any]) -> None:
        self.one_time[name] = (instant, payload)

    def put_daily(self, name: str, at: time, timezone: str, payload: dict[str, Any]) -> None:
        raise AssertionError("not used")

    def delete(self, name: str) -> None:
        self.one_time.pop(name, None)

    def names(self, prefix: str) -> list[str]:
        return [name for name in self.one_time if name.startswith(prefix)]


def _setup(*users: User) -> tuple[Ports, MentionPorts, Inbox, Scheduler]:
    inbox, scheduler = Inbox(), Scheduler()
    ports = Ports(
        tasks=cast(TaskStore, None),
        memberships=cast(MembershipStore, None),
        comments=cast(CommentStore, None),
        users=cast(UserRepository, Users(*users)),
    )
    return ports, MentionPorts(inbox=inbox, scheduler=scheduler, limits=LimitCounters()), inbox, scheduler


def _comment(n: int = 0, body: str = "@vera have a look") -> Comment:
    return Comment(
        id=f"01HZX3V6Q9M8K2R4T7W0Y5B1{n:02d}",
        task_id="t1",
        partition="P#p1",
        author_id="eddie",
        body=body,
        created_at=NOW,
    )


def test_each_member_gets_an_inbox_row_and_an_email_after_their_quiet_hours() -> None:
    eddie = _user("eddie")
    vera = _user("vera", quiet_start="22:00", quiet_end="07:00")
    bob = _user("bob")
    ports, out, inbox, scheduler = _setup(eddie, vera, bob)
    sent = notify_mentioned(
        _comment(), TASK, author=eddie, members=["vera", "bob"], ports=ports, mention_ports=out, now=NOW
    )
    assert sent == 2
    rows = {user_id: note for (user_id, _), note in inbox.rows.items()}
    assert set(rows) == {"vera", "bob"}
    note = rows["vera"]
    assert (note.kind, note.task_id, note.read) == ("mention", "t1", False)
    assert note.title == "Eddie mentioned you on “Plan the offsite”"
    assert note.body == "@vera have a look"
    assert (note.deliveries["in_app"].status, note.deliveries["email"].status) == ("sent", "pending")
    when = {payload["user_id"]: instant for instant, payload in scheduler.one_time.values()}
    assert when["vera"] == datetime(2026, 3, 12, 6, 0, tzinfo=UTC)  # 07:00 in Berlin: the end of her quiet hours
    assert when["bob"] == NOW + timedelta(minutes=1)
    # the same comment notified again (a retried request): nothing new
    again = notify_mentioned(_comment(), TASK, author=eddie, members=["vera"], ports=ports, mention_ports=out, now=NOW)
    assert again == 0


def test_no_email_when_the_member_turned_email_off() -> None:
    eddie, vera = _user("eddie"), _user("vera", email_notifications=False, in_app_notifications=False)
    ports, out, inbox, scheduler = _setup(eddie, vera)
    notify_mentioned(_comment(), TASK, author=eddie, members=["vera"], ports=ports, mention_ports=out, now=NOW)
    (note,) = inbox.rows.values()
    assert note.deliveries["email"].status == "skipped"
    assert note.deliveries["in_app"].status == "skipped"
    assert note.read  # in-app off: the row is kept for the record, not as news
    assert scheduler.one_time == {}


def test_an_author_over_the_limit_still_notifies_in_the_app_but_sends_no_more_email() -> None:
    eddie, vera = _user("eddie"), _user("vera")
    ports, out, inbox, scheduler = _setup(eddie, vera)
    hourly = MENTION_EMAILS_PER_AUTHOR[0].limit
    for n in range(hourly + 1):
        notify_mentioned(_comment(n), TASK, author=eddie, members=["vera"], ports=ports, mention_ports=out, now=NOW)
    emails = [note.deliveries["email"] for note in inbox.rows.values()]
    assert len(emails) == hourly + 1  # every mention reached the inbox
    assert [e.status for e in emails].count("pending") == hourly
    refused = [e for e in emails if e.status == "skipped"]
    assert len(refused) == 1
    assert "too many" in refused[0].detail
    assert len(scheduler.one_time) == hourly


def test_a_gone_member_is_skipped() -> None:
    eddie = _user("eddie")
    gone = replace(_user("gone"), deleted_at=NOW)
    ports, out, inbox, _ = _setup(eddie, gone)
    assert (
        notify_mentioned(
            _comment(), TASK, author=eddie, members=["gone", "nobody"], ports=ports, mention_ports=out, now=NOW
        )
        == 0
    )
    assert inbox.rows == {}
