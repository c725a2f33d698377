"""Attachments domain: key layout, request limits, names, type sniffing, Content-Disposition."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from backend.domain import attachments as att
from backend.errors import InvalidInputError, TooLargeError

LIMITS = att.Limits(max_bytes=1000, quota_bytes=5000, max_per_task=3)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, "PNG")
    return out.getvalue()


def test_staged_keys_round_trip_and_files_and_thumbnails_are_outside_the_staging_prefix() -> None:
    staged = att.staging_key("sub-1", "TASK1", "ATT1")
    assert staged == "uploads/sub-1/tasks/TASK1/ATT1"
    assert att.parse_staging_key(staged) == att.ObjectRef(user_id="sub-1", task_id="TASK1", attachment_id="ATT1")
    key = att.object_key("sub-1", "TASK1", "ATT1")
    thumb = att.thumbnail_key("sub-1", "TASK1", "ATT1")
    assert (key, thumb) == ("users/sub-1/tasks/TASK1/ATT1", "thumbnails/users/sub-1/tasks/TASK1/ATT1")
    for checked in (key, thumb):  # what the processor writes is never an upload it would process
        assert not checked.startswith(att.STAGING_PREFIX)
        assert att.parse_staging_key(checked) is None
    assert all(k.startswith(p) for k, p in zip((staged, key, thumb), att.user_prefixes("sub-1"), strict=True))


@pytest.mark.parametrize(
    "key",
    [
        "uploads/a/tasks/b",
        "uploads/a/tasks/b/c/d",
        "uploads/../tasks/b/c",
        "users/a/tasks/b/c",
        "other/a/tasks/b/c",
        "uploads/a/tasks/b/c d",
    ],
)
def test_parse_staging_key_refuses_anything_but_a_staged_upload(key: str) -> None:
    assert att.parse_staging_key(key) is None


def test_check_request_accepts_within_limits_and_normalises_the_type() -> None:
    declared = att.check_request(
        content_type="Image/PNG; charset=x", size=1000, used_bytes=4000, attachments_on_task=2, limits=LIMITS
    )
    assert declared == "image/png"


def test_check_request_names_the_field_of_each_refusal() -> None:
    with pytest.raises(InvalidInputError) as bad_type:
        att.check_request(
            content_type="application/x-msdownload", size=10, used_bytes=0, attachments_on_task=0, limits=LIMITS
        )
    assert "content_type" in bad_type.value.fields
    with pytest.raises(InvalidInputError) as empty:
        att.check_request(content_type="text/plain", size=0, used_bytes=0, attachments_on_task=0, limits=LIMITS)
    assert "size" in empty.value.fields
    with pytest.raises(TooLargeError) as too_big:
        att.check_request(content_type="text/plain", size=1001, used_bytes=0, attachments_on_task=0, limits=LIMITS)
    assert "size" in too_big.value.fields
    with pytest.raises(TooLargeError, match="storage left"):
        att.check_request(content_type="text/plain", size=1000, used_bytes=4001, attachments_on_task=0, limits=LIMITS)
    with pytest.raises(InvalidInputError) as many:
        att.check_request(content_type="text/plain", size=1, used_bytes=0, attachments_on_task=3, limits=LIMITS)
    assert "task_id" in many.value.fields


def test_a_known_type_left_out_of_the_allowed_list_is_refused() -> None:
    limits = att.Limits(allowed_types=("image/png",))
    with pytest.raises(InvalidInputError):
        att.check_request(content_type="application/pdf", size=1, used_bytes=0, attachments_on_task=0, limits=limits)


def test_clean_name_drops_paths_and_control_characters_and_keeps_the_extension() -> None:
    assert att.clean_name("C:\\Users\\me\\report.pdf") == "report.pdf"
    assert att.clean_name("../../etc/passwd") == "passwd"
    assert att.clean_name("a\x00b\nc.txt") == "abc.txt"
    long = att.clean_name("x" * 300 + ".jpeg")
    assert len(long) == att.MAX_NAME_LENGTH
    assert long.endswith(".jpeg")
    with pytest.raises(InvalidInputError):
        att.clean_name("dir/")


def test_sniff_tells_real_types_from_magic_numbers() -> None:
    assert att.sniff(png_bytes()) == "image/png"
    assert att.sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj") == "application/pdf"
    assert att.sniff("Grüße, world\n".encode()) == att.TEXT
    assert att.sniff(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 100) not in {None, "image/png", att.TEXT}
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert att.sniff(docx.getvalue()) == "application/zip"
    assert att.sniff(b"\x00\x01\x02binary") is None
    assert att.sniff(b"") is None


def test_plain_text_is_text_whatever_the_magic_database_guesses() -> None:
    assert att.sniff(b"0123456789") == att.TEXT  # puremagic: "text/ascii"
    assert att.sniff(b"#!/bin/sh\necho hi\n") == att.TEXT
    assert att.sniff(b'{"a": 1}') == att.TEXT
    assert att.sniff(b"%PDF-1.4\n1 0 obj\n") == "application/pdf"  # a PDF stays a PDF even when it reads as text


def test_text_cut_inside_a_multibyte_character_is_still_text() -> None:
    assert att.sniff("aé".encode()[:-1]) == att.TEXT


def test_type_mismatch() -> None:
    assert att.type_mismatch("image/png", "image/png") is None
    assert att.type_mismatch("text/csv", att.TEXT) is None
    assert att.type_mismatch("image/png", "application/vnd.microsoft.portable-executable") is not None
    assert att.type_mismatch("image/png", att.TEXT) == "the content is text, not image/png"
    assert att.type_mismatch("application/pdf", None) is not None
    assert (
        att.type_mismatch("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/zip")
        is None
    )


def test_content_disposition_carries_the_original_name_safely() -> None:
    value = att.content_disposition('Über "plan"; v2.pdf')
    assert value.startswith("attachment; filename=")
    assert "filename*=UTF-8''%C3%9Cber%20%22plan%22%3B%20v2.pdf" in value
    ascii_part = value.split(";")[1]
    assert '"Uber _plan__ v2.pdf"' in ascii_part
    assert "\n" not in att.content_disposition("a\nb")


def test_format_bytes() -> None:
    assert att.format_bytes(512) == "512 bytes"
    assert att.format_bytes(25 * att.MIB) == "25 MB"
    assert att.format_bytes(att.GIB) == "1 GB"
    assert att.format_bytes(1536) == "1.5 KB"
