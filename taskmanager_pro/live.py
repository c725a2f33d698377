"""Live updates in the Reflex backend: every open tab of a user hears about a change made anywhere within a second.

One task per process (a lifespan task) reads the changes relayed to this process (``backend.client.live``) and,
for each, the tabs of that user that this process serves, and applies it to each tab's state with
``app.modify_state`` (which pushes the delta down the tab's websocket). A tab is listed when its session is
checked (``state.tabs.listen``); tabs whose socket is gone are dropped on the next change.
"""

from __future__ import annotations

import logging

import reflex as rx

from backend.client.live import Change, changes, live_url
from taskmanager_pro.state.live import apply_change
from taskmanager_pro.state.tabs import forget, tabs_of
from taskmanager_pro.state.tasks import TasksState

log = logging.getLogger(__name__)


async def deliver(app: rx.App, change: Change) -> int:
    """Apply ``change`` to every connected tab of its user here; how many tabs it reached."""
    connected = app.event_namespace.token_to_sid if app.event_namespace else {}
    reached = 0
    for token in tabs_of(change.user_id):
        if token not in connected:
            forget(token)
            continue
        try:
            async with app.modify_state(rx.BaseStateToken(ident=token, cls=TasksState)) as root:
                await apply_change(root, change)
            reached += 1
        except Exception:  # one tab's trouble must not stop the others' updates
            log.exception("live change not applied to a tab")
    return reached


async def relay_changes(app: rx.App) -> None:
    """The lifespan task: forever, every change relayed to this process to the tabs it concerns."""
    url = live_url()
    if url is None:
        log.info("live updates are off (no LIVE_REDIS_URL)")
        return
    async for change in changes(url):
        if tabs_of(change.user_id):
            await deliver(app, change)
