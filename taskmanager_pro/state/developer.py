"""Settings → Developer (issue 16): personal API tokens and the secret task email address."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call


@dataclasses.dataclass(frozen=True)
class TokenRow:
    id: str
    name: str
    scopes: str
    created: str
    last_used: str


class DeveloperState(AppState):
    tokens: list[TokenRow] = []
    token_name: str = ""
    token_write: bool = False
    new_token: str = ""  # shown once, right after it was made
    token_error: str = ""
    creating: bool = False
    task_email: str = ""
    task_email_error: str = ""

    @rx.event
    def set_token_name(self, value: str) -> None:
        self.token_name = value

    @rx.event
    def set_token_write(self, value: bool) -> None:
        self.token_write = value

    @rx.event
    @signed_in
    async def load_developer(self) -> AsyncGenerator[Any, None]:
        try:
            tokens = await call(self._api().list_tokens)
            me = await call(self._api().get_me)
        except ApiError as error:
            self.token_error = error.message
            return
        self.token_error = ""
        self.tokens = [
            TokenRow(
                id=t.id,
                name=t.name,
                scopes=" + ".join(t.scopes),
                created=f"{t.created_at:%Y-%m-%d}",
                last_used=f"{t.last_used_at:%Y-%m-%d %H:%M} UTC" if t.last_used_at else "never",
            )
            for t in tokens
        ]
        self.task_email = me.task_email or ""
        yield

    @rx.event
    @signed_in
    async def create_token(self, _: dict[str, Any] | None = None) -> AsyncGenerator[Any, None]:
        name = self.token_name.strip()
        if not name:
            self.token_error = "Give the token a name, e.g. the script that will use it."  # noqa: S105
            return
        self.creating, self.token_error, self.new_token = True, "", ""
        yield
        scopes = ["read", "write"] if self.token_write else ["read"]
        try:
            made = await call(self._api().create_token, name, scopes)
        except ApiError as error:
            self.token_error = error.message
            self.creating = False
            return
        self.creating, self.new_token, self.token_name = False, made.token, ""
        row = TokenRow(id=made.id, name=name, scopes=" + ".join(scopes), created="today", last_used="never")
        self.tokens = [row, *self.tokens]

    @rx.event
    def dismiss_new_token(self) -> None:
        self.new_token = ""

    @rx.event
    @signed_in
    async def revoke_token(self, token_id: str) -> AsyncGenerator[Any, None]:
        before = list(self.tokens)
        self.tokens = [t for t in self.tokens if t.id != token_id]  # the row goes first
        yield
        try:
            await call(self._api().revoke_token, token_id)
        except ApiError as error:
            if error.status != 404:  # already gone is what we wanted
                self.tokens, self.token_error = before, error.message

    @rx.event
    @signed_in
    async def new_task_email(self) -> AsyncGenerator[Any, None]:
        self.task_email_error = ""
        yield
        try:
            self.task_email = await call(self._api().new_task_email)
        except ApiError as error:
            self.task_email_error = error.message
