# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The calendar page: a week or a month of dated tasks (``CalendarState.open_calendar`` loads the range)."""

from __future__ import annotations

import reflex as rx

from taskmanager_pro.components import app_shell, error_message
from taskmanager_pro.components.calendar import calendar_body, calendar_header, calendar_keys, calendar_notices
from taskmanager_pro.components.task_detail import task_detail_drawer
from taskmanager_pro.guards import require_login
from taskmanager_pro.state.calendar import CalendarState


@require_login
def calendar_page() -> rx.Component:
    return app_shell(
        rx.vstack(
            calendar_header(),
            calendar_notices(),
            error_message(CalendarState.error),
            calendar_body(),
            spacing="3",
            width="100%",
        ),
        task_detail_drawer(),
        calendar_keys(),
        max_width="none",
        on_drop=CalendarState.dropped,
    )
