"""The comments of the task open in the detail panel (issue 13): list, add, edit and delete your own (admins delete
any), with @mention suggestions from the project's members while typing.

Each action shows first: a comment appears as it is sent (pending), an edit or a delete changes the list at once;
the server's answer replaces the shown comment, a refusal puts the list back and says why. Comments by other
members (new, edited, deleted) arrive live with the comment itself and are applied in place (``comment_heard``).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

import reflex as rx

from backend.client import ApiError
from backend.client.api import CommentPublic
from taskmanager_pro.state.base import signed_in
from taskmanager_pro.state.clients import call
from taskmanager_pro.state.sharing_views import (
    CommentItem,
    Person,
    comment_item,
    mention_suggestions,
    typing_mention,
    with_mention,
)
from taskmanager_pro.state.workspace import WorkspaceState

MAX_COMMENT = 10_000
PENDING = "pending-"


def heard(
    comments: list[CommentPublic], comment_id: str, comment: CommentPublic | None, *, pending: set[str], me: str
) -> list[CommentPublic] | None:
    """The panel's comments after a change heard live (``comment`` None: deleted), or None when it changes nothing:
    this tab's own write of that comment is on its way (its answer reconciles), our own new comment is heard before
    the answer that replaces its pending copy, or what is shown is as new. Comments stay in creation order (an id is
    ``<task id>.<ulid>``), our own sends still on their way last."""
    if comment_id in pending:
        return None
    shown = next((c for c in comments if c.id == comment_id), None)
    if comment is None:
        return [c for c in comments if c.id != comment_id] if shown is not None else None
    if shown is None and comment.author_id == me and any(p.startswith(PENDING) for p in pending):
        return None
    if shown is not None and (shown.version or 0) >= (comment.version or 0):
        return None
    saved = [c for c in comments if c.id != comment_id and not c.id.startswith(PENDING)]
    sending = [c for c in comments if c.id.startswith(PENDING)]
    return [*sorted([*saved, comment], key=lambda c: c.id), *sending]


class CommentsState(WorkspaceState):
    c_task_id: str = ""
    c_project_id: str = ""
    comments: list[CommentItem] = []
    c_loading: bool = False
    c_error: str = ""
    c_draft: str = ""
    c_draft_key: int = 0  # bumped when the draft is replaced from here (a mention picked, a send): the box redraws
    c_editing_id: str = ""
    c_edit_text: str = ""
    mentions: list[Person] = []  # suggestions for the @name being typed

    _comments: list[CommentPublic] = []
    _pending: list[str] = []

    @rx.var
    def c_can_comment(self) -> bool:
        return next((p.can_edit for p in self.projects if p.id == self.c_project_id), False)

    # --- showing -----------------------------------------------------------------------------
    def _render(self) -> None:
        role = self.role_in(self.c_project_id)
        names = {user_id: avatar.name for user_id, avatar in self.people().items()}
        today, pending = self.today(), set(self._pending)
        self.comments = [
            comment_item(c, me=self._user_id, my_role=role, names=names, today=today, pending=c.id in pending)
            for c in self._comments
        ]

    async def show_task(self, task_id: str, project_id: str) -> None:
        """The panel opened a task: its comments (none shown until they come)."""
        if task_id != self.c_task_id:
            self.c_draft, self.c_draft_key, self.mentions = "", self.c_draft_key + 1, []
            self._comments, self.comments, self._pending = [], [], []
        self.c_task_id, self.c_project_id, self.c_error, self.c_editing_id = task_id, project_id, "", ""
        await self._fetch()

    async def _fetch(self) -> None:
        task_id = self.c_task_id
        if not task_id or not await self._ensure_session():
            return
        self.c_loading = True
        try:
            comments = await call(self._api().list_comments, task_id)
        except ApiError as error:
            self.c_loading = False
            if error.status != 404:  # (a task still being created has none)
                self.c_error = error.first_problem
            return
        self.c_loading = False
        if task_id == self.c_task_id:
            mine = [c for c in self._comments if c.id in self._pending]  # (still on their way: kept)
            self._comments = [*comments, *mine]
            self._render()

    def comment_heard(self, comment_id: str, comment: CommentPublic | None, *, deleted: bool) -> None:
        """A comment changed elsewhere (another member, another tab): the open panel shows it in place, with no
        request (``heard``). ``comment`` is None on a delete."""
        if comment_id.split(".", 1)[0] != self.c_task_id or (comment is None and not deleted):
            return
        change = None if deleted else comment
        shown = heard(self._comments, comment_id, change, pending=set(self._pending), me=self._user_id)
        if shown is None:
            return
        self._comments = shown
        if deleted and self.c_editing_id == comment_id:
            self.c_editing_id = ""
        self._render()

    @rx.event
    @signed_in
    async def load(self, task_id: str, project_id: str) -> None:
        """The detail panel's comments (``open_task`` sends this)."""
        if isinstance(task_id, str) and isinstance(project_id, str):
            await self.show_task(task_id, project_id)

    # --- writing -----------------------------------------------------------------------------
    @rx.event
    def set_draft(self, value: str) -> None:
        self.c_draft = value[:MAX_COMMENT] if isinstance(value, str) else ""
        query = typing_mention(self.c_draft)
        people = [p for p in self.members_of(self.c_project_id) if not p.is_me]
        self.mentions = [] if query is None else mention_suggestions(query, people)

    @rx.event
    def pick_mention(self, user_id: str) -> None:
        person = next((p for p in self.mentions if p.user_id == user_id), None)
        if person is not None:
            self.c_draft = with_mention(self.c_draft, person)
            self.c_draft_key += 1
        self.mentions = []

    @rx.event
    def close_mentions(self) -> None:
        self.mentions = []

    @rx.event
    @signed_in
    async def send(self, form: dict[str, Any] | None = None) -> AsyncGenerator[Any, None]:
        body = self.c_draft.strip()
        task_id = self.c_task_id
        if not body or not task_id:
            return
        now = datetime.now(UTC)
        shown = CommentPublic(
            id=f"{PENDING}{uuid.uuid4().hex[:8]}",
            task_id=task_id,
            author_id=self._user_id,
            author_name=self.display_name,
            body=body,
            created_at=now,
        )
        self._comments = [*self._comments, shown]
        self._pending = [*self._pending, shown.id]
        self.c_draft, self.c_draft_key, self.mentions, self.c_error = "", self.c_draft_key + 1, [], ""
        self._render()
        yield
        try:
            saved = await call(self._api().add_comment, task_id, body)
        except ApiError as error:
            self._pending = [x for x in self._pending if x != shown.id]
            self._comments = [c for c in self._comments if c.id != shown.id]
            if task_id == self.c_task_id:
                self.c_draft, self.c_draft_key, self.c_error = body, self.c_draft_key + 1, error.first_problem
            self._render()
            return
        self._pending = [x for x in self._pending if x != shown.id]
        if task_id == self.c_task_id:
            rest = [c for c in self._comments if c.id not in {shown.id, saved.id}]  # (heard live before the answer)
            self._comments = [*rest, saved]
            self._render()

    @rx.event
    def start_edit(self, comment_id: str) -> None:
        comment = next((c for c in self._comments if c.id == comment_id), None)
        if comment is not None and comment.author_id == self._user_id and comment.id not in self._pending:
            self.c_editing_id, self.c_edit_text = comment.id, comment.body

    @rx.event
    def set_edit_text(self, value: str) -> None:
        self.c_edit_text = value[:MAX_COMMENT] if isinstance(value, str) else ""

    @rx.event
    def cancel_edit(self) -> None:
        self.c_editing_id = ""

    @rx.event
    @signed_in
    async def save_edit(self, form: dict[str, Any] | None = None) -> AsyncGenerator[Any, None]:
        comment = next((c for c in self._comments if c.id == self.c_editing_id), None)
        body = self.c_edit_text.strip()
        self.c_editing_id = ""
        if comment is None or not body or body == comment.body:
            return
        edited = comment.model_copy(update={"body": body, "edited_at": datetime.now(UTC)})
        self._comments = [edited if c.id == comment.id else c for c in self._comments]
        self._pending = [*self._pending, comment.id]
        self._render()
        yield
        try:
            saved = await call(self._api().edit_comment, comment.id, body, version=comment.version)
        except ApiError as error:
            self._pending = [x for x in self._pending if x != comment.id]
            self._comments = [comment if c.id == comment.id else c for c in self._comments]
            self.c_error = error.first_problem
            self._render()
            if error.status == 409:  # changed elsewhere meanwhile: show it as it is now
                await self._fetch()
            return
        self._pending = [x for x in self._pending if x != comment.id]
        self._comments = [saved if c.id == comment.id else c for c in self._comments]
        self._render()

    @rx.event
    @signed_in
    async def delete(self, comment_id: str) -> AsyncGenerator[Any, None]:
        index = next((i for i, c in enumerate(self._comments) if c.id == comment_id), -1)
        if index < 0 or comment_id in self._pending:
            return
        comment = self._comments[index]
        self._comments = [c for c in self._comments if c.id != comment_id]
        self.c_error = ""
        self._render()
        yield
        try:
            await call(self._api().delete_comment, comment_id)
        except ApiError as error:
            if error.status != 404:
                self._comments = [*self._comments[:index], comment, *self._comments[index:]]
                self.c_error = error.first_problem
                self._render()
                return
        yield rx.toast.info("Comment deleted.", id="comment")


__all__ = ["CommentsState", "heard"]
