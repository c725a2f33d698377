"""Settings → Reminders: channels (email, in-app, SMS after verifying the number), quiet hours, default reminder,
digest."""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError, ProfilePublic
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call

_E164 = re.compile(r"\+[1-9]\d{6,14}")
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
DEFAULT_REMINDERS: tuple[tuple[str, str], ...] = (
    ("none", "No default reminder"),
    ("0", "At the due time"),
    ("10", "10 minutes before"),
    ("30", "30 minutes before"),
    ("60", "1 hour before"),
    ("1440", "1 day before"),
)


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


class NotificationSettingsState(AppState):
    n_loaded: bool = False
    email_on: bool = True
    in_app: bool = True
    sms_on: bool = False
    sms_verified: bool = False
    sms_phone: str = ""
    quiet_on: bool = False
    quiet_start: str = "22:00"
    quiet_end: str = "07:00"
    default_reminder: str = "none"
    digest_on: bool = False
    digest_time: str = "08:00"
    code_sent: bool = False
    phone_error: str = ""  # shown next to the phone field
    n_busy: bool = False
    n_error: str = ""

    def _show_preferences(self, profile: ProfilePublic) -> None:
        p = profile.preferences
        self.email_on, self.in_app = p.email_notifications, p.in_app_notifications
        self.sms_on, self.sms_verified = p.sms_notifications, p.sms_verified
        self.sms_phone = p.sms_phone or ""
        self.quiet_on = p.quiet_hours is not None
        if p.quiet_hours is not None:
            self.quiet_start, self.quiet_end = p.quiet_hours.start, p.quiet_hours.end
        self.default_reminder = "none" if p.default_reminder_minutes is None else str(p.default_reminder_minutes)
        self.digest_on, self.digest_time = p.digest_enabled, p.digest_time

    @rx.event
    @signed_in
    async def load(self) -> None:
        try:
            profile = await call(self._api().get_me)
        except ApiError as error:
            self.n_error = error.message
            return
        self._show_preferences(profile)
        self.n_loaded = True

    # --- setters (explicit: Reflex 0.10 makes none) ------------------------------------------
    @rx.event
    def set_email_on(self, value: bool) -> None:
        self.email_on = bool(value)

    @rx.event
    def set_in_app(self, value: bool) -> None:
        self.in_app = bool(value)

    @rx.event
    def set_sms_on(self, value: bool) -> None:
        self.sms_on = bool(value) and self.sms_verified

    @rx.event
    def set_quiet_on(self, value: bool) -> None:
        self.quiet_on = bool(value)

    @rx.event
    def set_digest_on(self, value: bool) -> None:
        self.digest_on = bool(value)

    @rx.event
    def set_default_reminder(self, value: str) -> None:
        self.default_reminder = value if value in dict(DEFAULT_REMINDERS) else "none"

    # --- saving ------------------------------------------------------------------------------
    @rx.event
    @signed_in(busy="n_busy")
    async def save(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        start, end, digest = _text(form, "quiet_start"), _text(form, "quiet_end"), _text(form, "digest_time")
        if self.quiet_on and not (_CLOCK.fullmatch(start) and _CLOCK.fullmatch(end)):
            self.n_error = "Give quiet hours as HH:MM."
            return
        if self.digest_on and not _CLOCK.fullmatch(digest):
            self.n_error = "Give the digest time as HH:MM."
            return
        preferences: dict[str, Any] = {
            "email_notifications": self.email_on,
            "in_app_notifications": self.in_app,
            "sms_notifications": self.sms_on and self.sms_verified,
            "quiet_hours": {"start": start, "end": end} if self.quiet_on else None,
            "default_reminder_minutes": None if self.default_reminder == "none" else int(self.default_reminder),
            "digest_enabled": self.digest_on,
        }
        if _CLOCK.fullmatch(digest):
            preferences["digest_time"] = digest
        self.n_error = ""
        yield
        try:
            profile = await call(self._api().update_me, {"preferences": preferences})
        except ApiError as error:
            self.n_error = error.message
            return
        self._show_preferences(profile)
        yield rx.toast.success("Reminder settings saved.")

    @rx.event
    @signed_in(busy="n_busy")
    async def send_code(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        phone = re.sub(r"[\s()-]", "", _text(form, "verify_phone"))
        if not _E164.fullmatch(phone):
            self.phone_error = "Use the international format: + and the country code."
            return
        self.n_error, self.phone_error = "", ""
        yield
        try:
            await call(self._api().send_phone_code, phone)
        except ApiError as error:
            self.phone_error = error.first_problem
            return
        self.code_sent, self.sms_phone, self.sms_verified = True, phone, False
        yield rx.toast.info(f"We texted a code to {phone}.")

    @rx.event
    @signed_in(busy="n_busy")
    async def verify_code(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        code = _text(form, "sms_code")
        if not (code.isdigit() and len(code) == 6):
            self.n_error = "Enter the 6-digit code we texted you."
            return
        self.n_error = ""
        yield
        try:
            preferences = await call(self._api().verify_phone, code)
        except ApiError as error:
            self.n_error = error.first_problem
            return
        self.code_sent = False
        self.sms_verified, self.sms_on = preferences.sms_verified, preferences.sms_notifications
        yield rx.toast.success("Number verified: SMS reminders are on.")
