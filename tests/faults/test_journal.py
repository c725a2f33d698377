"""The journal's failure modes, on a bare emulator (no bootstrap): each is detected and said, never silent.

- a damaged record (checksum) in the middle: the intact prefix is kept, the rest set aside, a message printed;
- a replay that answers differently from the original: start-up stops with a message naming the record;
- a journal that cannot be written: the call that could not be saved and every later one answer 500, saying why;
- and the normal case: a crash copy of the data directory restarts with the same ids moto drew at random, and an
  upload acknowledged before the crash whose processing had not finished is delivered to the processor again.
"""

from __future__ import annotations

import os
import pickle
import shutil
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.moto_api._internal.models import moto_api_backend

from backend.local.bootstrap import LOCAL_CREDENTIALS
from backend.local.durability import ReplayError
from backend.local.journal import generations, journal_path, read
from backend.local.server import LocalAws
from backend.local.testing import free_port

BUCKET = "attachments-bucket"


def _client(server: LocalAws, service: str) -> Any:
    return boto3.session.Session().client(
        service,  # type: ignore[call-overload]
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        **LOCAL_CREDENTIALS,
    )


@pytest.fixture
def start(fresh_moto: None) -> Iterator[Any]:
    started: list[LocalAws] = []

    def run(data_dir: Path, deliver: Callable[[dict[str, Any]], None] | None = None) -> LocalAws:
        server = LocalAws(
            port=free_port(),
            region="us-east-1",
            sender="x@example.com",
            post_confirmation=lambda _: None,
            data_dir=data_dir,
            object_created=(BUCKET, deliver) if deliver else None,
        )
        server.start()
        started.append(server)
        return server

    yield run
    for server in started:
        server.stop()


def _put(dynamodb: Any, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        dynamodb.put_item(TableName="t", Item={"pk": {"S": f"item-{i}"}})


def _table_with_items(server: LocalAws, count: int) -> Any:
    dynamodb = _client(server, "dynamodb")
    dynamodb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    _put(dynamodb, count)
    return dynamodb


def _crash_copy(data: Path, into: Path) -> Path:
    """The data directory as a kill -9 at this moment leaves it (every answered write is in the files)."""
    shutil.copytree(data, into)
    return into


def _keys(dynamodb: Any) -> set[str]:
    return {i["pk"]["S"] for i in dynamodb.scan(TableName="t", ConsistentRead=True)["Items"]}


def test_a_crash_copy_restarts_with_every_write_and_the_same_random_ids(start: Any, tmp_path: Path) -> None:
    first = start(tmp_path / "live")
    _table_with_items(first, 20)
    cognito = _client(first, "cognito-idp")
    pool = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"]["ClientId"]
    created = cognito.admin_create_user(UserPoolId=pool, Username="ada")["User"]
    sub = {a["Name"]: a["Value"] for a in created["Attributes"]}["sub"]
    assert client
    copy = _crash_copy(tmp_path / "live", tmp_path / "crashed")
    first.stop()

    moto_api_backend.reset()
    second = start(copy)
    assert second.replayed is not None
    assert second.replayed.records >= 24
    assert _keys(_client(second, "dynamodb")) == {f"item-{i}" for i in range(20)}
    user = _client(second, "cognito-idp").admin_get_user(UserPoolId=pool, Username="ada")
    assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"] == sub


def test_a_damaged_record_keeps_the_prefix_sets_the_rest_aside_and_says_so(
    start: Any, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    first = start(tmp_path / "live")
    _table_with_items(first, 10)
    copy = _crash_copy(tmp_path / "live", tmp_path / "crashed")
    state = copy / "aws"
    path = journal_path(state, generations(state)[-1])
    records = read(path).records
    assert len(records) == 11  # the table, then ten items
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF  # one flipped byte in the last record (item-9)
    path.write_bytes(bytes(data))
    first.stop()

    moto_api_backend.reset()
    second = start(copy)
    err = capfd.readouterr().err
    assert "ends in a damaged record" in err
    assert "kept the intact records before it" in err
    assert _keys(_client(second, "dynamodb")) == {f"item-{i}" for i in range(9)}
    assert list(state.glob("journal-*.log.damaged-*"))  # the damaged bytes are kept for a look, not replayed


def test_a_replay_that_diverges_stops_start_up_with_a_clear_message(start: Any, tmp_path: Path) -> None:
    first = start(tmp_path / "live")
    _table_with_items(first, 3)
    copy = _crash_copy(tmp_path / "live", tmp_path / "crashed")
    first.stop()
    state = copy / "aws"
    path = journal_path(state, generations(state)[-1])
    data = path.read_bytes()
    create_table = read(path).records[0]
    # Drop the CreateTable record: the PutItems after it now replay against no table (404 instead of 200).
    without = data.replace(_frame_of(data, create_table), b"", 1)
    path.write_bytes(without)

    moto_api_backend.reset()
    with pytest.raises(ReplayError) as failure:
        start(copy)
    message = str(failure.value)
    assert "replaying record 1 of" in message
    assert "answered 400 on replay, 200 when it was made" in message
    assert "did not start" in message


def _frame_of(data: bytes, record: Any) -> bytes:
    payload = pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
    frame = struct.pack("<II", len(payload), zlib.crc32(payload)) + payload
    assert frame in data
    return frame


def test_a_journal_that_cannot_be_written_refuses_every_call_loudly(start: Any, tmp_path: Path) -> None:
    server = start(tmp_path / "live")
    dynamodb = _table_with_items(server, 1)
    assert server.durable is not None
    os.close(server.durable._journal._fd)  # type: ignore[union-attr]  # the disk goes away
    for _ in range(2):  # the call that could not be saved, and every later one
        with pytest.raises(ClientError) as refused:
            _put(dynamodb, 1, start=5)
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
        assert "cannot save changes" in refused.value.response["Error"]["Message"]
    server.durable._journal._fd = os.open(os.devnull, os.O_WRONLY)  # type: ignore[union-attr]  # for stop()


def test_an_upload_acknowledged_before_a_crash_is_still_processed_after_the_restart(start: Any, tmp_path: Path) -> None:
    stuck, delivered = threading.Event(), threading.Event()
    first = start(tmp_path / "live", deliver=lambda _: stuck.wait(10))  # the processor is still busy at the crash
    s3 = _client(first, "s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="uploads/u/t/a", Body=b"attachment bytes")
    copy = _crash_copy(tmp_path / "live", tmp_path / "crashed")
    stuck.set()
    first.stop()

    moto_api_backend.reset()
    events: list[dict[str, Any]] = []

    def record(event: dict[str, Any]) -> None:
        events.append(event)
        delivered.set()

    start(copy, deliver=record)
    assert delivered.wait(10)  # S3 delivers at least once: the restart delivers what the crash interrupted
    [event] = events
    assert event["Records"][0]["s3"]["object"]["key"] == "uploads/u/t/a"
