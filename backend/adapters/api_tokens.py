"""Personal API tokens (issue 16) in the Tasks table, stored hashed:

  ``APITOKEN#<id>`` / ``APITOKEN``        the pointer the authorizer reads (one GetItem, IAM-limited to these keys):
                                          whose token, the secret's SHA-256, the scopes, when it was made
  ``<sub>``         / ``APITOKEN#<id>``   the user's side: name, scopes, created, last used. The API reads it on every
                                          token request (revocation is immediate whatever the authorizer cache holds)
                                          and the user's list is one Query of these

Both rows are written and deleted in one transaction. The stream consumers ignore both (unknown sort keys).
"""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from backend.adapters.task_store.models import TableMeta
from backend.adapters.write_errors import is_conditional_failure
from backend.domain.api_tokens import POINTER_PREFIX, ApiToken, scopes_of, scopes_text

POINTER, POINTER_SK, OWN = POINTER_PREFIX, "APITOKEN", "APITOKEN#"


class TokenPointerModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # APITOKEN#<id>
    sk = UnicodeAttribute(range_key=True, default=POINTER_SK)
    owner_id = UnicodeAttribute()
    secret_hash = UnicodeAttribute()
    scopes = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class UserTokenModel(Model):
    class Meta(TableMeta):
        pass

    user_id = UnicodeAttribute(hash_key=True)  # the owner's sub
    sk = UnicodeAttribute(range_key=True)  # APITOKEN#<id>
    name = UnicodeAttribute()
    scopes = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)


TOKEN_MODELS: tuple[type[Model], ...] = (TokenPointerModel, UserTokenModel)


def configure_pointer_model(*, table_name: str, region: str, endpoint: str | None) -> None:
    """The authorizer's one model, pointed at this stage's table. Only this model, and only when it changes: locally
    the authorizer shares its process with the API, and resetting every model's connection (``configure_models``)
    made the API rebuild all of its clients."""
    meta = TokenPointerModel.Meta
    wanted = (table_name, region, endpoint)
    if (meta.table_name, getattr(meta, "region", None), getattr(meta, "host", None)) != wanted:
        meta.table_name = table_name
        meta.region = region  # type: ignore[attr-defined]
        meta.host = endpoint  # type: ignore[attr-defined]
        TokenPointerModel._connection = None


def _own(item: UserTokenModel) -> ApiToken:
    return ApiToken(
        id=item.sk.removeprefix(OWN),
        user_id=item.user_id,
        name=item.name,
        scopes=scopes_of(item.scopes),
        secret_hash="",  # only the pointer holds it
        created_at=item.created_at,
        last_used_at=item.last_used_at,
    )


class DynamoApiTokens:
    def add(self, token: ApiToken) -> None:
        with TransactWrite(connection=UserTokenModel._get_connection().connection) as transaction:
            transaction.save(
                TokenPointerModel(
                    POINTER + token.id,
                    POINTER_SK,
                    owner_id=token.user_id,
                    secret_hash=token.secret_hash,
                    scopes=scopes_text(token.scopes),
                    created_at=token.created_at,
                ),
                condition=TokenPointerModel.user_id.does_not_exist(),
            )
            transaction.save(
                UserTokenModel(
                    token.user_id,
                    OWN + token.id,
                    name=token.name,
                    scopes=scopes_text(token.scopes),
                    created_at=token.created_at,
                )
            )

    def list_for(self, user_id: str) -> list[ApiToken]:
        return [_own(item) for item in UserTokenModel.query(user_id, UserTokenModel.sk.startswith(OWN))]

    def own(self, user_id: str, token_id: str) -> ApiToken | None:
        """The user's side of a token (consistent: a revoked token is refused on the very next request)."""
        try:
            return _own(UserTokenModel.get(user_id, OWN + token_id, consistent_read=True))
        except DoesNotExist:
            return None

    def by_id(self, token_id: str) -> ApiToken | None:
        """What the authorizer checks: the pointer (owner, hash, scopes)."""
        try:
            item = TokenPointerModel.get(POINTER + token_id, POINTER_SK)
        except DoesNotExist:
            return None
        return ApiToken(
            id=token_id,
            user_id=item.owner_id,
            name="",
            scopes=scopes_of(item.scopes),
            secret_hash=item.secret_hash,
            created_at=item.created_at,
        )

    def revoke(self, user_id: str, token_id: str) -> bool:
        try:
            with TransactWrite(connection=UserTokenModel._get_connection().connection) as transaction:
                transaction.delete(UserTokenModel(user_id, OWN + token_id), condition=UserTokenModel.user_id.exists())
                transaction.delete(
                    TokenPointerModel(POINTER + token_id, POINTER_SK),
                    condition=TokenPointerModel.owner_id == user_id,
                )
        except TransactWriteError as exc:
            if is_conditional_failure(exc):  # not this user's token (or gone already)
                return False
            raise
        return True

    def touch(self, user_id: str, token_id: str, *, now: datetime, not_since: datetime) -> bool:
        """Set "last used" unless another request did after ``not_since`` (or the token is gone): one conditional
        UpdateItem, so several API instances together still write it at most once a minute."""
        item = UserTokenModel(user_id, OWN + token_id)
        try:
            item.update(
                actions=[UserTokenModel.last_used_at.set(now)],
                condition=UserTokenModel.user_id.exists()
                & (UserTokenModel.last_used_at.does_not_exist() | (UserTokenModel.last_used_at < not_since)),
            )
        except UpdateError as exc:
            if is_conditional_failure(exc):
                return False
            raise
        return True
