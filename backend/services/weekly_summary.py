"""The weekly summary email (opt-in: ``preferences.weekly_summary``), built from the aggregates only.

``weekly_summary`` is pure (figures -> subject, text, HTML); ``send_weekly_summary`` reads one user's aggregates
and sends it. Scheduling (e.g. an EventBridge Scheduler entry per user, Monday 08:00 in their time zone, or a
weekly rule paging users) belongs to the notifications feature; it only has to call ``send_weekly_summary``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Protocol

from backend.adapters.ports import StatsStore, TaskStore, UserRepository
from backend.domain.stats import Report
from backend.names import APP_DISPLAY_NAME
from backend.services.stats import get_stats


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, text: str, html: str) -> str: ...


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def weekly_summary(report: Report, *, name: str, top_project: str | None, app_url: str) -> Email:
    """The email for one week of figures (pure)."""
    week = f"{report.start:%b %d} - {report.today:%b %d}"
    lines = [
        f"Hi {name},",
        "",
        f"Your week in {APP_DISPLAY_NAME} ({week}):",
        f"- {report.completed} tasks completed, {report.created} created",
    ]
    if report.on_time_rate is not None:
        lines.append(f"- {round(report.on_time_rate * 100)}% of tasks with a due date done on time")
    lines.append(
        f"- streak: {report.streaks.current} days (best {report.streaks.longest}), goal {report.streaks.goal}/day"
    )
    if report.overdue_now:
        lines.append(f"- {report.overdue_now} tasks overdue right now")
    if report.busiest_weekday is not None and report.busiest_hour is not None:
        lines.append(f"- busiest: {report.busiest_weekday}, around {report.busiest_hour:02d}:00")
    if top_project:
        lines.append(f"- most done in: {top_project}")
    lines += [
        "",
        f"See all your statistics: {app_url.rstrip('/')}/stats",
        "",
        "You can turn this email off in Settings.",
    ]
    text = "\n".join(lines)
    items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines if line.startswith("- "))
    html = (
        f"<p>Hi {escape(name)},</p><p>Your week in {APP_DISPLAY_NAME} ({escape(week)}):</p><ul>{items}</ul>"
        f'<p><a href="{escape(app_url.rstrip("/"))}/stats">See all your statistics</a></p>'
        "<p>You can turn this email off in Settings.</p>"
    )
    subject = f"Your week: {report.completed} tasks completed"
    return Email(subject=subject, text=text, html=html)


def send_weekly_summary(
    user_id: str,
    *,
    users: UserRepository,
    stats: StatsStore,
    tasks: TaskStore,
    mailer: Mailer,
    app_url: str,
    now: datetime,
) -> str | None:
    """Send the summary of the last 7 days if the user opted in; the message id, or None when not sent."""
    user = users.get(user_id)
    if user is None or not user.preferences.weekly_summary:
        return None
    report = get_stats(store=stats, users=users, user_id=user_id, range_days=7, now=now).report
    top_project = None
    if report.by_project:
        top_id = next(iter(report.by_project))
        top_project = next((p.name for p in tasks.list_projects(user_id) if p.id == top_id), None)
    email = weekly_summary(report, name=user.display_name, top_project=top_project, app_url=app_url)
    return mailer.send(to=user.email, subject=email.subject, text=email.text, html=email.html)
