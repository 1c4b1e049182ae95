"""Sniffing uploads from their bytes, and safe file names."""

from __future__ import annotations

import codecs
import zipfile
from io import BytesIO

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontdesk.domain.file_types import KINDS, MAX_NAME, human_size, safe_name, shown_inline, sniff, text_kind
from tests import files


def names_of(data: bytes) -> list[str]:
    return zipfile.ZipFile(BytesIO(data)).namelist()


@pytest.mark.parametrize(
    ("data", "kind", "size"),
    [
        (files.png(64, 48), "png", (64, 48)),
        (files.jpeg_header(640, 480), "jpeg", (640, 480)),
        (files.gif(10, 20), "gif", (10, 20)),
        (files.webp_lossless(30, 40), "webp", (30, 40)),
        (files.pdf(), "pdf", None),
        (files.TEXT, "txt", None),
        (codecs.BOM_UTF8 + files.TEXT, "txt", None),
    ],
)
def test_each_allowed_kind_is_recognised_with_its_size(data, kind, size):
    found = sniff(data)
    assert found.kind == kind
    if size:
        assert (found.width, found.height) == size


def test_zip_based_kinds_need_their_directory():
    assert sniff(files.docx(), zip_names=names_of(files.docx())).kind == "docx"
    assert sniff(files.xlsx(), zip_names=names_of(files.xlsx())).kind == "xlsx"
    assert sniff(files.plain_zip(), zip_names=names_of(files.plain_zip())).kind == "zip"
    assert sniff(files.docx(), zip_names=None).kind is None  # unreadable as a ZIP: refused


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (files.HTML, "an HTML page"),
        (b"  \n<html><body>hi</body></html>", "an HTML page"),
        (codecs.BOM_UTF8 + b"<script>alert(1)</script>", "an HTML page"),
        (files.SVG, "an SVG image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "an SVG image"),
        (b"<?xml version='1.0'?><note/>", "an XML document"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "a file of a kind we do not accept"),  # a Windows program
        (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "a file of a kind we do not accept"),  # gzip
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 4, "a damaged PNG image"),
    ],
)
def test_disguises_and_unknown_kinds_are_not_recognised(data, label):
    found = sniff(data)
    assert found.kind is None
    assert found.label == label


def test_text_named_csv_is_csv():
    assert text_kind(sniff(files.CSV), "Orders.CSV").kind == "csv"
    assert text_kind(sniff(files.CSV), "orders.txt").kind == "txt"
    assert text_kind(sniff(files.png()), "x.csv").kind == "png"


@pytest.mark.parametrize(
    ("raw", "kind", "expected"),
    [
        ("photo.png", "png", "photo.png"),
        ("photo.JPEG", "jpeg", "photo.JPEG"),
        ("../../etc/passwd", "txt", "passwd.txt"),
        ("C:\\Users\\me\\report.pdf", "pdf", "report.pdf"),
        ("invoice.pdf", "png", "invoice.pdf.png"),  # the name says PDF, the content is PNG
        ("evil\u202egnp.exe", "png", "evilgnp.exe.png"),  # right-to-left override removed
        ("a\r\nContent-Type: x\x00.txt", "txt", "a Content-Type: x.txt"),  # no header injection
        ("   ", "pdf", "file.pdf"),
        (".htaccess", "txt", "htaccess.txt"),  # no hidden files
        (None, "zip", "file.zip"),
        ("tab\there.csv", "csv", "tab here.csv"),
    ],
)
def test_safe_names(raw, kind, expected):
    assert safe_name(raw, kind) == expected


@given(st.text(max_size=400), st.sampled_from(sorted(KINDS)))
def test_safe_name_is_always_short_flat_printable_and_typed(raw, kind):
    name = safe_name(raw, kind)
    assert 1 < len(name) <= MAX_NAME
    assert "/" not in name and "\\" not in name
    assert all(ch.isprintable() for ch in name)
    assert any(name.lower().endswith(ext) for ext in KINDS[kind].extensions)
    assert not name.startswith(".")


def test_human_size():
    assert human_size(512) == "512 bytes"
    assert human_size(10 * 1024 * 1024) == "10 MB"
    assert human_size(1536 * 1024) == "1.5 MB"
    assert human_size(2048) == "2 KB"


def test_only_images_within_the_pixel_limit_are_shown_inline():
    huge = sniff(files.huge_png(20_000, 20_000))
    assert (huge.kind, huge.width, huge.height) == ("png", 20_000, 20_000)
    assert not shown_inline(huge.kind, huge.width, huge.height)
    assert shown_inline("png", 5000, 5000) and not shown_inline("png", 5000, 5001)
    assert shown_inline("jpeg", 100, 100, max_pixels=10_000) and not shown_inline("jpeg", 101, 100, max_pixels=10_000)
    assert not shown_inline("pdf", 10, 10) and not shown_inline("png", None, None)
