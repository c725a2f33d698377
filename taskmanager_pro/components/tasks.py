# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Task lists: rows, day groups, board columns, the filter bar, the bulk bar, and their dialogs."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.components.avatars import avatar
from taskmanager_pro.components.dnd import drag_handle, droppable, sortable, sortable_context
from taskmanager_pro.components.forms import blocked, confirm_dialog
from taskmanager_pro.components.menus import more_actions
from taskmanager_pro.state import selection, task_detail, tasks
from taskmanager_pro.state.views import PRIORITY_NAMES

# The states as Vars for the components below (untyped for mypy, as every Var in a component).
TasksState: Any = tasks.TasksState
TaskDetailState: Any = task_detail.TaskDetailState
SelectionState: Any = selection.SelectionState

TONE_COLORS = {
    "overdue": "red",
    "today": "grass",
    "tomorrow": "orange",
    "week": "violet",
    "later": "gray",
}


def native_select(*options: rx.Component, **props: Any) -> rx.Component:
    """A native select in the app's look (phones show their own picker; tests use ``select_option``)."""
    style: dict[str, Any] = {
        "height": "var(--space-6)",
        "padding_x": "var(--space-2)",
        "border_radius": "var(--radius-2)",
        "border": f"1px solid {rx.color('gray', 7)}",
        "background": rx.color("gray", 1),
        "color": "inherit",
        "font_size": "var(--font-size-2)",
        "max_width": "100%",
    }
    return rx.el.select(*options, **(style | props))


def tone_color(tone: Any) -> Any:
    return rx.match(
        tone,
        *[(name, rx.color(scheme, 11)) for name, scheme in TONE_COLORS.items()],
        rx.color("gray", 11),
    )


def check_circle(row: Any, on_click: Any, *, size: str = "20px") -> rx.Component:
    """The round checkbox of a task, ringed in its priority's colour; ticked when done."""
    return rx.el.button(
        rx.icon("check", size=12, stroke_width=3, class_name="tmp-check-tick"),
        role="checkbox",
        aria_checked=rx.cond(row.done, "true", "false"),
        aria_label=rx.cond(row.done, "Reopen ", "Complete ") + row.title,
        title=rx.cond(row.done, "Reopen", "Complete"),
        on_click=on_click.stop_propagation,
        disabled=row.read_only,  # (a viewer: the server would refuse it)
        class_name="tmp-check",
        data_done=rx.cond(row.done, "true", "false"),
        style={"--tmp-check-color": row.priority_color},
        width=size,
        height=size,
        min_width=size,
    )


def due_chip(row: Any) -> rx.Component:
    return rx.cond(
        row.due_text != "",
        rx.hstack(
            rx.icon("calendar", size=13),
            rx.text(row.due_text, size="1", weight="medium"),
            rx.cond(row.recurring, rx.icon("repeat", size=12, aria_label="Repeats")),
            spacing="1",
            align="center",
            color=tone_color(row.due_tone),
            data_tone=row.due_tone,
            class_name="tmp-due",
            title=rx.cond(row.recurring, row.recurrence_text, ""),
        ),
    )


def label_chip(label: Any) -> rx.Component:
    return rx.hstack(
        rx.icon("tag", size=12, color=label.color),
        rx.text(label.name, size="1"),
        spacing="1",
        align="center",
        color=rx.color("gray", 11),
    )


def children_badge(row: Any) -> rx.Component:
    """ "3/5 done": the task's subtasks (issue 14)."""
    return rx.cond(
        row.children_total > 0,
        rx.hstack(
            rx.icon("list-tree", size=13),
            rx.text(row.children_done.to_string() + "/" + row.children_total.to_string() + " done", size="1"),
            spacing="1",
            align="center",
            color=rx.color("gray", 11),
            class_name="tmp-children-badge",
            title="Subtasks done",
        ),
    )


