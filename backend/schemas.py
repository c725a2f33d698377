"""API shapes (JSON, snake_case). Validated at the edge; services receive and return these or domain objects."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

_TIMEZONES = frozenset(available_timezones())


def _known_timezone(value: str) -> str:
    if value not in _TIMEZONES:
        raise ValueError("must be an IANA time zone such as 'Europe/Berlin'")
    return value


TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_known_timezone)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
# E.164, as SNS requires for SMS.
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]


class StrictModel(BaseModel):
    """Requests reject unknown fields, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid")


class Preferences(BaseModel):
    email_notifications: bool = True
    sms_phone: PhoneNumber | None = None


class PreferencesUpdate(StrictModel):
    email_notifications: bool | None = None
    sms_phone: PhoneNumber | None = None


class ProfilePublic(BaseModel):
    id: str
    email: str
    display_name: str
    timezone: str | None
    preferences: Preferences
    created_at: datetime
    updated_at: datetime
    version: int


class ProfileUpdate(StrictModel):
    display_name: DisplayName | None = None
    timezone: TimeZoneName | None = None
    preferences: PreferencesUpdate | None = None


class PublicConfig(BaseModel):
    """What a browser or the Reflex backend needs to talk to Cognito (fixed interface)."""

    region: str
    user_pool_id: str
    user_pool_client_id: str
    cognito_endpoint: str | None


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] = Field(default_factory=dict)


class ErrorBody(BaseModel):
    error: ErrorDetail


class OutboxMessage(BaseModel):
    """An email or SMS the local emulator "sent" (local runs only)."""

    id: str
    channel: Literal["email", "sms"]
    to: list[str]
    subject: str | None
    body: str
    html: str | None = None
