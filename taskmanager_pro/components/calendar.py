# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""The calendar: a month grid, a week with an hour grid, and an agenda list at phone width.

Every day (month), all-day row (week) and hour (week) is a drop target (``slot:<date>[T<time>]``) and a click on
its empty part opens quick add with that day and time. A task's own occurrence drags (pointer, or the keyboard:
Space, arrows, Space); computed occurrences of a series show faded and open the task. Keys: ←/→ the previous or
next range, t today, w/m week or month (``calendar_keys``). Colours are Radix tokens: dark mode follows.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.vars.base import Var

from taskmanager_pro.components.dnd import draggable, droppable
from taskmanager_pro.state import calendar, quick_add, task_detail

CalendarState: Any = calendar.CalendarState
QuickAddState: Any = quick_add.QuickAddState
TaskDetailState: Any = task_detail.TaskDetailState

HOUR_HEIGHT = 44  # px per hour in the week grid
DESKTOP = ["none", "none", "block"]
PHONE = ["block", "block", "none"]

_KEYS = """
useEffect(() => {
    if (typeof window === 'undefined') return;
    const send = %(send)s;
    const typing = (el) => !!el && (el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName));
    const onKey = (e) => {
        if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
        if (typing(e.target) || typing(document.activeElement)) return;
        if (document.querySelector('[role="dialog"], [role="alertdialog"], [data-dragging="true"]')) return;
        if (!['ArrowLeft', 'ArrowRight', 't', 'w', 'm'].includes(e.key)) return;
        e.preventDefault();
        send(e.key);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
}, []);
"""


def _key_arg(key: Var[str]) -> tuple[Var[str]]:
    return (key,)


class CalendarKeys(rx.Fragment):  # type: ignore[misc]
    """Renders nothing; the calendar's keys while mounted (the pattern of ``keyboard.ShortcutListener``)."""

    on_key: rx.EventHandler[_key_arg]  # type: ignore[type-arg,valid-type]

    @classmethod
    def create(cls, *children: Any, **props: Any) -> CalendarKeys:
        from reflex_base.components.memoize_helpers import get_memoized_event_triggers

        component: CalendarKeys = super().create(*children, **props)  # type: ignore[assignment]
        memoized = get_memoized_event_triggers(component)
        if memoized:
            component.event_triggers = {**component.event_triggers, **memoized}
        return component

    def _exclude_props(self) -> list[str]:
        return [*super()._exclude_props(), *self.event_triggers.keys()]

    def add_hooks(self) -> list[str | Var[Any]]:
        trigger = self.event_triggers.get("on_key")
        if trigger is None:
            return []
        return [Var(_KEYS % {"send": Var.create(trigger)})]


def chip_body(chip: Any, *, compact: bool) -> rx.Component:
    return rx.hstack(
        rx.box(
            width="8px", height="8px", min_width="8px", border_radius="50%", background=chip.color, margin_top="5px"
        ),
        rx.cond(chip.time_text != "", rx.text(chip.time_text, size="1", weight="medium", class_name="tmp-cal-time")),
        rx.text(chip.title, size="1", class_name="tmp-cal-title", truncate=compact),
        rx.cond(chip.recurring, rx.icon("repeat", size=11, aria_hidden="true", min_width="11px")),
        rx.cond(chip.overdue, rx.text("Overdue", class_name="tmp-visually-hidden")),
        spacing="1",
        align="start",
        width="100%",
        min_width="0",
    )


def task_chip(
    chip: Any, *, compact: bool = True, style: dict[str, Any] | None = None, drags: bool = True
) -> rx.Component:
    """A task on a day: its own occurrence drags; a computed one only opens the task. ``drags=False``: the phone's
    agenda, a list (no drag hook per chip: it is mounted, hidden, beside the grid on wide screens too)."""
    common: dict[str, Any] = {
        "class_name": "tmp-cal-chip",
        "data_task_row": "true",  # (j/k move between chips, Enter opens, c completes: components/keyboard.py)
        "data_task_id": chip.task_id,
        "data_overdue": rx.cond(chip.overdue, "true", "false"),
        "data_occurrence": rx.cond(chip.occurrence, "true", "false"),
        "data_pending": rx.cond(chip.pending, "true", "false"),
        "style": {"--tmp-chip-color": chip.priority_color, **(style or {})},
        "on_click": TaskDetailState.open_task(chip.task_id).stop_propagation,
        "title": chip.label,
    }
    body = chip_body(chip, compact=compact)
    if not drags:
        return rx.box(body, tab_index=0, role="button", aria_label=chip.label, **common)
    return rx.cond(
        chip.can_drag,
        draggable(body, key=chip.key, id=chip.task_id, label=chip.label, **common),
        rx.box(body, tab_index=0, role="button", aria_label=chip.label, **common),
    )


