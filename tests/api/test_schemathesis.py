"""Property-based fuzzing of the REST API from its own OpenAPI document (schemathesis 4).

Whatever arrives, the API must never answer 5xx. Three runs, each bounded and derandomized (the same requests on
every run, no .hypothesis/ state), together ~15 s on an idle 2-CPU machine:

- accounts (/health, /config, /me): the coverage phase (boundary, missing, extra, wrongly typed and wrongly encoded
  values) and the fuzzing phase, with every response checked against what the document promises;
- every other operation (tasks, projects, labels), signed in: the fuzzing phase only, with the same checks (their
  own API tests cover their boundaries; the coverage phase for all of them would take a minute);
- every operation without a valid token (schemathesis makes up Authorization headers or leaves them out): 401 in
  the error shape, whatever the input.

DELETE /me deletes the caller: fuzzing it with the shared user would turn every later operation into 401/404 noise,
and it has no parameters or body to vary. Its success path is tested directly in test_me.py; here only its 401 path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from backend.api.app import PUBLIC_PATHS
from tests.conftest import SignedInUser

MAX_EXAMPLES = 30  # per account operation in the fuzzing phase
MAX_EXAMPLES_OTHERS = 15  # per other operation: they have their own API tests; this run hunts 5xx within the budget
ACCOUNT_PATHS = ["/health", "/config", "/me"]

# What the document cannot promise, so not checked anywhere here:
NOT_CHECKED = {
    # The document cannot say everything the API checks (an IANA time zone, a parsable recurrence rule, a label
    # name not taken yet, a cursor of this list), so schema-valid input may rightly be refused with 400/422.
    "positive_data_acceptance": {"enabled": False},
    # A method a path does not have answers 404 in the error shape (like any unknown route), not 405.
    "unsupported_method": {"enabled": False},
}


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
    config = fuzz_config(checks=NOT_CHECKED, max_examples=MAX_EXAMPLES, coverage=True)
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=config)


@pytest.fixture(scope="module")
def other_operations_schema(api_url: str) -> BaseSchema:
    config = fuzz_config(checks=NOT_CHECKED, max_examples=MAX_EXAMPLES_OTHERS, coverage=False)
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=config)


@pytest.fixture(scope="module")
def anonymous_schema(api_url: str) -> BaseSchema:
    # The answer does not depend on the input here, so a few requests per operation suffice.
    config = fuzz_config(checks=NOT_CHECKED, max_examples=5, coverage=False, with_security_parameters=True)
    return schemathesis.openapi.from_url(f"{api_url}/openapi.json", config=config)


accounts = (
    schemathesis.pytest.from_fixture("accounts_schema").include(path=ACCOUNT_PATHS).exclude(method="DELETE", path="/me")
)
# DELETE /data wipes the shared user's tasks, like DELETE /me (tested in tests/api/test_stats_api.py).
other_operations = (
    schemathesis.pytest.from_fixture("other_operations_schema")
    .exclude(path=ACCOUNT_PATHS)
    .exclude(method="DELETE", path="/data")
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
