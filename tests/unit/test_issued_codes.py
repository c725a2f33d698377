"""The confirmation codes the local Cognito stand-in issues and checks (what moto does not)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from backend.local import cognito_gaps
from backend.local.cognito_gaps import IssuedCodes


def test_a_code_is_six_digits_and_works_once() -> None:
    codes = IssuedCodes()
    code = codes.issue("sign-up", "client", "Ada@Example.com", ttl=60)
    assert len(code) == 6
    assert code.isdigit()
    assert codes.check("sign-up", "client", "ada@example.com", f" {code} ") is None  # case and blanks forgiven
    assert codes.check("sign-up", "client", "ada@example.com", code) == "ExpiredCodeException"  # consumed


def test_a_wrong_code_is_a_mismatch_and_leaves_the_right_one_usable() -> None:
    codes = IssuedCodes()
    code = codes.issue("sign-up", "client", "ada@example.com", ttl=60)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert codes.check("sign-up", "client", "ada@example.com", wrong) == "CodeMismatchException"
    assert codes.check("sign-up", "client", "ada@example.com", code) is None


def test_codes_are_per_purpose_client_and_user() -> None:
    codes = IssuedCodes()
    code = codes.issue("sign-up", "client", "ada@example.com", ttl=60)
    assert codes.check("reset", "client", "ada@example.com", code) == "ExpiredCodeException"
    assert codes.check("sign-up", "other-client", "ada@example.com", code) == "ExpiredCodeException"
    assert codes.check("sign-up", "client", "bob@example.com", code) == "ExpiredCodeException"


def test_a_new_code_replaces_the_old_one() -> None:
    codes = IssuedCodes()
    first = codes.issue("reset", "client", "ada@example.com", ttl=60)
    second = codes.issue("reset", "client", "ada@example.com", ttl=60)
    if first != second:  # one in a million they coincide
        assert codes.check("reset", "client", "ada@example.com", first) == "CodeMismatchException"
    assert codes.check("reset", "client", "ada@example.com", second) is None


def test_an_expired_code_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    codes = IssuedCodes()
    code = codes.issue("sign-up", "client", "ada@example.com", ttl=60)
    issued_at = time.time()
    # Only the module's clock moves on (an hour in a test would be a sleep).
    monkeypatch.setattr(cognito_gaps, "time", SimpleNamespace(time=lambda: issued_at + 61))
    assert codes.check("sign-up", "client", "ada@example.com", code) == "ExpiredCodeException"
