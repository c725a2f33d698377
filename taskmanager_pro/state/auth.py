"""The signed-out forms: sign-up, confirmation, sign-in (+ MFA step), forgotten password.

Passwords and codes arrive with the form's submit event and are never kept in the state: only the list
of what a new password still misses is (for the live checklist).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import PASSWORD_POLICY, ApiError, AuthError, MfaChallenge
from taskmanager_pro import routes
from taskmanager_pro.state.base import AppState
from taskmanager_pro.state.clients import call, cognito


def _field(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _email(form: dict[str, Any]) -> str:
    return _field(form, "email").lower()


def _password(form: dict[str, Any], name: str = "password") -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""  # passwords are taken as typed, spaces included


def password_complaint(password: str) -> str:
    """The sentence for a password the policy refuses; empty when it is acceptable."""
    missing = PASSWORD_POLICY.problems(password)
    return f"The password needs {', '.join(missing)}." if missing else ""


class AuthState(AppState):
    """One state for the signed-out forms: they share the email address as the user moves between them."""

    email_input: str = ""
    # What the password being typed still misses (the checklist); the password itself is not kept.
    password_missing: list[str] = PASSWORD_POLICY.problems("")
    mfa_step: bool = False
    _mfa_session: str = ""
    _mfa_email: str = ""
    next_path: str = routes.HOME
    busy: bool = False
    error: str = ""
    notice: str = ""

    # --- helpers -----------------------------------------------------------------------------
    def _clear_form(self) -> None:
        self.password_missing = PASSWORD_POLICY.problems("")
        self.mfa_step = False
        self._mfa_session = ""
        self._mfa_email = ""
        self.busy = False
        self.error = ""
        self.notice = ""

    def _fail(self, error: AuthError | ApiError) -> None:
        self.busy = False
        self.error = error.message

    # --- page loads --------------------------------------------------------------------------
    @rx.event
    def open_form(self) -> None:
        """``on_load`` of the sign-up, confirmation and password pages: a clean form."""
        self._clear_form()

    @rx.event
    async def open_sign_in(self) -> AsyncGenerator[Any, None]:
        """``on_load`` of /sign-in: remember where to go next; skip the form when the session is alive."""
        self._clear_form()
        self.next_path = routes.safe_next(self.router.url.query_parameters.get("next"))
        if await self._ensure_session():
            for event in await self._load_profile():
                yield event
            if self.signed_in:
                yield rx.redirect(self.next_path)

    # --- setters -----------------------------------------------------------------------------
    @rx.event
    def set_email_input(self, value: str) -> None:
        self.email_input = value[:320]

    @rx.event
    def check_password(self, value: str) -> None:
        """``on_change`` of a new-password field: update the checklist, keep nothing else."""
        self.password_missing = PASSWORD_POLICY.problems(value if isinstance(value, str) else "")

    # --- sign-up and confirmation ------------------------------------------------------------
    @rx.event
    async def sign_up(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        email, password = _email(form), _password(form)
        if "@" not in email:
            self.error = "Enter your email address."
            return
        if complaint := password_complaint(password):
            self.error = complaint
            return
        self.busy, self.error = True, ""
        yield
        try:
            await call((await cognito()).sign_up, email, password)
        except (AuthError, ApiError) as error:
            self._fail(error)
            return
        self.busy = False
        self.email_input = email
        yield rx.redirect(routes.CONFIRM)
        yield rx.toast.success(f"We emailed a confirmation code to {email}.")

    @rx.event
    async def confirm(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        email, code = _email(form), _field(form, "code")
        if "@" not in email or not code:
            self.error = "Enter your email address and the code we emailed you."
            return
        self.busy, self.error, self.notice = True, "", ""
        yield
        try:
            await call((await cognito()).confirm_sign_up, email, code)
        except (AuthError, ApiError) as error:
            self._fail(error)
            return
        self.busy = False
        self.email_input = email
        yield rx.redirect(routes.SIGN_IN)
        yield rx.toast.success("Your account is confirmed. Sign in to start.")

    @rx.event
    async def resend_code(self) -> AsyncGenerator[Any, None]:
        email = self.email_input.strip().lower()
        if "@" not in email:
            self.error = "Enter your email address first."
            return
        self.busy, self.error, self.notice = True, "", ""
        yield
        try:
            await call((await cognito()).resend_confirmation_code, email)
        except (AuthError, ApiError) as error:
            self._fail(error)
            return
        self.busy = False
        self.notice = f"We sent a new code to {email}."

    # --- sign-in -----------------------------------------------------------------------------
    @rx.event
    async def sign_in(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        email, password = _email(form), _password(form)
        if "@" not in email or not password:
            self.error = "Enter your email address and password."
            return
        self.busy, self.error = True, ""
        yield
        try:
            result = await call((await cognito()).sign_in, email, password)
        except (AuthError, ApiError) as error:
            self._fail(error)
            self.email_input = email
            return
        self.busy = False
        if isinstance(result, MfaChallenge):
            self._mfa_session, self._mfa_email = result.session, result.email
            self.mfa_step = True
            return
        for event in await self._start_session(result, self.next_path):
            yield event

    @rx.event
    async def answer_mfa(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        code = _field(form, "code")
        if not self._mfa_session:
            self._clear_form()
            self.error = "This sign-in attempt has expired. Start again."
            return
        if not (code.isdigit() and len(code) == 6):
            self.error = "Enter the 6-digit code from your authenticator app."
            return
        self.busy, self.error = True, ""
        yield
        challenge = MfaChallenge(session=self._mfa_session, email=self._mfa_email)
        try:
            tokens = await call((await cognito()).answer_mfa, challenge, code)
        except (AuthError, ApiError) as error:
            self._fail(error)
            if isinstance(error, AuthError) and error.code == "NotAuthorizedException":
                self._clear_form()  # the challenge session is spent: back to email and password
                self.error = "This sign-in attempt has expired. Start again."
            return
        self._mfa_session = self._mfa_email = ""
        self.busy, self.mfa_step = False, False
        for event in await self._start_session(tokens, self.next_path):
            yield event

    @rx.event
    def cancel_mfa(self) -> None:
        self._clear_form()

    # --- forgotten password ------------------------------------------------------------------
    @rx.event
    async def forgot_password(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        email = _email(form)
        if "@" not in email:
            self.error = "Enter your email address."
            return
        self.busy, self.error = True, ""
        yield
        try:
            await call((await cognito()).forgot_password, email)
        except (AuthError, ApiError) as error:
            self._fail(error)
            return
        self.busy = False
        self.email_input = email
        yield rx.redirect(routes.RESET_PASSWORD)
        yield rx.toast.success(f"We emailed a code to {email}.")

    @rx.event
    async def reset_password(self, form: dict[str, Any]) -> AsyncGenerator[Any, None]:
        email, code, password = _email(form), _field(form, "code"), _password(form)
        if "@" not in email or not code:
            self.error = "Enter your email address and the code we emailed you."
            return
        if complaint := password_complaint(password):
            self.error = complaint
            return
        self.busy, self.error = True, ""
        yield
        try:
            await call((await cognito()).confirm_forgot_password, email, code, password)
        except (AuthError, ApiError) as error:
            self._fail(error)
            return
        self.busy = False
        self.email_input = email
        yield rx.redirect(routes.SIGN_IN)
        yield rx.toast.success("Your password is changed. Sign in with the new one.")
