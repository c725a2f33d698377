"""The emails, as HTML + plain text templates (``string.Template``; every value is HTML-escaped in the HTML part)."""

from __future__ import annotations

from html import escape
from string import Template

from backend.domain.notifications import one_line
from backend.names import APP_DISPLAY_NAME

_LAYOUT = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>$subject</title></head>
<body style="margin:0;padding:24px;background:#f6f6f6;font-family:-apple-system,Segoe UI,Roboto,sans-serif;
color:#1a1a1a">
<div style="max-width:560px;margin:0 auto;background:#ffffff;border-radius:8px;padding:24px">
<p style="margin:0 0 16px;font-size:13px;color:#666">$app</p>
$content
<hr style="border:none;border-top:1px solid #eee;margin:24px 0 12px">
<p style="font-size:12px;color:#888;margin:0">$footer</p>
</div></body></html>""")


def _page(subject: str, content: str, why: str, unsubscribe_url: str | None = None) -> str:
    """An email's HTML: the layout around ``content`` (already escaped), with why it was sent and, for what the
    user subscribed to, the unsubscribe link."""
    footer = escape(why)
    if unsubscribe_url is not None:
        footer += f' <a href="{escape(unsubscribe_url)}" style="color:#888">Unsubscribe</a>'
    return _LAYOUT.substitute(subject=escape(subject), app=APP_DISPLAY_NAME, content=content, footer=footer)


_REMINDER_HTML = Template("""<h1 style="font-size:20px;margin:0 0 8px">$title</h1>
<p style="margin:0 0 20px;color:#444">$when</p>
<p style="margin:0">
<a href="$complete" style="display:inline-block;background:#2f6fed;color:#fff;text-decoration:none;
padding:10px 16px;border-radius:6px">Mark as done</a>
&nbsp; <a href="$open" style="color:#2f6fed">Open in $app</a></p>""")

_REMINDER_TEXT = Template("""Reminder: $title
$when

Mark as done: $complete
Open in $app: $open

--
$why
Unsubscribe: $unsubscribe
""")

_DIGEST_HTML = Template("""<h1 style="font-size:20px;margin:0 0 16px">Your day: $count task$plural</h1>
<ul style="padding-left:20px;margin:0 0 16px">$items</ul>
<p style="margin:0"><a href="$open" style="color:#2f6fed">Open $app</a></p>""")

_DIGEST_TEXT = Template("""Your day: $count task$plural

$items

Open $app: $open

--
$why
Unsubscribe: $unsubscribe
""")


def reminder_email(
    *, title: str, when: str, complete_url: str, open_url: str, unsubscribe_url: str
) -> tuple[str, str, str]:
    """(subject, text, html)."""
    subject = f"Reminder: {one_line(title)}"[:200]
    why = "You get this because email reminders are on in your settings."
    text = _REMINDER_TEXT.substitute(
        title=title, when=when, complete=complete_url, open=open_url, app=APP_DISPLAY_NAME, why=why,
        unsubscribe=unsubscribe_url,
    )  # fmt: skip
    content = _REMINDER_HTML.substitute(
        title=escape(title), when=escape(when), complete=escape(complete_url), open=escape(open_url),
        app=APP_DISPLAY_NAME,
    )  # fmt: skip
    html = _page(subject, content, why, unsubscribe_url)
    return subject, text, html


def digest_email(*, lines: list[tuple[str, str]], open_url: str, unsubscribe_url: str) -> tuple[str, str, str]:
    """``lines``: (title, when) per task due today or overdue."""
    count, plural = len(lines), "" if len(lines) == 1 else "s"
    subject = f"Today: {count} task{plural} due"
    why = "You get this daily digest because it is on in your settings."
    text_items = "\n".join(f"- {title} ({when})" for title, when in lines)
    html_items = "".join(
        f'<li style="margin:0 0 6px">{escape(title)} <span style="color:#888">({escape(when)})</span></li>'
        for title, when in lines
    )
    text = _DIGEST_TEXT.substitute(
        count=count, plural=plural, items=text_items, open=open_url, app=APP_DISPLAY_NAME, why=why,
        unsubscribe=unsubscribe_url,
    )  # fmt: skip
    content = _DIGEST_HTML.substitute(
        count=count, plural=plural, items=html_items, open=escape(open_url), app=APP_DISPLAY_NAME
    )
    html = _page(subject, content, why, unsubscribe_url)
    return subject, text, html


_MENTION_HTML = Template("""<h1 style="font-size:20px;margin:0 0 12px">$headline</h1>
<blockquote style="margin:0 0 20px;padding:8px 12px;border-left:3px solid #ddd;color:#444;
white-space:pre-wrap">$excerpt</blockquote>
<p style="margin:0"><a href="$open" style="color:#2f6fed">Open in $app</a></p>""")

_MENTION_TEXT = Template("""$headline

$excerpt

Open in $app: $open

--
$why
Unsubscribe: $unsubscribe
""")


def mention_email(*, headline: str, excerpt: str, open_url: str, unsubscribe_url: str) -> tuple[str, str, str]:
    """An @mention in a comment. ``excerpt``: the comment's markdown as typed, shown as plain text (escaped)."""
    subject = one_line(headline)[:200]
    why = "You get this because someone mentioned you and email notifications are on in your settings."
    text = _MENTION_TEXT.substitute(
        headline=subject, excerpt=excerpt, open=open_url, app=APP_DISPLAY_NAME, why=why, unsubscribe=unsubscribe_url
    )
    content = _MENTION_HTML.substitute(
        headline=escape(subject), excerpt=escape(excerpt), open=escape(open_url), app=APP_DISPLAY_NAME
    )
    html = _page(subject, content, why, unsubscribe_url)
    return subject, text, html


_INVITATION_HTML = Template("""<h1 style="font-size:20px;margin:0 0 8px">$inviter invited you to $project</h1>
<p style="margin:0 0 20px;color:#444">You would join as $role.</p>
<p style="margin:0"><a href="$accept" style="display:inline-block;background:#2f6fed;color:#fff;text-decoration:none;
padding:10px 16px;border-radius:6px">See the invitation</a></p>""")

_INVITATION_TEXT = Template("""$inviter invited you to $project in $app.
You would join as $role.

See the invitation: $accept

--
$why
""")


def invitation_email(*, inviter: str, project: str, role: str, accept_url: str) -> tuple[str, str, str]:
    """(subject, text, html) of an invitation to a shared project."""
    subject = f"{one_line(inviter)} invited you to {one_line(project)}"[:200]
    why = (
        "You get this because someone invited this address. Sign in or sign up with it to accept or decline; "
        "ignore it and nothing happens."
    )
    values = {"inviter": inviter, "project": project, "role": role, "accept": accept_url, "why": why}
    text = _INVITATION_TEXT.substitute(app=APP_DISPLAY_NAME, **values)
    html = _page(subject, _INVITATION_HTML.substitute({name: escape(value) for name, value in values.items()}), why)
    return subject, text, html
