"""Attachments in headless Chromium: files go from the page straight to the emulated S3 (XHR multipart POST with
progress), the processor makes a thumbnail, the file downloads under its own name, a fake image is rejected with
the reason, an upload can be cancelled in flight, and a file can be deleted; the task row shows a paperclip."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from backend.client.api import TaskCreate
from taskmanager_pro.state.attachments import size_text
from tests.e2e.conftest import App
from tests.e2e.test_tasks import new_user, ready, row, sign_in, today

pytestmark = pytest.mark.e2e


def photo(side: int = 900) -> bytes:
    """A PNG of random pixels (about 3 bytes per pixel: it does not compress), so the upload takes a while."""
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def throttle_uploads(page: Page, bytes_per_second: int) -> None:
    """Slow the browser's uploads (Chromium network emulation), so progress and cancel can be seen."""
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")
    session.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_second},
    )


def attach(panel: Locator, name: str, mime: str, data: bytes) -> None:
    files: Any = [{"name": name, "mimeType": mime, "buffer": data}]
    panel.locator("#attachment-input").set_input_files(files)


def attachment(panel: Locator, name: str) -> Locator:
    return panel.locator(f".tmp-attachment[data-attachment={name!r}]")


def upload_row(panel: Locator, name: str) -> Locator:
    return panel.locator(f".tmp-upload[data-upload={name!r}]")


def test_upload_with_progress_thumbnail_download_reject_cancel_delete(page: Page, app: App) -> None:
    user = new_user(app)
    task = user.api.create_task(TaskCreate(title="Trip photos", due_date=today()))
    user.api.create_task(TaskCreate(title="No files", due_date=today()))
    sign_in(page, user)
    row(page, "Trip photos").click()
    panel = page.get_by_role("dialog", name="Task details")
    expect(panel.get_by_role("heading", name="Attachments")).to_be_visible()
    expect(panel.get_by_text("Up to 25.0 MB per file")).to_be_visible()  # limits shown before any upload

    # 1. An image, uploaded straight to S3 with a progress bar.
    throttle_uploads(page, 1_000_000)
    data = photo()
    attach(panel, "beach.png", "image/png", data)
    uploading = upload_row(panel, "beach.png")
    expect(uploading).to_be_visible()
    bar = uploading.locator("progress")
    page.wait_for_function("el => el.value > 0 && el.value < 100", arg=bar.element_handle(), timeout=15_000)
    expect(uploading).to_have_count(0, timeout=30_000)
    throttle_uploads(page, -1)

    # 2. Processing, then ready with a thumbnail; the task row shows the paperclip.
    done = attachment(panel, "beach.png")
    expect(done).to_have_attribute("data-status", "ready", timeout=20_000)
    thumbnail = done.get_by_role("img", name="Preview of beach.png")
    expect(thumbnail).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    assert "thumbnails/" in (thumbnail.get_attribute("src") or "")
    expect(page.locator("[data-task-row][aria-label='Trip photos'] .tmp-paperclip")).to_have_count(1)

    # 3. Download: the browser saves it under its original name, with the same bytes.
    with page.expect_download() as download_info:
        done.get_by_role("link", name="Download beach.png").click()
    download = download_info.value
    assert download.suggested_filename == "beach.png"
    path = download.path()
    assert path is not None
    with open(path, "rb") as saved:
        assert saved.read() == data

    # Storage used, in the settings.
    page.keyboard.press("Escape")
    expect(panel).to_have_count(0)
    page.goto("/settings")
    expect(page.get_by_test_id("storage-used")).to_have_text(f"{size_text(len(data))} of 1.0 GB used")
    page.goto("/")
    ready(page)

    # Tasks with attachments can be filtered (the paperclip filter).
    page.get_by_role("button", name="Filters").click()
    page.get_by_role("switch", name="With attachments").click()
    expect(row(page, "No files")).to_have_count(0)
    expect(row(page, "Trip photos")).to_be_visible()
    page.keyboard.press("Escape")
    row(page, "Trip photos").click()
    expect(done).to_have_attribute("data-status", "ready")

    # 4. An executable renamed .png: rejected, with the reason on screen.
    attach(panel, "cat.png", "image/png", b"MZ\x90\x00\x03" + b"\x00" * 300 + b"This program cannot be run in DOS mode")
    rejected = attachment(panel, "cat.png")
    expect(rejected).to_have_attribute("data-status", "rejected", timeout=20_000)
    expect(rejected).to_contain_text("not image/png")

    # 5. Cancel an upload in flight: nothing is kept.
    throttle_uploads(page, 200_000)
    attach(panel, "slow.png", "image/png", photo(700))
    slow = upload_row(panel, "slow.png")
    page.wait_for_function("el => el.value > 0", arg=slow.locator("progress").element_handle(), timeout=15_000)
    slow.get_by_role("button", name="Cancel uploading slow.png").click()
    expect(slow).to_have_count(0)
    expect(page.locator("[data-sonner-toast]").filter(has_text="Upload cancelled")).to_be_visible()
    throttle_uploads(page, -1)
    expect(attachment(panel, "slow.png")).to_have_count(0)

    # 6. Delete: gone from the panel and from the API; the paperclip goes with it.
    done.get_by_role("button", name="Delete beach.png").click()
    expect(done).to_have_count(0)
    names = {a.name: a.status for a in user.api.list_attachments(task.id)}
    assert "beach.png" not in names
    assert "slow.png" not in names
    assert names.get("cat.png") == "rejected"
    expect(page.locator("[data-task-row][aria-label='Trip photos'] .tmp-paperclip")).to_have_count(0)
