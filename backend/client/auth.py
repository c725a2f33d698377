"""Cognito user flows on Cognito's public (unauthenticated) API: the same calls locally and in AWS.

Sign-in uses ``USER_PASSWORD_AUTH``: the password already reaches our Reflex backend (state handlers
run server-side), so SRP would not keep it from us; it would only hide it from TLS-terminated Cognito,
and moto does not check SRP passwords, which would leave the local path untested (docs/decisions.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from backend.names import APP_DISPLAY_NAME
from backend.schemas import PublicConfig

# Cognito error codes → what a user can act on. Unknown codes fall back to a generic sentence.
_MESSAGES: dict[str, str] = {
    "NotAuthorizedException": "Incorrect email or password.",
    "UserNotFoundException": "No account exists for this email address.",
    "UserNotConfirmedException": "This account is not confirmed yet. Enter the code we emailed you.",
    "UsernameExistsException": "An account with this email address already exists. Sign in instead.",
    "InvalidPasswordException": "This password does not meet the password policy.",
    "CodeMismatchException": "That code is not correct. Check it and try again.",
    "ExpiredCodeException": "That code has expired. Ask for a new one.",
    "EnableSoftwareTokenMFAException": "That code is not correct. Check your authenticator app and try again.",
    "LimitExceededException": "Too many attempts. Wait a few minutes and try again.",
    "TooManyRequestsException": "Too many requests. Wait a moment and try again.",
    "TooManyFailedAttemptsException": "Too many failed attempts. Wait a few minutes and try again.",
    "InvalidParameterException": "Some of the information entered is not valid.",
    "PasswordResetRequiredException": "You must reset your password. Use 'Forgot password'.",
}


class AuthError(Exception):
    """A Cognito refusal, with a message fit for the user and the Cognito code for logic."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Tokens:
    access_token: str
    id_token: str
    refresh_token: str
    expires_at: float  # epoch seconds


@dataclass(frozen=True)
class MfaChallenge:
    """Sign-in needs the 6-digit code of the user's authenticator app."""

    session: str
    email: str


def _translate(exc: ClientError) -> AuthError:
    code = exc.response.get("Error", {}).get("Code", "Unknown")
    message = _MESSAGES.get(code, "Something went wrong with your account request. Try again.")
    if code == "NotAuthorizedException" and "Refresh Token" in str(exc):
        message = "Your session has ended. Sign in again."
    elif code == "NotAuthorizedException" and "Invalid session" in str(exc):
        message = "This sign-in attempt has expired. Start again."
    elif code == "InvalidParameterException" and "password" in str(exc).lower():
        message = _MESSAGES["InvalidPasswordException"]
    return AuthError(code, message)


