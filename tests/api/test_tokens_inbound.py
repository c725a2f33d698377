"""Issue 16 over the local stack: personal API tokens (the same authorizer as a sign-in), answering a reminder by SMS
or email, and email to task. This module's API runs with a rate limit of 5 requests a minute per token."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from backend import bootstrap
from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser

LIMITS = {"TMP_API_TOKEN_REQUESTS_PER_MINUTE": "5"}


@pytest.fixture(scope="module", autouse=True)
def low_limit(api_url: str) -> Iterator[None]:
    """Settings are read again after the reset; other modules never see the low limit."""
    os.environ.update(LIMITS)
    bootstrap.reset()
    yield
    for name in LIMITS:
        os.environ.pop(name, None)
    bootstrap.reset()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_token(http: httpx.Client, user: SignedInUser, scopes: list[str], name: str = "script") -> dict[str, Any]:
    response = http.post("/tokens", headers=user.headers, json={"name": name, "scopes": scopes})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"id", "token"}
    return body


# --- personal API tokens ----------------------------------------------------------------------------------------
def test_a_write_token_works_like_a_sign_in_and_is_listed_without_its_secret(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    ann = make_user()
    made = make_token(http, ann, ["read", "write"], name="cron job")
    assert made["token"].startswith("tmp_")

    created = http.post("/tasks", headers=bearer(made["token"]), json={"title": "made by a script"})
    assert created.status_code == 201, created.text
    mine = http.get("/tasks", headers=ann.headers).json()["items"]
    assert [t["title"] for t in mine] == ["made by a script"]  # the token acts as its owner

    listed = http.get("/tokens", headers=ann.headers)
    assert listed.status_code == 200
    [row] = listed.json()["items"]
    assert (row["id"], row["name"], row["scopes"]) == (made["id"], "cron job", ["read", "write"])
    assert row["last_used_at"] is not None  # the create above used it
    assert made["token"] not in listed.text  # shown once, never again


def test_a_read_token_reads_but_may_not_write(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    bob = make_user()
    token = make_token(http, bob, ["read"])["token"]
    assert http.get("/tasks", headers=bearer(token)).status_code == 200
    refused = http.post("/tasks", headers=bearer(token), json={"title": "nope"})
    assert_error_shape(refused, 403, "forbidden")
    assert http.get("/tasks", headers=bob.headers).json()["items"] == []


def test_a_token_cannot_make_list_or_revoke_tokens(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    carol = make_user()
    made = make_token(http, carol, ["read", "write"])
    headers = bearer(made["token"])
    assert_error_shape(http.post("/tokens", headers=headers, json={"name": "x", "scopes": ["read"]}), 403)
    assert_error_shape(http.get("/tokens", headers=headers), 403)
    assert_error_shape(http.delete(f"/tokens/{made['id']}", headers=headers), 403)


def test_bad_token_requests_answer_in_the_error_shape(
    http: httpx.Client, make_user: Callable[[], SignedInUser]
) -> None:
    dan = make_user()
    bad = http.post("/tokens", headers=dan.headers, json={"name": "x", "scopes": ["write"]})
    assert "scopes" in assert_error_shape(bad, 422)["fields"]
    bad = http.post("/tokens", headers=dan.headers, json={"name": "x", "scopes": ["admin"]})
    assert any(name.startswith("scopes") for name in assert_error_shape(bad, 422)["fields"])
    assert_error_shape(http.delete("/tokens/01HZZZZZZZZZZZZZZZZZZZZZZZ", headers=dan.headers), 404)
    # another user's token id is not found either, and keeps working
    eve = make_user()
    evet = make_token(http, eve, ["read"])
    assert_error_shape(http.delete(f"/tokens/{evet['id']}", headers=dan.headers), 404)
    assert http.get("/me", headers=bearer(evet["token"])).status_code == 200
    # a forged secret with a real id, and a token-shaped string, are 401
    forged = evet["token"][:-4] + ("AAAA" if not evet["token"].endswith("AAAA") else "BBBB")
    assert_error_shape(http.get("/me", headers=bearer(forged)), 401, "not_authenticated")
    assert_error_shape(http.get("/me", headers=bearer("tmp_nothing")), 401, "not_authenticated")


def test_revocation_is_effective_on_the_next_request(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    fay = make_user()
    made = make_token(http, fay, ["read"])
    assert http.get("/me", headers=bearer(made["token"])).status_code == 200  # the authorizer's Allow is cached now
    assert http.delete(f"/tokens/{made['id']}", headers=fay.headers).status_code == 204
    assert_error_shape(http.get("/me", headers=bearer(made["token"])), 401, "not_authenticated")
    assert http.get("/tokens", headers=fay.headers).json()["items"] == []


def test_each_token_has_its_own_rate_limit(http: httpx.Client, make_user: Callable[[], SignedInUser]) -> None:
    gus = make_user()
    first, second = make_token(http, gus, ["read"]), make_token(http, gus, ["read"])
    for _ in range(5):
        assert http.get("/me", headers=bearer(first["token"])).status_code == 200
    limited = http.get("/me", headers=bearer(first["token"]))
    assert_error_shape(limited, 429, "too_many_requests")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert http.get("/me", headers=bearer(second["token"])).status_code == 200  # another token is not limited
    assert http.get("/me", headers=gus.headers).status_code == 200  # nor is the sign-in
