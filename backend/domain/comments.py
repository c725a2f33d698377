"""Comments on tasks and the @mentions in them (issue 13). Pure.

A comment lives in its task's partition (the owner's sub for a personal task, ``P#<project>`` for a shared one) as
``C#<task id>#<ulid>``; the API names it ``<task id>.<ulid>``, so PATCH and DELETE find it with no pointer item and a
forged id still has to pass access to the task it names.

The body is markdown, stored exactly as typed; rendering it safely is the UI's job. ``@name`` mentions a member by
their display name (spaces left out, or its first word when only one member has it) or by the part of their email
address before the ``@``, case-insensitively; mentions inside code (`` `...` `` or fenced blocks) are not mentions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from backend.errors import NotFoundError

MAX_BODY = 10_000
MAX_MENTIONS = 20  # members notified by one comment: a comment naming the whole project is not a newsletter
_SEPARATOR = "."
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_TASK_ID = re.compile(r"^[0-9A-Za-z_-]{1,40}$")
# ``@`` at the start or after a character that cannot end an address (so ``bob@example.com`` mentions nobody); the
# handle ends on a letter or digit (``@bob.`` at a sentence's end is ``bob``).
_MENTION = re.compile(r"(?<![\w@.+-])@([\w][\w.+-]*[\w]|[\w])", re.UNICODE)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BACKTICKS = re.compile(r"`+")


@dataclass(frozen=True)
class Comment:
    id: str  # the ULID part (creation order)
    task_id: str
    partition: str  # where the task is: the owner's sub or P#<project>
    author_id: str
    body: str
    created_at: datetime
    edited_at: datetime | None = None
    mentions: tuple[str, ...] = ()  # subs of the members mentioned, as resolved when saved
    version: int = 0
    # The partition whose log has this comment's "commented" row ``L#<id>`` (its words), None if none was written
    # (a personal project's comment): edits rewrite that row's words and a deletion removes them.
    logged_in: str | None = None
    # Every member ever told of this comment (mentioned when it was made or by an edit): a mention notifies once per
    # comment and member, whatever the edits do with it afterwards.
    notified: tuple[str, ...] = ()

    @property
    def public_id(self) -> str:
        return public_id(self.task_id, self.id)


def mentions_of_edit(previous: Comment, mentions: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """An edit that mentions ``mentions``: (whom to notify now, everyone told of the comment after it). Only a member
    never told of this comment is notified: one named again after a mention was taken out, or named once more, is
    not (they know of it, and toggling a mention must not ping them, nor send another email)."""
    told = previous.notified or previous.mentions  # (saved before ``notified`` was kept: its mentions were told)
    new = tuple(member for member in mentions if member not in told)
    return new, (*told, *new)


def public_id(task_id: str, comment_ulid: str) -> str:
    return f"{task_id}{_SEPARATOR}{comment_ulid}"


def parse_public_id(comment_id: str) -> tuple[str, str]:
    """``<task id>.<ulid>`` -> (task id, ulid); anything else is no comment (404, like an id that was never made)."""
    task_id, sep, ulid = comment_id.rpartition(_SEPARATOR)
    if not sep or not _TASK_ID.match(task_id) or not _ULID.match(ulid):
        raise NotFoundError("There is no such comment.", fields={"comment_id": "does not exist"})
    return task_id, ulid


# --- mentions ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MemberName:
    """What a mention can match of a member."""

    user_id: str
    display_name: str
    email: str


def _without_fenced_blocks(body: str) -> str:
    """The lines outside fenced code blocks (CommonMark: a fence closes with the same character, at least as many;
    an unclosed one runs to the end). One pass over the lines: no backtracking on hostile input."""
    kept: list[str] = []
    fence: str | None = None
    for line in body.split("\n"):
        opened = _FENCE.match(line)
        if fence is None:
            if opened:
                fence = opened.group(1)
            else:
                kept.append(line)
        elif opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
            fence = None
    return "\n".join(kept)


def _without_code_spans(text: str) -> str:
    """``text`` without its inline code spans: a run of backticks opens one, closed by the next run of the same
    length (CommonMark); a run never closed is plain text. Linear: each run is looked at once."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    cursors = dict.fromkeys(by_length, 0)
    pieces: list[str] = []
    copied = index = 0
    while index < len(runs):
        start, end = runs[index]
        same = by_length[end - start]
        at = cursors[end - start]
        while at < len(same) and same[at] <= index:
            at += 1
        cursors[end - start] = at
        if at == len(same):  # never closed: plain backticks
            index += 1
            continue
        closer = same[at]
        pieces.append(text[copied:start] + " ")
        copied = runs[closer][1]
        index = closer + 1
    pieces.append(text[copied:])
    return "".join(pieces)


def mention_handles(body: str) -> list[str]:
    """The distinct ``@handles`` of a body, case-folded, in order of appearance; code spans and blocks skipped."""
    text = _without_code_spans(_without_fenced_blocks(body))
    seen: dict[str, None] = {}
    for match in _MENTION.finditer(text):
        seen.setdefault(match.group(1).casefold(), None)
    return list(seen)


def _squeezed(name: str) -> str:
    return "".join(name.split()).casefold()


def resolve_mentions(handles: Iterable[str], members: Iterable[MemberName], *, author_id: str) -> tuple[str, ...]:
    """The members the handles name, in the handles' order, without the author and at most ``MAX_MENTIONS``.

    A handle names a member when it is their email's local part or their display name without spaces; failing
    that, their display name's first word, if only one member's starts so (``@alice`` with two Alices mentions
    nobody rather than the wrong one)."""
    people = list(members)
    exact: dict[str, set[str]] = {}
    first: dict[str, set[str]] = {}
    for member in people:
        local = member.email.split("@", 1)[0].casefold()
        for key in {local, _squeezed(member.display_name)} - {""}:
            exact.setdefault(key, set()).add(member.user_id)
        words = member.display_name.split()
        if words:
            first.setdefault(words[0].casefold(), set()).add(member.user_id)
    found: dict[str, None] = {}
    for handle in handles:
        named = exact.get(handle) or (first.get(handle) if len(first.get(handle, ())) == 1 else None) or set()
        for user_id in sorted(named):
            if user_id != author_id:
                found.setdefault(user_id, None)
    return tuple(found)[:MAX_MENTIONS]