def collapse_toggle(row: Any) -> rx.Component:
    """Fold or unfold the subtasks shown under a row; a same-sized gap where there is none (rows stay aligned)."""
    return rx.cond(
        row.collapsible,
        rx.icon_button(
            rx.cond(row.collapsed, rx.icon("chevron-right", size=14), rx.icon("chevron-down", size=14)),
            variant="ghost",
            size="1",
            color_scheme="gray",
            on_click=TasksState.toggle_collapsed(row.id).stop_propagation,
            aria_label=rx.cond(row.collapsed, "Show subtasks of ", "Hide subtasks of ") + row.title,
            aria_expanded=rx.cond(row.collapsed, "false", "true"),
            class_name="tmp-collapse",
            margin_top="2px",
        ),
        rx.cond(TasksState.can_reorder, rx.box(width="24px", flex_shrink="0")),
    )


def row_meta(row: Any, *, show_project: Any) -> rx.Component:
    return rx.hstack(
        due_chip(row),
        children_badge(row),
        rx.cond(
            row.subtasks_total > 0,
            rx.hstack(
                rx.icon("list-checks", size=13),
                rx.text(row.subtasks_done.to_string() + "/" + row.subtasks_total.to_string(), size="1"),
                spacing="1",
                align="center",
                color=rx.color("gray", 11),
                title="Subtasks done",
            ),
        ),
        rx.cond(row.has_notes, rx.icon("notebook-text", size=13, color=rx.color("gray", 10), aria_label="Has notes")),
        rx.cond(
            row.attachments > 0,
            rx.hstack(
                rx.icon("paperclip", size=13),
                rx.text(row.attachments.to_string(), size="1"),
                spacing="1",
                align="center",
                class_name="tmp-paperclip",
                aria_label=row.attachments.to_string() + " attachments",
                title="Attachments",
            ),
        ),
        rx.cond(
            row.comments > 0,
            rx.hstack(
                rx.icon("message-square", size=13),
                rx.text(row.comments.to_string(), size="1"),
                spacing="1",
                align="center",
                color=rx.color("gray", 11),
                aria_label=row.comments.to_string() + " comments",
                title="Comments",
            ),
        ),
        rx.foreach(row.labels, label_chip),
        rx.cond(
            show_project & (row.project_name != ""),
            rx.hstack(
                rx.box(width="8px", height="8px", border_radius="50%", background=row.project_color),
                rx.text(row.project_name, size="1"),
                spacing="1",
                align="center",
                color=rx.color("gray", 11),
                margin_left="auto",
            ),
        ),
        rx.cond(row.completed_text != "", rx.text(row.completed_text, size="1", color_scheme="gray")),
        rx.cond(
            row.assignee_initials != "",
            rx.box(
                avatar(row.assignee_initials, row.assignee_color, "Assigned to " + row.assignee_name, size="20px"),
                margin_left=rx.cond(show_project & (row.project_name != ""), "0", "auto"),
                data_assignee=row.assignee_id,
            ),
        ),
        spacing="3",
        align="center",
        wrap="wrap",
        width="100%",
        row_gap="1",
    )


def select_box(row: Any) -> rx.Component:
    selected = SelectionState.selected.contains(row.id)
    return rx.cond(
        SelectionState.select_mode,
        rx.checkbox(
            checked=selected,
            on_click=SelectionState.toggle_selected(row.id).stop_propagation,
            aria_label="Select " + row.title,
            size="2",
        ),
    )


