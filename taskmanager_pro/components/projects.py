# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Projects and labels: the sidebar sections, the create/edit dialogs and the delete confirmation."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.components.avatars import avatar_stack
from taskmanager_pro.components.dnd import droppable
from taskmanager_pro.components.forms import confirm_dialog, dialog_buttons, error_message, field, form
from taskmanager_pro.components.menus import more_actions
from taskmanager_pro.state import tasks
from taskmanager_pro.state.editors import LabelEditorState, ProjectEditorState
from taskmanager_pro.state.sharing import ActivityState, ShareState
from taskmanager_pro.state.views import COLORS
from taskmanager_pro.state.workspace import WorkspaceState

W: Any = WorkspaceState  # (untyped for mypy, as every Var in a component)
TasksState: Any = tasks.TasksState
PE: Any = ProjectEditorState
LE: Any = LabelEditorState
SH: Any = ShareState
ACT: Any = ActivityState


def color_dot(color: Any, size: str = "10px") -> rx.Component:
    return rx.box(width=size, height=size, min_width=size, border_radius="50%", background=color)


def color_picker(value: Any, on_pick: Any, label: str) -> rx.Component:
    return rx.flex(
        *[
            rx.el.button(
                type="button",
                title=name,
                aria_label=f"{label}: {name}",
                aria_pressed=rx.cond(value == color, "true", "false"),
                on_click=on_pick(color),
                class_name="tmp-swatch",
                style={"--tmp-swatch": color},
            )
            for name, color in COLORS
        ],
        wrap="wrap",
        gap="2",
        role="group",
        aria_label=label,
    )


def sidebar_heading(text: str, on_add: Any, add_label: str) -> rx.Component:
    return rx.hstack(
        rx.text(
            text, size="1", weight="bold", color_scheme="gray", text_transform="uppercase", letter_spacing="0.04em"
        ),
        rx.spacer(),
        rx.icon_button(
            rx.icon("plus", size=14),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=on_add,
            aria_label=add_label,
        ),
        align="center",
        width="100%",
        padding_x="var(--space-3)",
        padding_top="var(--space-4)",
        padding_bottom="var(--space-1)",
    )


def switches_view(href: Any) -> Any:
    """``on_click`` of a sidebar link to a task list: the list is set on the click, while the browser draws the new
    page (``TasksState.switch_view``; the page's own load then has nothing left to do)."""
    return lambda click: TasksState.switch_view(href, click)


def _entry(
    href: Any, icon: rx.Component, name: Any, menu: rx.Component, *, current: Any, shared: Any = False
) -> rx.Component:
    """A sidebar link with its menu; ``name`` is the text, or a component (a shared project: name and avatars)."""
    shown = name if isinstance(name, rx.Component) else rx.text(name, size="2", truncate=True)
    return rx.hstack(
        rx.link(
            rx.hstack(icon, shown, align="center", spacing="2", min_width="0"),
            href=href,
            on_click=switches_view(href),
            underline="none",
            color="inherit",
            flex="1",
            min_width="0",
            aria_current=rx.cond(current, "page", ""),
        ),
        menu,
        align="center",
        spacing="1",
        width="100%",
        padding_left="var(--space-3)",
        padding_right="var(--space-1)",
        padding_y="6px",
        border_radius="var(--radius-2)",
        background=rx.cond(current, rx.color("accent", 3), "transparent"),
        color=rx.cond(current, rx.color("accent", 11), rx.color("gray", 12)),
        _hover={"background": rx.cond(current, rx.color("accent", 4), rx.color("gray", 3))},
        class_name="tmp-side-entry",
        data_shared=rx.cond(shared, "true", "false"),
    )


def list_shown(href: Any) -> Any:
    """Whether the sidebar link to the list ``href`` is the current page: the list a click has just shown counts
    from the click on (its rows are on screen before the page's load has updated the router)."""
    here = W.router.url.path.rstrip("/") == (href.rstrip("/") if isinstance(href, str) else href)
    return rx.cond(TasksState.switching_to != "", TasksState.switching_to == href, here)


def _here(href: Any) -> Any:
    return list_shown(href)


def sharing_items(project_id: Any, *, shared: Any, can_manage: Any, is_owner: Any) -> rx.Component:
    """The project menu's sharing entries: Share… (everyone: the members; admins also invite), Activity (shared
    projects), Leave (a member who is not the owner)."""
    return rx.fragment(
        rx.menu.item(
            rx.icon("user-plus", size=14),
            rx.cond(can_manage, "Share…", "Members…"),
            on_click=SH.open_share(project_id),
        ),
        rx.cond(
            shared,
            rx.menu.item(rx.icon("history", size=14), "Activity", on_click=ACT.open_activity(project_id)),
        ),
        rx.cond(
            shared & ~is_owner,
            rx.menu.item(rx.icon("log-out", size=14), "Leave…", color_scheme="red", on_click=SH.ask_leave(project_id)),
        ),
    )


