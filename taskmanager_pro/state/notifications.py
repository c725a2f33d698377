"""The notification bell (unread count) and the inbox page: list, mark read / all read, snooze."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any, Literal

import reflex as rx

from backend.client import ApiError
from backend.client.api import NotificationPublic
from taskmanager_pro.state.base import AppState
from taskmanager_pro.state.clients import api, call

SNOOZES: dict[str, Literal["10m", "1h", "tomorrow"]] = {"10m": "10m", "1h": "1h", "tomorrow": "tomorrow"}


@dataclasses.dataclass(frozen=True)
class NotificationView:
    id: str
    title: str
    body: str
    status: str  # sent | partial | failed | skipped | pending
    channels: str  # "email sent · in-app sent · sms skipped"
    failed: bool
    read: bool
    can_snooze: bool
    snoozed: bool


def _view(note: NotificationPublic) -> NotificationView:
    channels = " · ".join(f"{d.channel.replace('_', '-')} {d.status}" for d in note.deliveries if d.status != "skipped")
    return NotificationView(
        id=note.id,
        title=note.title,
        body=note.body,
        status=note.status,
        channels=channels,
        failed=note.status in {"failed", "partial"},
        read=note.read,
        can_snooze=note.kind == "reminder",
        snoozed=note.snoozed_until is not None,
    )


class NotificationsState(AppState):
    unread: int = 0
    items: list[NotificationView] = []
    next_cursor: str = ""
    busy: bool = False
    error: str = ""

    _count_loaded: bool = False

    @rx.event
    async def load_count(self) -> None:
        """The bell's number: asked once per tab; live changes (``state.live``) keep it current after that."""
        if self._count_loaded or not await self._ensure_session():
            return
        try:
            self.unread = await call(api(self._access_token).unread_count)
        except ApiError:
            return  # the bell stays as it was; the page's own loader shows errors
        self._count_loaded = True

    @rx.event
    async def load(self) -> AsyncGenerator[Any, None]:
        """``on_load`` of the inbox page."""
        self.busy, self.error = True, ""
        yield
        if not await self._ensure_session():
            self.busy = False
            return
        try:
            page = await call(api(self._access_token).list_notifications, limit=20)
        except ApiError as error:
            self.busy, self.error = False, error.message
            return
        self.items = [_view(n) for n in page.items]
        self.next_cursor = page.next_cursor or ""
        self.unread = page.unread_count
        self.busy = False

    @rx.event
    async def load_more(self) -> AsyncGenerator[Any, None]:
        if not self.next_cursor or not await self._ensure_session():
            return
        self.busy = True
        yield
        try:
            page = await call(api(self._access_token).list_notifications, limit=20, cursor=self.next_cursor)
        except ApiError as error:
            self.busy, self.error = False, error.message
            return
        self.items = [*self.items, *(_view(n) for n in page.items)]
        self.next_cursor = page.next_cursor or ""
        self.unread = page.unread_count
        self.busy = False

    def _replace(self, note: NotificationPublic) -> None:
        self.items = [_view(note) if item.id == note.id else item for item in self.items]

    @rx.event
    async def mark_read(self, notification_id: str) -> None:
        if not isinstance(notification_id, str) or not await self._ensure_session():
            return
        try:
            note = await call(api(self._access_token).read_notification, notification_id)
            self.unread = await call(api(self._access_token).unread_count)
        except ApiError as error:
            self.error = error.message
            return
        self._replace(note)

    @rx.event
    async def mark_all_read(self) -> AsyncGenerator[Any, None]:
        if not await self._ensure_session():
            return
        try:
            result = await call(api(self._access_token).read_all_notifications)
        except ApiError as error:
            self.error = error.message
            return
        self.unread = result.unread_count
        self.items = [dataclasses.replace(item, read=True) for item in self.items]
        yield rx.toast.success("All caught up.")

    @rx.event
    async def snooze(self, notification_id: str, choice: str) -> AsyncGenerator[Any, None]:
        if choice not in SNOOZES or not isinstance(notification_id, str) or not await self._ensure_session():
            return
        try:
            note = await call(api(self._access_token).snooze_notification, notification_id, SNOOZES[choice])
            self.unread = await call(api(self._access_token).unread_count)
        except ApiError as error:
            yield rx.toast.error(error.message)
            return
        self._replace(note)
        label = {"10m": "10 minutes", "1h": "an hour", "tomorrow": "tomorrow morning"}[choice]
        yield rx.toast.success(f"Snoozed: you will be reminded again in {label}.")
