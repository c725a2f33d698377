"""Each user's secret task address (issue 16) in the Tasks table:

``MAILIN#<sha256>`` / ``MAILIN``   the pointer an incoming mail reads (one GetItem): whose address this is
``<sub>``           / ``MAILIN``   the user's side: the secret itself (Settings shows the address), so a new one
                                   deletes the old pointer in the same transaction (the old address stops at once)
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.adapters import prefetched
from backend.adapters.task_store.models import TableMeta
from backend.adapters.write_errors import is_conditional_failure
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
        unchanged: Condition
        try:
            with TransactWrite(connection=UserAddressModel._get_connection().connection) as transaction:
                if previous is not None:
                    transaction.delete(AddressPointerModel(POINTER + secret_hash(previous), MAILIN))
                    unchanged = UserAddressModel.secret == previous
                else:
                    unchanged = UserAddressModel.user_id.does_not_exist()
                transaction.save(
                    AddressPointerModel(POINTER + secret_hash(secret), MAILIN, owner_id=user_id),
                    condition=AddressPointerModel.user_id.does_not_exist(),
                )
                transaction.save(UserAddressModel(user_id, MAILIN, secret=secret, created_at=now), condition=unchanged)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True

    def forget(self, user_id: str) -> bool:
        secret = self.current(user_id)
        if secret is None:
            return False
        try:
            with TransactWrite(connection=UserAddressModel._get_connection().connection) as transaction:
                transaction.delete(AddressPointerModel(POINTER + secret_hash(secret), MAILIN))
                transaction.delete(UserAddressModel(user_id, MAILIN), condition=UserAddressModel.secret == secret)
        except TransactWriteError as exc:
            if is_conditional_failure(exc):  # replaced meanwhile: the new one is for the caller to forget
                return False
            raise
        return True

    def owner_of(self, secret: str) -> str | None:
        try:
            return str(AddressPointerModel.get(POINTER + secret_hash(secret), MAILIN).owner_id)
        except DoesNotExist:
            return None