def chip_in_cell(chip: Any) -> rx.Component:
    """(``rx.foreach`` takes a function of the item alone.)"""
    return task_chip(chip)


def _add_button(slot: Any, label: Any) -> rx.Component:
    return rx.icon_button(
        rx.icon("plus", size=12),
        variant="ghost",
        size="1",
        color_scheme="gray",
        aria_label=label,
        title=label,
        class_name="tmp-cal-add",
        on_click=QuickAddState.open_at(slot).stop_propagation,
    )


# --- month -----------------------------------------------------------------------------------
def month_cell(cell: Any) -> rx.Component:
    return droppable(
        rx.hstack(
            rx.text(
                cell.number,
                size="1",
                weight=rx.cond(cell.today, "bold", "regular"),
                class_name="tmp-cal-daynum",
                data_today=rx.cond(cell.today, "true", "false"),
            ),
            rx.spacer(),
            _add_button(cell.day, "Add a task on " + cell.heading),
            align="center",
            width="100%",
        ),
        rx.vstack(rx.foreach(cell.shown, chip_in_cell), spacing="1", width="100%"),
        rx.cond(
            cell.more > 0,
            rx.button(
                "+" + cell.more.to_string() + " more",
                variant="ghost",
                size="1",
                on_click=CalendarState.show_week_of(cell.day).stop_propagation,
                aria_label=cell.more.to_string() + " more on " + cell.heading + ": show the week",
            ),
        ),
        id="slot:" + cell.day,
        class_name="tmp-cal-cell",
        data_day=cell.day,
        data_in_month=rx.cond(cell.in_month, "true", "false"),
        data_past=rx.cond(cell.past, "true", "false"),
        on_click=QuickAddState.open_at(cell.day),
        role="gridcell",
        aria_label=cell.heading,
    )


def weekday_header() -> rx.Component:
    return rx.foreach(
        CalendarState.weekdays, lambda name: rx.text(name, class_name="tmp-cal-weekday", role="columnheader")
    )


def month_grid() -> rx.Component:
    return rx.box(
        weekday_header(),
        rx.foreach(CalendarState.cells, month_cell),
        class_name="tmp-cal-month",
        role="grid",
        aria_label=CalendarState.title,
    )


# --- week ------------------------------------------------------------------------------------
def hour_slot(cell: Any, hour: Any) -> rx.Component:
    slot = cell.day + "T" + hour
    return droppable(
        id="slot:" + slot,
        class_name="tmp-cal-hour",
        on_click=QuickAddState.open_at(slot),
        aria_label="Add a task on " + cell.heading + " at " + hour,
        role="button",
        tab_index=-1,
        height=f"{HOUR_HEIGHT}px",
    )


def week_column(cell: Any) -> rx.Component:
    return rx.box(
        rx.foreach(CalendarState.hours, lambda hour: hour_slot(cell, hour)),
        rx.foreach(
            cell.timed,
            lambda chip: rx.box(
                task_chip(chip),
                class_name="tmp-cal-timed",
                top=chip.top,
                height=chip.height,
                left=chip.left,
                width=chip.width,
            ),
        ),
        class_name="tmp-cal-daycol",
        data_day=cell.day,
        data_past=rx.cond(cell.past, "true", "false"),
        height=f"{24 * HOUR_HEIGHT}px",
    )


def week_grid() -> rx.Component:
    return rx.box(
        rx.box(
            rx.box(class_name="tmp-cal-gutter"),
            rx.foreach(
                CalendarState.cells,
                lambda cell: rx.vstack(
                    rx.text(cell.weekday, size="1", color_scheme="gray"),
                    rx.text(
                        cell.number,
                        size="4",
                        class_name="tmp-cal-daynum",
                        data_today=rx.cond(cell.today, "true", "false"),
                    ),
                    spacing="0",
                    align="center",
                    role="columnheader",
                ),
            ),
            rx.text("All day", size="1", color_scheme="gray", class_name="tmp-cal-gutter"),
            rx.foreach(
                CalendarState.cells,
                lambda cell: droppable(
                    rx.vstack(rx.foreach(cell.all_day, chip_in_cell), spacing="1", width="100%"),
                    id="slot:" + cell.day + "Tall-day",
                    class_name="tmp-cal-allday",
                    data_day=cell.day,
                    on_click=QuickAddState.open_at(cell.day),
                    aria_label="All day, " + cell.heading,
                ),
            ),
            class_name="tmp-cal-weekhead",
        ),
        rx.box(
            rx.box(
                rx.box(
                    rx.foreach(
                        CalendarState.hours,
                        lambda hour: rx.text(hour, size="1", color_scheme="gray", height=f"{HOUR_HEIGHT}px"),
                    ),
                    class_name="tmp-cal-gutter",
                ),
                rx.foreach(CalendarState.cells, week_column),
                class_name="tmp-cal-weekbody",
            ),
            id="tmp-cal-scroll",
            class_name="tmp-cal-scroll",
        ),
        class_name="tmp-cal-week",
        role="grid",
        aria_label=CalendarState.title,
    )


