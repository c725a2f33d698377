"""Cognito post-confirmation trigger: the new user's row in the Users table."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.bootstrap import dependencies
from backend.observability import logger, metrics
from backend.services import profiles


@logger.inject_lambda_context(log_event=False)  # the event holds the email address
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("triggerSource") == "PostConfirmation_ConfirmSignUp":
        attributes = event["request"]["userAttributes"]
        deps = dependencies()
        profiles.register_confirmed_user(
            users=deps.users, user_id=attributes["sub"], email=attributes["email"], now=deps.clock()
        )
        metrics.add_metric(name="SignUps", unit=MetricUnit.Count, value=1)  # business metric (dashboard)
    return event  # Cognito expects the event back
