"""The notification bell (unread count) and the inbox page: list, mark read / all read, snooze."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from typing import Any, Literal

import reflex as rx

from backend.client import ApiError
from backend.client.api import NotificationPublic
from taskmanager_pro.state.base import AppState, signed_in
from taskmanager_pro.state.clients import call

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
    @signed_in
    async def load_count(self) -> None:
        """The bell's number: asked once per tab; live changes (``state.live``) keep it current after that."""
        if self._count_loaded:
            return
        try:
            self.unread = await call(self._api().unread_count)
        except ApiError:
            return  # the bell stays as it was; the page's own loader shows errors
        self._count_loaded = True

    @rx.event
    @signed_in(busy="busy")
    async def load(self) -> AsyncGenerator[Any, None]:
        """``on_load`` of the inbox page."""
        self.error = ""
        yield
        try:
            page = await call(self._api().list_notifications, limit=20)
        except ApiError as error:
            self.error = error.message
            return
        self.items = [_view(n) for n in page.items]
        self.next_cursor = page.next_cursor or ""
        self.unread = page.unread_count

    @rx.event
    @signed_in(busy="busy")
    async def load_more(self) -> AsyncGenerator[Any, None]:
        if not self.next_cursor:
            return
        yield
        try:
            page = await call(self._api().list_notifications, limit=20, cursor=self.next_cursor)
        except ApiError as error:
            self.error = error.message
            return
        self.items = [*self.items, *(_view(n) for n in page.items)]
        self.next_cursor = page.next_cursor or ""
        self.unread = page.unread_count

    def _replace(self, note: NotificationPublic) -> None:
        self.items = [_view(note) if item.id == note.id else item for item in self.items]

    @rx.event
    @signed_in
    async def mark_read(self, notification_id: str) -> None:
        if not isinstance(notification_id, str):
            return
        client = self._api()
        try:
            note = await call(client.read_notification, notification_id)
            self.unread = await call(client.unread_count)
        except ApiError as error:
            self.error = error.message
            return
        self._replace(note)

    @rx.event
    @signed_in
    async def mark_all_read(self) -> AsyncGenerator[Any, None]:
        try:
            result = await call(self._api().read_all_notifications)
        except ApiError as error:
            self.error = error.message
            return
        self.unread = result.unread_count
        self.items = [dataclasses.replace(item, read=True) for item in self.items]
        yield rx.toast.success("All caught up.")

    @rx.event
    @signed_in
    async def snooze(self, notification_id: str, choice: str) -> AsyncGenerator[Any, None]:
        """A refusal (the notification is gone, say) is the decorator's toast."""
        if choice not in SNOOZES or not isinstance(notification_id, str):
            return
        client = self._api()
        note = await call(client.snooze_notification, notification_id, SNOOZES[choice])
        self.unread = await call(client.unread_count)
        self._replace(note)
        label = {"10m": "10 minutes", "1h": "an hour", "tomorrow": "tomorrow morning"}[choice]
        yield rx.toast.success(f"Snoozed: you will be reminded again in {label}.")
