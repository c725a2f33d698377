"""Components: functions of Vars, assembled by pages."""

from taskmanager_pro.components.forms import (
    blocked,
    code_input,
    confirm_delete_dialog,
    error_message,
    field,
    form,
    notice_message,
    password_checklist,
    password_input,
    submit_button,
    text_input,
)
from taskmanager_pro.components.layout import app_shell, auth_layout, loading_screen

__all__ = [
    "app_shell",
    "auth_layout",
    "blocked",
    "code_input",
    "confirm_delete_dialog",
    "error_message",
    "field",
    "form",
    "loading_screen",
    "notice_message",
    "password_checklist",
    "password_input",
    "submit_button",
    "text_input",
]
