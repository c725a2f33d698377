"""The settings page: profile, notification preferences, password, two-step verification, account deletion."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx
import segno

from backend.client import PASSWORD_POLICY, ApiError, AuthError, ProfilePublic, totp_uri
from taskmanager_pro import routes
from taskmanager_pro.state.auth import password_complaint
from taskmanager_pro.state.base import TIMEZONES, AppState, signed_in
from taskmanager_pro.state.clients import call, cognito


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _qr_data_uri(uri: str) -> str:
    """The ``otpauth://`` URI as a QR code, an SVG data URI (no request to anyone else)."""
    # Explicit colours and quiet zone: in dark mode a transparent background would hide the dark modules.
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff"))


# How quick add reads a numeric date such as 1/2 (the profile's date_order, issue 14).
DATE_ORDERS = {"DMY": "Day first (24/12)", "MDY": "Month first (12/24)", "YMD": "Year first (2026/12/24)"}


class SettingsState(AppState):
    loaded: bool = False

    # profile (as last saved, then as edited); the notification preferences are NotificationSettingsState's
    display_name_input: str = ""
    timezone: str = ""
    date_order_input: str = "DMY"  # how quick add reads 1/2 (issue 14)
    profile_busy: bool = False
    profile_error: str = ""
    # field name (as the API names it: "display_name", "timezone") → what is wrong
    profile_fields: dict[str, str] = {}

    # password
    password_missing: list[str] = PASSWORD_POLICY.problems("")
    password_busy: bool = False
    password_error: str = ""

    # two-step verification (TOTP)
    mfa_enabled: bool = False
    mfa_setup: bool = False
    totp_secret: str = ""
    totp_qr: str = ""
    mfa_busy: bool = False
    mfa_error: str = ""
    mfa_disabling: bool = False  # the form asking for the password and a code before turning it off

    # account deletion
    delete_open: bool = False
    delete_busy: bool = False
    delete_error: str = ""

    def _show(self, profile: ProfilePublic) -> None:
        self._show_profile(profile)
        self.display_name_input = profile.display_name
        self.timezone = profile.timezone or ""
        self.date_order_input = profile.preferences.date_order

    # --- loading -----------------------------------------------------------------------------
    @rx.event
    @signed_in
    async def load(self) -> AsyncGenerator[Any, None]:
        """``on_load``, after ``check_login``: the profile and the MFA status, fresh from the services."""
        self.reset()  # nothing left over from another visit (a half-done MFA set-up, old errors)
        try:
            profile = await call(self._api().get_me)
            self.mfa_enabled = await call((await cognito()).mfa_enabled, self._access_token)
        except (ApiError, AuthError) as error:
            self.profile_error = error.message
            return
        self._show(profile)
        self.loaded = True
        yield

    # --- setters (explicit: Reflex 0.10 makes none) ------------------------------------------
    @rx.event
    def set_display_name_input(self, value: str) -> None:
        self.display_name_input = value

    @rx.event
    def set_timezone(self, value: str) -> None:
        self.timezone = value

    @rx.event
    def set_date_order_input(self, value: str) -> None:
        self.date_order_input = value if value in DATE_ORDERS else "DMY"

    @rx.event
    def check_password(self, value: str) -> None:
        self.password_missing = PASSWORD_POLICY.problems(value if isinstance(value, str) else "")

    @rx.event
    def set_delete_open(self, value: bool) -> None:
        self.delete_open = bool(value)
        self.delete_error = ""

    # --- profile and preferences -------------------------------------------------------------
    async def _save(self, changes: dict[str, Any], done: str) -> AsyncGenerator[Any, None]:
        self.profile_error, self.profile_fields = "", {}
        yield
        try:
            profile = await call(self._api().update_me, changes)
        except ApiError as error:
            self.profile_error, self.profile_fields = error.message, dict(error.fields)
            return
        self._show(profile)
        yield rx.toast.success(done)

    @rx.event
    @signed_in(busy="profile_busy")
    async def save_profile(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        name, zone = _text(form, "display_name"), _text(form, "timezone")
        changes: dict[str, Any] = {"display_name": name}
        if zone:
            changes["timezone"] = zone
        if _text(form, "date_order") in DATE_ORDERS:
            changes["preferences"] = {"date_order": _text(form, "date_order")}
        if not name:
            self.profile_fields = {"display_name": "Enter a name."}
            return
        if zone and zone not in TIMEZONES:
            self.profile_fields = {"timezone": "Choose a time zone from the list."}
            return
        async for event in self._save(changes, "Profile saved."):
            yield event

    # --- password ----------------------------------------------------------------------------
    @rx.event
    @signed_in(busy="password_busy")
    async def change_password(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        current, new = form.get("current_password"), form.get("new_password")
        if not isinstance(current, str) or not isinstance(new, str) or not current:
            self.password_error = "Enter your current password and a new one."  # noqa: S105 (a message)
            return
        if complaint := password_complaint(new):
            self.password_error = complaint
            return
        self.password_error = ""
        yield
        try:
            await call((await cognito()).change_password, self._access_token, current, new)
        except (AuthError, ApiError) as error:
            wrong_current = isinstance(error, AuthError) and error.code == "NotAuthorizedException"
            self.password_error = "Your current password is not correct." if wrong_current else error.message
            return
        self.password_missing = PASSWORD_POLICY.problems("")
        yield rx.set_value("current_password", "")
        yield rx.set_value("new_password", "")
        yield rx.toast.success("Password changed.")

    # --- two-step verification ---------------------------------------------------------------
    @rx.event
    @signed_in(busy="mfa_busy")
    async def begin_mfa_setup(self) -> AsyncGenerator[Any, None]:
        self.mfa_error = ""
        yield
        try:
            secret = await call((await cognito()).begin_totp_setup, self._access_token)
        except (AuthError, ApiError) as error:
            self.mfa_error = error.message
            return
        self.totp_secret = secret
        self.totp_qr = _qr_data_uri(totp_uri(secret, self.email))
        self.mfa_setup = True

    @rx.event
    @signed_in(busy="mfa_busy")
    async def verify_mfa(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        code = _text(form, "code")
        if not (code.isdigit() and len(code) == 6):
            self.mfa_error = "Enter the 6-digit code from your authenticator app."
            return
        self.mfa_error = ""
        yield
        try:
            await call((await cognito()).verify_totp_and_enable, self._access_token, code)
        except (AuthError, ApiError) as error:
            self.mfa_error = error.message
            return
        self.mfa_setup, self.mfa_enabled = False, True
        self.totp_secret = self.totp_qr = ""
        yield rx.toast.success("Two-step verification is on. Sign-in now asks for a code.")

    @rx.event
    def cancel_mfa_setup(self) -> None:
        self.mfa_setup, self.mfa_error = False, ""
        self.totp_secret = self.totp_qr = ""

    @rx.event
    def begin_mfa_disable(self) -> None:
        self.mfa_disabling, self.mfa_error = True, ""

    @rx.event
    def cancel_mfa_disable(self) -> None:
        self.mfa_disabling, self.mfa_error = False, ""

    @rx.event
    @signed_in(busy="mfa_busy")
    async def disable_mfa(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        """Turning the second step off asks for the password and a current code (issue 12): whoever finds the
        browser signed in must not be able to weaken the account."""
        password, code = form.get("mfa_password"), _text(form, "code")
        if not isinstance(password, str) or not password:
            self.mfa_error = "Enter your password."
            return
        if not (code.isdigit() and len(code) == 6):
            self.mfa_error = "Enter the 6-digit code from your authenticator app."
            return
        self.mfa_error = ""
        yield
        try:
            await call((await cognito()).disable_mfa, self.email, password, code)
        except (AuthError, ApiError) as error:
            wrong_password = isinstance(error, AuthError) and error.code == "NotAuthorizedException"
            self.mfa_error = "Your password is not correct." if wrong_password else error.message
            return
        self.mfa_enabled = self.mfa_disabling = False
        yield rx.toast.info("Two-step verification is off.")

    # --- account deletion --------------------------------------------------------------------
    @rx.event
    @signed_in(busy="delete_busy")
    async def delete_account(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        password = form.get("delete_password")
        if not isinstance(password, str) or not password:
            self.delete_error = "Enter your password to confirm."
            return
        self.delete_error = ""
        yield
        try:
            await call(self._api().delete_me, password)
        except ApiError as error:
            self.delete_error = error.message
            return
        # Every token of the account is refused now: only this browser's session is left to forget.
        app = await self.get_state(AppState)
        app.reset()
        yield rx.redirect(routes.SIGN_UP)
        yield rx.toast.info("Your account and its data are deleted.")
