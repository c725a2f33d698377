"""The password policy: what the UI shows, what it checks, and what Cognito is told (one definition)."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.domain.password_policy import COGNITO_SYMBOLS, PASSWORD_POLICY, PasswordPolicy
from tests.conftest import PASSWORD

STRICT = PasswordPolicy(min_length=12, require_symbols=True)


def test_the_test_password_meets_the_policy() -> None:
    assert PASSWORD_POLICY.problems(PASSWORD) == []


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("", ["at least 10 characters", "a lowercase letter", "an uppercase letter", "a digit"]),
        ("Short-1a", ["at least 10 characters"]),
        ("ALLUPPER-123", ["a lowercase letter"]),
        ("alllower-123", ["an uppercase letter"]),
        ("NoDigitsHere", ["a digit"]),
        ("Exactly10a", []),
    ],
)
def test_problems_name_each_missing_rule(password: str, missing: list[str]) -> None:
    assert PASSWORD_POLICY.problems(password) == missing


def test_symbols_are_checked_only_when_required() -> None:
    assert PASSWORD_POLICY.problems("NoSymbols123") == []
    assert STRICT.problems("NoSymbols123") == ["a symbol"]
    assert STRICT.problems("NoSymbols123!") == []


def test_non_ascii_letters_do_not_count_as_upper_or_lower_case() -> None:
    # The check counts ASCII letters only: it may be stricter than Cognito, never laxer.
    assert PASSWORD_POLICY.problems("ÉÉÉÉÉßßßß1") == ["a lowercase letter", "an uppercase letter"]


def test_describe_reads_as_one_sentence() -> None:
    assert PASSWORD_POLICY.describe() == (
        "At least 10 characters, with a lowercase letter, an uppercase letter, a digit."
    )
    assert PasswordPolicy(
        min_length=8, require_lowercase=False, require_uppercase=False, require_digits=False
    ).describe() == ("At least 8 characters.")
    assert STRICT.rules()[-1] == "a symbol"


def test_to_cognito_is_the_create_user_pool_block() -> None:
    assert PASSWORD_POLICY.to_cognito() == {
        "MinimumLength": 10,
        "RequireLowercase": True,
        "RequireUppercase": True,
        "RequireNumbers": True,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }
    assert STRICT.to_cognito()["RequireSymbols"] is True
    assert STRICT.to_cognito()["MinimumLength"] == 12


@given(st.text(alphabet=string.printable + "äÉß€", max_size=30))
def test_problems_agree_with_the_rules(password: str) -> None:
    problems = STRICT.problems(password)
    assert ("at least 12 characters" in problems) == (len(password) < 12)
    assert ("a lowercase letter" in problems) == (not any(c in string.ascii_lowercase for c in password))
    assert ("an uppercase letter" in problems) == (not any(c in string.ascii_uppercase for c in password))
    assert ("a digit" in problems) == (not any(c in string.digits for c in password))
    assert ("a symbol" in problems) == (not any(c in COGNITO_SYMBOLS for c in password))
