"""Cognito post-confirmation trigger: the new user's row in the Users table and an inbox row for each invitation that
waited for the address; after a password reset, the end of every earlier session."""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend import aws
from backend.adapters.cognito import CognitoDirectory
from backend.bootstrap import dependencies
from backend.domain.users import until_first_valid_second
from backend.observability import logger, metrics
from backend.services import profiles, sharing


@logger.inject_lambda_context(log_event=False)  # the event holds the email address
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    source = event.get("triggerSource")
    attributes = event["request"]["userAttributes"]
    deps = dependencies()
    if source == "PostConfirmation_ConfirmSignUp":
        profiles.register_confirmed_user(
            users=deps.users, user_id=attributes["sub"], email=attributes["email"], now=deps.clock()
        )
        metrics.add_metric(name="SignUps", unit=MetricUnit.Count, value=1)  # business metric (dashboard)
        try:  # invitations that waited for this address: on its bell at once (a convenience: never fail sign-up)
            sharing.tell_new_account(
                user_id=attributes["sub"],
                email=attributes["email"],
                memberships=deps.memberships,
                inbox=deps.notifications,
                now=deps.clock(),
            )
        except Exception:
            logger.exception("invitations of a new account not told")
    elif source == "PostConfirmation_ConfirmForgotPassword":
        # Cognito keeps the user's sessions after a reset; whoever made them may be why the password changed.
        cut_off = deps.clock()
        profiles.end_sessions(users=deps.users, user_id=attributes["sub"], email=attributes["email"], now=cut_off)
        # The pool id comes with the event: the trigger's settings cannot name the pool that refers to it (a cycle).
        pool = CognitoDirectory(cognito=aws.client("cognito-idp"), user_pool_id=event["userPoolId"])
        pool.sign_out_everywhere(event["userName"])
        # Token times are whole seconds: return (and let the user sign in) only once the cut-off's second is over,
        # so the first sign-in with the new password is never mistaken for an old one. At most a second, rarely.
        time.sleep(until_first_valid_second(cut_off).total_seconds())
    return event  # Cognito expects the event back
