# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The task detail panel (a drawer on the right): every field edited in place, saved as soon as it is left."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.components.attachments import attachments_block
from taskmanager_pro.components.forms import confirm_dialog
from taskmanager_pro.components.markdown import safe_markdown
from taskmanager_pro.components.sharing import assignee_control, comments_block
from taskmanager_pro.components.tasks import native_select
from taskmanager_pro.state.subtasks import SubtasksState
from taskmanager_pro.state.task_detail import TaskDetailState
from taskmanager_pro.state.task_reminders import PRESETS as REMINDER_PRESETS
from taskmanager_pro.state.task_reminders import TaskRemindersState
from taskmanager_pro.state.views import PRIORITY_NAMES, RECURRENCE_PRESETS

S: Any = TaskDetailState  # (untyped for mypy, as every Var in a component)
C: Any = SubtasksState
R: Any = TaskRemindersState


def notes_markdown(source: Any) -> rx.Component:
    return safe_markdown(source, class_name="tmp-notes")


def prop(label: str, icon: str, control: rx.Component, *, error: Any = "") -> rx.Component:
    """One property of the task: an icon and name on the left, its control on the right."""
    return rx.box(
        rx.hstack(
            rx.icon(icon, size=14, color=rx.color("gray", 10)),
            rx.text(label, size="2", color_scheme="gray"),
            align="center",
            spacing="2",
            min_width="7.5em",
            padding_top="6px",
        ),
        rx.vstack(
            control,
            rx.cond(error != "", rx.text(error, size="1", color_scheme="red", role="alert")),
            spacing="1",
            flex="1",
            min_width="0",
        ),
        class_name="tmp-prop",
    )


def editable(*children: rx.Component, **props: Any) -> rx.Component:
    """Controls the user's role may change: a viewer sees them disabled (the server refuses their edits anyway)."""
    return rx.el.fieldset(
        *children,
        disabled=~S.d_can_edit,
        style={"border": "none", "padding": "0", "margin": "0", "min_width": "0"},
        **props,
    )


def field_error(name: str) -> Any:
    return S.d_fields.get(name, "")


def title_form() -> rx.Component:
    return rx.form(
        rx.el.input(
            name="title",
            key="title-" + S.d_revision.to_string(),
            default_value=S.d_title,
            on_blur=S.save_title,
            aria_label="Title",
            max_length=500,
            auto_complete="off",
            class_name="tmp-title-input",
        ),
        on_submit=S.submit_title,
        flex="1",
        min_width="0",
    )


def notes_block() -> rx.Component:
    return rx.box(
        rx.cond(
            S.notes_editing,
            rx.vstack(
                rx.text_area(
                    key="notes-" + S.d_revision.to_string(),
                    default_value=S.d_notes,
                    on_blur=S.save_notes,
                    placeholder="Notes (markdown: **bold**, lists, [links](https://…))",
                    aria_label="Notes",
                    rows="5",
                    max_length=20000,
                    auto_focus=S.d_notes != "",
                    resize="vertical",
                    width="100%",
                ),
                rx.text("Saved when you leave the field.", size="1", color_scheme="gray"),
                width="100%",
                spacing="1",
            ),
            rx.box(
                notes_markdown(S.d_notes),
                on_click=S.set_notes_editing(True),
                cursor="text",
                title="Click to edit",
                data_testid="notes-preview",
                class_name="tmp-notes-preview",
            ),
        ),
        rx.cond(field_error("notes") != "", rx.text(field_error("notes"), size="1", color_scheme="red")),
        width="100%",
    )


def priority_select() -> rx.Component:
    return rx.hstack(
        rx.icon("flag", size=16, color=S.d_priority_color),
        native_select(
            *[rx.el.option(PRIORITY_NAMES[p], value=str(p)) for p in (1, 2, 3, 4)],
            value=S.d_priority,
            on_change=S.set_priority,
            aria_label="Priority",
        ),
        align="center",
        spacing="2",
    )


