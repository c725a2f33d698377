"""Attachments over HTTP on the local AWS: presigned POST policy, real uploads to the emulated S3 (httpx, multipart),
the processor (delivered by the local runtime, as S3 would), downloads, deletes, quota and two-user isolation."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from backend.handlers import attachments as processor
from backend.local.lambda_runtime import invoke
from backend.local.s3_events import object_created_event
from backend.local.testing import LocalRun
from backend.names import ResourceNames
from tests.api.conftest import assert_error_shape, aws_client, claims_of
from tests.conftest import PASSWORD, SignedInUser

Json = dict[str, Any]
BUCKET = ResourceNames("local").attachments_bucket
ORIGIN = "http://localhost:3000"


def png(width: int = 640, height: int = 480, color: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
TEXT = "Meeting notes\n- Grüße from the team\n".encode()
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run"


@dataclass(frozen=True)
class Caller:
    http: httpx.Client
    sub: str

    def task(self, title: str = "with files") -> Json:
        response = self.http.post("/tasks", json={"title": title})
        assert response.status_code == 201, response.text
        body: Json = response.json()
        return body

    def request_upload(self, task_id: str, name: str, content_type: str, size: int) -> httpx.Response:
        return self.http.post(
            f"/tasks/{task_id}/attachments", json={"name": name, "content_type": content_type, "size": size}
        )

    def upload(self, task_id: str, name: str, content_type: str, data: bytes, *, declared: int | None = None) -> Json:
        """Ask for an upload, POST the bytes straight to S3 as a browser would, wait for the processor."""
        response = self.request_upload(task_id, name, content_type, len(data) if declared is None else declared)
        assert response.status_code == 201, response.text
        upload = response.json()["upload"]
        posted = httpx.post(
            upload["url"], data=upload["fields"], files={"file": (name, data, content_type)}, headers={"Origin": ORIGIN}
        )
        assert posted.status_code == 204, posted.text
        assert posted.headers["access-control-allow-origin"] == ORIGIN  # the bucket's CORS lets the app read it
        return self.wait_processed(response.json()["attachment"]["id"])

    def wait_processed(self, attachment_id: str, timeout: float = 15.0) -> Json:
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(f"/attachments/{attachment_id}")
            assert response.status_code == 200, response.text
            body: Json = response.json()
            if body["status"] != "pending":
                return body
            assert time.monotonic() < deadline, "the processor never ran"
            time.sleep(0.05)

    def limits(self) -> Json:
        body: Json = self.http.get("/attachments/limits").json()
        return body


@pytest.fixture(scope="module")
def caller(api_url: str, make_user: Callable[[], SignedInUser]) -> Callable[[], Caller]:
    def make() -> Caller:
        user = make_user()
        client = httpx.Client(base_url=api_url, headers=user.headers, timeout=30)
        return Caller(http=client, sub=claims_of(user.tokens.access_token)["sub"])

    return make


@pytest.fixture(scope="module")
def alice(caller: Callable[[], Caller]) -> Caller:
    return caller()


@pytest.fixture(scope="module")
def s3(local: LocalRun) -> Any:
    return aws_client(local, "s3")


def exists(s3: Any, key: str) -> bool:
    try:
        s3.head_object(Bucket=BUCKET, Key=key)
    except ClientError:
        return False
    return True


def key_of(caller: Caller, attachment: Json) -> str:
    """The checked file's key (only the processor writes it)."""
    return f"users/{caller.sub}/tasks/{attachment['task_id']}/{attachment['id']}"


def staged_of(caller: Caller, attachment: Json) -> str:
    """The key the browser's presigned POST writes."""
    return f"uploads/{caller.sub}/tasks/{attachment['task_id']}/{attachment['id']}"


def versions_of(s3: Any, key: str) -> list[Json]:
    found: list[Json] = s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions", [])
    return found


def decode_policy(fields: dict[str, str]) -> Json:
    policy: Json = json.loads(base64.b64decode(fields["policy"]))
    return policy


