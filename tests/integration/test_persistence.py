"""Local data survives a restart of ``make run``: moto's backends are snapshotted to disk and restored.

These tests manage their own emulators (not the module's ``local``), because they restart them.
moto's state is process-global, so "a fresh process" is played by resetting moto before the restart.
Crashes (kill -9) and a damaged journal: ``tests/faults/``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest
from moto.moto_api._internal.models import moto_api_backend

from backend.client import Tokens
from backend.local import persistence
from backend.local.cognito_gaps import IssuedCodes
from backend.local.environment import LOCAL_STAGE
from backend.local.testing import free_port, local_aws
from backend.names import ResourceNames
from tests.conftest import PASSWORD
from tests.integration.conftest import USERS_TABLE, auth_for, aws_client, last_code, new_email, sub_of

BUCKET = ResourceNames(LOCAL_STAGE).attachments_bucket


def wipe_moto() -> None:
    """What a new process starts with: no tables, no pools, nothing."""
    moto_api_backend.reset()


def users_row(dynamodb: Any, sub: str) -> dict[str, Any] | None:
    item: dict[str, Any] | None = dynamodb.get_item(
        TableName=USERS_TABLE, Key={"user_id": {"S": sub}}, ConsistentRead=True
    ).get("Item")
    return item


def test_save_reset_load_restores_table_items_and_the_user_pool(tmp_path: Path) -> None:
    snapshot = tmp_path / "aws-snapshot.pickle"
    with local_aws(port=free_port()) as run:
        cognito, admin, dynamodb = auth_for(run), aws_client(run, "cognito-idp"), aws_client(run, "dynamodb")
        email = new_email()
        cognito.sign_up(email, PASSWORD)
        cognito.confirm_sign_up(email, last_code(run, email))
        sub = sub_of(admin, run, email)
        before = users_row(dynamodb, sub)
        assert before is not None

        persistence.take(tmp_path, {"ours": "kept beside"}, next_generation=3).write(snapshot)
        wipe_moto()
        with pytest.raises(admin.exceptions.ResourceNotFoundException):
            admin.describe_user_pool(UserPoolId=run.outputs.user_pool_id)

        assert persistence.load(snapshot) == persistence.Restored({"ours": "kept beside"}, next_generation=3)
        assert users_row(dynamodb, sub) == before
        pool = admin.describe_user_pool(UserPoolId=run.outputs.user_pool_id)["UserPool"]
        assert pool["Id"] == run.outputs.user_pool_id
        client = admin.describe_user_pool_client(
            UserPoolId=run.outputs.user_pool_id, ClientId=run.outputs.user_pool_client_id
        )["UserPoolClient"]
        assert client["ClientName"].endswith("-web")
        assert isinstance(cognito.sign_in(email, PASSWORD), Tokens)  # USER_PASSWORD_AUTH with the restored password


def test_a_missing_snapshot_loads_nothing(tmp_path: Path) -> None:
    assert persistence.load(tmp_path / "absent.pickle") is None


def test_an_unreadable_snapshot_is_kept_aside_and_the_run_starts_empty(tmp_path: Path) -> None:
    snapshot = tmp_path / "aws-snapshot.pickle"
    snapshot.write_bytes(b"not a pickle")
    assert persistence.load(snapshot) is None
    assert not snapshot.exists()
    aside = list(tmp_path.glob("aws-snapshot-unreadable-*.pickle"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == b"not a pickle"


def test_a_restart_keeps_users_rows_ids_and_pending_codes(tmp_path: Path) -> None:
    wipe_moto()  # with a data_dir, local_aws keeps what the process holds; start from nothing like `make run`
    confirmed, pending = new_email(), new_email()
    with local_aws(port=free_port(), data_dir=tmp_path) as first:
        cognito = auth_for(first)
        cognito.sign_up(confirmed, PASSWORD)
        cognito.confirm_sign_up(confirmed, last_code(first, confirmed))
        cognito.sign_up(pending, PASSWORD)
        pending_code = last_code(first, pending)
        sub = sub_of(aws_client(first, "cognito-idp"), first, confirmed)
        row = users_row(aws_client(first, "dynamodb"), sub)
    assert (tmp_path / "aws" / "snapshot.pickle").exists()  # written on stop

    wipe_moto()  # the process ends...
    with local_aws(port=free_port(), data_dir=tmp_path) as second:  # ...and `make run` starts again
        assert second.outputs == first.outputs  # same pool and client: tokens and UI config stay valid
        assert users_row(aws_client(second, "dynamodb"), sub) == row
        cognito = auth_for(second)
        assert isinstance(cognito.sign_in(confirmed, PASSWORD), Tokens)
        # A code emailed before the restart still confirms the sign-up after it.
        cognito.confirm_sign_up(pending, pending_code)
        assert isinstance(cognito.sign_in(pending, PASSWORD), Tokens)


def test_the_issued_codes_travel_in_the_snapshot(tmp_path: Path) -> None:
    snapshot = tmp_path / "codes.pickle"
    codes = IssuedCodes()
    code = codes.issue("sign-up", "client", "ada@example.com", ttl=60)
    persistence.take(tmp_path, codes, next_generation=0).write(snapshot)
    restored = persistence.load(snapshot)
    assert restored is not None
    assert isinstance(restored.extra, IssuedCodes)
    assert restored.extra.check("sign-up", "client", "ada@example.com", code) is None


def test_the_pre_journal_snapshot_is_loaded_and_converted_with_attachment_bytes_as_files(tmp_path: Path) -> None:
    """``.local/aws-snapshot.pickle`` (one pickle, S3 bytes inside) from before issue 15 still loads; the new snapshot
    keeps the bytes as one file per distinct content beside it, not inside it."""
    wipe_moto()
    data = bytes(range(256)) * 4096  # 1 MiB
    with local_aws(port=free_port()) as run:
        cognito, admin = auth_for(run), aws_client(run, "cognito-idp")
        email = new_email()
        cognito.sign_up(email, PASSWORD)
        cognito.confirm_sign_up(email, last_code(run, email))
        sub = sub_of(admin, run, email)
        row = users_row(aws_client(run, "dynamodb"), sub)
        s3 = aws_client(run, "s3")
        s3.put_object(Bucket=BUCKET, Key="users/x/old.bin", Body=data)
        s3.put_object(Bucket=BUCKET, Key="users/x/copy.bin", Body=data)
        persistence._register_key_pickling()
        legacy = {"format": persistence.LEGACY_FORMAT, "backends": persistence._live_backends(), "extra": None}
        (tmp_path / "aws-snapshot.pickle").write_bytes(pickle.dumps(legacy))

    wipe_moto()
    with local_aws(port=free_port(), data_dir=tmp_path) as run:
        assert users_row(aws_client(run, "dynamodb"), sub) == row
        assert isinstance(auth_for(run).sign_in(email, PASSWORD), Tokens)
        old = aws_client(run, "s3").get_object(Bucket=BUCKET, Key="users/x/copy.bin")
        assert old["Body"].read() == data
    assert not (tmp_path / "aws-snapshot.pickle").exists()  # converted into the new layout on the way
    state = tmp_path / "aws"
    assert data[:4096] not in (state / "snapshot.pickle").read_bytes()
    assert [p.read_bytes() == data for p in (state / "blobs").iterdir()].count(True) == 1  # one file, two objects
