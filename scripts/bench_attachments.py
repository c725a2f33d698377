"""``make bench`` (attachments): upload-to-ready latency, the processor's peak memory, bytes through our servers.

Starts its own local AWS and local API on free ports, signs up one user and creates a task, then:
1. **upload → ready, 5 MB** (a text file and a PNG with a thumbnail): the time from the browser-like multipart POST
   to S3 until ``GET /api/attachments/{id}`` says ``ready`` (local event delivery + processor + the polls, 20 ms).
2. **processor peak memory, 25 MB image**: the processor run in a fresh subprocess on one uploaded 25 MB JPEG
   (36 megapixels, under the 40 MP guard); peak RSS (``ru_maxrss``) before and after processing, and
   tracemalloc's peak of Python allocations (Pillow's pixel buffers are C allocations: RSS shows them).
3. **bytes through our servers per upload**: every request of one upload is counted by host (httpx event hooks):
   the API sees JSON metadata only; the file's bytes go to the S3 endpoint. The figure is the number of file
   bytes in requests to the API (searched for in the bodies), which must be 0.

    PYTHONPATH=. python -m scripts.bench_attachments [-n 5]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from backend.local.testing import free_port, local_aws, serve_local_api
from scripts.bench import signed_in_user

OUTPUT = Path(".local/bench/attachments.json")
MB = 1024 * 1024


def text_file(size: int) -> bytes:
    line = b"TaskManager Pro attachment benchmark line of plain text.\n"
    return (line * (size // len(line) + 1))[:size]


def noise_png(size: int) -> bytes:
    """A PNG of about ``size`` bytes (random pixels do not compress)."""
    side = int((size / 3) ** 0.5)
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def noise_jpeg(limit: int) -> bytes:
    """The largest JPEG of at most ``limit`` bytes at 6000x6000 (36 MP) among a few qualities."""
    side = 6000
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    for quality in range(95, 20, -5):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality)
        if out.tell() <= limit:
            return out.getvalue()
    raise RuntimeError("no quality gives a small enough JPEG")


class Counter:
    """Request bytes per host, and whether any request to the API carried the file."""

    def __init__(self, api_host: str, needle: bytes) -> None:
        self.api_host, self.needle = api_host, needle
        self.by_host: dict[str, int] = {}
        self.file_bytes_to_api = 0

    def __call__(self, request: httpx.Request) -> None:
        body = request.read()
        host = f"{request.url.host}:{request.url.port}"
        self.by_host[host] = (
            self.by_host.get(host, 0)
            + len(body)
            + len(str(request.url))
            + sum(len(k) + len(v) for k, v in request.headers.raw)
        )
        if host == self.api_host and self.needle in body:
            self.file_bytes_to_api += len(self.needle)


def upload(
    api: httpx.Client, task_id: str, name: str, content_type: str, data: bytes, *, s3: httpx.Client
) -> tuple[str, float]:
    answer = api.post(
        f"/tasks/{task_id}/attachments", json={"name": name, "content_type": content_type, "size": len(data)}
    )
    answer.raise_for_status()
    body = answer.json()
    started = time.perf_counter()
    posted = s3.post(body["upload"]["url"], data=body["upload"]["fields"], files={"file": (name, data, content_type)})
    posted.raise_for_status()
    attachment_id = body["attachment"]["id"]
    while True:
        state = api.get(f"/attachments/{attachment_id}").json()
        if state["status"] != "pending":
            break
        time.sleep(0.02)
    if state["status"] != "ready":
        raise RuntimeError(f"{name} was rejected: {state['reason']}")
    return attachment_id, (time.perf_counter() - started) * 1000


# Peak RSS of this process only: VmHWM, reset after the imports (ru_maxrss would carry the parent's peak on Linux).
_MEMORY_PROBE = """
import json, sys, tracemalloc
from pathlib import Path
from backend.bootstrap import dependencies
from backend.services import attachments
def status(name):
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith(name + ":"))
    return int(line.split()[1])
