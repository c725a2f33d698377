"""Stateful resources: the Users and Tasks tables and the Cognito user pool (+ app client, post-confirmation trigger).

Kept apart from the stateless stack so that redeploying code never replaces data, and protected from deletion
unless the ``deletion_protection`` context flag is ``false`` (throw-away dev stages).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from deploy.stacks import functions
from deploy.stacks.nag import acknowledge
from deploy.stacks.naming import (
    APP_CLIENT,
    APP_DISPLAY_NAME,
    PASSWORD_POLICY,
    ResourceNames,
    TableSchema,
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
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        names = ResourceNames(stage)
        removal = RemovalPolicy.RETAIN if deletion_protection else RemovalPolicy.DESTROY

        self.users_table = self._table("UsersTable", names.users_table, users_table_schema(), deletion_protection)
        self.tasks_table = self._table("TasksTable", names.tasks_table, tasks_table_schema(), deletion_protection)
        for table in (self.users_table, self.tasks_table):
            table.apply_removal_policy(removal)

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
                # Settings requires these; the trigger never calls Cognito. The real pool id would be a cycle
                # (pool -> trigger -> pool), so the trigger gets a marker it cannot mistake for a pool.
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
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=deletion_protection,
            removal_policy=removal,
            lambda_triggers=cognito.UserPoolTriggers(post_confirmation=self.post_confirmation),
        )
        self.user_pool_client = cognito.CfnUserPoolClient(
            self,
            "WebClient",
            user_pool_id=self.user_pool.user_pool_id,
            client_name=names.user_pool_client,
            **app_client_properties(APP_CLIENT),
        )
        acknowledge(
            self.user_pool,
            "COG1",
            reason=(
                "No symbol requirement by design (backend/domain/password_policy.py): NIST SP 800-63B favours "
                "length (10+) over composition rules; upper/lower/digit are still required."
            ),
        )
        acknowledge(
            self.user_pool,
            "COG2",
            reason="MFA is optional by product decision: users opt in to TOTP from their profile (DESIGN.md).",
        )

    def _table(self, construct_id: str, name: str, schema: TableSchema, deletion_protection: bool) -> dynamodb.TableV2:
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
            global_secondary_indexes=[
                dynamodb.GlobalSecondaryIndexPropsV2(
                    index_name=index.name,
                    partition_key=_attribute(schema, index.partition_key),  # type: ignore[arg-type]
                    sort_key=_attribute(schema, index.sort_key),
                    projection_type=dynamodb.ProjectionType.ALL,
                )
                for index in schema.indexes
            ],
        )
