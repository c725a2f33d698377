"""Import (issue 14): Todoist's project CSV or our own JSON export, as the text of the file in a JSON body."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from backend.api.auth import caller
from backend.api.openapi import AUTHENTICATED
from backend.api.responses import documented
from backend.bootstrap import dependencies
from backend.schemas_import import ImportCounts, ImportProblem, ImportRequest, ImportResult
from backend.services import importer

router = APIGatewayRouter()


@router.post(
    "/import",
    summary="Import tasks from a file (Todoist CSV or our JSON export)",
    description=(
        "The file's text in `content` (at most ~900 000 characters: the API's body limit is 1 MB; split a larger "
        "export by project). Bad rows are skipped and listed in `problems` by line; the others are imported. "
        "Todoist CSV goes into `project_id` (editor+), or a new project when none is given."
    ),
    tags=["import"],
    security=AUTHENTICATED,
    responses=documented(),
)
def import_file(request: Annotated[ImportRequest, Body()]) -> ImportResult:
    deps = dependencies()
    outcome = importer.import_file(
        store=deps.tasks,
        memberships=deps.memberships,
        user=caller(router),
        file_format=request.format,
        content=request.content,
        project_id=request.project_id,
        now=deps.clock(),
        quotas=deps.settings.quotas,
        reminders=importer.ReminderPorts(lists=deps.notifications, scheduler=deps.scheduler, users=deps.users)
        if deps.scheduler is not None
        else None,
    )
    return ImportResult(
        created=ImportCounts(tasks=outcome.tasks, projects=outcome.projects, labels=outcome.labels),
        problems=[ImportProblem(line=p.line, message=p.message) for p in outcome.problems],
    )
