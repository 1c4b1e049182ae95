"""Where attachment bytes live: a small interface, with a local-disk backend.

An upload is first written to a temporary file (`incoming`); the action that stores its message
then `keep`s it under its random id, inside the database transaction, and `delete`s it again if
that transaction fails. Another backend (S3…) implements the same four methods.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from typing import BinaryIO, Protocol

import anyio

log = logging.getLogger(__name__)
CHUNK = 64 * 1024
_ID = re.compile(r"[A-Za-z0-9_-]{22,32}")
FILE_MODE = 0o600  # what frontdesk writes under data_dir is its user's alone
DIR_MODE = 0o700


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner may enter (created when missing). The mode is set
    explicitly, not left to the umask (`frontdesk serve` sets 077, a host process may not)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        _chmod(path, DIR_MODE)
    return path


def create_private(path: Path) -> BinaryIO:
    """A new file (never an existing one) open for writing, readable by its owner only."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")


def make_private(path: Path) -> None:
    """chmod 600 a file that someone else created (SQLite, a test), when it is there."""
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_mode & 0o777 != FILE_MODE:
            _chmod(path, FILE_MODE)


def _chmod(path: Path, mode: int) -> None:
    """Someone else's file or directory (an admin prepared it) keeps its mode: a warning, not a
    failure to start."""
    try:
        path.chmod(mode)
    except PermissionError:
        log.warning("cannot make %s private (mode %o): not its owner", path, mode)


def new_file_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits, 22 characters: unguessable


def valid_file_id(value: object) -> bool:
    return isinstance(value, str) and _ID.fullmatch(value) is not None


class FileStorage(Protocol):
    def incoming(self) -> Path:
        """A new temporary path on local disk for an upload being received."""

    async def keep(self, temp: Path, file_id: str) -> None:
        """Make a fully received temporary file permanent under `file_id`."""

    def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        """The file's bytes; raises FileNotFoundError when there is no such file."""

    async def delete(self, file_id: str) -> None:
        """Forget the file; no error when it is already gone."""

    def exists(self, file_id: str) -> bool:
        """Whether the file is there (checked before a response starts)."""


class DiskStorage:
    """Files under `root/<first two characters of the id>/<id>`; uploads in `root/.incoming`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp_dir = root / ".incoming"

    def path(self, file_id: str) -> Path:
        if not valid_file_id(file_id):  # never a path of the client's making
            raise FileNotFoundError(file_id)
        return self.root / file_id[:2] / file_id

    def incoming(self) -> Path:
        private_dir(self.root)
        private_dir(self.temp_dir)
        return self.temp_dir / f"{secrets.token_hex(12)}.part"

    async def keep(self, temp: Path, file_id: str) -> None:
        final = self.path(file_id)

        def move() -> None:
            private_dir(final.parent)
            make_private(temp)  # api/uploads.py creates it 600; this also covers other writers
            os.replace(temp, final)  # same file system: atomic

        await anyio.to_thread.run_sync(move)

    async def chunks(self, file_id: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self.path(file_id), "rb") as f:
            while chunk := await f.read(CHUNK):
                yield chunk

    async def delete(self, file_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            await anyio.Path(self.path(file_id)).unlink()

    def exists(self, file_id: str) -> bool:
        try:
            return self.path(file_id).is_file()
        except FileNotFoundError:
            return False


@cache
def storage_at(root: Path) -> DiskStorage:
    return DiskStorage(root)


def storage_for(settings) -> DiskStorage:
    """The storage behind a node's settings: `<data_dir>/attachments`."""
    return storage_at(Path(settings.data_dir).resolve() / "attachments")
