"""What an account's erasure must remember across its retries: ``<sub>/ERASING`` (issue 13).

Deleting an account leaves its shared projects first (deleted, handed over or left), then deletes the user's files
but those the projects that go on still show (attachment rows there whose ``key_owner`` is the user). Once a project
is left, the user's row no longer names it: a retry after a failure midway would no longer know where those rows
are, and would delete files the heirs still download. So the projects are written here **before** any is left, and
every attempt reads them back. The item is in the user's partition, so the erasure's last step (every item of the
partition) takes it along, and nothing is left behind once the erasure has gone through.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from backend.adapters.task_store.models import TableMeta

ERASING = "ERASING"


class ErasureModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # the user's own partition
    sk = UnicodeAttribute(range_key=True)  # ERASING
    projects = UnicodeSetAttribute(null=True)  # the shared projects the user was in when the erasure began


ERASURE_MODELS: tuple[type[Model], ...] = (ErasureModel,)


class DynamoErasureRecord:
    def remember_projects(self, user_id: str, project_ids: Iterable[str]) -> frozenset[str]:
        """Add ``project_ids`` to what the user's erasure remembers (one UpdateItem; a GetItem when there is none to
        add) and return everything it remembers, from this attempt and the earlier ones."""
        adding = set(project_ids)
        if not adding:
            try:
                found = ErasureModel.get(user_id, ERASING, consistent_read=True)
            except DoesNotExist:
                return frozenset()
            return frozenset(found.projects or ())
        item = ErasureModel(user_id=user_id, sk=ERASING)
        item.update(actions=[ErasureModel.projects.add(adding)])  # (ALL_NEW: the item as stored now)
        return frozenset(item.projects or ())
