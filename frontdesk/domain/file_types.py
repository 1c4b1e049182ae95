"""What an uploaded file is, judged from its bytes; and a safe name for it. Pure: no I/O.

We sniff the few kinds we allow ourselves instead of using a general magic-number library: the
allowlist is ten kinds with fixed signatures, anything not positively recognised is refused, and
Office files need their ZIP directory (which `zipfile` reads, see actions/attachments.py), not a
guess from the first bytes. The client's Content-Type and the file name are never trusted.
"""

from __future__ import annotations

import codecs
import re
import struct
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    name: str  # as in FRONTDESK_ATTACHMENT_TYPES
    content_type: str  # what we serve it as
    extensions: tuple[str, ...]  # the first one is added to a name that lacks it
    label: str  # for people: "a PNG image"
    short: str  # in a list of what is accepted: "PNG"
    image: bool = False  # a raster image browsers show inline


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("png", "image/png", (".png",), "a PNG image", "PNG", image=True),
        Kind("jpeg", "image/jpeg", (".jpg", ".jpeg"), "a JPEG image", "JPEG", image=True),
        Kind("gif", "image/gif", (".gif",), "a GIF image", "GIF", image=True),
        Kind("webp", "image/webp", (".webp",), "a WebP image", "WebP", image=True),
        Kind("pdf", "application/pdf", (".pdf",), "a PDF document", "PDF"),
        Kind("txt", "text/plain; charset=utf-8", (".txt", ".log", ".md"), "a text file", "text"),
        Kind("csv", "text/csv; charset=utf-8", (".csv",), "a CSV file", "CSV"),
        Kind("zip", "application/zip", (".zip",), "a ZIP archive", "ZIP"),
        Kind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            (".docx",),
            "a Word document",
            "Word (.docx)",
        ),
        Kind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            (".xlsx",),
            "an Excel workbook",
            "Excel (.xlsx)",
        ),
    )
}
IMAGE_KINDS = frozenset(k for k, v in KINDS.items() if v.image)
INLINE_MAX_PIXELS = 25_000_000  # the default of FRONTDESK_IMAGE_MAX_PIXELS
HEAD_BYTES = 64 * 1024  # what sniff() wants to see: enough for a JPEG's size behind its EXIF block


@dataclass(frozen=True, slots=True)
class Sniffed:
    """`kind` is one of KINDS, or None with `label` saying what it looks like instead."""

    kind: str | None
    label: str
    width: int | None = None
    height: int | None = None


def sniff(head: bytes, *, zip_names: list[str] | None = None) -> Sniffed:
    """What the file starting with `head` is. `zip_names`: the member names when it is a ZIP
    (None when it could not be read as one)."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _image("png", _png_size(head))
    if head.startswith(b"\xff\xd8\xff"):
        return _image("jpeg", _jpeg_size(head))
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _image("gif", struct.unpack("<HH", head[6:10]) if len(head) >= 10 else None)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _image("webp", _webp_size(head))
    if head.startswith(b"%PDF-"):
        return Sniffed("pdf", KINDS["pdf"].label)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        if zip_names is None:
            return Sniffed(None, "a damaged ZIP archive")
        names = set(zip_names)
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return Sniffed("docx", KINDS["docx"].label)
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return Sniffed("xlsx", KINDS["xlsx"].label)
        return Sniffed("zip", KINDS["zip"].label)
    return _text(head)


def shown_inline(kind: str | None, width: int | None, height: int | None, max_pixels: int = INLINE_MAX_PIXELS) -> bool:
    """Whether a file may be shown as an image (an <img>, served `inline`): a raster image whose
    size is known and at most `max_pixels` (width × height). A browser decodes an image to 4
    bytes a pixel whatever the file's size: a 1 MB PNG of 20,000 × 20,000 is 1.6 GB decoded.
    Larger images are kept, as files to download."""
    if kind not in IMAGE_KINDS or not width or not height:
        return False
    return width * height <= max_pixels


def _image(kind: str, size: tuple[int, int] | None) -> Sniffed:
    if size is None or not (size[0] > 0 and size[1] > 0):
        return Sniffed(None, f"a damaged {kind.upper()} image")
    return Sniffed(kind, KINDS[kind].label, size[0], size[1])


def _png_size(head: bytes) -> tuple[int, int] | None:
    if len(head) < 24 or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


# Start-of-frame markers carry the size; C4 (Huffman tables), C8 and CC are not frames.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(head: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(head):
        if head[i] != 0xFF:
            return None
        marker = head[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length
            i += 2
            continue
        (length,) = struct.unpack(">H", head[i + 2 : i + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", head[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8 " and len(head) >= 30 and head[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25 and head[20] == 0x2F:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X" and len(head) >= 30:
        return int.from_bytes(head[24:27], "little") + 1, int.from_bytes(head[27:30], "little") + 1
    return None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MARKUP = re.compile(rb"^\s*<(?:[!?a-zA-Z])")


def _text(head: bytes) -> Sniffed:
    """UTF-8 text without control characters is text; markup (HTML, SVG, XML) never is."""
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if _MARKUP.match(body):
        lowered = body[:4096].lower()
        if b"<svg" in lowered:
            return Sniffed(None, "an SVG image")
        if b"<?xml" in lowered[:64] and b"<html" not in lowered:
            return Sniffed(None, "an XML document")
        return Sniffed(None, "an HTML page")
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        return Sniffed(None, "a file of a kind we do not accept")
    if _CONTROL.search(text):
        return Sniffed(None, "a file of a kind we do not accept")
    return Sniffed("txt", KINDS["txt"].label)


def text_kind(sniffed: Sniffed, name: str) -> Sniffed:
    """Text is CSV when its name says so; otherwise plain text."""
    if sniffed.kind == "txt" and name.lower().endswith(".csv"):
        return Sniffed("csv", KINDS["csv"].label)
    return sniffed


# ---- names ---------------------------------------------------------------------------------
MAX_NAME = 120


def safe_name(raw: object, kind: str) -> str:
    """A name that is safe to store, show and send back in Content-Disposition: the last path
    segment, no control or format characters (no right-to-left tricks), at most MAX_NAME
    characters, and an extension that agrees with what the content is."""
    name = raw if isinstance(raw, str) else ""
    name = re.split(r"[/\\]", name)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(" " if ch.isspace() else ch for ch in name)
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = " ".join(name.split()).strip(" .")
    extensions = KINDS[kind].extensions
    stem, dot, ext = name.rpartition(".")
    if not dot or f".{ext.lower()}" not in extensions:
        stem = name
        ext = extensions[0][1:]
    stem = stem.strip(" .") or "file"
    stem = stem[: MAX_NAME - len(ext) - 1].rstrip(" .") or "file"
    return f"{stem}.{ext}"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".") + " MB"
