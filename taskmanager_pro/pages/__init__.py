"""Pages: each assembles components for one route (registered in taskmanager_pro.py)."""

from taskmanager_pro.pages.auth import (
    confirm_page,
    forgot_password_page,
    reset_password_page,
    sign_in_page,
    sign_up_page,
)
from taskmanager_pro.pages.home import home_page
from taskmanager_pro.pages.outbox import outbox_page
from taskmanager_pro.pages.settings import settings_page

__all__ = [
    "confirm_page",
    "forgot_password_page",
    "home_page",
    "outbox_page",
    "reset_password_page",
    "settings_page",
    "sign_in_page",
    "sign_up_page",
]
