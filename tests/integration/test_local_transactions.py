"""The local emulator's cheaper transaction rollback (backend/local/transactions.py) keeps moto's semantics:
all actions or none, and no stream record for a cancelled transaction."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.integration.conftest import aws_client

TABLE = ResourceNames("local").tasks_table


def key(sk: str) -> dict[str, Any]:
    return {"user_id": {"S": "rollback-user"}, "sk": {"S": sk}}


def test_a_cancelled_transaction_changes_nothing(local: LocalRun) -> None:
    db = aws_client(local, "dynamodb")
    assert local.streams is not None
    with local.streams.paused():
        local.streams.drain()
        db.put_item(TableName=TABLE, Item={**key("LT#keep"), "n": {"N": "1"}})
        db.put_item(TableName=TABLE, Item={**key("LT#gone"), "n": {"N": "1"}})
        before = local.streams.collect()
        assert len(before) == 2
        with pytest.raises(ClientError) as raised:
            db.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": {**key("LT#new"), "n": {"N": "1"}}}},
                    {
                        "Update": {
                            "TableName": TABLE,
                            "Key": key("LT#keep"),
                            "UpdateExpression": "ADD n :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}},
                        }
                    },
                    {"Delete": {"TableName": TABLE, "Key": key("LT#gone")}},
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": key("LT#missing"),
                            "ConditionExpression": "attribute_exists(sk)",
                        }
                    },
                ]
            )
        assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
        assert "Item" not in db.get_item(TableName=TABLE, Key=key("LT#new"))
        assert db.get_item(TableName=TABLE, Key=key("LT#keep"))["Item"]["n"] == {"N": "1"}
        assert "Item" in db.get_item(TableName=TABLE, Key=key("LT#gone"))
        assert local.streams.collect() == []
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": TABLE, "Item": {**key("LT#new"), "n": {"N": "1"}}}},
                {"Delete": {"TableName": TABLE, "Key": key("LT#gone")}},
            ]
        )
        assert [r["eventName"] for r in local.streams.collect()] == ["INSERT", "REMOVE"]
    assert "Item" in db.get_item(TableName=TABLE, Key=key("LT#new"))
    assert "Item" not in db.get_item(TableName=TABLE, Key=key("LT#gone"))