# --- request an upload ---------------------------------------------------------------------------
def test_the_presigned_post_policy_pins_key_size_type_and_a_short_expiry(alice: Caller) -> None:
    task = alice.task()
    before = datetime.now(UTC)
    response = alice.request_upload(task["id"], "../holiday photo.png", "image/png", 12345)
    assert response.status_code == 201, response.text
    body = response.json()
    attachment, upload = body["attachment"], body["upload"]
    key = f"uploads/{alice.sub}/tasks/{task['id']}/{attachment['id']}"  # staged; the checked file goes to users/
    assert attachment["status"] == "pending"
    assert attachment["name"] == "holiday photo.png"  # no path
    assert upload["url"].endswith(f"/{BUCKET}")
    assert upload["fields"]["key"] == key
    assert upload["fields"]["Content-Type"] == "image/png"
    policy = decode_policy(upload["fields"])
    conditions = policy["conditions"]
    assert {"key": key} in conditions
    assert {"bucket": BUCKET} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, 12345] in conditions
    assert not any(isinstance(c, list) and c[0] == "starts-with" for c in conditions)  # nothing left open
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert 590 <= (expiration - before).total_seconds() <= 610
    assert datetime.fromisoformat(upload["expires_at"].replace("Z", "+00:00")) <= expiration
    # Listed as pending at once.
    listed = alice.http.get(f"/tasks/{task['id']}/attachments").json()["items"]
    assert [(a["id"], a["status"], a["download_url"]) for a in listed] == [(attachment["id"], "pending", None)]


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"name": "a.exe", "content_type": "application/x-msdownload", "size": 10}, 400, "content_type"),
        ({"name": "a.png", "content_type": "image/png", "size": 0}, 400, "size"),
        ({"name": "big.png", "content_type": "image/png", "size": 25 * 1024 * 1024 + 1}, 413, "size"),
        ({"name": "/", "content_type": "image/png", "size": 10}, 400, "name"),
        ({"name": "a.png", "content_type": "image/png", "size": -1}, 422, "size"),
        ({"name": "a.png", "content_type": "image/png"}, 422, "size"),
        ({"name": "a.png", "content_type": "image/png", "size": 1, "key": "users/x"}, 422, "key"),
    ],
)
def test_bad_upload_requests_name_the_field(alice: Caller, payload: Json, status: int, field: str) -> None:
    task = alice.task()
    response = alice.http.post(f"/tasks/{task['id']}/attachments", json=payload)
    error = assert_error_shape(response, status)
    assert field in error["fields"]
    assert alice.http.get(f"/tasks/{task['id']}/attachments").json()["items"] == []


def test_an_upload_to_a_missing_task_is_404(alice: Caller) -> None:
    assert_error_shape(alice.request_upload("01NOSUCHTASK", "a.txt", "text/plain", 3), 404)


def test_limits_are_shown_before_upload(alice: Caller) -> None:
    limits = alice.limits()
    assert limits["max_bytes"] == 25 * 1024 * 1024
    assert limits["quota_bytes"] == 1024**3
    assert "image/png" in limits["allowed_types"]
    assert "application/x-msdownload" not in limits["allowed_types"]


# --- processing -----------------------------------------------------------------------------------
SAMPLES = {
    "png": ("chart.png", "image/png", png(), True),
    "pdf": ("spec.pdf", "application/pdf", PDF, False),
    "text": ("notes.txt", "text/plain", TEXT, False),
}


@pytest.mark.parametrize("sample", SAMPLES.values(), ids=SAMPLES.keys())
def test_real_files_end_ready(alice: Caller, s3: Any, sample: tuple[str, str, bytes, bool]) -> None:
    name, content_type, data, thumbnail = sample
    task = alice.task()
    done = alice.upload(task["id"], name, content_type, data)
    assert done["status"] == "ready", done
    assert done["size"] == len(data)
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    assert done["content_type"] == content_type
    assert done["has_thumbnail"] is thumbnail
    assert exists(s3, key_of(alice, done))
    assert versions_of(s3, staged_of(alice, done)) == []  # copied, not kept twice
    if thumbnail:
        image = httpx.get(done["thumbnail_url"])
        assert image.status_code == 200
        assert image.headers["content-type"] == "image/webp"
        with Image.open(io.BytesIO(image.content)) as small:
            assert max(small.size) <= 320
    else:
        assert done["thumbnail_url"] is None
    shown = alice.http.get(f"/tasks/{task['id']}").json()
    assert shown["attachment_count"] == 1


