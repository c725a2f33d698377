# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Page frames: the signed-in app shell (header, user menu, sidebar) and the centred card of the auth pages."""

from __future__ import annotations

from typing import Any

import reflex as rx

from backend.client import APP_DISPLAY_NAME
from taskmanager_pro import routes
from taskmanager_pro.components.dnd import dnd_context, droppable
from taskmanager_pro.components.keyboard import help_overlay, shortcut_listener
from taskmanager_pro.components.notifications import bell
from taskmanager_pro.components.projects import (
    labels_section,
    list_shown,
    projects_section,
    switches_view,
    workspace_dialogs,
)
from taskmanager_pro.components.quick_add import quick_add_dialog
from taskmanager_pro.components.sharing import invitations_section, sharing_dialogs
from taskmanager_pro.state import AppState, keyboard, quick_add

QuickAddState: Any = quick_add.QuickAddState  # (untyped for mypy, as every Var in a component)
KeyboardState: Any = keyboard.KeyboardState

# The task views, in the sidebar's order.
VIEWS: tuple[tuple[str, str, str], ...] = (
    ("Today", "calendar-check", routes.TODAY),
    ("Upcoming", "calendar-days", routes.UPCOMING),
    ("Inbox", "inbox", routes.INBOX),
    ("Completed", "circle-check-big", routes.COMPLETED),
    ("Assigned to me", "user-check", routes.ASSIGNED),
)
# The views later issues add. Until then they are listed, marked "soon", and lead nowhere.
NAV_ITEMS: tuple[tuple[str, str], ...] = ()
# Views beyond the task lists (one link each, above Settings).
EXTRA_VIEWS: tuple[tuple[str, str, str], ...] = (
    ("Calendar", "calendar-range", routes.CALENDAR),
    ("Statistics", "chart-column", routes.STATS),
)
# Phone widths get the menu button instead of the sidebar (Radix breakpoints: initial, xs, sm ≥ 768 px).
DESKTOP_ONLY = ["none", "none", "flex"]
PHONE_ONLY = ["flex", "flex", "none"]


def logo(*, name_on_phones: bool = True) -> rx.Component:
    """The app's mark and name (in the signed-in header, phones show the mark only: the header is full)."""
    return rx.link(
        rx.hstack(
            rx.icon("list-todo", size=22, color=rx.color("accent", 10)),
            rx.text(
                APP_DISPLAY_NAME,
                size="4",
                weight="bold",
                white_space="nowrap",
                as_="span",
                display="inline" if name_on_phones else ["none", "inline"],
            ),
            spacing="2",
            align="center",
        ),
        href=routes.HOME,
        underline="none",
        color="inherit",
        aria_label=APP_DISPLAY_NAME,
    )


def color_mode_toggle() -> rx.Component:
    return rx.color_mode.button(size="2", variant="ghost", aria_label="Switch between light and dark mode")


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.icon("user", size=16),
                rx.text(AppState.display_name, display=["none", "inline", "inline"], max_width="12em", truncate=True),
                variant="soft",
                # the visible name is part of the accessible name (WCAG 2.5.3)
                aria_label=rx.cond(
                    AppState.display_name != "", "Account menu, " + AppState.display_name, "Account menu"
                ),
            )
        ),
        rx.menu.content(
            rx.box(
                rx.text(AppState.email, size="1", color_scheme="gray", truncate=True),
                padding_x="var(--space-3)",
                padding_y="var(--space-1)",
            ),
            rx.menu.item(rx.icon("settings", size=14), "Settings", on_click=rx.redirect(routes.SETTINGS)),
            rx.menu.separator(),
            rx.menu.item(rx.icon("log-out", size=14), "Sign out", on_click=AppState.sign_out, color_scheme="red"),
            align="end",
        ),
    )


def _nav_row(label: str, icon: str, *extra: rx.Component, **props: Any) -> rx.Component:
    return rx.hstack(
        rx.icon(icon, size=18),
        rx.text(label, size="3"),
        *extra,
        align="center",
        spacing="2",
        width="100%",
        padding_x="var(--space-3)",
        padding_y="var(--space-2)",
        border_radius="var(--radius-2)",
        **props,
    )


def nav_link(label: str, icon: str, href: str, *, task_list: bool = False) -> rx.Component:
    """A view of the app; highlighted while it is the current page."""
    current = list_shown(href) if task_list else AppState.router.url.path.rstrip("/") == href.rstrip("/")
    extra = {"on_click": switches_view(href)} if task_list else {}
    return rx.link(
        _nav_row(
            label,
            icon,
            background=rx.cond(current, rx.color("accent", 3), "transparent"),
            color=rx.cond(current, rx.color("accent", 11), rx.color("gray", 12)),
            _hover={"background": rx.color("gray", 3)},
        ),
        href=href,
        underline="none",
        width="100%",
        aria_current=rx.cond(current, "page", ""),
        **extra,
    )


def _task_view_link(label: str, icon: str, href: str) -> rx.Component:
    link = nav_link(label, icon, href, task_list=True)
    # The Inbox is a project ("inbox", as the API names it): a task dragged onto it moves there.
    return droppable(link, id="project:inbox", class_name="tmp-project-drop") if href == routes.INBOX else link


def coming_soon(label: str, icon: str) -> rx.Component:
    """A view that a later version adds: listed so the shape of the app is visible, but not a link."""
    return _nav_row(
        label,
        icon,
        rx.spacer(),
        rx.badge("soon", variant="soft", color_scheme="gray"),
        color=rx.color("gray", 10),
        aria_disabled="true",
        title=f"{label}: coming soon",
    )


