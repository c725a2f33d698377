"""The attachments bucket through boto3: presigned POST/GET, head, streaming reads, thumbnails, deletes."""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from botocore.exceptions import ClientError

from backend.domain.attachments import content_disposition


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

    def size_of(self, key: str) -> int | None:
        """The stored size, None when there is no such object."""
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return int(head["ContentLength"])

    def open(self, key: str) -> BinaryIO | None:
        """A stream of the object's bytes (read it in chunks), None when there is no such object."""
        try:
            answer = self._s3.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return cast(BinaryIO, answer["Body"])

    def put(self, *, key: str, data: bytes, content_type: str) -> None:
        self._s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type)

    def delete(self, *keys: str) -> None:
        """Delete objects (missing ones are fine: deleting twice is deleting once)."""
        if keys:
            self._s3.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in keys], "Quiet": True}
            )

    def delete_prefix(self, prefix: str) -> int:
        """Delete every object under ``prefix`` (a page of up to 1 000 keys per call); returns how many."""
        deleted = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [item["Key"] for item in page.get("Contents", [])]
            self.delete(*keys)
            deleted += len(keys)
        return deleted
