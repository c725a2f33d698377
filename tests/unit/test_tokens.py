"""Reading the bearer token from the ``Authorization`` header (no crypto here: the API tests verify tokens)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.adapters.tokens import bearer_token

JWT_CHARS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=1)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc", "abc"),  # the scheme is case-insensitive (RFC 7235)
        ("BEARER abc", "abc"),
        ("  Bearer    abc  ", "abc"),
    ],
)
def test_a_bearer_token_is_read(header: str, token: str) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "   ",
        "Bearer",
        "Bearer ",
        "Bearer\tabc",
        "abc.def.ghi",
        "Basic dXNlcjpwYXNz",
        "Token abc",
        "Bearer a b",
    ],
)
def test_anything_else_is_no_token(header: str | None) -> None:
    assert bearer_token(header) is None


@given(JWT_CHARS)
def test_any_token_round_trips(token: str) -> None:
    assert bearer_token(f"Bearer {token}") == token
