# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The task pages: Today (the home page), Upcoming, Inbox, Completed, a project (list or board), a label.

One page function for all of them: ``TasksState.open_view`` reads the route and loads that view.
"""

from __future__ import annotations

import reflex as rx

from taskmanager_pro.components import app_shell, error_message
from taskmanager_pro.components.projects import project_page_menu
from taskmanager_pro.components.quick_add import quick_add_bar
from taskmanager_pro.components.task_detail import task_detail_drawer
from taskmanager_pro.components.tasks import (
    active_filter_chips,
    board,
    bulk_bar,
    delete_dialogs,
    load_more,
    page_header,
    search_scope,
    skeleton_rows,
    task_list,
    toolbar,
)
from taskmanager_pro.guards import require_login
from taskmanager_pro.state.tasks import TasksState


def view_content() -> rx.Component:
    return rx.cond(
        TasksState.loaded,
        rx.fragment(rx.cond(TasksState.is_board, board(), task_list()), load_more()),
        rx.cond(TasksState.error == "", skeleton_rows()),
    )


@require_login
def tasks_page() -> rx.Component:
    return app_shell(
        rx.vstack(
            page_header(project_menu=project_page_menu(TasksState.context_id)),
            rx.cond(TasksState.page_can_add, quick_add_bar()),
            toolbar(),
            search_scope(),
            active_filter_chips(),
            error_message(TasksState.error),
            view_content(),
            bulk_bar(),
            spacing="3",
            width="100%",
        ),
        delete_dialogs(),
        task_detail_drawer(),
        max_width=rx.cond(TasksState.is_board, "none", "60em"),
        on_drop=TasksState.dropped,
    )
