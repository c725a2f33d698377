"""Stateless resources: the api and authorizer Lambdas and the REST API in front of them.

Routes: ``/api/{proxy+}`` (every method) -> api Lambda behind the TOKEN authorizer; every public route (each
method the resolver serves on ``backend.api.app.PUBLIC_PATHS``: the GET pages and the POSTs of the e-mail links)
-> api Lambda without it. The Powertools resolver strips ``/api`` itself.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from backend.domain.api_tokens import POINTER_PREFIX as API_TOKEN_POINTER
from deploy.stacks import functions, moves, waf
from deploy.stacks.features import DEFAULT_SMS_MONTHLY_SPEND_LIMIT, Features
from deploy.stacks.inbound import Inbound
from deploy.stacks.nag import acknowledge
from deploy.stacks.naming import AUTHORIZER_CACHE_SECONDS, public_routes, task_index_names
from deploy.stacks.webhooks import Webhooks

API_PREFIX = "api"

# The error shape of DESIGN.md, as the local adapter (backend/local/asgi.py) answers 401/403.
GATEWAY_ERRORS = {
    apigw.ResponseType.UNAUTHORIZED: ("401", "not_authenticated", "Sign in to continue."),
    apigw.ResponseType.ACCESS_DENIED: ("403", "forbidden", "You are not allowed to do this."),
    apigw.ResponseType.EXPIRED_TOKEN: ("401", "not_authenticated", "Sign in to continue."),
    apigw.ResponseType.THROTTLED: ("429", "throttled", "Too many requests, try again shortly."),
    # No method for this path and verb (PUT on a public path, anything outside /api): what the API itself answers
    # (backend/api/errors.py not_found), not API Gateway's 403 "Missing Authentication Token".
    apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN: ("404", "not_found", "There is nothing at this address."),
}


# What Powertools' DynamoDBPersistenceLayer calls (put in progress, get on conflict, save the answer, delete on error).
IDEMPOTENCY_ACTIONS = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")


def error_body(code: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message, "fields": {}}})


class StatelessStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        users_table: dynamodb.ITableV2,
        tasks_table: dynamodb.ITableV2,
        notifications_table: dynamodb.ITableV2,
        idempotency_table: dynamodb.ITableV2,
        user_pool: cognito.IUserPool,
        user_pool_client_id: str,
        deps_layer: lambda_.ILayerVersion,
        app_url: str,
        schedule_group_name: str,
        link_signing_secret: secretsmanager.ISecret,
        webhook_key: kms.IKey,
        attachments_bucket_name: str,
        ses_identity: str,
        sms_monthly_spend_limit: str = DEFAULT_SMS_MONTHLY_SPEND_LIMIT,
        waf: bool = True,
        inbound_email_domain: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        environment = functions.tmp_environment(
            stage=stage,
            region=self.region,
            user_pool_id=user_pool.user_pool_id,
            user_pool_client_id=user_pool_client_id,
            app_url=app_url,
        )
        # Answers to reminders and email to task (issue 16): mail for this domain comes in through SES; the api shows
        # the task address, the reminders set Reply-To there.
        self.inbound_email_domain = inbound_email_domain or f"in.{ses_identity.rsplit('@', 1)[-1]}"
        environment["TMP_INBOUND_EMAIL_DOMAIN"] = self.inbound_email_domain
        self.tmp_environment = dict(environment)  # the Reflex backend container gets the same settings
        self.features = Features(
            self,
            stage=stage,
            environment=environment,
            deps_layer=deps_layer,
            users_table=users_table,
            tasks_table=tasks_table,
            notifications_table=notifications_table,
            schedule_group_name=schedule_group_name,
            link_signing_secret=link_signing_secret,
            ses_identity=ses_identity,
            sms_monthly_spend_limit=sms_monthly_spend_limit,
        )
        self.inbound = Inbound(
            self,
            stage=stage,
            environment=environment,
            deps_layer=deps_layer,
            features=self.features,
            users_table=users_table,
            tasks_table=tasks_table,
            notifications_table=notifications_table,
            attachments_bucket_name=attachments_bucket_name,
            inbound_email_domain=self.inbound_email_domain,
        )
        self.webhooks = Webhooks(
            self,
            stage=stage,
            environment=environment,
            deps_layer=deps_layer,
            tasks_table=tasks_table,
            notifications_table=notifications_table,
            key=webhook_key,
        )
        # The api creates/updates/deletes reminder schedules: it needs their target and role too.
        environment = {**environment, **self.features.scheduling_environment}

        self.api_function = functions.backend_function(
            self,
            "ApiFn",
            handler="backend.handlers.api.lambda_handler",
            layer=deps_layer,
            environment={
                **environment,
                **self.features.secret_environment,
                **self.webhooks.environment,
                "TMP_IDEMPOTENCY_TABLE": idempotency_table.table_name,
            },
            memory_size=1024,
        )
        self.features.grant_api(self.api_function, attachments_bucket_name)
        self.webhooks.grant_api(self.api_function)
        functions.grant_table(self.api_function, users_table, [], functions.TABLE_READ_WRITE)
        functions.grant_table(self.api_function, tasks_table, task_index_names(api=True), functions.TABLE_READ_WRITE)
        # Powertools' idempotency records: exactly the four item calls its DynamoDB persistence layer makes.
        functions.grant_table(self.api_function, idempotency_table, [], IDEMPOTENCY_ACTIONS)
        self.api_function.add_to_role_policy(
            iam.PolicyStatement(
                # Deleting an account signs it out everywhere first (issue 12). The password check before it is
                # InitiateAuth on the app client, a public call that needs no permission.
                actions=[
                    "cognito-idp:AdminGetUser",
                    "cognito-idp:AdminDeleteUser",
                    "cognito-idp:AdminUserGlobalSignOut",
                ],
                resources=[user_pool.user_pool_arn],
            )
        )

        # A large project's first share moves its tasks in the background (issue 13): a queue and its worker.
        self.project_moves = moves.ProjectMoves(
            self,
            environment=environment,
            deps_layer=deps_layer,
            users_table=users_table,
            tasks_table=tasks_table,
            notifications_table=notifications_table,
            features=self.features,
        )
        self.project_moves.grant_send(self.api_function)

        # The authorizer verifies JWTs against the pool's public JWKS, and personal API tokens (issue 16) by one
        # GetItem of their pointer row: only items whose key starts APITOKEN# (never a user's data).
        self.authorizer_function = functions.backend_function(
            self,
            "AuthorizerFn",
            handler="backend.handlers.authorizer.lambda_handler",
            layer=deps_layer,
            environment=environment,
            memory_size=256,
            timeout=Duration.seconds(5),
        )
        self.authorizer_function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:GetItem"],
                resources=[tasks_table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{API_TOKEN_POINTER}*"]}},
            )
        )

        access_logs = logs.LogGroup(
            self, "ApiAccessLogs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self.api = apigw.RestApi(
            self,
            "RestApi",
            rest_api_name=f"taskmanager-pro-{stage}",
            description="TaskManager Pro REST API",
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.DESTROY,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            min_compression_size=__import__("aws_cdk").Size.kibibytes(1),
            deploy_options=apigw.StageOptions(
                stage_name=stage,
                tracing_enabled=True,
                throttling_rate_limit=100,
                throttling_burst_limit=200,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
            ),
        )
        for response_type, (status, code, message) in GATEWAY_ERRORS.items():
            self.api.add_gateway_response(
                f"Gateway{status}{code.title().replace('_', '')}{response_type.response_type}",
                type=response_type,
                status_code=status,
                templates={"application/json": error_body(code, message)},
                response_headers={"Content-Type": "'application/json'"},
            )

        self.authorizer = apigw.TokenAuthorizer(
            self,
            "TokenAuthorizer",
            handler=functions.live(self.authorizer_function),
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.seconds(AUTHORIZER_CACHE_SECONDS),
        )
        integration = apigw.LambdaIntegration(functions.live(self.api_function), proxy=True)
        validator = self.api.add_request_validator(
            "ParamsValidator", validate_request_parameters=True, validate_request_body=True
        )
        api_root = self.api.root.add_resource(API_PREFIX)
        protected = apigw.MethodOptions(
            authorizer=self.authorizer,
            authorization_type=apigw.AuthorizationType.CUSTOM,
            request_validator=validator,
        )
        api_root.add_proxy(default_integration=integration, default_method_options=protected, any_method=True)
        for http_method, path in sorted(public_routes()):
            resource: apigw.IResource = api_root
            for part in re.sub(r"<(\w+)>", r"{\1}", path).strip("/").split("/"):  # Powertools <id> -> {id}
                resource = resource.get_resource(part) or resource.add_resource(part)
            method = resource.add_method(
                http_method,
                integration,
                authorization_type=apigw.AuthorizationType.NONE,
                request_validator=validator,
            )
            acknowledge(
                method,
                "APIG4",
                "COG4",
                reason=(
                    f"{http_method} {path} is public by design (backend.api.app.PUBLIC_PATHS): read before sign-in, "
                    "or a signed e-mail link."
                ),
            )

        acknowledge(
            self.api,
            "COG4",
            reason=(
                "The API uses a Lambda TOKEN authorizer (backend/handlers/authorizer.py) that verifies Cognito "
                "access tokens, so the same verification code runs locally and in AWS."
            ),
        )
        acknowledge(
            self.api,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            reason="API Gateway's account-level logging role: AWS documents this managed policy as the one to use.",
        )
        # The NAT address the firewall knows: only the large profile has a NAT gateway and a WAF.
        self.reflex_egress: ec2.CfnEIP | None = None
        if waf:
            self._firewall(stage)
        else:
            acknowledge(
                self.api.deployment_stage,
                "APIG3",
                reason=(
                    "Small profile: no WAF ($10 a month for this web ACL alone, a third of the profile's budget). The "
                    "stage throttling and the usage plan bound the traffic and its cost; per-IP and per-token limits "
                    "come with -c profile=large (deploy/README.md)."
                ),
            )
        # A usage plan on the stage: the same limits as the stage throttling plus a ceiling per month, and the
        # place where per-client API keys (partners, mobile) get their own limits later.
        self.usage_plan = self.api.add_usage_plan(
            "UsagePlan",
            name=f"taskmanager-pro-{stage}",
            description="Default limits of the web app's traffic",
            throttle=apigw.ThrottleSettings(rate_limit=100, burst_limit=200),
            api_stages=[apigw.UsagePlanPerApiStage(api=self.api, stage=self.api.deployment_stage)],
        )
        CfnOutput(self, "ApiUrl", value=self.api.url)

    def _firewall(self, stage: str) -> None:
        """The API stage's WAF web ACL (deploy/stacks/waf.py), and the Reflex backend's egress address it knows.

        The Reflex backend calls the API server-side for every signed-in user of the UI, all from its NAT gateway:
        the address is allocated here (the reflex stack's NAT gateway uses it) so the per-IP rule can leave it out
        and limit those users by their token instead.
        """
        self.reflex_egress = ec2.CfnEIP(self, "ReflexEgressIp", domain="vpc")
        self.reflex_egress.apply_removal_policy(RemovalPolicy.DESTROY)
        reflex_ips = wafv2.CfnIPSet(
            self,
            "ReflexEgressIpSet",
            name=f"taskmanager-pro-{stage}-reflex-egress",
            description="NAT gateway address of the Reflex backend - its users are rate-limited per token",
            scope="REGIONAL",
            ip_address_version="IPV4",
            addresses=[f"{self.reflex_egress.ref}/32"],  # Ref of an EIP is its public address
        )
        self.web_acl = waf.web_acl(
            self,
            "ApiWebAcl",
            name=f"taskmanager-pro-{stage}-api",
            waf_scope="REGIONAL",
            rules=waf.api_rules(reflex_ips.attr_arn),
        )
        wafv2.CfnWebACLAssociation(
            self,
            "ApiWebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )
