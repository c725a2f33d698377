"""Sliding-window rate limits as pure functions of the moments something happened and of now.

A limit is a few rules ("at most ``limit`` in any ``per``"); the moments (stamps) are kept per scope (a user, a phone
number) by the caller's store. ``wait`` says how long until one more is allowed (zero: now). Sliding windows, not
fixed ones: a fixed hour lets twice the limit through around its boundary.

The SMS limits (issue 12): one SMS costs real money, and the account's SNS spend cap is shared by every user, so
codes are limited per user, per number (counted across users) and per day across all users, and wrong codes per user
across resends.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Rule:
    limit: int
    per: timedelta


# Per user: one code a minute (the "resend" cooldown), 5 an hour, 10 a day.
SMS_CODES_PER_USER = (Rule(1, timedelta(minutes=1)), Rule(5, timedelta(hours=1)), Rule(10, timedelta(days=1)))
# Per number, whoever asks: nobody can make us text a stranger's phone more than this.
SMS_CODES_PER_NUMBER = (Rule(3, timedelta(hours=1)), Rule(10, timedelta(days=1)))
# Across all users, a day: many accounts, each within its own limits, could still spend the account-wide SNS budget
# (and stop every user's SMS reminders with it). The number is a setting (``TMP_SMS_CODES_PER_DAY``).
DEFAULT_SMS_CODES_PER_DAY = 1000


def sms_codes_all_users(per_day: int) -> tuple[Rule, ...]:
    return (Rule(per_day, timedelta(days=1)),)


# Verification tries per user, whatever code they are for: a resend does not give fresh guesses.
SMS_VERIFY_TRIES = (Rule(5, timedelta(hours=1)),)

# Emails caused by one author's @mentions (issue 13): a lively discussion mentions a few people a few times an hour;
# a script mentioning everyone in every comment must not run up the SES bill (the inbox rows still come).
MENTION_EMAILS_PER_AUTHOR = (Rule(30, timedelta(hours=1)), Rule(100, timedelta(days=1)))


def keep_for(rules: Iterable[Rule]) -> timedelta:
    """How long a stamp matters: the longest window (the store may forget it, TTL, afterwards)."""
    return max(rule.per for rule in rules)


def recent(stamps: Iterable[datetime], rules: Iterable[Rule], now: datetime) -> list[datetime]:
    """The stamps still inside the longest window, oldest first (what the store keeps)."""
    since = now - keep_for(rules)
    return sorted(s for s in stamps if s > since)


def wait(stamps: Iterable[datetime], rules: Iterable[Rule], now: datetime) -> timedelta:
    """How long until one more is allowed by every rule; ``timedelta(0)``: now."""
    ordered = sorted(stamps)
    longest = timedelta(0)
    for rule in rules:
        inside = [s for s in ordered if s > now - rule.per]
        if len(inside) >= rule.limit:
            # allowed again once the oldest stamp that keeps the count at the limit leaves the window
            longest = max(longest, inside[-rule.limit] + rule.per - now)
    return longest


def retry_after(delay: timedelta) -> int:
    """Whole seconds for a ``Retry-After`` header: rounded up, at least 1 (a client retrying early is refused)."""
    return max(1, math.ceil(delay.total_seconds()))


def in_words(seconds: int) -> str:
    """``"40 seconds"``, ``"1 minute"``, ``"2 hours"``: the wait as a person reads it (rounded up)."""
    if seconds < 60:
        amount, unit = seconds, "second"
    elif seconds < 3600:
        amount, unit = math.ceil(seconds / 60), "minute"
    else:
        amount, unit = math.ceil(seconds / 3600), "hour"
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


@dataclass(frozen=True)
class LimitKey:
    """Whose stamps: ``scope`` "user" (a user id), "number" (a keyed hash of a phone number), "token" (an API
    token's id) or "all" (every user together; ``id`` unused), and which limit."""

    scope: str
    id: str
    name: str


@dataclass(frozen=True)
class Counter:
    """One key's stamps as read, with the version its conditional write checks (0: never written)."""

    stamps: tuple[datetime, ...] = ()
    version: int = 0
