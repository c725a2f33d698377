"""Statistics, export and "delete everything" of the caller."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.adapters.read_ahead import ReadPlan
from backend.api.auth import caller, caller_id, reads_ahead
from backend.api.openapi import AUTHENTICATED, ERRORS
from backend.api.responses import documented, no_content
from backend.bootstrap import aggregates_store, dependencies, erase_user_data
from backend.domain import stats as domain
from backend.schemas import (
    ExportFormat,
    ExportPart,
    StatsCount,
    StatsDay,
    StatsPublic,
    StatsRange,
    StatsStreak,
    StatsWeek,
)
from backend.services import stats, user_data

router = APIGatewayRouter()
PRIORITY_NAMES = {1: "P1", 2: "P2", 3: "P3", 4: "No priority"}


# The summary and day items are read with the caller's row (one BatchGetItem) for the ranges that fit one.
reads_ahead(
    "GET",
    "/stats",
    lambda user_id, _, query, now: ReadPlan(
        user_id, stats_days=stats.days_read(domain.RANGES.get(query.get("range", "30d"), 30), now)
    ),
)


@router.get(
    "/stats",
    summary="My productivity figures (from the aggregates; updated within seconds of a change)",
    tags=["stats"],
    security=AUTHENTICATED,
    responses=documented(),
)
def get_stats(
    range_: Annotated[StatsRange, Query(alias="range", description="days ending today (7d, 30d, 90d, 365d)")] = "30d",
) -> StatsPublic:
    view = stats.get_stats(
        store=aggregates_store(), user=caller(router), range_days=domain.RANGES[range_], now=dependencies().clock()
    )
    report = view.report
    projects, labels = view.project_names, view.label_names
    return StatsPublic(
        range=range_,
        start=report.start,
        today=report.today,
        timezone=view.timezone,
        created=report.created,
        completed=report.completed,
        on_time=report.on_time,
        late=report.late,
        on_time_rate=report.on_time_rate,
        overdue_now=report.overdue_now,
        streak=StatsStreak(
            current=report.streaks.current,
            longest=report.streaks.longest,
            today=report.streaks.today_done,
            goal=report.streaks.goal,
        ),
        per_day=[StatsDay(day=p.day, created=p.created, completed=p.completed) for p in report.per_day],
        per_week=[StatsWeek(week_start=w.week_start, completed=w.completed) for w in report.per_week],
        by_project=[
            StatsCount(key=k, name=projects.get(k, "Deleted project"), count=n) for k, n in report.by_project.items()
        ],
        by_label=[StatsCount(key=k, name=labels.get(k, "Deleted label"), count=n) for k, n in report.by_label.items()],
        by_priority=[StatsCount(key=str(p), name=PRIORITY_NAMES[p], count=n) for p, n in report.by_priority.items()],
        by_weekday=[
            StatsCount(key=d, name=d, count=n) for d, n in zip(domain.WEEKDAYS, report.by_weekday, strict=True)
        ],
        by_hour=[StatsCount(key=f"{h:02d}", name=f"{h:02d}:00", count=n) for h, n in enumerate(report.by_hour)],
        busiest_weekday=report.busiest_weekday,
        busiest_hour=report.busiest_hour,
    )


EXPORT_RESPONSES: dict[int, OpenAPIResponse] = {
    **ERRORS,
    200: {
        "description": "The file, as an attachment (Content-Disposition)",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["exported_at", "tasks", "projects", "labels"],
                    "properties": {
                        "exported_at": {"type": "string", "format": "date-time"},
                        "tasks": {"type": "array", "items": {"type": "object"}},
                        "projects": {"type": "array", "items": {"type": "object"}},
                        "labels": {"type": "array", "items": {"type": "object"}},
                    },
                }
            },
            "text/csv": {"schema": {"type": "string"}},
        },
    },
}


@router.get(
    "/export",
    summary="Download my data: JSON (everything) or CSV (one of tasks, projects, labels)",
    tags=["stats"],
    security=AUTHENTICATED,
    responses=EXPORT_RESPONSES,
)
def export(
    format_: Annotated[ExportFormat, Query(alias="format")] = "json",
    part: Annotated[ExportPart, Query(description="which CSV (format=csv only)")] = "tasks",
) -> Response[str]:
    deps = dependencies()
    user_id = caller_id(router)
    now = deps.clock()
    stamp = now.strftime("%Y%m%d")
    if format_ == "json":
        body = user_data.export_json(
            store=deps.tasks,
            user_id=user_id,
            now=now,
            user=caller(router),
            memberships=deps.memberships,
            comments=deps.comments,
            reminders=deps.notifications,
        )
        content_type, filename = "application/json", f"taskmanager-export-{stamp}.json"
    else:
        body = user_data.export_csv(
            store=deps.tasks, user_id=user_id, part=part, user=caller(router), memberships=deps.memberships
        )
        content_type, filename = "text/csv; charset=utf-8", f"taskmanager-{part}-{stamp}.csv"
    return Response(
        status_code=200,
        content_type=content_type,
        body=body,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.delete(
    "/data",
    summary="Delete all my tasks, projects, labels and statistics (the account stays)",
    tags=["stats"],
    security=AUTHENTICATED,
    responses=documented(empty=True),
)
def delete_data() -> Response[None]:
    erase_user_data(caller_id(router))
    return no_content()