def due_controls() -> rx.Component:
    return rx.hstack(
        rx.input(
            type="date",
            key="due-" + S.d_revision.to_string(),
            default_value=S.d_due_date,
            on_change=S.set_due_date,
            aria_label="Due date",
            size="2",
        ),
        rx.input(
            type="time",
            key="time-" + S.d_revision.to_string(),
            default_value=S.d_due_time,
            on_change=S.set_due_time,
            aria_label="Due time",
            size="2",
        ),
        rx.cond(
            S.d_due_date != "",
            rx.icon_button(
                rx.icon("x", size=14),
                variant="ghost",
                color_scheme="gray",
                size="1",
                on_click=S.set_due_date(""),
                aria_label="Remove the due date",
            ),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
    )


def project_controls() -> rx.Component:
    return rx.hstack(
        native_select(
            rx.foreach(S.open_projects, lambda p: rx.el.option(p.name, value=p.id)),
            value=S.d_project_id,
            on_change=S.set_project,
            aria_label="Project",
        ),
        rx.cond(
            S.d_sections.length() > 0,
            native_select(
                rx.el.option("No section", value="__none__"),
                rx.foreach(S.d_sections, lambda name: rx.el.option(name, value=name)),
                value=rx.cond(S.d_section == "", "__none__", S.d_section),
                on_change=S.set_section,
                aria_label="Section",
            ),
        ),
        spacing="2",
        wrap="wrap",
    )


def label_controls() -> rx.Component:
    return rx.hstack(
        rx.foreach(
            S.d_label_items,
            lambda label: rx.badge(
                rx.icon("tag", size=12, color=label.color),
                label.name,
                rx.icon(
                    "x",
                    size=12,
                    cursor="pointer",
                    on_click=S.remove_label(label.id),
                    aria_label="Remove label " + label.name,
                    role="button",
                ),
                variant="surface",
                color_scheme="gray",
                radius="full",
                size="2",
            ),
        ),
        rx.cond(
            S.d_other_labels.length() > 0,
            rx.menu.root(
                rx.menu.trigger(
                    rx.button(rx.icon("plus", size=12), "Label", variant="ghost", size="1", color_scheme="gray")
                ),
                rx.menu.content(
                    rx.foreach(
                        S.d_other_labels,
                        lambda label: rx.menu.item(
                            rx.icon("tag", size=12, color=label.color), label.name, on_click=S.add_label(label.id)
                        ),
                    ),
                ),
            ),
            rx.cond(
                S.d_label_items.length() == 0,
                rx.text("No labels yet: type @name in quick add.", size="1", color_scheme="gray"),
            ),
        ),
        spacing="2",
        wrap="wrap",
        align="center",
        padding_top="4px",
    )


def recurrence_controls() -> rx.Component:
    return rx.vstack(
        native_select(
            *[rx.el.option(text, value=key) for key, text, _ in RECURRENCE_PRESETS],
            value=S.d_preset,
            on_change=S.set_preset,
            aria_label="Repeat",
        ),
        rx.cond(
            (S.d_preset == "custom") | ((S.d_recurrence != "") & (S.d_preset != "none")),
            rx.input(
                key="rule-" + S.d_revision.to_string() + S.d_recurrence,
                default_value=S.d_recurrence,
                on_blur=S.save_rule,
                placeholder="FREQ=WEEKLY;BYDAY=MO,WE",
                aria_label="Recurrence rule",
                size="2",
                width="100%",
                font_family="var(--code-font-family)",
            ),
        ),
        rx.cond(
            S.d_recurrence_text != "",
            rx.hstack(
                rx.icon("repeat", size=12),
                rx.text(S.d_recurrence_text, size="1"),
                spacing="1",
                align="center",
                color=rx.color("violet", 11),
            ),
        ),
        rx.cond(
            S.d_recurrence != "",
            rx.el.label(
                rx.hstack(
                    rx.switch(checked=S.d_reset_subtasks, on_change=S.set_reset_subtasks, size="1"),
                    rx.text("Open its subtasks again each time", size="1"),
                    spacing="2",
                    align="center",
                ),
            ),
        ),
        spacing="2",
        width="100%",
    )


def subtask_row(item: Any, index: Any) -> rx.Component:
    return rx.hstack(
        rx.checkbox(
            checked=item.done,
            on_change=lambda _: S.toggle_subtask(item.id),
            aria_label="Done: " + item.title,
        ),
        rx.text(
            item.title,
            size="2",
            flex="1",
            min_width="0",
            text_decoration=rx.cond(item.done, "line-through", "none"),
            color=rx.cond(item.done, rx.color("gray", 11), rx.color("gray", 12)),
        ),
        rx.icon_button(
            rx.icon("chevron-up", size=14),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=S.move_subtask(item.id, -1),
            disabled=index == 0,
            aria_label="Move up: " + item.title,
        ),
        rx.icon_button(
            rx.icon("chevron-down", size=14),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=S.move_subtask(item.id, 1),
            disabled=index == S.d_subtasks.length() - 1,
            aria_label="Move down: " + item.title,
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=S.remove_subtask(item.id),
            aria_label="Remove: " + item.title,
        ),
        align="center",
        spacing="2",
        width="100%",
        class_name="tmp-subtask",
        data_subtask=item.title,
    )


def child_row(item: Any) -> rx.Component:
    """A subtask (a task of its own): tick it off, or open it here to edit it and give it subtasks."""
    return rx.hstack(
        rx.checkbox(
            checked=item.done,
            on_change=lambda _: C.toggle(item.id),
            aria_label="Complete subtask: " + item.title,
            disabled=item.id.startswith("pending-"),
        ),
        rx.el.button(
            item.title,
            on_click=S.open_task(item.id),
            type="button",
            title="Open this subtask",
            class_name="tmp-child-open",
            style={
                "flex": "1",
                "minWidth": "0",
                "textAlign": "left",
                "background": "none",
                "border": "none",
                "padding": "0",
                "cursor": "pointer",
                "font": "inherit",
                "fontSize": "var(--font-size-2)",
                "textDecoration": rx.cond(item.done, "line-through", "none"),
                "color": rx.cond(item.done, rx.color("gray", 11), rx.color("gray", 12)),
            },
        ),
        rx.cond(item.children_text != "", rx.text(item.children_text, size="1", color_scheme="gray")),
        align="center",
        spacing="2",
        width="100%",
        data_child=item.title,
    )


def children_block() -> rx.Component:
    """Nested subtasks (issue 14): the open task's own, "n/m done", add one (down to the deepest level)."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Subtasks", size="2", as_="h3"),
            rx.cond(
                C.s_items.length() > 0,
                rx.text(
                    C.s_done.to_string() + "/" + C.s_items.length().to_string() + " done", size="1", color_scheme="gray"
                ),
            ),
            rx.spacer(),
            rx.cond(
                S.d_parent_id != "",
                rx.button(
                    rx.icon("corner-left-up", size=14),
                    "Parent task",
                    variant="ghost",
                    size="1",
                    on_click=S.open_task(S.d_parent_id),
                ),
            ),
            align="baseline",
            spacing="2",
            width="100%",
        ),
        rx.foreach(C.s_items, child_row),
        rx.cond(C.s_error != "", rx.text(C.s_error, size="1", color_scheme="red", role="alert")),
        rx.cond(
            C.s_can_add,
            rx.form(
                rx.input(
                    rx.input.slot(rx.icon("plus", size=14)),
                    name="title",
                    placeholder="Add a subtask",
                    aria_label="Add a subtask",
                    max_length=500,
                    auto_complete="off",
                    size="2",
                    width="100%",
                ),
                on_submit=C.add,
                reset_on_submit=True,
                width="100%",
            ),
            rx.text("Subtasks nest four levels deep: this one is the deepest.", size="1", color_scheme="gray"),
        ),
        spacing="2",
        width="100%",
    )


def subtasks_block() -> rx.Component:
    """The checklist: quick ticks inside the task (no dates of their own); nested subtasks are tasks (below)."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Checklist", size="2", as_="h3"),
            rx.cond(
                S.d_subtasks.length() > 0,
                rx.text(
                    S.d_subtasks_done.to_string() + "/" + S.d_subtasks.length().to_string(),
                    size="1",
                    color_scheme="gray",
                ),
            ),
            align="baseline",
            spacing="2",
        ),
        rx.cond(
            S.d_subtasks.length() > 0,
            rx.progress(
                value=(S.d_subtasks_done * 100 / S.d_subtasks.length()).to(int),
                aria_label="Checklist done",
                size="1",
                width="100%",
            ),
        ),
        rx.foreach(S.d_subtasks, subtask_row),
        rx.form(
            rx.input(
                rx.input.slot(rx.icon("plus", size=14)),
                name="subtask",
                placeholder="Add a checklist item",
                aria_label="Add a checklist item",
                max_length=200,
                auto_complete="off",
                size="2",
                width="100%",
            ),
            on_submit=S.add_subtask,
            reset_on_submit=True,
            width="100%",
        ),
        spacing="2",
        width="100%",
    )


