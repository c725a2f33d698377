"""A secret found by its hash: a pointer item (``<PREFIX><sha256>``, naming the owner) in its own partition, and the
owner's own item naming the current one (the calendar feed, the task email address).

Both change in one transaction: the old pointer goes with a new one (the old secret stops at once), and the owner's
item is conditioned on what was read, so two requests at once cannot leave two pointers alive.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.adapters.write_errors import is_conditional_failure


def replace(*, old: Model | None, new: Model, own: Model, unchanged: Condition) -> bool:
    """Put the pointer ``new`` (it must not exist) and the owner's item ``own`` (if ``unchanged`` still holds), deleting
    the pointer ``old``; False when another request changed them meanwhile."""

    def write(transaction: TransactWrite) -> None:
        if old is not None:
            transaction.delete(old)
        transaction.save(new, condition=type(new)._hash_key_attribute().does_not_exist())
        transaction.save(own, condition=unchanged)

    return _committed(own, write)


def remove(*, pointer: Model, own: Model, unchanged: Condition) -> bool:
    """Delete the pointer and the owner's item (if ``unchanged`` still holds); False when it changed meanwhile."""

    def write(transaction: TransactWrite) -> None:
        transaction.delete(pointer)
        transaction.delete(own, condition=unchanged)

    return _committed(own, write)


def _committed(own: Model, write: Callable[[TransactWrite], None]) -> bool:
    try:
        with TransactWrite(connection=own._get_connection().connection) as transaction:
            write(transaction)
    except TransactWriteError as exc:
        if is_conditional_failure(exc):
            return False
        raise
    return True
