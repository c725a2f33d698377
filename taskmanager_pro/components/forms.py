# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Form pieces shared by the auth pages and settings: labelled fields, messages, the password checklist."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.client import PASSWORD_POLICY


def field(label: str, control: rx.Component, *, control_id: str, hint: str = "", error: Any = "") -> rx.Component:
    """A labelled control (the label names it for screen readers and tests), a hint and its error."""
    return rx.vstack(
        rx.el.label(label, html_for=control_id, font_size="var(--font-size-2)", font_weight="500"),
        control,
        rx.cond(hint != "", rx.text(hint, size="1", color_scheme="gray")),
        rx.cond(error, rx.text(error, size="1", color_scheme="red", role="alert")),
        spacing="1",
        width="100%",
    )


def text_input(name: str, *, input_type: str = "text", **props: Any) -> rx.Component:
    """An input named ``name`` (form data key) whose id is ``name`` too (so ``field`` labels it)."""
    return rx.input(name=name, id=name, type=input_type, size="3", width="100%", **props)


def password_input(name: str, *, autocomplete: str, **props: Any) -> rx.Component:
    return text_input(name, input_type="password", auto_complete=autocomplete, required=True, **props)


def code_input(name: str = "code", *, one_time: bool = True) -> rx.Component:
    """A 6-digit code field; phones show the number pad and offer the code from the message."""
    return text_input(
        name,
        input_mode="numeric",
        auto_complete="one-time-code" if one_time else "off",
        max_length=6,
        placeholder="123456",
        required=True,
    )


def error_message(message: Any) -> rx.Component:
    """A refusal, in words a user can act on (never a stack trace: handlers only set readable messages)."""
    return rx.cond(
        message,
        rx.callout(message, icon="circle-alert", color_scheme="red", role="alert", width="100%"),
    )


def notice_message(message: Any) -> rx.Component:
    return rx.cond(
        message,
        rx.callout(message, icon="info", color_scheme="blue", role="status", width="100%"),
    )


def blocked(busy: Any) -> Any:
    """Whether a button must wait: the page is not hydrated yet (its handlers are not live) or a request runs.

    Before hydration a click would submit the prerendered form natively, bypassing the handler.
    """
    return busy | ~rx.State.is_hydrated


def form(*children: rx.Component, on_submit: Any, **props: Any) -> rx.Component:
    """A form handled by ``on_submit``; ``post`` so that even a native submit never puts a password in a URL."""
    return rx.form(*children, on_submit=on_submit, method="post", width="100%", **props)


def submit_button(label: Any, busy: Any, *, wide: bool = True, **props: Any) -> rx.Component:
    """Disabled (with a spinner) while its request runs, so nobody submits twice."""
    size, width = ("3", "100%") if wide else ("2", "auto")
    return rx.button(label, type="submit", loading=busy, disabled=blocked(busy), size=size, width=width, **props)


def dialog_buttons(label: Any, busy: Any, *leading: rx.Component) -> rx.Component:
    """The row closing a dialog's form: ``leading`` (e.g. a delete) on the left, Cancel and the submit on the right."""
    return rx.hstack(
        *leading,
        rx.spacer(),
        rx.dialog.close(rx.button("Cancel", variant="soft", color_scheme="gray", type="button")),
        submit_button(label, busy, wide=False),
        width="100%",
        align="center",
    )


def confirm_dialog(
    *, open_: Any, on_open_change: Any, title: Any, description: Any, confirm: str, on_confirm: Any
) -> rx.Component:
    """Asks before a step that cannot be taken back: Cancel, or the red ``confirm``."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(confirm, color_scheme="red", on_click=on_confirm)),
                spacing="3",
                justify="end",
                margin_top="4",
            ),
            max_width="26em",
        ),
        open=open_,
        on_open_change=on_open_change,
    )


def password_checklist(missing: Any) -> rx.Component:
    """The password policy as a checklist that ticks itself while the user types.

    ``missing`` is the Var holding ``PASSWORD_POLICY.problems(password)``: each rule is met when its
    sentence is not in that list.
    """

    def rule(text: str) -> rx.Component:
        met = ~missing.contains(text.lower())
        return rx.hstack(
            rx.cond(
                met,
                rx.icon("circle-check", size=16, color=rx.color("grass", 10)),
                rx.icon("circle", size=16, color=rx.color("gray", 9)),
            ),
            rx.text(text[:1].upper() + text[1:], size="2", color_scheme=rx.cond(met, "grass", "gray")),
            spacing="2",
            align="center",
            data_met=rx.cond(met, "true", "false"),
        )

    return rx.vstack(
        rx.text("Your password needs:", size="2", weight="medium"),
        *[rule(text) for text in PASSWORD_POLICY.rules()],
        spacing="1",
        aria_live="polite",
        width="100%",
    )


def confirm_delete_dialog(
    *,
    trigger: str,
    title: str,
    description: str,
    confirmation: rx.Component,
    keep: str,
    confirm: str,
    busy: Any,
    error: Any,
    on_submit: Any,
    is_open: Any,
    on_open_change: Any,
) -> rx.Component:
    """A red button that opens a dialog asking to type something (``confirmation``) before deleting for good."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(trigger, color_scheme="red", variant="soft", width="fit-content")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            form(
                rx.vstack(
                    confirmation,
                    error_message(error),
                    rx.hstack(
                        rx.alert_dialog.cancel(rx.button(keep, variant="soft", type="button")),
                        rx.button(confirm, color_scheme="red", type="submit", loading=busy, disabled=blocked(busy)),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                ),
                on_submit=on_submit,
            ),
            max_width="28em",
        ),
        open=is_open,
        on_open_change=on_open_change,
    )
