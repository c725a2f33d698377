"""Each user's secret task address (issue 16) in the Tasks table:

``MAILIN#<sha256>`` / ``MAILIN``   the pointer an incoming mail reads (one GetItem): whose address this is
``<sub>``           / ``MAILIN``   the user's side: the secret itself (Settings shows the address), so a new one
                                   deletes the old pointer in the same transaction (the old address stops at once)
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from backend.adapters import hashed_pointers, prefetched
from backend.adapters.task_store.models import TableMeta
from backend.domain.inbound import secret_hash

MAILIN = "MAILIN"
POINTER = "MAILIN#"


class AddressPointerModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # MAILIN#<sha256 of the secret>
    sk = UnicodeAttribute(range_key=True, default=MAILIN)
    owner_id = UnicodeAttribute()


class UserAddressModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # the user's sub
    sk = UnicodeAttribute(range_key=True, default=MAILIN)
    secret = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


ADDRESS_MODELS: tuple[type[Model], ...] = (AddressPointerModel, UserAddressModel)


def _unchanged(secret: str | None) -> Condition:
    """The user's item still holds ``secret`` (None: there is none)."""
    return UserAddressModel.secret == secret if secret is not None else UserAddressModel.user_id.does_not_exist()


class DynamoTaskAddresses:
    def current(self, user_id: str) -> str | None:
        hit = prefetched.take(UserAddressModel.Meta.table_name, user_id, MAILIN)  # read ahead with the Users row
        if hit is not None:
            return str(UserAddressModel.from_raw_data(hit.item).secret) if hit.item is not None else None
        try:
            return str(UserAddressModel.get(user_id, MAILIN, consistent_read=True).secret)
        except DoesNotExist:
            return None

    def replace(self, user_id: str, secret: str, *, now: datetime, previous: str | None) -> bool:
        return hashed_pointers.replace(
            old=AddressPointerModel(POINTER + secret_hash(previous), MAILIN) if previous is not None else None,
            new=AddressPointerModel(POINTER + secret_hash(secret), MAILIN, owner_id=user_id),
            own=UserAddressModel(user_id, MAILIN, secret=secret, created_at=now),
            unchanged=_unchanged(previous),
        )

    def forget(self, user_id: str) -> bool:
        # (False also when it was replaced meanwhile: the new one is for the caller to forget)
        secret = self.current(user_id)
        return secret is not None and hashed_pointers.remove(
            pointer=AddressPointerModel(POINTER + secret_hash(secret), MAILIN),
            own=UserAddressModel(user_id, MAILIN),
            unchanged=_unchanged(secret),
        )

    def owner_of(self, secret: str) -> str | None:
        try:
            return str(AddressPointerModel.get(POINTER + secret_hash(secret), MAILIN).owner_id)
        except DoesNotExist:
            return None