def row_menu(row: Any) -> rx.Component:
    # The flex around the menu keeps the click from reaching the row.
    return rx.flex(
        rx.menu.root(
            more_actions("More actions for " + row.title, class_name="tmp-row-menu", icon_size=16),
            rx.menu.content(
                rx.menu.item(rx.icon("panel-right-open", size=14), "Open", on_click=TaskDetailState.open_task(row.id)),
                rx.menu.item(
                    rx.icon("square-check", size=14), "Select", on_click=SelectionState.toggle_selected(row.id)
                ),
                rx.cond(
                    TasksState.can_reorder,
                    rx.fragment(
                        rx.menu.item(
                            rx.icon("arrow-up", size=14), "Move up", on_click=TasksState.move_task(row.id, -1)
                        ),
                        rx.menu.item(
                            rx.icon("arrow-down", size=14), "Move down", on_click=TasksState.move_task(row.id, 1)
                        ),
                        rx.menu.item(
                            rx.icon("indent-increase", size=14),
                            "Indent",
                            on_click=TasksState.indent_task(row.id),
                        ),
                        rx.cond(
                            row.depth > 0,
                            rx.menu.item(
                                rx.icon("indent-decrease", size=14),
                                "Outdent",
                                on_click=TasksState.outdent_task(row.id),
                            ),
                        ),
                    ),
                ),
                rx.cond(
                    row.assignable.length() > 0,
                    rx.menu.sub(
                        rx.menu.sub_trigger(rx.icon("user-round", size=14), "Assign to"),
                        rx.menu.sub_content(
                            rx.menu.item("Nobody", on_click=TasksState.assign(row.id, "")),
                            rx.foreach(
                                row.assignable,
                                lambda a: rx.menu.item(
                                    avatar(a.initials, a.color, a.name, size="18px"),
                                    a.name,
                                    on_click=TasksState.assign(row.id, a.user_id),
                                ),
                            ),
                        ),
                    ),
                ),
                rx.cond(
                    ~row.read_only,
                    rx.fragment(
                        rx.menu.separator(),
                        rx.menu.item(
                            rx.icon("trash-2", size=14),
                            "Delete…",
                            color_scheme="red",
                            on_click=TasksState.ask_delete(row.id),
                        ),
                    ),
                ),
                on_click=rx.stop_propagation,
            ),
        ),
        on_click=rx.stop_propagation,
    )


def task_row(row: Any) -> rx.Component:
    """One task; focusable (j/k), opens the detail panel on click or Enter."""
    show_project = ((TasksState.view != "project") & (TasksState.view != "inbox")) | TasksState.searching
    return rx.hstack(
        drag_handle("Move " + row.title),
        select_box(row),
        collapse_toggle(row),
        check_circle(row, TasksState.toggle_done(row.id)),
        rx.vstack(
            rx.text(
                row.title,
                size="2",
                class_name="tmp-row-title",
                text_decoration=rx.cond(row.done, "line-through", "none"),
                color=rx.cond(row.done, rx.color("gray", 11), rx.color("gray", 12)),
            ),
            row_meta(row, show_project=show_project),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        rx.cond(
            row.done,
            rx.button(
                rx.icon("undo-2", size=14),
                "Reopen",
                variant="ghost",
                size="1",
                on_click=TasksState.toggle_done(row.id).stop_propagation,
                aria_label="Reopen " + row.title,
                margin_top="2px",
            ),
        ),
        row_menu(row),
        data_task_row="true",
        data_task_id=row.id,
        data_depth=row.depth,
        padding_left=(row.depth * 28).to_string() + "px",
        data_selected=rx.cond(SelectionState.selected.contains(row.id), "true", "false"),
        data_pending=rx.cond(row.pending, "true", "false"),
        data_highlight=rx.cond(TasksState.highlight == row.id, "true", "false"),
        aria_busy=rx.cond(row.pending, "true", "false"),
        title=rx.cond(row.pending, "Saving…", ""),
        tab_index=0,
        role="listitem",
        aria_label=row.title,
        on_click=TaskDetailState.open_task(row.id),
        class_name="tmp-row",
        align="start",
        spacing="3",
        width="100%",
    )


def group_header(group: Any) -> rx.Component:
    return rx.cond(
        group.title != "",
        rx.hstack(
            rx.heading(
                group.title,
                size="3",
                as_="h2",
                color=rx.cond(group.tone == "overdue", rx.color("red", 11), rx.color("gray", 12)),
            ),
            rx.cond(group.subtitle != "", rx.text(group.subtitle, size="2", color_scheme="gray")),
            rx.spacer(),
            rx.text(group.count, size="1", color_scheme="gray"),
            align="baseline",
            spacing="2",
            width="100%",
            padding_top="var(--space-4)",
            padding_bottom="var(--space-1)",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
        ),
    )


def draggable_task(row: Any, group_key: Any, content: rx.Component) -> rx.Component:
    """A row or card that drags (components/dnd.py): onto another row (a place in the manual order, another section
    or column), a board column, or a project in the sidebar. Keyboard: its handle, Space, arrows, Space."""
    return sortable(
        content,
        key=row.id,  # (not the index: a row keeps its drag state when the order changes)
        id=row.id,
        group=group_key,
        can_drag=~row.read_only,
        can_drop=TasksState.can_drag_order,
        role="presentation",
        class_name="tmp-sortable",
    )


def sortable_list(group: Any, render: Any) -> rx.Component:
    """The rows of one group in dnd-kit's order, so the others make room while one is dragged over them."""
    return sortable_context(
        rx.foreach(group.rows, lambda row: draggable_task(row, group.key, render(row))),
        items=group.rows.map(lambda row: row.id),
        id="group:" + group.key,
    )


def task_group(group: Any) -> rx.Component:
    return rx.box(
        group_header(group),
        rx.cond(
            group.count > 0,
            rx.box(
                sortable_list(group, task_row),
                role="list",
                aria_label=group.title,
                width="100%",
            ),
            rx.cond(
                TasksState.view == "upcoming",
                rx.text("Nothing planned", size="1", color_scheme="gray", padding_y="var(--space-2)"),
            ),
        ),
        width="100%",
        data_group=group.key,
    )


def skeleton_rows() -> rx.Component:
    return rx.vstack(
        *[
            rx.hstack(
                rx.skeleton(width="20px", height="20px", border_radius="50%"),
                rx.vstack(rx.skeleton(height="14px", width=f"{w}%"), rx.skeleton(height="10px", width="30%")),
                width="100%",
                padding_y="var(--space-3)",
            )
            for w in (60, 45, 70, 35)
        ],
        width="100%",
        aria_busy="true",
    )


def empty_state() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.icon(
                rx.match(
                    TasksState.view,
                    ("today", "sun"),
                    ("upcoming", "calendar-days"),
                    ("completed", "circle-check-big"),
                    ("inbox", "inbox"),
                    "list-todo",
                ),
                size=40,
                color=rx.color("gray", 8),
            ),
            rx.text(TasksState.empty_text, color_scheme="gray", size="2", text_align="center"),
            rx.cond(
                TasksState.search.length() + TasksState.filters_active > 0,
                rx.button("Clear search and filters", variant="soft", size="1", on_click=TasksState.clear_filters),
            ),
            align="center",
            spacing="2",
        ),
        padding_y="var(--space-8)",
        width="100%",
    )


