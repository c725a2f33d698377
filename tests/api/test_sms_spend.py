"""SMS codes across all users (issue 12 finding 3): a daily cap for everyone together, so many accounts, each within
its own limits, cannot spend the account-wide SNS budget. This module's stack runs with a cap of 2
(``TMP_SMS_CODES_PER_DAY``); the per-user and per-number limits are in test_notifications_api.py."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from backend import bootstrap
from backend.client import ApiClient
from backend.local.environment import LOCAL_STAGE
from backend.names import ResourceNames
from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser

CAP = {"TMP_SMS_CODES_PER_DAY": "2"}


@pytest.fixture(scope="module", autouse=True)
def low_cap(api_url: str) -> Iterator[None]:
    """This module's API runs with a tiny daily cap (settings are read again after the reset); others never see it."""
    os.environ.update(CAP)
    bootstrap.reset()
    yield
    for name in CAP:
        os.environ.pop(name, None)
    bootstrap.reset()


def new_phone() -> str:
    return f"+4917{uuid.uuid4().int % 10**9:09d}"


def send_code(http: httpx.Client, user: SignedInUser, phone: str) -> httpx.Response:
    return http.post("/notifications/sms/code", headers=user.headers, json={"phone": phone})


def test_codes_stop_for_everyone_at_the_daily_cap(
    http: httpx.Client, api_url: str, dynamodb: Any, make_user: Callable[[], SignedInUser]
) -> None:
    ann, bob, carol = make_user(), make_user(), make_user()
    phones = [new_phone() for _ in range(3)]
    assert send_code(http, ann, phones[0]).status_code == 200
    assert send_code(http, bob, phones[1]).status_code == 200

    # Carol never asked before and her number never got a code: only the cap of all users together refuses her
    # (before the cap: 200, and an SMS paid from the shared budget).
    refused = send_code(http, carol, phones[2])
    error = assert_error_shape(refused, 429, "too_many_requests")
    assert error["fields"] == {}  # nothing the caller sent is the cause
    wait = int(refused.headers["Retry-After"])
    assert 86_400 - 60 < wait <= 86_400  # until the first code of the day leaves the 24-hour window
    assert "hours" in error["message"]
    texted = [m.to for m in ApiClient(api_url).outbox() if set(m.to) & set(phones)]
    assert texted == [[phones[0]], [phones[1]]]
    assert http.get("/me", headers=carol.headers).json()["preferences"]["sms_phone"] is None  # nothing changed

    # One row counts everyone's codes: two stamps, no user and no number in it.
    row = dynamodb.get_item(
        TableName=ResourceNames(LOCAL_STAGE).notifications_table,
        Key={"pk": {"S": "ALL"}, "sk": {"S": "LIMIT#sms-code"}},
        ConsistentRead=True,
    )["Item"]
    assert len(row["stamps"]["L"]) == 2
    assert not any(phone in str(row) or phone.lstrip("+") in str(row) for phone in phones)
