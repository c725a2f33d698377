"""The app client hides which emails have accounts (PreventUserExistenceErrors=ENABLED), locally as in AWS:
an unknown email looks like a wrong password, and code requests for it look sent."""

from __future__ import annotations

import pytest

from backend.client import AuthError, CognitoAuth
from backend.local.testing import LocalRun
from tests.conftest import PASSWORD
from tests.integration.conftest import auth_for, emailed_codes, new_email


@pytest.fixture(scope="module")
def cognito(local: LocalRun) -> CognitoAuth:
    return auth_for(local)


def test_sign_in_with_an_unknown_email_looks_like_a_wrong_password(cognito: CognitoAuth) -> None:
    with pytest.raises(AuthError) as unknown:
        cognito.sign_in(new_email(), PASSWORD)
    assert unknown.value.code == "NotAuthorizedException"
    assert unknown.value.message == "Incorrect email or password."


@pytest.mark.parametrize("request_code", [CognitoAuth.forgot_password, CognitoAuth.resend_confirmation_code])
def test_code_requests_for_an_unknown_email_look_sent_and_send_nothing(
    cognito: CognitoAuth, local: LocalRun, request_code: object
) -> None:
    email = new_email()
    request_code(cognito, email)  # type: ignore[operator]  # no error: nothing tells the caller the email is unknown
    assert emailed_codes(local, email) == []


def test_confirming_an_unknown_email_is_a_wrong_code(cognito: CognitoAuth) -> None:
    with pytest.raises(AuthError) as unknown:
        cognito.confirm_sign_up(new_email(), "123456")
    assert unknown.value.code == "CodeMismatchException"
