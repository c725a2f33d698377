"""What comes in by SMS and email (issue 16): answers to a reminder, and mail to a user's secret task address.
No HTTP, no boto3.

Answers: the task is the one of the last reminder sent to that number / address (``ReplyTarget``, remembered when the
reminder went out). The answer counts only from the account's verified number (SMS) or its own address (email, and
only when SES found the mail authentic: SPF or DKIM passed); from anywhere else it is ignored without a word (a
stranger learns nothing, and we text nobody who did not ask). A counted answer is acknowledged on the same channel;
one we cannot read gets the help text.

Task address: the secret address is the credential (whoever knows it can add to the owner's Inbox, nothing more).
The subject goes through quick add (``Pay invoice friday p1 #Work``), the plain-text body becomes the notes, each
attached file goes through the attachment checks of an upload (staged, then checked by the processor).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Literal

from backend.adapters.ports import (
    AttachmentStore,
    InboxStore,
    LimitStore,
    Mailer,
    MembershipStore,
    ObjectStorage,
    ReplyTargets,
    Schedules,
    TaskAddresses,
    TaskStore,
    Texter,
    UserRepository,
)
from backend.domain import inbound as domain
from backend.domain.attachments import Limits
from backend.domain.inbound import Answer, Done, ReplyTarget, Snooze
from backend.domain.notifications import Email, Notification, SendFailedError
from backend.domain.quotas import DEFAULT_QUOTAS, Quotas
from backend.domain.rate_limits import LimitKey
from backend.domain.tasks import Task
from backend.domain.users import User
from backend.errors import ConflictError, DomainError
from backend.observability import logger
from backend.services import attachments, inbox, tasks
from backend.services.notification_settings import date_order_of, zone_of
from backend.services.rate_limits import Limit, take
from backend.services.tasks import Who, clock_of

Outcome = Literal["done", "snoozed", "help", "ignored", "created", "nothing"]
SMS, EMAIL = "sms", "email"


@dataclass(frozen=True)
class Ports:
    users: UserRepository
    tasks: TaskStore
    memberships: MembershipStore
    inbox: InboxStore
    scheduler: Schedules
    replies: ReplyTargets
    addresses: TaskAddresses
    texter: Texter
    mailer: Mailer
    attachments: AttachmentStore
    storage: ObjectStorage
    limits: LimitStore
    attachment_limits: Limits
    domain: str  # the inbound mail domain (task addresses, the reply address)
    quotas: Quotas = DEFAULT_QUOTAS


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    task_id: str | None = None
    detail: str = ""


# --- the secret task address ---------------------------------------------------------------------------------
def task_address(*, addresses: TaskAddresses, user_id: str, mail_domain: str, now: datetime) -> str:
    """The user's address, made on first use."""
    secret = addresses.current(user_id)
    if secret is None:
        secret = domain.new_secret()
        if not addresses.replace(user_id, secret, now=now, previous=None):
            secret = addresses.current(user_id)  # a concurrent first request made one
            if secret is None:
                raise ConflictError("The task address was changed meanwhile; try again.")
    return domain.task_address(secret, mail_domain)


def new_task_address(*, addresses: TaskAddresses, user_id: str, mail_domain: str, now: datetime) -> str:
    """A new address; mail to the previous one is ignored from now on."""
    secret = domain.new_secret()
    if not addresses.replace(user_id, secret, now=now, previous=addresses.current(user_id)):
        raise ConflictError("The task address was changed meanwhile; try again.")
    return domain.task_address(secret, mail_domain)


# --- remembering where reminders went (called by the reminders Lambda) -----------------------------------------
def remember(replies: ReplyTargets, note: Notification, *, user: User, partition: str, now: datetime) -> None:
    """After a reminder's sends: an answer from the number / address it reached applies to its task."""
    if note.task_id is None:
        return
    target = ReplyTarget(
        user_id=user.id, partition=partition, task_id=note.task_id, notification_id=note.id, sent_at=now
    )
    sent = {channel for channel, delivery in note.deliveries.items() if delivery.status == "sent"}
    if SMS in sent and user.preferences.sms_phone:
        replies.remember_reply(domain.reply_key(SMS, user.preferences.sms_phone), target)
    if EMAIL in sent:
        replies.remember_reply(domain.reply_key(EMAIL, user.email), target)


# --- answers ----------------------------------------------------------------------------------------------------
def _apply(answer: Answer, target: ReplyTarget, user: User, ports: Ports, now: datetime) -> tuple[Outcome, str]:
    """(outcome, the acknowledgement's text)."""
    tz = zone_of(user)
    who = Who(user=user, memberships=ports.memberships)
    try:
        task = tasks.get_task(store=ports.tasks, user_id=user.id, task_id=target.task_id, who=who)
        if isinstance(answer, Done):
            task = tasks.complete_task(
                store=ports.tasks, user_id=user.id, task_id=task.id, clock=clock_of(user, now), who=who
            )
            return "done", domain.acknowledgement(answer, task.title, tz=tz)
        if isinstance(answer, Snooze):
            inbox.snooze_to(
                inbox=ports.inbox,
                store=ports.tasks,
                scheduler=ports.scheduler,
                user_id=user.id,
                notification_id=target.notification_id,
                until=answer.until,
                partition=task.user_id,
            )
            return "snoozed", domain.acknowledgement(answer, task.title, tz=tz)
    except DomainError as exc:  # gone, done meanwhile, no longer a member: say so, change nothing
        return "help", f"{exc.message} {domain.HELP}"
    return "help", domain.HELP