def test_an_executable_renamed_png_is_rejected_and_deleted(alice: Caller, s3: Any) -> None:
    task = alice.task()
    done = alice.upload(task["id"], "cute-cat.png", "image/png", EXE)
    assert done["status"] == "rejected"
    assert "not image/png" in done["reason"]
    assert done["download_url"] is None
    assert not exists(s3, key_of(alice, done))
    assert versions_of(s3, staged_of(alice, done)) == []
    assert alice.http.get(f"/tasks/{task['id']}").json()["attachment_count"] == 0


def test_more_bytes_than_declared_are_rejected_and_deleted(alice: Caller, s3: Any) -> None:
    """moto's S3 ignores the content-length-range of the policy (AWS would refuse the POST): the processor must not."""
    task = alice.task()
    data = TEXT * 10
    done = alice.upload(task["id"], "notes.txt", "text/plain", data, declared=len(TEXT))
    assert done["status"] == "rejected"
    assert "more than" in done["reason"]
    assert not exists(s3, key_of(alice, done))


@pytest.mark.parametrize("side", [7_000, 12_000], ids=["above-our-limit", "pillow-bomb"])
def test_an_image_with_huge_dimensions_is_rejected_without_decoding_it(alice: Caller, s3: Any, side: int) -> None:
    out = io.BytesIO()
    Image.new("1", (side, side)).save(out, "PNG")  # 49 / 144 megapixels in a few kilobytes (limit: 40)
    task = alice.task()
    done = alice.upload(task["id"], "bomb.png", "image/png", out.getvalue())
    assert done["status"] == "rejected"
    assert "too large" in done["reason"]
    assert "pixels" in done["reason"]
    assert not exists(s3, key_of(alice, done))


def test_a_duplicate_event_is_handled_once(alice: Caller, s3: Any) -> None:
    task = alice.task()
    used_before = alice.limits()["used_bytes"]
    data = png(64, 64)
    done = alice.upload(task["id"], "dot.png", "image/png", data)
    assert done["status"] == "ready"
    event = object_created_event(
        region="us-east-1", bucket=BUCKET, key=staged_of(alice, done), size=len(data), etag="x", kind="Post"
    )
    for _ in range(2):
        result = invoke(processor.handler, event, "attachments")
        assert result["processed"] == [{"key": staged_of(alice, done), "result": "duplicate", "reason": None}]
    assert alice.limits()["used_bytes"] == used_before + len(data)
    task_now = alice.http.get(f"/tasks/{task['id']}").json()
    assert task_now["attachment_count"] == 1
    assert alice.http.get(f"/attachments/{done['id']}").json()["sha256"] == done["sha256"]


def test_concurrent_duplicate_events_count_once(alice: Caller) -> None:
    """S3 delivers at least once: the same event racing itself (and the runtime's own delivery) counts once."""
    task = alice.task()
    used_before = alice.limits()["used_bytes"]
    data = png(300, 200)
    body = alice.request_upload(task["id"], "race.png", "image/png", len(data)).json()
    upload, attachment = body["upload"], body["attachment"]
    posted = httpx.post(upload["url"], data=upload["fields"], files={"file": ("race.png", data, "image/png")})
    assert posted.status_code == 204
    event = object_created_event(
        region="us-east-1", bucket=BUCKET, key=staged_of(alice, attachment), size=len(data), etag="x", kind="Post"
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: invoke(processor.handler, event, "attachments"), range(4)))
    outcomes = [r["processed"][0]["result"] for r in results]
    assert set(outcomes) <= {"ready", "duplicate"}
    assert outcomes.count("ready") <= 1
    assert alice.wait_processed(attachment["id"])["status"] == "ready"
    assert alice.limits()["used_bytes"] == used_before + len(data)
    assert alice.http.get(f"/tasks/{task['id']}").json()["attachment_count"] == 1


