"""The typed REST client: the one way the UI talks to the TaskManager Pro API."""

from __future__ import annotations

from typing import Any

import httpx

from backend.schemas import Health, OutboxMessage, ProfilePublic, PublicConfig


class ApiError(Exception):
    """An error answer of the API, in the shape of DESIGN.md (``{"error": {code, message, fields}}``)."""

    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or {}

    @classmethod
    def from_response(cls, response: httpx.Response) -> ApiError:
        try:
            error = response.json()["error"]
            return cls(response.status_code, str(error["code"]), str(error["message"]), error.get("fields"))
        except (ValueError, KeyError, TypeError):
            return cls(response.status_code, "http_error", f"The server answered {response.status_code}.")


class ApiClient:
    """Calls ``{base_url}/...`` with the user's Cognito access token, if any.

    Tokens travel only in the ``Authorization`` header, never in URLs.
    """

    def __init__(self, base_url: str, access_token: str | None = None, timeout: float = 10.0) -> None:
        self._base_url = base_url.rstrip("/")
        self._access_token = access_token
        self._timeout = timeout

    def _request(self, method: str, path: str, json: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self._access_token}"} if self._access_token else {}
        try:
            response = httpx.request(
                method, f"{self._base_url}{path}", json=json, headers=headers, timeout=self._timeout
            )
        except httpx.HTTPError as exc:
            raise ApiError(503, "unreachable", "The service cannot be reached. Try again in a moment.") from exc
        if response.is_error:
            raise ApiError.from_response(response)
        return response.json() if response.content else None

    def health(self) -> Health:
        return Health.model_validate(self._request("GET", "/health"))

    def config(self) -> PublicConfig:
        return PublicConfig.model_validate(self._request("GET", "/config"))

    def get_me(self) -> ProfilePublic:
        return ProfilePublic.model_validate(self._request("GET", "/me"))

    def update_me(self, changes: dict[str, Any]) -> ProfilePublic:
        """PATCH /me with only the fields to change (``display_name``, ``timezone``, ``preferences``)."""
        return ProfilePublic.model_validate(self._request("PATCH", "/me", json=changes))

    def delete_me(self) -> None:
        self._request("DELETE", "/me")

    def outbox(self) -> list[OutboxMessage]:
        """What the local emulator "sent" (emails, SMS); only served by a local run."""
        return [OutboxMessage.model_validate(item) for item in self._request("GET", "/local/outbox")]
