"""Upload the static export to the site bucket: ``python -m deploy.upload DIR BUCKET`` (used by ``make deploy``).

HTML is served ``no-cache`` (a new deploy shows at once); everything else (hashed JS/CSS/assets) is immutable
for a year. Files no longer in the export are deleted; the bucket is versioned, so they stay restorable.
"""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from typing import Any

import boto3

from deploy.csp import unpinned_pages

LONG_CACHE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"


def cache_control(key: str) -> str:
    return NO_CACHE if key.endswith((".html", ".json", ".txt")) else LONG_CACHE


def upload(root: Path, bucket: str) -> int:
    unpinned = unpinned_pages(root)
    if unpinned:  # an export not made by ``make export``: its pages would allow any inline script
        raise ValueError(f"{len(unpinned)} pages lack their script policy (run python -m deploy.csp {root})")
    s3 = boto3.client("s3")
    keys = set()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        keys.add(key)
        content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
        s3.upload_file(
            str(path), bucket, key, ExtraArgs={"ContentType": content_type, "CacheControl": cache_control(key)}
        )
    stale: list[Any] = [
        {"Key": item["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in keys
    ]
    for start in range(0, len(stale), 1000):
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale[start : start + 1000]})
    return len(keys)


if __name__ == "__main__":
    count = upload(Path(sys.argv[1]), sys.argv[2])
    sys.stdout.write(f"uploaded {count} files to s3://{sys.argv[2]}\n")
