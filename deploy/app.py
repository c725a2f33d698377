"""The CDK app: ``python -m deploy.app`` synthesizes every stack of one stage into deploy/cdk.out, offline.

cdk-nag 3 runs as a policy-validation plugin: any unacknowledged AwsSolutions finding makes ``synth()`` raise
``ValidationFailed`` (report in cdk.out/validation-report.json). Context (``-c key=value`` with the CDK CLI, or
``CDK_CONTEXT_JSON``): ``profile`` (``small`` (default) or ``large``: deploy/stacks/profile.py, deploy/README.md),
``stage`` (default ``dev``), ``deletion_protection`` (default true), ``app_url``,
``reflex_backend_origin``, ``lambda_deps_dir``, ``reflex_min_tasks``/``reflex_max_tasks`` (large: 2/6; small: 1/1,
and more than one is refused), ``alarm_email`` (alarm topic subscription, none by default), ``budget_amount``
(USD/month; default 50 small, 200 large),
``domain_name`` + ``hosted_zone_id`` + ``hosted_zone_name`` (+ ``certificate_arn`` outside us-east-1): custom domain,
``ses_identity`` (sender domain or address; default the custom domain, else example.com), ``replica_regions``,
``sms_monthly_spend_limit`` (SNS SMS monthly cap, whole USD as a string, default "1"),
``attachments_replica_bucket_arn`` (cross-region replication of the attachments to that existing bucket; default none),
``reserved_concurrency`` (JSON object: function short name or construct id -> reserved executions; default none).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from deploy.stacks import functions
from deploy.stacks.attachments import AttachmentsStack
from deploy.stacks.features import DEFAULT_SMS_MONTHLY_SPEND_LIMIT
from deploy.stacks.functions import DEFAULT_DEPS_DIR, REPO_ROOT
from deploy.stacks.naming import APP_SLUG
from deploy.stacks.observability import ObservabilityStack
from deploy.stacks.profile import Profile, profile_from_context
from deploy.stacks.reflex_backend import ReflexBackendStack
from deploy.stacks.site import CustomDomain, SiteStack
from deploy.stacks.stateful import StatefulStack
from deploy.stacks.stateless import StatelessStack
from deploy.stacks.waf import EdgeFirewallStack

DEFAULT_OUTDIR = REPO_ROOT / "deploy" / "cdk.out"
EDGE_REGION = "us-east-1"  # CloudFront's certificates and web ACLs live there


@dataclass
class Stacks:
    app: cdk.App
    profile: Profile
    stateful: StatefulStack
    attachments: AttachmentsStack
    stateless: StatelessStack
    reflex: ReflexBackendStack
    edge: EdgeFirewallStack | None  # the CloudFront web ACL: large profile only
    site: SiteStack
    observability: ObservabilityStack

    @property
    def all(self) -> list[cdk.Stack]:
        stacks: list[cdk.Stack | None] = [
            self.stateful,
            self.attachments,
            self.stateless,
            self.reflex,
            self.edge,
            self.site,
            self.observability,
        ]
        return [s for s in stacks if s is not None]


def _flag(value: Any) -> bool:
    return value is None or str(value).lower() not in {"false", "0", "no"}


def _list(value: Any) -> list[str]:
    """A context list: JSON list, or comma-separated string (``-c replica_regions=eu-west-1,us-west-2``)."""
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _domain(app: cdk.App) -> CustomDomain | None:
    """Context ``domain_name`` + ``hosted_zone_id`` + ``hosted_zone_name`` (+ ``certificate_arn`` outside us-east-1)."""
    domain_name = app.node.try_get_context("domain_name")
    if not domain_name:
        return None
    zone_id, zone_name = app.node.try_get_context("hosted_zone_id"), app.node.try_get_context("hosted_zone_name")
    if not zone_id or not zone_name:
        raise ValueError("context domain_name needs hosted_zone_id and hosted_zone_name (no lookups)")
    certificate_arn = app.node.try_get_context("certificate_arn")
    return CustomDomain(
        str(domain_name), str(zone_id), str(zone_name), str(certificate_arn) if certificate_arn else None
    )


def build(outdir: Path = DEFAULT_OUTDIR, context: dict[str, Any] | None = None) -> Stacks:
    app = cdk.App(outdir=str(outdir), context=context or {})
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks())
    stage = str(app.node.try_get_context("stage") or "dev")
    profile = profile_from_context(
        app.node.try_get_context("profile"),
        min_tasks=app.node.try_get_context("reflex_min_tasks"),
        max_tasks=app.node.try_get_context("reflex_max_tasks"),
        budget_amount=app.node.try_get_context("budget_amount"),
    )
    # On unless the context says false: a stage is protected by default.
    deletion_protection = _flag(app.node.try_get_context("deletion_protection"))
    domain = _domain(app)
    # The site's URL is only known after the first deploy (or from a custom domain): links in e-mails use it.
    default_url = f"https://{domain.domain_name}" if domain else "https://app.example.invalid"
    app_url = str(app.node.try_get_context("app_url") or default_url)
    # Empty: the Reflex backend is on the site's own origin (CloudFront routes /_event*, /_upload*, /ping).
    reflex_backend_origin = str(app.node.try_get_context("reflex_backend_origin") or "")
    deps_dir = Path(str(app.node.try_get_context("lambda_deps_dir") or DEFAULT_DEPS_DIR))
    env = cdk.Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=os.environ.get("CDK_DEFAULT_REGION") or os.environ.get("AWS_REGION") or "us-east-1",
    )
    prefix = f"{APP_SLUG}-{stage}"
    stateful = StatefulStack(
        app,
        f"{prefix}-stateful",
        stage=stage,
        deletion_protection=deletion_protection,
        deps_dir=deps_dir,
        app_url=app_url,
        replica_regions=_list(app.node.try_get_context("replica_regions")),
        cognito_plus=profile.cognito_plus,
        env=env,
        termination_protection=deletion_protection,
    )
    attachments = AttachmentsStack(
        app,
        f"{prefix}-attachments",
        stage=stage,
        tasks_table=stateful.tasks_table,
        deps_layer=stateful.deps_layer,
        environment=functions.tmp_environment(
            stage=stage,
            region=env.region or "us-east-1",
            user_pool_id=stateful.user_pool.user_pool_id,
            user_pool_client_id=stateful.user_pool_client.ref,
            app_url=app_url,
        ),
        app_origins=[app_url.rstrip("/")],
        deletion_protection=deletion_protection,
        # An existing versioned bucket in another region (created by the operator: a stack cannot create one there).
        replica_bucket_arn=app.node.try_get_context("attachments_replica_bucket_arn") or None,
        env=env,
    )
    # The account's SNS SMS cap: set by the features stack, watched by an alarm in the observability stack.
    sms_monthly_spend_limit = str(
        app.node.try_get_context("sms_monthly_spend_limit") or DEFAULT_SMS_MONTHLY_SPEND_LIMIT
    )
    stateless = StatelessStack(
        app,
        f"{prefix}-stateless",
        stage=stage,
        users_table=stateful.users_table,
        tasks_table=stateful.tasks_table,
        notifications_table=stateful.notifications_table,
        idempotency_table=stateful.idempotency_table,
        user_pool=stateful.user_pool,
        user_pool_client_id=stateful.user_pool_client.ref,
        deps_layer=stateful.deps_layer,
        app_url=app_url,
        schedule_group_name=str(stateful.schedule_group.name),
        link_signing_secret=stateful.link_signing_secret,
        webhook_key=stateful.webhook_key,
        attachments_bucket_name=attachments.bucket_name,
        ses_identity=str(app.node.try_get_context("ses_identity") or (domain.domain_name if domain else "example.com")),
        sms_monthly_spend_limit=sms_monthly_spend_limit,
        waf=profile.waf,
        inbound_email_domain=app.node.try_get_context("inbound_email_domain") or None,
        env=env,
    )
    reflex = ReflexBackendStack(
        app,
        f"{prefix}-reflex",
        stage=stage,
        environment=stateless.tmp_environment,
        api_url=f"{stateless.api.url}api",
        egress_allocation_id=stateless.reflex_egress.attr_allocation_id if stateless.reflex_egress else None,
        users_table=stateful.users_table,
        tasks_table=stateful.tasks_table,
        notifications_table=stateful.notifications_table,
        deps_layer=stateful.deps_layer,
        profile=profile,
        env=env,
    )
    # A CLOUDFRONT web ACL exists only in us-east-1: its own stack there; elsewhere the site stack reads its ARN
    # through CDK's cross-region references (an SSM parameter written in us-east-1, read by a custom resource).
    cross_region = env.region != EDGE_REGION
    edge = (
        EdgeFirewallStack(
            app,
            f"{prefix}-edge",
            stage=stage,
            env=cdk.Environment(account=env.account, region=EDGE_REGION),
            cross_region_references=cross_region,
        )
        if profile.waf
        else None
    )
    site = SiteStack(
        app,
        f"{prefix}-site",
        web_acl_arn=edge.web_acl.attr_arn if edge else None,
        cross_region_references=cross_region and edge is not None,
        api=stateless.api,
        reflex_alb=reflex.alb,
        reflex_backend_origin=reflex_backend_origin,
        upload_origins=[
            # boto3 signs virtual-hosted URLs: without the region in us-east-1, with it elsewhere.
            f"https://{attachments.bucket_name}.s3.amazonaws.com",
            f"https://{attachments.bucket_name}.s3.{env.region}.amazonaws.com",
        ],
        domain=domain,
        env=env,
    )
    # Every backend function, by the short name alarms, the dashboard and context reserved_concurrency use.
    named_functions = [
        ("PostConfirmation", stateful.post_confirmation),
        ("Api", stateless.api_function),
        ("Authorizer", stateless.authorizer_function),
        ("Reminders", stateless.features.reminders),
        ("Analytics", stateless.features.analytics),
        ("AnalyticsRecompute", stateless.features.recompute),
        ("LiveUpdates", reflex.live_updates.function),
        ("WebhookEvents", stateless.webhooks.events_function),
        ("Webhooks", stateless.webhooks.delivery_function),
        ("AttachmentProcessor", attachments.processor),
        ("InboundSms", stateless.inbound.sms_function),
        ("InboundEmail", stateless.inbound.email_function),
        ("ProjectMoves", stateless.project_moves.worker),
    ]
    functions.reserve_concurrency(
        named_functions, functions.reservations(app.node.try_get_context("reserved_concurrency"))
    )
    observability = ObservabilityStack(
        app,
        f"{prefix}-observability",
        stage=stage,
        api=stateless.api,
        functions=named_functions,
        tables=[
            ("Users", stateful.users_table),
            ("Tasks", stateful.tasks_table),
            ("Notifications", stateful.notifications_table),
            ("Idempotency", stateful.idempotency_table),
        ],
        dead_letter_queues=[
            ("AnalyticsStreamFailures", stateless.features.analytics_failures),
            ("AnalyticsRecomputeFailures", stateless.features.recompute_failures),
            ("LiveUpdatesStreamFailures", reflex.live_updates.failures),
            ("AttachmentProcessorFailures", attachments.dead_letter_queue),
            ("WebhookEventsStreamFailures", stateless.webhooks.stream_failures),
            ("WebhookFailures", stateless.webhooks.failures),
            ("ProjectMovesFailures", stateless.project_moves.dead_letters),
        ],
        alarm_email=app.node.try_get_context("alarm_email"),
        budget_amount=profile.budget_usd,
        sms_monthly_spend_limit=sms_monthly_spend_limit,
        reflex=reflex,
        all_alarms=profile.all_alarms,
        env=env,
    )
    stacks = Stacks(app, profile, stateful, attachments, stateless, reflex, edge, site, observability)
    for stack in stacks.all:
        cdk.Tags.of(stack).add("app", APP_SLUG)
        cdk.Tags.of(stack).add("stage", stage)
        cdk.Tags.of(stack).add("profile", profile.name)
    return stacks


if __name__ == "__main__":
    build().app.synth()
