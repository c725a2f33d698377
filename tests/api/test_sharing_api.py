"""Members and invitations over HTTP (issue 13): sharing a personal project by inviting, the e-mail and its signed
page, accepting (also by an address that signs up later), declining, role changes, transfer, leaving, removal
(the removed member's tasks unassigned) and the caps."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from backend.client import ApiClient, CognitoAuth, Tokens
from backend.domain.sharing import MAX_MEMBERS, MAX_SHARED_PROJECTS
from backend.local.testing import LocalRun
from backend.services.sharing import INVITATIONS_PER_SENDER
from tests.api.conftest import assert_error_shape
from tests.conftest import PASSWORD, SignedInUser, latest_code


@dataclass
class Member:
    id: str
    email: str
    http: httpx.Client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@pytest.fixture(scope="module")
def person(api_url: str, make_user: Callable[[], SignedInUser]) -> Callable[[], Member]:
    def make() -> Member:
        user = make_user()
        http = httpx.Client(base_url=api_url, headers=user.headers, timeout=30)
        return Member(id=ok(http.get("/me"))["id"], email=user.email, http=http)

    return make


def sign_up_as(api_url: str, auth: CognitoAuth, email: str) -> Member:
    auth.sign_up(email, PASSWORD)
    auth.confirm_sign_up(email, latest_code(api_url, email))
    tokens = auth.sign_in(email, PASSWORD)
    assert isinstance(tokens, Tokens)
    http = httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {tokens.access_token}"}, timeout=30)
    return Member(id=ok(http.get("/me"))["id"], email=email, http=http)


def a_project(owner: Member, tasks: int = 2) -> tuple[str, list[str]]:
    project = ok(owner.http.post("/projects", json={"name": "Garden"}), 201)
    ids = [
        ok(owner.http.post("/tasks", json={"title": f"Dig {n}", "project_id": project["id"]}), 201)["id"]
        for n in range(tasks)
    ]
    return project["id"], ids


def invite(owner: Member, project_id: str, email: str, role: str = "editor", status: int = 201) -> Any:
    return ok(owner.http.post(f"/projects/{project_id}/members", json={"email": email, "role": role}), status)


def join(owner: Member, project_id: str, guest: Member, role: str = "editor") -> dict[str, Any]:
    invitation = invite(owner, project_id, guest.email, role)
    return dict(ok(guest.http.post(f"/invitations/{invitation['id']}/accept")))


def test_sharing_a_project_by_invitation_end_to_end(api_url: str, person: Callable[[], Member]) -> None:
    owner, guest = person(), person()
    project_id, task_ids = a_project(owner)

    invitation = invite(owner, project_id, guest.email.upper(), "editor")  # addresses are case-folded
    assert (invitation["kind"], invitation["email"], invitation["role"]) == ("invitation", guest.email, "editor")
    # The project moved to its own partition; its owner still has it all.
    listing = ok(owner.http.get(f"/projects/{project_id}/members"))
    assert [(m["user_id"], m["role"]) for m in listing["members"]] == [(owner.id, "owner")]
    assert [i["id"] for i in listing["invitations"]] == [invitation["id"]]
    assert ok(owner.http.get(f"/tasks/{task_ids[0]}"))["title"] == "Dig 0"
    # Inviting again answers the pending invitation, not a second one.
    assert invite(owner, project_id, guest.email)["id"] == invitation["id"]

    # The e-mail, and the page its signed link opens.
    mail = next(m for m in reversed(ApiClient(api_url).outbox()) if guest.email in str(m.to).casefold())
    link = re.search(r"https?://\S+/links/invitation\?token=[\w.%-]+", mail.body)
    assert link is not None, mail.body
    token = link.group(0).split("token=", 1)[1]
    page = httpx.get(f"{api_url}/links/invitation", params={"token": token})
    assert page.status_code == 200
    assert "Garden" in page.text
    assert httpx.get(f"{api_url}/links/invitation", params={"token": token + "x"}).status_code == 400

    assert [i["id"] for i in ok(guest.http.get("/invitations"))["items"]] == [invitation["id"]]
    member = ok(guest.http.post(f"/invitations/{invitation['id']}/accept"))
    assert (member["user_id"], member["role"], member["kind"]) == (guest.id, "editor", "member")
    assert ok(guest.http.get("/invitations"))["items"] == []
    assert_error_shape(guest.http.post(f"/invitations/{invitation['id']}/accept"), 404)
    # The guest reads the project's tasks and sees who is in it.
    assert ok(guest.http.get(f"/tasks/{task_ids[1]}"))["title"] == "Dig 1"
    seen = ok(guest.http.get(f"/projects/{project_id}/members"))
    assert {(m["user_id"], m["role"]) for m in seen["members"]} == {(owner.id, "owner"), (guest.id, "editor")}
    assert seen["my_role"] == "editor"
    # An address that is a member answers the member.
    assert invite(owner, project_id, guest.email)["kind"] == "member"


def test_an_address_without_an_account_finds_its_invitation_after_signing_up(
    api_url: str, auth: CognitoAuth, person: Callable[[], Member]
) -> None:
    owner = person()
    project_id, _ = a_project(owner, tasks=1)
    email = f"later-{uuid.uuid4().hex[:10]}@example.com"
    invitation = invite(owner, project_id, email, "viewer")

    newcomer = sign_up_as(api_url, auth, email)

    assert [i["id"] for i in ok(newcomer.http.get("/invitations"))["items"]] == [invitation["id"]]
    assert ok(newcomer.http.post(f"/invitations/{invitation['id']}/accept"))["role"] == "viewer"
    assert ok(newcomer.http.get(f"/projects/{project_id}/members"))["my_role"] == "viewer"


def test_an_invitee_with_an_account_gets_an_inbox_row_at_once(
    api_url: str, auth: CognitoAuth, person: Callable[[], Member]
) -> None:
    owner, guest = person(), person()
    project_id, _ = a_project(owner, tasks=0)
    invite(owner, project_id, guest.email.upper(), "viewer")
    later = f"nobody-{uuid.uuid4().hex[:10]}@example.com"
    invite(owner, project_id, later, "viewer")  # no account with it: no row anywhere, the invitation waits

    notes = [n for n in ok(guest.http.get("/notifications"))["items"] if n["kind"] == "invitation"]
    assert len(notes) == 1, notes
    assert "Garden" in notes[0]["title"]
    assert notes[0]["read"] is False
    # The address without an account: its row comes when it confirms its sign-up (the post-confirmation trigger).
    newcomer = sign_up_as(api_url, auth, later)
    (waiting,) = ok(newcomer.http.get("/invitations"))["items"]
    notes = [n for n in ok(newcomer.http.get("/notifications"))["items"] if n["kind"] == "invitation"]
    assert [(n["id"], "Garden" in n["title"], n["read"]) for n in notes] == [(waiting["id"], True, False)]


def test_decline_and_withdraw(person: Callable[[], Member]) -> None:
    owner, guest, other = person(), person(), person()
    project_id, _ = a_project(owner, tasks=0)
    declined = invite(owner, project_id, guest.email)
    withdrawn = invite(owner, project_id, other.email)
    assert_error_shape(other.http.post(f"/invitations/{declined['id']}/decline"), 404)  # not theirs
    ok(guest.http.post(f"/invitations/{declined['id']}/decline"), 204)
    ok(owner.http.delete(f"/projects/{project_id}/members/{withdrawn['id']}"), 204)
    assert ok(guest.http.get("/invitations"))["items"] == []
    assert ok(other.http.get("/invitations"))["items"] == []
    assert ok(owner.http.get(f"/projects/{project_id}/members"))["invitations"] == []


def test_roles_transfer_leave_and_removal(person: Callable[[], Member]) -> None:
    owner, admin, editor = person(), person(), person()
    project_id, task_ids = a_project(owner)
    join(owner, project_id, admin, "admin")
    join(owner, project_id, editor, "viewer")

    # An admin changes roles; a viewer or editor may not; nobody demotes the owner.
    assert (
        ok(admin.http.patch(f"/projects/{project_id}/members/{editor.id}", json={"role": "editor"}))["role"] == "editor"
    )
    assert_error_shape(editor.http.patch(f"/projects/{project_id}/members/{admin.id}", json={"role": "viewer"}), 403)
    assert_error_shape(admin.http.patch(f"/projects/{project_id}/members/{owner.id}", json={"role": "viewer"}), 403)
    assert_error_shape(admin.http.patch(f"/projects/{project_id}/members/nobody", json={"role": "viewer"}), 404)
    assert_error_shape(
        admin.http.post(f"/projects/{project_id}/members", json={"email": "x@example.com", "role": "owner"}), 422
    )
    # Only the owner transfers; then they are an admin.
    assert_error_shape(admin.http.patch(f"/projects/{project_id}/members/{admin.id}", json={"role": "owner"}), 403)
    assert ok(owner.http.patch(f"/projects/{project_id}/members/{admin.id}", json={"role": "owner"}))["role"] == "owner"
    roles = {m["user_id"]: m["role"] for m in ok(owner.http.get(f"/projects/{project_id}/members"))["members"]}
    assert roles == {owner.id: "admin", admin.id: "owner", editor.id: "editor"}
    # The owner cannot leave; the former owner can.
    assert_error_shape(admin.http.delete(f"/projects/{project_id}/members/{admin.id}"), 403)
    ok(owner.http.delete(f"/projects/{project_id}/members/{owner.id}"), 204)
    assert_error_shape(owner.http.get(f"/projects/{project_id}/members"), 404)
    assert_error_shape(owner.http.get(f"/tasks/{task_ids[0]}"), 404)

    # Removing a member unassigns their tasks and keeps the tasks.
    version = ok(editor.http.get(f"/tasks/{task_ids[0]}"))["version"]
    ok(editor.http.patch(f"/tasks/{task_ids[0]}", json={"assignee_id": editor.id, "version": version}))
    assert_error_shape(editor.http.delete(f"/projects/{project_id}/members/{admin.id}"), 403)
    ok(admin.http.delete(f"/projects/{project_id}/members/{editor.id}"), 204)
    task = ok(admin.http.get(f"/tasks/{task_ids[0]}"))
    assert task["assignee_id"] is None
    assert_error_shape(editor.http.get(f"/tasks/{task_ids[0]}"), 404)


def test_the_caps(local: LocalRun, person: Callable[[], Member]) -> None:
    from backend.adapters.task_store.sharing import DynamoMembershipStore
    from backend.domain.sharing import Invitation, Role
    from backend.domain.tasks import new_id
    from backend.local.environment import LOCAL_STAGE
    from backend.names import ResourceNames
    from tests.integration.conftest import aws_client

    owner, guest = person(), person()
    project_id, _ = a_project(owner, tasks=0)
    first = invite(owner, project_id, guest.email)
    # 50 members and invitations a project: the owner + the guest's + 48 more fill it.
    store = DynamoMembershipStore()
    for n in range(MAX_MEMBERS - 2):
        store.invite(
            Invitation(
                id=new_id(),
                project_id=project_id,
                email=f"filler{n}@example.com",
                role=Role.VIEWER,
                invited_by=owner.id,
                created_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
            )
        )
    refused = owner.http.post(f"/projects/{project_id}/members", json={"email": "one-more@example.com"})
    assert_error_shape(refused, 409)
    assert refused.json()["error"]["code"] == "quota_exceeded"
    # 50 shared projects a user: the 51st accept is refused, and the invitation stays.
    aws_client(local, "dynamodb").update_item(
        TableName=ResourceNames(LOCAL_STAGE).users_table,
        Key={"user_id": {"S": guest.id}},
        UpdateExpression="SET shared_projects = :s",
        ExpressionAttributeValues={":s": {"SS": [f"p{n}" for n in range(MAX_SHARED_PROJECTS)]}},
    )
    refused = guest.http.post(f"/invitations/{first['id']}/accept")
    assert_error_shape(refused, 409)
    assert refused.json()["error"]["code"] == "quota_exceeded"
    assert [i["id"] for i in ok(guest.http.get("/invitations"))["items"]] == [first["id"]]


def test_the_caps_hold_under_concurrency(local: LocalRun, person: Callable[[], Member]) -> None:
    """Invitations racing for a project's last seats, accepts racing for a user's last shared projects: exactly as
    many as there are places succeed, by the counters' conditions in the transactions (the local API runs one
    request at a time, as one Lambda environment: the race is run on the store, where AWS would meet it)."""
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, datetime

    from backend.adapters.task_store.sharing import DynamoMembershipStore
    from backend.domain.sharing import Invitation, Membership, Role
    from backend.domain.tasks import new_id
    from backend.errors import QuotaExceededError
    from backend.local.environment import LOCAL_STAGE
    from backend.names import ResourceNames
    from tests.integration.conftest import aws_client

    owner, guest = person(), person()
    project_id, _ = a_project(owner, tasks=0)
    invite(owner, project_id, guest.email)  # shared: the owner and the guest's invitation take 2 seats
    store = DynamoMembershipStore()
    now = datetime.now(UTC)

    def invitation(project: str, email: str) -> Invitation:
        return Invitation(new_id(), project, email, Role.VIEWER, owner.id, now)

    for n in range(MAX_MEMBERS - 4):  # 2 seats left
        store.invite(invitation(project_id, f"seat{n}@example.com"))

    def attempt(write: Callable[[], object]) -> str:
        try:
            write()
        except QuotaExceededError:
            return "refused"
        return "done"

    racing = [invitation(project_id, f"race{n}@example.com") for n in range(5)]
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda i: attempt(lambda: store.invite(i)), racing))
    assert sorted(results) == ["done", "done", "refused", "refused", "refused"]
    assert store.seats_taken(project_id, now=now) == MAX_MEMBERS
    refused = owner.http.post(f"/projects/{project_id}/members", json={"email": "late@example.com"})
    assert_error_shape(refused, 409, "quota_exceeded")

    # A user 2 short of the shared-projects cap accepts 4 invitations at once: 2 join, 2 are refused and stay.
    pending = [invite(owner, a_project(owner, tasks=0)[0], guest.email) for _ in range(4)]
    aws_client(local, "dynamodb").update_item(
        TableName=ResourceNames(LOCAL_STAGE).users_table,
        Key={"user_id": {"S": guest.id}},
        UpdateExpression="SET shared_projects = :s",
        ExpressionAttributeValues={":s": {"SS": [f"p{n}" for n in range(MAX_SHARED_PROJECTS - 2)]}},
    )
    found = [store.invitation_for(guest.email, p["id"], now=now) for p in pending]

    def accept(found_invitation: Invitation | None) -> str:
        assert found_invitation is not None
        membership = Membership(found_invitation.project_id, guest.id, Role.EDITOR, now, email=guest.email)
        return attempt(lambda: store.accept(found_invitation, membership))

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(accept, found))
    assert sorted(results) == ["done", "done", "refused", "refused"]
    listed = {i["id"] for i in ok(guest.http.get("/invitations"))["items"]}
    assert {p["id"] for p, result in zip(pending, results, strict=True) if result == "refused"} <= listed


def test_shared_projects_in_the_list_rename_and_delete(dynamodb_users: Any, person: Callable[[], Member]) -> None:
    owner, admin, viewer = person(), person(), person()
    project_id, task_ids = a_project(owner)
    join(owner, project_id, admin, "admin")
    join(owner, project_id, viewer, "viewer")

    for who, role in ((owner, "owner"), (admin, "admin"), (viewer, "viewer")):
        listed = {p["id"]: p for p in ok(who.http.get("/projects"))}
        assert listed[project_id]["role"] == role
        assert listed[project_id]["shared"] is True
        names = {(m["user_id"], m["role"]) for m in listed[project_id]["members"]}
        assert names == {(owner.id, "owner"), (admin.id, "admin"), (viewer.id, "viewer")}
        inbox = next(p for p in listed.values() if p["is_inbox"])
        assert (inbox["role"], inbox["shared"], inbox["members"]) == ("owner", False, None)

    assert_error_shape(viewer.http.patch(f"/projects/{project_id}", json={"name": "Mine now"}), 403)
    renamed = ok(admin.http.patch(f"/projects/{project_id}", json={"name": "Allotment"}))
    assert (renamed["name"], renamed["role"]) == ("Allotment", "admin")
    assert ok(viewer.http.get(f"/projects/{project_id}"))["name"] == "Allotment"
    assert_error_shape(admin.http.delete(f"/projects/{project_id}"), 403)

    ok(owner.http.delete(f"/projects/{project_id}"), 204)
    for who in (owner, admin, viewer):
        assert project_id not in {p["id"] for p in ok(who.http.get("/projects"))}
        assert dynamodb_users(who.id) == set()
        assert_error_shape(who.http.get(f"/tasks/{task_ids[0]}"), 404)


@pytest.fixture(scope="module")
def dynamodb_users(local: LocalRun) -> Callable[[str], set[str]]:
    from backend.local.environment import LOCAL_STAGE
    from backend.names import ResourceNames
    from tests.integration.conftest import aws_client

    client = aws_client(local, "dynamodb")

    def shared_projects(user_id: str) -> set[str]:
        item = client.get_item(TableName=ResourceNames(LOCAL_STAGE).users_table, Key={"user_id": {"S": user_id}})
        return set(item["Item"].get("shared_projects", {}).get("SS", []))

    return shared_projects


def test_export_has_my_shared_projects_and_deleting_my_account_hands_them_over(
    dynamodb_users: Callable[[str], set[str]], person: Callable[[], Member]
) -> None:
    owner, editor, admin, solo_owner = person(), person(), person(), person()
    handed, handed_tasks = a_project(owner)
    join(owner, handed, editor, "editor")
    join(owner, handed, admin, "admin")  # joined later than the editor, but an admin: the heir
    alone, _ = a_project(owner, tasks=1)
    invite(owner, alone, solo_owner.email)  # pending only: the owner is alone in it
    left, left_tasks = a_project(solo_owner, tasks=1)
    join(solo_owner, left, owner, "editor")
    version = ok(owner.http.get(f"/tasks/{left_tasks[0]}"))["version"]
    ok(owner.http.patch(f"/tasks/{left_tasks[0]}", json={"assignee_id": owner.id, "version": version}))

    exported = ok(owner.http.get("/export", params={"format": "json"}))
    shared = {p["id"]: p for p in exported["shared_projects"]}
    assert {p: shared[p]["role"] for p in shared} == {handed: "owner", alone: "owner", left: "editor"}
    assert {t["id"] for t in shared[handed]["tasks"]} == set(handed_tasks)

    assert owner.http.request("DELETE", "/me", json={"password": PASSWORD}).status_code == 204

    # Owned with others: the admin owns it now, every task stays, and the others were told.
    roles = {m["user_id"]: m["role"] for m in ok(admin.http.get(f"/projects/{handed}/members"))["members"]}
    assert roles == {admin.id: "owner", editor.id: "editor"}
    assert {ok(editor.http.get(f"/tasks/{t}"))["id"] for t in handed_tasks} == set(handed_tasks)
    for told in (admin, editor):
        titles = [n["title"] for n in ok(told.http.get("/notifications"))["items"]]
        assert "Garden has a new owner" in titles
    # Owned alone: gone. Not owned: left, the task unassigned and kept.
    assert_error_shape(solo_owner.http.get(f"/projects/{alone}/members"), 404)
    assert ok(solo_owner.http.get("/invitations"))["items"] == []
    assert ok(solo_owner.http.get(f"/tasks/{left_tasks[0]}"))["assignee_id"] is None
    assert {m["user_id"] for m in ok(solo_owner.http.get(f"/projects/{left}/members"))["members"]} == {solo_owner.id}
    assert dynamodb_users(editor.id) == {handed}


def test_invitations_are_limited_per_sender(person: Callable[[], Member]) -> None:
    owner = person()
    project_id, _ = a_project(owner, tasks=0)
    limit = INVITATIONS_PER_SENDER[0].limit
    for n in range(limit):
        invite(owner, project_id, f"limit-{n}-{uuid.uuid4().hex[:6]}@example.com")
    refused = owner.http.post(f"/projects/{project_id}/members", json={"email": "one-too-many@example.com"})
    assert_error_shape(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0
    # Re-inviting a pending address sends nothing, so it is not limited.
    pending = ok(owner.http.get(f"/projects/{project_id}/members"))["invitations"][0]
    assert invite(owner, project_id, pending["email"])["id"] == pending["id"]


def test_a_large_project_is_shared_at_once_and_its_tasks_move_in_the_background(
    local: LocalRun, dynamodb: Any, person: Callable[[], Member], monkeypatch: pytest.MonkeyPatch
) -> None:
    from backend.adapters.task_store import rekey
    from backend.domain.sharing import project_partition
    from backend.handlers import project_moves
    from backend.local.lambda_runtime import invoke
    from backend.local.move_queue import sqs_record
    from backend.services import sharing as sharing_service

    monkeypatch.setattr(sharing_service, "INLINE_MOVE_TASKS", 3)  # "large": more tasks than the request moves
    owner, guest = person(), person()
    project_id, task_ids = a_project(owner, tasks=5)
    target = project_partition(project_id)
    assert local.moves is not None
    with local.moves.paused():  # the worker waits: what everyone sees while the move is pending
        invitation = invite(owner, project_id, guest.email)
        assert invitation["kind"] == "invitation"
        assert rekey.pending_move(target) == owner.id  # answered before any task moved
        assert rekey.project_size(owner.id, project_id, at_most=10) == 5
        # The owner: the project listed once, as shared; every task readable and editable meanwhile.
        listed = [p for p in ok(owner.http.get("/projects")) if p["id"] == project_id]
        assert [(p["role"], p["shared"]) for p in listed] == [("owner", True)]
        version = ok(owner.http.get(f"/tasks/{task_ids[0]}"))["version"]
        ok(owner.http.patch(f"/tasks/{task_ids[0]}", json={"title": "Edited mid-move", "version": version}))
        created = ok(owner.http.post("/tasks", json={"title": "Added mid-move", "project_id": project_id}), 201)
        ok(guest.http.post(f"/invitations/{invitation['id']}/accept"))
    local.moves.drain()

    moved = {t.id: t for t in rekey._tasks_of(target, project_id)}
    assert set(moved) == {*task_ids, created["id"]}  # every task, each once, none lost
    assert list(rekey._tasks_of(owner.id, project_id)) == []
    assert moved[task_ids[0]].title == "Edited mid-move"  # the edit made during the move moved with it
    assert rekey.pending_move(target) is None
    assert {ok(guest.http.get(f"/tasks/{t}"))["id"] for t in task_ids} == set(task_ids)

    # A redelivered message (SQS delivers at least once) finds nothing left to do and changes nothing.
    def items(pk: str) -> dict[str, str]:  # every key of the partition, with the item's version
        found = dynamodb.query(
            TableName=rekey._table(),
            KeyConditionExpression="user_id = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ConsistentRead=True,
        )["Items"]
        return {item["sk"]["S"]: item.get("version", {}).get("N", "") for item in found}

    assert local.streams is not None
    local.streams.drain()  # the statistics of the move itself are written
    before = (items(target), items(owner.id))
    body = json.dumps({"target": target})
    record = sqs_record("again", body, queue_arn=local.moves.queue_arn, region="us-east-1", receives=2)
    assert invoke(project_moves.handler, {"Records": [record]}, "project-moves") == {"batchItemFailures": []}
    local.streams.drain()
    assert (items(target), items(owner.id)) == before
