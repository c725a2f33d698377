"""API shapes of the calendar feed and of import (issue 14), in the style of ``backend.schemas``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from backend.schemas import StrictModel

# The API's body limit is 1 MB (API Gateway allows 10 MB, the Lambda 6 MB; ours is the resolver's): a file's text
# must fit in it with the JSON around it. A bigger export is split into several imports (one project each).
MAX_IMPORT_CHARS = 900_000


class CalendarFeedUrl(BaseModel):
    url: str = Field(description="The secret subscription URL (no Authorization header; answers text/calendar)")


class ImportRequest(StrictModel):
    format: Literal["todoist-csv", "taskmanager-json"]
    content: str = Field(min_length=1, max_length=MAX_IMPORT_CHARS, description="The file's text")
    project_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Todoist CSV only: the project to import into (default: a new project)",
    )


class ImportCounts(BaseModel):
    tasks: int
    projects: int
    labels: int


class ImportProblem(BaseModel):
    line: int = Field(
        description="CSV: the 1-based line the row starts on; JSON: the task's 1-based place among the file's "
        "tasks; 0: the file as a whole"
    )
    message: str


class ImportResult(BaseModel):
    created: ImportCounts
    problems: list[ImportProblem]
