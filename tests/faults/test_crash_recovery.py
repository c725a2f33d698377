"""kill -9 of the local AWS in the middle of a stream of writes, then a restart: every acknowledged change is there.

The child is the real ``python -m backend.local serve`` (data in ``.local/`` of its working directory). Before the
kill it acknowledged a Cognito sign-up and sign-in (random subs, tokens stamped with the clock), an upload (S3 version
id) and a reminder schedule; then a thread writes tasks, each a ``TransactWriteItems`` of the task and its counter,
and the process is killed while that thread is still writing. A torn record (what a crash mid-``write`` leaves) is
then appended to the journal. The restart (in this process, on the same data) must: say that it dropped the torn
tail, hold every acknowledged task with its counter (nothing half-applied), the upload byte for byte with its version
id, the schedule, the user with the same sub, a token issued before the kill still accepted, and the emailed code
still valid.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from backend.local.environment import LOCAL_STAGE
from backend.local.journal import generations, journal_path
from backend.local.testing import free_port, local_aws
from backend.names import ResourceNames
from tests.conftest import PASSWORD
from tests.faults.conftest import serve
from tests.integration.conftest import aws_client, last_code

NAMES = ResourceNames(LOCAL_STAGE)
PARTITION = "crash-test"


def _write_tasks(dynamodb: Any, acknowledged: list[int], stop: threading.Event) -> None:
    """Task i = its item and its counter row in one transaction; ``acknowledged`` gets i once AWS answered 200."""
    i = 0
    while not stop.is_set():
        try:
            dynamodb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": NAMES.tasks_table, "Item": _item(f"TASK#{i:05d}", i)}},
                    {"Put": {"TableName": NAMES.tasks_table, "Item": _item(f"COUNT#{i:05d}", i)}},
                ]
            )
        except Exception:  # the process is gone: stop writing
            return
        acknowledged.append(i)
        i += 1


def _item(sk: str, i: int) -> dict[str, Any]:
    return {"user_id": {"S": PARTITION}, "sk": {"S": sk}, "n": {"N": str(i)}}


def test_kill_9_mid_stream_then_restart_keeps_every_acknowledged_change(
    tmp_path: Path, fresh_moto: None, capfd: pytest.CaptureFixture[str]
) -> None:
    served = serve(tmp_path, free_port())
    pool_id, client_id = served.env["TMP_USER_POOL_ID"], served.env["TMP_USER_POOL_CLIENT_ID"]
    cognito, s3, scheduler = served.client("cognito-idp"), served.client("s3"), served.client("scheduler")
    email, pending = f"crash-{os.getpid()}@example.com", f"crash-pending-{os.getpid()}@example.com"
    sub = cognito.sign_up(ClientId=client_id, Username=email, Password=PASSWORD)["UserSub"]
    cognito.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
    access = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD}
    )["AuthenticationResult"]["AccessToken"]
    cognito.sign_up(ClientId=client_id, Username=pending, Password=PASSWORD)  # its code is emailed (outbox)
    upload = os.urandom(3 * 1024 * 1024)
    version = s3.put_object(Bucket=NAMES.attachments_bucket, Key="users/crash/upload.bin", Body=upload)["VersionId"]
    schedule_arn = scheduler.create_schedule(
        Name="reminder-crash-test",
        GroupName=NAMES.schedule_group,
        ScheduleExpression="at(2035-01-01T09:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:lambda:us-east-1:123456789012:function:reminders", "RoleArn": "arn:aws:iam::1:role/r"},
        ActionAfterCompletion="DELETE",
    )["ScheduleArn"]

    dynamodb = served.client("dynamodb", retries=False)
    acknowledged: list[int] = []
    stop = threading.Event()
    writer = threading.Thread(target=_write_tasks, args=(dynamodb, acknowledged, stop))
    writer.start()
    while len(acknowledged) < 60 and writer.is_alive():
        stop.wait(0.01)
    served.kill()  # while the writer is mid-stream
    stop.set()
    writer.join(timeout=30)
    assert len(acknowledged) >= 60

    data = tmp_path / ".local"
    last = journal_path(data / "aws", generations(data / "aws")[-1])
    with last.open("ab") as journal:  # what a crash in the middle of writing a record leaves
        journal.write(b"\x40\x00\x00\x00\x00\x00\x00\x00torn")

    with local_aws(port=free_port(), data_dir=data) as run:
        assert "ends in an incomplete record" in capfd.readouterr().err
        restarted = aws_client(run, "dynamodb")
        items = restarted.query(
            TableName=NAMES.tasks_table,
            KeyConditionExpression="user_id = :p",
            ExpressionAttributeValues={":p": {"S": PARTITION}},
            ConsistentRead=True,
        )["Items"]
        tasks = {int(i["n"]["N"]) for i in items if i["sk"]["S"].startswith("TASK#")}
        counters = {int(i["n"]["N"]) for i in items if i["sk"]["S"].startswith("COUNT#")}
        assert set(acknowledged) <= tasks  # nothing acknowledged is missing
        assert tasks == counters  # nothing half-applied
        assert len(tasks) <= len(acknowledged) + 1  # at most the one in flight at the kill

        s3 = aws_client(run, "s3")
        stored = s3.get_object(Bucket=NAMES.attachments_bucket, Key="users/crash/upload.bin")
        assert stored["VersionId"] == version
        assert stored["Body"].read() == upload
        schedule = aws_client(run, "scheduler").get_schedule(Name="reminder-crash-test", GroupName=NAMES.schedule_group)
        assert schedule["Arn"] == schedule_arn

        admin = aws_client(run, "cognito-idp")
        user = admin.admin_get_user(UserPoolId=pool_id, Username=email)
        assert {a["Name"]: a["Value"] for a in user["UserAttributes"]}["sub"] == sub
        assert admin.get_user(AccessToken=access)["Username"] == sub  # the token's record came back as issued
        admin.confirm_sign_up(ClientId=client_id, Username=pending, ConfirmationCode=last_code(run, pending))
