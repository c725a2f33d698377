"""AWS WAF: one web ACL on CloudFront (scope CLOUDFRONT, so in us-east-1) and one on the API stage (REGIONAL).

Both run AWS's managed rule groups (IP reputation, known bad inputs, the common rule set) and rate-based rules, so
one noisy client is blocked on its own instead of using up the stage-wide throttling everyone shares:

- CloudFront sees the viewer's own address: per IP on everything, tighter per IP on the e-mail links, and per
  ``Authorization`` header on ``/api/*`` (an API client with one token, whatever its addresses).
- The API stage sees the Reflex backend's NAT address for every signed-in user of the UI (the backend calls the API
  server-side), CloudFront's addresses for ``/api/*`` from browsers and mail clients, and the caller's own for
  direct calls. So per ``Authorization`` header (one user, whichever way it comes) and per IP for everything but
  the Reflex backend's address (an IP set), whose users are each limited by their token.

Rate limits count requests over a 5-minute window (the window WAF's limits are usually quoted in). A blocked
request gets 429 in the API's error shape with ``Retry-After``. Requests WAF blocks or counts are logged to
CloudWatch Logs (``aws-waf-logs-…``) with the ``Authorization`` and ``Cookie`` headers and the query string
(the e-mail links' signed tokens) redacted; metrics and sampled requests cover every request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

WINDOW_SECONDS = 300
RETRY_AFTER_SECONDS = 60  # WAF re-checks a blocked key's rate continuously; a minute is a fair first retry


@dataclass(frozen=True)
class RateLimits:
    """Requests per ``WINDOW_SECONDS`` per key (why each number: deploy/README.md, "WAF")."""

    site_per_ip: int = 3000  # a page load is ~50 requests (cache hits count too); offices share one address
    links_per_ip: int = 100  # a person opens a few e-mail links; each POST writes
    api_per_token: int = 1000  # ~3 requests/s for 5 minutes per signed-in user: far above a person's pace
    api_per_ip: int = 2000  # direct callers; CloudFront's edge addresses carry many viewers each


LIMITS = RateLimits()
THROTTLED_BODY = "throttled"
THROTTLED_JSON = json.dumps(
    {"error": {"code": "throttled", "message": "Too many requests, try again shortly.", "fields": {}}}
)
# Common rule set rules that would block legitimate requests of this app; they count (logged) instead.
COMMON_RULES_COUNTED = (
    "SizeRestrictions_BODY",  # task notes may be 20,000 characters (backend/schemas.py Notes): bodies over 8 KB
    "CrossSiteScripting_BODY",  # notes are free text (code snippets, "<b>"); the UI renders them as text
)
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesCommonRuleSet",
)
REDACTED_HEADERS = ("authorization", "cookie")


def _visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=True
    )


def managed_rules(first_priority: int) -> list[wafv2.CfnWebACL.RuleProperty]:
    rules = []
    for offset, name in enumerate(MANAGED_RULE_GROUPS):
        overrides = (
            [
                wafv2.CfnWebACL.RuleActionOverrideProperty(
                    name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                )
                for rule in COMMON_RULES_COUNTED
            ]
            if name == "AWSManagedRulesCommonRuleSet"
            else None
        )
        rules.append(
            wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=first_priority + offset,
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name, rule_action_overrides=overrides
                    )
                ),
                visibility_config=_visibility(name),
            )
        )
    return rules


def _throttle() -> wafv2.CfnWebACL.RuleActionProperty:
    return wafv2.CfnWebACL.RuleActionProperty(
        block=wafv2.CfnWebACL.BlockActionProperty(
            custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                response_code=429,
                custom_response_body_key=THROTTLED_BODY,
                response_headers=[
                    wafv2.CfnWebACL.CustomHTTPHeaderProperty(name="Retry-After", value=str(RETRY_AFTER_SECONDS))
                ],
            )
        )
    )


def _authorization_key() -> wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty:
    return wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
        header=wafv2.CfnWebACL.RateLimitHeaderProperty(
            name="authorization",
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def path_starts_with(prefix: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="STARTS_WITH",
            search_string=prefix,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def not_from(ip_set_arn: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        not_statement=wafv2.CfnWebACL.NotStatementProperty(
            statement=wafv2.CfnWebACL.StatementProperty(
                ip_set_reference_statement=wafv2.CfnWebACL.IPSetReferenceStatementProperty(arn=ip_set_arn)
            )
        )
    )


def rate_rule(
    name: str,
    priority: int,
    limit: int,
    *,
    per_token: bool = False,
    scope_down: wafv2.CfnWebACL.StatementProperty | None = None,
) -> wafv2.CfnWebACL.RuleProperty:
    """Block (429) a key above ``limit`` requests per window: the source IP, or the ``Authorization`` header.

    A request without the header is not counted by a per-token rule (WAF skips requests that lack a key part).
    """
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=_throttle(),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=limit,
                evaluation_window_sec=WINDOW_SECONDS,
                aggregate_key_type="CUSTOM_KEYS" if per_token else "IP",
                custom_keys=[_authorization_key()] if per_token else None,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=_visibility(name),
    )


def web_acl(
    scope: Construct, construct_id: str, *, name: str, waf_scope: str, rules: Sequence[wafv2.CfnWebACL.RuleProperty]
) -> wafv2.CfnWebACL:
    """Allow by default; the managed groups and rate rules block. Logged (blocked + counted) to CloudWatch Logs."""
    acl = wafv2.CfnWebACL(
        scope,
        construct_id,
        name=name,
        scope=waf_scope,
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=list(rules),
        custom_response_bodies={
            THROTTLED_BODY: wafv2.CfnWebACL.CustomResponseBodyProperty(
                content_type="APPLICATION_JSON", content=THROTTLED_JSON
            )
        },
        visibility_config=_visibility(name),
    )
    log_group_name = f"aws-waf-logs-{name}"  # WAF only logs to groups named aws-waf-logs-*
    log_group = logs.LogGroup(
        scope,
        f"{construct_id}Logs",
        log_group_name=log_group_name,
        retention=logs.RetentionDays.THREE_MONTHS,
        removal_policy=RemovalPolicy.DESTROY,
    )
    logging = wafv2.CfnLoggingConfiguration(
        scope,
        f"{construct_id}Logging",
        resource_arn=acl.attr_arn,
        # WAF wants the log group's ARN without the ":*" suffix CloudFormation's GetAtt adds.
        log_destination_configs=[
            Stack.of(scope).format_arn(
                service="logs",
                resource="log-group",
                resource_name=log_group_name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
        # Bearer tokens, session cookies and the signed tokens of e-mail links never reach the logs.
        redacted_fields=[
            *(
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
                for header in REDACTED_HEADERS
            ),
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(query_string={}),
        ],
        # Only what WAF blocked or counted: the metrics and sampled requests already cover the allowed traffic.
        logging_filter={
            "DefaultBehavior": "DROP",
            "Filters": [
                {
                    "Behavior": "KEEP",
                    "Requirement": "MEETS_ANY",
                    "Conditions": [
                        {"ActionCondition": {"Action": "BLOCK"}},
                        {"ActionCondition": {"Action": "COUNT"}},
                    ],
                }
            ],
        },
    )
    logging.node.add_dependency(log_group)
    return acl


def site_rules() -> list[wafv2.CfnWebACL.RuleProperty]:
    """CloudFront's web ACL: viewers' own addresses."""
    return [
        *managed_rules(0),
        rate_rule("RatePerIpLinks", 10, LIMITS.links_per_ip, scope_down=path_starts_with("/api/links/")),
        rate_rule("RatePerTokenApi", 11, LIMITS.api_per_token, per_token=True, scope_down=path_starts_with("/api/")),
        rate_rule("RatePerIp", 12, LIMITS.site_per_ip),
    ]


def api_rules(reflex_egress_ip_set_arn: str) -> list[wafv2.CfnWebACL.RuleProperty]:
    """The API stage's web ACL: per token everywhere, per IP except the Reflex backend's own address."""
    return [
        *managed_rules(0),
        rate_rule("RatePerToken", 10, LIMITS.api_per_token, per_token=True),
        rate_rule("RatePerIp", 11, LIMITS.api_per_ip, scope_down=not_from(reflex_egress_ip_set_arn)),
    ]


class EdgeFirewallStack(Stack):
    """The CloudFront web ACL: scope CLOUDFRONT exists only in us-east-1, so this stack is always there."""

    def __init__(self, scope: Construct, construct_id: str, *, stage: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.web_acl = web_acl(
            self, "SiteWebAcl", name=f"taskmanager-pro-{stage}-site", waf_scope="CLOUDFRONT", rules=site_rules()
        )
