"""The public routes and the API's own description, over HTTP against the local API."""

from __future__ import annotations

import httpx
from openapi_spec_validator import validate

from backend.api.app import PUBLIC_PATHS
from backend.local.testing import LocalRun
from tests.api.conftest import assert_error_shape
from tests.conftest import SignedInUser


def test_health(http: httpx.Client) -> None:
    response = http.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_config_has_exactly_the_four_public_keys(http: httpx.Client, local: LocalRun) -> None:
    response = http.get("/config")
    assert response.status_code == 200
    assert response.json() == {
        "region": "us-east-1",
        "user_pool_id": local.outputs.user_pool_id,
        "user_pool_client_id": local.outputs.user_pool_client_id,
        "cognito_endpoint": local.endpoint,  # null in AWS
    }


def test_public_routes_ignore_a_bad_token(http: httpx.Client) -> None:
    headers = {"Authorization": "Bearer not-a-token"}
    assert http.get("/health", headers=headers).status_code == 200
    assert http.get("/config", headers=headers).status_code == 200


def test_openapi_document_is_valid_openapi_3(http: httpx.Client) -> None:
    response = http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises on any violation of the OpenAPI 3.x specification
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api"}]
    assert {"/health", "/config", "/me"} <= set(document["paths"])
    assert set(document["paths"]["/me"]) == {"get", "patch", "delete"}
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    # both credentials the authorizer takes, and how to use a personal API token (issue 16)
    assert "JWT" in scheme["bearerFormat"]
    assert "tmp_" in scheme["bearerFormat"]
    assert "personal API token" in document["info"]["description"]
    assert {"/tokens", "/tokens/{token_id}"} <= set(document["paths"])


def test_protected_operations_declare_the_bearer_scheme_and_the_error_shape(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            public = path.removeprefix("/api") in PUBLIC_PATHS  # the signed email links are public too
            assert ("security" in operation) != public, f"{method.upper()} {path}"
            if not public:
                assert operation["security"] == [{"bearerAuth": []}]
                error = operation["responses"]["401"]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/ErrorBody"}, f"{method.upper()} {path}"


def test_every_operation_documents_its_success_answer(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    undocumented = [
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if not any(status.startswith("2") for status in operation["responses"])
    ]
    assert undocumented == []
    profile = document["paths"]["/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert profile == {"$ref": "#/components/schemas/ProfilePublic"}


def test_protected_operations_document_400(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert all(
        "400" in operation["responses"]
        for operations in document["paths"].values()
        for operation in operations.values()
        if "security" in operation
    )


def test_docs_serve_the_interactive_page(http: httpx.Client) -> None:
    response = http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "swagger" in response.text.lower()


def test_an_unknown_route_is_404_in_the_error_shape(http: httpx.Client, user: SignedInUser) -> None:
    error = assert_error_shape(http.get("/no-such-thing", headers=user.headers), 404, "not_found")
    assert error["fields"] == {}
    assert_error_shape(http.post("/me/and/more", headers=user.headers, json={}), 404, "not_found")


def test_an_unknown_route_without_a_token_is_401(http: httpx.Client) -> None:
    # As behind API Gateway's authorized /{proxy+}: the authorizer answers before any route is looked up,
    # so anonymous callers cannot probe which routes exist.
    assert_error_shape(http.get("/no-such-thing"), 401, "not_authenticated")


def test_a_method_the_route_does_not_have_is_404(http: httpx.Client, user: SignedInUser) -> None:
    assert_error_shape(http.put("/me", headers=user.headers, json={}), 404, "not_found")


# --- found by fuzzing (test_schemathesis.py) and fixed in 76af221; kept as plain regression tests ----------
def test_a_declared_body_that_is_valid_is_accepted(http: httpx.Client, user: SignedInUser) -> None:
    # The control for the tests below: the same request with a proper JSON body.
    response = http.patch("/me", headers=user.headers, json={"display_name": "Control"})
    assert response.status_code == 200


def test_a_body_in_an_undeclared_media_type_is_415(http: httpx.Client, user: SignedInUser) -> None:
    headers = {**user.headers, "Content-Type": "text/plain"}
    response = http.patch("/me", headers=headers, content=b'{"display_name": "Plain"}')
    assert_error_shape(response, 415)


def test_a_body_that_is_not_utf8_is_422(http: httpx.Client, user: SignedInUser) -> None:
    headers = {**user.headers, "Content-Type": "application/json"}
    error = assert_error_shape(http.patch("/me", headers=headers, content=b'{"display_name": "\x82"}'), 422)
    assert set(error["fields"]) == {"body"}


def test_quick_add_of_a_long_text_is_not_a_server_error(http: httpx.Client, user: SignedInUser) -> None:
    response = http.post("/quick-add/parse", headers=user.headers, json={"text": "0" * 600})
    assert response.status_code == 200, response.text
    assert len(response.json()["task"]["title"]) <= 500


def test_a_path_with_a_line_break_is_404_in_the_error_shape(http: httpx.Client, user: SignedInUser) -> None:
    assert_error_shape(http.get("/tasks/%0Aabc", headers=user.headers), 404, "not_found")


# Open: backend/api/errors.py require_json_object lets non-JSON media types through to Powertools, which parses
# form data into the model (multipart: accepted, 200) or fails on a malformed multipart header (500).


def test_a_malformed_content_type_is_415(http: httpx.Client, user: SignedInUser) -> None:
    headers = {**user.headers, "Content-Type": "multipart/form-data"}  # no boundary
    assert_error_shape(http.patch("/me", headers=headers, content=b'{"display_name": "No boundary"}'), 415)


def test_form_bodies_are_415(http: httpx.Client, user: SignedInUser) -> None:
    before = http.get("/me", headers=user.headers).json()
    assert_error_shape(http.patch("/me", headers=user.headers, files={"display_name": (None, "Multipart")}), 415)
    assert_error_shape(http.patch("/me", headers=user.headers, data={"display_name": "Urlencoded"}), 415)
    assert http.get("/me", headers=user.headers).json() == before


def test_a_json_media_type_with_parameters_is_accepted(http: httpx.Client, user: SignedInUser) -> None:
    headers = {**user.headers, "Content-Type": "application/json; charset=utf-8"}
    response = http.patch("/me", headers=headers, content=b'{"display_name": "Charset"}')
    assert response.status_code == 200, response.text
    assert response.json()["display_name"] == "Charset"