def project_entry(project: Any) -> rx.Component:
    href = "/projects/" + project.id
    menu = rx.menu.root(
        more_actions("Project actions: " + project.name, class_name="tmp-side-menu"),
        rx.menu.content(
            sharing_items(
                project.id, shared=project.shared, can_manage=project.can_manage, is_owner=project.role == "owner"
            ),
            rx.menu.separator(),
            rx.cond(
                project.can_manage,
                rx.fragment(
                    rx.menu.item(rx.icon("pencil", size=14), "Edit…", on_click=PE.edit_project(project.id)),
                    rx.menu.item(rx.icon("archive", size=14), "Archive", on_click=PE.set_archived(project.id, True)),
                ),
            ),
            rx.menu.item(rx.icon("arrow-up", size=14), "Move up", on_click=PE.move_project(project.id, -1)),
            rx.menu.item(rx.icon("arrow-down", size=14), "Move down", on_click=PE.move_project(project.id, 1)),
            rx.cond(
                project.role == "owner",
                rx.fragment(
                    rx.menu.separator(),
                    rx.menu.item(
                        rx.icon("trash-2", size=14),
                        "Delete…",
                        color_scheme="red",
                        on_click=PE.ask_delete_project(project.id),
                    ),
                ),
            ),
        ),
    )
    icon = rx.cond(
        project.shared,
        rx.icon("users", size=14, color=project.color, aria_label="Shared project", role="img"),
        color_dot(project.color),
    )
    name = rx.hstack(
        rx.text(project.name, size="2", truncate=True),
        rx.cond(project.shared, avatar_stack(project.avatars)),
        align="center",
        spacing="2",
        min_width="0",
    )
    # A task dragged here moves to this project (components/dnd.py; the list's state checks the role).
    return droppable(
        _entry(href, icon, name, menu, current=_here(href), shared=project.shared),
        id="project:" + project.id,
        class_name="tmp-project-drop",
    )


def archived_entry(project: Any) -> rx.Component:
    href = "/projects/" + project.id
    menu = rx.menu.root(
        more_actions("Project actions: " + project.name, class_name="tmp-side-menu"),
        rx.menu.content(
            rx.menu.item(rx.icon("archive-restore", size=14), "Restore", on_click=PE.set_archived(project.id, False)),
            rx.menu.item(
                rx.icon("trash-2", size=14), "Delete…", color_scheme="red", on_click=PE.ask_delete_project(project.id)
            ),
        ),
    )
    return rx.box(
        _entry(href, color_dot(project.color), project.name, menu, current=_here(href)),
        opacity="0.7",
        width="100%",
    )


def label_entry(label: Any) -> rx.Component:
    href = "/labels/" + label.id
    menu = rx.icon_button(
        rx.icon("pencil", size=12),
        variant="ghost",
        color_scheme="gray",
        size="1",
        on_click=LE.edit_label(label.id),
        aria_label="Edit label " + label.name,
        class_name="tmp-side-menu",
    )
    return _entry(href, rx.icon("tag", size=14, color=label.color), label.name, menu, current=_here(href))


def projects_section() -> rx.Component:
    return rx.vstack(
        sidebar_heading("Projects", PE.new_project, "New project"),
        rx.foreach(W.active_projects, project_entry),
        rx.cond(
            W.active_projects.length() == 0,
            rx.text("No projects yet.", size="1", color_scheme="gray", padding_x="var(--space-3)"),
        ),
        rx.cond(
            W.archived_projects.length() > 0,
            rx.vstack(
                rx.button(
                    rx.icon(rx.cond(W.show_archived, "chevron-down", "chevron-right"), size=14),
                    "Archived (",
                    W.archived_projects.length(),
                    ")",
                    variant="ghost",
                    color_scheme="gray",
                    size="1",
                    on_click=W.toggle_archived,
                    margin_left="var(--space-2)",
                ),
                rx.cond(W.show_archived, rx.foreach(W.archived_projects, archived_entry)),
                spacing="1",
                width="100%",
            ),
        ),
        spacing="0",
        width="100%",
    )


def labels_section() -> rx.Component:
    return rx.vstack(
        sidebar_heading("Labels", LE.new_label, "New label"),
        rx.foreach(W.labels, label_entry),
        rx.cond(
            W.labels.length() == 0,
            rx.text("Type @name in quick add to make one.", size="1", color_scheme="gray", padding_x="var(--space-3)"),
        ),
        spacing="0",
        width="100%",
    )


