"""Stateful resources: the Users, Tasks and Notifications tables, the Cognito user pool (+ app client,
post-confirmation trigger, an identity pool whose role grants nothing), the reminders' schedule group and the
link-signing secret.

Kept apart from the stateless stack so that redeploying code never replaces data, and protected from deletion
unless the ``deletion_protection`` context flag is ``false`` (throw-away dev stages).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from backend.adapters.task_store.models import INVITEE
from deploy.stacks import functions
from deploy.stacks.nag import acknowledge
from deploy.stacks.naming import (
    APP_CLIENT,
    APP_DISPLAY_NAME,
    IDEMPOTENCY_EXPIRY_ATTRIBUTE,
    PASSWORD_POLICY,
    TTL_ATTRIBUTE,
    ResourceNames,
    TableSchema,
    idempotency_table_schema,
    notifications_table_schema,
    tasks_table_schema,
    users_table_schema,
)

_ATTRIBUTE_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


def _attribute(schema: TableSchema, name: str | None) -> dynamodb.Attribute | None:
    if name is None:
        return None
    return dynamodb.Attribute(name=name, type=_ATTRIBUTE_TYPES[schema.attribute_types[name]])


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def app_client_properties(settings: dict[str, Any]) -> dict[str, Any]:
    """``APP_CLIENT`` (the CreateUserPoolClient arguments of the local bootstrap) as CfnUserPoolClient properties."""
    properties = {_snake(key): value for key, value in settings.items() if key != "TokenValidityUnits"}
    units = settings.get("TokenValidityUnits")
    if units is not None:
        properties["token_validity_units"] = cognito.CfnUserPoolClient.TokenValidityUnitsProperty(
            **{_snake(key): value for key, value in units.items()}
        )
    return properties


class StatefulStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: str,
        deletion_protection: bool,
        deps_dir: Path,
        app_url: str,
        replica_regions: Sequence[str] = (),
        cognito_plus: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = ResourceNames(stage)
        removal = RemovalPolicy.RETAIN if deletion_protection else RemovalPolicy.DESTROY
        self._replica_regions = tuple(replica_regions)

        # TTL removes a deleted account's marker (expires_at) once the last of its tokens has expired.
        self.users_table = self._table(
            "UsersTable", names.users_table, users_table_schema(), deletion_protection, ttl_attribute=TTL_ATTRIBUTE
        )
        # The stream feeds the analytics Lambda (old and new image: it counts transitions); TTL expires
        # what the backend marks with expires_at.
        self.tasks_table = self._table(
            "TasksTable",
            names.tasks_table,
            tasks_table_schema(),
            deletion_protection,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            ttl_attribute=TTL_ATTRIBUTE,
        )
        self.notifications_table = self._table(
            "NotificationsTable",
            names.notifications_table,
            notifications_table_schema(),
            deletion_protection,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,  # live updates: the bell (deploy/stacks/live.py)
            ttl_attribute=TTL_ATTRIBUTE,
        )
        # Idempotency-Key records (POST /api/tasks): the first answer, replayed for 24 h, then expired by TTL.
        self.idempotency_table = self._table(
            "IdempotencyTable",
            names.idempotency_table,
            idempotency_table_schema(),
            deletion_protection,
            ttl_attribute=IDEMPOTENCY_EXPIRY_ATTRIBUTE,
        )
        for table in (self.users_table, self.tasks_table, self.notifications_table, self.idempotency_table):
            table.apply_removal_policy(removal)

        # Reminders: the schedules the API creates live in this group (deleting the group deletes them: stateful).
        self.schedule_group = scheduler.CfnScheduleGroup(self, "ReminderSchedules", name=names.schedule_group)
        self.schedule_group.apply_removal_policy(removal)
        # The keys of the links in e-mails (complete / unsubscribe without signing in) and of SMS codes are derived
        # from it (backend/domain/signing_keys.py): must outlive deploys. Functions get its ARN, never its value.
        self.link_signing_secret = secretsmanager.Secret(
            self,
            "LinkSigningSecret",
            secret_name=names.link_signing_secret,
            description="Master key of the signed e-mail links and SMS codes (functions read it at run time)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True, include_space=False
            ),
            removal_policy=removal,
        )
        acknowledge(
            self.link_signing_secret,
            "SMG4",
            reason=(
                "Rotated by hand with the previous key kept for verifying (docs/operations.md): an automatic "
                "rotation would invalidate every link already e-mailed; links carry an expiry."
            ),
        )

        # Seals the webhooks' secrets (issue 16): the api encrypts, the delivery function decrypts (stacks/webhooks.py).
        # Stateful: without it no stored secret can be opened again. KMS rotates its material yearly, transparently.
        self.webhook_key = kms.Key(
            self,
            "WebhookSecretsKey",
            alias=names.webhook_key_alias,
            description="Seals webhook signing secrets (the api may encrypt, the delivery function decrypt)",
            enable_key_rotation=True,
            removal_policy=removal,
        )

        # Post-confirmation trigger: lives with the pool (the pool refers to it, and it must not need the pool id).
        self.deps_layer = functions.deps_layer(self, deps_dir)
        self.post_confirmation = functions.backend_function(
            self,
            "PostConfirmationFn",
            handler="backend.handlers.cognito_triggers.lambda_handler",
            layer=self.deps_layer,
            memory_size=256,
            environment={
                "TMP_STAGE": stage,
                "TMP_REGION": self.region,
                # Settings requires these; the trigger takes the pool id from Cognito's event instead (the real
                # one here would be a cycle: pool -> trigger -> pool), so it gets a marker it cannot mistake for a pool.
                "TMP_USER_POOL_ID": "unused-by-cognito-trigger",
                "TMP_USER_POOL_CLIENT_ID": "unused-by-cognito-trigger",
                "TMP_APP_URL": app_url,
            },
        )
        functions.grant_table(
            self.post_confirmation,
            self.users_table,
            [],
            ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"),
        )
        # A new account's waiting invitations (issue 13): one Query of its address's E#<email> rows in the Tasks
        # table (those partitions only), and an inbox row for each in the Notifications table (put only).
        functions.grant_table(self.post_confirmation, self.tasks_table, [], ("dynamodb:DescribeTable",))
        self.post_confirmation.add_to_role_policy(
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[self.tasks_table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{INVITEE}*"]}},
            )
        )
        functions.grant_table(
            self.post_confirmation, self.notifications_table, [], ("dynamodb:DescribeTable", "dynamodb:PutItem")
        )

        policy = PASSWORD_POLICY.to_cognito()
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=names.user_pool,
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True, username=False),
            sign_in_case_sensitive=False,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=int(str(policy["MinimumLength"])),
                require_lowercase=bool(policy["RequireLowercase"]),
                require_uppercase=bool(policy["RequireUppercase"]),
                require_digits=bool(policy["RequireNumbers"]),
                require_symbols=bool(policy["RequireSymbols"]),
                temp_password_validity=Duration.days(int(str(policy["TemporaryPasswordValidityDays"]))),
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            user_verification=cognito.UserVerificationConfig(
                email_subject=f"Your {APP_DISPLAY_NAME} verification code",
                email_style=cognito.VerificationEmailStyle.CODE,
            ),
            # Plus ($0.02 per MAU, no free tier) brings threat protection; Essentials is free up to 10 000 MAU
            # (the small profile: deploy/stacks/profile.py). A pool changes plan in place.
            feature_plan=cognito.FeaturePlan.PLUS if cognito_plus else cognito.FeaturePlan.ESSENTIALS,
            standard_threat_protection_mode=(
                cognito.StandardThreatProtectionMode.FULL_FUNCTION if cognito_plus else None
            ),
            deletion_protection=deletion_protection,
            removal_policy=removal,
            lambda_triggers=cognito.UserPoolTriggers(post_confirmation=functions.live(self.post_confirmation)),
        )
        self.user_pool_client = cognito.CfnUserPoolClient(
            self,
            "WebClient",
            user_pool_id=self.user_pool.user_pool_id,
            client_name=names.user_pool_client,
            **app_client_properties(APP_CLIENT),
        )
        # After a password reset the trigger revokes the user's sessions (issue 12). A policy of its own, not the
        # role's default one: the function depends on its default policy, the pool on the function, so naming the
        # pool there would be a cycle; nothing depends on this policy.
        iam.Policy(
            self,
            "PostConfirmationSignOut",
            roles=[self.post_confirmation.role] if self.post_confirmation.role else [],
            statements=[
                iam.PolicyStatement(
                    actions=["cognito-idp:AdminUserGlobalSignOut"], resources=[self.user_pool.user_pool_arn]
                )
            ],
        )
        self._identity_pool(names)
        acknowledge(
            self.user_pool,
            "COG1",
            reason=(
                "No symbol requirement by design (backend/domain/password_policy.py): NIST SP 800-63B favours "
                "length (10+) over composition rules; upper/lower/digit are still required."
            ),
        )
        if not cognito_plus:
            acknowledge(
                self.user_pool,
                "COG3",
                "COG8",
                reason=(
                    "Small profile: Essentials plan, whose 10 000 free MAU the Plus plan's threat protection would "
                    "give up ($0.02 per MAU from the first user); sign-in abuse is bounded by Cognito's own quotas "
                    "and our SMS limits. The large profile turns threat protection on (deploy/README.md)."
                ),
            )
        acknowledge(
            self.user_pool,
            "COG2",
            reason="MFA is optional by product decision: users opt in to TOTP from their profile (DESIGN.md).",
        )

    def _identity_pool(self, names: ResourceNames) -> None:
        """An identity pool for signed-in users only, whose role grants nothing.

        The browser needs no AWS credentials today: attachments go through presigned POSTs the api signs, and every
        other call goes through the API. The pool and its role exist so that granting browser-side AWS access later
        is a policy added to this role, reviewed on its own, instead of a new piece of architecture.
        """
        self.identity_pool = cognito.CfnIdentityPool(
            self,
            "IdentityPool",
            identity_pool_name=f"{names.user_pool}-identities",
            allow_unauthenticated_identities=False,
            allow_classic_flow=False,
            cognito_identity_providers=[
                cognito.CfnIdentityPool.CognitoIdentityProviderProperty(
                    client_id=self.user_pool_client.ref,
                    provider_name=self.user_pool.user_pool_provider_name,
                    # Cognito Identity also checks with the user pool that the token was not revoked (sign-out).
                    server_side_token_check=True,
                )
            ],
        )
        # Only web identities of this pool, and only authenticated ones, may assume it.
        self.identity_pool_authenticated_role = iam.Role(
            self,
            "IdentityPoolAuthenticatedRole",
            description="Signed-in users' browser credentials: no permissions (uploads use presigned POSTs)",
            assumed_by=iam.FederatedPrincipal(
                "cognito-identity.amazonaws.com",
                conditions={
                    "StringEquals": {"cognito-identity.amazonaws.com:aud": self.identity_pool.ref},
                    "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"},
                },
                assume_role_action="sts:AssumeRoleWithWebIdentity",
            ),
        )
        cognito.CfnIdentityPoolRoleAttachment(
            self,
            "IdentityPoolRoles",
            identity_pool_id=self.identity_pool.ref,
            roles={"authenticated": self.identity_pool_authenticated_role.role_arn},
        )

    def _table(
        self,
        construct_id: str,
        name: str,
        schema: TableSchema,
        deletion_protection: bool,
        *,
        stream: dynamodb.StreamViewType | None = None,
        ttl_attribute: str | None = None,
    ) -> dynamodb.TableV2:
        partition_key = _attribute(schema, schema.partition_key)
        assert partition_key is not None
        return dynamodb.TableV2(
            self,
            construct_id,
            table_name=name,
            partition_key=partition_key,
            sort_key=_attribute(schema, schema.sort_key),
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.aws_managed_key(),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            deletion_protection=deletion_protection,
            dynamo_stream=stream,
            time_to_live_attribute=ttl_attribute,
            # Optional global-table replicas (context replica_regions), each with PITR and deletion protection.
            replicas=[
                dynamodb.ReplicaTableProps(
                    region=region,
                    deletion_protection=deletion_protection,
                    point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                        point_in_time_recovery_enabled=True
                    ),
                )
                for region in self._replica_regions
            ]
            or None,
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(schema, index.partition_key),  # type: ignore[arg-type]
                    sort_key=_attribute(schema, index.sort_key),
                    projection_type=dynamodb.ProjectionType(index.projection),
                    non_key_attributes=list(index.non_key_attributes) or None,
                )
                for index in schema.indexes
            ],
        )