def history_block() -> rx.Component:
    return rx.cond(
        S.d_history.length() > 0,
        rx.vstack(
            rx.heading("History", size="2", as_="h3"),
            rx.foreach(
                S.d_history,
                lambda line: rx.hstack(
                    rx.icon("circle-check", size=12, color=rx.color("grass", 10)),
                    rx.text("Completed ", line, size="1", color_scheme="gray"),
                    align="center",
                    spacing="1",
                ),
            ),
            spacing="1",
            width="100%",
        ),
    )


def conflict_banner() -> rx.Component:
    return rx.cond(
        S.d_conflict,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.callout.text(
                rx.text("This task was changed elsewhere.", weight="bold"),
                " Your last change was not saved. Reload to see the current version, then edit again.",
            ),
            rx.button("Reload", size="1", on_click=S.reload_current, margin_top="2"),
            color_scheme="amber",
            role="alert",
            width="100%",
        ),
    )


def reminder_controls() -> rx.Component:
    """The task's reminders (issue 5): each with when it fires next, remove; add one from the presets."""

    def row(r: Any) -> rx.Component:
        return rx.hstack(
            rx.icon("bell", size=12),
            rx.text(r.text, size="2"),
            rx.cond(r.is_default, rx.badge("default", size="1", variant="soft")),
            rx.cond(r.next_at != "", rx.text(r.next_at, size="1", color_scheme="gray")),
            rx.spacer(),
            rx.cond(
                r.is_default,
                rx.fragment(),
                rx.icon_button(
                    rx.icon("x", size=12),
                    size="1",
                    variant="ghost",
                    color_scheme="gray",
                    aria_label="Remove reminder " + r.text,
                    on_click=R.remove_reminder(r.id),
                ),
            ),
            align="center",
            spacing="2",
            width="100%",
            role="listitem",
        )

    return rx.vstack(
        rx.vstack(rx.foreach(R.reminders, row), role="list", aria_label="Reminders", spacing="1", width="100%"),
        rx.hstack(
            native_select(
                *[rx.el.option(label, value=key) for key, (label, _) in REMINDER_PRESETS.items()],
                value=R.r_choice,
                on_change=R.set_r_choice,
                aria_label="New reminder",
            ),
            rx.button("Add reminder", size="1", variant="soft", on_click=R.add_reminder, loading=R.r_busy),
            align="center",
            spacing="2",
            width="100%",
        ),
        rx.cond(R.r_error != "", rx.text(R.r_error, size="1", color_scheme="red", role="alert")),
        spacing="2",
        width="100%",
    )


