"""Mail and SMS that come in (issue 16): answers to a reminder and the secret task address. Pure.

An answer is its first non-empty line (an email's reply sits above the quoted reminder): ``DONE``, ``SNOOZE <when>``
(anything quick add reads as a time: ``1h``, ``30 min``, ``in 2 days``, ``friday 3pm``) or ``TOMORROW`` (9:00 local,
as the inbox's snooze). Anything else is answered with ``HELP``.

The task address is ``task-<secret>@<inbound domain>``: 120 random bits in lower-case base32, since mail systems may
change the case of a local part. It is the credential (like the calendar feed's token): whoever knows it can add tasks
to the owner's Inbox, nothing more; the user can make a new one in Settings, which retires the old one.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import getaddresses, parseaddr
from zoneinfo import ZoneInfo

from backend.domain import quick_add
from backend.domain.notifications import one_line
from backend.domain.rate_limits import Rule
from backend.domain.recurrence import to_instant
from backend.domain.reminders import snooze_until

HELP = "Reply DONE, SNOOZE 1h (or any time, e.g. SNOOZE friday 3pm) or TOMORROW."
REPLY_LOCAL_PART = "reply"  # reminders are sent with Reply-To reply@<inbound domain>
TASK_PREFIX = "task-"
SECRET_BYTES = 15  # 120 bits: 24 base32 characters
MAX_SNOOZE = timedelta(days=365)
REPLY_TARGET_KEPT = timedelta(days=14)  # an answer to a reminder older than this finds nothing to apply to
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
MAIL_PREFIX = "mail/"  # SES's receipt rule stores each message at mail/<SES message id> in the inbound bucket
TASKS_BY_EMAIL = (Rule(30, timedelta(hours=1)),)  # per user: a mail loop must not fill the Inbox
_SECRET = re.compile(rf"^{TASK_PREFIX}([a-z2-7]{{24}})$")


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Snooze:
    until: datetime  # aware, UTC


@dataclass(frozen=True)
class Help:
    pass


Answer = Done | Snooze | Help


@dataclass(frozen=True)
class ReplyTarget:
    """The last reminder sent to one phone number or address: what an answer from there applies to."""

    user_id: str
    partition: str  # where the task lives (the user's sub, or a shared project's P#<p>)
    task_id: str
    notification_id: str
    sent_at: datetime


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _when(text: str, *, now: datetime, tz: ZoneInfo) -> datetime | None:
    """The instant quick add reads in ``text`` (alone: nothing left over), a date without a time at 9:00."""
    spaced = re.sub(r"(?<=\d)(?=[a-z])", " ", text)  # "1h" is quick add's "1 h"
    for candidate in (text, f"in {text}", f"in {spaced}"):
        parsed = quick_add.parse(candidate, now=now, tz=tz)
        if parsed.title or parsed.due_date is None or parsed.recurrence:
            continue
        moment = datetime.combine(parsed.due_date, parsed.due_time or time(9, 0))
        return to_instant(moment, tz).astimezone(UTC)
    return None


def parse_answer(text: str, *, now: datetime, tz: ZoneInfo) -> Answer:
    line = one_line(first_line(text)).strip(" .!").lower()
    if line in {"done", "complete", "completed", "ok done"}:
        return Done()
    if line in {"tomorrow", "snooze tomorrow"}:
        return Snooze(snooze_until("tomorrow", now=now, tz=tz))
    if line == "snooze":
        return Snooze(snooze_until("1h", now=now, tz=tz))
    if line.startswith("snooze "):
        until = _when(line.removeprefix("snooze ").strip(), now=now, tz=tz)
        if until is not None and now < until <= now + MAX_SNOOZE:
            return Snooze(until)
    return Help()


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode().lower()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def task_address(secret: str, domain: str) -> str:
    return f"{TASK_PREFIX}{secret}@{domain}"


def reply_address(domain: str) -> str:
    return f"{REPLY_LOCAL_PART}@{domain}"


def address_of(header: str) -> str:
    """The bare address of a From/To header value, lower case ("" when there is none)."""
    return parseaddr(header)[1].strip().lower()


def secret_of(address: str, domain: str) -> str | None:
    """The secret of a task address at ``domain``, None for any other address."""
    local, _, at = address.lower().rpartition("@")
    match = _SECRET.match(local)
    return match.group(1) if match and at == domain.lower() else None


def recipients(headers: list[str]) -> list[str]:
    return [address.lower() for _, address in getaddresses(headers) if address]


def reply_key(channel: str, address: str) -> str:
    """The key under which the last reminder sent to ``address`` is remembered (no address in the key)."""
    return hashlib.sha256(f"{channel}:{address.strip().lower()}".encode()).hexdigest()


def task_notes(body: str, *, limit: int = 20_000) -> str:
    return body.strip()[:limit]


def acknowledgement(answer: Answer, title: str, *, tz: ZoneInfo) -> str:
    if isinstance(answer, Done):
        return f"Done: {one_line(title)}"
    if isinstance(answer, Snooze):
        local = answer.until.astimezone(tz)
        return f"Snoozed until {local:%a %d %b %H:%M}: {one_line(title)}"
    return HELP


def today_in(tz: ZoneInfo, now: datetime) -> date:
    return now.astimezone(tz).date()