# --- phones ----------------------------------------------------------------------------------
def agenda() -> rx.Component:
    return rx.cond(
        CalendarState.agenda_days > 0,
        rx.vstack(
            rx.foreach(
                CalendarState.cells,  # (the grid's own cells: the same data is not sent twice)
                lambda cell: rx.cond(
                    cell.in_month & (cell.count > 0),
                    rx.box(
                        rx.hstack(
                            rx.heading(cell.heading, size="3", as_="h2"),
                            rx.spacer(),
                            _add_button(cell.day, "Add a task on " + cell.heading),
                            align="center",
                            width="100%",
                        ),
                        rx.vstack(
                            rx.foreach(cell.all_day, lambda chip: task_chip(chip, compact=False, drags=False)),
                            rx.foreach(cell.timed, lambda chip: task_chip(chip, compact=False, drags=False)),
                            spacing="1",
                            width="100%",
                            role="list",
                        ),
                        class_name="tmp-cal-agenda-day",
                        data_day=cell.day,
                        width="100%",
                    ),
                ),
            ),
            spacing="3",
            width="100%",
        ),
        rx.text("Nothing planned in this range.", size="2", color_scheme="gray", padding_y="var(--space-4)"),
    )


# --- the page's parts ------------------------------------------------------------------------
def calendar_header() -> rx.Component:
    unit = rx.cond(CalendarState.is_month, "month", "week")
    return rx.hstack(
        rx.heading(CalendarState.title, size="6", as_="h1", id="calendar-title"),
        rx.spacer(),
        rx.hstack(
            rx.icon_button(
                rx.icon("chevron-left", size=16),
                variant="soft",
                color_scheme="gray",
                on_click=CalendarState.go(-1),
                aria_label="Previous " + unit,
                title="Previous " + unit + " (←)",
            ),
            rx.button("Today", variant="soft", color_scheme="gray", on_click=CalendarState.go(0), title="Today (t)"),
            rx.icon_button(
                rx.icon("chevron-right", size=16),
                variant="soft",
                color_scheme="gray",
                on_click=CalendarState.go(1),
                aria_label="Next " + unit,
                title="Next " + unit + " (→)",
            ),
            spacing="2",
        ),
        rx.segmented_control.root(
            rx.segmented_control.item("Week", value="week"),
            rx.segmented_control.item("Month", value="month"),
            value=CalendarState.mode,
            on_change=CalendarState.set_mode,
            size="1",
            aria_label="Calendar view",
        ),
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
    )


def calendar_notices() -> rx.Component:
    return rx.fragment(
        rx.cond(
            CalendarState.overdue_before > 0,
            rx.callout(
                CalendarState.overdue_before.to_string() + " overdue tasks from earlier days: see Today.",
                icon="triangle-alert",
                color_scheme="red",
                size="1",
                id="calendar-overdue",
            ),
        ),
        rx.cond(
            CalendarState.truncated,
            rx.callout("Only the first 5 000 tasks of this range are shown.", icon="info", size="1"),
        ),
    )


def calendar_body() -> rx.Component:
    return rx.cond(
        CalendarState.loaded,
        rx.box(
            rx.box(rx.cond(CalendarState.is_month, month_grid(), week_grid()), display=DESKTOP),
            rx.box(agenda(), display=PHONE),
            width="100%",
            data_loading=rx.cond(CalendarState.loading, "true", "false"),
            id="calendar",
        ),
        rx.skeleton(height="24em", width="100%", loading=True),
    )


def calendar_keys() -> rx.Component:
    return CalendarKeys.create(on_key=CalendarState.key)


__all__ = ["calendar_body", "calendar_header", "calendar_keys", "calendar_notices"]
