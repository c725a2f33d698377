"""API shapes of personal API tokens and of the task email address (issue 16), in the style of ``backend.schemas``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from backend.schemas import Name, StrictModel

Scope = Literal["read", "write"]


def _scope_set(scopes: list[Scope]) -> list[Scope]:
    if "read" not in scopes:
        raise ValueError('must be ["read"] or ["read", "write"]')
    return sorted(set(scopes))  # type: ignore[return-value]


class TokenCreate(StrictModel):
    name: Name = Field(description="what the token is for, e.g. the script that uses it")
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=2), AfterValidator(_scope_set)] = Field(
        description='`["read"]` (GET only) or `["read", "write"]`'
    )


class TokenCreated(BaseModel):
    id: str
    token: str = Field(description="shown this once; send it as `Authorization: Bearer <token>`")


class TokenPublic(BaseModel):
    id: str
    name: str
    scopes: list[Scope]
    created_at: datetime
    last_used_at: datetime | None = Field(description="updated at most once a minute")


class TokenList(BaseModel):
    items: list[TokenPublic]


class TaskEmail(BaseModel):
    task_email: str = Field(description="mail to this secret address becomes a task in your Inbox")
