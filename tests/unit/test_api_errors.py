"""How validation errors become the ``fields`` of the error answer (DESIGN.md's error shape)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from pydantic import ValidationError

from backend.api.errors import json_depth, register_error_handlers, validation_fields
from backend.client import ApiError
from backend.errors import ForbiddenError
from backend.local.lambda_runtime import LocalContext
from backend.schemas import ProfileUpdate


def request_errors(payload: Any) -> list[dict[str, Any]]:
    """Pydantic's errors for a request body, located under ``body`` as Powertools reports them."""
    try:
        ProfileUpdate.model_validate(payload)
    except ValidationError as exc:
        return [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
    raise AssertionError("the payload is valid")


def test_nested_fields_are_dotted_paths_without_the_body_prefix() -> None:
    fields = validation_fields(request_errors({"preferences": {"sms_phone": "123"}, "timezone": "Nowhere/Else"}))
    assert set(fields) == {"preferences.sms_phone", "timezone"}
    assert "IANA" in fields["timezone"]


def test_unknown_fields_say_so() -> None:
    assert validation_fields(request_errors({"nickname": "x", "preferences": {"push": 1}})) == {
        "nickname": "is not a known field",
        "preferences.push": "is not a known field",
    }


def test_invalid_json_names_the_body() -> None:
    errors = [{"type": "json_invalid", "loc": ("body", 17), "msg": "JSON decode error"}]
    assert validation_fields(errors) == {"body": "is not valid JSON"}


def test_a_body_of_the_wrong_kind_names_the_body() -> None:
    assert set(validation_fields(request_errors([]))) == {"body"}
    assert validation_fields([{"type": "missing", "loc": ("body",), "msg": "Field required"}]) == {
        "body": "Field required"
    }


def test_query_and_path_parameters_are_named_plainly() -> None:
    errors = [
        {"type": "int_parsing", "loc": ("query", "limit"), "msg": "Input should be a valid integer"},
        {"type": "string_pattern_mismatch", "loc": ("path", "task_id"), "msg": "String should match pattern"},
    ]
    assert validation_fields(errors) == {
        "limit": "Input should be a valid integer",
        "task_id": "String should match pattern",
    }


def test_the_first_problem_of_a_field_wins_and_odd_errors_still_have_a_message() -> None:
    errors: list[dict[str, Any]] = [
        {"type": "string_too_long", "loc": ("body", "display_name"), "msg": "too long"},
        {"type": "string_type", "loc": ("body", "display_name"), "msg": "not a string"},
        {"type": "weird"},
    ]
    assert validation_fields(errors) == {"display_name": "too long", "body": "is not valid"}


def test_the_client_shows_the_first_field_problem_or_else_the_message() -> None:
    named = ApiError(422, "invalid_input", "The request is not valid.", {"phone": "Use the + format.", "x": "no"})
    assert named.first_problem == "Use the + format."
    assert ApiError(400, "bad_request", "Something is off.").first_problem == "Something is off."


def test_json_depth_counts_objects_and_arrays_without_recursing() -> None:
    assert json_depth("text") == 0
    assert json_depth({}) == 1
    assert json_depth({"subtasks": [{"title": "x"}]}) == 3
    deep: Any = []
    for _ in range(100_000):  # far beyond Python's recursion limit
        deep = [deep]
    assert json_depth(deep) == 100_001


def test_a_quota_shows_its_message_not_the_field() -> None:
    message = "An account has at most 10,000 open tasks. Complete or delete some to add more."
    error = ApiError(409, "quota_exceeded", message, {"tasks": "at most 10000 open tasks"})
    assert error.first_problem == message


def test_a_role_too_low_is_a_403_in_the_error_shape() -> None:
    """Shared projects (issue 13): ``ForbiddenError`` is the 403 of DESIGN.md, distinct from a stranger's 404."""
    app = APIGatewayRestResolver()
    register_error_handlers(app)

    @app.delete("/projects/<project_id>")
    def delete_project(project_id: str) -> dict[str, str]:
        raise ForbiddenError("Only the project's owner can do this.")

    event = {"path": "/projects/p1", "httpMethod": "DELETE", "headers": {}, "requestContext": {"stage": "api"}}
    context: Any = LocalContext(function_name="api")
    answer = app.resolve(event, context)
    assert answer["statusCode"] == 403
    assert json.loads(answer["body"]) == {
        "error": {"code": "forbidden", "message": "Only the project's owner can do this.", "fields": {}}
    }
