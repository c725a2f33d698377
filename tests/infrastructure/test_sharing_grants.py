"""Grants of shared projects (issue 13): the project-moves queue and worker, who may read a move's tombstone
(``MOVED#<task>``), and the post-confirmation trigger's reads of waiting invitations."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from backend.adapters.task_store.rekey import TOMBSTONE_ATTRIBUTES
from deploy.stacks.moves import MAX_RECEIVES
from tests.infrastructure.synth import (
    Synthesized,
    actions_of_role,
    as_list,
    function_by_handler,
    resources,
    role_of,
    statements_of_role,
)

WORKER = "backend.handlers.project_moves.handler"
HANDLERS = Path(__file__).resolve().parents[2] / "backend" / "handlers"


def _queue(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, v)
        for k, v in resources(template, "AWS::SQS::Queue").items()
        if k.startswith("ProjectMoves") and "Failures" not in k
    ]
    return found


def test_the_queue_redrives_to_its_dead_letters_and_outlasts_the_worker(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    logical, queue = _queue(template)
    props = queue["Properties"]
    assert props["SqsManagedSseEnabled"] is True
    assert props["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    dead = props["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
    assert "ProjectMovesFailures" in dead
    worker = template["Resources"][function_by_handler(template, WORKER)]["Properties"]
    assert props["VisibilityTimeout"] >= 6 * worker["Timeout"]  # AWS: at least six times the function's timeout
    (mapping,) = [
        m["Properties"]
        for m in resources(template, "AWS::Lambda::EventSourceMapping").values()
        if logical in json.dumps(m["Properties"]["EventSourceArn"])
    ]
    assert mapping["BatchSize"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "ProjectMovesFnLive" in json.dumps(mapping["FunctionName"])
    # Its dead letters are alarmed with the others.
    assert "ProjectMovesFailures" in json.dumps(synthesized.template("observability"))


def test_the_worker_consumes_the_queue_and_moves_tasks_nothing_more(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    role = role_of(template, function_by_handler(template, WORKER))
    actions = actions_of_role(template, role)
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility"} <= actions
    assert "sqs:SendMessage" not in actions
    assert not {a for a in actions if a.endswith(("Scan", "DeleteTable", "*"))}
    assert not {a for a in actions if a.split(":")[0] in {"s3", "ses", "sns", "cognito-idp", "secretsmanager"}}
    queue_logical, _ = _queue(template)
    for statement in statements_of_role(template, role):
        if any(a.startswith("sqs:") for a in as_list(statement["Action"])):
            assert queue_logical in json.dumps(statement["Resource"])


def test_the_api_may_only_send_to_the_queue_and_knows_its_url(synthesized: Synthesized) -> None:
    template = synthesized.template("stateless")
    api = function_by_handler(template, "backend.handlers.api.lambda_handler")
    queue_logical, _ = _queue(template)
    statements = statements_of_role(template, role_of(template, api))
    ours = [s for s in statements if queue_logical in json.dumps(s["Resource"])]
    assert len(ours) == 1
    assert "sqs:SendMessage" in as_list(ours[0]["Action"])
    assert not {a for a in as_list(ours[0]["Action"]) if a.startswith(("sqs:Receive", "sqs:Delete", "sqs:Purge"))}
    variables = template["Resources"][api]["Properties"]["Environment"]["Variables"]
    assert queue_logical in json.dumps(variables["TMP_MOVE_QUEUE_URL"])


def _tombstone_readers() -> set[str]:
    """The handler modules whose code reads a move's tombstone (``mover.moved(...)``)."""
    return {path.stem for path in HANDLERS.glob("*.py") if re.search(r"\.mover\.moved\(", path.read_text())}


def test_every_function_that_reads_the_move_tombstone_may_get_it(synthesized: Synthesized) -> None:
    readers = _tombstone_readers()
    assert readers == {"analytics", "live"}  # a new reader must be granted here (and named)
    templates = synthesized.all_templates()
    handlers = {"analytics": "backend.handlers.analytics.handler", "live": "backend.handlers.live.handler"}
    for module in readers:
        (template,) = [
            t
            for t in templates
            if any(
                f["Properties"].get("Handler") == handlers[module]
                for f in resources(t, "AWS::Lambda::Function").values()
            )
        ]
        role = role_of(template, function_by_handler(template, handlers[module]))
        gets = [
            s
            for s in statements_of_role(template, role)
            if "dynamodb:GetItem" in as_list(s["Action"]) and "TasksTable" in json.dumps(s["Resource"])
        ]
        assert gets, module
        if module == "analytics":  # it writes statistics in every partition: the whole table, no condition holds
            assert all("Condition" not in s for s in gets)
            continue
        # The live Lambda: exactly one GetItem on the Tasks table, of the tombstone's attributes and the keys only;
        # no LeadingKeys condition (a tombstone is in a user's partition or a project's).
        (get,) = gets
        assert as_list(get["Action"]) == ["dynamodb:GetItem"]
        condition = get["Condition"]
        assert set(condition["ForAllValues:StringEquals"]["dynamodb:Attributes"]) == {"user_id", "sk"} | set(
            TOMBSTONE_ATTRIBUTES
        )
        assert condition["StringEqualsIfExists"] == {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"}
        assert "dynamodb:LeadingKeys" not in json.dumps(condition)


def test_the_post_confirmation_trigger_reads_invitations_and_writes_inbox_rows_only(synthesized: Synthesized) -> None:
    template = synthesized.template("stateful")
    role = role_of(template, function_by_handler(template, "backend.handlers.cognito_triggers.lambda_handler"))
    statements = statements_of_role(template, role)
    (query,) = [s for s in statements if "dynamodb:Query" in as_list(s["Action"])]
    assert as_list(query["Action"]) == ["dynamodb:Query"]
    assert "TasksTable" in json.dumps(query["Resource"])
    assert query["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["E#*"]}}
    tables = {
        action: sorted(
            table
            for s in statements
            if action in as_list(s["Action"])
            for table in ("UsersTable", "TasksTable", "NotificationsTable")
            if table in json.dumps(s["Resource"])
        )
        for action in ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
    }
    assert tables == {
        "dynamodb:PutItem": ["NotificationsTable", "UsersTable"],
        "dynamodb:GetItem": ["UsersTable"],
        "dynamodb:UpdateItem": [],
        "dynamodb:DeleteItem": [],
    }
