"""The user pool through Cognito's API, for one user at a time (the API Lambda's role allows exactly these calls)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from backend.errors import NotAuthenticatedError


class CognitoDirectory:
    def __init__(self, *, cognito: Any, user_pool_id: str, client_id: str = "") -> None:
        self._cognito = cognito
        self._pool = user_pool_id
        self._client_id = client_id  # the app client users sign in with (password checks only)

    def email_of(self, user_id: str) -> str | None:
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=user_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return attributes.get("email")

    def user_id_of(self, email: str) -> str | None:
        # The pool signs in by e-mail (username attribute), so AdminGetUser takes the address: one call, and the
        # role already has it (ListUsers with a filter would need another grant and reads more).
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=email)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        if attributes.get("email_verified") != "true" or not user.get("Enabled", True):
            return None  # an address nobody proved: its invitation waits for whoever verifies it
        return attributes.get("sub") or None

    def delete_user(self, user_id: str) -> None:
        try:
            self._cognito.admin_delete_user(UserPoolId=self._pool, Username=user_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UserNotFoundException":  # already gone: the goal is met
                raise

    def password_matches(self, user_id: str, password: str) -> bool:
        # The sign-in the app itself uses (USER_PASSWORD_AUTH on the app client): no admin auth flow to enable or
        # allow. Cognito asks for the MFA code only after a right password, so a challenge means "right" too;
        # the tokens of a successful check are not kept. Wrong attempts count towards Cognito's lockout.
        try:
            self._cognito.initiate_auth(
                ClientId=self._client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": user_id, "PASSWORD": password},
            )
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code == "NotAuthorizedException":
                return False
            if code == "UserNotFoundException":
                raise NotAuthenticatedError("This account no longer exists.") from None
            raise
        return True

    def sign_out_everywhere(self, user_id: str) -> None:
        try:
            self._cognito.admin_user_global_sign_out(UserPoolId=self._pool, Username=user_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UserNotFoundException":  # no user, no sessions
                raise
