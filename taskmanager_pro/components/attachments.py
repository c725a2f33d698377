# (Reflex components are untyped for mypy: every rx.* call is Any.)
"""Attachments in the task panel: a drop zone + file picker, uploads with progress and cancel, the files with
thumbnails, status (processing / ready / rejected and why), download and delete."""

from __future__ import annotations

from typing import Any

import reflex as rx

from taskmanager_pro.state.attachments import DROP_ID, INPUT_ID, AttachmentsState
from taskmanager_pro.state.task_detail import TaskDetailState

A: Any = AttachmentsState


def upload_row(upload: Any) -> rx.Component:
    return rx.hstack(
        rx.icon("upload", size=16, color=rx.color("accent", 10)),
        rx.vstack(
            rx.hstack(
                rx.text(upload.name, size="2", truncate=True),
                rx.spacer(),
                rx.text("0%", id="upload-percent-" + upload.local_id, size="1", color_scheme="gray"),
                width="100%",
                align="center",
            ),
            rx.el.progress(
                id="upload-progress-" + upload.local_id,
                max=100,
                value=0,
                aria_label="Uploading " + upload.name,
                class_name="tmp-upload-progress",
            ),
            spacing="1",
            width="100%",
            min_width="0",
        ),
        rx.icon_button(
            rx.icon("x", size=14),
            size="1",
            variant="ghost",
            color_scheme="gray",
            aria_label="Cancel uploading " + upload.name,
            on_click=A.cancel_upload(upload.local_id),
        ),
        align="center",
        spacing="2",
        width="100%",
        class_name="tmp-upload",
        data_upload=upload.name,
    )


def status_badge(item: Any) -> rx.Component:
    return rx.match(
        item.status,
        ("pending", rx.badge(rx.spinner(size="1"), "Processing", color_scheme="gray", size="1")),
        ("rejected", rx.badge("Rejected", color_scheme="red", size="1")),
        rx.fragment(),
    )


def attachment_row(item: Any) -> rx.Component:
    preview = rx.cond(
        item.thumbnail_url != "",
        rx.image(
            src=item.thumbnail_url,
            alt="Preview of " + item.name,
            width="48px",
            height="48px",
            object_fit="cover",
            border_radius="var(--radius-2)",
            class_name="tmp-attachment-thumb",
        ),
        rx.center(rx.icon(item.icon, size=22, color=rx.color("gray", 10)), width="48px", height="48px"),
    )
    return rx.hstack(
        preview,
        rx.vstack(
            rx.hstack(rx.text(item.name, size="2", weight="medium", truncate=True), status_badge(item), align="center"),
            rx.text(item.size, " · ", item.added, size="1", color_scheme="gray"),
            rx.cond(item.reason != "", rx.text(item.reason, size="1", color_scheme="red", role="alert")),
            spacing="0",
            min_width="0",
            flex="1",
        ),
        rx.cond(
            item.download_url != "",
            # The link itself looks like the icon button (as_child): no button nested in a link.
            rx.icon_button(
                rx.el.a(rx.icon("download", size=14), href=item.download_url, aria_label="Download " + item.name),
                as_child=True,
                size="1",
                variant="ghost",
            ),
        ),
        rx.icon_button(
            rx.icon("trash-2", size=14),
            size="1",
            variant="ghost",
            color_scheme="red",
            aria_label="Delete " + item.name,
            on_click=A.delete_attachment(item.id),
            disabled=item.status == "pending",
        ),
        align="center",
        spacing="3",
        width="100%",
        class_name="tmp-attachment",
        data_attachment=item.name,
        data_status=item.status,
    )


def attachments_block() -> rx.Component:
    """Remounted per task (keyed by its id), so it loads that task's files when shown."""
    return rx.vstack(
        rx.hstack(
            rx.heading("Attachments", size="2", as_="h3"),
            rx.cond(A.att_items.length() > 0, rx.text(A.att_items.length().to_string(), size="1", color_scheme="gray")),
            rx.cond(A.att_loading, rx.spinner(size="1")),
            align="baseline",
            spacing="2",
        ),
        rx.foreach(A.att_items, attachment_row),
        rx.foreach(A.att_uploads, upload_row),
        rx.el.label(
            rx.icon("paperclip", size=16),
            rx.text("Drop files here or ", rx.text.strong("choose files"), size="2"),
            rx.el.input(
                id=INPUT_ID,
                type="file",
                multiple=True,
                accept=A.att_accept,
                on_change=A.files_picked,
                class_name="tmp-visually-hidden",
                aria_label="Attach files",
            ),
            id=DROP_ID,
            html_for=INPUT_ID,
            class_name="tmp-dropzone",
        ),
        rx.text(A.att_limits_text, size="1", color_scheme="gray"),
        rx.cond(
            A.att_error != "",
            rx.callout(A.att_error, icon="circle-alert", color_scheme="red", role="alert", size="1", width="100%"),
        ),
        key=TaskDetailState.d_id,
        on_mount=A.load_attachments,
        spacing="2",
        width="100%",
    )
