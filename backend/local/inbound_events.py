"""The events AWS delivers for incoming SMS and mail (issue 16), built for the local hooks ``/api/local/inbound/*``.

In AWS a reply to a reminder SMS reaches the inbound Lambda through two-way SMS → SNS, and mail through SES's receipt
rule (stored in the inbound bucket, then the Lambda invoked with the SES event). Locally the hooks build those same
events and invoke the same handler functions (backend/handlers/inbound.py).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from backend.bootstrap import inbound_mail
from backend.domain.inbound import MAIL_PREFIX, MAX_MESSAGE_BYTES, address_of, recipients
from backend.local.environment import LOCAL_REGION
from backend.local.lambda_runtime import invoke
from backend.services.inbound import parse_message

LOCAL_NUMBER = "+15550100000"  # the number reminders come from locally


class InboundSms(BaseModel):
    """``POST /api/local/inbound/sms``: ``{"from": "+1…", "body": "…"}``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    sender: Annotated[str, Field(alias="from", pattern=r"^\+[1-9]\d{6,14}$")]
    body: Annotated[str, Field(max_length=1600)]


def sns_sms_event(sender: str, body: str) -> dict[str, Any]:
    """What SNS hands the Lambda for one incoming SMS (two-way SMS publishes this JSON message)."""
    message = {
        "originationNumber": sender,
        "destinationNumber": LOCAL_NUMBER,
        "messageKeyword": "KEYWORD_LOCAL",
        "messageBody": body,
        "inboundMessageId": str(uuid.uuid4()),
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": str(uuid.uuid4()),
                    "TopicArn": f"arn:aws:sns:{LOCAL_REGION}:123456789012:local-inbound-sms",
                    "Message": json.dumps(message),
                    "Timestamp": datetime.now(UTC).isoformat(),
                },
            }
        ]
    }


def ses_receipt_event(message_id: str, *, sender: str, recipients: list[str]) -> dict[str, Any]:
    """What SES's receipt rule hands the Lambda after storing the message (locally SPF and DKIM pass: the mail is
    typed on this machine)."""
    passed = {"status": "PASS"}
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {
                    "mail": {
                        "timestamp": datetime.now(UTC).isoformat(),
                        "source": sender,
                        "messageId": message_id,
                        "destination": recipients,
                    },
                    "receipt": {
                        "recipients": recipients,
                        "spfVerdict": passed,
                        "dkimVerdict": passed,
                        "spamVerdict": passed,
                        "virusVerdict": passed,
                        "action": {"type": "Lambda", "invocationType": "Event"},
                    },
                },
            }
        ]
    }


# --- the local hooks (mounted by backend/local/asgi.py behind its local-only guard) ----------------------------------
def _unfit(message: str, fields: dict[str, str]) -> JSONResponse:
    return JSONResponse({"error": {"code": "validation_error", "message": message, "fields": fields}}, 422)


def _first_result(answer: dict[str, Any]) -> JSONResponse:
    results = answer.get("results") or [{"outcome": "ignored", "task_id": None, "reply": ""}]
    return JSONResponse(results[0])


async def inbound_sms(request: Request) -> Response:
    """``POST /api/local/inbound/sms``: an SMS to the app's number, delivered as two-way SMS → SNS would."""
    from backend.handlers import inbound as handler  # reads its settings at import, after the local environment

    try:
        sms = InboundSms.model_validate_json(await request.body())
    except ValidationError as exc:
        return _unfit("The SMS is not valid.", {".".join(map(str, e["loc"])) or "body": e["msg"] for e in exc.errors()})
    event = sns_sms_event(sms.sender, sms.body)
    return _first_result(await run_in_threadpool(invoke, handler.sms_handler, event, "inbound"))


async def inbound_email(request: Request) -> Response:
    """``POST /api/local/inbound/email``: a raw RFC 5322 message, stored and handed over as SES's receipt rule does;
    its envelope recipients are its To and Cc."""
    from backend.handlers import inbound as handler

    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "message/rfc822":
        return _unfit("Send the raw message as message/rfc822.", {"Content-Type": "must be message/rfc822"})
    raw = await request.body()
    if len(raw) > MAX_MESSAGE_BYTES:
        body = {"error": {"code": "too_large", "message": "A message may be at most 10 MB.", "fields": {}}}
        return JSONResponse(body, 413)
    message = parse_message(raw)
    sender = address_of(str(message.get("From", "")))
    to = recipients([str(value) for name in ("To", "Cc") for value in message.get_all(name, [])])
    if not sender or not to:
        return _unfit("The message needs a From and a To.", {"body": "needs From and To headers"})
    message_id = uuid.uuid4().hex
    await run_in_threadpool(inbound_mail().put, key=MAIL_PREFIX + message_id, data=raw, content_type="message/rfc822")
    event = ses_receipt_event(message_id, sender=sender, recipients=to)
    return _first_result(await run_in_threadpool(invoke, handler.email_handler, event, "inbound"))
