"""The Reflex app: pages and their ``on_load`` handlers. In a local run the REST API is mounted at /api."""

from __future__ import annotations

import logging
import traceback

import reflex as rx
from reflex.event import EventSpec
from starlette.applications import Starlette

from backend.client import APP_DISPLAY_NAME, get_client_settings
from taskmanager_pro import pages, routes
from taskmanager_pro.components.connection import offline_bar
from taskmanager_pro.guards import Page, login_checked
from taskmanager_pro.live import relay_changes
from taskmanager_pro.pages.notifications import notifications_page
from taskmanager_pro.state import AuthState, OutboxState, SettingsState
from taskmanager_pro.state.calendar import CalendarState
from taskmanager_pro.state.notification_settings import NotificationSettingsState
from taskmanager_pro.state.notifications import NotificationsState
from taskmanager_pro.state.selection import SelectionState
from taskmanager_pro.state.stats import DataState, StatsState
from taskmanager_pro.state.tasks import TasksState
from taskmanager_pro.state.workspace import WorkspaceState

log = logging.getLogger(__name__)


def unexpected_error(exception: Exception) -> EventSpec:
    """A bug, not a refusal (those are shown next to their form): log it here, tell the user plainly."""
    log.error("unhandled error in a state handler\n%s", "".join(traceback.format_exception(exception)))
    toast: EventSpec = rx.toast.error("Something went wrong on our side. Try again.", id="unexpected_error")
    return toast


def _api_transformer() -> Starlette | None:
    if not get_client_settings().local_api:
        return None
    from backend.local.asgi import create_local_api  # only in a local run: needs the emulator's environment

    return create_local_api()


FAVICON = "/favicon.svg"
ATTACHMENTS_UPLOAD_SCRIPT = "/attachments_upload.js"

app = rx.App(
    head_components=[
        rx.el.link(rel="icon", href=FAVICON, type="image/svg+xml"),
        rx.script(src=ATTACHMENTS_UPLOAD_SCRIPT),  # direct browser → S3 uploads (components/attachments.py)
    ],
    stylesheets=["/tasks.css"],
    api_transformer=_api_transformer(),
    backend_exception_handler=unexpected_error,
)
# Our connection bar instead of Reflex's overlay (a technical toast naming the websocket URL).
app.app_wraps[(5, "Overlay")] = lambda stateful: offline_bar() if stateful else None
# Changes made anywhere (other tabs, devices, the API, reminders) pushed to this process's open tabs.
app.register_lifespan_task(relay_changes)


def add_page(component: Page, route: str, name: str | None, on_load: object) -> None:
    title = f"{name} · {APP_DISPLAY_NAME}" if name else APP_DISPLAY_NAME
    app.add_page(component, route=route, title=title, on_load=on_load)


# The task views: one page, the view comes from the route (TasksState.open_view reads it).
# (``open_view`` checks the session itself: one event before the rows show, not two)
OPEN_LIST = [TasksState.open_view, SelectionState.reset_selection]
add_page(pages.tasks_page, routes.TODAY, "Today", OPEN_LIST)
add_page(pages.tasks_page, routes.UPCOMING, "Upcoming", OPEN_LIST)
add_page(pages.tasks_page, routes.INBOX, "Inbox", OPEN_LIST)
add_page(pages.tasks_page, routes.COMPLETED, "Completed", OPEN_LIST)
add_page(pages.tasks_page, routes.ASSIGNED, "Assigned to me", OPEN_LIST)
add_page(pages.tasks_page, routes.PROJECT, "Project", OPEN_LIST)
add_page(pages.tasks_page, routes.LABEL, "Label", OPEN_LIST)
add_page(
    pages.settings_page,
    routes.SETTINGS,
    "Settings",
    login_checked(SettingsState.load, WorkspaceState.load, NotificationSettingsState.load, DataState.load),
)
add_page(pages.calendar_page, routes.CALENDAR, "Calendar", CalendarState.open_calendar)
add_page(pages.stats_page, routes.STATS, "Statistics", login_checked(StatsState.load, WorkspaceState.load))
add_page(pages.sign_up_page, routes.SIGN_UP, "Sign up", AuthState.open_form)
add_page(pages.confirm_page, routes.CONFIRM, "Confirm your email", AuthState.open_form)
add_page(pages.sign_in_page, routes.SIGN_IN, "Sign in", AuthState.open_sign_in)
add_page(pages.forgot_password_page, routes.FORGOT_PASSWORD, "Forgot password", AuthState.open_form)
add_page(pages.reset_password_page, routes.RESET_PASSWORD, "New password", AuthState.open_form)
add_page(pages.outbox_page, routes.OUTBOX, "Outbox", OutboxState.load)
add_page(notifications_page, routes.NOTIFICATIONS, "Notifications", login_checked(NotificationsState.load))
