"""Comments' pure rules: the API's comment ids, and which members a body's @mentions name."""

import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from backend.domain.comments import (
    MAX_MENTIONS,
    Comment,
    MemberName,
    mention_handles,
    mentions_of_edit,
    parse_public_id,
    public_id,
    resolve_mentions,
)
from backend.errors import NotFoundError

ULID = "01HZX3V6Q9M8K2R4T7W0Y5B1CD"
ALICE = MemberName("sub-alice", "Alice Martin", "alice.m@example.com")
BOB = MemberName("sub-bob", "Bob", "robert@example.org")
ALINE = MemberName("sub-aline", "Aline", "aline@example.com")
ALICE2 = MemberName("sub-alice2", "Alice Kim", "ak@example.com")


def test_a_comment_id_names_its_task() -> None:
    comment_id = public_id("01TASK", ULID)
    assert comment_id == f"01TASK.{ULID}"
    assert parse_public_id(comment_id) == ("01TASK", ULID)


@pytest.mark.parametrize("forged", ["", "01TASK", f".{ULID}", "01TASK.short", f"a/b.{ULID}", f"01TASK.{ULID.lower()}"])
def test_a_malformed_comment_id_is_no_comment(forged: str) -> None:
    with pytest.raises(NotFoundError):
        parse_public_id(forged)


def test_handles_in_order_without_repeats_and_case_folded() -> None:
    assert mention_handles("@Bob and @alice.m, then @bob again.") == ["bob", "alice.m"]


def test_an_email_address_or_code_mentions_nobody() -> None:
    body = "write to bob@example.com\n`@bob` in code\n```\n@alice in a block\n```\n(@aline)"
    assert mention_handles(body) == ["aline"]


def test_a_handle_ends_on_a_letter_or_digit() -> None:
    assert mention_handles("thanks @bob. and @ann_b, @x-") == ["bob", "ann_b", "x"]


def test_a_handle_names_by_email_local_part_or_squeezed_display_name() -> None:
    members = [ALICE, BOB, ALINE]
    assert resolve_mentions(["robert"], members, author_id="x") == ("sub-bob",)
    assert resolve_mentions(["alicemartin"], members, author_id="x") == ("sub-alice",)
    assert resolve_mentions(["alice.m", "bob"], members, author_id="x") == ("sub-alice", "sub-bob")


def test_a_first_name_names_only_a_single_member() -> None:
    assert resolve_mentions(["alice"], [ALICE, BOB], author_id="x") == ("sub-alice",)
    # two Alices: mention neither rather than the wrong one
    assert resolve_mentions(["alice"], [ALICE, ALICE2, BOB], author_id="x") == ()


def test_the_author_and_strangers_are_not_mentioned() -> None:
    assert resolve_mentions(["bob", "nobody"], [ALICE, BOB], author_id="sub-bob") == ()


def test_mentions_are_capped() -> None:
    crowd = [MemberName(f"sub-{i}", f"Person{i}", f"p{i}@example.com") for i in range(MAX_MENTIONS + 5)]
    handles = [f"p{i}" for i in range(MAX_MENTIONS + 5)]
    assert len(resolve_mentions(handles, crowd, author_id="x")) == MAX_MENTIONS


def test_code_spans_follow_commonmark_runs() -> None:
    assert mention_handles("x `@no` ``@no ` still`` @yes ```open") == ["yes"]
    assert mention_handles("a\n```\n@no\n```\n@yes\n~~~~\n@no") == ["yes"]
    assert mention_handles("~~~\n@no\n```\n@still-no") == []  # a fence closes only with its own character


@pytest.mark.parametrize(
    "hostile",
    ["`" * 10_000, "`a" * 5_000, "```\n" * 2_500, "".join("`" * k + "@x" for k in range(1, 130)), "@a" + "." * 9_998],
)
def test_hostile_bodies_are_parsed_in_linear_time(hostile: str) -> None:
    # A backtracking regex took minutes on 10 000 backticks (a body anyone may post).
    started = time.perf_counter()
    mention_handles(hostile)
    assert time.perf_counter() - started < 1.0


def test_an_edit_notifies_only_members_never_told_of_the_comment() -> None:
    at = datetime(2026, 3, 1, tzinfo=UTC)
    made = Comment(ULID, "t1", "P#p", "sub-eddie", "hi @bob", at, mentions=("b",), notified=("b",))
    assert mentions_of_edit(made, ("b", "a")) == (("a",), ("b", "a"))  # a mention added by the edit: told once
    removed = replace(made, mentions=(), notified=("b", "a"))
    assert mentions_of_edit(removed, ("a", "b")) == ((), ("b", "a"))  # taken out and named again: not told twice
    legacy = replace(made, notified=())  # saved before ``notified`` was kept: its mentions were told
    assert mentions_of_edit(legacy, ("b",)) == ((), ("b",))
