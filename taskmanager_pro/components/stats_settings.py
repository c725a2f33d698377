"""Settings sections of the statistics feature: daily goal + weekly summary, export, delete everything."""

from __future__ import annotations

import reflex as rx

from taskmanager_pro.components.forms import blocked, confirm_delete_dialog, field, form, submit_button, text_input
from taskmanager_pro.state.stats import DataState


def _card(title: str, description: str, *content: rx.Component) -> rx.Component:
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


def goal_section() -> rx.Component:
    return _card(
        "Goals and summary",
        "How many tasks a day keep your streak going, and a weekly email with your numbers.",
        form(
            rx.vstack(
                field(
                    "Daily goal (tasks a day)",
                    text_input(
                        "daily_goal",
                        input_type="number",
                        value=DataState.daily_goal,
                        on_change=DataState.set_daily_goal,
                        min=1,
                        max=100,
                        max_width="8em",
                    ),
                    control_id="daily_goal",
                    error=DataState.goal_error,
                ),
                rx.el.label(
                    rx.hstack(
                        rx.switch(checked=DataState.weekly_summary, on_change=DataState.set_weekly_summary),
                        rx.text("Email me a weekly summary", size="2"),
                        align="center",
                        spacing="2",
                    ),
                ),
                submit_button("Save goal", DataState.busy, wide=False),
                spacing="3",
                align="start",
            ),
            on_submit=DataState.save,
        ),
    )


def _download(label: str, kind: str) -> rx.Component:
    return rx.button(
        rx.icon("download", size=14),
        label,
        variant="soft",
        type="button",
        on_click=DataState.download(kind),  # type: ignore[operator]
        loading=DataState.exporting == kind,
        disabled=blocked(DataState.exporting != ""),
    )


def data_section() -> rx.Component:
    return _card(
        "Your data",
        "Download everything you keep here, or delete all your tasks, projects, labels, files and statistics "
        "(your account stays).",
        rx.flex(
            _download("Everything (JSON)", "json"),
            _download("Tasks (CSV)", "csv-tasks"),
            _download("Projects (CSV)", "csv-projects"),
            _download("Labels (CSV)", "csv-labels"),
            wrap="wrap",
            gap="var(--space-2)",
        ),
        confirm_delete_dialog(
            trigger="Delete all my data",
            title="Delete all your data?",
            description=(
                "Every task, project, label, attached file, notification and statistic is deleted for good; "
                "your account stays. Type DELETE to confirm."
            ),
            confirmation=field(
                "Type DELETE", text_input("confirm_wipe", auto_complete="off"), control_id="confirm_wipe"
            ),
            keep="Keep my data",
            confirm="Delete everything",
            busy=DataState.wipe_busy,
            error=DataState.wipe_error,
            on_submit=DataState.delete_everything,
            is_open=DataState.wipe_open,
            on_open_change=DataState.set_wipe_open,
        ),
    )
