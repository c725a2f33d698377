"""Domain errors. They know nothing of HTTP; ``backend.api.errors`` maps them to status codes in one place."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a client can cause; ``code`` is stable and machine-readable."""

    code = "domain_error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotAuthenticatedError(DomainError):
    code = "not_authenticated"


class NotFoundError(DomainError):
    """Also what another user's object looks like: it does not exist for the caller."""

    code = "not_found"


class ForbiddenError(DomainError):
    """A member of a shared project whose role does not allow the action (a stranger gets ``NotFoundError``)."""

    code = "forbidden"


class ConflictError(DomainError):
    code = "conflict"


class OpenSubtasksError(ConflictError):
    """Completing a task whose subtasks are still open without saying what happens to them (issue 14): 409, the
    open ones named in ``fields["children"]``; the client asks and sends ``children=complete`` or ``keep``."""

    code = "open_subtasks"


class InvalidInputError(DomainError):
    code = "invalid_input"


class StaleVersionError(ConflictError):
    """An edit based on an old version; carries what is stored now so the client can reload."""

    code = "stale_version"

    def __init__(self, message: str, *, current: object) -> None:
        super().__init__(message)
        self.current = current


class TooLargeError(DomainError):
    """More than a limit allows (a file's size, the storage quota)."""

    code = "too_large"


class IdempotencyKeyReusedError(DomainError):
    """An ``Idempotency-Key`` sent again with a different request than the one it was first used for."""

    code = "idempotency_key_reused"


class RequestInProgressError(ConflictError):
    """The first request with this ``Idempotency-Key`` has not finished yet: retry shortly."""

    code = "request_in_progress"


class TooManyRequestsError(DomainError):
    """Over a rate limit (e.g. SMS codes): ``retry_after`` whole seconds until one more is allowed."""

    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int, fields: dict[str, str] | None = None) -> None:
        super().__init__(message, fields=fields)
        self.retry_after = retry_after


class QuotaExceededError(DomainError):
    """The account holds as many of something as it may (tasks, projects, labels...): 409, resolved by removing some.
    Not a ``ConflictError``: those mean "changed meanwhile, reload"."""

    code = "quota_exceeded"


class WrongPasswordError(DomainError):
    """A re-authentication (the password asked again before deleting the account) that failed."""

    code = "wrong_password"
