"""The attachments bucket through boto3: presigned POST/GET, version-pinned reads and copies, thumbnails, deletes."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from botocore.exceptions import ClientError

from backend.adapters.ports import StoredObject
from backend.domain.attachments import content_disposition

_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchVersion"}
_CHANGED = {"412", "PreconditionFailed"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class S3ObjectStorage:
    def __init__(self, *, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self.bucket = bucket

    def presigned_post(self, *, key: str, content_type: str, max_bytes: int, expires_s: int) -> dict[str, Any]:
        """A browser form POST that S3 accepts only for this key, this Content-Type and at most ``max_bytes``."""
        post = self._s3.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,  # boto3 adds {"key": key} and {"bucket": ...} to the policy
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_s,
        )
        return cast(dict[str, Any], post)

    def presigned_get(self, *, key: str, filename: str, content_type: str, expires_s: int, inline: bool = False) -> str:
        url = self._s3.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": key,
                "ResponseContentDisposition": content_disposition(filename, inline=inline),
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_s,
        )
        return str(url)

    def open(self, key: str, *, version_id: str | None = None) -> StoredObject | None:
        """A stream of that version's bytes (read it in chunks), None when there is no such object or version."""
        pinned = {"VersionId": version_id} if version_id else {}
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=key, **pinned)
        except ClientError as exc:
            if _code(exc) in _MISSING:
                return None
            raise
        return StoredObject(
            body=cast(BinaryIO, answer["Body"]),
            size=int(answer["ContentLength"]),
            etag=str(answer.get("ETag", "")),
            version_id=answer.get("VersionId") if answer.get("VersionId") not in (None, "null") else None,
        )

    def copy(self, *, source: StoredObject, source_key: str, key: str, content_type: str) -> bool:
        """Server-side copy of exactly that version (VersionId; If-Match on its ETag as well, for an unversioned
        bucket). False when it is gone or was replaced meanwhile."""
        copy_source = {"Bucket": self.bucket, "Key": source_key}
        if source.version_id:
            copy_source["VersionId"] = source.version_id
        if_match = {"CopySourceIfMatch": source.etag} if source.etag else {}
        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource=copy_source,
                MetadataDirective="REPLACE",
                ContentType=content_type,
                **if_match,
            )
        except ClientError as exc:
            if _code(exc) in _MISSING | _CHANGED:
                return False
            raise
        return True

    def discard(self, key: str, version_id: str | None) -> None:
        """Delete that version permanently (a plain delete in a versioned bucket would only hide it)."""
        pinned = {"VersionId": version_id} if version_id else {}
        try:
            self._s3.delete_object(Bucket=self.bucket, Key=key, **pinned)
        except ClientError as exc:
            if _code(exc) not in _MISSING:
                raise

    def put(self, *, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, *keys: str) -> None:
        """Delete objects (missing ones are fine: deleting twice is deleting once)."""
        if keys:
            self._s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
            )

    def delete_prefix(self, prefix: str, *, keep: frozenset[str] = frozenset()) -> int:
        """Delete every object under ``prefix`` but ``keep`` (a page of up to 1 000 keys per call); returns how many."""
        deleted = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [item["Key"] for item in page.get("Contents", []) if item["Key"] not in keep]
            self.delete(*keys)
            deleted += len(keys)
        return deleted
