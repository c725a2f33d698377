"""The local outbox: what the emulated SES/SNS "sent" (confirmation and reset codes). Local runs only."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from taskmanager_pro.state.clients import api, call, public_config

_CODE = re.compile(r"\b(\d{6})\b")


def _loopback(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None  # a dual-stack listener's view
    return (mapped or address).is_loopback


@dataclasses.dataclass(frozen=True)
class OutboxMessageView:
    channel: str
    recipients: str  # ("to" would clash with Var.to in the page)
    subject: str
    body: str
    code: str  # the 6-digit code found in the message, if any
    html: str = ""  # the rendered HTML part of an email (reminders, digests), if any


class OutboxState(rx.State):
    """Not behind sign-in: it serves the person running the app locally, before they have an account."""

    local: bool = True
    messages: list[OutboxMessageView] = []
    busy: bool = False
    error: str = ""

    @rx.event
    async def load(self) -> AsyncGenerator[Any, None]:
        self.busy, self.error = True, ""
        yield
        try:
            # cognito_endpoint is set only by a local run: in AWS, Cognito and SES send real emails.
            self.local = (await public_config()).cognito_endpoint is not None
            if self.local and not _loopback(self.router.session.client_ip):
                # Everyone's codes: only for the person at this machine, even when make run is exposed.
                self.busy, self.messages = False, []
                self.error = "The outbox is shown only on the machine running the app."
                return
            found = await call(api().outbox) if self.local else []
        except ApiError as error:
            self.busy, self.error = False, error.message
            return
        self.busy = False
        self.messages = [
            OutboxMessageView(
                channel=message.channel,
                recipients=", ".join(message.to),
                subject=message.subject or "",
                body=message.body,
                code=match.group(1) if (match := _CODE.search(message.body)) else "",
                html=message.html or "",
            )
            for message in reversed(found)  # newest first
        ]
