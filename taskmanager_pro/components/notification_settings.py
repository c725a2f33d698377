# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Settings → Reminders (issue 5): channels, SMS number verification, quiet hours, default reminder, digest."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.components import field, form, submit_button, text_input
from taskmanager_pro.components.tasks import native_select
from taskmanager_pro.state import notification_settings

N: Any = notification_settings.NotificationSettingsState


def _switch(label: str, checked: Any, on_change: Any, **props: Any) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.switch(checked=checked, on_change=on_change, **props),
            rx.text(label, size="2"),
            align="center",
            spacing="2",
        )
    )


def _time_input(name: str, value: Any, label: str) -> rx.Component:
    return rx.input(name=name, id=name, type="time", default_value=value, aria_label=label, size="2", width="8em")


def sms_verification() -> rx.Component:
    return rx.vstack(
        rx.cond(
            N.sms_verified,
            rx.hstack(
                rx.badge("Verified", color_scheme="grass"),
                rx.text(N.sms_phone, size="2"),
                align="center",
            ),
            rx.text("Verify a number to get reminders by SMS.", size="2", color_scheme="gray"),
        ),
        form(
            rx.hstack(
                field(
                    "Phone number for SMS reminders",
                    text_input(
                        "verify_phone",
                        input_type="tel",
                        default_value=N.sms_phone,
                        placeholder="+4915112345678",
                        auto_complete="tel",
                    ),
                    control_id="verify_phone",
                    hint="International format: + and the country code.",
                    error=N.phone_error,
                ),
                rx.button("Send code", type="submit", variant="soft", loading=N.n_busy),
                align="end",
                wrap="wrap",
            ),
            on_submit=N.send_code,
        ),
        rx.cond(
            N.code_sent,
            form(
                rx.hstack(
                    field("Code from the SMS", text_input("sms_code", input_mode="numeric"), control_id="sms_code"),
                    rx.button("Verify", type="submit", loading=N.n_busy),
                    align="end",
                    wrap="wrap",
                ),
                on_submit=N.verify_code,
                reset_on_submit=True,
            ),
        ),
        spacing="2",
        width="100%",
    )


def reminders_section() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Reminders", size="4", as_="h2"),
            rx.text(
                "Where reminders reach you, when they must wait, and a daily digest of what is due.",
                size="2",
                color_scheme="gray",
            ),
            sms_verification(),
            rx.separator(size="4"),
            form(
                rx.vstack(
                    _switch("Email me reminders", N.email_on, N.set_email_on),
                    _switch("Show reminders in the app (the bell)", N.in_app, N.set_in_app),
                    _switch("Text me reminders (SMS)", N.sms_on, N.set_sms_on, disabled=~N.sms_verified),
                    _switch("Quiet hours: no email or SMS", N.quiet_on, N.set_quiet_on),
                    rx.cond(
                        N.quiet_on,
                        rx.hstack(
                            rx.text("from", size="2"),
                            _time_input("quiet_start", N.quiet_start, "Quiet hours start"),
                            rx.text("to", size="2"),
                            _time_input("quiet_end", N.quiet_end, "Quiet hours end"),
                            align="center",
                            wrap="wrap",
                        ),
                    ),
                    field(
                        "Default reminder for tasks with a due time",
                        native_select(
                            *[rx.el.option(text, value=key) for key, text in notification_settings.DEFAULT_REMINDERS],
                            value=N.default_reminder,
                            on_change=N.set_default_reminder,
                            id="default_reminder",
                        ),
                        control_id="default_reminder",
                    ),
                    _switch("Daily digest email", N.digest_on, N.set_digest_on),
                    rx.cond(
                        N.digest_on,
                        rx.hstack(
                            rx.text("at", size="2"),
                            _time_input("digest_time", N.digest_time, "Digest time"),
                            align="center",
                        ),
                    ),
                    rx.cond(N.n_error != "", rx.text(N.n_error, size="2", color_scheme="red", role="alert")),
                    submit_button("Save reminder settings", N.n_busy, wide=False),
                    spacing="3",
                    align="start",
                ),
                on_submit=N.save,
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
