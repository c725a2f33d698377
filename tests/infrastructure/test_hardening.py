"""Issue 12 (security hardening) in the CDK app: public routes really public, the SPA fallback kept off ``/api/*``.

Public routes are read from the API's own resolver (``deploy.stacks.naming.public_routes``: every route on
``backend.api.app.PUBLIC_PATHS``, any method), so a new public route without its API Gateway method fails here.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest

from backend.api.app import PUBLIC_PATHS
from deploy.stacks.naming import public_routes
from deploy.stacks.site import spa_fallback_uri
from tests.infrastructure.synth import (
    STAGE,
    Synthesized,
    as_list,
    function_by_handler,
    resources,
    role_of,
    statements_of_role,
)


def api_paths(template: dict[str, Any]) -> dict[str, str]:
    """Logical id of each API Gateway resource -> its full path (``/api/links/complete``)."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")
    paths: dict[str, str] = {}

    def path_of(logical: str) -> str:
        if logical not in paths:
            parent = api_resources[logical]["Properties"]["ParentId"]
            prefix = path_of(parent["Ref"]) if "Ref" in parent else ""
            paths[logical] = f"{prefix}/{api_resources[logical]['Properties']['PathPart']}"
        return paths[logical]

    for logical in api_resources:
        path_of(logical)
    return paths


