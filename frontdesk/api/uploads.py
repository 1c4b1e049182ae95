"""Receiving one file from a multipart/form-data request, streamed to a temporary file.

The body is never held in memory: each chunk goes through python-multipart's streaming parser
into the temporary file, and reading stops as soon as the file passes its limit (the rest of the
body is not read). A declared Content-Length past the limit is refused before reading anything.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from frontdesk.actions.attachments import Upload, too_large
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.files import create_private

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FIELD_LIMIT = 200  # bytes of a text field (client_id)
OVERHEAD = 16 * 1024  # boundaries, part headers and small fields around the file


class UploadRefused(Exception):
    """An upload refused before its body was read to the end: the answer closes the connection,
    so the client stops sending (api/errors.py answers it like the ChatRuleError it carries)."""

    def __init__(self, error: ChatRuleError) -> None:
        super().__init__(error.message)
        self.error = error


async def receive_file(request: Request, *, temp: Path, max_bytes: int) -> Upload:
    """The one file part (named `file`) of the request, and its small text fields."""
    length = request.headers.get("content-length")
    try:
        if length is not None and length.isdigit() and int(length) > max_bytes + OVERHEAD:
            raise too_large(max_bytes)
        return await receive_multipart(
            request.stream(), request.headers.get("content-type", ""), temp=temp, max_bytes=max_bytes
        )
    except ClientDisconnect:
        raise ChatRuleError("bad_request", "file: the upload was interrupted", field="file") from None
    except ChatRuleError as exc:
        raise UploadRefused(exc) from None


class _Receiver:
    """python-multipart callbacks: small fields into memory, the file part into `temp`."""

    def __init__(self, temp: Path, max_bytes: int) -> None:
        self.temp, self.max_bytes = temp, max_bytes
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        self.size = 0
        self.file: IO[bytes] | None = None
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._part: str | None = None  # "file" | a field name | "" (ignored)
        self._value = bytearray()

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.part_begin,
            "on_header_field": lambda d, s, e: self._append_header("_header_name", d[s:e]),
            "on_header_value": lambda d, s, e: self._append_header("_header_value", d[s:e]),
            "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished,
            "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def _append_header(self, attr: str, data: bytes) -> None:
        setattr(self, attr, getattr(self, attr) + data)

    def part_begin(self) -> None:
        self._headers, self._part, self._value = {}, None, bytearray()

    def header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b"").decode("latin-1"))
        name = options.get(b"name", b"").decode("latin-1")
        if b"filename" in options:
            if name != "file":
                raise ChatRuleError("bad_request", f"{name or 'file'}: only one file, in a field named 'file'")
            if self.file is not None:
                raise ChatRuleError("bad_request", "file: send one file per request", field="file")
            self.filename = options[b"filename"].decode("utf-8", "replace")  # browsers send UTF-8
            self.file = create_private(self.temp)  # mode 600; closed in part_end / cleanup
            self._part = "file"
        else:
            self._part = name if name and name not in self.fields else ""

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            self.size += end - start
            if self.size > self.max_bytes:
                raise too_large(self.max_bytes)
            self._open_file().write(data[start:end])
        elif self._part:
            self._value += data[start:end]
            if len(self._value) > FIELD_LIMIT:
                raise ChatRuleError("bad_request", f"{self._part}: too long", field=self._part)

    def part_end(self) -> None:
        if self._part == "file":
            self._open_file().close()
        elif self._part:
            self.fields[self._part] = self._value.decode("utf-8", "replace")

    def _open_file(self) -> IO[bytes]:
        """The file part's file: headers_finished opens it before `_part` becomes "file"."""
        file = self.file
        if file is None:  # a file part without its headers: cannot happen with the parser's callbacks
            raise ChatRuleError("bad_request", "file: the upload is malformed", field="file")
        return file

    def cleanup(self) -> None:
        if self.file is not None:
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            self.temp.unlink()


async def receive_multipart(chunks: AsyncIterator[bytes], content_type: str, *, temp: Path, max_bytes: int) -> Upload:
    """Parse a multipart body from `chunks`, writing its file part to `temp`; stops reading at
    the first byte past `max_bytes`. Any failure leaves no temporary file behind."""
    ctype, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise ChatRuleError("bad_request", "file: send the file as multipart/form-data", field="file")
    receiver = _Receiver(temp, max_bytes)
    try:
        parser = MultipartParser(boundary, receiver.callbacks())
        total = 0
        async for chunk in chunks:
            total += len(chunk)
            if total > max_bytes + OVERHEAD:  # whatever the parts are, the body has a bound too
                raise too_large(max_bytes)
            if chunk:
                parser.write(chunk)
        parser.finalize()
        if receiver.file is None:
            raise ChatRuleError("bad_request", "file: no file in the request", field="file")
        if not receiver.file.closed:
            raise ChatRuleError("bad_request", "file: the upload was cut short", field="file")
    except ChatRuleError:
        receiver.cleanup()
        raise
    except FormParserError:
        receiver.cleanup()
        raise ChatRuleError("bad_request", "file: not a well-formed multipart/form-data body", field="file") from None
    except BaseException:
        receiver.cleanup()
        raise
    return Upload(path=temp, filename=receiver.filename or "", size=receiver.size, fields=receiver.fields)
