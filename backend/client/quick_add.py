"""Quick add parsed where the user types: the same grammar as ``POST /api/quick-add/parse``, without the round trip.

The UI shows the chips as the line is typed and saves with one ``POST /api/tasks``; the only thing the server's
parse adds is the lookup of "#project" by name, which the UI does against the projects it shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from backend.domain import quick_add
from backend.schemas import QuickAddParsed


def parse_quick_add(
    text: str, *, now: datetime, tz: ZoneInfo, open_projects: Iterable[tuple[str, str]]
) -> QuickAddParsed:
    """``open_projects``: (id, name) of the projects a task may go to (not archived)."""
    parsed = quick_add.parse(text, now=now, tz=tz)
    project_id = None
    if parsed.project:
        wanted = parsed.project.lower()
        project_id = next((pid for pid, name in open_projects if name.lower() == wanted), None)
    return QuickAddParsed.of(text, parsed, project_id)
