# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Quick add: the input on top of every list and the dialog behind the ``q`` shortcut; chips show what the
typed line means before it is saved."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.state import quick_add

QuickAddState: Any = quick_add.QuickAddState  # (untyped for mypy, as every Var in a component)
PLACEHOLDER = "Add a task: “Call mom tomorrow 5pm p1 #Family @phone”"


def chip(item: Any) -> rx.Component:
    return rx.badge(
        rx.icon(item.icon, size=12),
        item.label,
        rx.cond(item.hint != "", rx.text("· ", item.hint, as_="span", weight="regular", opacity="0.8")),
        variant="soft",
        color_scheme=item.color,
        radius="full",
        size="2",
        title=rx.cond(item.text != "", "from “" + item.text + "”", item.hint),
        data_kind=item.kind,
        class_name="tmp-chip",
    )


def chips() -> rx.Component:
    return rx.cond(
        QuickAddState.chips.length() > 0,
        rx.hstack(
            rx.cond(
                QuickAddState.qa_title != "",
                rx.text(QuickAddState.qa_title, size="2", weight="medium", truncate=True, max_width="16em"),
            ),
            rx.foreach(QuickAddState.chips, chip),
            spacing="2",
            wrap="wrap",
            align="center",
            aria_live="polite",
            aria_label="Quick add understood",
            role="status",
        ),
    )


def suggestion(item: Any) -> rx.Component:
    return rx.button(
        rx.icon(item.icon, size=12),
        item.name,
        rx.cond(item.detail != "", rx.text("· ", item.detail, as_="span", size="1", color_scheme="gray")),
        type="button",
        variant="soft",
        color_scheme=rx.cond(item.detail == "new label", "amber", "gray"),
        size="1",
        radius="full",
        on_click=QuickAddState.pick_suggestion(item.insert),
        class_name="tmp-suggestion",
    )


def suggestion_list() -> rx.Component:
    """What the #project, @label or /section being typed may be (Tab reaches them; a click puts it in the line)."""
    return rx.cond(
        QuickAddState.qa_suggestions.length() > 0,
        rx.hstack(
            rx.foreach(QuickAddState.qa_suggestions, suggestion),
            spacing="1",
            wrap="wrap",
            role="group",  # buttons: Tab, the arrow keys (components/keyboard.py) and a click reach them
            aria_label="Suggestions",
        ),
    )


def warnings() -> rx.Component:
    return rx.foreach(
        QuickAddState.qa_warnings,
        lambda warning: rx.text(
            rx.icon("triangle-alert", size=12), " ", warning, size="1", color_scheme="amber", role="status"
        ),
    )


def quick_add_form(input_id: str, *, autofocus: bool = False) -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                rx.input.slot(rx.icon("plus", size=16, color=rx.color("accent", 10))),
                name="text",
                id=input_id,
                value=QuickAddState.qa_text,
                on_change=QuickAddState.set_qa_text,
                debounce_timeout=300,
                placeholder=PLACEHOLDER,
                aria_label="Quick add",
                auto_complete="off",
                auto_focus=autofocus,
                max_length=1000,
                size="3",
                flex="1",
                min_width="0",
            ),
            rx.button(
                "Add",
                type="submit",
                size="3",
                # Never disabled once hydrated: the input's value reaches the state after the debounce, and a
                # disabled default button blocks Enter's implicit form submission. ``save`` ignores an empty line
                # and a repeat of the one just saved.
                disabled=~rx.State.is_hydrated,
            ),
            spacing="2",
            width="100%",
        ),
        on_submit=QuickAddState.save,
        method="post",
        width="100%",
    )


def quick_add_bar() -> rx.Component:
    """The input on top of a list."""
    return rx.vstack(
        quick_add_form("quick-add-input"),
        rx.cond(~QuickAddState.dialog_open, rx.fragment(suggestion_list(), chips(), warnings())),
        rx.cond(
            ~QuickAddState.dialog_open & (QuickAddState.qa_error != ""),
            rx.text(QuickAddState.qa_error, size="1", color_scheme="red", role="alert"),
        ),
        spacing="2",
        width="100%",
        custom_attrs={"data-quick-add": "bar"},  # the arrow keys' scope (components/keyboard.py)
    )


def quick_add_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Quick add", size="4"),
            rx.vstack(
                quick_add_form("quick-add-dialog-input", autofocus=True),
                suggestion_list(),
                chips(),
                warnings(),
                rx.cond(
                    QuickAddState.qa_error != "",
                    rx.text(QuickAddState.qa_error, size="1", color_scheme="red", role="alert"),
                ),
                rx.text(
                    "Dates (tomorrow, next fri, in 2 weeks, 24/12, next quarter), times (5pm), repeats (every "
                    "monday, every month on the 1st, every last friday), p1 to p4, #project, /section, @label. "
                    "Down reaches the suggestions. Enter saves, Esc closes.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="3",
                width="100%",
                custom_attrs={"data-quick-add": "dialog"},
            ),
            max_width="36em",
        ),
        open=QuickAddState.dialog_open,
        on_open_change=QuickAddState.set_dialog_open,
    )