def task_list() -> rx.Component:
    has_rows = TasksState.shown > 0
    return rx.box(
        rx.cond(
            has_rows | (TasksState.view == "upcoming"),
            rx.foreach(TasksState.groups, task_group),
        ),
        rx.cond(~has_rows, empty_state()),
        width="100%",
    )


# --- board -----------------------------------------------------------------------------------
def move_select(row: Any, column_key: Any) -> rx.Component:
    return native_select(
        rx.foreach(TasksState.groups, lambda g: rx.el.option(g.title, value=g.key)),
        value=column_key,
        on_change=lambda value: TasksState.move_to_column(row.id, value),
        on_click=rx.stop_propagation,
        aria_label="Move " + row.title + " to column",
        title="Move to column",
        height="var(--space-5)",
        font_size="var(--font-size-1)",
    )


def board_card(row: Any, column_key: Any) -> rx.Component:
    return rx.box(
        rx.hstack(
            drag_handle("Move " + row.title),
            select_box(row),
            check_circle(row, TasksState.toggle_done(row.id), size="18px"),
            rx.text(
                row.title,
                size="2",
                flex="1",
                min_width="0",
                text_decoration=rx.cond(row.done, "line-through", "none"),
                color=rx.cond(row.done, rx.color("gray", 11), rx.color("gray", 12)),
            ),
            align="start",
            spacing="2",
            width="100%",
        ),
        rx.box(row_meta(row, show_project=False), padding_left="26px", padding_top="var(--space-1)"),
        rx.hstack(
            rx.spacer(),
            move_select(row, column_key),
            padding_top="var(--space-2)",
            width="100%",
        ),
        data_task_row="true",
        data_task_id=row.id,
        data_selected=rx.cond(SelectionState.selected.contains(row.id), "true", "false"),
        data_pending=rx.cond(row.pending, "true", "false"),
        data_highlight=rx.cond(TasksState.highlight == row.id, "true", "false"),
        aria_busy=rx.cond(row.pending, "true", "false"),
        title=rx.cond(row.pending, "Saving…", ""),
        tab_index=0,
        role="listitem",
        aria_label=row.title,
        on_click=TaskDetailState.open_task(row.id),
        class_name="tmp-card",
    )


