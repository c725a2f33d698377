"""``Idempotency-Key`` on POST /api/tasks (DESIGN.md): a repeat within 24 h gets the first answer, creates nothing.

Powertools' idempotency utility on the real records table of the module's emulator; where a test needs a record in
a state a client cannot produce (expired, still in progress) it changes the record with real DynamoDB calls.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backend.adapters.idempotency import EXPIRES_AFTER_SECONDS, EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE
from backend.client import ApiClient
from backend.local.environment import LOCAL_STAGE
from backend.names import ResourceNames
from backend.schemas import TaskCreate
from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser

HEADER = "Idempotency-Key"
TABLE = ResourceNames(LOCAL_STAGE).idempotency_table
CONCURRENT = 12


def new_key() -> str:
    return str(uuid.uuid4())


def task_ids(http: httpx.Client, user: SignedInUser) -> list[str]:
    response = http.get("/tasks", params={"limit": 200}, headers=user.headers)
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()["items"]]


def records(dynamodb: Any) -> dict[str, dict[str, Any]]:
    items: dict[str, dict[str, Any]] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=TABLE, ConsistentRead=True):
        for item in page["Items"]:
            items[item[KEY_ATTRIBUTE]["S"]] = item
    return items


def post(http: httpx.Client, user: SignedInUser, body: dict[str, Any], key: str | bytes | None) -> httpx.Response:
    headers = [(name.encode(), value.encode()) for name, value in user.headers.items()]
    if key is not None:  # bytes: sent as they are (a header is latin-1 on the wire)
        headers.append((HEADER.encode(), key if isinstance(key, bytes) else key.encode()))
    return http.post("/tasks", json=body, headers=headers)


def test_the_same_key_twice_creates_one_task_and_answers_the_same(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    key = new_key()
    first = post(http, user, {"title": "pay rent", "priority": 1}, key)
    second = post(http, user, {"title": "pay rent", "priority": 1}, key)

    assert first.status_code == 201, first.text
    assert second.status_code == 201, second.text
    assert second.content == first.content  # byte for byte: the stored answer
    assert "idempotent-replayed" not in first.headers
    assert second.headers["idempotent-replayed"] == "true"
    assert task_ids(http, user) == [first.json()["id"]]


def test_without_the_header_every_post_creates_a_task_and_stores_no_record(
    http: httpx.Client, make_user: Callable[[], SignedInUser], dynamodb: Any
) -> None:
    user = make_user()
    before = records(dynamodb)
    a = post(http, user, {"title": "same"}, None)
    b = post(http, user, {"title": "same"}, None)
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert sorted(task_ids(http, user)) == sorted([a.json()["id"], b.json()["id"]])
    assert records(dynamodb) == before


def test_concurrent_repeats_with_one_key_create_exactly_one_task(
    api_url: str, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    key = new_key()
    barrier = threading.Barrier(CONCURRENT)
    answers: list[httpx.Response] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            with httpx.Client(base_url=api_url, headers=user.headers, timeout=60) as client:
                barrier.wait(timeout=30)
                response = client.post("/tasks", json={"title": "double-clicked"}, headers={HEADER: key})
            with lock:
                answers.append(response)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(answers) == CONCURRENT
    statuses = Counter(r.status_code for r in answers)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in answers if r.status_code == 201]
    assert created
    assert len({r.content for r in created}) == 1  # every 201 is the one first answer
    assert sum("idempotent-replayed" not in r.headers for r in created) <= 1  # at most one did the work
    for response in answers:
        if response.status_code == 409:
            error = assert_error_shape(response, 409, "request_in_progress")
            assert HEADER in error["fields"]
    with httpx.Client(base_url=api_url, timeout=60) as client:
        assert task_ids(client, user) == [created[0].json()["id"]]


def test_two_users_with_the_same_key_get_a_task_each(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    alice, bob = make_user(), make_user()
    key = new_key()
    a = post(http, alice, {"title": "same words"}, key)
    b = post(http, bob, {"title": "same words"}, key)
    assert (a.status_code, b.status_code) == (201, 201)
    assert "idempotent-replayed" not in b.headers
    assert a.json()["id"] != b.json()["id"]
    assert task_ids(http, alice) == [a.json()["id"]]
    assert task_ids(http, bob) == [b.json()["id"]]


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    key = new_key()
    first = post(http, user, {"title": "buy milk"}, key)
    assert first.status_code == 201, first.text
    other = post(http, user, {"title": "buy bread"}, key)
    error = assert_error_shape(other, 422, "idempotency_key_reused")
    assert set(error["fields"]) == {HEADER}
    assert task_ids(http, user) == [first.json()["id"]]
    # The first request's answer is still what its own repeat gets.
    again = post(http, user, {"title": "buy milk"}, key)
    assert again.content == first.content


def test_a_body_that_means_the_same_task_is_a_repeat(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    """The payload hash covers the validated body: spelling out a default is the same request."""
    user = make_user()
    key = new_key()
    first = post(http, user, {"title": "water plants"}, key)
    same = post(http, user, {"priority": TaskCreate(title="x").priority, "title": "water plants", "notes": ""}, key)
    assert same.status_code == 201, same.text
    assert same.content == first.content
    assert len(task_ids(http, user)) == 1


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("k" * 129, id="129-chars"),
        pytest.param("tab\tinside", id="control-char"),
        pytest.param("clé".encode("latin-1"), id="not-ascii"),
    ],
)
def test_a_malformed_key_is_a_400_naming_the_header(
    http: httpx.Client, user: SignedInUser, key: str | bytes, dynamodb: Any
) -> None:
    before_tasks = task_ids(http, user)
    before_records = records(dynamodb)
    response = post(http, user, {"title": "never created"}, key)
    error = assert_error_shape(response, 400, "invalid_input")
    assert set(error["fields"]) == {HEADER}
    assert task_ids(http, user) == before_tasks
    assert records(dynamodb) == before_records


def test_the_longest_key_is_accepted(http: httpx.Client, user: SignedInUser) -> None:
    key = "K" * 64 + " ~!" + "z" * 61  # 128 printable characters, space included
    assert len(key) == 128
    first = post(http, user, {"title": "long key"}, key)
    second = post(http, user, {"title": "long key"}, key)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.content == first.content


def _new_record(dynamodb: Any, before: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    ((record_id, item),) = [(k, v) for k, v in records(dynamodb).items() if k not in before]
    return record_id, item


def test_the_record_expires_after_24_hours_and_then_the_key_works_again(
    http: httpx.Client, make_user: Callable[[], SignedInUser], dynamodb: Any
) -> None:
    user = make_user()
    key = new_key()
    before = records(dynamodb)
    started = int(time.time())
    first = post(http, user, {"title": "weekly review"}, key)
    assert first.status_code == 201, first.text
    record_id, item = _new_record(dynamodb, before)
    assert item["status"]["S"] == "COMPLETED"
    expires = int(item[EXPIRY_ATTRIBUTE]["N"])
    assert started + EXPIRES_AFTER_SECONDS <= expires <= int(time.time()) + EXPIRES_AFTER_SECONDS
    assert key not in record_id  # the key and the user are hashed, not stored

    # A day later (DynamoDB's TTL may not have deleted it yet): the record is past its expiration.
    dynamodb.update_item(
        TableName=TABLE,
        Key={KEY_ATTRIBUTE: {"S": record_id}},
        UpdateExpression="SET #e = :past",
        ExpressionAttributeNames={"#e": EXPIRY_ATTRIBUTE},
        ExpressionAttributeValues={":past": {"N": str(int(time.time()) - 1)}},
    )
    again = post(http, user, {"title": "weekly review"}, key)
    assert again.status_code == 201, again.text
    assert "idempotent-replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]
    assert sorted(task_ids(http, user)) == sorted([first.json()["id"], again.json()["id"]])
    # ... and the key is taken again, for another 24 h.
    replay = post(http, user, {"title": "weekly review"}, key)
    assert replay.content == again.content


def test_a_repeat_while_the_first_is_in_progress_is_a_409(
    http: httpx.Client, make_user: Callable[[], SignedInUser], dynamodb: Any
) -> None:
    user = make_user()
    key = new_key()
    before = records(dynamodb)
    first = post(http, user, {"title": "slow one"}, key)
    assert first.status_code == 201, first.text
    record_id, _ = _new_record(dynamodb, before)
    # The record as it is while the first request runs: INPROGRESS until that invocation would time out.
    dynamodb.update_item(
        TableName=TABLE,
        Key={KEY_ATTRIBUTE: {"S": record_id}},
        UpdateExpression="SET #s = :inprogress, in_progress_expiration = :later REMOVE #d",
        ExpressionAttributeNames={"#s": "status", "#d": "data"},
        ExpressionAttributeValues={
            ":inprogress": {"S": "INPROGRESS"},
            ":later": {"N": str(int(time.time() * 1000) + 60_000)},
        },
    )
    response = post(http, user, {"title": "slow one"}, key)
    error = assert_error_shape(response, 409, "request_in_progress")
    assert set(error["fields"]) == {HEADER}
    assert task_ids(http, user) == [first.json()["id"]]

    # The first invocation died (its time ran out): a retry does the work.
    dynamodb.update_item(
        TableName=TABLE,
        Key={KEY_ATTRIBUTE: {"S": record_id}},
        UpdateExpression="SET in_progress_expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time() * 1000) - 1)}},
    )
    retry = post(http, user, {"title": "slow one"}, key)
    assert retry.status_code == 201, retry.text
    assert len(task_ids(http, user)) == 2


def test_a_failed_request_keeps_nothing_and_can_be_retried(
    http: httpx.Client, make_user: Callable[[], SignedInUser], dynamodb: Any
) -> None:
    user = make_user()
    key = new_key()
    before = records(dynamodb)
    body = {"title": "in a project", "project_id": "01HZZZZZZZZZZZZZZZZZZZZZZZ"}
    failed = post(http, user, body, key)
    assert_error_shape(failed, 404, "not_found")
    assert records(dynamodb) == before  # Powertools deleted the in-progress record
    fixed = post(http, user, {"title": "in a project"}, key)  # the same key, corrected: the first attempt
    assert fixed.status_code == 201, fixed.text
    assert "idempotent-replayed" not in fixed.headers


def test_the_client_sends_the_key(api_url: str, make_user: Callable[[], SignedInUser], http: httpx.Client) -> None:
    user = make_user()
    client = ApiClient(api_url, user.tokens.access_token)
    key = new_key()
    first = client.create_task(TaskCreate(title="from the UI"), idempotency_key=key)
    again = client.create_task(TaskCreate(title="from the UI"), idempotency_key=key)
    other = client.create_task(TaskCreate(title="from the UI"))
    assert again == first
    assert other.id != first.id
    assert sorted(task_ids(http, user)) == sorted([first.id, other.id])


def test_the_header_is_documented_on_post_tasks(http: httpx.Client) -> None:
    operation = http.get("/openapi.json").json()["paths"]["/tasks"]["post"]
    (parameter,) = [p for p in operation["parameters"] if p["name"].lower() == HEADER.lower()]
    assert parameter["in"] == "header"
    assert parameter["required"] is False
    assert parameter["schema"]["maxLength"] == 128
    assert {"201", "400", "409", "422"} <= set(operation["responses"])


def test_a_browser_may_send_the_header(http: httpx.Client) -> None:
    preflight = http.options(
        "/tasks",
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert preflight.status_code < 300, preflight.text
    allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert HEADER.lower() in allowed
