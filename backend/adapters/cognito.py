"""The user pool through Cognito's admin API (the API Lambda's role allows these two calls only)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError


class CognitoDirectory:
    def __init__(self, *, cognito: Any, user_pool_id: str) -> None:
        self._cognito = cognito
        self._pool = user_pool_id

    def email_of(self, user_id: str) -> str | None:
        try:
            user = self._cognito.admin_get_user(UserPoolId=self._pool, Username=user_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "UserNotFoundException":
                return None
            raise
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        return attributes.get("email")

    def delete_user(self, user_id: str) -> None:
        try:
            self._cognito.admin_delete_user(UserPoolId=self._pool, Username=user_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "UserNotFoundException":  # already gone: the goal is met
                raise
