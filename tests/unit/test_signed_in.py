"""``signed_in``: the session check, the readable toast for an unhandled ApiError, and the ``busy`` flag.

The wrapped handlers run on a plain object with the three things the decorator uses (``_ensure_session``,
``_session_lost`` and the flag): the decorator's own behaviour, without a Reflex app around it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

import pytest

from backend.client import ApiError
from taskmanager_pro.state.base import signed_in

LOST = "session-lost"


class FakeState:
    def __init__(self, session: bool) -> None:
        self.session = session
        self.busy = False
        self.seen: list[bool] = []  # the flag as the handler saw it at each step

    async def _ensure_session(self) -> bool:
        return self.session

    def _session_lost(self) -> str:
        return LOST


def _run(generator: AsyncGenerator[Any, None], state: FakeState) -> list[Any]:
    """Drive the handler like Reflex does; note the flag after each yield (what each delta would carry)."""

    async def drive() -> list[Any]:
        events = []
        async for event in generator:
            events.append(event)
            state.seen.append(state.busy)
        return events

    return asyncio.run(drive())


@signed_in(busy="busy")
async def save(self: FakeState, fail: ApiError | None = None) -> AsyncGenerator[Any, None]:
    self.seen.append(self.busy)
    yield  # the UI shows the flag
    if fail is not None:
        raise fail
    yield "saved"


@signed_in(busy="busy")
async def refuse_form(self: FakeState) -> AsyncGenerator[Any, None]:
    self.seen.append(self.busy)
    return  # a missing field: refused before the first yield
    yield  # (makes this a generator)


def test_busy_is_true_while_the_handler_runs_and_false_after() -> None:
    state = FakeState(session=True)
    events = _run(save(state), state)
    assert events == [None, "saved"]
    assert state.seen == [True, True, True]  # at its start, at the first yield, at "saved"
    assert state.busy is False


def test_an_unhandled_api_error_becomes_a_toast_and_clears_busy() -> None:
    state = FakeState(session=True)
    error = ApiError(409, "conflict", "Someone changed it.", {"title": "Too long."})
    events = _run(save(state, error), state)
    assert len(events) == 2
    toast = events[1]
    assert "Too long." in str(toast.args)  # the first field's message, as ApiError.first_problem says
    assert state.busy is False


def test_a_refused_form_ends_not_busy_without_yielding() -> None:
    state = FakeState(session=True)
    assert _run(refuse_form(state), state) == []
    assert state.seen == [True]
    assert state.busy is False  # the one delta Reflex sends carries False: no flicker


def test_no_session_means_the_handler_does_not_run_and_busy_is_untouched() -> None:
    state = FakeState(session=False)
    assert _run(save(state), state) == [LOST]
    assert state.seen == [False]  # only the decorator's yield; the handler never started
    assert state.busy is False


def test_a_plain_coroutine_handler_is_checked_too() -> None:
    @signed_in
    async def count(self: FakeState, n: int) -> int:
        if n < 0:
            raise ApiError(400, "bad", "No negative counts.")
        return n + 1

    assert asyncio.run(count(FakeState(session=True), 1)) == 2
    assert asyncio.run(count(FakeState(session=False), 1)) == LOST
    toast = asyncio.run(count(FakeState(session=True), -1))
    assert "No negative counts." in str(toast.args)


def test_busy_needs_a_handler_that_yields() -> None:
    async def plain(self: FakeState) -> None:
        return None

    with pytest.raises(TypeError, match="busy= needs a handler that yields"):
        signed_in(busy="busy")(plain)
