"""The UI's Cognito flows (backend.client.CognitoAuth) on the emulated user pool: sign-in, refresh,
global sign-out, password change and policy, TOTP MFA."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pyotp
import pytest

from backend.client import AuthError, CognitoAuth, MfaChallenge, Tokens, totp_uri
from backend.domain.password_policy import PASSWORD_POLICY
from backend.local.testing import LocalRun
from tests.conftest import PASSWORD
from tests.integration.conftest import new_email, sign_in

T = TypeVar("T")


class AuthenticatorApp(pyotp.TOTP):
    # moto gives every user the same short secret (60 bits; AWS's have 160): accept it, as authenticator apps do.
    min_secret_length_bits = 40


def with_current_code(totp: pyotp.TOTP, action: Callable[[str], T]) -> T:
    """``action(code)`` with the current TOTP code; once more with the next code if the 30-s step turned meanwhile.

    moto accepts the current step only (AWS allows some drift), so a code read just before a step change can be
    refused through no fault of the code under test. No sleeping: the retry happens only if the clock moved on.
    """
    step = int(time.time()) // totp.interval
    try:
        return action(totp.now())
    except AuthError as error:
        if error.code != "CodeMismatchException" or int(time.time()) // totp.interval == step:
            raise
        return action(totp.now())


def a_wrong_code(totp: pyotp.TOTP) -> str:
    """A code that is wrong in the previous, this and the next 30-s step."""
    now = time.time()
    valid = {totp.at(now + delta) for delta in (-totp.interval, 0, totp.interval)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in valid)


def auth_error(action: Callable[[], object]) -> AuthError:
    with pytest.raises(AuthError) as caught:
        action()
    return caught.value


def test_the_pool_enforces_the_policy_the_ui_shows(local: LocalRun, cognito_admin: Any) -> None:
    pool = cognito_admin.describe_user_pool(UserPoolId=local.outputs.user_pool_id)["UserPool"]
    assert pool["Policies"]["PasswordPolicy"] == PASSWORD_POLICY.to_cognito()
    assert pool["MfaConfiguration"] == "OPTIONAL"
    assert pool["UsernameAttributes"] == ["email"]


@pytest.mark.parametrize("weak", ["Short-1a", "alllower-123", "ALLUPPER-123", "NoDigitsHere"])
def test_a_password_the_policy_refuses_is_refused_by_cognito(cognito: CognitoAuth, weak: str) -> None:
    assert PASSWORD_POLICY.problems(weak)
    error = auth_error(lambda: cognito.sign_up(new_email(), weak))
    assert error.code in {"InvalidPasswordException", "InvalidParameterException"}
    assert error.message == "This password does not meet the password policy."


def test_an_existing_email_cannot_sign_up_again(cognito: CognitoAuth, confirmed_user: Callable[[], str]) -> None:
    email = confirmed_user()
    assert auth_error(lambda: cognito.sign_up(email, PASSWORD)).code == "UsernameExistsException"


def test_sign_in_gives_tokens_and_a_wrong_password_does_not(
    cognito: CognitoAuth, confirmed_user: Callable[[], str]
) -> None:
    email = confirmed_user()
    tokens = sign_in(cognito, email)
    assert tokens.access_token
    assert tokens.id_token
    assert tokens.refresh_token
    assert tokens.expires_at > time.time()
    error = auth_error(lambda: cognito.sign_in(email, PASSWORD + "x"))
    assert (error.code, error.message) == ("NotAuthorizedException", "Incorrect email or password.")


def test_refresh_gives_new_tokens_and_keeps_the_refresh_token(
    cognito: CognitoAuth, confirmed_user: Callable[[], str]
) -> None:
    tokens = sign_in(cognito, confirmed_user())
    refreshed = cognito.refresh(tokens.refresh_token)
    assert refreshed.refresh_token == tokens.refresh_token  # Cognito does not rotate it
    assert refreshed.access_token != tokens.access_token
    assert cognito.mfa_enabled(refreshed.access_token) is False  # the new access token works


def test_global_sign_out_revokes_the_refresh_token(cognito: CognitoAuth, confirmed_user: Callable[[], str]) -> None:
    email = confirmed_user()
    tokens = sign_in(cognito, email)
    other_device = sign_in(cognito, email)
    cognito.sign_out_everywhere(tokens.access_token)
    for session in (tokens, other_device):
        with pytest.raises(AuthError) as caught:
            cognito.refresh(session.refresh_token)
        assert (caught.value.code, caught.value.message) == (
            "NotAuthorizedException",
            "Your session has ended. Sign in again.",
        )
    # Cognito's own API refuses the old access token too (JWT checks elsewhere cannot know, as in AWS).
    assert auth_error(lambda: cognito.mfa_enabled(tokens.access_token)).code == "NotAuthorizedException"
    assert isinstance(cognito.sign_in(email, PASSWORD), Tokens)  # signing in again works


def test_change_password(cognito: CognitoAuth, confirmed_user: Callable[[], str]) -> None:
    email = confirmed_user()
    tokens = sign_in(cognito, email)
    assert auth_error(
        lambda: cognito.change_password(tokens.access_token, "Wrong-Password-1", "Another-Pass-77")
    ).code == ("NotAuthorizedException")
    assert auth_error(lambda: cognito.change_password(tokens.access_token, PASSWORD, "weak")).message == (
        "This password does not meet the password policy."
    )
    cognito.change_password(tokens.access_token, PASSWORD, "Another-Pass-77")
    assert isinstance(cognito.sign_in(email, "Another-Pass-77"), Tokens)
    assert auth_error(lambda: cognito.sign_in(email, PASSWORD)).code == "NotAuthorizedException"


def test_totp_mfa_enable_challenge_and_disable(cognito: CognitoAuth, confirmed_user: Callable[[], str]) -> None:
    email = confirmed_user()
    tokens = sign_in(cognito, email)
    assert cognito.mfa_enabled(tokens.access_token) is False

    secret = cognito.begin_totp_setup(tokens.access_token)
    app = AuthenticatorApp(secret)
    assert totp_uri(secret, email).startswith(f"otpauth://totp/TaskManager%20Pro:{email.replace('@', '%40')}?")
    # A wrong code does not enable MFA.
    error = auth_error(lambda: cognito.verify_totp_and_enable(tokens.access_token, a_wrong_code(app)))
    # AWS says EnableSoftwareTokenMFAException, moto CodeMismatchException; the UI words both the same.
    assert error.code in {"EnableSoftwareTokenMFAException", "CodeMismatchException"}
    assert cognito.mfa_enabled(tokens.access_token) is False
    with_current_code(app, lambda code: cognito.verify_totp_and_enable(tokens.access_token, code))
    assert cognito.mfa_enabled(tokens.access_token) is True

    # Signing in now asks for the code.
    challenge = cognito.sign_in(email, PASSWORD)
    assert isinstance(challenge, MfaChallenge)
    assert challenge.email == email
    error = auth_error(lambda: cognito.answer_mfa(challenge, a_wrong_code(app)))
    assert error.code == "CodeMismatchException"

    def answer(code: str) -> Tokens:
        fresh = cognito.sign_in(email, PASSWORD)
        assert isinstance(fresh, MfaChallenge)
        return cognito.answer_mfa(fresh, code)

    mfa_tokens = with_current_code(app, answer)
    assert cognito.mfa_enabled(mfa_tokens.access_token) is True

    # Turning it off needs the password and a current code (issue 12): a session alone is not enough.
    for password, code in [(PASSWORD, ""), (PASSWORD, "12345"), (PASSWORD, a_wrong_code(app)), ("Wrong-Pass-99", "")]:
        auth_error(lambda: cognito.disable_mfa(email, password, code))  # noqa: B023 (called at once)
        assert cognito.mfa_enabled(mfa_tokens.access_token) is True
    error = auth_error(lambda: with_current_code(app, lambda code: cognito.disable_mfa(email, "Wrong-Pass-99", code)))
    assert error.code == "NotAuthorizedException"
    assert cognito.mfa_enabled(mfa_tokens.access_token) is True
    with_current_code(app, lambda code: cognito.disable_mfa(email, PASSWORD, code))
    assert cognito.mfa_enabled(mfa_tokens.access_token) is False
    # The next sign-in gives tokens straight away.
    assert isinstance(cognito.sign_in(email, PASSWORD), Tokens)
