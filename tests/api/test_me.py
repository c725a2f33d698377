"""GET / PATCH / DELETE /api/me over HTTP: validation, persistence, isolation, deletion, lost triggers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from backend.client import AuthError, CognitoAuth, Tokens
from backend.local.environment import LOCAL_STAGE
from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.api.conftest import assert_error_shape, claims_of
from tests.conftest import PASSWORD, SignedInUser, latest_code

USERS_TABLE = ResourceNames(LOCAL_STAGE).users_table


def users_row(dynamodb: Any, sub: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(
        TableName=USERS_TABLE, Key={"user_id": {"S": sub}}, ConsistentRead=True
    ).get("Item")
    return item


def sub_of(user: SignedInUser) -> str:
    return str(claims_of(user.tokens.access_token)["sub"])


def patch_raw(http: httpx.Client, user: SignedInUser, content: bytes) -> httpx.Response:
    return http.patch("/me", headers={**user.headers, "Content-Type": "application/json"}, content=content)


# --- reading -----------------------------------------------------------------------------------------
def test_a_request_reads_the_callers_users_row_once(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    """The session check reads the row; the routes reuse it (the time zone, the profile) instead of reading again."""
    from backend.adapters.dynamodb import UserModel
    from backend.adapters.task_store.models import TaskModel

    user = make_user()
    sub = sub_of(user)
    reads: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        if params.get("TableName") == USERS_TABLE and params.get("Key") == {"user_id": {"S": sub}}:
            reads.append(params)
        # (or read ahead with what the route reads first: backend/adapters/read_ahead.py)
        if {"user_id": {"S": sub}} in params.get("RequestItems", {}).get(USERS_TABLE, {}).get("Keys", []):
            reads.append(params)

    client = UserModel._get_connection().connection.client
    batch_client = TaskModel._get_connection().connection.client
    client.meta.events.register("provide-client-params.dynamodb.GetItem", record)
    batch_client.meta.events.register("provide-client-params.dynamodb.BatchGetItem", record)
    try:
        for path in ("/me", "/tasks?view=today", "/tasks?view=inbox"):
            reads.clear()
            response = http.get(path, headers=user.headers)
            assert response.status_code == 200, response.text
            assert len(reads) == 1, (path, reads)
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.GetItem", record)
        batch_client.meta.events.unregister("provide-client-params.dynamodb.BatchGetItem", record)


def test_get_me_is_the_profile_the_trigger_made(http: httpx.Client, user: SignedInUser) -> None:
    response = http.get("/me", headers=user.headers)
    assert response.status_code == 200
    profile = response.json()
    assert set(profile) == {
        "id", "email", "display_name", "timezone", "preferences", "created_at", "updated_at", "version",
        "task_email",
    }  # fmt: skip
    assert profile["task_email"].startswith("task-")
    assert "@" in profile["task_email"]
    assert profile["id"] == sub_of(user)
    assert profile["email"] == user.email
    assert profile["display_name"] == user.email.split("@")[0]
    assert profile["timezone"] is None
    assert profile["preferences"] == {
        "email_notifications": True,
        "sms_phone": None,
        # reminders and notifications (issue 5)
        "sms_verified": False,
        "sms_notifications": False,
        "in_app_notifications": True,
        "quiet_hours": None,
        "default_reminder_minutes": None,
        "digest_enabled": False,
        "digest_time": "08:00",
        "daily_goal": 3,
        "weekly_summary": False,
        "date_order": "DMY",  # no time zone yet: day first (issue 14)
    }
    assert profile["version"] >= 1


def test_a_user_confirmed_by_an_administrator_gets_a_profile_on_first_call(
    http: httpx.Client, local: LocalRun, auth: CognitoAuth, cognito_admin: Any, dynamodb: Any
) -> None:
    # Admin calls run no post-confirmation trigger (in AWS neither): the row is missing until the first call.
    email = "admin-made@example.com"
    pool = local.outputs.user_pool_id
    cognito_admin.admin_create_user(
        UserPoolId=pool,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito_admin.admin_set_user_password(UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True)
    tokens = auth.sign_in(email, PASSWORD)
    assert isinstance(tokens, Tokens)
    sub = claims_of(tokens.access_token)["sub"]
    assert users_row(dynamodb, sub) is None

    response = http.get("/me", headers={"Authorization": f"Bearer {tokens.access_token}"})
    assert response.status_code == 200, response.text
    assert response.json()["email"] == email
    assert response.json()["display_name"] == "admin-made"
    assert users_row(dynamodb, sub) is not None


def test_a_lost_trigger_is_healed_by_get_me(
    http: httpx.Client, dynamodb: Any, make_user: Callable[[], SignedInUser]
) -> None:
    # A signed-up user whose row never arrived (say the trigger timed out).
    user = make_user()
    dynamodb.delete_item(TableName=USERS_TABLE, Key={"user_id": {"S": sub_of(user)}})
    response = http.get("/me", headers=user.headers)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


# --- changing ----------------------------------------------------------------------------------------
def test_patch_persists_and_bumps_the_version(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    user = make_user()
    before = http.get("/me", headers=user.headers).json()
    changes = {
        "display_name": "Ada Lovelace",
        "timezone": "Europe/London",
        "preferences": {"email_notifications": False, "sms_phone": "+441234567890"},
    }
    response = http.patch("/me", headers=user.headers, json=changes)
    assert response.status_code == 200, response.text
    after = response.json()
    assert after["display_name"] == "Ada Lovelace"
    assert after["timezone"] == "Europe/London"
    assert after["preferences"]["email_notifications"] is False
    assert after["preferences"]["sms_phone"] == "+441234567890"
    assert after["preferences"]["daily_goal"] == 3
    assert after["preferences"]["weekly_summary"] is False
    assert after["version"] == before["version"] + 1
    assert after["created_at"] == before["created_at"]
    assert after["updated_at"] > before["updated_at"]
    assert http.get("/me", headers=user.headers).json() == after


def test_patch_changes_only_the_fields_sent(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    user = make_user()
    http.patch(
        "/me", headers=user.headers, json={"timezone": "Asia/Tokyo", "preferences": {"sms_phone": "+81312345678"}}
    )
    after = http.patch("/me", headers=user.headers, json={"display_name": "  Trimmed  "}).json()
    assert after["display_name"] == "Trimmed"
    assert after["timezone"] == "Asia/Tokyo"
    assert after["preferences"]["sms_phone"] == "+81312345678"
    after = http.patch("/me", headers=user.headers, json={"preferences": {"email_notifications": False}}).json()
    assert after["preferences"]["email_notifications"] is False
    assert after["preferences"]["sms_phone"] == "+81312345678"
    assert after["preferences"]["daily_goal"] == 3
    assert after["preferences"]["weekly_summary"] is False


def test_an_explicit_null_clears_the_sms_phone(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    user = make_user()
    http.patch("/me", headers=user.headers, json={"preferences": {"sms_phone": "+14155550123"}})
    cleared = http.patch("/me", headers=user.headers, json={"preferences": {"sms_phone": None}})
    assert cleared.status_code == 200
    assert cleared.json()["preferences"]["sms_phone"] is None
    assert http.get("/me", headers=user.headers).json()["preferences"]["sms_phone"] is None


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (b'{"display_name": "Ada"', {"body"}),  # malformed JSON
        (b"not json at all", {"body"}),
        (b"[]", {"body"}),  # JSON, but not an object
        (b'[{"display_name": "Ada"}]', {"body"}),  # Powertools alone would take the first element
        (b'"Ada"', {"body"}),
        (b"", {"body"}),
        (b'{"display_name": 5}', {"display_name"}),  # wrong types
        (b'{"display_name": ["Ada"]}', {"display_name"}),
        (b'{"timezone": 1}', {"timezone"}),
        (b'{"preferences": "off"}', {"preferences"}),
        (b'{"preferences": {"email_notifications": "maybe"}}', {"preferences.email_notifications"}),
        (b'{"preferences": {"sms_phone": 14155550123}}', {"preferences.sms_phone"}),
        (b'{"nickname": "Ada"}', {"nickname"}),  # unknown fields, at any depth
        (b'{"email": "new@example.com"}', {"email"}),
        (b'{"id": "someone-else"}', {"id"}),
        (b'{"version": 7}', {"version"}),
        (b'{"preferences": {"push": true}}', {"preferences.push"}),
        (b'{"display_name": "' + b"x" * 81 + b'"}', {"display_name"}),  # over-long strings
        (b'{"timezone": "' + b"A" * 65 + b'"}', {"timezone"}),
        (b'{"display_name": "   "}', {"display_name"}),  # blank
        (b'{"timezone": "Mars/Olympus_Mons"}', {"timezone"}),  # not an IANA time zone
        (b'{"timezone": "UTC+2"}', {"timezone"}),
        (b'{"preferences": {"sms_phone": "0151 1234567"}}', {"preferences.sms_phone"}),  # not E.164
        (b'{"preferences": {"sms_phone": "+0123456789"}}', {"preferences.sms_phone"}),
        (
            b'{"display_name": "", "timezone": "Nowhere", "preferences": {"sms_phone": "1", "x": 1}, "y": 2}',
            {"display_name", "timezone", "preferences.sms_phone", "preferences.x", "y"},
        ),
    ],
    ids=lambda value: value.decode()[:40] if isinstance(value, bytes) else None,
)
def test_invalid_patches_are_422_naming_each_bad_field(
    http: httpx.Client, user: SignedInUser, body: bytes, fields: set[str]
) -> None:
    before = http.get("/me", headers=user.headers).json()
    error = assert_error_shape(patch_raw(http, user, body), 422, "validation_error")
    assert set(error["fields"]) == fields
    assert all(isinstance(message, str) and message for message in error["fields"].values())
    assert all(name in error["message"] for name in fields)
    assert http.get("/me", headers=user.headers).json() == before  # nothing was stored


def test_unknown_fields_are_named_as_such(http: httpx.Client, user: SignedInUser) -> None:
    error = assert_error_shape(http.patch("/me", headers=user.headers, json={"nickname": "x"}), 422)
    assert error["fields"] == {"nickname": "is not a known field"}


def test_malformed_json_is_named_as_such(http: httpx.Client, user: SignedInUser) -> None:
    error = assert_error_shape(patch_raw(http, user, b'{"display_name":'), 422)
    assert error["fields"] == {"body": "is not valid JSON"}


# --- two users -------------------------------------------------------------------------------------
def test_two_users_never_see_or_change_each_other(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    a, b = make_user(), make_user()
    a_before = http.patch("/me", headers=a.headers, json={"display_name": "Alice"}).json()
    b_after = http.patch("/me", headers=b.headers, json={"display_name": "Bob", "timezone": "America/New_York"}).json()
    assert b_after["id"] == sub_of(b) != sub_of(a)
    assert b_after["email"] == b.email
    assert http.get("/me", headers=a.headers).json() == a_before
    assert http.get("/me", headers=b.headers).json() == b_after
    # No body field or query parameter names another user.
    assert http.patch("/me", headers=b.headers, json={"id": sub_of(a)}).status_code == 422
    assert http.get("/me", headers=b.headers, params={"user_id": sub_of(a)}).json()["id"] == sub_of(b)


# --- deleting --------------------------------------------------------------------------------------
def test_delete_removes_the_cognito_user_and_the_data_and_nobody_else(
    http: httpx.Client,
    auth: CognitoAuth,
    cognito_admin: Any,
    dynamodb: Any,
    make_user: Callable[[], SignedInUser],
) -> None:
    pool_id = http.get("/config").json()["user_pool_id"]
    doomed, bystander = make_user(), make_user()
    bystander_profile = http.patch("/me", headers=bystander.headers, json={"display_name": "Still here"}).json()

    response = http.request("DELETE", "/me", headers=doomed.headers, json={"password": PASSWORD})
    assert response.status_code == 204, response.text
    assert response.content == b""

    with pytest.raises(AuthError):
        auth.sign_in(doomed.email, PASSWORD)
    with pytest.raises(AuthError):  # the refresh token is revoked
        auth.refresh(doomed.tokens.refresh_token)
    with pytest.raises(cognito_admin.exceptions.UserNotFoundException):
        cognito_admin.admin_get_user(UserPoolId=pool_id, Username=doomed.email)
    # The access token is still a valid JWT for up to an hour, but refused (401), and no profile comes back:
    # what is left of the row is a marker without the email, removed by the table's TTL a day later.
    assert_error_shape(http.get("/me", headers=doomed.headers), 401, "not_authenticated")
    row = users_row(dynamodb, sub_of(doomed))
    assert row is not None
    assert row["email"] == {"S": ""}
    assert "deleted_at" in row
    assert int(row["expires_at"]["N"]) > time.time() + 3600

    assert http.get("/me", headers=bystander.headers).json() == bystander_profile
    assert isinstance(auth.sign_in(bystander.email, PASSWORD), Tokens)


def pointers_owned_by(dynamodb: Any, sub: str) -> list[str]:
    """The hashed pointers (calendar feed, task email, API tokens) in the Tasks table that name ``sub``."""
    table = ResourceNames(LOCAL_STAGE).tasks_table
    found = dynamodb.scan(
        TableName=table, FilterExpression="owner_id = :u", ExpressionAttributeValues={":u": {"S": sub}}
    )
    return sorted(item["user_id"]["S"].split("#")[0] for item in found["Items"])


@pytest.mark.parametrize(("route", "body"), [("/data", None), ("/me", {"password": PASSWORD})])
def test_erasure_ends_the_feed_the_task_email_and_the_tokens_pointers_included(
    http: httpx.Client, dynamodb: Any, make_user: Callable[[], SignedInUser], route: str, body: Any
) -> None:
    """Deleting my data or my account ends every way in without a sign-in: the user's rows and the pointers found
    by a hash (another partition, which the erasure of the user's own partition does not reach)."""
    user = make_user()
    feed = http.post("/me/calendar-feed", headers=user.headers)
    assert feed.status_code < 300, feed.text
    assert http.get("/me", headers=user.headers).json()["task_email"]  # made on first use
    for name in ("laptop", "phone"):
        made = http.post("/tokens", headers=user.headers, json={"name": name, "scopes": ["read"]})
        assert made.status_code == 201, made.text
    assert pointers_owned_by(dynamodb, sub_of(user)) == ["APITOKEN", "APITOKEN", "FEED", "MAILIN"]

    assert http.request("DELETE", route, headers=user.headers, json=body).status_code == 204
    assert pointers_owned_by(dynamodb, sub_of(user)) == []


def test_a_retried_delete_finds_the_session_ended(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    # A client that timed out and retries with the same token: the account is gone, so is the session.
    user = make_user()
    assert http.request("DELETE", "/me", headers=user.headers, json={"password": PASSWORD}).status_code == 204
    again = http.request("DELETE", "/me", headers=user.headers, json={"password": PASSWORD})
    assert_error_shape(again, 401, "not_authenticated")


# --- deleting needs the password; the old tokens die with the account (issue 12 finding 6) --------------
def delete_me(http: httpx.Client, user: SignedInUser, body: object = None) -> httpx.Response:
    return http.request("DELETE", "/me", headers=user.headers, json=body)


def tasks_partition(dynamodb: Any, sub: str) -> list[str]:
    items = dynamodb.query(
        TableName=ResourceNames(LOCAL_STAGE).tasks_table,
        KeyConditionExpression="user_id = :u",
        ExpressionAttributeValues={":u": {"S": sub}},
        ConsistentRead=True,
    )["Items"]
    return [item["sk"]["S"] for item in items]


def test_delete_needs_the_right_password(
    http: httpx.Client, auth: CognitoAuth, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    error = assert_error_shape(delete_me(http, user), 422, "validation_error")
    assert set(error["fields"]) == {"password"}
    error = assert_error_shape(delete_me(http, user, {}), 422, "validation_error")
    assert set(error["fields"]) == {"password"}
    error = assert_error_shape(delete_me(http, user, {"password": "Not-The-Password-1"}), 403, "wrong_password")
    assert set(error["fields"]) == {"password"}
    # Refused: the account and its session are untouched.
    assert http.get("/me", headers=user.headers).status_code == 200
    assert isinstance(auth.sign_in(user.email, PASSWORD), Tokens)

    assert delete_me(http, user, {"password": PASSWORD}).status_code == 204


def test_after_delete_the_old_access_token_writes_nothing(
    http: httpx.Client, local: LocalRun, dynamodb: Any, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    sub = sub_of(user)
    assert http.post("/tasks", headers=user.headers, json={"title": "before"}).status_code == 201
    assert local.streams is not None
    local.streams.drain()  # the statistics of that task are written by the stream handler: let it finish first
    assert delete_me(http, user, {"password": PASSWORD}).status_code == 204
    assert tasks_partition(dynamodb, sub) == []

    # The access token is a JWT that stays well-formed for up to an hour: the API refuses it all the same.
    assert_error_shape(http.post("/tasks", headers=user.headers, json={"title": "orphan"}), 401, "not_authenticated")
    assert_error_shape(http.post("/labels", headers=user.headers, json={"name": "orphan"}), 401, "not_authenticated")
    assert_error_shape(http.get("/me", headers=user.headers), 401, "not_authenticated")
    local.streams.drain()
    assert tasks_partition(dynamodb, sub) == []
    # What is left of the row is a marker without personal data: the token did not bring the profile back.
    row = users_row(dynamodb, sub)
    assert row is not None
    assert "deleted_at" in row
    assert user.email not in str(row)


def test_a_password_reset_ends_every_session(
    http: httpx.Client, api_url: str, auth: CognitoAuth, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()
    bystander = make_user()
    assert http.get("/me", headers=user.headers).status_code == 200
    new_password = "Brand-New-Pass-42"
    auth.forgot_password(user.email)
    auth.confirm_forgot_password(user.email, latest_code(api_url, user.email), new_password)

    with pytest.raises(AuthError):
        auth.refresh(user.tokens.refresh_token)
    assert_error_shape(http.get("/me", headers=user.headers), 401, "not_authenticated")
    assert_error_shape(http.post("/tasks", headers=user.headers, json={"title": "x"}), 401, "not_authenticated")
    assert http.get("/me", headers=bystander.headers).status_code == 200

    # The sign-in right after the reset counts (the trigger returns once the cut-off's whole second is over).
    fresh = auth.sign_in(user.email, new_password)
    assert isinstance(fresh, Tokens)
    response = http.post("/tasks", headers={"Authorization": f"Bearer {fresh.access_token}"}, json={"title": "ok"})
    assert response.status_code == 201, response.text


# --- "sign out everywhere" ends every session at once (issue 12 finding 6, leftover) --------------------------------
def test_sign_out_everywhere_refuses_every_older_token_at_once(
    http: httpx.Client, auth: CognitoAuth, make_user: Callable[[], SignedInUser]
) -> None:
    user = make_user()  # one session (say the laptop) ...
    phone = auth.sign_in(user.email, PASSWORD)  # ... and another one (the phone)
    assert isinstance(phone, Tokens)
    on_phone = {"Authorization": f"Bearer {phone.access_token}"}
    bystander = make_user()
    assert http.get("/me", headers=on_phone).status_code == 200

    response = http.post("/me/sign-out", headers=user.headers)
    assert response.status_code == 204, response.text
    assert response.content == b""

    # Cognito's own GlobalSignOut only revoked the refresh tokens: the phone's access token kept working for up to
    # an hour (GET /me 200). Now every token of an earlier sign-in is refused at once, and so are the refresh tokens.
    assert_error_shape(http.get("/me", headers=on_phone), 401, "not_authenticated")
    assert_error_shape(http.post("/tasks", headers=on_phone, json={"title": "x"}), 401, "not_authenticated")
    assert_error_shape(http.get("/me", headers=user.headers), 401, "not_authenticated")
    with pytest.raises(AuthError):
        auth.refresh(phone.refresh_token)
    with pytest.raises(AuthError):
        auth.refresh(user.tokens.refresh_token)
    assert http.get("/me", headers=bystander.headers).status_code == 200

    # The sign-in right after counts (the route answers once the cut-off's whole second is over).
    fresh = auth.sign_in(user.email, PASSWORD)
    assert isinstance(fresh, Tokens)
    response = http.post("/tasks", headers={"Authorization": f"Bearer {fresh.access_token}"}, json={"title": "ok"})
    assert response.status_code == 201, response.text


def test_sign_out_everywhere_is_documented_and_needs_a_token(http: httpx.Client) -> None:
    answers = http.get("/openapi.json").json()["paths"]["/me/sign-out"]["post"]["responses"]
    assert {"204", "401"} <= set(answers)
    assert_error_shape(http.post("/me/sign-out"), 401, "not_authenticated")