def sidebar_content() -> rx.Component:
    return rx.vstack(
        *[_task_view_link(label, icon, href) for label, icon, href in VIEWS],
        invitations_section(),
        projects_section(),
        labels_section(),
        rx.box(height="var(--space-3)"),
        *[nav_link(label, icon, href) for label, icon, href in EXTRA_VIEWS],
        *[coming_soon(label, icon) for label, icon in NAV_ITEMS],
        rx.spacer(),
        nav_link("Settings", "settings", routes.SETTINGS),
        rx.button(
            rx.icon("keyboard", size=14),
            "Shortcuts",
            rx.code("?", variant="outline", size="1"),
            variant="ghost",
            color_scheme="gray",
            size="1",
            on_click=KeyboardState.set_help_open(True),
            margin_left="var(--space-2)",
            margin_top="var(--space-2)",
        ),
        spacing="1",
        width="100%",
        min_height="100%",
    )


def sidebar() -> rx.Component:
    return rx.box(
        sidebar_content(),
        as_="nav",
        aria_label="Views",
        display=DESKTOP_ONLY,
        width="16em",
        min_width="16em",
        padding="var(--space-3)",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        position="sticky",
        top="57px",
        height="calc(100vh - 57px)",
        overflow_y="auto",
    )


def phone_nav() -> rx.Component:
    """Phones: the sidebar in a sheet from the left (a Radix dialog pinned to the edge, see tasks.css)."""
    return rx.box(
        rx.dialog.root(
            rx.dialog.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label="Open navigation")),
            rx.dialog.content(
                rx.dialog.title("Navigation", class_name="tmp-visually-hidden"),
                rx.dialog.description("Views, projects and labels", class_name="tmp-visually-hidden"),
                rx.dialog.close(rx.box(sidebar_content(), as_="nav", aria_label="Views", height="100%"), as_child=True),
                class_name="tmp-nav-drawer",
            ),
        ),
        display=PHONE_ONLY,
    )


def header(*right: rx.Component) -> rx.Component:
    return rx.hstack(
        phone_nav(),
        logo(name_on_phones=False),
        rx.spacer(),
        color_mode_toggle(),
        *right,
        as_="header",
        align="center",
        spacing="3",
        padding_x="var(--space-4)",
        height="57px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        position="sticky",
        top="0",
        z_index="10",
        background=rx.color("gray", 1),
        width="100%",
    )


def quick_add_button() -> rx.Component:
    return rx.button(
        rx.icon("plus", size=16),
        rx.text("Add task", display=["none", "inline", "inline"]),
        on_click=QuickAddState.open_dialog,
        size="2",
        aria_label="Add task",
        title="Add a task (Q)",
    )


def app_shell(*content: rx.Component, max_width: Any = "60em", on_drop: Any = None) -> rx.Component:
    """The signed-in frame: header with quick add and the user menu, the sidebar, the page's content, and what
    every signed-in page shares (the quick-add dialog, keyboard shortcuts and their help, project dialogs).

    ``on_drop``: the page's handler of a drag and drop (components/dnd.py); the sidebar and the page share one
    drag context, so a task can be dragged from the page onto a project."""
    body = rx.hstack(
        sidebar(),
        rx.box(
            *content,
            as_="main",
            flex="1",
            min_width="0",
            padding=["var(--space-3)", "var(--space-5)", "var(--space-6)"],
            max_width=max_width,
        ),
        spacing="0",
        align="start",
        width="100%",
    )
    return rx.box(
        header(quick_add_button(), bell(), user_menu()),
        body if on_drop is None else dnd_context(body, on_drop=on_drop),
        quick_add_dialog(),
        workspace_dialogs(),
        sharing_dialogs(),
        help_overlay(KeyboardState.help_open, KeyboardState.set_help_open),
        shortcut_listener(on_shortcut=KeyboardState.shortcut),
        min_height="100vh",
    )


def loading_screen() -> rx.Component:
    """Shown while ``check_login`` decides (and, if the services cannot be reached, why it cannot)."""
    return rx.center(
        rx.vstack(
            rx.spinner(size="3"),
            rx.cond(
                AppState.session_error,
                rx.vstack(
                    rx.callout(AppState.session_error, icon="circle-alert", color_scheme="red", role="alert"),
                    rx.button("Try again", variant="soft", on_click=rx.call_script("window.location.reload()")),
                    align="center",
                ),
                rx.text("Checking your session…", color_scheme="gray", size="2"),
            ),
            align="center",
            spacing="3",
        ),
        height="100vh",
    )


def auth_layout(title: str, *content: rx.Component) -> rx.Component:
    """The signed-out frame: a centred card under a slim header."""
    return rx.box(
        rx.hstack(
            logo(),
            rx.spacer(),
            color_mode_toggle(),
            rx.cond(
                AppState.signed_in,
                rx.button("Sign out", variant="soft", size="2", on_click=AppState.sign_out),
            ),
            as_="header",
            align="center",
            padding_x="var(--space-4)",
            height="57px",
            width="100%",
        ),
        rx.center(
            rx.card(
                rx.vstack(rx.heading(title, size="6", as_="h1"), *content, spacing="4", width="100%"),
                size="3",
                width="100%",
                max_width="26em",
            ),
            padding_x="var(--space-3)",
            padding_y=["var(--space-4)", "var(--space-8)"],
        ),
        min_height="100vh",
    )
