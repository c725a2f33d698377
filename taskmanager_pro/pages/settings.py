# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Settings: profile, notifications, password, two-step verification, account deletion."""

from __future__ import annotations

import reflex as rx

from taskmanager_pro.components import (
    app_shell,
    blocked,
    code_input,
    confirm_delete_dialog,
    error_message,
    field,
    form,
    password_checklist,
    password_input,
    submit_button,
    text_input,
)
from taskmanager_pro.components.developer import developer_section
from taskmanager_pro.components.import_section import import_section
from taskmanager_pro.components.notification_settings import reminders_section
from taskmanager_pro.components.stats_settings import data_section, goal_section
from taskmanager_pro.components.storage import storage_section
from taskmanager_pro.guards import require_login
from taskmanager_pro.state import SettingsState
from taskmanager_pro.state.base import TIMEZONES
from taskmanager_pro.state.settings import DATE_ORDERS


def section(title: str, description: str, *content: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            rx.text(description, size="2", color_scheme="gray"),
            *content,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def save_button(label: str, busy: rx.Var[bool] | bool) -> rx.Component:
    return submit_button(label, busy, wide=False)


def timezone_select() -> rx.Component:
    """A native select: ~600 IANA zones, type-to-find on desktops, the system picker on phones."""
    return rx.el.select(
        rx.el.option("Choose a time zone", value="", disabled=True),
        *[rx.el.option(zone, value=zone) for zone in TIMEZONES],
        id="timezone",
        name="timezone",
        value=SettingsState.timezone,
        on_change=SettingsState.set_timezone,
        width="100%",
        height="var(--space-7)",
        padding_x="var(--space-2)",
        border_radius="var(--radius-2)",
        border=f"1px solid {rx.color('gray', 7)}",
        background=rx.color("gray", 1),
        color="inherit",
        font_size="var(--font-size-2)",
    )


def profile_section() -> rx.Component:
    return section(
        "Profile",
        "How you appear in the app, and the time zone your due dates and reminders use.",
        form(
            rx.vstack(
                field(
                    "Display name",
                    text_input(
                        "display_name",
                        value=SettingsState.display_name_input,
                        on_change=SettingsState.set_display_name_input,
                        max_length=80,
                        auto_complete="nickname",
                    ),
                    control_id="display_name",
                    error=SettingsState.profile_fields.get("display_name", ""),
                ),
                field(
                    "Time zone",
                    timezone_select(),
                    control_id="timezone",
                    error=SettingsState.profile_fields.get("timezone", ""),
                ),
                field(
                    "Dates typed as numbers",
                    rx.el.select(
                        *[rx.el.option(label, value=order) for order, label in DATE_ORDERS.items()],
                        id="date_order",
                        name="date_order",
                        value=SettingsState.date_order_input,
                        on_change=SettingsState.set_date_order_input,
                    ),
                    control_id="date_order",
                    error=SettingsState.profile_fields.get("preferences.date_order", ""),
                ),
                save_button("Save profile", SettingsState.profile_busy),
                spacing="3",
                align="start",
            ),
            on_submit=SettingsState.save_profile,
        ),
    )


def password_section() -> rx.Component:
    return section(
        "Password",
        "Change the password you sign in with.",
        form(
            rx.vstack(
                field(
                    "Current password",
                    password_input("current_password", autocomplete="current-password"),
                    control_id="current_password",
                ),
                field(
                    "New password",
                    password_input("new_password", autocomplete="new-password", on_change=SettingsState.check_password),
                    control_id="new_password",
                ),
                password_checklist(SettingsState.password_missing),
                error_message(SettingsState.password_error),
                save_button("Change password", SettingsState.password_busy),
                spacing="3",
                align="start",
            ),
            on_submit=SettingsState.change_password,
        ),
    )


def mfa_setup() -> rx.Component:
    return rx.vstack(
        rx.text("1. Scan this code with your authenticator app (or type the key below).", size="2"),
        rx.image(src=SettingsState.totp_qr, alt="QR code for your authenticator app", width="180px", height="180px"),
        rx.hstack(
            rx.text("Key:", size="2"),
            rx.code(SettingsState.totp_secret, id="totp_secret", word_break="break-all"),
            align="center",
            wrap="wrap",
        ),
        rx.text("2. Enter the 6-digit code it shows.", size="2"),
        form(
            rx.vstack(
                field("Code from the app", code_input(one_time=False), control_id="code"),
                rx.hstack(
                    save_button("Verify and turn on", SettingsState.mfa_busy),
                    rx.button("Cancel", variant="soft", type="button", on_click=SettingsState.cancel_mfa_setup),
                ),
                spacing="3",
                align="start",
            ),
            on_submit=SettingsState.verify_mfa,
            reset_on_submit=True,
        ),
        spacing="3",
        align="start",
    )


def mfa_disable() -> rx.Component:
    """Turning it off asks for the password and a current code, as a sign-in would (issue 12)."""
    return form(
        rx.vstack(
            rx.text("To turn two-step verification off, confirm it is you.", size="2"),
            field(
                "Your password",
                password_input("mfa_password", autocomplete="current-password"),
                control_id="mfa_password",
            ),
            field("Code from the app", code_input(one_time=False), control_id="code"),
            rx.hstack(
                rx.button(
                    "Turn off two-step verification",
                    color_scheme="red",
                    type="submit",
                    loading=SettingsState.mfa_busy,
                    disabled=blocked(SettingsState.mfa_busy),
                ),
                rx.button("Cancel", variant="soft", type="button", on_click=SettingsState.cancel_mfa_disable),
            ),
            spacing="3",
            align="start",
        ),
        on_submit=SettingsState.disable_mfa,
        reset_on_submit=True,
    )


def mfa_section() -> rx.Component:
    return section(
        "Two-step verification",
        "Ask for a code from an authenticator app (TOTP) after your password when you sign in.",
        rx.cond(
            SettingsState.mfa_enabled,
            rx.cond(
                SettingsState.mfa_disabling,
                mfa_disable(),
                rx.hstack(
                    rx.badge("On", color_scheme="grass", size="2"),
                    rx.button(
                        "Turn off",
                        variant="soft",
                        color_scheme="red",
                        on_click=SettingsState.begin_mfa_disable,
                        disabled=blocked(SettingsState.mfa_busy),
                    ),
                    align="center",
                ),
            ),
            rx.cond(
                SettingsState.mfa_setup,
                mfa_setup(),
                rx.hstack(
                    rx.badge("Off", color_scheme="gray", size="2"),
                    rx.button(
                        "Set up",
                        on_click=SettingsState.begin_mfa_setup,
                        loading=SettingsState.mfa_busy,
                        disabled=blocked(SettingsState.mfa_busy),
                    ),
                    align="center",
                ),
            ),
        ),
        error_message(SettingsState.mfa_error),
    )


def delete_section() -> rx.Component:
    return section(
        "Delete account",
        "Removes your account and everything in it. This cannot be undone.",
        confirm_delete_dialog(
            trigger="Delete my account",
            title="Delete your account?",
            description=(
                "Your tasks, projects, files, notifications and settings are deleted for good. "
                "Enter your password to confirm."
            ),
            confirmation=field(
                "Your password",
                password_input("delete_password", autocomplete="current-password"),
                control_id="delete_password",
            ),
            keep="Keep my account",
            confirm="Delete for good",
            busy=SettingsState.delete_busy,
            error=SettingsState.delete_error,
            on_submit=SettingsState.delete_account,
            is_open=SettingsState.delete_open,
            on_open_change=SettingsState.set_delete_open,
        ),
    )


@require_login
def settings_page() -> rx.Component:
    return app_shell(
        rx.vstack(
            rx.heading("Settings", size="7", as_="h1"),
            error_message(SettingsState.profile_error),
            rx.cond(
                SettingsState.loaded,
                rx.vstack(
                    profile_section(),
                    reminders_section(),
                    goal_section(),
                    data_section(),
                    import_section(),
                    password_section(),
                    mfa_section(),
                    storage_section(),
                    developer_section(),
                    delete_section(),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(SettingsState.profile_error == "", rx.spinner(size="3")),
            ),
            spacing="4",
            width="100%",
        )
    )
