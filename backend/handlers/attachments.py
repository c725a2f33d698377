"""S3 ObjectCreated → the attachment processor: real type, size, SHA-256, thumbnail; ready or rejected.

Subscribed to ``s3:ObjectCreated:*`` on the attachments bucket, filtered to the staging prefix ``uploads/`` (the
accepted file is copied to ``users/``, its thumbnail written under ``thumbnails/``, so the processor never triggers
itself). It checks the object version the event names. Idempotent: S3 may deliver an event twice.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.bootstrap import dependencies
from backend.observability import logger, metrics, tracer
from backend.services import attachments


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    bucket = deps.settings.names.attachments_bucket
    results: list[dict[str, Any]] = []
    for record in event.get("Records", []):
        s3 = record.get("s3", {})
        if (
            not str(record.get("eventName", "")).startswith("ObjectCreated")
            or s3.get("bucket", {}).get("name") != bucket
        ):
            continue
        key = unquote_plus(s3.get("object", {}).get("key", ""))  # S3 event keys are URL-encoded
        outcome = attachments.process_upload(
            store=deps.attachments,
            storage=deps.storage,
            key=key,
            version_id=s3.get("object", {}).get("versionId") or None,  # absent in an unversioned bucket
            limits=deps.settings.attachment_limits,
            now=deps.clock(),
        )
        if outcome.result == "ready":
            metrics.add_metric(name="UploadsAccepted", unit=MetricUnit.Count, value=1)
        elif outcome.result in {"rejected", "orphan", "superseded"}:
            metrics.add_metric(name="UploadsRejected", unit=MetricUnit.Count, value=1)
        logger.info(
            "upload processed",
            extra={
                "key": key,
                "result": outcome.result,
                "reason": outcome.reason,
                "attachment_id": outcome.attachment_id,
            },
        )
        results.append({"key": key, "result": outcome.result, "reason": outcome.reason})
    return {"processed": results}
