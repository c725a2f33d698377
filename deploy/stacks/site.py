"""The static site: private S3 bucket + CloudFront (origin access control), with ``/api/*`` sent to API Gateway."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from deploy.stacks.nag import acknowledge

# The CSP the exported Reflex app needs: its own scripts/styles (Reflex injects inline styles), data: images
# (QR code), and the Reflex backend's websocket: same origin ('self' covers wss: on it) unless the context
# ``reflex_backend_origin`` names another one; the attachments bucket, which the browser posts files to
# (presigned POST) and shows thumbnails from (presigned GET). 'unsafe-eval' because Reflex runs every
# ``rx.call_script`` / ``rx.call_function`` with ``eval`` (reflex_base/.templates/web/utils/state.js): the
# attachment upload script, focus handling and the keyboard shortcuts would all be blocked without it (measured:
# without it the static-export test's quick add never completes, "_call_script EvalError").
# 'unsafe-inline' is only the header's fallback: every exported page carries a second policy in a <meta> with the
# SHA-256 of exactly its own inline scripts (deploy/csp.py, run by ``make export``), and the browser enforces both,
# so an injected inline script is refused (tests/e2e/test_static_export.py). The hashes cannot be in this header:
# the export is built after ``cdk deploy`` (it needs the site URL). style-src keeps 'unsafe-inline' for the inline
# styles Reflex and Radix set (styles do not run code).
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: {uploads}; font-src 'self' data:; connect-src 'self' {backend} {uploads}; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)


def content_security_policy(backend_origin: str, upload_origins: Sequence[str]) -> str:
    """:data:`CSP` for one deployment; the static-export browser test serves the same header (tests/e2e)."""
    backend = [backend_origin] if backend_origin else []
    if backend_origin.startswith(("https://", "http://")):
        # Only 'self' also covers the websocket schemes: a host source https://x does not allow wss://x
        # (CSP3 scheme-part matching; Chromium blocked the Reflex socket in the static-export test without this).
        backend.append("ws" + backend_origin.removeprefix("http"))
    policy = CSP.format(backend=" ".join(backend), uploads=" ".join(upload_origins))
    return policy.replace("  ", " ").replace(" ;", ";")


@dataclass(frozen=True)
class CustomDomain:
    """The site's own name (context ``domain_name``, ``hosted_zone_id``, ``hosted_zone_name``; no lookups).

    CloudFront takes certificates from us-east-1 only: in a us-east-1 stack the certificate is created here
    (DNS-validated in the zone); elsewhere pass an existing us-east-1 certificate (context ``certificate_arn``).
    """

    domain_name: str
    hosted_zone_id: str
    hosted_zone_name: str
    certificate_arn: str | None = None


# Reflex's static export has one HTML file per prerendered page and its SPA fallback (``404.html``, a copy of React
# Router's ``__spa-fallback.html``) that renders any route client-side. A page path (no file extension in its last
# segment: /inbox, /projects/<id>, /sign-in/) gets that fallback with status 200; files are fetched as they are.
# Only on the S3 behaviour: a CloudFront custom error response would be distribution-wide and rewrite /api/*'s own
# 403/404 (an expired e-mail link, a stranger's task) into this page.
SPA_FALLBACK_PAGE = "/404.html"
SPA_FALLBACK_FUNCTION = """function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri === "/") {
    request.uri = "/index.html";
  } else if (uri.substring(uri.lastIndexOf("/") + 1).indexOf(".") === -1) {
    request.uri = "SPA_FALLBACK_PAGE";
  }
  return request;
}
""".replace("SPA_FALLBACK_PAGE", SPA_FALLBACK_PAGE)


def spa_fallback_uri(uri: str) -> str:
    """:data:`SPA_FALLBACK_FUNCTION` in Python, for the static-export browser test's CloudFront-like server."""
    if uri == "/":
        return "/index.html"
    return SPA_FALLBACK_PAGE if "." not in uri.rsplit("/", 1)[-1] else uri


# Reflex's own routes: the websocket (Socket.IO under /_event/), uploads, and the health check.
REFLEX_PATHS = ("/_event*", "/_upload*", "/ping")


class SiteStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigw.RestApi,
        reflex_alb: elbv2.IApplicationLoadBalancer,
        reflex_backend_origin: str = "",
        upload_origins: Sequence[str] = (),
        web_acl_arn: str | None,
        domain: CustomDomain | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.zone: route53.IHostedZone | None = None
        self.certificate: acm.ICertificate | None = None
        if domain is not None:
            self.zone = route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
            )
            if domain.certificate_arn:
                self.certificate = acm.Certificate.from_certificate_arn(self, "Certificate", domain.certificate_arn)
            elif self.region == "us-east-1":
                self.certificate = acm.Certificate(
                    self,
                    "Certificate",
                    domain_name=domain.domain_name,
                    validation=acm.CertificateValidation.from_dns(self.zone),
                )
            else:
                raise ValueError(
                    "CloudFront needs a us-east-1 certificate: deploy in us-east-1 or pass context certificate_arn"
                )
        self.logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logging writes with ACLs.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        acknowledge(
            self.logs_bucket,
            "S1",
            reason="This is the access-log bucket itself; logging it to another bucket would recurse.",
        )
        self.bucket = s3.Bucket(
            self,
            "SiteBucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.logs_bucket,
            server_access_logs_prefix="s3/",
            removal_policy=RemovalPolicy.RETAIN,
        )
        headers = cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(365), include_subdomains=True, preload=True, override=True
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy(reflex_backend_origin, upload_origins),
                    override=True,
                ),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
            ),
        )
        # The Reflex backend: internal ALB reached through a CloudFront VPC origin (never on the internet).
        # Nothing cached; every viewer header (Upgrade/Connection for websockets, cookies for ALB stickiness).
        self.reflex_origin = origins.VpcOrigin.with_application_load_balancer(
            reflex_alb,
            http_port=80,
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTP_ONLY,
            read_timeout=Duration.seconds(60),
            keepalive_timeout=Duration.seconds(60),
        )
        reflex_behavior = cloudfront.BehaviorOptions(
            origin=self.reflex_origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER,
            response_headers_policy=headers,
            compress=False,
        )
        spa_fallback = cloudfront.Function(
            self,
            "SpaFallback",
            comment="Page paths -> the static export's SPA fallback page (S3 behaviour only)",
            code=cloudfront.FunctionCode.from_inline(SPA_FALLBACK_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="TaskManager Pro site",
            web_acl_id=web_acl_arn,  # the CLOUDFRONT web ACL of the edge firewall stack (us-east-1); none when small
            default_root_object="index.html",
            domain_names=[domain.domain_name] if domain else None,
            certificate=self.certificate,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.logs_bucket,
            log_file_prefix="cloudfront/",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=spa_fallback, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                **dict.fromkeys(REFLEX_PATHS, reflex_behavior),
                "/api/*": cloudfront.BehaviorOptions(
                    origin=origins.RestApiOrigin(api),
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=headers,
                    compress=True,
                ),
            },
        )
        if web_acl_arn is None:
            acknowledge(
                self.distribution,
                "CFR2",
                reason=(
                    "Small profile: no WAF (a web ACL with its rules is ~$11 a month, a third of the profile's "
                    "budget); the API stage's throttling bounds cost. -c profile=large adds the web ACL "
                    "(deploy/README.md)."
                ),
            )
        acknowledge(
            self.distribution,
            "CFR1",
            reason="The app is offered worldwide; no geo restriction is a product requirement.",
        )
        if domain is not None and self.zone is not None:
            for kind, record in (("A", route53.ARecord), ("AAAA", route53.AaaaRecord)):
                record(
                    self,
                    f"Alias{kind}",
                    zone=self.zone,
                    record_name=domain.domain_name,
                    target=route53.RecordTarget.from_alias(targets.CloudFrontTarget(self.distribution)),
                )
        else:
            acknowledge(
                self.distribution,
                "CFR4",
                reason=(
                    "Without a custom domain (context 'domain_name') CloudFront's default certificate allows TLSv1; "
                    "with one, minimum_protocol_version TLS_V1_2_2021 applies."
                ),
            )
        CfnOutput(self, "SiteBucketName", value=self.bucket.bucket_name)
        CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)
        site_host = domain.domain_name if domain else self.distribution.distribution_domain_name
        CfnOutput(self, "SiteUrl", value=f"https://{site_host}")
