"""Property-based fuzzing of the REST API from its own OpenAPI document (schemathesis 4).

Whatever arrives, the API must never answer 5xx. Three runs, each bounded and derandomized (the same requests on
every run, no .hypothesis/ state), together ~15 s on an idle 2-CPU machine:

- accounts (/health, /config, /me): the coverage phase (boundary, missing, extra, wrongly typed and wrongly encoded
  values) and the fuzzing phase, with every response checked against what the document promises;
- every other operation (tasks, projects, labels), signed in: the fuzzing phase only, with the same checks (their
  own API tests cover their boundaries; the coverage phase for all of them would take a minute);
- every operation without a valid token (schemathesis makes up Authorization headers or leaves them out): 401 in
  the error shape, whatever the input.

DELETE /me deletes the caller and POST /me/sign-out ends its sessions: fuzzing them with the shared user would turn
every later operation into 401/404 noise, and POST /me/sign-out has no parameters or body to vary. Their success paths
are tested directly in test_me.py; here only their 401 path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.applications import Starlette

from backend.api.app import PUBLIC_PATHS
from backend.local.asgi import create_local_api
from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser

MAX_EXAMPLES = 30  # per account operation in the fuzzing phase
MAX_EXAMPLES_OTHERS = 15  # per other operation: they have their own API tests; this run hunts 5xx within the budget
ACCOUNT_PATHS = ["/health", "/config", "/me"]

# Every answer is checked for these, whatever else runs (issue 12 finding 10): no 5xx, a documented status code, the
# documented media type (the error shape's application/json for every 4xx, none for a 204), and a body that is valid
# against the documented schema (formats included).
CONFORMANCE = (not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance)
ENABLED = {"enabled": True}

# What the document cannot promise, so not checked anywhere here:
NOT_CHECKED = {
    # The document cannot say everything the API checks (an IANA time zone, a parsable recurrence rule, a label
    # name not taken yet, a cursor of this list), so schema-valid input may rightly be refused with 400/422.
    "positive_data_acceptance": {"enabled": False},
    # A method a path does not have answers 404 in the error shape (like any unknown route), not 405.
    "unsupported_method": {"enabled": False},
}
CHECKS = {**{check.__name__: ENABLED for check in CONFORMANCE}, **NOT_CHECKED}


def fuzz_config(
    *, checks: dict[str, Any], max_examples: int, coverage: bool, with_security_parameters: bool = False
) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "generation": {
                "mode": "all",  # valid and invalid requests
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
                "with-security-parameters": with_security_parameters,
            },
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": coverage},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": checks,
        }
    )


@pytest.fixture(autouse=True)
def _pytest9_node_id(request: pytest.FixtureRequest) -> None:
    """schemathesis 4.32's ``from_fixture`` reads and rewrites ``request.node._nodeid``, which pytest 9 no longer
    has; give it the attribute. Only the names in its subtest reports depend on it."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture(scope="module")
def accounts_schema(api_url: str) -> BaseSchema:
    config = fuzz_config(checks=CHECKS, max_examples=MAX_EXAMPLES, coverage=True)
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=config)


@pytest.fixture(scope="module")
def other_operations_schema(api_url: str) -> BaseSchema:
    config = fuzz_config(checks=CHECKS, max_examples=MAX_EXAMPLES_OTHERS, coverage=False)
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=config)


@pytest.fixture(scope="module")
def anonymous_schema(api_url: str) -> BaseSchema:
    # The answer does not depend on the input here, so a few requests per operation suffice.
    config = fuzz_config(checks=CHECKS, max_examples=5, coverage=False, with_security_parameters=True)
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=config)


accounts = (
    schemathesis.pytest.from_fixture("accounts_schema").include(path=ACCOUNT_PATHS).exclude(method="DELETE", path="/me")
)
# DELETE /data wipes the shared user's tasks, like DELETE /me (tested in tests/api/test_stats_api.py).
other_operations = (
    schemathesis.pytest.from_fixture("other_operations_schema")
    .exclude(path=ACCOUNT_PATHS)
    .exclude(method="DELETE", path="/data")
    .exclude(method="POST", path="/me/sign-out")
)
anonymous = schemathesis.pytest.from_fixture("anonymous_schema")


@pytest.fixture(scope="module")
def fuzz_user(make_user: Callable[[], SignedInUser]) -> SignedInUser:
    """One user for the signed-in runs: its projects, labels and tasks are what the fuzzer creates."""
    return make_user()


@accounts.parametrize()
def test_fuzz_accounts(case: Case[Any], fuzz_user: SignedInUser) -> None:
    case.call_and_validate(headers=fuzz_user.headers)


@other_operations.parametrize()
def test_fuzz_other_operations(case: Case[Any], fuzz_user: SignedInUser) -> None:
    case.call_and_validate(headers=fuzz_user.headers)


@anonymous.parametrize()
def test_fuzz_without_a_valid_token(case: Case[Any]) -> None:
    response = case.call_and_validate()
    if case.operation.path not in PUBLIC_PATHS:
        assert response.status_code == 401, response.text
        assert set(response.json()) == {"error"}
        assert response.json()["error"]["code"] == "not_authenticated"


# --- what the four checks found (issue 12 finding 10), each request checked exactly as the fuzzer checks it ---------
def conforms(case: Case[Any], headers: dict[str, str]) -> Any:
    """Calls ``case`` and runs the four conformance checks (only those) on the answer; returns the response."""
    return case.call_and_validate(headers=headers, checks=list(CONFORMANCE))


def test_a_due_time_is_answered_as_documented(other_operations_schema: BaseSchema, fuzz_user: SignedInUser) -> None:
    # Every due_time used to be answered "18:30:00" under a documented `format: time`, which demands an offset.
    body: dict[str, Any] = {"title": "Call back", "due_date": "2030-01-01", "due_time": "18:30"}
    response = conforms(other_operations_schema["/tasks"]["POST"].Case(body=body), fuzz_user.headers)
    assert response.status_code == 201
    assert response.json()["due_time"] == "18:30:00"


@pytest.mark.parametrize("due_time", ["00:00:00Z", "10:00+05:00", 3600, "24:00", "6pm"])
def test_a_due_time_with_an_offset_or_not_a_clock_time_is_refused(
    due_time: object, other_operations_schema: BaseSchema, fuzz_user: SignedInUser
) -> None:
    # "00:00:00Z" and "10:00+05:00" were stored as 00:00 and 10:00 (the offset silently dropped), 3600 as 01:00.
    body: dict[str, Any] = {"title": "Call back", "due_date": "2030-01-01", "due_time": due_time}
    response = conforms(other_operations_schema["/tasks"]["POST"].Case(body=body), fuzz_user.headers)
    assert response.status_code == 422, response.text
    assert set(response.json()["error"]["fields"]) == {"due_time"}


def test_a_204_is_documented_without_a_body(other_operations_schema: BaseSchema, fuzz_user: SignedInUser) -> None:
    created = conforms(other_operations_schema["/tasks"]["POST"].Case(body={"title": "Gone soon"}), fuzz_user.headers)
    delete = other_operations_schema["/tasks/{task_id}"]["DELETE"].Case(
        path_parameters={"task_id": created.json()["id"]}
    )
    response = conforms(delete, fuzz_user.headers)  # the document said application/json (type null) for the 204
    assert response.status_code == 204
    assert response.content == b""


@pytest.mark.parametrize("task_id", ["a\nb", "\n", "\n\n", "a\r\nb", "\t"])
def test_an_odd_id_is_a_404_in_the_error_shape(task_id: str, fuzz_user: SignedInUser) -> None:
    """Served as in ``make run``: the local API inside the Reflex backend as Reflex mounts it (``reflex.app.App``'s
    ``__call__``: our app mounts Reflex's at "" behind its own routes, and a bare Starlette mounts ours at "").

    It was a 404 in plain text (``Not Found``): a path with a line break matched no mount, so the bare Starlette
    answered; and a 200 with the task list for ``/tasks/%0A`` (the local adapter dropped line breaks and tabs from the
    path, and Powertools' route pattern ends in ``$``, which matches before a final line break)."""
    api = create_local_api()
    api.mount("", Starlette())  # Reflex's own backend app
    reflex_top = Starlette()
    reflex_top.mount("", api)

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=reflex_top)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(f"/api/tasks/{quote(task_id, safe='')}", headers=fuzz_user.headers)

    assert_error_shape(asyncio.run(get()), 404, "not_found")
