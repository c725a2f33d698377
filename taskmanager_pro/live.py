"""Live updates in the Reflex backend: every open tab of a user hears about a change made anywhere within a second.

One task per process (a lifespan task) reads the changes relayed to this process (``backend.client.live``) and,
for each user, the tabs of that user that this process serves, and applies them to each tab's state with
``app.modify_state`` (which pushes the delta down the tab's websocket). A tab is listed when its session is
checked (``state.tabs.listen``) and forgotten when it signs out or shows another user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import reflex as rx

from backend.client.live import Change, changes, live_url
from taskmanager_pro.state.live import apply_change, refresh_stats, stats_shown
from taskmanager_pro.state.tabs import forget, tabs_of
from taskmanager_pro.state.tasks import TasksState

log = logging.getLogger(__name__)

# The analytics Lambda counts a task change from the same stream as this one, a moment later: the statistics
# page asks for its figures after this long.
STATS_SETTLE_SECONDS = 0.5
MAX_BATCH = 100  # changes applied to a tab under one lock
_pending: set[asyncio.Task[None]] = set()  # (references: a task nobody holds may be collected before it runs)


async def deliver(app: rx.App, user_id: str, batch: list[Change]) -> int:
    """Apply ``batch`` (changes for ``user_id``, in order) to every tab of that user here; how many tabs it reached.

    One state lock and one delta per tab for the whole batch: a burst of changes (an import, a bulk edit elsewhere)
    does not hold the tab's own clicks behind a change at a time. A tab whose socket is down right now is changed
    too (its state lives here): when it reconnects it shows the list as it is, not as it was when the connection
    dropped. A tab that shows someone else (or nobody) by now is forgotten.
    """
    reached = 0
    for token in tabs_of(user_id):
        try:
            async with app.modify_state(_token(token)) as root:
                applied = [await apply_change(root, change) for change in batch]
                stats = any(applied) and any(c.kind == "task" for c in batch) and await stats_shown(root)
        except Exception:  # one tab's trouble must not stop the others' updates
            log.exception("live changes not applied to a tab")
            continue
        if all(applied):
            reached += 1
        else:
            forget(token)
        if stats:
            later = asyncio.create_task(_refresh_stats_later(app, token))
            _pending.add(later)
            later.add_done_callback(_pending.discard)
    return reached


def by_user(batch: list[Change]) -> dict[str, list[Change]]:
    """The batch per user, each in the order it came."""
    grouped: dict[str, list[Change]] = {}
    for change in batch:
        grouped.setdefault(change.user_id, []).append(change)
    return grouped


def _token(client_token: str) -> rx.BaseStateToken:
    return rx.BaseStateToken(ident=client_token, cls=TasksState)


async def _refresh_stats_later(app: rx.App, client_token: str) -> None:
    await asyncio.sleep(STATS_SETTLE_SECONDS)
    try:
        async with app.modify_state(_token(client_token)) as root:
            await refresh_stats(root)
    except Exception:
        log.exception("statistics not refreshed after a live change")


async def relay_changes(app: rx.App) -> None:
    """The lifespan task: forever, the changes relayed to this process to the tabs they concern.

    The feed is read into a queue as fast as it comes; what piled up while tabs were being changed goes out
    together (at most ``MAX_BATCH`` at a time), grouped per user."""
    url = live_url()
    if url is None:
        log.info("live updates are off (no LIVE_REDIS_URL)")
        return
    queue: asyncio.Queue[Change] = asyncio.Queue()

    async def read() -> None:
        async with contextlib.aclosing(changes(url)) as feed:  # cancelled: the subscription closes now, not at GC
            async for change in feed:
                if tabs_of(change.user_id):
                    queue.put_nowait(change)

    reader = asyncio.create_task(read())
    try:
        while True:
            batch = [await queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            for user_id, theirs in by_user(batch).items():
                await deliver(app, user_id, theirs)
    finally:
        reader.cancel()