class CognitoAuth:
    """Sign-up, confirmation, sign-in (+ TOTP MFA), refresh, password reset and MFA set-up."""

    def __init__(self, config: PublicConfig) -> None:
        self._client_id = config.user_pool_client_id
        # Public Cognito APIs are unsigned: the Reflex backend holds no AWS credentials for them.
        self._cognito: Any = boto3.session.Session().client(
            "cognito-idp",
            region_name=config.region,
            endpoint_url=config.cognito_endpoint,
            config=Config(signature_version=UNSIGNED, retries={"mode": "standard", "max_attempts": 3}),
        )

    def _call(self, operation: str, **params: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = getattr(self._cognito, operation)(**params)
        except ClientError as exc:
            raise _translate(exc) from None
        except BotoCoreError as exc:
            raise AuthError("Unreachable", "The sign-in service cannot be reached. Try again.") from exc
        return result

    @staticmethod
    def _tokens(result: dict[str, Any], refresh_token: str | None = None) -> Tokens:
        auth = result["AuthenticationResult"]
        return Tokens(
            access_token=auth["AccessToken"],
            id_token=auth["IdToken"],
            refresh_token=auth.get("RefreshToken") or refresh_token or "",
            expires_at=time.time() + int(auth.get("ExpiresIn", 3600)),
        )

    # --- sign-up -----------------------------------------------------------------------------
    def sign_up(self, email: str, password: str) -> None:
        self._call(
            "sign_up",
            ClientId=self._client_id,
            Username=email,
            Password=password,
            UserAttributes=[{"Name": "email", "Value": email}],
        )

    def confirm_sign_up(self, email: str, code: str) -> None:
        self._call("confirm_sign_up", ClientId=self._client_id, Username=email, ConfirmationCode=code.strip())

    def resend_confirmation_code(self, email: str) -> None:
        self._call("resend_confirmation_code", ClientId=self._client_id, Username=email)

    # --- sign-in -----------------------------------------------------------------------------
    def sign_in(self, email: str, password: str) -> Tokens | MfaChallenge:
        result = self._call(
            "initiate_auth",
            ClientId=self._client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        if result.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
            return MfaChallenge(session=result["Session"], email=email)
        if "AuthenticationResult" not in result:
            raise AuthError(str(result.get("ChallengeName")), "This sign-in step is not supported.")
        return self._tokens(result)

    def answer_mfa(self, challenge: MfaChallenge, code: str) -> Tokens:
        result = self._call(
            "respond_to_auth_challenge",
            ClientId=self._client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge.session,
            ChallengeResponses={"USERNAME": challenge.email, "SOFTWARE_TOKEN_MFA_CODE": code.strip()},
        )
        return self._tokens(result)

    def refresh(self, refresh_token: str) -> Tokens:
        result = self._call(
            "initiate_auth",
            ClientId=self._client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
        return self._tokens(result, refresh_token=refresh_token)

    def sign_out_everywhere(self, access_token: str) -> None:
        """Global sign-out: revokes every refresh token of the user."""
        self._call("global_sign_out", AccessToken=access_token)

    # --- passwords ---------------------------------------------------------------------------
    def forgot_password(self, email: str) -> None:
        self._call("forgot_password", ClientId=self._client_id, Username=email)

    def confirm_forgot_password(self, email: str, code: str, new_password: str) -> None:
        self._call(
            "confirm_forgot_password",
            ClientId=self._client_id,
            Username=email,
            ConfirmationCode=code.strip(),
            Password=new_password,
        )

    def change_password(self, access_token: str, old_password: str, new_password: str) -> None:
        self._call(
            "change_password",
            AccessToken=access_token,
            PreviousPassword=old_password,
            ProposedPassword=new_password,
        )

    # --- TOTP MFA ----------------------------------------------------------------------------
    def mfa_enabled(self, access_token: str) -> bool:
        user = self._call("get_user", AccessToken=access_token)
        return "SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or [])

    def begin_totp_setup(self, access_token: str) -> str:
        """A new TOTP secret for the user's authenticator app (not active until verified)."""
        return str(self._call("associate_software_token", AccessToken=access_token)["SecretCode"])

    def verify_totp_and_enable(self, access_token: str, code: str) -> None:
        self._call(
            "verify_software_token",
            AccessToken=access_token,
            UserCode=code.strip(),
            FriendlyDeviceName=APP_DISPLAY_NAME,
        )
        self._set_mfa(access_token, enabled=True)

    def disable_mfa(self, email: str, password: str, code: str) -> None:
        """Turn TOTP off after a re-authentication: the password and a current code of the authenticator app.

        Cognito has no call that checks a code of an app already in use but sign-in, so this is a sign-in whose
        fresh (discarded) session turns MFA off: a session alone (an unattended browser) cannot do it.
        """
        code = code.strip()
        if not (code.isdigit() and len(code) == 6):
            raise AuthError("CodeMismatchException", "Enter the 6-digit code from your authenticator app.")
        if not password:
            raise AuthError("NotAuthorizedException", "Enter your password.")
        result = self.sign_in(email, password)
        # No challenge: MFA is off already (say, from another tab), so there is no code to check nor anything to do.
        tokens = self.answer_mfa(result, code) if isinstance(result, MfaChallenge) else result
        self._set_mfa(tokens.access_token, enabled=False)

    def _set_mfa(self, access_token: str, *, enabled: bool) -> None:
        self._call(
            "set_user_mfa_preference",
            AccessToken=access_token,
            SoftwareTokenMfaSettings={"Enabled": enabled, "PreferredMfa": enabled},
        )


def totp_uri(secret: str, email: str) -> str:
    """The ``otpauth://`` URI that authenticator apps read from a QR code."""
    issuer = quote(APP_DISPLAY_NAME)
    return f"otpauth://totp/{issuer}:{quote(email)}?secret={secret}&issuer={issuer}&digits=6&period=30"