def board_column(group: Any) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(group.title, size="2", as_="h2"),
            rx.badge(group.count, variant="soft", color_scheme="gray", radius="full"),
            align="center",
            spacing="2",
            padding_x="var(--space-1)",
        ),
        droppable(
            rx.cond(
                group.count > 0,
                rx.vstack(
                    sortable_list(group, lambda row: board_card(row, group.key)),
                    role="list",
                    aria_label=group.title,
                    spacing="2",
                    width="100%",
                ),
                rx.text("No tasks", size="1", color_scheme="gray", padding="var(--space-3)"),
            ),
            id="column:" + group.key,
            class_name="tmp-column-drop",
        ),
        data_column=group.key,
        class_name="tmp-column",
        spacing="2",
    )


def board() -> rx.Component:
    return rx.box(
        rx.hstack(rx.foreach(TasksState.groups, board_column), spacing="3", align="start"),
        overflow_x="auto",
        width="100%",
        padding_bottom="var(--space-4)",
    )


# --- header, toolbar, filters ----------------------------------------------------------------
def layout_switch() -> rx.Component:
    return rx.cond(
        TasksState.view == "project",
        rx.hstack(
            rx.segmented_control.root(
                rx.segmented_control.item(rx.hstack(rx.icon("list", size=14), "List", align="center"), value="list"),
                rx.segmented_control.item(
                    rx.hstack(rx.icon("square-kanban", size=14), "Board", align="center"), value="board"
                ),
                value=rx.cond(TasksState.is_board, "board", "list"),
                on_change=lambda value: TasksState.set_layout(rx.cond(value == "board", "sections", "list")),
                size="1",
                aria_label="Layout",
            ),
            rx.cond(
                TasksState.is_board,
                native_select(
                    rx.el.option("Columns: sections", value="sections"),
                    rx.el.option("Columns: status", value="status"),
                    value=TasksState.layout,
                    on_change=TasksState.set_layout,
                    aria_label="Board columns",
                ),
            ),
            align="center",
            spacing="2",
        ),
    )


def page_header(project_menu: rx.Component) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.hstack(
                rx.cond(
                    TasksState.accent != "",
                    rx.box(width="12px", height="12px", border_radius="50%", background=TasksState.accent),
                ),
                rx.heading(TasksState.heading, size="7", as_="h1"),
                rx.cond(
                    TasksState.loaded & ~TasksState.searching,
                    rx.badge(
                        TasksState.total.to_string() + rx.cond(TasksState.total == 1, " task", " tasks"),
                        variant="soft",
                        color_scheme="gray",
                        radius="full",
                        id="list-total",
                    ),
                ),
                align="center",
                spacing="2",
            ),
            rx.cond(TasksState.subheading != "", rx.text(TasksState.subheading, size="2", color_scheme="gray")),
            spacing="1",
        ),
        rx.spacer(),
        layout_switch(),
        rx.cond(
            TasksState.view == "upcoming",
            rx.segmented_control.root(
                rx.segmented_control.item("7 days", value="7"),
                rx.segmented_control.item("14 days", value="14"),
                value=TasksState.days.to_string(),
                on_change=TasksState.set_days,
                size="1",
                aria_label="Days shown",
            ),
        ),
        rx.cond(TasksState.view == "project", project_menu),
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
    )


