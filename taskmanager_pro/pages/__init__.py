"""Pages: each assembles components for one route (registered in taskmanager_pro.py)."""

from taskmanager_pro.pages.auth import (
    confirm_page,
    forgot_password_page,
    reset_password_page,
    sign_in_page,
    sign_up_page,
)
from taskmanager_pro.pages.calendar import calendar_page
from taskmanager_pro.pages.outbox import outbox_page
from taskmanager_pro.pages.settings import settings_page
from taskmanager_pro.pages.stats import stats_page
from taskmanager_pro.pages.tasks import tasks_page

__all__ = [
    "calendar_page",
    "confirm_page",
    "forgot_password_page",
    "outbox_page",
    "reset_password_page",
    "settings_page",
    "sign_in_page",
    "sign_up_page",
    "stats_page",
    "tasks_page",
]
