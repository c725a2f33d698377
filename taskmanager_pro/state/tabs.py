"""Which tabs this process serves for which user: the address book of live updates (``taskmanager_pro.live``).

A tab is listed when its session is checked, and forgotten when it signs out, shows another user, or is one of
too many (the oldest go first).
"""

from __future__ import annotations

from collections import defaultdict

MAX_TABS_PER_USER = 20  # the newest ones: a tab not seen for long has usually been closed

# user id → the client tokens of their tabs (oldest first), and each token's user
_tabs: defaultdict[str, dict[str, None]] = defaultdict(dict)
_user_of: dict[str, str] = {}


def listen(user_id: str, client_token: str) -> None:
    """This tab shows ``user_id``'s data from now on (called with a checked session only)."""
    if not user_id or not client_token or _user_of.get(client_token) == user_id:
        return
    forget(client_token)  # a tab shows one user at a time
    tokens = _tabs[user_id]
    tokens[client_token] = None
    _user_of[client_token] = user_id
    for oldest in list(tokens)[:-MAX_TABS_PER_USER]:
        forget(oldest)


def forget(client_token: str) -> None:
    user_id = _user_of.pop(client_token, None)
    if user_id is None:
        return
    tokens = _tabs[user_id]
    tokens.pop(client_token, None)
    if not tokens:
        del _tabs[user_id]


def tabs_of(user_id: str) -> set[str]:
    return set(_tabs.get(user_id, ()))