def filter_field(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", weight="medium", color_scheme="gray"), control, spacing="1", width="100%")


def filters_popover() -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(
            rx.button(
                rx.icon("list-filter", size=14),
                "Filters",
                rx.cond(TasksState.filters_active > 0, rx.badge(TasksState.filters_active, radius="full")),
                variant=rx.cond(TasksState.filters_active > 0, "soft", "outline"),
                color_scheme=rx.cond(TasksState.filters_active > 0, "indigo", "gray"),
                size="2",
            )
        ),
        rx.popover.content(
            rx.vstack(
                filter_field(
                    "Priority",
                    native_select(
                        rx.el.option("Any priority", value=""),
                        *[rx.el.option(PRIORITY_NAMES[p], value=str(p)) for p in (1, 2, 3, 4)],
                        value=TasksState.priority_filter,
                        on_change=TasksState.set_priority_filter,
                        aria_label="Priority",
                        width="100%",
                    ),
                ),
                rx.cond(
                    TasksState.view != "label",
                    filter_field(
                        "Label",
                        native_select(
                            rx.el.option("Any label", value=""),
                            rx.foreach(TasksState.labels, lambda label: rx.el.option(label.name, value=label.id)),
                            value=TasksState.label_filter,
                            on_change=TasksState.set_label_filter,
                            aria_label="Label",
                            width="100%",
                        ),
                    ),
                ),
                rx.cond(
                    (TasksState.view != "project") & (TasksState.view != "inbox"),
                    filter_field(
                        "Project",
                        native_select(
                            rx.el.option("Any project", value=""),
                            rx.foreach(TasksState.projects, lambda p: rx.el.option(p.name, value=p.id)),
                            value=TasksState.project_filter,
                            on_change=TasksState.set_project_filter,
                            aria_label="Project",
                            width="100%",
                        ),
                    ),
                ),
                rx.cond(
                    (TasksState.view != "upcoming") & (TasksState.view != "completed"),
                    rx.vstack(
                        rx.hstack(
                            filter_field(
                                "Due from",
                                rx.input(
                                    type="date",
                                    value=TasksState.due_from,
                                    on_change=TasksState.set_due_from,
                                    aria_label="Due from",
                                    size="2",
                                ),
                            ),
                            filter_field(
                                "Due until",
                                rx.input(
                                    type="date",
                                    value=TasksState.due_to,
                                    on_change=TasksState.set_due_to,
                                    aria_label="Due until",
                                    size="2",
                                ),
                            ),
                            spacing="2",
                            width="100%",
                        ),
                        rx.el.label(
                            rx.hstack(
                                rx.switch(
                                    checked=TasksState.overdue_only,
                                    on_change=TasksState.set_overdue_only,
                                    size="1",
                                ),
                                rx.text("Overdue only", size="2"),
                                align="center",
                                spacing="2",
                            ),
                        ),
                        rx.cond(
                            TasksState.view != "assigned",
                            rx.el.label(
                                rx.hstack(
                                    rx.switch(
                                        checked=TasksState.assigned_only,
                                        on_change=TasksState.set_assigned_only,
                                        size="1",
                                    ),
                                    rx.icon("user-check", size=14),
                                    rx.text("Assigned to me", size="2"),
                                    align="center",
                                    spacing="2",
                                ),
                            ),
                        ),
                        rx.el.label(
                            rx.hstack(
                                rx.switch(
                                    checked=TasksState.attachments_only,
                                    on_change=TasksState.set_attachments_only,
                                    size="1",
                                ),
                                rx.icon("paperclip", size=14),
                                rx.text("With attachments", size="2"),
                                align="center",
                                spacing="2",
                            ),
                        ),
                        spacing="3",
                        width="100%",
                    ),
                ),
                rx.hstack(
                    rx.button("Clear all", variant="ghost", size="1", on_click=TasksState.clear_filters),
                    rx.spacer(),
                    rx.popover.close(rx.button("Done", size="1")),
                    width="100%",
                    align="center",
                ),
                spacing="3",
                width="17em",
            ),
            align="end",
        ),
    )


def toolbar() -> rx.Component:
    return rx.hstack(
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            placeholder="Search tasks",
            type="search",
            default_value=TasksState.search,  # uncontrolled: see ``TasksState.search_box``
            key=TasksState.search_box,
            # (the word index answers in tens of ms: results follow the typing closely)
            on_change=TasksState.set_search.debounce(150),
            aria_label="Search tasks",
            id="task-search",
            size="2",
            flex="1",
            min_width="10em",
        ),
        filters_popover(),
        native_select(
            rx.foreach(TasksState.sort_options, lambda option: rx.el.option(option[1], value=option[0])),
            value=TasksState.sort,
            on_change=TasksState.set_sort,
            aria_label="Sort",
            title="Sort",
            height="var(--space-6)",
        ),
        rx.button(
            rx.icon("list-checks", size=14),
            rx.cond(SelectionState.select_mode, "Done selecting", "Select"),
            variant=rx.cond(SelectionState.select_mode, "solid", "outline"),
            color_scheme="gray",
            size="2",
            on_click=SelectionState.toggle_select_mode,
            disabled=blocked(False),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
        width="100%",
    )


