"""Reflex states: ``AppState`` (the session) and one substate per concern."""

from taskmanager_pro.state.auth import AuthState
from taskmanager_pro.state.base import AppState
from taskmanager_pro.state.outbox import OutboxState
from taskmanager_pro.state.settings import SettingsState

__all__ = ["AppState", "AuthState", "OutboxState", "SettingsState"]
