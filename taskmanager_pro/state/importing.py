"""Settings → Import (issue 14): a Todoist CSV or our JSON export, with progress.

The file comes to this server with ``rx.upload`` (it is read here, never stored); a Todoist CSV then goes to the API
in pieces (``backend.client.importing``: each within the API's write budget, problems at their line in the file),
and the page shows "n of m rows" after each. Our JSON export goes in one request. If a request fails midway, the
message says what was imported and which lines were not."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import ApiClient, ImportRequest, ImportResult
from backend.client.importing import TodoistImport
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.workspace import WorkspaceState

MAX_FILE_BYTES = 10 * 1024 * 1024  # a Todoist export of tens of thousands of rows; pieces keep each request small
UPLOAD_ID = "import-file"


def _summary(result: ImportResult) -> str:
    c = result.created
    return f"Imported {c.tasks} tasks, {c.projects} projects, {c.labels} labels"


class ImportState(WorkspaceState):
    import_target: str = ""  # a project id, or "" for a new project (Todoist CSV)
    import_busy: bool = False
    import_done: int = 0
    import_total: int = 0
    import_summary: str = ""
    import_problems: list[dict[str, str]] = []  # {"line", "message"}
    import_error: str = ""

    _import_name: str = ""
    _import_text: str = ""

    @rx.var
    def import_progress(self) -> str:
        return f"{self.import_done} of {self.import_total} rows" if self.import_total else ""

    @rx.event
    def set_import_target(self, value: str) -> None:
        self.import_target = value if isinstance(value, str) else ""

    @rx.event
    async def take_file(self, files: list[rx.UploadFile]) -> AsyncGenerator[Any, None]:
        """The chosen file: read (UTF-8, at most 10 MB), then imported in the background."""
        if self.import_busy or not files:
            return
        data = await files[0].read(MAX_FILE_BYTES + 1)
        self.import_summary, self.import_problems, self.import_error = "", [], ""
        if len(data) > MAX_FILE_BYTES:
            self.import_error = f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
            return
        try:
            self._import_text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.import_error = "The file is not UTF-8 text (a Todoist CSV or our JSON export)."
            return
        self._import_name = files[0].name or ""
        self.import_busy, self.import_done, self.import_total = True, 0, 0
        yield ImportState.run_import

    @rx.event(background=True)
    async def run_import(self) -> AsyncGenerator[Any, None]:
        async with self:
            client = await self._client()
            text, name, target = self._import_text, self._import_name, self.import_target
            self._import_text = ""
        try:
            if client is None:
                yield self._session_lost()
                return
            if name.lower().endswith(".json"):
                result: ImportResult | None = await call(
                    client.import_file, ImportRequest(format="taskmanager-json", content=text)
                )
            else:
                result = await self._in_pieces(client, text, target or None)
            if result is None:
                return
            async with self:
                self.import_summary = _summary(result) + "."
                self._show(result)
                await self.refresh()  # the sidebar: new projects and labels
            yield rx.toast.success(_summary(result), id="import")
        except ApiError as error:
            async with self:
                self.import_error = error.first_problem
        finally:
            async with self:
                self.import_busy = False

    async def _in_pieces(self, client: ApiClient, text: str, project_id: str | None) -> ImportResult | None:
        """A Todoist CSV piece by piece, the progress shown after each; None when a request failed (then the message
        says what was imported and which lines were not)."""
        plan = TodoistImport(text, project_id=project_id)
        async with self:
            self.import_total = plan.total_rows
        try:
            if plan.needs_project:
                plan.into((await call(client.create_project, plan.new_project())).id)
            while (request := plan.next_request()) is not None:
                plan.take(await call(client.import_file, request))
                async with self:
                    self.import_done = plan.done_rows
        except ApiError as error:
            partial = plan.result()
            async with self:
                self.import_error = f"{error.first_problem} {_summary(partial)}; {plan.not_sent()} were not."
                self._show(partial)
            return None
        return plan.result()

    def _show(self, result: ImportResult) -> None:
        self.import_problems = [{"line": str(p.line or "file"), "message": p.message} for p in result.problems]
