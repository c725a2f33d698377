"""The rate limit rules (pure: stamps and now in, wait out) and taking a slot with a store that may have changed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from backend.domain.rate_limits import (
    SMS_CODES_PER_NUMBER,
    SMS_CODES_PER_USER,
    SMS_VERIFY_TRIES,
    Counter,
    LimitKey,
    Rule,
    in_words,
    recent,
    retry_after,
    sms_codes_all_users,
    wait,
)
from backend.services.rate_limits import CONTENDED, Limit, take

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_nothing_yet_means_now() -> None:
    assert wait([], SMS_CODES_PER_USER, T0) == timedelta(0)


def test_one_code_a_minute_per_user() -> None:
    assert wait([at(0)], SMS_CODES_PER_USER, at(15)) == timedelta(seconds=45)
    assert wait([at(0)], SMS_CODES_PER_USER, at(60)) == timedelta(0)


def test_five_codes_an_hour_then_ten_a_day_per_user() -> None:
    hour = [at(i * 120) for i in range(5)]  # 00:00, 00:02 ... 00:08
    assert wait(hour, SMS_CODES_PER_USER, at(600)) == timedelta(seconds=3600 - 600)  # until 00:00 leaves the hour
    day = [at(i * 7200) for i in range(10)]  # every two hours
    assert wait(day, SMS_CODES_PER_USER, at(10 * 7200)) == timedelta(days=1) - timedelta(seconds=10 * 7200)
    assert wait(day[1:], SMS_CODES_PER_USER, at(10 * 7200)) == timedelta(0)


def test_three_codes_an_hour_per_number() -> None:
    three = [at(0), at(100), at(200)]
    assert wait(three, SMS_CODES_PER_NUMBER, at(300)) == timedelta(seconds=3300)
    assert wait(three, SMS_CODES_PER_NUMBER, at(3600)) == timedelta(0)  # the first left the window


def test_the_window_slides() -> None:
    rule = (Rule(2, timedelta(hours=1)),)
    # two near the end of one hour and none after: a fixed hour would allow two more at once at its turn
    stamps = [at(3500), at(3590)]
    assert wait(stamps, rule, at(3610)) == timedelta(seconds=3500 + 3600 - 3610)


def test_a_daily_cap_across_all_users() -> None:
    rule = sms_codes_all_users(3)
    day = [at(0), at(600), at(1200)]  # whoever asked: the stamps of every user and number together
    assert wait(day[:2], rule, at(1800)) == timedelta(0)
    assert wait(day, rule, at(1800)) == timedelta(days=1) - timedelta(seconds=1800)  # until 00:00 leaves the day
    assert wait(day, rule, at(86_400)) == timedelta(0)
    assert sms_codes_all_users(1000) == (Rule(1000, timedelta(days=1)),)


def test_five_tries_an_hour() -> None:
    tries = [at(i) for i in range(5)]
    assert wait(tries, SMS_VERIFY_TRIES, at(10)) == timedelta(seconds=3590)
    assert wait(tries[:4], SMS_VERIFY_TRIES, at(10)) == timedelta(0)


def test_only_what_matters_is_kept() -> None:
    assert recent([at(-86_400), at(-86_399), at(0)], SMS_CODES_PER_USER, at(0)) == [at(-86_399), at(0)]


def test_retry_after_and_words() -> None:
    assert retry_after(timedelta(seconds=0.2)) == 1
    assert retry_after(timedelta(seconds=44.01)) == 45
    assert [in_words(s) for s in (1, 45, 60, 61, 3599, 3600, 7201)] == [
        "1 second", "45 seconds", "1 minute", "2 minutes", "60 minutes", "1 hour", "3 hours",
    ]  # fmt: skip


class Store:
    """Counters in a dict; ``interfere`` writes are made by "someone else" between a read and the write."""

    def __init__(self, interfere: int = 0) -> None:
        self.counters: dict[LimitKey, Counter] = {}
        self.interfere = interfere
        self.reads = 0

    def read_counters(self, keys: Sequence[LimitKey]) -> list[Counter]:
        self.reads += 1
        return [self.counters.get(key, Counter()) for key in keys]

    def write_counters(self, writes: Sequence[tuple[LimitKey, Counter, tuple[datetime, ...], datetime]]) -> bool:
        if self.interfere:
            self.interfere -= 1
            key, read, _, _ = writes[0]
            self.counters[key] = Counter(read.stamps, read.version + 1)  # a concurrent write of the same key
            return False
        if any(self.counters.get(key, Counter()).version != read.version for key, read, _, _ in writes):
            return False
        for key, read, stamps, _ in writes:
            self.counters[key] = Counter(stamps, read.version + 1)
        return True

    def forget_counter(self, key: LimitKey) -> None:
        self.counters.pop(key, None)


USER = Limit(LimitKey("user", "u1", "sms-code"), SMS_CODES_PER_USER)
NUMBER = Limit(LimitKey("number", "n1", "sms-code"), SMS_CODES_PER_NUMBER)


def test_take_counts_under_every_limit_or_none() -> None:
    store = Store()
    assert take(store, [USER, NUMBER], now=T0) is None
    assert store.counters[USER.key].stamps == store.counters[NUMBER.key].stamps == (T0,)
    refused = take(store, [USER, NUMBER], now=at(10))
    assert refused is not None
    assert (refused.limit, refused.wait) == (USER, timedelta(seconds=50))
    assert store.counters[NUMBER.key].stamps == (T0,)  # refused: nothing counted anywhere


def test_take_names_the_longest_wait() -> None:
    store = Store()
    store.counters[NUMBER.key] = Counter((at(-100), at(-50), at(-10)), 3)
    refused = take(store, [USER, NUMBER], now=T0)
    assert refused is not None
    assert (refused.limit, refused.wait) == (NUMBER, timedelta(seconds=3500))


def test_take_reads_again_after_a_concurrent_write() -> None:
    store = Store(interfere=1)
    assert take(store, [USER], now=T0) is None
    assert store.reads == 2


def test_take_gives_up_under_contention() -> None:
    store = Store(interfere=100)
    refused = take(store, [USER], now=T0)
    assert refused is not None
    assert refused.wait == CONTENDED


def test_the_daily_cap_refuses_a_fresh_user_and_number() -> None:
    store = Store()
    everyone = Limit(LimitKey("all", "", "sms-code"), sms_codes_all_users(2))

    def by(user: str) -> list[Limit]:  # a user's code to a number of their own
        return [
            Limit(LimitKey("user", user, "sms-code"), SMS_CODES_PER_USER),
            Limit(LimitKey("number", f"number of {user}", "sms-code"), SMS_CODES_PER_NUMBER),
            everyone,
        ]

    assert take(store, by("u1"), now=at(0)) is None
    assert take(store, by("u2"), now=at(1)) is None
    newcomer = by("u3")
    refused = take(store, newcomer, now=at(5))
    assert refused is not None
    assert (refused.limit, refused.wait) == (everyone, timedelta(days=1) - timedelta(seconds=5))
    assert newcomer[0].key not in store.counters  # refused: nothing counted
    assert store.counters[everyone.key].stamps == (at(0), at(1))
