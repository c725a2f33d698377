"""PynamoDB write errors every store reads the same way."""

from __future__ import annotations

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError


def is_conditional_failure(exc: PutError | UpdateError | TransactWriteError) -> bool:
    """A write refused by its condition (version, existence), alone or inside a transaction."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    codes = {getattr(r, "code", None) for r in reasons if r is not None}
    return exc.cause_response_code == "ConditionalCheckFailedException" or "ConditionalCheckFailed" in codes
