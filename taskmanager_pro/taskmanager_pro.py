"""The Reflex app: pages and their ``on_load`` handlers. In a local run the REST API is mounted at /api."""

from __future__ import annotations

import logging
import traceback

import reflex as rx
from reflex.event import EventSpec

from backend.client import get_client_settings
from backend.names import APP_DISPLAY_NAME
from taskmanager_pro import pages, routes
from taskmanager_pro.guards import login_checked
from taskmanager_pro.state import AuthState, OutboxState, SettingsState

log = logging.getLogger(__name__)


def unexpected_error(exception: Exception) -> EventSpec:
    """A bug, not a refusal (those are shown next to their form): log it here, tell the user plainly."""
    log.error("unhandled error in a state handler\n%s", "".join(traceback.format_exception(exception)))
    toast: EventSpec = rx.toast.error("Something went wrong on our side. Try again.", id="unexpected_error")
    return toast


def _api_transformer() -> object | None:
    if not get_client_settings().local_api:
        return None
    from backend.local.asgi import create_local_api  # only in a local run: needs the emulator's environment

    return create_local_api()


app = rx.App(
    api_transformer=_api_transformer(),  # type: ignore[arg-type]
    backend_exception_handler=unexpected_error,
)


def _title(name: str) -> str:
    return f"{name} · {APP_DISPLAY_NAME}"


app.add_page(pages.home_page, route=routes.HOME, title=APP_DISPLAY_NAME, on_load=login_checked())
app.add_page(
    pages.settings_page, route=routes.SETTINGS, title=_title("Settings"), on_load=login_checked(SettingsState.load)
)
app.add_page(pages.sign_up_page, route=routes.SIGN_UP, title=_title("Sign up"), on_load=AuthState.open_form)
app.add_page(pages.confirm_page, route=routes.CONFIRM, title=_title("Confirm"), on_load=AuthState.open_form)
app.add_page(pages.sign_in_page, route=routes.SIGN_IN, title=_title("Sign in"), on_load=AuthState.open_sign_in)
app.add_page(
    pages.forgot_password_page,
    route=routes.FORGOT_PASSWORD,
    title=_title("Forgot password"),
    on_load=AuthState.open_form,
)
app.add_page(
    pages.reset_password_page,
    route=routes.RESET_PASSWORD,
    title=_title("New password"),
    on_load=AuthState.open_form,
)
app.add_page(pages.outbox_page, route=routes.OUTBOX, title=_title("Outbox"), on_load=OutboxState.load)