def methods(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """(HTTP method, full path) -> the method's properties."""
    paths = api_paths(template)
    found = {}
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        path = paths[props["ResourceId"]["Ref"]] if "Ref" in props["ResourceId"] else "/"
        found[(props["HttpMethod"], path)] = props
    return found


def test_the_public_routes_come_from_the_resolver() -> None:
    routes = public_routes()
    assert {path for _, path in routes} == PUBLIC_PATHS
    # The finding: the e-mails' one-click unsubscribe (RFC 8058) and "Mark as done" are POSTs.
    assert {("POST", "/links/unsubscribe"), ("POST", "/links/complete")} <= routes


def test_every_public_route_is_a_method_without_the_authorizer(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    (authorizer,) = resources(stateless, "AWS::ApiGateway::Authorizer").values()
    assert authorizer["Properties"]["Type"] == "TOKEN"
    assert authorizer["Properties"]["AuthorizerResultTtlInSeconds"] > 0
    found = methods(stateless)
    public = {(method, "/api" + re.sub(r"<(\w+)>", r"{\1}", path)) for method, path in public_routes()}
    missing = public - set(found)
    assert not missing, f"public routes without an API Gateway method: {sorted(missing)}"
    for key, props in found.items():
        if key in public:
            assert props["AuthorizationType"] == "NONE", key
            assert "AuthorizerId" not in props, key
            assert props["Integration"]["Type"] == "AWS_PROXY", key
        else:  # everything else goes through the authorizer, the catch-all included
            assert props["AuthorizationType"] == "CUSTOM", key
            assert "AuthorizerId" in props, key
    assert ("ANY", "/api/{proxy+}") in found


def test_a_method_api_gateway_does_not_have_is_a_404_in_the_error_shape(synthesized: Synthesized) -> None:
    """PUT on a public path has no method: API Gateway's "Missing Authentication Token" 403 becomes the API's 404."""
    responses = resources(synthesized.template("stateless"), "AWS::ApiGateway::GatewayResponse").values()
    (missing,) = [
        r["Properties"] for r in responses if r["Properties"]["ResponseType"] == "MISSING_AUTHENTICATION_TOKEN"
    ]
    assert missing["StatusCode"] == "404"
    body = json.loads(missing["ResponseTemplates"]["application/json"])
    assert body == {"error": {"code": "not_found", "message": "There is nothing at this address.", "fields": {}}}


def _distribution(synthesized: Synthesized) -> dict[str, Any]:
    (distribution,) = resources(synthesized.template("site"), "AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def test_no_error_page_rewrite_reaches_the_api(synthesized: Synthesized) -> None:
    """Custom error responses are distribution-wide: ``/api/*``'s own 403/404 must reach the caller as sent."""
    config = _distribution(synthesized)
    assert "CustomErrorResponses" not in config
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert "FunctionAssociations" not in api
    assert "LambdaFunctionAssociations" not in api


def _spa_function(synthesized: Synthesized) -> str:
    site = synthesized.template("site")
    config = _distribution(synthesized)
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    logical = association["FunctionARN"]["Fn::GetAtt"][0]
    function = site["Resources"][logical]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    code: str = function["FunctionCode"]
    return code


def test_spa_fallback_rewrites_page_paths_only(synthesized: Synthesized) -> None:
    """The viewer-request function, run in node: pages → Reflex's SPA fallback page, files untouched."""
    cases = {
        "/": "/index.html",
        "/inbox": "/404.html",
        "/inbox/": "/404.html",
        "/projects/01HX7Y0ABC": "/404.html",
        "/sign-in": "/404.html",
        "/index.html": "/index.html",
        "/404.html": "/404.html",
        "/assets/app-3f2a.js": "/assets/app-3f2a.js",
        "/favicon.ico": "/favicon.ico",
    }
    script = (
        _spa_function(synthesized)
        + f"\nconst uris = {json.dumps(list(cases))};"
        + "\nconsole.log(JSON.stringify(uris.map((uri) => handler({request: {uri: uri, headers: {}}}).uri)));"
    )
    node = shutil.which("node")  # the project needs node anyway (Makefile: bun, the CDK CLI)
    assert node is not None
    result = subprocess.run([node, "-e", script], capture_output=True, text=True, check=True, timeout=30)
    assert dict(zip(cases, json.loads(result.stdout.strip().splitlines()[-1]), strict=True)) == cases
    # The Python twin the static-export browser test serves with says the same.
    assert {uri: spa_fallback_uri(uri) for uri in cases} == cases


# --- finding 8, IAM: least privilege where the grants were wider than the code --------------------------------------

API = "backend.handlers.api.lambda_handler"
REMINDERS = "backend.handlers.reminders.handler"
PROCESSOR = "backend.handlers.attachments.handler"


def _statements(template: dict[str, Any], handler: str) -> list[dict[str, Any]]:
    return statements_of_role(template, role_of(template, function_by_handler(template, handler)))


def _resources_of(statement: dict[str, Any]) -> list[str]:
    return [json.dumps(r) for r in as_list(statement["Resource"])]


def _allowed(template: dict[str, Any], handler: str, action: str) -> list[str]:
    return [
        r
        for s in _statements(template, handler)
        if s.get("Effect", "Allow") == "Allow" and action in as_list(s["Action"])
        for r in _resources_of(s)
    ]


@pytest.mark.parametrize("handler", [API, REMINDERS])
def test_sms_publish_cannot_reach_a_topic(synthesized: Synthesized, handler: str) -> None:
    """sns:Publish to a phone number has no resource ARN (``*``): a Deny on every topic ARN leaves SMS only."""
    stateless = synthesized.template("stateless")
    assert _allowed(stateless, handler, "sns:Publish") == ['"*"']
    denies = [s for s in _statements(stateless, handler) if s["Effect"] == "Deny"]
    assert [as_list(s["Action"]) for s in denies] == [["sns:Publish"]]
    (deny,) = denies
    assert _resources_of(deny) == [json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sns:*:*:*"]]})]


def _object_prefixes(resources_json: list[str]) -> set[str]:
    return {r.split(":::")[-1].split("/", 1)[1].split('"')[0] for r in resources_json}


def test_api_cannot_write_thumbnails(synthesized: Synthesized) -> None:
    """Only the processor writes thumbnails (and checked files, finding 2); the api signs uploads under uploads/ only
    and reads the other two prefixes."""
    stateless = synthesized.template("stateless")
    assert _object_prefixes(_allowed(stateless, API, "s3:PutObject")) == {"uploads/*"}
    assert _object_prefixes(_allowed(stateless, API, "s3:GetObject")) == {"users/*", "thumbnails/*"}
    assert _object_prefixes(_allowed(stateless, API, "s3:DeleteObject")) == {"uploads/*", "users/*", "thumbnails/*"}


def test_processor_has_no_grant_on_the_users_table(synthesized: Synthesized) -> None:
    """The processor writes attachment rows in the Tasks table only (backend/services/attachments.process_upload)."""
    attachments = synthesized.template("attachments")
    granted = [r for s in _statements(attachments, PROCESSOR) for r in _resources_of(s)]
    assert not any("UsersTable" in r for r in granted)
    assert any("TasksTable" in r for r in _allowed(attachments, PROCESSOR, "dynamodb:UpdateItem"))


# --- finding 5, WAF: managed rules and rate limits per IP / per token, on CloudFront and on the API stage -------------

MANAGED = {
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
}


def _web_acl(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((logical, acl),) = resources(template, "AWS::WAFv2::WebACL").items()
    return logical, acl["Properties"]


def _rules(acl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {rule["Name"]: rule for rule in acl["Rules"]}


def _rate(rule: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = rule["Statement"]["RateBasedStatement"]
    return statement


def _assert_managed_groups_and_throttle_shape(acl: dict[str, Any]) -> None:
    rules = _rules(acl)
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    for name in MANAGED:
        statement = rules[name]["Statement"]["ManagedRuleGroupStatement"]
        assert (statement["VendorName"], statement["Name"]) == ("AWS", name)
        assert rules[name]["OverrideAction"] == {"None": {}}  # the group's own block actions apply
    for rule in rules.values():
        assert rule["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
        if "RateBasedStatement" in rule["Statement"]:
            response = rule["Action"]["Block"]["CustomResponse"]
            assert response["ResponseCode"] == 429
            assert [h["Name"] for h in response["ResponseHeaders"]] == ["Retry-After"]
            body = acl["CustomResponseBodies"][response["CustomResponseBodyKey"]]
            assert body["ContentType"] == "APPLICATION_JSON"
            assert json.loads(body["Content"])["error"]["code"] == "throttled"
            assert set(json.loads(body["Content"])["error"]) == {"code", "message", "fields"}


def _assert_logged_without_secrets(template: dict[str, Any], acl_logical: str, name: str) -> None:
    (logging,) = resources(template, "AWS::WAFv2::LoggingConfiguration").values()
    props = logging["Properties"]
    assert props["ResourceArn"] == {"Fn::GetAtt": [acl_logical, "Arn"]}
    assert f":log-group:aws-waf-logs-{name}" in json.dumps(props["LogDestinationConfigs"])
    assert {"SingleHeader": {"Name": "authorization"}} in props["RedactedFields"]
    assert {"QueryString": {}} in props["RedactedFields"]  # the e-mail links' signed tokens
    groups = [g["Properties"].get("LogGroupName") for g in resources(template, "AWS::Logs::LogGroup").values()]
    assert f"aws-waf-logs-{name}" in groups


def test_cloudfront_has_a_us_east_1_web_acl_with_ip_and_token_rate_limits(synthesized: Synthesized) -> None:
    assert synthesized.stacks.edge is not None
    assert synthesized.stacks.edge.region == "us-east-1"  # CLOUDFRONT scope exists only there
    edge = synthesized.template("edge")
    logical, acl = _web_acl(edge)
    assert acl["Scope"] == "CLOUDFRONT"
    _assert_managed_groups_and_throttle_shape(acl)
    rules = _rules(acl)
    per_ip = _rate(rules["RatePerIp"])
    assert (per_ip["AggregateKeyType"], per_ip["Limit"], per_ip["EvaluationWindowSec"]) == ("IP", 3000, 300)
    assert "ScopeDownStatement" not in per_ip
    links = _rate(rules["RatePerIpLinks"])
    assert (links["AggregateKeyType"], links["Limit"]) == ("IP", 100)
    assert links["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/api/links/"
    token = _rate(rules["RatePerTokenApi"])
    assert token["AggregateKeyType"] == "CUSTOM_KEYS"
    assert [k["Header"]["Name"] for k in token["CustomKeys"]] == ["authorization"]
    assert token["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/api/"
    _assert_logged_without_secrets(edge, logical, acl["Name"])
    assert acl["Name"] == f"taskmanager-pro-{STAGE}-site"
    # The distribution uses it (an export of the edge stack: both are in us-east-1 here).
    assert "SiteWebAcl" in json.dumps(_distribution(synthesized)["WebACLId"])


def test_api_stage_has_a_regional_web_acl_that_spares_the_reflex_backend_address(synthesized: Synthesized) -> None:
    stateless = synthesized.template("stateless")
    logical, acl = _web_acl(stateless)
    assert acl["Scope"] == "REGIONAL"
    _assert_managed_groups_and_throttle_shape(acl)
    (association,) = resources(stateless, "AWS::WAFv2::WebACLAssociation").values()
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [logical, "Arn"]}
    (stage_logical,) = resources(stateless, "AWS::ApiGateway::Stage")
    assert {"Ref": stage_logical} in association["Properties"]["ResourceArn"]["Fn::Join"][1]
    rules = _rules(acl)
    token = _rate(rules["RatePerToken"])
    assert (token["AggregateKeyType"], token["Limit"]) == ("CUSTOM_KEYS", 1000)
    assert [k["Header"]["Name"] for k in token["CustomKeys"]] == ["authorization"]
    per_ip = _rate(rules["RatePerIp"])
    assert (per_ip["AggregateKeyType"], per_ip["Limit"]) == ("IP", 2000)
    # Every signed-in UI user's calls leave through the Reflex backend's one NAT address: not limited per IP.
    ((eip_logical, _),) = resources(stateless, "AWS::EC2::EIP").items()
    ((ip_set_logical, ip_set),) = resources(stateless, "AWS::WAFv2::IPSet").items()
    assert ip_set["Properties"]["Addresses"] == [{"Fn::Join": ["", [{"Ref": eip_logical}, "/32"]]}]
    excluded = per_ip["ScopeDownStatement"]["NotStatement"]["Statement"]["IPSetReferenceStatement"]["Arn"]
    assert excluded == {"Fn::GetAtt": [ip_set_logical, "Arn"]}
    # ... and that address is the one the Reflex VPC's NAT gateway really uses.
    (nat,) = resources(synthesized.template("reflex"), "AWS::EC2::NatGateway").values()
    assert eip_logical in json.dumps(nat["Properties"]["AllocationId"])
    _assert_logged_without_secrets(stateless, logical, acl["Name"])


def test_no_waf_waiver_is_left(synthesized: Synthesized) -> None:
    """APIG3 / CFR2 (no WAF) were acknowledged with "throttling limits abuse meanwhile": now they pass on their own."""
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    acknowledged = {v["ruleName"] for p in report["pluginReports"] for v in p["suppressedViolations"]}
    assert "AwsSolutions-IAM5[Resource::*]" in acknowledged  # the report does list acknowledgements
    assert not {"AwsSolutions-APIG3", "AwsSolutions-CFR2"} & acknowledged
