"""The ports services depend on. Adapters implement them for AWS; unit tests pass small fakes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Protocol

from backend.domain.tasks import Label, Project, Task, TaskQuery
from backend.domain.users import User

if TYPE_CHECKING:
    from backend.adapters.stats_store import StoredContribution
    from backend.domain.stats import Counters


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None: ...

    def add(self, user: User) -> User:
        """Create the row unless it exists; returns what is stored (idempotent for retried triggers)."""
        ...

    def save(self, user: User) -> User:
        """Store a changed user if nobody saved it meanwhile (else ``ConflictError``); returns it, version bumped."""
        ...

    def delete(self, user_id: str) -> None: ...


class IdentityDirectory(Protocol):
    """The user pool, as the API sees it (admin operations on one user)."""

    def email_of(self, user_id: str) -> str | None:
        """The confirmed user's email, None when no such user exists."""
        ...

    def delete_user(self, user_id: str) -> None: ...


class TaskStore(Protocol):
    """Tasks, projects and labels of users (one table; see adapters/task_store.py)."""

    def get_task(self, user_id: str, task_id: str) -> Task | None: ...

    def get_tasks(self, user_id: str, task_ids: Iterable[str]) -> dict[str, Task]: ...

    def save_task(self, task: Task, *, previous: Task | None) -> Task:
        """Create (``previous`` None) or update if still at ``previous.version`` (else ``ConflictError``)."""
        ...

    def delete_task(self, task: Task) -> None: ...

    def last_position(self, user_id: str, project_id: str) -> str | None: ...

    def tasks_in_project(self, user_id: str, project_id: str) -> list[Task]: ...

    def task_ids_with_label(self, user_id: str, label_id: str) -> list[str]: ...

    def list_tasks(self, query: TaskQuery, *, limit: int, cursor: str | None) -> tuple[list[Task], str | None]: ...

    def list_projects(self, user_id: str) -> list[Project]: ...

    def get_project(self, user_id: str, project_id: str) -> Project | None: ...

    def save_project(self, project: Project) -> Project: ...

    def add_project_once(self, project: Project) -> Project: ...

    def delete_project(self, project: Project) -> None: ...

    def list_labels(self, user_id: str) -> list[Label]: ...

    def get_label(self, user_id: str, label_id: str) -> Label | None: ...

    def save_label(self, label: Label) -> Label: ...

    def delete_label(self, label: Label) -> None: ...


class StatsStore(Protocol):
    """Productivity aggregates and per-task contributions (see adapters/stats_store.py)."""

    def get_contribution(self, user_id: str, task_id: str) -> StoredContribution | None: ...

    def apply(
        self,
        user_id: str,
        task_id: str,
        *,
        expected: StoredContribution | None,
        new: StoredContribution,
        delta: Counters,
    ) -> bool:
        """Store ``new`` + add ``delta`` if the contribution is still ``expected`` (else False, nothing written)."""
        ...

    def read(self, user_id: str, *, since: date) -> tuple[dict[date, dict[str, int]], dict[str, int]]: ...

    def aggregates(self, user_id: str) -> Counters: ...

    def replace_all(
        self, user_id: str, aggregates: Counters, contributions: Mapping[str, StoredContribution]
    ) -> None: ...

    def mark_active(self, user_ids: Iterable[str], day: date) -> None: ...

    def active_users(self, day: date, *, cursor: str | None, limit: int) -> tuple[list[str], str | None]: ...

    def erase_user(self, user_id: str) -> int: ...