def test_a_damaged_image_is_rejected(alice: Caller, s3: Any) -> None:
    task = alice.task()
    done = alice.upload(task["id"], "broken.png", "image/png", png()[:300])  # a PNG header, then nothing
    assert done["status"] == "rejected"
    assert "cannot be read" in done["reason"]
    assert not exists(s3, key_of(alice, done))


def test_an_object_nobody_asked_for_is_deleted(alice: Caller, s3: Any) -> None:
    task = alice.task()
    key = f"uploads/{alice.sub}/tasks/{task['id']}/01STRAYOBJECT"
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"hello")  # the local runtime delivers ObjectCreated:Put
    deadline = time.monotonic() + 10
    while versions_of(s3, key):
        assert time.monotonic() < deadline, "the stray object was not deleted"
        time.sleep(0.05)


# --- download, delete ------------------------------------------------------------------------------
def test_the_download_url_serves_the_file_with_its_original_name(alice: Caller) -> None:
    task = alice.task()
    data = TEXT
    done = alice.upload(task["id"], "Übersicht 2026.txt", "text/plain", data)
    response = httpx.get(done["download_url"])
    assert response.status_code == 200
    assert response.content == data
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%C3%9Cbersicht%202026.txt" in disposition
    expires = datetime.fromisoformat(done["urls_expire_at"].replace("Z", "+00:00"))
    assert 0 < (expires - datetime.now(UTC)).total_seconds() <= 300
    assert "X-Amz-Expires=300" in done["download_url"]


def test_a_download_url_expires(alice: Caller, local: LocalRun) -> None:
    from backend.bootstrap import dependencies
    from backend.domain.attachments import Limits
    from backend.services import attachments

    task = alice.task()
    done = alice.upload(task["id"], "short.txt", "text/plain", TEXT)
    deps = dependencies()
    link = attachments.download(
        store=deps.attachments,
        storage=deps.storage,
        user_id=alice.sub,
        attachment_id=done["id"],
        # X-Amz-Date is truncated to the second: 1 s could already be over when the first GET lands
        limits=Limits(download_expiry_s=3),
        now=deps.clock(),
    )
    assert link.url is not None
    assert httpx.get(link.url).status_code == 200
    time.sleep(4.1)
    expired = httpx.get(link.url)
    assert expired.status_code == 403
    assert b"expired" in expired.content


def test_delete_removes_object_thumbnail_and_row(alice: Caller, s3: Any) -> None:
    task = alice.task()
    used_before = alice.limits()["used_bytes"]
    done = alice.upload(task["id"], "photo.png", "image/png", png())
    key = key_of(alice, done)
    assert exists(s3, key)
    assert exists(s3, f"thumbnails/{key}")
    assert alice.limits()["used_bytes"] > used_before
    assert alice.http.delete(f"/attachments/{done['id']}").status_code == 204
    assert not exists(s3, key)
    assert not exists(s3, f"thumbnails/{key}")
    assert_error_shape(alice.http.get(f"/attachments/{done['id']}"), 404)
    assert alice.http.get(f"/tasks/{task['id']}/attachments").json()["items"] == []
    assert alice.limits()["used_bytes"] == used_before
    assert alice.http.get(f"/tasks/{task['id']}").json()["attachment_count"] == 0
    assert_error_shape(alice.http.delete(f"/attachments/{done['id']}"), 404)


@pytest.mark.parametrize("route", ["/data", "/me"])
def test_deleting_my_data_or_my_account_deletes_my_files(caller: Callable[[], Caller], s3: Any, route: str) -> None:
    me, other = caller(), caller()
    mine = me.upload(me.task()["id"], "photo.png", "image/png", png())
    theirs = other.upload(other.task()["id"], "photo.png", "image/png", png())
    assert exists(s3, f"thumbnails/{key_of(me, mine)}")
    # Deleting the account asks for the password again (issue 12); deleting the data does not.
    assert me.http.request("DELETE", route, json={"password": PASSWORD} if route == "/me" else None).status_code == 204
    assert not exists(s3, key_of(me, mine))
    assert not exists(s3, f"thumbnails/{key_of(me, mine)}")
    assert exists(s3, key_of(other, theirs))
    assert exists(s3, f"thumbnails/{key_of(other, theirs)}")
    if route == "/data":  # the account stays, with nothing stored
        assert me.limits()["used_bytes"] == 0


