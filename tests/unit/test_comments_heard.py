"""How the open panel applies a comment heard live (taskmanager_pro.state.comments.heard): in place, in creation
order, never over this tab's own write on its way, never going back to an older version."""

from __future__ import annotations

from backend.client.api import CommentPublic
from taskmanager_pro.state.comments import PENDING, heard

T = "01JTASK"


def c(ulid: str, body: str = "hi", *, author: str = "bob", version: int = 1) -> CommentPublic:
    return CommentPublic(id=f"{T}.{ulid}", task_id=T, author_id=author, body=body, version=version)


def ids(comments: list[CommentPublic] | None) -> list[str]:
    assert comments is not None
    return [x.id.rsplit(".", 1)[-1] for x in comments]


def test_a_new_comment_takes_its_place_and_an_edit_replaces_the_shown_one() -> None:
    sending = CommentPublic(id=f"{PENDING}x", task_id=T, author_id="me", body="on its way")
    shown = [c("A"), c("C"), sending]
    after = heard(shown, f"{T}.B", c("B"), pending={f"{PENDING}x"}, me="me")
    assert [x.id for x in after or []] == [f"{T}.A", f"{T}.B", f"{T}.C", f"{PENDING}x"]  # our send stays last
    edited = heard([c("A"), c("B")], f"{T}.B", c("B", "hi, edited", version=2), pending=set(), me="me")
    assert edited is not None
    assert [(x.body, x.version) for x in edited] == [("hi", 1), ("hi, edited", 2)]


def test_a_delete_removes_it_and_a_delete_of_nothing_shown_changes_nothing() -> None:
    assert ids(heard([c("A"), c("B")], f"{T}.A", None, pending=set(), me="me")) == ["B"]
    assert heard([c("B")], f"{T}.A", None, pending=set(), me="me") is None


def test_stale_changes_and_our_own_writes_on_their_way_are_left_to_the_answer() -> None:
    newer = [c("A", "new", version=3)]
    assert heard(newer, f"{T}.A", c("A", "old", version=2), pending=set(), me="me") is None  # older than shown
    assert heard(newer, f"{T}.A", c("A", "x", version=4), pending={f"{T}.A"}, me="me") is None  # our edit in flight
    assert heard(newer, f"{T}.A", None, pending={f"{T}.A"}, me="me") is None
    ours = heard(newer, f"{T}.B", c("B", author="me"), pending={f"{PENDING}x"}, me="me")
    assert ours is None  # our own send, heard before its answer: the answer replaces the pending copy
    assert ids(heard(newer, f"{T}.B", c("B", author="me"), pending=set(), me="me")) == ["A", "B"]  # another tab's
