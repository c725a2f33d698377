# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The notification inbox."""

from __future__ import annotations

import reflex as rx

from taskmanager_pro.components import app_shell
from taskmanager_pro.components.notifications import inbox
from taskmanager_pro.guards import require_login


@require_login
def notifications_page() -> rx.Component:
    return app_shell(inbox())