# --- dialogs ---------------------------------------------------------------------------------
def name_and_colour_fields(
    kind: str, *, name: Any, set_name: Any, colour: Any, set_colour: Any
) -> tuple[rx.Component, rx.Component]:
    """The name input and colour picker that the project and label dialogs share (ids ``<kind>_name``)."""
    return (
        field(
            "Name",
            rx.input(
                id=f"{kind}_name",
                name=f"{kind}_name",
                value=name,
                on_change=set_name,
                max_length=60,
                auto_focus=True,
                auto_complete="off",
                size="3",
                width="100%",
            ),
            control_id=f"{kind}_name",
        ),
        rx.vstack(
            rx.text("Colour", size="2", weight="medium"),
            color_picker(colour, set_colour, f"{kind.capitalize()} colour"),
            spacing="1",
            width="100%",
        ),
    )


def project_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(PE.editing_project_id != "", "Edit project", "New project")),
            form(
                rx.vstack(
                    *name_and_colour_fields(
                        "project",
                        name=PE.project_name,
                        set_name=PE.set_project_name,
                        colour=PE.project_color,
                        set_colour=PE.set_project_color,
                    ),
                    field(
                        "Sections (board columns)",
                        rx.text_area(
                            id="project_sections",
                            name="project_sections",
                            value=PE.project_sections,
                            on_change=PE.set_project_sections,
                            placeholder="To do\nDoing\nReview",
                            rows="4",
                            width="100%",
                        ),
                        control_id="project_sections",
                        hint="One per line. Tasks in a section that you remove go to “No section”.",
                    ),
                    error_message(PE.project_error),
                    dialog_buttons(rx.cond(PE.editing_project_id != "", "Save", "Create project"), PE.project_busy),
                    spacing="4",
                    width="100%",
                ),
                on_submit=PE.save_project,
            ),
            max_width="30em",
        ),
        open=PE.project_dialog,
        on_open_change=PE.set_project_dialog,
    )


def delete_project_dialog() -> rx.Component:
    return confirm_dialog(
        open_=PE.deleting_project_id != "",
        on_open_change=PE.cancel_delete_project,
        title=rx.fragment("Delete “", PE.deleting_project_name, "”?"),
        description="The project and all its tasks are deleted for good. Archive it instead to keep them.",
        confirm="Delete project",
        on_confirm=PE.delete_project,
    )


def label_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(LE.editing_label_id != "", "Edit label", "New label")),
            form(
                rx.vstack(
                    *name_and_colour_fields(
                        "label",
                        name=LE.label_name,
                        set_name=LE.set_label_name,
                        colour=LE.label_color,
                        set_colour=LE.set_label_color,
                    ),
                    error_message(LE.label_error),
                    dialog_buttons(
                        rx.cond(LE.editing_label_id != "", "Save", "Create label"),
                        LE.label_busy,
                        rx.cond(
                            LE.editing_label_id != "",
                            rx.button(
                                "Delete label",
                                type="button",
                                variant="ghost",
                                color_scheme="red",
                                on_click=LE.delete_label,
                            ),
                        ),
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=LE.save_label,
            ),
            max_width="28em",
        ),
        open=LE.label_dialog,
        on_open_change=LE.set_label_dialog,
    )


def project_page_menu(project_id: Any) -> rx.Component:
    """The ⋯ menu in a project page's header (what the user's role there allows)."""
    return rx.menu.root(
        rx.menu.trigger(
            rx.icon_button(rx.icon("ellipsis", size=16), variant="soft", color_scheme="gray", aria_label="Project menu")
        ),
        rx.menu.content(
            sharing_items(
                project_id,
                shared=TasksState.page_shared,
                can_manage=TasksState.page_can_manage,
                is_owner=TasksState.page_role == "owner",
            ),
            rx.cond(
                TasksState.page_can_manage,
                rx.fragment(
                    rx.menu.separator(),
                    rx.menu.item(rx.icon("pencil", size=14), "Edit project…", on_click=PE.edit_project(project_id)),
                    rx.menu.item(rx.icon("archive", size=14), "Archive", on_click=PE.set_archived(project_id, True)),
                ),
            ),
            rx.cond(
                TasksState.page_role == "owner",
                rx.fragment(
                    rx.menu.separator(),
                    rx.menu.item(
                        rx.icon("trash-2", size=14),
                        "Delete…",
                        color_scheme="red",
                        on_click=PE.ask_delete_project(project_id),
                    ),
                ),
            ),
            align="end",
        ),
    )


def workspace_dialogs() -> rx.Component:
    return rx.fragment(project_dialog(), delete_project_dialog(), label_dialog())
