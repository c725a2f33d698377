"""Taking a slot under rate limits: read the stamps, decide (``domain.rate_limits``), write them back conditionally.

The slot is taken before the limited thing is done (texting a code, checking a guess), and the write is
conditional on the versions read, all keys in one transaction: concurrent requests cannot both take the last
slot, and a burst in parallel is refused as surely as one in a row. No HTTP, no boto3.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.adapters.ports import LimitStore
from backend.domain.rate_limits import LimitKey, Rule, keep_for, recent, wait

TRIES = 4  # re-reads after a concurrent write; then the caller is told to come back in a second
CONTENDED = timedelta(seconds=1)


@dataclass(frozen=True)
class Limit:
    key: LimitKey
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Refused:
    """The limit that refused (the longest wait when several did) and how long until a slot is free."""

    limit: Limit
    wait: timedelta


def take(store: LimitStore, limits: Sequence[Limit], *, now: datetime) -> Refused | None:
    """One slot under every limit at once, or what refused it (then nothing is counted)."""
    for _ in range(TRIES):
        counters = store.read_counters([limit.key for limit in limits])
        waits = [Refused(limit, wait(c.stamps, limit.rules, now)) for limit, c in zip(limits, counters, strict=True)]
        longest = max(waits, key=lambda refused: refused.wait)
        if longest.wait > timedelta(0):
            return longest
        writes = [
            (limit.key, counter, tuple(recent((*counter.stamps, now), limit.rules, now)), now + keep_for(limit.rules))
            for limit, counter in zip(limits, counters, strict=True)
        ]
        if store.write_counters(writes):
            return None
    return Refused(limits[0], CONTENDED)
