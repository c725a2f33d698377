"""The shared-project policy (issue 13): every action by every kind of caller, then the membership changes.

The project of these tests: Olga owns it; Adam is an admin, Eddie an editor, Vera a viewer, Tess an editor the
member actions aim at; Rita was an editor and has been removed; Sam never was a member.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from backend.domain.sharing import (
    Action,
    Decision,
    Role,
    Roster,
    assignable,
    authorize,
    decide,
    normalize_email,
)
from backend.errors import DomainError, ForbiddenError, InvalidInputError, NotFoundError

A, F, N = Decision.ALLOWED, Decision.FORBIDDEN, Decision.NOT_FOUND
CALLERS = ("owner", "admin", "editor", "viewer", "removed", "stranger")
USER = {"owner": "olga", "admin": "adam", "editor": "eddie", "viewer": "vera", "removed": "rita", "stranger": "sam"}


def project() -> Roster:
    """Built through the transitions themselves, so "removed" is a member who really was removed."""
    roster = Roster.of("olga")
    for user, role in (("adam", Role.ADMIN), ("eddie", Role.EDITOR), ("vera", Role.VIEWER), ("tess", Role.EDITOR)):
        roster = roster.add("olga", user, role)
    return roster.add("adam", "rita", Role.EDITOR).remove("adam", "rita")


# fmt: off
MATRIX: dict[Action, tuple[Decision, ...]] = {
    #                              owner admin editor viewer removed stranger
    Action.READ:                  (A,    A,    A,     A,     N,      N),
    Action.ADD_TASK:              (A,    A,    A,     F,     N,      N),
    Action.EDIT_TASK:             (A,    A,    A,     F,     N,      N),
    Action.COMPLETE_TASK:         (A,    A,    A,     F,     N,      N),
    Action.DELETE_TASK:           (A,    A,    A,     F,     N,      N),
    Action.ASSIGN:                (A,    A,    A,     F,     N,      N),
    Action.COMMENT:               (A,    A,    A,     F,     N,      N),
    Action.EDIT_OWN_COMMENT:      (A,    A,    A,     F,     N,      N),
    Action.DELETE_OWN_COMMENT:    (A,    A,    A,     A,     N,      N),
    Action.DELETE_ANY_COMMENT:    (A,    A,    F,     F,     N,      N),
    Action.INVITE:                (A,    A,    F,     F,     N,      N),
    Action.CHANGE_ROLE:           (A,    A,    F,     F,     N,      N),
    Action.REMOVE_MEMBER:         (A,    A,    F,     F,     N,      N),
    Action.LEAVE:                 (F,    A,    A,     A,     N,      N),
    Action.RENAME_PROJECT:        (A,    A,    F,     F,     N,      N),
    Action.ARCHIVE_PROJECT:       (A,    A,    F,     F,     N,      N),
    Action.DELETE_PROJECT:        (A,    F,    F,     F,     N,      N),
    Action.TRANSFER_OWNERSHIP:    (A,    F,    F,     F,     N,      N),
}
# fmt: on

# What each request is about: your own comment, Tess (an editor) as the member acted on, a role to give.
ARGUMENTS: dict[Action, dict[str, Any]] = {
    Action.EDIT_OWN_COMMENT: {"own": True},
    Action.DELETE_OWN_COMMENT: {"own": True},
    Action.INVITE: {"new_role": Role.EDITOR},
    Action.CHANGE_ROLE: {"target": Role.EDITOR, "new_role": Role.VIEWER},
    Action.REMOVE_MEMBER: {"target": Role.EDITOR},
    Action.TRANSFER_OWNERSHIP: {"target": Role.EDITOR},
}

CELLS = [
    pytest.param(action, caller, expected, id=f"{action.value}-{caller}")
    for action, row in MATRIX.items()
    for caller, expected in zip(CALLERS, row, strict=True)
]


def test_the_matrix_covers_every_action() -> None:
    assert set(MATRIX) == set(Action)


@pytest.mark.parametrize(("action", "caller", "expected"), CELLS)
def test_who_may_do_what(action: Action, caller: str, expected: Decision) -> None:
    role = project().role_of(USER[caller])
    verdict = decide(role, action, **ARGUMENTS.get(action, {}))
    assert verdict.decision is expected
    assert bool(verdict.reason) == (expected is F)  # a 403 always says why


@pytest.mark.parametrize(("action", "caller", "expected"), CELLS)
def test_authorize_raises_what_the_api_maps_to_403_and_404(action: Action, caller: str, expected: Decision) -> None:
    role = project().role_of(USER[caller])
    raised: type[DomainError] | None = {A: None, F: ForbiddenError, N: NotFoundError}[expected]
    if raised is None:
        authorize(role, action, **ARGUMENTS.get(action, {}))
    else:
        with pytest.raises(raised):
            authorize(role, action, **ARGUMENTS.get(action, {}))


def test_the_error_codes_are_the_ones_of_the_error_shape() -> None:
    with pytest.raises(ForbiddenError) as forbidden:
        authorize(Role.VIEWER, Action.ADD_TASK)
    assert forbidden.value.code == "forbidden"
    assert "viewer" in forbidden.value.message.lower()
    with pytest.raises(NotFoundError) as missing:
        authorize(None, Action.DELETE_PROJECT)
    assert missing.value.code == "not_found"


# --- comments --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER])
def test_nobody_edits_or_deletes_as_their_own_a_comment_of_someone_else(role: Role) -> None:
    assert decide(role, Action.EDIT_OWN_COMMENT, own=False).decision is F
    assert decide(role, Action.DELETE_OWN_COMMENT, own=False).decision is F


def test_a_former_member_cannot_touch_their_old_comments_but_they_stay() -> None:
    assert decide(None, Action.DELETE_OWN_COMMENT, own=True).decision is N
    assert decide(project().role_of("rita"), Action.EDIT_OWN_COMMENT, own=True).decision is N


# --- no existence leak -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("action", list(Action))
def test_a_non_member_learns_nothing_even_from_an_impossible_request(action: Action) -> None:
    """A role nobody may give, a target that does not exist: still 404 for a non-member, never 400 or 403."""
    assert decide(None, action, own=False, target=Role.OWNER, new_role=Role.OWNER).decision is N


@pytest.mark.parametrize("action", [Action.CHANGE_ROLE, Action.REMOVE_MEMBER, Action.TRANSFER_OWNERSHIP])
def test_acting_on_someone_who_is_not_a_member_is_not_found(action: Action) -> None:
    roster = project()
    assert decide(roster.role_of("olga"), action, target=roster.role_of("rita"), new_role=Role.VIEWER).decision is N
    assert decide(roster.role_of("olga"), action, target=roster.role_of("sam"), new_role=Role.VIEWER).decision is N


# --- role transitions ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.ADMIN])
def test_an_admin_may_give_any_role_up_to_admin(role: Role) -> None:
    assert project().change_role("adam", "tess", role).role_of("tess") is role
    assert project().add("adam", "newcomer", role).role_of("newcomer") is role


@pytest.mark.parametrize("actor", ["olga", "adam"])
def test_nobody_gives_the_owner_role_it_is_transferred(actor: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        project().change_role(actor, "tess", Role.OWNER)
    assert error.value.fields == {"role": "must be viewer, editor or admin"}
    with pytest.raises(InvalidInputError):
        project().add(actor, "newcomer", Role.OWNER)


@pytest.mark.parametrize("actor", ["eddie", "vera"])
def test_editors_and_viewers_manage_no_one(actor: str) -> None:
    roster = project()
    for attempt in (
        lambda: roster.add(actor, "newcomer", Role.VIEWER),
        lambda: roster.change_role(actor, "tess", Role.VIEWER),
        lambda: roster.change_role(actor, actor, Role.ADMIN),  # nor promote themselves
        lambda: roster.remove(actor, "tess"),
    ):
        with pytest.raises(ForbiddenError):
            attempt()


@pytest.mark.parametrize("actor", ["adam", "olga"])
def test_the_owner_cannot_be_demoted_or_removed(actor: str) -> None:
    roster = project()
    with pytest.raises(ForbiddenError, match="transfer"):
        roster.change_role(actor, "olga", Role.ADMIN)
    if actor != "olga":  # the owner removing themselves is leaving, below
        with pytest.raises(ForbiddenError):
            roster.remove(actor, "olga")


def test_the_owner_cannot_leave_until_they_transfer_the_project() -> None:
    roster = project()
    with pytest.raises(ForbiddenError, match="transfer"):
        roster.leave("olga")
    with pytest.raises(ForbiddenError):
        roster.remove("olga", "olga")  # DELETE /members/{own id} is leaving
    handed_over = roster.transfer("olga", "eddie")
    assert handed_over.owner_id == "eddie"
    assert handed_over.role_of("olga") is Role.ADMIN  # the former owner stays on as an admin
    assert handed_over.leave("olga").role_of("olga") is None


def test_only_the_owner_transfers_and_only_to_a_member() -> None:
    roster = project()
    with pytest.raises(ForbiddenError):
        roster.transfer("adam", "eddie")
    with pytest.raises(NotFoundError):
        roster.transfer("olga", "sam")
    with pytest.raises(NotFoundError):
        roster.transfer("olga", "rita")
    with pytest.raises(InvalidInputError):
        roster.transfer("olga", "olga")


def test_the_new_owner_holds_every_right_and_the_old_one_an_admins() -> None:
    roster = project().transfer("olga", "vera")
    assert decide(roster.role_of("vera"), Action.DELETE_PROJECT).allowed
    assert not decide(roster.role_of("olga"), Action.DELETE_PROJECT).allowed
    assert roster.change_role("vera", "olga", Role.VIEWER).role_of("olga") is Role.VIEWER


def test_admins_may_demote_or_remove_each_other_and_step_down_the_owner_remains() -> None:
    roster = project().add("olga", "alex", Role.ADMIN)
    assert roster.change_role("adam", "alex", Role.EDITOR).role_of("alex") is Role.EDITOR
    assert roster.remove("adam", "alex").role_of("alex") is None
    stepped_down = roster.change_role("adam", "adam", Role.EDITOR)
    assert stepped_down.role_of("adam") is Role.EDITOR
    with pytest.raises(ForbiddenError):
        stepped_down.add("adam", "newcomer", Role.VIEWER)  # no longer an admin
    # even if every other admin leaves, the owner is one: a project never lacks an admin
    alone = roster.leave("adam").leave("alex").leave("eddie").leave("vera").leave("tess")
    assert alone.roles == (("olga", Role.OWNER),)


def test_a_removed_member_loses_every_right_at_once_and_may_be_invited_again() -> None:
    roster = project().remove("adam", "eddie")
    assert all(decide(roster.role_of("eddie"), action).decision is N for action in Action)
    with pytest.raises(NotFoundError):
        roster.remove("adam", "eddie")  # twice: there is no such member any more
    assert roster.add("adam", "eddie", Role.VIEWER).role_of("eddie") is Role.VIEWER


def test_inviting_a_member_again_changes_nothing() -> None:
    roster = project()
    assert roster.add("adam", "olga", Role.VIEWER) == roster  # the owner is not demoted by a stray invitation
    assert roster.add("adam", "adam", Role.VIEWER).role_of("adam") is Role.ADMIN


def test_leaving_and_removal_keep_everyone_elses_roles() -> None:
    before = dict(project().roles)
    after = dict(project().leave("vera").remove("olga", "tess").roles)
    assert after == {user: role for user, role in before.items() if user not in {"vera", "tess"}}


def test_a_roster_has_exactly_one_owner() -> None:
    with pytest.raises(ValueError, match="one owner"):
        Roster((("a", Role.OWNER), ("b", Role.OWNER)))
    with pytest.raises(ValueError, match="one owner"):
        Roster((("a", Role.ADMIN),))


def test_any_sequence_of_changes_keeps_one_owner_and_refusals_change_nothing() -> None:
    rng = random.Random(13)  # a reproducible walk, not a secret
    users = ["u0", "u1", "u2", "u3", "u4"]
    roster = Roster.of("u0")
    largest, owners = 1, {"u0"}
    for _ in range(2000):
        actor, other = rng.choice(users), rng.choice(users)
        role = rng.choice(list(Role))
        change = rng.choice(["add", "change_role", "remove", "leave", "transfer"])
        before = roster
        try:
            if change == "add":
                roster = roster.add(actor, other, role)
            elif change == "change_role":
                roster = roster.change_role(actor, other, role)
            elif change == "remove":
                roster = roster.remove(actor, other)
            elif change == "leave":
                roster = roster.leave(actor)
            else:
                roster = roster.transfer(actor, other)
        except (ForbiddenError, NotFoundError, InvalidInputError):
            assert roster == before
        assert sum(role is Role.OWNER for _, role in roster.roles) == 1
        largest, owners = max(largest, len(roster.roles)), owners | {roster.owner_id}
    assert largest >= 3, "the walk never grew the project"
    assert len(owners) > 1, "the walk never transferred the project"


# --- assignees and invitations ---------------------------------------------------------------------------------
def test_tasks_are_assigned_to_members_who_can_complete_them() -> None:
    roster = project()
    assert [user for user in ("olga", "adam", "eddie", "vera", "rita", "sam") if assignable(roster.role_of(user))] == [
        "olga",
        "adam",
        "eddie",
    ]


def test_an_invited_address_is_claimed_whatever_its_case_or_spaces() -> None:
    assert normalize_email("  Ann.Lee+work@Example.COM ") == "ann.lee+work@example.com"
    assert normalize_email("ann.lee@example.com") != normalize_email("annlee@example.com")