def search_scope() -> rx.Component:
    """Search looks through every open task, whatever the page: say so, and how many it found."""
    return rx.cond(
        TasksState.searching,
        rx.hstack(
            rx.icon("search", size=14, aria_hidden="true"),
            rx.text(
                rx.cond(TasksState.loaded, TasksState.total.to_string() + " found in ", "Searching "),
                rx.el.strong("all your open tasks"),
                size="2",
            ),
            rx.button("Clear search", variant="ghost", size="1", on_click=TasksState.set_search("")),
            spacing="2",
            align="center",
            role="status",
            id="search-scope",
            color=rx.color("gray", 11),
        ),
    )


def active_filter_chips() -> rx.Component:
    def chip(visible: Any, text: Any, on_remove: Any) -> rx.Component:
        return rx.cond(
            visible,
            rx.badge(
                text,
                rx.icon("x", size=12, cursor="pointer", on_click=on_remove, aria_label="Remove filter"),
                variant="soft",
                color_scheme="indigo",
                radius="full",
            ),
        )

    return rx.cond(
        TasksState.filters_active > 0,
        rx.hstack(
            chip(
                TasksState.priority_filter != "",
                "Priority " + TasksState.priority_filter,
                TasksState.set_priority_filter(""),
            ),
            chip(TasksState.label_filter != "", "Label", TasksState.set_label_filter("")),
            chip(TasksState.project_filter != "", "Project", TasksState.set_project_filter("")),
            chip(TasksState.due_from != "", "From " + TasksState.due_from, TasksState.set_due_from("")),
            chip(TasksState.due_to != "", "Until " + TasksState.due_to, TasksState.set_due_to("")),
            chip(TasksState.overdue_only, "Overdue", TasksState.set_overdue_only(False)),
            chip(TasksState.attachments_only, "With attachments", TasksState.set_attachments_only(False)),
            chip(TasksState.assigned_only, "Assigned to me", TasksState.set_assigned_only(False)),
            wrap="wrap",
            spacing="2",
        ),
    )


def load_more() -> rx.Component:
    return rx.cond(
        TasksState.next_cursor != "",
        rx.center(
            rx.button(
                "Load more",
                variant="soft",
                on_click=TasksState.load_more,
                loading=TasksState.loading_more,
                disabled=blocked(TasksState.loading_more),
            ),
            padding_y="var(--space-4)",
            width="100%",
        ),
    )


# --- bulk actions, deleting ------------------------------------------------------------------
def bulk_bar() -> rx.Component:
    return rx.cond(
        SelectionState.select_mode,
        rx.box(
            rx.hstack(
                rx.text(SelectionState.selected_count, " selected", size="2", weight="medium", white_space="nowrap"),
                rx.button("Select all", variant="ghost", size="1", on_click=SelectionState.select_all),
                rx.spacer(),
                rx.button(
                    rx.icon("check", size=14),
                    rx.cond(TasksState.view == "completed", "Reopen", "Complete"),
                    size="2",
                    on_click=SelectionState.bulk_complete,
                    disabled=SelectionState.selected_count == 0,
                ),
                native_select(
                    rx.el.option("Move to…", value="", disabled=True),
                    rx.foreach(
                        TasksState.open_projects,
                        lambda p: rx.el.option(p.name, value=p.id),
                    ),
                    value="",
                    on_change=SelectionState.bulk_move,
                    aria_label="Move selected to project",
                    disabled=SelectionState.selected_count == 0,
                    height="var(--space-6)",
                ),
                *bulk_edit_controls(),
                rx.button(
                    rx.icon("trash-2", size=14),
                    "Delete",
                    size="2",
                    color_scheme="red",
                    variant="soft",
                    on_click=SelectionState.set_bulk_delete_open(True),
                    disabled=SelectionState.selected_count == 0,
                ),
                rx.icon_button(
                    rx.icon("x", size=16),
                    variant="ghost",
                    color_scheme="gray",
                    on_click=SelectionState.toggle_select_mode,
                    aria_label="Stop selecting",
                ),
                align="center",
                spacing="2",
                wrap="wrap",
                width="100%",
            ),
            role="toolbar",
            aria_label="Bulk actions",
            class_name="tmp-bulk-bar",
        ),
    )


