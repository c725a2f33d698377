"""Which tabs this process serves for which user: the address book of live updates (``taskmanager_pro.live``).

A tab is listed when its session is checked; a tab whose socket is gone is dropped by the next change for it.
"""

from __future__ import annotations

from collections import defaultdict

# user id → the client tokens of their tabs connected to this process
_tabs: defaultdict[str, set[str]] = defaultdict(set)


def listen(user_id: str, client_token: str) -> None:
    """This tab shows ``user_id``'s data from now on (called with a checked session only)."""
    forget(client_token)  # a tab shows one user at a time
    if user_id and client_token:
        _tabs[user_id].add(client_token)


def forget(client_token: str) -> None:
    for user_id in [user for user, tokens in _tabs.items() if client_token in tokens]:
        _tabs[user_id].discard(client_token)
        if not _tabs[user_id]:
            del _tabs[user_id]


def tabs_of(user_id: str) -> set[str]:
    return set(_tabs.get(user_id, ()))
