"""What a drag and drop landed on, from the ids the components give their drop targets (pure)."""

from __future__ import annotations

from typing import Literal

DropKind = Literal["task", "column", "project", "slot", ""]


def drop_target(over_id: object) -> tuple[DropKind, str]:
    """``("task", id)`` (a row), ``("column", key)`` (a board column), ``("project", id)`` (the sidebar),
    ``("slot", "YYYY-MM-DD[THH:MM]")`` (the calendar), or ``("", "")``: nowhere, or not an id we give out.
    Task ids never contain ``:``."""
    if not isinstance(over_id, str) or not over_id or len(over_id) > 200:
        return "", ""
    kind, sep, value = over_id.partition(":")
    if not sep:
        return "task", over_id
    if kind == "column":
        return "column", value
    if kind == "project" and value:
        return "project", value
    if kind == "slot" and value:
        return "slot", value
    return "", ""
