"""Webhooks' pure rules (issue 16): which URLs and addresses may be called (SSRF), the signature, the retry schedule;
and the sender refusing a name that resolves inside (DNS rebinding) before it connects."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from backend.adapters.stream_records import webhook_event
from backend.adapters.task_store.comments import CommentModel, comment_prefix
from backend.adapters.task_store.mapping import task_item
from backend.adapters.webhook_transport import HttpWebhookSender
from backend.config import Settings
from backend.domain.comments import Comment
from backend.domain.tasks import Status
from backend.domain.webhooks import (
    RETRY_SCHEDULE,
    Event,
    UnsafeUrlError,
    check_url,
    event_id,
    public_address,
    retry_delay,
    sign,
    verify,
)
from tests.unit.test_live_changes import AT, T0, a_task


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://172.16.5.4/",
        "https://192.168.1.1/",
        "https://127.0.0.1/",
        "https://[::1]/",
        "https://169.254.169.254/latest/meta-data/",  # the EC2/ECS metadata service
        "https://[fd00:ec2::254]/",  # its IPv6 address
        "https://[::ffff:169.254.169.254]/",  # the same, IPv4-mapped
        "https://100.64.0.1/",  # shared address space (carrier NAT)
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://localhost/",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://printer.local/",
        "https://intranet/",
        "http://example.com/",  # plain http
        "ftp://example.com/",
        "https://user:secret@example.com/",
        "https:///nohost",
        "https://example.com:0/",
        "not a url",
    ],
)
def test_urls_that_point_inside_or_are_not_https_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrlError):
        check_url(url)


def test_public_https_urls_are_kept() -> None:
    assert check_url("https://hooks.example.com/task-manager?x=1") == "https://hooks.example.com/task-manager?x=1"
    assert check_url("https://93.184.216.34:8443/in") == "https://93.184.216.34:8443/in"


def test_loopback_over_http_only_when_allowed() -> None:
    with pytest.raises(UnsafeUrlError):
        check_url("http://127.0.0.1:8080/hook")
    assert check_url("http://127.0.0.1:8080/hook", allow_loopback=True) == "http://127.0.0.1:8080/hook"
    with pytest.raises(UnsafeUrlError):  # the local switch opens loopback, not the private ranges
        check_url("http://10.0.0.1/hook", allow_loopback=True)


def test_public_address() -> None:
    assert public_address("93.184.216.34")
    assert public_address("2606:2800:220:1:248:1893:25c8:1946")
    for inside in ("10.1.1.1", "169.254.169.254", "fd00:ec2::254", "::ffff:10.0.0.1", "127.0.0.1", "fe80::1", "x"):
        assert not public_address(inside), inside
    assert public_address("127.0.0.1", allow_loopback=True)


def test_the_sender_refuses_a_name_that_resolves_inside_without_connecting() -> None:
    """DNS rebinding: the name was public when the webhook was made; at delivery it resolves to the metadata
    service (or one of its addresses does). Nothing is sent."""
    connected: list[str] = []

    def rebound(host: str, port: int) -> list[str]:
        connected.append(host)
        return ["93.184.216.34", "169.254.169.254"]

    sender = HttpWebhookSender(allow_loopback=False, timeout=1, resolver=rebound)
    result = sender.post("https://hooks.example.com/in", b"{}", {})
    assert result.status_code is None
    assert "private or reserved" in result.error
    assert connected == ["hooks.example.com"]

    def unknown(host: str, port: int) -> list[str]:
        raise socket.gaierror("no such name")

    assert (
        HttpWebhookSender(allow_loopback=False, timeout=1, resolver=unknown).post("https://x.example/", b"", {}).error
    )


def test_the_signature_is_the_hmac_of_the_raw_body() -> None:
    body = b'{"id":"evt_1","type":"task.created"}'
    signature = sign("whsec_abc", body)
    assert signature == "sha256=" + "{:064x}".format(int(signature.removeprefix("sha256="), 16))
    assert verify("whsec_abc", body, signature)
    assert not verify("whsec_abc", body + b" ", signature)
    assert not verify("whsec_abd", body, signature)


def test_the_retry_schedule_starts_within_a_minute_and_lasts_past_a_day() -> None:
    assert retry_delay(1) is not None
    assert retry_delay(1) <= 60  # type: ignore[operator]
    assert sum(RETRY_SCHEDULE) >= 24 * 3600
    assert list(RETRY_SCHEDULE) == sorted(RETRY_SCHEDULE)
    assert retry_delay(len(RETRY_SCHEDULE) + 1) is None  # then dead-lettered
    assert retry_delay(0) is None


def test_an_event_id_and_body_are_stable() -> None:
    assert event_id("stream-record-1") == event_id("stream-record-1") != event_id("stream-record-2")
    event = Event(event_id("r"), "task.created", datetime(2026, 1, 1, tzinfo=UTC), "sub", {"task": {"id": "t"}})
    assert event.body() == event.body()
    assert b'"partition"' not in event.body()  # whose partition it was is ours, not the receiver's


def test_loopback_is_refused_as_a_setting_outside_the_local_stage() -> None:
    with pytest.raises(ValueError, match="local stage only"):
        Settings(
            stage="prod",
            user_pool_id="p",
            user_pool_client_id="c",
            app_url="https://app.example.com",
            webhook_allow_loopback=True,
        )


# --- which stream records are events (backend/adapters/stream_records.py webhook_event) -------------------------
def _record(
    event: str, keys: dict[str, Any], new: dict[str, Any] | None = None, old: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"Keys": keys, "ApproximateCreationDateTime": AT, "SequenceNumber": "1"}
    if new is not None:
        body["NewImage"] = new
    if old is not None:
        body["OldImage"] = old
    return {"eventName": event, "eventID": "rec-1", "dynamodb": body}


def _keys(sk: str) -> dict[str, Any]:
    return {"user_id": {"S": "u1"}, "sk": {"S": sk}}


def test_task_writes_are_created_updated_completed_deleted() -> None:
    task = a_task()
    done = replace(task, status=Status.DONE, completed_at=T0, version=4)
    image, done_image = task_item(task).serialize(), task_item(done).serialize()
    created = webhook_event(_record("INSERT", _keys("TASK#01JTASK"), image), "tasks")
    assert created is not None
    assert (created.type, created.partition, created.task, created.record_id) == ("task.created", "u1", task, "rec-1")
    edited = webhook_event(_record("MODIFY", _keys("TASK#01JTASK"), image, image), "tasks")
    assert edited is not None
    assert edited.type == "task.updated"
    completed = webhook_event(_record("MODIFY", _keys("TASK#01JTASK"), done_image, image), "tasks")
    assert completed is not None
    assert completed.type == "task.completed"
    deleted = webhook_event(_record("REMOVE", _keys("TASK#01JTASK"), None, done_image), "tasks")
    assert deleted is not None
    assert (deleted.type, deleted.task, deleted.version) == ("task.deleted", done, 4)
    for other in ("LT#l1#01JTASK", "STAT#TASK#01JTASK", "W#rent#01JTASK", "MOVED#01JTASK"):
        assert webhook_event(_record("INSERT", _keys(other), {}), "tasks") is None


def _comment_record(comment: Comment) -> dict[str, Any]:
    sk = comment_prefix(comment.task_id) + comment.id
    item = CommentModel(
        user_id=comment.partition,
        sk=sk,
        task_id=comment.task_id,
        author_id=comment.author_id,
        body=comment.body,
        created_at=comment.created_at,
        version=comment.version,
    )
    return _record("INSERT", _keys(sk), item.serialize())


def test_a_new_comment_is_an_event_and_a_moves_copy_is_not() -> None:
    fresh = datetime.fromtimestamp(AT, UTC)
    comment = Comment(
        id="01JCOMMENT0000000000000000",
        task_id="01JTASK",
        partition="u1",
        author_id="u1",
        body="on it",
        created_at=fresh,
        version=1,
    )
    found = webhook_event(_comment_record(comment), "tasks")
    assert found is not None
    assert (found.type, found.comment) == ("comment.created", comment)
    copied = replace(comment, created_at=fresh - timedelta(days=3))  # a task's move copies its comments
    assert webhook_event(_comment_record(copied), "tasks") is None


def test_a_reminder_inbox_row_inserted_is_reminder_fired_and_nothing_else_of_the_table() -> None:
    keys = {"pk": {"S": "USER#u1"}, "sk": {"S": "N#20261102T080000Z-abc"}}
    row = {"kind": {"S": "reminder"}, "task_id": {"S": "01JTASK"}, "title": {"S": "Pay rent"}}
    fired = webhook_event(_record("INSERT", keys, row), "notifications")
    assert fired is not None
    assert (fired.type, fired.partition) == ("reminder.fired", "u1")
    assert fired.reminder is not None
    assert fired.reminder["task_id"] == "01JTASK"
    assert webhook_event(_record("MODIFY", keys, row, row), "notifications") is None  # its outcome recorded
    assert webhook_event(_record("INSERT", keys, {**row, "kind": {"S": "digest"}}), "notifications") is None
    delivery = {"pk": {"S": "WH#01JHOOK"}, "sk": {"S": "D#01JDELIVERY"}}
    assert webhook_event(_record("INSERT", delivery, {}), "notifications") is None
