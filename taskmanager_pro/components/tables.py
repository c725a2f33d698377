"""A small table of records (API tokens, webhook deliveries): a header row, one row per item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx


def record_table(headers: list[str], items: Any, row: Callable[[Any], rx.Component]) -> rx.Component:
    """``headers`` as column titles ("" for an actions column), ``row(item)`` for each of ``items`` (a list var)."""
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(header) for header in headers])),
        rx.table.body(rx.foreach(items, row)),
        size="1",
        width="100%",
    )
