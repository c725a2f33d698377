"""The ports services depend on. Adapters implement them for AWS; unit tests pass small fakes."""

from __future__ import annotations

from typing import Protocol

from backend.domain.users import User


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