key = sys.argv[1]
deps = dependencies()
deps.attachments.bytes_used("warm-up")  # connections and lazy imports before the baseline
warm = deps.storage.open(key)  # the S3 client and its connection before the baseline
if warm is not None:
    warm.body.close()
Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
before = status("VmRSS")
tracemalloc.start()
outcome = attachments.process_upload(
    store=deps.attachments, storage=deps.storage, key=key, limits=deps.settings.attachment_limits, now=deps.clock()
)
_, python_peak = tracemalloc.get_traced_memory()
after = status("VmHWM")
print(json.dumps({"result": outcome.result, "reason": outcome.reason, "rss_before_kib": before,
                  "rss_peak_kib": after, "python_peak_kib": python_peak // 1024}))
"""


def processor_memory(
    local_env: dict[str, str], api: httpx.Client, task_id: str, *, name: str, content_type: str, data: bytes
) -> dict[str, Any]:
    """Ask for an upload, store the image under its key without an event (straight into moto's S3 backend, so the
    local runtime does not process it first), then process it once in a fresh subprocess."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    from backend.names import ResourceNames

    answer = api.post(
        f"/tasks/{task_id}/attachments", json={"name": name, "content_type": content_type, "size": len(data)}
    )
    answer.raise_for_status()
    key = answer.json()["upload"]["fields"]["key"]
    s3_backends[DEFAULT_ACCOUNT_ID]["aws"].put_object(ResourceNames("local").attachments_bucket, key, data)
    env = {**os.environ, **local_env, "PYTHONPATH": "."}
    run = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, key], env=env, capture_output=True, text=True, check=True
    )
    figures: dict[str, Any] = json.loads(run.stdout.strip().splitlines()[-1])
    with Image.open(io.BytesIO(data)) as image:
        figures["image_pixels"] = f"{image.width}x{image.height}"
    figures["image_bytes"] = len(data)
    figures["processing_mib"] = round((figures["rss_peak_kib"] - figures["rss_before_kib"]) / 1024, 1)
    return figures


def run(n: int) -> dict[str, Any]:
    with local_aws(port=free_port()) as local, serve_local_api(free_port()) as api_url:
        _, tokens = signed_in_user(api_url)
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        with httpx.Client(base_url=api_url, headers=headers, timeout=60) as api, httpx.Client(timeout=120) as s3:
            task_id = api.post("/tasks", json={"title": "bench attachments"}).json()["id"]
            files = {
                "text 5 MB": ("five.txt", "text/plain", text_file(5 * MB)),
                "png 5 MB": ("five.png", "image/png", noise_png(5 * MB)),
            }
            latency: dict[str, Any] = {}
            for label, (name, content_type, data) in files.items():
                upload(api, task_id, name, content_type, data, s3=s3)  # warm-up (imports, connections)
                samples = [upload(api, task_id, name, content_type, data, s3=s3)[1] for _ in range(n)]
                latency[label] = {
                    "bytes": len(data),
                    "n": n,
                    "p50_ms": round(statistics.median(samples), 1),
                    "min_ms": round(min(samples), 1),
                    "max_ms": round(max(samples), 1),
                }
            # Bytes per host for one upload, the file's bytes searched for in what the API received.
            name, content_type, data = files["text 5 MB"]
            api_host = f"{httpx.URL(api_url).host}:{httpx.URL(api_url).port}"
            counter = Counter(api_host, data[:4096])
            with (
                httpx.Client(
                    base_url=api_url, headers=headers, timeout=60, event_hooks={"request": [counter]}
                ) as counted_api,
                httpx.Client(timeout=120, event_hooks={"request": [counter]}) as counted_s3,
            ):
                upload(counted_api, task_id, name, content_type, data, s3=counted_s3)
            s3_host = next(host for host in counter.by_host if host != api_host)
            traffic = {
                "file_bytes": len(data),
                "request_bytes_to_api": counter.by_host.get(api_host, 0),
                "request_bytes_to_s3": counter.by_host[s3_host],
                "file_bytes_through_our_servers": counter.file_bytes_to_api,
            }
            memory = {
                "jpeg": processor_memory(
                    local.env, api, task_id, name="big.jpg", content_type="image/jpeg", data=noise_jpeg(25 * MB)
                ),
                "png": processor_memory(
                    local.env, api, task_id, name="big.png", content_type="image/png", data=noise_png(24 * MB)
                ),
            }
    return {"upload_to_ready": latency, "traffic_per_upload": traffic, "processor_memory_25mb_image": memory}


def print_report(report: dict[str, Any]) -> None:
    print("\nAttachments (local AWS)")
    for label, figures in report["upload_to_ready"].items():
        print(
            f"  upload → ready, {label:<10} p50 {figures['p50_ms']:>8.1f} ms  "
            f"(min {figures['min_ms']:.1f}, max {figures['max_ms']:.1f}, n={figures['n']})"
        )
    traffic = report["traffic_per_upload"]
    print(
        f"  one 5 MB upload: {traffic['request_bytes_to_api']} request bytes to the API (JSON metadata + polls), "
        f"{traffic['request_bytes_to_s3']} to S3; file bytes through our servers: "
        f"{traffic['file_bytes_through_our_servers']}"
    )
    for kind, memory in report["processor_memory_25mb_image"].items():
        print(
            f"  processor on a {memory['image_bytes'] / MB:.1f} MB {kind.upper()} ({memory['image_pixels']}): "
            f"{memory['result']}; peak RSS {memory['rss_peak_kib'] / 1024:.0f} MiB "
            f"(before: {memory['rss_before_kib'] / 1024:.0f} MiB, +{memory['processing_mib']} MiB while processing); "
            f"Python allocations peak {memory['python_peak_kib'] / 1024:.1f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=5)
    report = run(parser.parse_args().n)
    print_report(report)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
