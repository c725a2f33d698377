"""The notification inbox, snoozes, SMS number verification and the signed email links. No HTTP, no boto3."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Literal

from backend.adapters.ports import InboxStore, LimitStore, Schedules, TaskStore, Texter, UserRepository
from backend.domain import schedules
from backend.domain.notifications import Notification, SendFailedError
from backend.domain.rate_limits import (
    SMS_CODES_PER_NUMBER,
    SMS_CODES_PER_USER,
    SMS_VERIFY_TRIES,
    LimitKey,
    in_words,
    retry_after,
    sms_codes_all_users,
)
from backend.domain.reminders import snooze_until
from backend.domain.tasks import Status, complete
from backend.domain.users import User
from backend.errors import ConflictError, InvalidInputError, NotFoundError, TooManyRequestsError
from backend.services import links
from backend.services.notification_settings import zone_of
from backend.services.rate_limits import Limit, take

PHONE_CODE_TTL = timedelta(minutes=10)


def _missing() -> NotFoundError:
    return NotFoundError("No such notification.", fields={"notification_id": "does not exist"})


def page(
    *, inbox: InboxStore, user_id: str, limit: int, cursor: str | None
) -> tuple[list[Notification], str | None, int]:
    items, next_cursor = inbox.page(user_id, limit=limit, cursor=cursor)
    return items, next_cursor, inbox.unread_count(user_id)


def mark_read(*, inbox: InboxStore, user_id: str, notification_id: str) -> Notification:
    note = inbox.mark_read(user_id, notification_id)
    if note is None:
        raise _missing()
    return note


def snooze(
    *,
    inbox: InboxStore,
    users: UserRepository,
    store: TaskStore,
    scheduler: Schedules,
    user_id: str,
    notification_id: str,
    choice: str,
    now: datetime,
) -> Notification:
    """Remind again later: a one-time schedule ``z-<notification>`` (snoozing again moves it)."""
    until = snooze_until(choice, now=now, tz=zone_of(users.get(user_id)))
    return snooze_to(
        inbox=inbox, store=store, scheduler=scheduler, user_id=user_id, notification_id=notification_id, until=until
    )


def snooze_to(
    *,
    inbox: InboxStore,
    store: TaskStore,
    scheduler: Schedules,
    user_id: str,
    notification_id: str,
    until: datetime,
    partition: str | None = None,
) -> Notification:
    """``snooze`` to any instant (an answer to a reminder: ``SNOOZE friday 3pm``, issue 16). ``partition``: where
    the task lives when it is not the user's own (a shared project's)."""
    note = inbox.get(user_id, notification_id)
    if note is None:
        raise _missing()
    if note.kind != "reminder" or note.task_id is None:
        raise InvalidInputError("Only reminders can be snoozed.", fields={"notification_id": "is not a reminder"})
    task = store.get_task(partition or user_id, note.task_id)
    if task is None or task.status is Status.DONE:
        raise ConflictError("The task is done or gone; there is nothing to remind of.")
    name = schedules.snooze_name(note.id)
    payload = schedules.reminder_payload(
        user_id=user_id,
        task_id=task.id,
        reminder_id=note.reminder_id or "",
        fire_at=until,
        due_key=task.due_key,
        origin=name,
        snoozed_from=note.id,
        partition=partition if partition and partition != user_id else None,
    )
    scheduler.put_one_time(name, until, payload)
    snoozed = inbox.set_snoozed(user_id, note.id, until)
    if snoozed is None:
        raise _missing()
    return snoozed


# --- SMS number verification ------------------------------------------------------------------------
def _code_hash(user_id: str, phone: str, code: str, secret: bytes) -> str:
    # ``secret``: the SMS-code key derived from the signing secret (signing_keys.SMS_CODE), no other purpose's.
    return hmac.new(secret, f"{user_id}|{phone}|{code}".encode(), hashlib.sha256).hexdigest()


def _codes_by(user_id: str) -> Limit:
    return Limit(LimitKey("user", user_id, "sms-code"), SMS_CODES_PER_USER)


def _codes_to(phone: str, secret: bytes) -> Limit:
    # keyed hash: the row counts codes to a number without storing the number (it is not the caller's data)
    number = hmac.new(secret, f"sms-number|{phone}".encode(), hashlib.sha256).hexdigest()[:32]
    return Limit(LimitKey("number", number, "sms-code"), SMS_CODES_PER_NUMBER)


def _codes_of_everyone(per_day: int) -> Limit:
    return Limit(LimitKey("all", "", "sms-code"), sms_codes_all_users(per_day))


def _tries_of(user_id: str) -> Limit:
    return Limit(LimitKey("user", user_id, "sms-verify"), SMS_VERIFY_TRIES)


def send_phone_code(
    *,
    inbox: InboxStore,
    limits: LimitStore,
    users: UserRepository,
    texter: Texter,
    user_id: str,
    phone: str,
    secret: bytes,
    codes_per_day: int,
    now: datetime,
) -> datetime:
    """Text a 6-digit code to ``phone``; the number becomes the profile's (unverified until the code comes back).

    Every SMS costs money from one account-wide budget, so codes are limited per user, per number (whoever asks)
    and per day for all users together (``codes_per_day``); ``TooManyRequestsError`` when over a limit, and then
    nothing is sent or counted."""
    user = users.get(user_id)
    if user is None:
        raise NotFoundError("This account no longer exists.")
    everyone = _codes_of_everyone(codes_per_day)
    refused = take(limits, [_codes_by(user_id), _codes_to(phone, secret), everyone], now=now)
    if refused is not None:
        seconds = retry_after(refused.wait)
        if refused.limit == everyone:
            # Nothing the caller sent or did is the cause: no field, and a message that says so.
            raise TooManyRequestsError(
                f"We cannot send text messages right now. Try again in {in_words(seconds)}.", retry_after=seconds
            )
        if refused.limit.key.scope == "number":
            raise TooManyRequestsError(
                f"This number got several codes lately. Try again in {in_words(seconds)}.",
                retry_after=seconds,
                fields={"phone": f"got too many codes lately; try again in {in_words(seconds)}"},
            )
        raise TooManyRequestsError(
            f"You asked for codes too often. Try again in {in_words(seconds)}.", retry_after=seconds
        )
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = now + PHONE_CODE_TTL
    inbox.put_phone_code(user_id, phone, _code_hash(user_id, phone, code, secret), expires=expires)
    if user.preferences.sms_phone != phone or user.preferences.sms_verified:
        p = replace(user.preferences, sms_phone=phone, sms_verified=False, sms_notifications=False)
        users.save(replace(user, preferences=p, updated_at=now))
    try:
        texter.send(phone, f"Your TaskManager Pro code: {code}. It expires in 10 minutes.")
    except SendFailedError:
        raise InvalidInputError(
            "We could not text this number. Check it, or try again later.", fields={"phone": "could not be reached"}
        ) from None
    return expires


def verify_phone(
    *,
    inbox: InboxStore,
    limits: LimitStore,
    users: UserRepository,
    user_id: str,
    code: str,
    secret: bytes,
    now: datetime,
) -> User:
    """Check the texted code. Each try takes a slot before the code is compared (so parallel guesses are counted
    too), and the count spans resends: a new code does not bring new guesses. A right code clears it."""
    pending = inbox.get_phone_code(user_id)
    if pending is None:
        raise InvalidInputError("Ask for a new code first.", fields={"code": "has expired or was never sent"})
    phone, expected, _ = pending
    tries = _tries_of(user_id)
    refused = take(limits, [tries], now=now)
    if refused is not None:
        seconds = retry_after(refused.wait)
        raise TooManyRequestsError(
            f"Too many wrong codes. Try again in {in_words(seconds)}.",
            retry_after=seconds,
            fields={"code": f"too many wrong codes; try again in {in_words(seconds)}"},
        )
    if not hmac.compare_digest(expected, _code_hash(user_id, phone, code, secret)):
        raise InvalidInputError("That code is not right.", fields={"code": "does not match"})
    user = users.get(user_id)
    if user is None:
        raise NotFoundError("This account no longer exists.")
    inbox.delete_phone_code(user_id)
    limits.forget_counter(tries.key)
    p = replace(user.preferences, sms_phone=phone, sms_verified=True, sms_notifications=True)
    return users.save(replace(user, preferences=p, updated_at=now))


# --- signed links ---------------------------------------------------------------------------------------
def unsubscribe(*, users: UserRepository, token: str, keys: Sequence[bytes], now: datetime) -> tuple[str, str]:
    claims = links.verify(token, action="unsubscribe", keys=keys)
    user = users.get(claims.user_id)
    if user is None:
        raise links.InvalidLinkError("This link is not valid.", fields={"token": "is not valid"})
    if claims.scope == "digest":
        preferences, what = replace(user.preferences, digest_enabled=False), "the daily digest"
    elif claims.scope == "weekly":
        preferences, what = replace(user.preferences, weekly_summary=False), "the weekly summary"
    else:
        preferences, what = replace(user.preferences, email_notifications=False), "reminder emails"
    if preferences != user.preferences:
        users.save(replace(user, preferences=preferences, updated_at=now))
    return "unsubscribed", f"You will get no more {what}. You can switch them on again in the settings."


def complete_from_link(
    *, store: TaskStore, users: UserRepository, token: str, keys: Sequence[bytes], now: datetime
) -> tuple[Literal["completed", "already_done"], str]:
    """Complete the occurrence the email was about; a second click, or a task moved on since, changes nothing."""
    claims = links.verify(token, action="complete", keys=keys)
    task = store.get_task(claims.user_id, claims.task_id or "")
    if task is None:
        raise links.InvalidLinkError("This task no longer exists.", fields={"token": "the task is gone"})
    if task.status is Status.DONE or task.due_key != claims.due_key:
        return "already_done", f"“{task.title}” was already done."
    today = now.astimezone(zone_of(users.get(claims.user_id))).date()
    try:
        store.save_task(complete(task, now=now, today=today), previous=task)
    except ConflictError:
        return "already_done", f"“{task.title}” was changed meanwhile; open the app to check it."
    return "completed", f"“{task.title}” is done."
