# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Page guards. A protected page is registered with ``on_load=[AppState.check_login, ...]`` and wrapped in
``@require_login``: ``check_login`` sends a signed-out visitor to ``/sign-in?next=<this page>`` (and
sign-in brings them back, to local paths only), while the wrapper renders nothing of the page until the
session is confirmed. The handlers behind the page check the session again: the wrapper only hides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import reflex as rx

from taskmanager_pro.components import loading_screen
from taskmanager_pro.state import AppState

Page = Callable[[], rx.Component]


def require_login(page: Page) -> Page:
    @functools.wraps(page)
    def protected_page() -> rx.Component:
        return rx.cond(AppState.signed_in, page(), loading_screen())

    return protected_page


def login_checked(*events: object) -> list[object]:
    """The ``on_load`` of a protected page: the session check first, then the page's own loaders."""
    return [AppState.check_login, *events]