def bulk_edit_controls() -> list[rx.Component]:
    """Reschedule, priority, labels, assignee of the selection (issue 14): each pick is one change with "Undo"."""
    none_selected = SelectionState.selected_count == 0
    picker: dict[str, Any] = {"value": "", "disabled": none_selected, "height": "var(--space-6)"}
    return [
        native_select(
            rx.el.option("Reschedule…", value="", disabled=True),
            rx.el.option("Today", value="today"),
            rx.el.option("Tomorrow", value="tomorrow"),
            rx.el.option("Next week", value="next_week"),
            rx.el.option("No date", value="none"),
            on_change=SelectionState.bulk_reschedule,
            aria_label="Reschedule selected",
            **picker,
        ),
        rx.el.input(
            type="date",
            on_change=SelectionState.bulk_reschedule,
            aria_label="Reschedule selected to a date",
            disabled=none_selected,
            class_name="tmp-bulk-date",
        ),
        native_select(
            rx.el.option("Priority…", value="", disabled=True),
            *(rx.el.option(f"Priority {p}", value=str(p)) for p in (1, 2, 3, 4)),
            on_change=SelectionState.bulk_priority,
            aria_label="Set priority of selected",
            **picker,
        ),
        native_select(
            rx.el.option("Labels…", value="", disabled=True),
            rx.foreach(TasksState.labels, lambda label: rx.el.option("Add @", label.name, value="+" + label.id)),
            rx.foreach(TasksState.labels, lambda label: rx.el.option("Remove @", label.name, value="-" + label.id)),
            on_change=SelectionState.bulk_label,
            aria_label="Add or remove a label on selected",
            **picker,
        ),
        native_select(
            rx.el.option("Assign…", value="", disabled=True),
            rx.foreach(SelectionState.assignee_options, lambda o: rx.el.option(o["name"], value=o["id"])),
            rx.el.option("Nobody", value="none"),
            on_change=SelectionState.bulk_assign,
            aria_label="Assign selected",
            **picker,
        ),
    ]


def children_dialog() -> rx.Component:
    """Completing a task whose subtasks are still open asks what happens to them (issue 14)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Complete the subtasks too?"),
            rx.alert_dialog.description(
                rx.text(
                    "“",
                    TasksState.children_ask_title,
                    "” has ",
                    TasksState.children_ask_open.to_string(),
                    " open subtask(s).",
                ),
                size="2",
            ),
            rx.flex(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(
                    rx.button(
                        "Only this task",
                        variant="soft",
                        on_click=TasksState.complete_with_children(TasksState.children_ask_id, "keep"),
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(
                        "Complete all",
                        on_click=TasksState.complete_with_children(TasksState.children_ask_id, "complete"),
                    )
                ),
                spacing="3",
                justify="end",
                margin_top="4",
                wrap="wrap",
            ),
            max_width="28em",
        ),
        open=TasksState.children_ask_id != "",
        on_open_change=TasksState.set_children_dialog,
    )


def delete_dialogs() -> rx.Component:
    return rx.fragment(
        children_dialog(),
        confirm_dialog(
            open_=TasksState.deleting_id != "",
            on_open_change=TasksState.set_delete_open,
            title="Delete this task?",
            description=rx.text("“", TasksState.deleting_title, "” will be deleted for good."),
            confirm="Delete",
            on_confirm=TasksState.delete_task,
        ),
        confirm_dialog(
            open_=SelectionState.bulk_delete_open,
            on_open_change=SelectionState.set_bulk_delete_open,
            title="Delete the selected tasks?",
            description=rx.text(SelectionState.selected_count, " tasks will be deleted for good."),
            confirm="Delete",
            on_confirm=SelectionState.bulk_delete,
        ),
    )
