"""How much one account may hold. Pure.

Limits a real user never meets but that bound what one account can cost: storage, the reads of whole-account
operations (export, delete everything, a time zone change re-plans every open task) and the Scheduler's account-wide
schedule quota (one schedule per pending reminder). The values come from ``Settings`` (``TMP_QUOTA_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.errors import QuotaExceededError


@dataclass(frozen=True)
class Quotas:
    tasks: int = 100_000  # stored, open or done (20 completions a day for 13 years)
    open_tasks: int = 10_000
    projects: int = 300  # besides the Inbox
    labels: int = 500
    # tasks with reminders of their own: at most 5 each, so at most 5 000 one-time schedules per account
    tasks_with_reminders: int = 1_000


DEFAULT_QUOTAS = Quotas()


def exceeded(what: str, limit: int, *, field: str, hint: str = "") -> QuotaExceededError:
    """The 409 a client shows as it is: "An account has at most 300 projects. Delete some to add more."."""
    message = f"An account has at most {limit:,} {what}. {hint or 'Delete some to add more.'}"
    return QuotaExceededError(message, fields={field: f"at most {limit} {what}"})
