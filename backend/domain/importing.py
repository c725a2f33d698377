"""Import (issue 14): a file's text → task drafts and problems by line. Pure: nothing is written here.

Todoist's project CSV (their export and import template; columns TYPE, CONTENT, DESCRIPTION, PRIORITY, INDENT,
AUTHOR, RESPONSIBLE, DATE, DATE_LANG, TIMEZONE, DURATION, DURATION_UNIT, DEADLINE, …; read by name, extra columns
ignored):
- ``section`` rows start a section: the tasks below it go into it (a board column of the target project).
- ``task`` rows are tasks; ``@label`` words in CONTENT are labels (Todoist's own rule), parsed with quick add.
- ``note`` rows are comments on the task above: appended to its notes (ours are plain text, one per task).
- PRIORITY: Todoist's help ("Format a CSV file to import into Todoist"): 1 = p1 (highest) … 4 = p4, which is our
  own scale (1 most urgent, 4 none). (Their REST API is the other way round, 4 = p1; the CSV is not.) Empty = 4.
- INDENT 1 is a task, n + 1 a subtask of the nearest INDENT-n task above (a subtask is a task: its own date,
  priority, description and labels are kept). Deeper than our ``MAX_DEPTH`` (INDENT 5) stays at that deepest
  level, and the line says so; an indent that skips a level goes under the nearest shallower task above.
- DATE is natural language ("every monday", "tomorrow 5pm", "Dec 24"): read with our quick-add grammar in the
  user's time zone; words it does not understand are reported and the task is imported without a date.
- meta rows (``view_style`` …) and blank lines are skipped.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from backend.domain import quick_add
from backend.domain.tasks import MAX_DEPTH

TODOIST_REQUIRED = ("TYPE", "CONTENT")
MAX_ROWS = 5_000  # what one request can write in API Gateway's 29 s (the bench measures it); more: split the file


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based physical line where the row starts; 0: the file as a whole
    message: str


@dataclass
class Draft:
    """One task to create, as read from the file (not validated against the API's limits yet)."""

    line: int
    title: str
    notes: str = ""
    priority: int = 4
    due_date: date | None = None
    due_time: time | None = None
    recurrence: str | None = None
    section: str | None = None
    label_names: list[str] = field(default_factory=list)
    subtasks: list[tuple[str, bool]] = field(default_factory=list)  # (title, done)
    # our JSON export only
    project_ref: str | None = None  # the project's id in the file (None: the target project)
    start_date: date | None = None
    completed_at: datetime | None = None  # set: imported as completed
    history: list[tuple[date | None, datetime]] = field(default_factory=list)  # past completions of a series
    # nested subtasks (issue 14): this row's name in the file and its parent's (a draft above it)
    ref: str | None = None
    parent_ref: str | None = None
    depth: int = 0
    # our JSON export only (issue 14's round trip)
    recurrence_anchor: date | None = None
    source_position: str | None = None  # the order inside its project in the file
    reset_subtasks: bool = False
    assigned_to_me: bool = False  # assigned to whoever exported the file: assigned to the importer
    reminders: list[dict[str, Any]] | None = None  # its own reminder list (None: the default reminder applies)


@dataclass(frozen=True)
class ProjectDraft:
    ref: str  # its id in the file
    name: str
    color: str
    sections: tuple[str, ...]
    archived: bool
    is_inbox: bool


@dataclass
class Parsed:
    drafts: list[Draft] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # Todoist: the target project's sections
    problems: list[Problem] = field(default_factory=list)
    projects: list[ProjectDraft] = field(default_factory=list)  # our JSON: the projects to create
    labels: dict[str, str] = field(default_factory=dict)  # our JSON: label name -> color


def _priority(raw: str, line: int, problems: list[Problem]) -> int:
    text = raw.strip()
    if not text:
        return 4
    if text in {"1", "2", "3", "4"}:
        return int(text)
    problems.append(Problem(line, f"PRIORITY {text!r} is not 1-4; imported without a priority"))
    return 4


def _indent(raw: str, line: int, problems: list[Problem]) -> int:
    text = raw.strip()
    if not text:
        return 1
    if text.isdigit() and int(text) >= 1:
        return int(text)
    problems.append(Problem(line, f"INDENT {text!r} is not a number; imported as a task"))
    return 1


def _when(text: str, *, now: datetime, tz: ZoneInfo) -> quick_add.QuickAddResult | None:
    """The date phrase through quick add; None when words are left over (not understood)."""
    parsed = quick_add.parse(text, now=now, tz=tz)
    if parsed.title or (parsed.due_date is None and parsed.recurrence is None):
        return None
    return parsed


def parse_todoist_csv(content: str, *, now: datetime, tz: ZoneInfo) -> Parsed:
    out = Parsed()
    reader = csv.reader(io.StringIO(content.lstrip("\ufeff"), newline=""))
    try:
        header = [name.strip().upper() for name in next(reader, [])]
    except csv.Error as exc:
        out.problems.append(Problem(1, f"the CSV is malformed ({exc}); nothing was imported"))
        return out
    missing = [name for name in TODOIST_REQUIRED if name not in header]
    if missing:
        out.problems.append(Problem(1, f"not a Todoist CSV: the header lacks {', '.join(missing)}"))
        return out
    state = _Todoist(out=out, now=now, tz=tz)
    start = reader.line_num + 1
    try:
        for cells in reader:
            line, start = start, reader.line_num + 1  # a quoted cell may span lines: the row starts at ``line``
            row = dict(zip(header, cells, strict=False))
            kind = (row.get("TYPE") or "").strip().lower()
            if (not kind and not (row.get("CONTENT") or "").strip()) or kind == "meta":
                continue  # Todoist's exports put a blank line between entries; meta rows hold view settings
            if len(out.drafts) >= MAX_ROWS:
                out.problems.append(Problem(line, f"more than {MAX_ROWS} tasks: the rest was not imported"))
                break
            state.row(kind, row, line)
    except csv.Error as exc:
        out.problems.append(Problem(reader.line_num, f"the CSV is malformed ({exc}); the rest was not imported"))
    return out


@dataclass
class _Todoist:
    out: Parsed
    now: datetime
    tz: ZoneInfo
    section: str | None = None
    parent: Draft | None = None  # the task that notes below attach to
    levels: list[Draft] = field(default_factory=list)  # the nearest task above at each indent (0-based)

    def row(self, kind: str, row: dict[str, str], line: int) -> None:
        text = (row.get("CONTENT") or "").strip()
        if kind == "section":
            self.section = text[:40] or None
            if self.section and self.section not in self.out.sections:
                self.out.sections.append(self.section)
            self.parent = None
            self.levels = []
        elif kind == "note":
            if self.parent is None:
                self.out.problems.append(Problem(line, "a note without a task above it was skipped"))
            elif text:
                self.parent.notes = f"{self.parent.notes}\n\n{text}" if self.parent.notes else text
        elif kind == "task":
            self.task(row, text, line)
        else:
            self.out.problems.append(Problem(line, f"TYPE {kind!r} is not task, section or note; skipped"))

    def task(self, row: dict[str, str], text: str, line: int) -> None:
        problems = self.out.problems
        depth = self._depth(_indent(row.get("INDENT") or "", line, problems) - 1, line)
        parent = self.levels[depth - 1] if depth else None
        labels = quick_add.parse(text, now=self.now, tz=self.tz).labels
        draft = Draft(
            line=line,
            title=_without_labels(text, labels),
            notes=(row.get("DESCRIPTION") or "").strip(),
            priority=_priority(row.get("PRIORITY") or "", line, problems),
            section=parent.section if parent is not None else self.section,
            label_names=list(dict.fromkeys(labels)),
            ref=f"line {line}",
            parent_ref=parent.ref if parent is not None else None,
            depth=depth,
        )
        when_text = (row.get("DATE") or "").strip()
        if when_text:
            when = _when(when_text, now=self.now, tz=self.tz)
            if when is None:
                problems.append(Problem(line, f"date {when_text!r} not understood; imported without a date"))
            else:
                draft.due_date, draft.due_time, draft.recurrence = when.due_date, when.due_time, when.recurrence
            lang = (row.get("DATE_LANG") or "").strip().lower() or "en"
            if lang != "en":
                problems.append(Problem(line, f"date language {lang!r}: dates are read as English"))
        self.out.drafts.append(draft)
        self.parent = draft
        self.levels = [*self.levels[:depth], draft]

    def _depth(self, wanted: int, line: int) -> int:
        """How deep a row with INDENT ``wanted + 1`` goes: under the nearest shallower task above, at most
        ``MAX_DEPTH`` levels below a top-level task."""
        problems = self.out.problems
        if wanted > MAX_DEPTH:
            problems.append(Problem(line, f"INDENT {wanted + 1}: subtasks nest {MAX_DEPTH} levels deep; kept deepest"))
            wanted = MAX_DEPTH
        if wanted > len(self.levels):
            if not self.levels:
                problems.append(Problem(line, "an indented task without a task above it: imported as a task"))
            else:
                problems.append(Problem(line, f"INDENT {wanted + 1} skips a level: under the task above"))
            wanted = len(self.levels)
        return wanted


def _without_labels(text: str, labels: list[str]) -> str:
    """The title without its ``@label`` words (only those; dates and ``p1`` in a Todoist title are its text)."""
    words = [w for w in text.split() if not (w.startswith("@") and w[1:] in labels)]
    return " ".join(words) or text


# --- our own JSON export (``GET /api/me/export``, services/user_data.py) -------------------------------------------
def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _clock(value: Any) -> time | None:
    return time.fromisoformat(value) if isinstance(value, str) and value else None


def _json_reminders(raw: Any) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
        raise ValueError("reminders is not a list of reminders")
    return list(raw)


def _json_task(item: dict[str, Any], line: int, label_names: dict[str, str], exporter: str | None) -> Draft:
    done = item.get("status") == "done"
    parent = item.get("parent_id")
    return Draft(
        line=line,
        title=str(item.get("title") or ""),
        notes=str(item.get("notes") or ""),
        priority=int(item.get("priority") or 4),
        due_date=_day(item.get("due_date")),
        due_time=_clock(item.get("due_time")),
        recurrence=item.get("recurrence") or None,
        section=item.get("section") or None,
        label_names=[label_names[i] for i in item.get("labels") or [] if i in label_names],
        subtasks=[(str(s["title"]), bool(s.get("done"))) for s in item.get("subtasks") or []],
        project_ref=str(item.get("project_id") or "inbox"),
        start_date=_day(item.get("start_date")),
        completed_at=_instant(item.get("completed_at")) if done else None,
        history=[
            (_day(h.get("due_date")), datetime.fromisoformat(h["completed_at"])) for h in item.get("history") or []
        ],
        ref=str(item["id"]) if item.get("id") else None,
        parent_ref=str(parent) if parent else None,
        recurrence_anchor=_day(item.get("recurrence_anchor")),
        source_position=str(item["position"]) if item.get("position") else None,
        reset_subtasks=bool(item.get("reset_subtasks")),
        assigned_to_me=exporter is not None and item.get("assignee_id") == exporter,
        reminders=_json_reminders(item.get("reminders")),
    )


def _json_project(item: dict[str, Any]) -> ProjectDraft:
    sections = item.get("sections") or ""
    return ProjectDraft(
        ref=str(item["id"]),
        name=str(item.get("name") or ""),
        color=str(item.get("color") or ""),
        sections=tuple(s.strip() for s in sections.split(",") if s.strip()) if isinstance(sections, str) else (),
        archived=bool(item.get("archived")),
        is_inbox=bool(item.get("is_inbox")),
    )


def parse_taskmanager_json(content: str) -> Parsed:
    """Our export: projects (the Inbox maps to the Inbox), labels (by name), tasks with their fields. Shared projects
    come in as personal ones (the members do not). ``line`` of a task problem: its 1-based place in the file's tasks."""
    out = Parsed()
    try:
        document = json.loads(content)
    except ValueError as exc:
        out.problems.append(Problem(0, f"not JSON ({exc}); nothing was imported"))
        return out
    if not isinstance(document, dict) or not isinstance(document.get("tasks"), list):
        out.problems.append(Problem(0, "not a TaskManager Pro export (no task list); nothing was imported"))
        return out
    exporter = str(document["exported_by"]) if document.get("exported_by") else None
    comments = len(document.get("comments") or []) + sum(
        len(p.get("comments") or []) for p in document.get("shared_projects") or [] if isinstance(p, dict)
    )
    if comments:  # they are other people's words in shared projects, and would lose who wrote them
        out.problems.append(Problem(0, f"{comments} comment(s) in the file are not imported (they stay in the file)"))
    labels = [label for label in document.get("labels") or [] if isinstance(label, dict)]
    names = {str(label.get("id")): str(label.get("name") or "") for label in labels}
    out.labels = {str(label.get("name")): str(label.get("color") or "") for label in labels if label.get("name")}
    tasks: list[Any] = list(document["tasks"])
    projects: list[Any] = list(document.get("projects") or [])
    for shared in document.get("shared_projects") or []:
        if isinstance(shared, dict):
            projects.append(shared)
            tasks.extend(shared.get("tasks") or [])
    for number, item in enumerate(projects, start=1):
        try:
            out.projects.append(_json_project(item))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            out.problems.append(Problem(0, f"project {number}: not readable ({exc}); its tasks go to the Inbox"))
    for number, item in enumerate(tasks, start=1):
        try:
            if len(out.drafts) >= MAX_ROWS:
                out.problems.append(Problem(number, f"more than {MAX_ROWS} tasks: the rest was not imported"))
                break
            out.drafts.append(_json_task(item, number, names, exporter))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            out.problems.append(Problem(number, f"task not readable ({exc}); skipped"))
    return out
