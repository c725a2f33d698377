"""The Idempotency-Key records table in the synth: built like the local one, protected like the others, and only the
api may use it, with the four item calls Powertools makes."""

from __future__ import annotations

from typing import Any

from backend.adapters.idempotency import EXPIRY_ATTRIBUTE, KEY_ATTRIBUTE
from backend.names import ResourceNames
from deploy.stacks.stateless import IDEMPOTENCY_ACTIONS
from tests.infrastructure.synth import (
    STAGE,
    Synthesized,
    as_list,
    function_by_handler,
    resources,
    role_of,
    statements,
    statements_of_role,
)

NAMES = ResourceNames(STAGE)
API_HANDLER = "backend.handlers.api.lambda_handler"


def _idempotency_table(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    tables = resources(synthesized.template("stateful"), "AWS::DynamoDB::GlobalTable")
    ((logical, table),) = [(k, t) for k, t in tables.items() if t["Properties"]["TableName"] == NAMES.idempotency_table]
    return logical, table


def test_the_table_has_the_powertools_key_ttl_pitr_and_encryption(synthesized: Synthesized) -> None:
    _, table = _idempotency_table(synthesized)
    props = table["Properties"]
    assert props["KeySchema"] == [{"AttributeName": KEY_ATTRIBUTE, "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": KEY_ATTRIBUTE, "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": EXPIRY_ATTRIBUTE, "Enabled": True}
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert "GlobalSecondaryIndexes" not in props
    assert "StreamSpecification" not in props
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert replica["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def _mentions_table(statement: dict[str, Any], logical: str) -> bool:
    return logical in repr(as_list(statement["Resource"]))


def test_only_the_api_role_may_use_it_with_exactly_the_powertools_calls(synthesized: Synthesized) -> None:
    logical, _ = _idempotency_table(synthesized)
    stateless = synthesized.template("stateless")
    api_role = role_of(stateless, function_by_handler(stateless, API_HANDLER))
    on_table = [s for s in statements_of_role(stateless, api_role) if _mentions_table(s, logical)]
    assert on_table
    assert {a for s in on_table for a in as_list(s["Action"])} == set(IDEMPOTENCY_ACTIONS)
    for statement in on_table:
        resources_ = as_list(statement["Resource"])
        assert len(resources_) == 1  # the table itself: no index, no wildcard
        assert "/index/" not in repr(resources_)
    # No other role anywhere in the app mentions the table.
    others = [
        s
        for template in synthesized.all_templates()
        for s in statements(template)
        if _mentions_table(s, logical) and s not in on_table
    ]
    assert others == []


def test_the_api_gets_the_table_name_from_its_environment(synthesized: Synthesized) -> None:
    logical, _ = _idempotency_table(synthesized)
    stateless = synthesized.template("stateless")
    functions = resources(stateless, "AWS::Lambda::Function")
    api = functions[function_by_handler(stateless, API_HANDLER)]
    variable = api["Properties"]["Environment"]["Variables"]["TMP_IDEMPOTENCY_TABLE"]
    assert logical in repr(variable)  # a reference to the stateful stack's table (an import), not a copied name
    api_logical = function_by_handler(stateless, API_HANDLER)
    others = [
        f["Properties"].get("Environment", {}).get("Variables", {}) for k, f in functions.items() if k != api_logical
    ]
    assert others
    assert all("TMP_IDEMPOTENCY_TABLE" not in variables for variables in others)
