"""The reminders Lambda: the target of every schedule in the reminders group (see ``backend.domain.schedules``).

The payload's ``kind`` picks the use case: ``reminder`` (one reminder occurrence, a snooze or a delivery moved
past quiet hours), ``digest`` (a user's daily digest), ``weekly`` (the opt-in weekly summary, sent on Mondays) or
``mention`` (the email of an @mention in a comment).
Returns what happened, for logs and the local runtime.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from backend.bootstrap import Dependencies, aggregates_store, dependencies
from backend.config import MESSAGING, SCHEDULING
from backend.domain.inbound import reply_address
from backend.domain.signing_keys import LINKS
from backend.observability import logger, metrics
from backend.services import notify
from backend.services import reminders as reminder_service

SENT = {"sent", "partial"}
FAILED = {"failed", "partial"}


def ports(deps: Dependencies) -> notify.Ports:
    assert deps.scheduler is not None
    assert deps.mailer is not None
    assert deps.texter is not None
    settings = deps.settings
    return notify.Ports(
        store=deps.tasks,
        users=deps.users,
        reminders=deps.notifications,
        inbox=deps.notifications,
        scheduler=deps.scheduler,
        mailer=deps.mailer,
        texter=deps.texter,
        links=notify.LinkConfig(
            key=deps.signing_keys().signing_key(LINKS),
            api_url=settings.public_api_url,
            app_url=settings.app_url,
            reply_to=reply_address(settings.inbound_email_domain),
        ),
        stats=aggregates_store(),
        replies=deps.notifications,
    )


def reconcile(deps: Dependencies) -> dict[str, Any]:
    """Tasks whose schedules a Scheduler outage left behind get them now (issue 15)."""
    assert deps.scheduler is not None
    assert deps.reminder_backlog is not None
    memberships = deps.memberships
    done = reminder_service.reconcile(
        backlog=deps.reminder_backlog,
        store=deps.tasks,
        reminders=deps.notifications,
        scheduler=deps.scheduler,
        users=deps.users,
        now=deps.clock(),
        members=lambda project_id: [member.user_id for member in memberships.list_members(project_id)],
    )
    if done.planned or done.left:
        logger.info("reminder backlog", extra={"planned": done.planned, "left": done.left})
        metrics.add_metric(name="RemindersReplanned", unit=MetricUnit.Count, value=done.planned)
    return {"status": "reconciled", "planned": done.planned, "left": done.left}


@logger.inject_lambda_context(log_event=False)  # the payload names users and tasks: ids only are logged below
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = dependencies()
    # Outside the local stage: fails (naming the variable) if the stack did not pass what this function uses.
    deps.settings.require(*SCHEDULING, *MESSAGING)
    kind = event.get("kind")
    if kind == "reconcile":  # every few minutes (an EventBridge rule; locally a timer): see reconcile()
        return reconcile(deps)
    if kind == "reminder":
        outcome = notify.deliver_reminder(event, ports=ports(deps), now=deps.clock())
    elif kind == "digest":
        outcome = notify.deliver_digest(event, ports=ports(deps), now=deps.clock())
    elif kind == "weekly":
        outcome = notify.deliver_weekly(event, ports=ports(deps), now=deps.clock())
    elif kind == "mention":
        outcome = notify.deliver_mention(event, ports=ports(deps), now=deps.clock())
    else:
        logger.warning("unknown schedule payload", extra={"kind": kind})
        return {"status": "ignored"}
    metrics.add_dimension(name="kind", value=str(kind))
    if outcome in SENT:
        metrics.add_metric(name="RemindersSent", unit=MetricUnit.Count, value=1)
    if outcome in FAILED:
        metrics.add_metric(name="RemindersFailed", unit=MetricUnit.Count, value=1)
    logger.info("schedule fired", extra={"kind": kind, "outcome": outcome, "task_id": event.get("task_id")})
    return {"status": outcome}
