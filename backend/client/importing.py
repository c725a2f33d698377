"""A large Todoist CSV imported in pieces, with progress (issue 14).

``POST /api/import`` writes for at most ~6 s per request (the API Lambda has 10 s), about a few hundred tasks: a
2 000-row export cannot go in one request. The fixed interface stays as it is; the client sends the file as several
smaller Todoist CSVs, each a whole file of its own:

* every piece repeats the header, and starts with the section row in force where it begins (so its tasks land in
  their section), and it is cut only before a top-level task or a section (a task's notes and indented subtasks
  never leave it);
* into a new project, the project (with every section of the file) is created first and each piece goes into it;
* each piece's problems come back with their line in the original file, so the report reads as for one request;
* a piece the server cut short at its write budget ("stopped here: ...") is sent again from the line it stopped
  at, so nothing is left out; any other failure ends the import with what was imported and the lines not sent.

``TodoistImport`` is the plan and its bookkeeping (pure: the UI awaits each request itself and shows
"n of m rows"); ``import_todoist`` runs it with a client, for scripts and tests.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from backend.client.api import ApiClient, ProjectCreate
from backend.schemas import MAX_SECTIONS
from backend.schemas_import import MAX_IMPORT_CHARS, ImportCounts, ImportProblem, ImportRequest, ImportResult

# Rows (tasks, notes, sections) per request: a few seconds of writes at most on a busy machine, inside the 6 s
# budget in AWS too (a task is one transaction; scripts/bench_import.py). A piece the budget cuts short is resent.
CHUNK_ROWS = 100
MAX_CHUNK_CHARS = MAX_IMPORT_CHARS // 2  # room for a header and a section row around a piece of a huge row
TODOIST_PROJECT = "Imported from Todoist"  # the name the API gives a one-request import's new project too
BUDGET_STOP = "stopped here:"  # how the API starts the problem of a request cut short by its write budget
SINGLE_ROW_TRIES = 3  # a row the budget stops this often when sent alone is reported, not sent again


@dataclass(frozen=True)
class _Record:
    """One CSV row of the file: its physical lines (a quoted cell may span several), from ``line`` on."""

    line: int
    text: str
    kind: str  # task | section | note | meta | "" (a blank line)
    indent: int


@dataclass(frozen=True)
class Chunk:
    records: tuple[_Record, ...]
    section: _Record | None  # the section row in force where the piece begins (repeated at its top)

    @property
    def rows(self) -> int:
        return sum(1 for record in self.records if record.kind)


@dataclass
class TodoistImport:
    """The pieces of one Todoist CSV and what they did. ``project_id``: where the rows go (None: a new project)."""

    content: str
    project_id: str | None = None
    rows_per_chunk: int = CHUNK_ROWS
    header: str = ""
    header_lines: int = 1
    sections: list[str] = field(default_factory=list)
    pending: list[Chunk] = field(default_factory=list)
    total_rows: int = 0
    done_rows: int = 0
    created: ImportCounts = field(default_factory=lambda: ImportCounts(tasks=0, projects=0, labels=0))
    problems: list[ImportProblem] = field(default_factory=list)
    _sent: Chunk | None = None
    _tries: dict[int, int] = field(default_factory=dict)  # budget stops at a line
    _origin: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        records = _records(self.content)
        if records is None:  # not CSV we can cut (or no header): one request, the API reports what is wrong
            self.pending = [Chunk((_Record(1, self.content, "task", 1),), None)]
            self.total_rows = _line_count(self.content)
            self.header, self.header_lines = "", 0
            return
        header, rows = records
        self.header, self.header_lines = header.text, _line_count(header.text)
        self.sections = list(dict.fromkeys(r.text_cell for r in rows if r.kind == "section" and r.text_cell))[
            :MAX_SECTIONS
        ]
        self.pending = _chunks([r.record for r in rows], self.rows_per_chunk)
        self.total_rows = sum(chunk.rows for chunk in self.pending)

    @property
    def needs_project(self) -> bool:
        """More than one request into a new project: the caller creates it first (``into``)."""
        return self.project_id is None and len(self.pending) > 1

    def new_project(self) -> ProjectCreate:
        return ProjectCreate(name=TODOIST_PROJECT, sections=self.sections)

    def into(self, project_id: str) -> None:
        """The new project the caller created for the pieces."""
        self.project_id = project_id
        self.created = self.created.model_copy(update={"projects": self.created.projects + 1})

    def next_request(self) -> ImportRequest | None:
        """The next piece as a whole Todoist CSV, or None when all are done."""
        if not self.pending:
            return None
        chunk = self.pending[0]
        lines = [chunk.section, *chunk.records] if chunk.section is not None else list(chunk.records)
        self._origin = list(range(1, self.header_lines + 1))
        for record in lines:
            self._origin += [record.line + i for i in range(_line_count(record.text))]
        self._sent = chunk
        body = self.header + "".join(record.text for record in lines)
        return ImportRequest(format="todoist-csv", content=body, project_id=self.project_id)

    def take(self, result: ImportResult) -> None:
        """A piece's answer: counts added, problems at their line in the file; a piece cut short by the write budget
        goes back to the front of the queue from the row it stopped at."""
        chunk, self._sent = self._sent, None
        assert chunk is not None, "take() answers next_request()"
        self.pending.pop(0)
        done = chunk.rows
        for problem in result.problems:
            line = self._origin[problem.line - 1] if 0 < problem.line <= len(self._origin) else problem.line
            if problem.message.startswith(BUDGET_STOP):
                rest = tuple(record for record in chunk.records if record.line >= line)
                again = Chunk(rest, _section_before(chunk, line))
                whole = len(rest) == len(chunk.records)
                if whole and again.rows == 1:  # one row alone, and still not written: tried a few times only
                    self._tries[line] = self._tries.get(line, 0) + 1
                if rest and self._tries.get(line, 0) < SINGLE_ROW_TRIES:
                    # no row written at all (a slow moment): the rest again in smaller pieces, down to one row
                    smaller = max(again.rows // 2, 1) if whole else self.rows_per_chunk
                    self.pending[0:0] = _chunks(list(rest), smaller, again.section)
                    done -= again.rows
                    continue
            moved = ImportProblem(line=line, message=problem.message)
            if moved not in self.problems:  # (a header problem comes back from every piece)
                self.problems.append(moved)
        counts = result.created
        self.created = ImportCounts(
            tasks=self.created.tasks + counts.tasks,
            projects=self.created.projects + counts.projects,
            labels=self.created.labels + counts.labels,
        )
        self.done_rows += done

    def not_sent(self) -> str:
        """The lines no request has imported yet ("" when none), for a message after a failure."""
        lines = [record.line for chunk in self.pending for record in chunk.records]
        return f"lines {min(lines)}-{max(lines)}" if lines else ""

    def result(self) -> ImportResult:
        return ImportResult(created=self.created, problems=sorted(self.problems, key=lambda p: p.line))


def import_todoist(
    client: ApiClient,
    content: str,
    *,
    project_id: str | None = None,
    rows_per_chunk: int = CHUNK_ROWS,
    on_progress: Callable[[TodoistImport], None] | None = None,
) -> ImportResult:
    """The whole file, piece by piece (``on_progress`` after each)."""
    plan = TodoistImport(content, project_id=project_id, rows_per_chunk=rows_per_chunk)
    if plan.needs_project:
        plan.into(client.create_project(plan.new_project()).id)
    while (request := plan.next_request()) is not None:
        plan.take(client.import_file(request))
        if on_progress is not None:
            on_progress(plan)
    return plan.result()


# --- cutting the file -----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Row:
    record: _Record
    text_cell: str

    @property
    def kind(self) -> str:
        return self.record.kind


def _records(content: str) -> tuple[_Record, list[_Row]] | None:
    """The header and every row with its physical lines, read as the API reads them (``csv`` over the same lines:
    "\\n", "\\r\\n" and "\\r" end a line); None when the file is not CSV with TYPE and CONTENT columns."""
    physical = io.StringIO(content, newline="").readlines()
    reader = csv.reader(physical)
    try:
        header_cells = [name.strip().upper().lstrip("\ufeff") for name in next(reader, [])]
        header_end = reader.line_num
        if "TYPE" not in header_cells or "CONTENT" not in header_cells:
            return None
        kind_at, content_at = header_cells.index("TYPE"), header_cells.index("CONTENT")
        indent_at = header_cells.index("INDENT") if "INDENT" in header_cells else None
        rows: list[_Row] = []
        start = header_end
        for cells in reader:
            end = reader.line_num
            text = "".join(physical[start:end])
            kind = cells[kind_at].strip().lower() if kind_at < len(cells) else ""
            cell = cells[content_at].strip() if content_at < len(cells) else ""
            indent = _indent(cells[indent_at] if indent_at is not None and indent_at < len(cells) else "")
            rows.append(_Row(_Record(start + 1, text, kind if (kind or cell) else "", indent), cell[:40]))
            start = end
    except csv.Error:
        return None
    if physical and not physical[-1].endswith(("\n", "\r")) and rows:
        last = rows[-1]  # the file's last line has no line break: a piece after it must not join it
        rows[-1] = _Row(
            _Record(last.record.line, last.record.text + "\n", last.kind, last.record.indent), last.text_cell
        )
    header_text = "".join(physical[:header_end])
    if not header_text.endswith(("\n", "\r")):
        header_text += "\n"
    return _Record(1, header_text, "header", 0), rows


def _line_count(text: str) -> int:
    return max(len(io.StringIO(text, newline="").readlines()), 1)


def _indent(value: str) -> int:
    try:
        return int(value.strip() or 1)
    except ValueError:
        return 1


def _chunks(records: list[_Record], rows_per_chunk: int, section: _Record | None = None) -> list[Chunk]:
    """Pieces of about ``rows_per_chunk`` rows, cut only before a top-level task or a section (``section``: the one in
    force before the first record)."""
    chunks: list[Chunk] = []
    current: list[_Record] = []
    size = rows = 0
    opened_under = section  # in force where the current piece began; ``section``: at the current record
    for record in records:
        boundary = record.kind == "section" or (record.kind == "task" and record.indent <= 1)
        if current and boundary and (rows >= rows_per_chunk or size + len(record.text) > MAX_CHUNK_CHARS):
            chunks.append(Chunk(tuple(current), opened_under))
            current, size, rows = [], 0, 0
            opened_under = section
        if record.kind == "section":
            section = record
            if not current:
                opened_under = None  # the piece starts with its own section row
        current.append(record)
        size += len(record.text)
        rows += int(bool(record.kind))
    if current:
        chunks.append(Chunk(tuple(current), opened_under))
    return chunks


def _section_before(chunk: Chunk, line: int) -> _Record | None:
    """The section row in force at ``line`` within a piece."""
    section = chunk.section
    for record in chunk.records:
        if record.line >= line:
            break
        if record.kind == "section":
            section = record
    return section