def test_deleting_a_task_deletes_its_attachments(alice: Caller, s3: Any) -> None:
    task = alice.task()
    used_before = alice.limits()["used_bytes"]
    first = alice.upload(task["id"], "a.png", "image/png", png(32, 32))
    second = alice.upload(task["id"], "b.txt", "text/plain", TEXT)
    pending = alice.request_upload(task["id"], "never.txt", "text/plain", 5).json()["attachment"]
    assert alice.http.delete(f"/tasks/{task['id']}").status_code == 204
    for attachment in (first, second, pending):
        assert_error_shape(alice.http.get(f"/attachments/{attachment['id']}"), 404)
        assert not exists(s3, key_of(alice, attachment))
    assert not exists(s3, f"thumbnails/{key_of(alice, first)}")
    assert alice.limits()["used_bytes"] == used_before


def test_bulk_delete_deletes_attachments_too(alice: Caller, s3: Any) -> None:
    task = alice.task()
    done = alice.upload(task["id"], "c.txt", "text/plain", TEXT)
    response = alice.http.post("/tasks/bulk", json={"action": "delete", "ids": [task["id"]]})
    assert response.status_code == 200, response.text
    assert not exists(s3, key_of(alice, done))
    assert_error_shape(alice.http.get(f"/attachments/{done['id']}"), 404)


def test_deleting_a_project_deletes_the_attachments_of_its_tasks(alice: Caller, s3: Any) -> None:
    project = alice.http.post("/projects", json={"name": "With files"}).json()
    task = alice.http.post("/tasks", json={"title": "in project", "project_id": project["id"]}).json()
    done = alice.upload(task["id"], "p.txt", "text/plain", TEXT)
    assert alice.http.delete(f"/projects/{project['id']}").status_code == 204
    assert not exists(s3, key_of(alice, done))
    assert_error_shape(alice.http.get(f"/attachments/{done['id']}"), 404)


# --- tasks with attachments --------------------------------------------------------------------------
def test_tasks_with_attachments_carry_a_count_and_can_be_filtered(caller: Callable[[], Caller]) -> None:
    bob = caller()
    plain = bob.task("no files")
    with_files = bob.task("has files")
    bob.upload(with_files["id"], "x.txt", "text/plain", TEXT)
    only = bob.http.get("/tasks", params={"has_attachments": "true"}).json()["items"]
    assert [(t["id"], t["attachment_count"]) for t in only] == [(with_files["id"], 1)]
    without = bob.http.get("/tasks", params={"has_attachments": "false"}).json()["items"]
    assert [t["id"] for t in without] == [plain["id"]]
    assert len(bob.http.get("/tasks").json()["items"]) == 2


def test_an_edit_based_on_the_task_before_the_upload_is_refused_not_lost(alice: Caller) -> None:
    task = alice.task()
    alice.upload(task["id"], "x.txt", "text/plain", TEXT)
    stale = alice.http.patch(f"/tasks/{task['id']}", json={"title": "renamed", "version": task["version"]})
    assert stale.status_code == 409
    current = stale.json()["current"]
    assert current["attachment_count"] == 1
    fresh = alice.http.patch(f"/tasks/{task['id']}", json={"title": "renamed", "version": current["version"]})
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["attachment_count"] == 1