def detail_body() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.el.button(
                rx.icon("check", size=12, stroke_width=3, class_name="tmp-check-tick"),
                role="checkbox",
                aria_checked=rx.cond(S.d_done, "true", "false"),
                aria_label=rx.cond(S.d_done, "Reopen task", "Complete task"),
                on_click=S.toggle_detail_done,
                class_name="tmp-check",
                data_done=rx.cond(S.d_done, "true", "false"),
                style={"--tmp-check-color": S.d_priority_color},
                width="22px",
                height="22px",
                min_width="22px",
                margin_top="6px",
            ),
            editable(title_form(), flex="1", min_width="0", display="flex"),
            rx.dialog.close(
                rx.icon_button(
                    rx.icon("x", size=18), variant="ghost", color_scheme="gray", aria_label="Close the task panel"
                )
            ),
            align="start",
            spacing="2",
            width="100%",
        ),
        rx.cond(field_error("title") != "", rx.text(field_error("title"), size="1", color_scheme="red")),
        conflict_banner(),
        rx.cond(
            S.d_error != "",
            rx.callout(S.d_error, icon="circle-alert", color_scheme="red", role="alert", size="1", width="100%"),
        ),
        rx.cond(
            ~S.d_can_edit,
            rx.callout(
                "You can view this task: your role in its project does not allow changes.",
                icon="eye",
                size="1",
                color_scheme="gray",
                width="100%",
            ),
        ),
        editable(notes_block(), width="100%"),
        rx.separator(size="4"),
        editable(
            rx.cond(
                S.d_shared,
                prop("Assignee", "user-round", assignee_control(), error=field_error("assignee_id")),
            ),
            prop("Due", "calendar", due_controls(), error=field_error("due_date") + field_error("due_time")),
            prop("Repeat", "repeat", recurrence_controls(), error=field_error("recurrence")),
            prop("Remind", "bell", reminder_controls()),
            prop("Priority", "flag", priority_select(), error=field_error("priority")),
            prop("Project", "hash", project_controls(), error=field_error("project_id") + field_error("section")),
            prop("Labels", "tag", label_controls(), error=field_error("labels")),
            prop(
                "Start",
                "calendar-clock",
                rx.input(
                    type="date",
                    key="start-" + S.d_revision.to_string(),
                    default_value=S.d_start_date,
                    on_change=S.set_start_date,
                    aria_label="Start date",
                    size="2",
                ),
                error=field_error("start_date"),
            ),
            display="flex",
            flex_direction="column",
            gap="var(--space-2)",
            width="100%",
        ),
        rx.separator(size="4"),
        editable(children_block(), width="100%"),
        rx.separator(size="4"),
        editable(subtasks_block(), width="100%"),
        rx.separator(size="4"),
        attachments_block(),
        history_block(),
        rx.separator(size="4"),
        comments_block(),
        rx.spacer(),
        rx.hstack(
            rx.text(S.d_meta, size="1", color_scheme="gray"),
            rx.cond(S.d_saving, rx.hstack(rx.spinner(size="1"), rx.text("Saving…", size="1"), align="center")),
            rx.spacer(),
            rx.cond(
                S.d_can_edit,
                rx.button(
                    rx.icon("trash-2", size=14),
                    "Delete",
                    variant="soft",
                    color_scheme="red",
                    size="1",
                    on_click=S.set_d_delete_open(True),
                ),
            ),
            align="center",
            width="100%",
            padding_top="var(--space-3)",
        ),
        confirm_dialog(
            open_=S.d_delete_open,
            on_open_change=S.set_d_delete_open,
            title="Delete this task?",
            description=rx.text("“", S.d_title, "” will be deleted for good."),
            confirm="Delete",
            on_confirm=S.delete_detail,
        ),
        spacing="3",
        width="100%",
        min_height="100%",
    )


def task_detail_drawer() -> rx.Component:
    """A side sheet: a Radix dialog (focus trap, Esc, click outside) pinned to the right edge (see tasks.css)."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title("Task details", class_name="tmp-visually-hidden"),
            rx.dialog.description("Edit the task; changes are saved as you go.", class_name="tmp-visually-hidden"),
            detail_body(),
            class_name="tmp-drawer",
            aria_label="Task details",
        ),
        open=S.detail_open,
        on_open_change=S.set_detail_open,
    )
