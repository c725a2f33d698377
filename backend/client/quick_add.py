"""Quick add parsed where the user types: the same grammar as ``POST /api/quick-add/parse``, without the round trip,
and the suggestions shown while a ``#project``, ``@label`` or ``/section`` is being typed (issue 14).

The UI shows the chips as the line is typed and saves with one ``POST /api/tasks``; what the server's parse adds
(which project "#name" names, its section "/name", which "@name"s are new) the UI does against the projects and
labels it shows, with the same ``quick_add.resolve``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from backend.domain import quick_add
from backend.domain.quick_add import DateOrder, Destination, name_key
from backend.schemas import QuickAddParsed

__all__ = ["DateOrder", "Destination", "Suggestion", "parse_quick_add", "suggestions", "with_suggestion"]

MAX_SUGGESTIONS = 8
SIGILS = {"#": "project", "@": "label", "/": "section"}
# The tag being typed: a sigil at the start of the line or after a space, then what is typed so far, at the end.
_TYPING = re.compile(r"(?:^|(?<=\s))([#@/])([^\s#@/\"]{0,60})$")


def parse_quick_add(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    open_projects: Iterable[tuple[str, str]] | Sequence[Destination],
    labels: Iterable[str] | None = None,
    date_order: DateOrder | None = None,
    default: Destination | None = None,
) -> QuickAddParsed:
    """``open_projects``: the projects a task may go to (not archived; shared ones where the user is an editor or
    more), as ``Destination``s or (id, name) pairs; ``labels``: the user's label names (to say which are new);
    ``default``: the page's project, whose sections "/name" picks from when no "#project" is typed."""
    parsed = quick_add.parse(text, now=now, tz=tz, date_order=date_order)
    destinations = [p if isinstance(p, Destination) else Destination(id=p[0], name=p[1]) for p in open_projects]
    resolved = quick_add.resolve(parsed, destinations, default=default)
    known = list(labels) if labels is not None and parsed.labels else ([] if parsed.labels else None)
    return QuickAddParsed.of(
        text, parsed, resolved.project_id, section=resolved.section, warnings=resolved.warnings, known_labels=known
    )


@dataclass(frozen=True)
class Suggestion:
    kind: str  # project | label | section
    insert: str  # what replaces the tag being typed, sigil included ("#HomeOffice ")
    name: str  # what the list shows
    detail: str  # "shared", "new label", the project of a section


def suggestions(
    text: str,
    *,
    projects: Sequence[Destination],
    labels: Sequence[str],
    default: Destination | None = None,
    limit: int = MAX_SUGGESTIONS,
) -> list[Suggestion]:
    """What the tag at the end of ``text`` may become: projects for ``#``, labels for ``@`` (and, when no label has
    that name, the new one saving creates), sections for ``/`` (of the "#project" typed, else of ``default``).
    Names that start with what is typed come first, then those that contain it."""
    typing = _TYPING.search(text)
    if typing is None:
        return []
    sigil, typed = typing.group(1), name_key(typing.group(2))
    if sigil == "#":
        found = [(p.name, "shared" if p.shared else "") for p in projects]
    elif sigil == "@":
        found = [(name, "") for name in labels]
    else:
        parsed = quick_add.parse(text[: typing.start()], now=datetime.now(ZoneInfo("UTC")), tz=ZoneInfo("UTC"))
        where = quick_add.resolve(parsed, list(projects), default=default).project_id
        project = next((p for p in projects if p.id == where), None) or (default if not parsed.project else None)
        found = [(section, project.name) for section in project.sections] if project else []
    ranked = sorted(
        (item for item in found if typed in name_key(item[0])),
        key=lambda item: (not name_key(item[0]).startswith(typed), name_key(item[0])),
    )
    result = [Suggestion(SIGILS[sigil], f"{sigil}{''.join(name.split())} ", name, detail) for name, detail in ranked]
    if sigil == "@" and typed and all(name_key(name) != typed for name in labels):
        result.append(Suggestion("label", f"@{typing.group(2)} ", typing.group(2), "new label"))
    return result[:limit]


def with_suggestion(text: str, insert: str) -> str:
    """``text`` with the tag being typed replaced by a picked suggestion."""
    typing = _TYPING.search(text)
    return (text[: typing.start()] if typing else text.rstrip() + " ") + insert
