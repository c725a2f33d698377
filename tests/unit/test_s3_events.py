"""The local S3 gap-filler: which requests are uploads under ``uploads/``, the event's shape, expired links, form
POSTs outside the staging prefix refused."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

import httpx
import pytest

from backend.local.s3_events import S3Events, object_created_event

BUCKET = "taskmanager-pro-local-attachments"


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.calls = 0

    def deliver(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def app(self, status: str) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
        def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            self.calls += 1
            start_response(status, [("ETag", '"abc"')])
            return [b""]

        return wsgi


def environ(method: str, path: str, *, body: bytes = b"", content_type: str = "", query: str = "") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }


def run(middleware: S3Events, env: dict[str, Any]) -> str:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        seen["status"] = status

    b"".join(middleware(env, start_response))
    return seen["status"]


def wait_for(recorder: Recorder, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(recorder.events) < count:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def form_post(key: str) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST",
        f"http://127.0.0.1/{BUCKET}",
        data={"Content-Type": "text/plain", "key": key, "policy": "x"},
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    return request.read(), request.headers["content-type"]


def test_a_browser_form_post_under_uploads_notifies_with_the_key_from_the_form() -> None:
    recorder = Recorder()
    middleware = S3Events(recorder.app("204 No Content"), bucket=BUCKET, region="us-east-1", deliver=recorder.deliver)
    body, content_type = form_post("uploads/sub 1/tasks/T/A")
    env = environ("POST", f"/{BUCKET}", body=body, content_type=content_type)
    assert run(middleware, env) == "204 No Content"
    assert env["wsgi.input"].read() == body  # the emulator still gets the whole body
    wait_for(recorder, 1)
    record = recorder.events[0]["Records"][0]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Post"
    assert record["s3"]["bucket"]["name"] == BUCKET
    assert record["s3"]["object"]["key"] == "uploads/sub+1/tasks/T/A"  # URL-encoded, as S3 sends it
    assert unquote_plus(record["s3"]["object"]["key"]) == "uploads/sub 1/tasks/T/A"
    assert record["s3"]["object"]["eTag"] == "abc"


@pytest.mark.parametrize(
    ("method", "path", "query", "status"),
    [
        ("PUT", f"/{BUCKET}/thumbnails/users/s/tasks/t/a", "", "200 OK"),  # thumbnails are outside uploads/
        ("PUT", f"/{BUCKET}/users/s/tasks/t/a", "", "200 OK"),  # so are checked files (the processor's copies)
        ("PUT", f"/{BUCKET}/uploads/s/tasks/t/a", "", "403 Forbidden"),  # failed uploads notify nothing
        ("PUT", f"/{BUCKET}/uploads/s/tasks/t/a", "partNumber=1&uploadId=x", "200 OK"),  # a part is no object yet
        ("PUT", f"/{BUCKET}/uploads/s/tasks/t/a", "tagging", "200 OK"),
        ("GET", f"/{BUCKET}/uploads/s/tasks/t/a", "", "200 OK"),
        ("PUT", "/other-bucket/uploads/s/tasks/t/a", "", "200 OK"),
    ],
)
def test_other_requests_notify_nothing(method: str, path: str, query: str, status: str) -> None:
    recorder = Recorder()
    middleware = S3Events(recorder.app(status), bucket=BUCKET, region="us-east-1", deliver=recorder.deliver)
    run(middleware, environ(method, path, query=query))
    assert recorder.calls == 1
    time.sleep(0.05)
    assert recorder.events == []


def test_a_put_and_a_completed_multipart_upload_notify() -> None:
    recorder = Recorder()
    middleware = S3Events(recorder.app("200 OK"), bucket=BUCKET, region="us-east-1", deliver=recorder.deliver)
    run(middleware, environ("PUT", f"/{BUCKET}/uploads/s/tasks/t/a"))
    run(middleware, environ("POST", f"/{BUCKET}/uploads/s/tasks/t/b", query="uploadId=x"))
    wait_for(recorder, 2)
    kinds = sorted(e["Records"][0]["eventName"] for e in recorder.events)
    assert kinds == ["ObjectCreated:CompleteMultipartUpload", "ObjectCreated:Put"]


@pytest.mark.parametrize("key", ["users/s/tasks/t/a", "thumbnails/users/s/tasks/t/a", "elsewhere"])
def test_a_form_post_outside_the_staging_prefix_is_refused(key: str) -> None:
    """moto checks no POST policy: a hand-made form must not write a checked file (AWS: the signer may not)."""
    recorder = Recorder()
    middleware = S3Events(recorder.app("204 No Content"), bucket=BUCKET, region="us-east-1", deliver=recorder.deliver)
    body, content_type = form_post(key)
    assert run(middleware, environ("POST", f"/{BUCKET}", body=body, content_type=content_type)) == "403 Forbidden"
    assert recorder.calls == 0
    time.sleep(0.05)
    assert recorder.events == []


def test_an_expired_presigned_get_is_refused_and_a_live_one_passes() -> None:
    recorder = Recorder()
    middleware = S3Events(recorder.app("200 OK"), bucket=BUCKET, region="us-east-1", deliver=recorder.deliver)
    old = (datetime.now(UTC) - timedelta(seconds=301)).strftime("%Y%m%dT%H%M%SZ")
    now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = f"/{BUCKET}/users/s/tasks/t/a"
    assert run(middleware, environ("GET", path, query=f"X-Amz-Date={old}&X-Amz-Expires=300")) == "403 Forbidden"
    assert recorder.calls == 0
    assert run(middleware, environ("GET", path, query=f"X-Amz-Date={now}&X-Amz-Expires=300")) == "200 OK"


def test_the_event_has_the_shape_s3_sends() -> None:
    event = object_created_event(region="eu-west-1", bucket="b", key="uploads/a b", size=5, etag='"e"', kind="Put")
    record = event["Records"][0]
    assert set(record) >= {"eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "s3"}
    assert record["awsRegion"] == "eu-west-1"
    assert record["s3"]["object"] | {"sequencer": ""} == {"key": "uploads/a+b", "size": 5, "eTag": "e", "sequencer": ""}
    versioned = object_created_event(
        region="eu-west-1", bucket="b", key="uploads/a", size=5, etag='"e"', kind="Post", version_id="v1"
    )
    assert versioned["Records"][0]["s3"]["object"]["versionId"] == "v1"
    assert record["eventTime"].endswith("Z")
