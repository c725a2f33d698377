"""The environment of a local run: what ``backend.local`` exports to the API, the trigger and Reflex."""

from __future__ import annotations

from backend.local.bootstrap import LOCAL_CREDENTIALS, LocalOutputs
from backend.names import LOCAL_STAGE

LOCAL_REGION = "us-east-1"
__all__ = ["LOCAL_REGION", "LOCAL_STAGE", "local_environment"]


def local_environment(*, endpoint: str, outputs: LocalOutputs, api_url: str, app_url: str) -> dict[str, str]:
    return {
        "TMP_STAGE": LOCAL_STAGE,
        "TMP_REGION": LOCAL_REGION,
        "TMP_AWS_ENDPOINT_URL": endpoint,
        "TMP_USER_POOL_ID": outputs.user_pool_id,
        "TMP_USER_POOL_CLIENT_ID": outputs.user_pool_client_id,
        "TMP_LINK_SIGNING_SECRET_ARN": outputs.link_signing_secret_arn,  # read from the emulator, as in AWS
        "TMP_WEBHOOK_KEY_ID": outputs.webhook_key_id,
        "TMP_WEBHOOK_ALLOW_LOOPBACK": "true",  # a receiver on this machine (refused by Settings in any other stage)
        "TMP_APP_URL": app_url,
        "TMP_API_URL": api_url,
        "TMP_LOCAL_API": "1",
        "AWS_ACCESS_KEY_ID": LOCAL_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": LOCAL_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": LOCAL_REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "TaskManagerPro",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