# --- quota -------------------------------------------------------------------------------------------
def test_the_quota_is_enforced_on_request_and_by_the_processor(caller: Callable[[], Caller], dynamodb: Any) -> None:
    carol = caller()
    task = carol.task()
    quota = carol.limits()["quota_bytes"]
    # Carol has (almost) filled her storage: 10 bytes left.
    dynamodb.update_item(
        TableName=ResourceNames("local").tasks_table,
        Key={"user_id": {"S": carol.sub}, "sk": {"S": "USAGE#attachments"}},
        UpdateExpression="SET bytes_used = :used",
        ExpressionAttributeValues={":used": {"N": str(quota - 10)}},
    )
    error = assert_error_shape(carol.request_upload(task["id"], "big.txt", "text/plain", 11), 413, "too_large")
    assert "size" in error["fields"]
    # Two uploads that each fit, but not together: the processor's atomic check lets exactly one in.
    data = b"12345678"
    requests = [carol.request_upload(task["id"], f"part{i}.txt", "text/plain", len(data)).json() for i in range(2)]
    for body in requests:
        upload = body["upload"]
        posted = httpx.post(upload["url"], data=upload["fields"], files={"file": ("p.txt", data, "text/plain")})
        assert posted.status_code == 204
    done = [carol.wait_processed(body["attachment"]["id"]) for body in requests]
    assert sorted(d["status"] for d in done) == ["ready", "rejected"]
    rejected = next(d for d in done if d["status"] == "rejected")
    assert "storage is full" in rejected["reason"]
    assert carol.limits()["used_bytes"] == quota - 10 + len(data)
    assert carol.http.get(f"/tasks/{task['id']}").json()["attachment_count"] == 1


# --- isolation -----------------------------------------------------------------------------------------
def test_another_users_attachment_is_404_on_every_route(alice: Caller, caller: Callable[[], Caller], s3: Any) -> None:
    mallory = caller()
    task = alice.task("A's secret task")
    done = alice.upload(task["id"], "a-secret.txt", "text/plain", TEXT)
    routes = [
        mallory.request_upload(task["id"], "x.txt", "text/plain", 3),
        mallory.http.get(f"/tasks/{task['id']}/attachments"),
        mallory.http.get(f"/attachments/{done['id']}"),
        mallory.http.delete(f"/attachments/{done['id']}"),
    ]
    for response in routes:
        error = assert_error_shape(response, 404)
        assert "a-secret" not in response.text
        assert error["code"] == "not_found"
    assert mallory.limits()["used_bytes"] == 0
    assert alice.wait_processed(done["id"])["status"] == "ready"
    assert exists(s3, key_of(alice, done))
    # Mallory's own task cannot be used to reach A's key either: keys come from the caller's id only.
    own = mallory.task()
    upload = mallory.request_upload(own["id"], "x.txt", "text/plain", 3).json()["upload"]
    assert upload["fields"]["key"].startswith(f"uploads/{mallory.sub}/tasks/{own['id']}/")


# --- an accepted file cannot be swapped -----------------------------------------------------------------
def test_reposting_the_upload_form_cannot_swap_a_ready_file(alice: Caller, s3: Any) -> None:
    """The presigned POST stays valid for 10 minutes: posting it again (here an executable) must change nothing that
    is downloaded, and the extra bytes must not stay in the bucket (issue 12, finding 2)."""
    task = alice.task()
    data = png(96, 64)
    used_before = alice.limits()["used_bytes"]
    body = alice.request_upload(task["id"], "chart.png", "image/png", len(data)).json()
    upload = body["upload"]
    posted = httpx.post(upload["url"], data=upload["fields"], files={"file": ("chart.png", data, "image/png")})
    assert posted.status_code == 204
    done = alice.wait_processed(body["attachment"]["id"])
    assert done["status"] == "ready"
    assert done["sha256"] == hashlib.sha256(data).hexdigest()
    swapped = EXE[: len(data)]
    reposted = httpx.post(upload["url"], data=upload["fields"], files={"file": ("chart.png", swapped, "image/png")})
    assert reposted.status_code == 204  # moto enforces no POST policy; in AWS the same form is valid too
    posted_key = upload["fields"]["key"]
    deadline = time.monotonic() + 10
    while s3.list_object_versions(Bucket=BUCKET, Prefix=posted_key).get("Versions"):
        assert time.monotonic() < deadline, "the re-posted object was left in the bucket"
        time.sleep(0.05)
    again = alice.http.get(f"/attachments/{done['id']}").json()
    assert (again["status"], again["sha256"], again["size"]) == ("ready", done["sha256"], len(data))
    served = httpx.get(again["download_url"])
    assert served.status_code == 200
    assert served.content == data
    assert hashlib.sha256(served.content).hexdigest() == done["sha256"]
    assert served.headers["content-type"] == "image/png"
    assert httpx.get(again["thumbnail_url"]).status_code == 200
    assert alice.limits()["used_bytes"] == used_before + len(data)
    assert alice.http.get(f"/tasks/{task['id']}").json()["attachment_count"] == 1


