"""The weekly summary email (opt-in: ``preferences.weekly_summary``), built from the aggregates only.

``weekly_summary`` is pure (figures -> subject, text, HTML); ``build_weekly_summary`` reads one user's aggregates.
Sending, exactly once, is the reminders Lambda's job (``services.notify.deliver_weekly``): a schedule per opted-in
user fires on Monday morning in their time zone (``domain.schedules.weekly_name``).
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from backend.adapters.ports import StatsStore
from backend.domain.notifications import Email
from backend.domain.stats import Report
from backend.domain.users import User
from backend.names import APP_DISPLAY_NAME
from backend.services.stats import get_stats


def weekly_summary(
    report: Report, *, to: str, name: str, top_project: str | None, app_url: str, unsubscribe_url: str
) -> Email:
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
        f"Stop these emails: {unsubscribe_url}",
    ]
    text = "\n".join(lines)
    items = "".join(f"<li>{escape(line[2:])}</li>" for line in lines if line.startswith("- "))
    html = (
        f"<p>Hi {escape(name)},</p><p>Your week in {APP_DISPLAY_NAME} ({escape(week)}):</p><ul>{items}</ul>"
        f'<p><a href="{escape(app_url.rstrip("/"))}/stats">See all your statistics</a></p>'
        f'<p><a href="{escape(unsubscribe_url)}">Stop these emails</a> (or turn them off in Settings).</p>'
    )
    subject = f"Your week: {report.completed} tasks completed"
    return Email(to=to, subject=subject, text=text, html=html, unsubscribe_url=unsubscribe_url)


def build_weekly_summary(
    user: User,
    *,
    stats: StatsStore,
    app_url: str,
    unsubscribe_url: str,
    now: datetime,
) -> Email:
    """The summary of the user's last 7 days, from the aggregates."""
    view = get_stats(store=stats, user=user, range_days=7, now=now)
    report = view.report
    top_project = view.project_names.get(next(iter(report.by_project))) if report.by_project else None
    return weekly_summary(
        report,
        to=user.email,
        name=user.display_name,
        top_project=top_project,
        app_url=app_url,
        unsubscribe_url=unsubscribe_url,
    )
