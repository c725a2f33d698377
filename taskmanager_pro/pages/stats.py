"""Statistics: completions per day and week, created vs completed, on-time rate, overdue, streak vs the daily goal,
breakdowns and busiest times. Every chart has a table alternative (the "Show as tables" switch)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.components import app_shell, error_message
from taskmanager_pro.guards import require_login
from taskmanager_pro.state.stats import RANGES, StatsState

AXIS = rx.color("gray", 11)
GRID = rx.color("gray", 6)
COMPLETED = rx.color("accent", 9)
CREATED = rx.color("gray", 8)
CHART_HINT = "turn on Show as tables for the numbers"
TOOLTIP_STYLE = {"backgroundColor": "var(--color-panel-solid)", "border": "1px solid var(--gray-6)", "color": "inherit"}


def figure(label: str, value: Any, hint: Any = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(label, size="2", color_scheme="gray"),
            rx.heading(value, size="6", as_="p"),
            rx.text(hint, size="1", color_scheme="gray"),
            spacing="1",
        ),
        role="group",
        aria_label=label,
        min_width="9em",
        flex="1",
    )


def data_table(caption: str, rows: Any, columns: list[tuple[str, str]]) -> rx.Component:
    return rx.table.root(
        rx.el.caption(caption, style={"textAlign": "left", "padding": "var(--space-2) 0", "fontWeight": "500"}),
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(title) for _, title in columns])),
        rx.table.body(
            rx.foreach(rows, lambda row: rx.table.row(*[rx.table.cell(row[key].to(str)) for key, _ in columns]))
        ),
        size="1",
        variant="surface",
        width="100%",
    )


def bar_chart(rows: Any, x_key: str, *bars: tuple[str, str, Any], height: int = 220) -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", stroke=GRID),
        rx.recharts.x_axis(data_key=x_key, stroke=AXIS, tick={"fill": AXIS, "fontSize": 11}),
        rx.recharts.y_axis(allow_decimals=False, stroke=AXIS, tick={"fill": AXIS, "fontSize": 11}, width=30),
        rx.recharts.tooltip(content_style=TOOLTIP_STYLE, cursor={"fill": rx.color("gray", 4)}),
        *[rx.recharts.bar(data_key=key, name=name, fill=color, is_animation_active=False) for key, name, color in bars],
        *([rx.recharts.legend()] if len(bars) > 1 else []),
        data=rows,
        width="100%",
        height=height,
        # Recharts 3 makes the chart a focusable "application" (arrow keys move the tooltip); the chart is an
        # image here, its numbers are in the table alternative.
        custom_attrs={"accessibilityLayer": False},
    )


def panel(title: str, chart: rx.Component, table: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", as_="h2"),
            rx.cond(
                StatsState.as_tables,
                table,
                rx.box(chart, width="100%", role="img", aria_label=f"{title}: bar chart ({CHART_HINT})"),
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
    )


def count_panel(title: str, rows: Any, what: str) -> rx.Component:
    return panel(
        title,
        rx.cond(
            rows.length() > 0,  # type: ignore[attr-defined]
            bar_chart(rows, "name", ("count", "Completed", COMPLETED), height=200),
            rx.text("Nothing completed in this period.", size="2", color_scheme="gray"),
        ),
        data_table(title, rows, [("name", what), ("count", "Completed")]),
    )


def header_row() -> rx.Component:
    return rx.hstack(
        rx.heading("Statistics", size="7", as_="h1"),
        rx.spacer(),
        rx.el.label(
            rx.hstack(
                rx.switch(checked=StatsState.as_tables, on_change=StatsState.set_as_tables),
                rx.text("Show as tables", size="2"),
                spacing="2",
                align="center",
            )
        ),
        rx.select.root(
            rx.select.trigger(aria_label="Period"),
            rx.select.content(*[rx.select.item(label, value=value) for value, label in RANGES.items()]),
            value=StatsState.range,
            on_change=StatsState.set_range,
        ),
        rx.icon_button(
            rx.icon("refresh-cw", size=16),
            variant="soft",
            on_click=StatsState.load,
            loading=StatsState.busy,
            aria_label="Refresh",
            title="Refresh",
        ),
        wrap="wrap",
        align="center",
        width="100%",
        spacing="3",
    )


def figures() -> rx.Component:
    return rx.flex(
        figure("Completed", StatsState.completed, f"created: {StatsState.created}"),
        figure("On time", StatsState.on_time_rate, f"{StatsState.on_time} on time, {StatsState.late} late"),
        figure("Overdue now", StatsState.overdue_now, "open tasks past their due time"),
        figure(
            "Current streak",
            f"{StatsState.streak_current} days",
            f"goal {StatsState.goal} a day · today {StatsState.today_done}",
        ),
        figure("Longest streak", f"{StatsState.streak_longest} days", ""),
        figure("Busiest", StatsState.busiest_weekday, f"around {StatsState.busiest_hour}"),
        wrap="wrap",
        gap="var(--space-3)",
        width="100%",
    )


def content() -> rx.Component:
    return rx.vstack(
        figures(),
        rx.box(
            rx.progress(value=StatsState.today_percent, max=100, aria_label="Today's progress to the daily goal"),
            rx.text(f"Today: {StatsState.today_done} of {StatsState.goal} (daily goal)", size="1", color_scheme="gray"),
            width="100%",
        ),
        panel(
            "Completed per day",
            bar_chart(StatsState.per_day, "day", ("completed", "Completed", COMPLETED)),
            data_table("Completed per day", StatsState.per_day, [("day", "Day"), ("completed", "Completed")]),
        ),
        panel(
            "Created vs completed",
            bar_chart(
                StatsState.per_day, "day", ("created", "Created", CREATED), ("completed", "Completed", COMPLETED)
            ),
            data_table(
                "Created vs completed",
                StatsState.per_day,
                [("day", "Day"), ("created", "Created"), ("completed", "Completed")],
            ),
        ),
        panel(
            "Completed per week (12 weeks)",
            bar_chart(StatsState.per_week, "week", ("completed", "Completed", COMPLETED)),
            data_table("Completed per week", StatsState.per_week, [("week", "Week of"), ("completed", "Completed")]),
        ),
        rx.grid(
            count_panel("By project", StatsState.by_project, "Project"),
            count_panel("By label", StatsState.by_label, "Label"),
            count_panel("By priority", StatsState.by_priority, "Priority"),
            count_panel("By weekday", StatsState.by_weekday, "Weekday"),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="3",
            width="100%",
        ),
        count_panel("By hour of day", StatsState.by_hour, "Hour"),
        spacing="4",
        width="100%",
    )


@require_login
def stats_page() -> rx.Component:
    return app_shell(
        rx.vstack(
            header_row(),
            error_message(StatsState.error),
            rx.cond(
                StatsState.loaded,
                content(),
                rx.cond(StatsState.error == "", rx.spinner(size="3")),
            ),
            spacing="4",
            width="100%",
            aria_busy=rx.cond(StatsState.busy, "true", "false"),
        ),
        max_width="72em",
    )