def test_a_pending_attachment_bound_to_another_version_discards_this_one(alice: Caller, s3: Any) -> None:
    """While one posted version is being checked, a re-post's event finds the row bound to it (DynamoDB condition)
    and is discarded: nothing copied, nothing counted, the row stays pending for the version that was taken."""
    from backend.bootstrap import dependencies

    deps = dependencies()
    task = alice.task()
    used_before = alice.limits()["used_bytes"]
    data = png(40, 40)
    body = alice.request_upload(task["id"], "late.png", "image/png", len(data)).json()
    upload, attachment = body["upload"], body["attachment"]
    row = deps.attachments.get(alice.sub, attachment["id"], now=deps.clock())
    assert row is not None
    assert deps.attachments.claim(row, source="the-version-taken-first")
    assert deps.attachments.claim(row, source="the-version-taken-first")  # a duplicate event of it: still its own
    posted = httpx.post(upload["url"], data=upload["fields"], files={"file": ("late.png", data, "image/png")})
    assert posted.status_code == 204
    deadline = time.monotonic() + 10
    while versions_of(s3, upload["fields"]["key"]):
        assert time.monotonic() < deadline, "the superseded version was left in the bucket"
        time.sleep(0.05)
    assert alice.http.get(f"/attachments/{attachment['id']}").json()["status"] == "pending"
    assert not exists(s3, key_of(alice, attachment))
    assert alice.limits()["used_bytes"] == used_before


def test_a_project_handed_over_keeps_its_files_when_its_owner_deletes_the_account_even_on_a_retry(
    local: LocalRun, api_url: str, make_user: Callable[[], SignedInUser], s3: Any
) -> None:
    owner_user, heir_user = make_user(), make_user()
    owner = Caller(
        http=httpx.Client(base_url=api_url, headers=owner_user.headers, timeout=30),
        sub=claims_of(owner_user.tokens.access_token)["sub"],
    )
    heir = httpx.Client(base_url=api_url, headers=heir_user.headers, timeout=30)
    project = owner.http.post("/projects", json={"name": "Handed over"}).json()
    task = owner.http.post("/tasks", json={"title": "with a photo", "project_id": project["id"]}).json()
    data = png(64, 48)
    done = owner.upload(task["id"], "photo.png", "image/png", data)  # made under the owner's keys
    assert done["status"] == "ready"
    personal = owner.upload(owner.task()["id"], "notes.txt", "text/plain", TEXT)
    invitation = owner.http.post(f"/projects/{project['id']}/members", json={"email": heir_user.email, "role": "admin"})
    assert invitation.status_code == 201, invitation.text
    assert heir.post(f"/invitations/{invitation.json()['id']}/accept").status_code == 200

    # The first attempt fails after the project was handed over, when it lists the owner's files (S3 down): the
    # owner's row no longer names the project, and the retry must still know which files are the heir's.
    assert local.faults is not None
    outage = local.faults.inject("s3", "InternalError", status=500, operation="GET", count=1000)
    try:
        failed = owner.http.request("DELETE", "/me", json={"password": PASSWORD})
    finally:
        local.faults.clear()
    assert_error_shape(failed, 503)
    assert outage.hits > 0
    assert project["id"] not in {p["id"] for p in owner.http.get("/projects").json()}  # handed over already
    assert exists(s3, key_of(owner, personal))  # nothing of the files went yet

    assert owner.http.request("DELETE", "/me", json={"password": PASSWORD}).status_code == 204

    assert not exists(s3, key_of(owner, personal))  # the owner's own files went
    kept = heir.get(f"/attachments/{done['id']}")
    assert kept.status_code == 200, kept.text
    assert httpx.get(kept.json()["download_url"]).content == data
    thumbnail = httpx.get(kept.json()["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == "image/webp"
