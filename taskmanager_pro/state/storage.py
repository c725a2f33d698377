"""Storage used by the user's attachments, for the settings page."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from taskmanager_pro.state.attachments import size_text
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call


class StorageState(AppState):
    storage_used: str = ""
    storage_quota: str = ""
    storage_percent: int = 0
    storage_limits: str = ""
    storage_error: str = ""

    @rx.event
    @signed_in
    async def load_storage(self) -> AsyncGenerator[Any, None]:
        try:
            limits = await call(self._api().attachment_limits)
        except ApiError as error:
            self.storage_error = error.message
            return
        self.storage_error = ""
        self.storage_used, self.storage_quota = size_text(limits.used_bytes), size_text(limits.quota_bytes)
        self.storage_percent = (
            min(100, round(limits.used_bytes * 100 / limits.quota_bytes)) if limits.quota_bytes else 0
        )
        self.storage_limits = f"Files up to {size_text(limits.max_bytes)} each: images, PDF, text, CSV, Office, zip."
        yield
