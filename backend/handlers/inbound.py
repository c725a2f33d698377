"""What comes in (issue 16): answers to reminders by SMS and email, and mail to a user's task address.

- ``sms_handler``: two-way SMS (AWS End User Messaging) publishes each incoming SMS to an SNS topic this Lambda is
  subscribed to; the SNS message is JSON with ``originationNumber`` and ``messageBody``.
- ``email_handler``: SES's receipt rule first stores the raw message in the inbound bucket (``mail/<messageId>``),
  then invokes this Lambda with the SES event: recipients and the SPF/DKIM verdicts; the message is read from S3 and
  deleted once handled (S3's lifecycle removes what a failure leaves).
Locally ``/api/local/inbound/sms`` and ``/api/local/inbound/email`` build the same events (backend/local/asgi.py).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.bootstrap import Dependencies, dependencies, inbound_mail
from backend.config import SCHEDULING
from backend.domain.inbound import MAIL_PREFIX
from backend.observability import logger
from backend.services import inbound

PASS = "PASS"  # noqa: S105 - an SES verdict, not a secret


def ports(deps: Dependencies) -> inbound.Ports:
    assert deps.scheduler is not None
    assert deps.mailer is not None
    assert deps.texter is not None
    return inbound.Ports(
        users=deps.users,
        tasks=deps.tasks,
        memberships=deps.memberships,
        inbox=deps.notifications,
        scheduler=deps.scheduler,
        replies=deps.notifications,
        addresses=deps.task_addresses,
        texter=deps.texter,
        mailer=deps.mailer,
        attachments=deps.attachments,
        storage=deps.storage,
        limits=deps.notifications,
        attachment_limits=deps.settings.attachment_limits,
        domain=deps.settings.inbound_email_domain,
        quotas=deps.settings.quotas,
    )


@logger.inject_lambda_context(log_event=False)  # message bodies and phone numbers: never logged
def sms_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    deps.settings.require(*SCHEDULING, "email_sender", "inbound_email_domain")
    results = []
    for record in event.get("Records", []):
        try:
            message = json.loads(record["Sns"]["Message"])
            sender, body = str(message["originationNumber"]), str(message.get("messageBody", ""))
        except (KeyError, TypeError, ValueError):
            logger.warning("not an inbound SMS record")
            continue
        result = inbound.answer_sms(sender=sender, body=body, ports=ports(deps), now=deps.clock())
        logger.info("inbound sms", extra={"outcome": result.outcome, "task_id": result.task_id})
        results.append({"outcome": result.outcome, "task_id": result.task_id, "reply": result.detail})
    return {"results": results}


def _authentic(receipt: dict[str, Any]) -> bool:
    """SES vouches for the sender: SPF or DKIM passed, and no virus was found."""
    verdict = {name: str(receipt.get(name, {}).get("status", "")) for name in ("spfVerdict", "dkimVerdict")}
    virus = str(receipt.get("virusVerdict", {}).get("status", PASS))
    return PASS in verdict.values() and virus != "FAIL"


@logger.inject_lambda_context(log_event=False)
def email_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    deps.settings.require(*SCHEDULING, "email_sender", "inbound_email_domain")
    bucket = inbound_mail()
    results = []
    for record in event.get("Records", []):
        ses = record.get("ses", {})
        message_id = str(ses.get("mail", {}).get("messageId", ""))
        receipt = ses.get("receipt", {})
        key = MAIL_PREFIX + message_id
        stored = bucket.open(key) if message_id else None
        if stored is None:
            logger.warning("inbound mail not found in the bucket", extra={"message_id": message_id})
            continue
        try:
            raw = stored.body.read()
        finally:
            stored.body.close()
        result = inbound.receive_email(
            raw=raw,
            recipients=[str(r) for r in receipt.get("recipients", [])],
            authentic=_authentic(receipt),
            ports=ports(deps),
            now=deps.clock(),
        )
        bucket.delete(key)
        logger.info("inbound email", extra={"outcome": result.outcome, "task_id": result.task_id})
        results.append({"outcome": result.outcome, "task_id": result.task_id, "reply": result.detail})
    return {"results": results}
