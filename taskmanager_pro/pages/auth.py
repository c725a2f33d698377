# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The signed-out pages: sign-up, confirmation, sign-in (+ MFA step), forgot and reset password."""

from __future__ import annotations

import reflex as rx

from taskmanager_pro import routes
from taskmanager_pro.components import (
    auth_layout,
    blocked,
    code_input,
    error_message,
    field,
    form,
    notice_message,
    password_checklist,
    password_input,
    submit_button,
    text_input,
)
from taskmanager_pro.state import AuthState


def email_field() -> rx.Component:
    return field(
        "Email",
        text_input(
            "email",
            input_type="email",
            auto_complete="email",
            required=True,
            value=AuthState.email_input,
            on_change=AuthState.set_email_input,
        ),
        control_id="email",
    )


def new_password_field(label: str = "Password") -> rx.Component:
    return rx.vstack(
        field(
            label,
            password_input("password", autocomplete="new-password", on_change=AuthState.check_password),
            control_id="password",
        ),
        password_checklist(AuthState.password_missing),
        width="100%",
        spacing="2",
    )


def link_line(text: str, label: str, href: str) -> rx.Component:
    return rx.text(text, " ", rx.link(label, href=href), size="2", color_scheme="gray")


def sign_up_page() -> rx.Component:
    return auth_layout(
        "Create your account",
        form(
            rx.vstack(
                email_field(),
                new_password_field(),
                error_message(AuthState.error),
                submit_button("Create account", AuthState.busy),
                spacing="4",
            ),
            on_submit=AuthState.sign_up,
        ),
        link_line("Already have an account?", "Sign in", routes.SIGN_IN),
    )


def confirm_page() -> rx.Component:
    return auth_layout(
        "Confirm your email",
        rx.text("Enter the 6-digit code we emailed you.", size="2"),
        form(
            rx.vstack(
                email_field(),
                field("Confirmation code", code_input(), control_id="code"),
                error_message(AuthState.error),
                notice_message(AuthState.notice),
                submit_button("Confirm", AuthState.busy),
                spacing="4",
            ),
            on_submit=AuthState.confirm,
        ),
        rx.button(
            "Send a new code",
            variant="ghost",
            on_click=AuthState.resend_code,
            disabled=blocked(AuthState.busy),
            type="button",
        ),
        link_line("Confirmed already?", "Sign in", routes.SIGN_IN),
    )


def password_step() -> rx.Component:
    return rx.vstack(
        form(
            rx.vstack(
                email_field(),
                field(
                    "Password",
                    password_input("password", autocomplete="current-password"),
                    control_id="password",
                ),
                error_message(AuthState.error),
                submit_button("Sign in", AuthState.busy),
                spacing="4",
            ),
            on_submit=AuthState.sign_in,
        ),
        link_line("Forgot your password?", "Reset it", routes.FORGOT_PASSWORD),
        link_line("New here?", "Create an account", routes.SIGN_UP),
        link_line("Not confirmed yet?", "Enter your code", routes.CONFIRM),
        spacing="3",
        width="100%",
    )


def mfa_step() -> rx.Component:
    return rx.vstack(
        rx.text("Enter the 6-digit code from your authenticator app.", size="2"),
        form(
            rx.vstack(
                field("Authentication code", code_input(), control_id="code"),
                error_message(AuthState.error),
                submit_button("Verify", AuthState.busy),
                spacing="4",
            ),
            on_submit=AuthState.answer_mfa,
            reset_on_submit=True,
        ),
        rx.button("Use another account", variant="ghost", on_click=AuthState.cancel_mfa, type="button"),
        spacing="3",
        width="100%",
    )


def sign_in_page() -> rx.Component:
    return auth_layout("Sign in", rx.cond(AuthState.mfa_step, mfa_step(), password_step()))


def forgot_password_page() -> rx.Component:
    return auth_layout(
        "Reset your password",
        rx.text("We will email you a code to choose a new password.", size="2"),
        form(
            rx.vstack(
                email_field(),
                error_message(AuthState.error),
                submit_button("Email me a code", AuthState.busy),
                spacing="4",
            ),
            on_submit=AuthState.forgot_password,
        ),
        link_line("Remembered it?", "Sign in", routes.SIGN_IN),
    )


def reset_password_page() -> rx.Component:
    return auth_layout(
        "Choose a new password",
        form(
            rx.vstack(
                email_field(),
                field("Code from the email", code_input(), control_id="code"),
                new_password_field("New password"),
                error_message(AuthState.error),
                submit_button("Change password", AuthState.busy),
                spacing="4",
            ),
            on_submit=AuthState.reset_password,
        ),
        link_line("No code?", "Send another", routes.FORGOT_PASSWORD),
    )