def _answerer(channel: str, sender: str, ports: Ports, now: datetime) -> tuple[ReplyTarget, User] | None:
    """The reminder the sender answers and its user, when the sender is that user's verified number / address."""
    target = ports.replies.reply_target(domain.reply_key(channel, sender), now=now)
    user = ports.users.get(target.user_id) if target is not None else None
    if target is None or user is None or user.deleted_at is not None:
        return None
    p = user.preferences
    if channel == SMS and not (p.sms_verified and p.sms_phone == sender):
        return None
    if channel == EMAIL and user.email.lower() != sender.lower():
        return None
    return target, user


def answer_sms(*, sender: str, body: str, ports: Ports, now: datetime) -> Result:
    found = _answerer(SMS, sender, ports, now)
    if found is None:
        logger.info("inbound sms ignored: not an answer from a verified number")
        return Result("ignored")
    target, user = found
    outcome, text = _apply(domain.parse_answer(body, now=now, tz=zone_of(user)), target, user, ports, now)
    _send_quietly(lambda: ports.texter.send(sender, text))
    return Result(outcome, target.task_id, text)


def _send_quietly(send: Callable[[], object]) -> None:
    """An acknowledgement that fails is logged; the answer was applied all the same."""
    try:
        send()
    except SendFailedError as failure:
        logger.warning("acknowledgement not sent", extra={"detail": failure.detail})


def _reply_email(to: str, subject: str, text: str) -> Email:
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    return Email(to=to, subject=subject[:200], text=text, html=f"<p>{html.escape(text)}</p>")


# --- email --------------------------------------------------------------------------------------------------------
def parse_message(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    if body is None:
        return ""
    try:
        return str(body.get_content())  # type: ignore[attr-defined]
    except (LookupError, ValueError):  # an unknown charset: nothing readable
        return ""


def receive_email(*, raw: bytes, recipients: list[str], authentic: bool, ports: Ports, now: datetime) -> Result:
    """One message SES received for ``recipients`` (its envelope's, at our domain)."""
    message = parse_message(raw)
    sender = domain.address_of(str(message.get("From", "")))
    for recipient in recipients:
        secret = domain.secret_of(recipient, ports.domain)
        if secret is not None:
            return _to_task(message, secret, ports, now)
    if domain.reply_address(ports.domain) in (r.lower() for r in recipients):
        return _answer_email(message, sender, authentic, ports, now)
    logger.info("inbound email ignored: no address of ours")
    return Result("ignored")


def _answer_email(message: EmailMessage, sender: str, authentic: bool, ports: Ports, now: datetime) -> Result:
    found = _answerer(EMAIL, sender, ports, now) if authentic and sender else None
    if found is None:
        logger.info("inbound email ignored: not an authentic answer from the account's address")
        return Result("ignored")
    target, user = found
    answer = domain.parse_answer(_plain_text(message), now=now, tz=zone_of(user))
    outcome, text = _apply(answer, target, user, ports, now)
    subject = str(message.get("Subject", "")) or "Your reminder"
    _send_quietly(lambda: ports.mailer.send(_reply_email(user.email, subject, text)))
    return Result(outcome, target.task_id, text)


def _to_task(message: EmailMessage, secret: str, ports: Ports, now: datetime) -> Result:
    owner = ports.addresses.owner_of(secret)
    # The owner's row must still name this secret: "delete my data" and account deletion erase the user's partition
    # but not the pointer, which must not keep a retired address alive.
    user = ports.users.get(owner) if owner is not None and ports.addresses.current(owner) == secret else None
    if user is None or user.deleted_at is not None:
        logger.info("inbound email ignored: unknown or retired task address")
        return Result("ignored")
    refused = take(ports.limits, [Limit(LimitKey("user", user.id, "task-email"), domain.TASKS_BY_EMAIL)], now=now)
    if refused is not None:
        logger.warning("email to task over its limit", extra={"wait_s": math.ceil(refused.wait.total_seconds())})
        return Result("ignored", detail="over the limit")
    clock = clock_of(user, now)
    subject = str(message.get("Subject", "")).strip() or "Email"
    who = Who(user=user, memberships=ports.memberships)
    parsed = tasks.parse_quick_add(
        store=ports.tasks, user_id=user.id, text=subject, clock=clock, who=who, date_order=date_order_of(user)
    )
    data = parsed.task.model_copy(update={"notes": domain.task_notes(_plain_text(message))})
    task = tasks.create_task(store=ports.tasks, user_id=user.id, data=data, now=now, quotas=ports.quotas, who=who)
    _attach_files(message, task, ports, now)
    return Result("created", task.id)


def _attach_files(message: EmailMessage, task: Task, ports: Ports, now: datetime) -> None:
    """Each file as if uploaded: the same request checks (type, size, quota, count), staged, then the processor
    checks the bytes and makes it ready or rejected. A file refused up front is left out (logged)."""
    for part in message.iter_attachments():
        if not isinstance(part, EmailMessage):
            continue
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            continue
        try:
            upload = attachments.request_upload(
                store=ports.attachments,
                tasks=ports.tasks,
                storage=ports.storage,
                user_id=task.user_id,
                task_id=task.id,
                name=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                size=len(data),
                limits=ports.attachment_limits,
                now=now,
            )
        except DomainError as exc:
            logger.info("email attachment refused", extra={"reason": exc.message})
            continue
        ports.storage.put(key=upload.attachment.staging_key, data=data, content_type=upload.attachment.declared_type)
