"""Where moto's Cognito differs from AWS, the local stand-in (backend/local/cognito_gaps.py) plays AWS:
codes are emailed (outbox) and checked, and the post-confirmation trigger runs. All through the real client calls.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from backend.client import AuthError, CognitoAuth, Tokens
from backend.local import cognito_gaps
from backend.local.testing import LocalRun
from tests.conftest import PASSWORD
from tests.integration.conftest import (
    USERS_TABLE,
    auth_for,
    aws_client,
    emailed_codes,
    last_code,
    new_email,
    other_code,
    sign_in,
    sub_of,
)

NEW_PASSWORD = "Battery-Staple-42"


def user_status(cognito_admin: Any, local: LocalRun, email: str) -> str:
    user = cognito_admin.admin_get_user(UserPoolId=local.outputs.user_pool_id, Username=email)
    return str(user["UserStatus"])


def auth_error(action: Callable[[], object]) -> AuthError:
    with pytest.raises(AuthError) as caught:
        action()
    return caught.value


# --- sign-up confirmation ------------------------------------------------------------------------
def test_sign_up_emails_a_code(local: LocalRun, cognito: CognitoAuth, cognito_admin: Any) -> None:
    email = new_email()
    cognito.sign_up(email, PASSWORD)
    assert len(emailed_codes(local, email)) == 1
    assert user_status(cognito_admin, local, email) == "UNCONFIRMED"
    assert auth_error(lambda: cognito.sign_in(email, PASSWORD)).code == "UserNotConfirmedException"


def test_sign_up_says_the_code_went_by_email(local: LocalRun) -> None:
    # moto makes up an SMS destination; Cognito names the (masked) email address.
    email = new_email()
    answer = aws_client(local, "cognito-idp").sign_up(
        ClientId=local.outputs.user_pool_client_id,
        Username=email,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert answer["CodeDeliveryDetails"]["Destination"] == "i***@e***"
    assert answer["UserConfirmed"] is False


def test_a_wrong_confirmation_code_is_refused(local: LocalRun, cognito: CognitoAuth, cognito_admin: Any) -> None:
    email = new_email()
    cognito.sign_up(email, PASSWORD)
    error = auth_error(lambda: cognito.confirm_sign_up(email, other_code(last_code(local, email))))
    assert error.code == "CodeMismatchException"
    assert error.message == "That code is not correct. Check it and try again."
    assert user_status(cognito_admin, local, email) == "UNCONFIRMED"
    # The right code still works after a wrong attempt.
    cognito.confirm_sign_up(email, last_code(local, email))
    assert user_status(cognito_admin, local, email) == "CONFIRMED"


def test_an_expired_confirmation_code_is_refused(
    local: LocalRun, cognito: CognitoAuth, cognito_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    email = new_email()
    cognito.sign_up(email, PASSWORD)
    code = last_code(local, email)
    # 24 hours and a minute later, as far as the stand-in's clock is concerned (it runs in this process).
    later = time.time() + cognito_gaps.SIGN_UP_CODE_TTL + 60
    monkeypatch.setattr(cognito_gaps, "time", SimpleNamespace(time=lambda: later))
    error = auth_error(lambda: cognito.confirm_sign_up(email, code))
    assert error.code == "ExpiredCodeException"
    assert error.message == "That code has expired. Ask for a new one."
    assert user_status(cognito_admin, local, email) == "UNCONFIRMED"


def test_a_resent_code_replaces_the_first(local: LocalRun, cognito: CognitoAuth, cognito_admin: Any) -> None:
    email = new_email()
    cognito.sign_up(email, PASSWORD)
    first = last_code(local, email)
    cognito.resend_confirmation_code(email)
    codes = emailed_codes(local, email)
    assert len(codes) == 2
    second = codes[-1]
    if second != first:  # one chance in a million that they are the same
        assert auth_error(lambda: cognito.confirm_sign_up(email, first)).code == "CodeMismatchException"
    cognito.confirm_sign_up(email, second)
    assert user_status(cognito_admin, local, email) == "CONFIRMED"


def test_a_code_works_once(local: LocalRun, cognito: CognitoAuth) -> None:
    email = new_email()
    cognito.sign_up(email, PASSWORD)
    code = last_code(local, email)
    cognito.confirm_sign_up(email, code)
    assert auth_error(lambda: cognito.confirm_sign_up(email, code)).code in {
        "ExpiredCodeException",
        "NotAuthorizedException",  # AWS: "User cannot be confirmed. Current status is CONFIRMED"
    }


def test_resend_to_a_confirmed_user_is_refused(cognito: CognitoAuth, confirmed_user: Callable[[], str]) -> None:
    email = confirmed_user()
    assert auth_error(lambda: cognito.resend_confirmation_code(email)).code == "InvalidParameterException"


def test_confirmation_runs_the_post_confirmation_trigger(
    local: LocalRun, cognito_admin: Any, dynamodb: Any, confirmed_user: Callable[[], str]
) -> None:
    email = confirmed_user()
    sub = sub_of(cognito_admin, local, email)
    item = dynamodb.get_item(TableName=USERS_TABLE, Key={"user_id": {"S": sub}}, ConsistentRead=True)["Item"]
    assert item["email"] == {"S": email}
    assert item["display_name"] == {"S": email.split("@")[0]}
    assert item["version"] == {"N": "1"}
    assert "timezone" not in item  # the browser sets it on first visit


# --- forgot password -----------------------------------------------------------------------------
def test_forgot_password_with_a_wrong_then_the_emailed_code(
    local: LocalRun, cognito: CognitoAuth, confirmed_user: Callable[[], str]
) -> None:
    email = confirmed_user()
    before = len(emailed_codes(local, email))
    cognito.forgot_password(email)
    codes = emailed_codes(local, email)
    assert len(codes) == before + 1
    code = codes[-1]

    error = auth_error(lambda: cognito.confirm_forgot_password(email, other_code(code), NEW_PASSWORD))
    assert error.code == "CodeMismatchException"
    sign_in(cognito, email, PASSWORD)  # the old password still works after a failed reset

    cognito.confirm_forgot_password(email, code, NEW_PASSWORD)
    assert isinstance(cognito.sign_in(email, NEW_PASSWORD), Tokens)
    assert auth_error(lambda: cognito.sign_in(email, PASSWORD)).code == "NotAuthorizedException"


def test_moto_does_not_leak_the_reset_code(local: LocalRun, confirmed_user: Callable[[], str]) -> None:
    # moto returns its own code in a response header; AWS sends it only by email.
    email = confirmed_user()
    answer = aws_client(local, "cognito-idp").forgot_password(
        ClientId=local.outputs.user_pool_client_id, Username=email
    )
    headers = {name.lower() for name in answer["ResponseMetadata"]["HTTPHeaders"]}
    assert not any(name.startswith("x-moto") for name in headers)
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    # Nor does a code of moto's own format get through.
    error = auth_error(
        lambda: auth_for(local).confirm_forgot_password(email, "moto-confirmation-code:123456", NEW_PASSWORD)
    )
    assert error.code == "CodeMismatchException"


def test_any_code_that_was_not_emailed_is_refused(
    local: LocalRun, cognito: CognitoAuth, confirmed_user: Callable[[], str]
) -> None:
    # moto alone accepts any code without its prefix, e.g. "123456".
    email = confirmed_user()
    cognito.forgot_password(email)
    code = last_code(local, email)
    for guess in sorted({"123456", "000000", other_code(code)} - {code}):
        with pytest.raises(AuthError) as caught:
            cognito.confirm_forgot_password(email, guess, NEW_PASSWORD)
        assert caught.value.code == "CodeMismatchException"


def test_a_reset_code_expires_after_an_hour(
    local: LocalRun, cognito: CognitoAuth, confirmed_user: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    email = confirmed_user()
    cognito.forgot_password(email)
    code = last_code(local, email)
    later = time.time() + cognito_gaps.RESET_CODE_TTL + 60
    monkeypatch.setattr(cognito_gaps, "time", SimpleNamespace(time=lambda: later))
    assert auth_error(lambda: cognito.confirm_forgot_password(email, code, NEW_PASSWORD)).code == (
        "ExpiredCodeException"
    )
